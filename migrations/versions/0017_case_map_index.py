"""Indexes for the one map: the cases in a map's view (left empty when the plans need none)

Revision ID: 0017_case_map_index
Revises: 0016_case_merges_and_steps
Create Date: 2026-12-06 23:05:00

"""
# revision identifiers, used by Alembic.
revision = '0017_case_map_index'
down_revision = '0016_case_merges_and_steps'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
