"""The assessment's daily roll-up: the clock-free figures of each street's cases per city day
(case_rollup), the marks a change of a case leaves for it (case_rollup_marks, written by
triggers on reports, on both databases), and when it was last built whole.

A database that holds cases already is read live until `flask cases rebuild-rollup` builds
it (the figures are defined in the app's code, not copied here).

Revision ID: 0019_case_rollup
Revises: 0018_case_stats_rollup
Create Date: 2026-12-07 23:30:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_case_rollup'
down_revision = '0018_case_stats_rollup'
branch_labels = None
depends_on = None

# As backend/stats/models.py and backend/incidents/workflow.py say at this revision.
COUNTS = ['total', 'registered', 'dispatched', 'handled', 'closed', 'closed_on_spot', 'open',
          'closed_on_time', 'closed_late', 'sent_back', 'satisfied', 'unsatisfied', 'cancelled',
          'merged']
STATUSES = ['reported', 'registered', 'dispatched', 'handled', 'verified', 'closed',
            'cancelled', 'merged']
# The columns of reports the roll-up reads (backend/stats/rollup.py ROLLUP_INPUTS): a change
# of any of them marks the case's street and day, before and after.
INPUTS = ['scope_path', 'reported_at', 'deleted', 'status', 'deadline_at', 'closed_at',
          'dispatched_at', 'handled_at', 'send_backs', 'satisfaction', 'lat', 'lon']


def upgrade():
    columns = [sa.Column('street_path', sa.String(length=200), nullable=False),
               sa.Column('day', sa.Date(), nullable=False)]
    columns += [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]
    columns += [sa.Column('closed_hours', sa.Float(), nullable=False)]
    for status in STATUSES:
        columns += [sa.Column(f'n_{status}', sa.Integer(), nullable=False),
                    sa.Column(f'lat_{status}', sa.Float(), nullable=False),
                    sa.Column(f'lon_{status}', sa.Float(), nullable=False)]
    op.create_table('case_rollup', *columns,
                    sa.PrimaryKeyConstraint('street_path', 'day', name=op.f('pk_case_rollup')))
    op.create_table('case_rollup_marks',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              autoincrement=True, nullable=False),
                    sa.Column('scope_path', sa.String(length=200), nullable=True),
                    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_rollup_marks')))
    op.create_table('case_rollup_state',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_rollup_state')))
    bind = op.get_bind()
    # Nothing to count yet: built. Cases already there: read live until rebuilt.
    empty = bind.execute(sa.text('SELECT 1 FROM reports LIMIT 1')).first() is None
    built_at = datetime.now(UTC) if empty else None
    if built_at and bind.dialect.name == 'sqlite':
        built_at = built_at.replace(tzinfo=None)  # naive UTC there (UTCDateTime)
    state = sa.table('case_rollup_state', sa.column('id', sa.Integer()),
                     sa.column('built_at', sa.DateTime(timezone=True)))
    op.execute(state.insert().values(id=1, built_at=built_at))
    if bind.dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers():
    changed = ' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in INPUTS)
    op.execute("""
        CREATE FUNCTION case_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO case_rollup_marks (scope_path, reported_at)
                VALUES (OLD.scope_path, OLD.reported_at);
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (
                    NEW.scope_path IS DISTINCT FROM OLD.scope_path
                    OR NEW.reported_at IS DISTINCT FROM OLD.reported_at)) THEN
                INSERT INTO case_rollup_marks (scope_path, reported_at)
                VALUES (NEW.scope_path, NEW.reported_at);
            END IF;
            RETURN NULL;
        END $$""")
    op.execute('CREATE TRIGGER reports_rollup_insert AFTER INSERT ON reports '
               'FOR EACH ROW EXECUTE FUNCTION case_rollup_mark()')
    op.execute(f'CREATE TRIGGER reports_rollup_update AFTER UPDATE ON reports '
               f'FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION case_rollup_mark()')
    op.execute('CREATE TRIGGER reports_rollup_delete AFTER DELETE ON reports '
               'FOR EACH ROW EXECUTE FUNCTION case_rollup_mark()')


def _sqlite_triggers():
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in INPUTS)
    mark = 'INSERT INTO case_rollup_marks (scope_path, reported_at)'
    op.execute(f'CREATE TRIGGER reports_rollup_insert AFTER INSERT ON reports BEGIN '
               f'{mark} VALUES (NEW.scope_path, NEW.reported_at); END')
    op.execute(f'CREATE TRIGGER reports_rollup_update AFTER UPDATE ON reports WHEN {changed} '
               f'BEGIN {mark} VALUES (OLD.scope_path, OLD.reported_at); '
               f'{mark} SELECT NEW.scope_path, NEW.reported_at WHERE '
               f'NEW.scope_path IS NOT OLD.scope_path OR NEW.reported_at IS NOT OLD.reported_at; '
               f'END')
    op.execute(f'CREATE TRIGGER reports_rollup_delete AFTER DELETE ON reports BEGIN '
               f'{mark} VALUES (OLD.scope_path, OLD.reported_at); END')


def downgrade():
    for name in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS reports_rollup_{name}'
                   + (' ON reports' if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS case_rollup_mark()')
    op.drop_table('case_rollup_state')
    op.drop_table('case_rollup_marks')
    op.drop_table('case_rollup')
