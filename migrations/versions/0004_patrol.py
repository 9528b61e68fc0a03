"""Patrol: the jitter flag of a track point, the share of a patrol inside the worker's grid.

Revision ID: 0004_patrol
Revises: 0003_attendance
Create Date: 2026-11-23 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_patrol'
down_revision = '0003_attendance'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inside_share', sa.Float(), nullable=True))
    # Points synced before this revision count as trusted until their patrol is measured.
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_jitter', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.alter_column('is_jitter', server_default=None)


def downgrade():
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.drop_column('is_jitter')
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.drop_column('inside_share')
