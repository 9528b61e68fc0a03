"""Reports: the timeline of a case (what happened to it, when), synced back to the phone.

Revision ID: 0005_report_timeline
Revises: 0004_patrol
Create Date: 2026-11-23 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_report_timeline'
down_revision = '0004_patrol'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timeline', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.alter_column('timeline', server_default=None)


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('timeline')
