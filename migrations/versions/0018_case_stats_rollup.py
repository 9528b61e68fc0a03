"""Assessment at a year's volume: when each case was last dispatched and handled and how often
it was sent back (filled from the timelines of the cases there are), and an index that holds
every column the assessment reads, so that a city's year is counted from the index alone.

Revision ID: 0018_case_stats_rollup
Revises: 0017_case_map_index
Create Date: 2026-12-06 23:05:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_case_stats_rollup'
down_revision = '0017_case_map_index'
branch_labels = None
depends_on = None

# The assessment reads these beside the subtree (scope_path) and the period (reported_at).
CARRIED = ['status', 'deleted', 'deadline_at', 'closed_at', 'dispatched_at', 'handled_at',
           'send_backs', 'satisfaction', 'department_id', 'assignee_id', 'reporter_id']


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('send_backs', sa.Integer(), nullable=False,
                                      server_default='0'))
    _fill_from_timelines()
    # A region's cases for a period from the index alone (PostgreSQL: an index-only scan;
    # text_pattern_ops lets a LIKE 'prefix%' use it whatever the collation).
    op.create_index('ix_reports_stats', 'reports', ['scope_path', 'reported_at'],
                    postgresql_include=CARRIED,
                    postgresql_ops={'scope_path': 'text_pattern_ops'})


def _fill_from_timelines():
    reports = sa.table('reports', sa.column('id', sa.Uuid()), sa.column('timeline', sa.JSON()),
                       sa.column('dispatched_at', sa.DateTime(timezone=True)),
                       sa.column('handled_at', sa.DateTime(timezone=True)),
                       sa.column('send_backs', sa.Integer()))
    bind = op.get_bind()
    naive = bind.dialect.name == 'sqlite'  # stored as naive UTC there (UTCDateTime)
    rows = bind.execute(sa.select(reports.c.id, reports.c.timeline)).all()
    for report_id, timeline in rows:
        values = _milestones(timeline or [], naive)
        if values:
            bind.execute(sa.update(reports).where(reports.c.id == report_id).values(**values))


def _milestones(timeline, naive):
    values = {}
    for entry in timeline:
        action = entry.get('action') if entry.get('event') == 'action' else None
        at = entry.get('at')
        if action in ('dispatch', 'handle') and at:
            moment = datetime.fromisoformat(at.replace('Z', '+00:00')).astimezone(UTC)
            moment = moment.replace(tzinfo=None) if naive else moment
            values['dispatched_at' if action == 'dispatch' else 'handled_at'] = moment
        elif action == 'send_back':
            values['send_backs'] = values.get('send_backs', 0) + 1
    return values


def downgrade():
    op.drop_index('ix_reports_stats', table_name='reports')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('send_backs')
        batch_op.drop_column('handled_at')
        batch_op.drop_column('dispatched_at')
