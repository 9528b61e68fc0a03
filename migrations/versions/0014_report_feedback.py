"""Report feedback (结果反馈): the reporter's satisfaction with a finished case, and a note.

Revision ID: 0014_report_feedback
Revises: 0013_overdue_notifications
Create Date: 2026-12-06 21:31:01.995296

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_report_feedback'
down_revision = '0013_overdue_notifications'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_note', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_note')
        batch_op.drop_column('satisfaction')
