"""Indexes for the case list: newest first, and open cases by deadline (from the plans
bench/case_bench.py prints at a year's volume).

Revision ID: 0015_case_indexes
Revises: 0014_report_feedback
Create Date: 2026-12-06 21:47:09.272914

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_case_indexes'
down_revision = '0014_report_feedback'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_reported_at_id', ['reported_at', 'id'], unique=False)
        batch_op.create_index('ix_reports_status_deadline', ['status', 'deadline_at'], unique=False)



def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_status_deadline')
        batch_op.drop_index('ix_reports_reported_at_id')

