"""Assessment at a year's volume: what the statistics read (left empty when the plans need nothing)

Revision ID: 0018_case_stats_rollup
Revises: 0017_case_map_index
Create Date: 2026-12-06 23:05:00

"""
# revision identifiers, used by Alembic.
revision = '0018_case_stats_rollup'
down_revision = '0017_case_map_index'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
