"""Indexes for the one map: the cases in a map's view, found by position and read from the
index (PostgreSQL carries what the map's sight rule, filters and clusters read)

Revision ID: 0017_case_map_index
Revises: 0016_case_merges_and_steps
Create Date: 2026-12-06 23:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_case_map_index'
down_revision = '0016_case_merges_and_steps'
branch_labels = None
depends_on = None

# As backend/incidents/models.py MAP_CARRIED says at this revision.
CARRIED = ['reported_at', 'status', 'deadline_at', 'deleted', 'scope_path', 'reporter_id',
           'assignee_id', 'category']


def upgrade():
    op.create_index('ix_reports_map', 'reports', ['lat', 'lon'], postgresql_include=CARRIED)


def downgrade():
    op.drop_index('ix_reports_map', table_name='reports')
