"""Track points keep their judged segment (micrometres, and of them inside the grid) and patrols
the rule they were judged by, so that a push measures only the end of a track; a patrol's
points are indexed by time

Revision ID: 0025_track_segments
Revises: 0024_sync_change_entries
Create Date: 2026-12-07 13:30:00

Points stored before this have none: the next push to their patrol judges its whole track
afresh and stores them.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025_track_segments'
down_revision = '0024_sync_change_entries'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segment_um', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('inside_um', sa.BigInteger(), nullable=True))
        batch_op.drop_index('ix_track_points_patrol_id')
        batch_op.create_index('ix_track_points_patrol_recorded', ['patrol_id', 'recorded_at'],
                              unique=False)
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.add_column(sa.Column('track_rule', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.drop_column('track_rule')
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.drop_index('ix_track_points_patrol_recorded')
        batch_op.create_index('ix_track_points_patrol_id', ['patrol_id'], unique=False)
        batch_op.drop_column('inside_um')
        batch_op.drop_column('segment_um')
