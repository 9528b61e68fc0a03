"""The daily roll-up (日汇总) per street and city day, kept exact in the transaction of every
change of a case, and what the assessment and the one map read from it.

**What it holds** (models.py): per street and city day of report, the clock-free figures of
the assessment's region rows — counted by the very expressions the live query uses
(services._Facts.clock_free_region) — and, for the map, each status's count and sums of
latitude and longitude. `overdue` (open and past its deadline *now*) moves with the clock: the
readers count it live from the open cases (the status-and-deadline index) and add it in.

**How it stays exact.** Triggers on `reports` (migration 0019) leave a mark of the street and
day a row was at before and after any write that touches a column the roll-up reads
(ROLLUP_INPUTS), whoever writes: sync, the API's actions, feedback, merges, bulk actions,
jobs, the demo loader, plain SQL. Before the session commits (and before a roll-up read in a
transaction that wrote), `settle` turns the marks into street-days and counts each again
from `reports`: the roll-up row is locked first (an upsert), then counted in a new statement,
which on PostgreSQL's READ COMMITTED sees whatever committed while it waited — so two
transactions changing the same street-day one after the other leave it right. Street-days
are locked in order, so they do not deadlock.

**Rebuilding.** `flask cases rebuild-rollup` (rebuild()) counts everything again in one
transaction, the table locked against concurrent upkeep; a database that had cases before
the roll-up existed is read live until it has been built once (case_rollup_state).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.common.time import city_day_bounds, city_zone, utcnow
from backend.extensions import db
from backend.incidents.models import Report
from backend.stats.models import (
    ROLLUP_COUNTS,
    ROLLUP_SUMS,
    SEGMENT,
    STATUSES,
    CaseRollupMark,
    CaseRollupState,
    case_rollup,
)

_reports = Report.__table__
_marks = CaseRollupMark.__table__
_state = CaseRollupState.__table__

# A street is the third level (city → district → street): its path is three segments long.
STREET_PATH_LENGTH = 1 + 3 * SEGMENT
# The columns of reports the roll-up's figures read: the triggers mark a row's street-day
# when one of them changes (a test checks the figures read nothing else).
ROLLUP_INPUTS = ("scope_path", "reported_at", "deleted", "status", "deadline_at", "closed_at",
                 "dispatched_at", "handled_at", "send_backs", "satisfaction", "lat", "lon")
FIGURES = (*ROLLUP_COUNTS, *ROLLUP_SUMS,
           *(f"{part}_{status}" for status in STATUSES for part in ("n", "lat", "lon")))
# Street-days counted again per statement (an OR of this many ranges of the stats index).
CHUNK = 200
# The marks read and forgotten per statement.
MARK_BATCH = 5000

Key = tuple[str, date]


def street_of(path: str | None) -> str:
    return (path or "")[:STREET_PATH_LENGTH]


def city_day_of(moment: datetime) -> date:
    return moment.astimezone(city_zone()).date()


def street_key(column):
    return sa.func.substr(column, 1, STREET_PATH_LENGTH)


def figures() -> list:
    """What one roll-up row holds, over the case rows: the assessment's clock-free region
    figures (their one definition) and the map's per-status count and position sums."""
    from backend.stats import services  # which imports this module

    c = _reports.c
    per_status = []
    for status in STATUSES:
        mine = c.status == status
        per_status += [services._count(mine).label(f"n_{status}"),
                       sa.func.sum(c.lat).filter(mine).label(f"lat_{status}"),
                       sa.func.sum(c.lon).filter(mine).label(f"lon_{status}")]
    return [*services._Facts(utcnow()).clock_free_region(), *per_status]


def _counted(where: list) -> dict[Key, dict]:
    """Roll-up rows counted from the cases (not deleted) that `where` picks, by street-day."""
    from backend.stats import services

    street, day = street_key(_reports.c.scope_path), services._city_day(_reports.c.reported_at)
    query = (sa.select(street.label("street"), day.label("day"), *figures())
             .where(_reports.c.deleted.is_(False), _reports.c.scope_path.is_not(None), *where)
             .group_by(street, day))
    found = {}
    for row in db.session.execute(query).mappings():
        when = row["day"] if isinstance(row["day"], date) else date.fromisoformat(row["day"])
        found[(row["street"], when)] = {name: _number(row[name]) for name in FIGURES}
    return found


def _number(value):
    if value is None:
        return 0
    return value if isinstance(value, int) else float(value)


# --- upkeep ------------------------------------------------------------------------------

def refresh(keys: Iterable[Key]) -> None:
    """Count these street-days again from the cases, in the session's transaction: each row
    locked (made if new) before it is counted, in key order."""
    ordered = sorted({key for key in keys if key[0]})
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        _lock(chunk)
        # A new statement: on PostgreSQL it sees every change that committed while the
        # lock was awaited.
        found = _counted([sa.or_(*(sa.and_(
            _reports.c.scope_path.startswith(street, autoescape=True),
            _reports.c.reported_at >= city_day_bounds(day)[0],
            _reports.c.reported_at < city_day_bounds(day)[1]) for street, day in chunk))])
        present = [{"k_street": street, "k_day": day, **found[(street, day)]}
                   for street, day in chunk if (street, day) in found]
        gone = [{"k_street": street, "k_day": day}
                for street, day in chunk if (street, day) not in found]
        t = case_rollup.c
        match = sa.and_(t.street_path == sa.bindparam("k_street"), t.day == sa.bindparam("k_day"))
        if present:
            db.session.execute(sa.update(case_rollup).where(match).values(
                {name: sa.bindparam(name) for name in FIGURES}), present)
        if gone:
            db.session.execute(sa.delete(case_rollup).where(match), gone)


def _lock(keys: list[Key]) -> None:
    """Lock these roll-up rows, making the missing ones (zeros until counted)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(case_rollup)
    rows = [{"street_path": street, "day": day, **dict.fromkeys(FIGURES, 0)}
            for street, day in keys]
    # DO UPDATE (not DO NOTHING): it takes the existing row's lock.
    db.session.execute(insert.values(rows).on_conflict_do_update(
        index_elements=["street_path", "day"],
        set_={"street_path": insert.excluded.street_path}))


def settle() -> int:
    """Count again every street-day the marks visible to this transaction name, and forget
    those marks; returns how many street-days were counted."""
    session = db.session
    if session.info.get(_DEFERRED) or not _installed():
        return 0
    counted = 0
    while True:
        marks = session.execute(sa.select(_marks.c.id, _marks.c.scope_path, _marks.c.reported_at)
                                .order_by(_marks.c.id).limit(MARK_BATCH)).all()
        if not marks:
            return counted
        # Forgotten by id: a mark committed meanwhile by someone else is theirs to settle.
        session.execute(sa.delete(_marks).where(_marks.c.id.in_([m.id for m in marks])))
        keys = {(street_of(m.scope_path), city_day_of(m.reported_at))
                for m in marks if m.scope_path and m.reported_at}
        refresh(keys)
        counted += len(keys)


_DEFERRED = "civicgrid.rollup_deferred"


@contextmanager
def deferred() -> Iterator[None]:
    """Leave the marks of a bulk load for rebuild() (a bench's year of cases at once)."""
    db.session.info[_DEFERRED] = True
    try:
        yield
    finally:
        db.session.info.pop(_DEFERRED, None)


_INSTALLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _installed() -> bool:
    """Has this database the roll-up (migration 0019)? Remembered once it has."""
    engine = db.session.get_bind()
    if _INSTALLED.get(engine):
        return True
    found = sa.inspect(db.session.connection()).has_table(_marks.name)
    if found:
        _INSTALLED[engine] = True
    return found


def _before_commit(session: Session) -> None:
    # Only the app's own session (db.session), whose transaction this is.
    if session is db.session():
        session.flush()
        settle()


def init_app() -> None:
    """Settle the marks in every transaction of the app's session before it commits."""
    if not sa.event.contains(db.session, "before_commit", _before_commit):
        sa.event.listen(db.session, "before_commit", _before_commit)


# --- rebuilding ----------------------------------------------------------------------------

def rebuild(echo: Callable[[str], None] = lambda _: None) -> int:
    """Count the whole roll-up again from the cases, month by month, in one transaction
    (idempotent); returns the number of street-days. Concurrent upkeep waits for it."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Upkeep's upserts wait until this commits, then count again what they changed.
        session.execute(sa.text("LOCK TABLE case_rollup IN EXCLUSIVE MODE"))
    session.execute(sa.delete(case_rollup))
    session.execute(sa.delete(_marks))
    first, last = session.execute(sa.select(
        sa.func.min(_reports.c.reported_at), sa.func.max(_reports.c.reported_at)).where(
        _reports.c.deleted.is_(False))).one()
    rows = 0
    if first is not None:
        month = city_day_of(first).replace(day=1)
        end = city_day_of(last)
        while month <= end:
            following = (month + timedelta(days=31)).replace(day=1)
            found = _counted([_reports.c.reported_at >= city_day_bounds(month)[0],
                              _reports.c.reported_at < city_day_bounds(following)[0]])
            if found:
                session.execute(sa.insert(case_rollup), [
                    {"street_path": street, "day": day, **values}
                    for (street, day), values in found.items()])
            rows += len(found)
            echo(f"{month:%Y-%m}: {len(found):,} street-days ({rows:,} so far)")
            month = following
    if not session.execute(sa.update(_state).where(_state.c.id == 1).values(
            built_at=utcnow())).rowcount:
        session.execute(sa.insert(_state).values(id=1, built_at=utcnow()))
    session.commit()
    return rows


def is_built() -> bool:
    """Built, unless the migration found cases and left word that it needs building (a
    database emptied whole, as tests do, has nothing to count)."""
    return db.session.scalar(sa.select(_state.c.id).where(_state.c.built_at.is_(None))) is None


def serves(path_length: int) -> bool:
    """Can the roll-up count cases by region paths this long (the city's, a district's or a
    street's: whole streets), and has it been built?"""
    return path_length <= STREET_PATH_LENGTH and is_built()


def rows_of(where: list, key, columns: list) -> dict:
    """Roll-up rows added up by `key` (a SQL expression over case_rollup): {key: {figure}}."""
    query = (sa.select(key.label("key"), *(sa.func.sum(case_rollup.c[name]).label(name)
                                           for name in columns))
             .where(*where).group_by(key))
    return {row.key: {name: _number(row._mapping[name]) for name in columns}
            for row in db.session.execute(query)}


def in_days(path: str, start: date | None, end: date | None) -> list:
    """case_rollup's rows under a region path and within city days (either end open)."""
    t = case_rollup.c
    where = [t.street_path.startswith(path, autoescape=True)]
    if start:
        where.append(t.day >= start)
    if end:
        where.append(t.day <= end)
    return where
