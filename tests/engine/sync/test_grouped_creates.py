"""A push of several mutations applies them without a savepoint each, and inserts consecutive
creates of a batch_creates collection (track points, reports) together. Whatever that way
cannot undo alone (a row the database refuses, a rejection after a hook wrote) makes the
push start over the plain way: the other mutations apply, that one is rejected, and nothing
of it is left behind.

What the engine did is read from the statements it sent (SQLAlchemy's cursor events): one
INSERT of many rows or one INSERT per point, a ROLLBACK TO the push's savepoint when it
started over, and its up-front read of the records, once per pass."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from backend.incidents.models import CaseCounter, Report
from backend.patrol.models import TrackPoint
from backend.sync_adapter.registry import engine
from sync.errors import Rejection
from tests.helpers import count_points, length_m, report_fields, start_patrol, walk
from tests.sync_client import Phone


class StatementLog:
    """The statements the app's database engine sends, as (SQL, rows): rows is the number
    of parameter sets of an executemany, else 1."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, int]] = []

    def seen(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        self.statements.append((" ".join(statement.split()), len(parameters) if executemany else 1))

    def inserts(self, table: str) -> list[int]:
        """Rows of each INSERT into this table, in order."""
        return [rows for sql, rows in self.statements if sql.startswith(f"INSERT INTO {table} ")]

    def reads_by_id(self, table: str) -> int:
        """The engine's up-front reads of this table's records by id (one per pass of a push),
        in id order (the change log's read-back of what the push wrote is not one)."""
        return sum(1 for sql, _ in self.statements
                   if sql.startswith("SELECT") and f"FROM {table} WHERE {table}.id IN (" in sql
                   and f"ORDER BY {table}.id" in sql)

    def start_overs(self) -> int:
        return sum(1 for sql, _ in self.statements if re.match(r"ROLLBACK TO SAVEPOINT sync_push\b", sql))


@pytest.fixture
def sent(db):
    """The statements sent from now on; .statements.clear() to start again."""
    log = StatementLog()
    sa.event.listen(db.engine, "before_cursor_execute", log.seen)
    yield log
    sa.event.remove(db.engine, "before_cursor_execute", log.seen)


def point(patrol: str, fix: dict) -> dict:
    return {"patrol_id": patrol, **fix}


def statuses(results: list[dict]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("error", {}).get("code")) for r in results]


def test_a_run_of_points_is_one_insert_of_all_of_them(client, field_city, db, sent):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(6)
    for fix in fixes:
        phone.create("track_points", point(patrol, fix))
    sent.statements.clear()
    results = phone.push()["results"]
    assert statuses(results) == [("applied", None)] * 7
    assert sent.inserts("track_points") == [6]  # one executemany, not six INSERTs
    assert sent.inserts("patrols") == [1]
    assert (sent.reads_by_id("track_points"), sent.start_overs()) == (1, 0)
    assert count_points(db, patrol) == 6
    phone.pull()
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(fixes), rel=1e-3)


def test_points_of_different_pushes_are_inserted_apart(client, field_city, db, sent):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    phone.push()
    fixes = walk(4)
    for fix in fixes[:2]:
        phone.create("track_points", point(patrol, fix))
    phone.push()
    for fix in fixes[2:]:
        phone.create("track_points", point(patrol, fix))
    phone.push()
    assert sent.inserts("track_points") == [2, 2]
    assert count_points(db, patrol) == 4


@pytest.mark.postgresql_only
def test_a_point_another_push_inserted_meanwhile_is_rejected_and_the_others_apply(
        app, client, field_city, db, sent):
    """Another transaction commits the point's id between the push's up-front read and its
    INSERT of the run: the database refuses the run, and the push starts over the plain
    way. (On SQLite a push holds the write lock from its first statement, so no other
    writer gets in between.)"""
    fixes = walk(6)
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    taken = phone.create("track_points", point(patrol, fixes[0]))
    phone.push()
    # The stored point is taken out, to be put back by "another push" at the worst moment.
    table = TrackPoint.__table__
    with db.engine.begin() as conn:
        stored = dict(conn.execute(sa.select(table).where(table.c.id == uuid.UUID(taken))).mappings().one())
        conn.execute(sa.delete(table).where(table.c.id == uuid.UUID(taken)))
    put_back = []
    # Another server process: its own engine, so that its statements are not the push's.
    elsewhere = sa.create_engine(db.engine.url.render_as_string(hide_password=False))

    def insert_it_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if not put_back and statement.lstrip().startswith("SELECT") and "track_points.id IN (" in statement:
            put_back.append(True)
            with elsewhere.begin() as other:
                other.execute(sa.insert(table), stored)

    sa.event.listen(db.engine, "after_cursor_execute", insert_it_meanwhile)
    try:
        ids = [phone.create("track_points", point(patrol, fixes[1])),
               phone.create("track_points", point(patrol, fixes[2])),
               phone.create("track_points", point(patrol, fixes[3]), record_id=taken),
               phone.create("track_points", point(patrol, fixes[4])),
               phone.create("track_points", point(patrol, fixes[5]))]
        sent.statements.clear()
        body = phone.push()
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", insert_it_meanwhile)
        elsewhere.dispose()
    assert put_back
    assert body["last_mid"] == 7
    assert statuses(body["results"]) == [("applied", None)] * 2 + [("rejected", "id_taken")] + [
        ("applied", None)] * 2
    # The run of five was refused whole; the plain way then inserted the four one by one.
    assert sent.inserts("track_points") == [5, 1, 1, 1, 1]
    assert (sent.reads_by_id("track_points"), sent.start_overs()) == (2, 1)
    assert count_points(db, patrol) == 5
    kept = db.session.execute(sa.select(table.c.lat, table.c.lon).where(
        table.c.id == uuid.UUID(taken))).one()
    assert (kept.lat, kept.lon) == (fixes[0]["lat"], fixes[0]["lon"])
    phone.pull()
    assert set(phone.held("track_points")) == set(ids)  # ids[2] is taken
    # The refused point left nothing behind, not even in the patrol's distance.
    kept_fixes = [fixes[0], fixes[1], fixes[2], fixes[4], fixes[5]]
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(kept_fixes), rel=1e-3)


def test_a_point_rejected_after_its_hook_only_read_needs_no_start_over(client, field_city, db,
                                                                        sent):
    other = Phone(client, "w2")
    theirs = start_patrol(other)
    other.push()
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(5)
    for i, fix in enumerate(fixes):
        # The middle point names w2's patrol: found (and locked) by a read, then refused.
        phone.create("track_points", point(theirs if i == 2 else patrol, fix))
    sent.statements.clear()
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 3 + [
        ("rejected", "unknown_patrol")] + [("applied", None)] * 2
    # A read leaves nothing to undo: the group goes on, the four points in one INSERT.
    assert (sent.reads_by_id("track_points"), sent.start_overs()) == (1, 0)
    assert sent.inserts("track_points") == [4]
    assert count_points(db, patrol) == 4 and count_points(db, theirs) == 0
    phone.pull()
    kept = [fixes[0], fixes[1], fixes[3], fixes[4]]
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(kept), rel=1e-3)


def test_a_mutation_rejected_after_its_hook_wrote_starts_over_and_leaves_nothing(
        client, field_city, db, sent, monkeypatch):
    reports = engine().registry.get("reports")
    prepare = reports.prepare_create

    def writes_then_refuses(ctx, values):
        extra = prepare(ctx, values)
        if values["description"] == "refuse me":
            ctx.conn.execute(sa.insert(CaseCounter.__table__).values(prefix="written", last=1))
            raise Rejection("refused", "Refused after writing.")
        return extra

    monkeypatch.setattr(reports, "prepare_create", writes_then_refuses)
    phone = Phone(client, "w1")
    for description in ("first", "refuse me", "third"):
        phone.create("reports", report_fields(description=description))
    sent.statements.clear()
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None), ("rejected", "refused"),
                                         ("applied", None)]
    # The group was undone whole and done again the plain way, a savepoint per mutation.
    assert sent.start_overs() == 1
    assert _codes(body["results"]) == [1, 2]
    db.session.rollback()
    assert db.session.scalar(sa.select(CaseCounter.last).where(
        CaseCounter.prefix == "written")) is None
    assert len(db.session.scalars(sa.select(Report.code)).all()) == 2


def test_a_point_rejected_before_any_sql_needs_no_start_over(client, field_city, db, sent):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(5)
    for i, fix in enumerate(fixes):
        phone.create("track_points", point(patrol, {**fix, "lat": 123.0} if i == 2 else fix))
    sent.statements.clear()
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 3 + [
        ("rejected", "invalid_fields")] + [("applied", None)] * 2
    assert (sent.reads_by_id("track_points"), sent.start_overs()) == (1, 0)
    assert sent.inserts("track_points") == [4]
    assert count_points(db, patrol) == 4


def test_the_same_point_twice_in_a_group_is_created_once(client, field_city, db, sent):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(4)
    first = phone.create("track_points", point(patrol, fixes[0]))
    phone.create("track_points", point(patrol, fixes[1]))
    phone.create("track_points", point(patrol, fixes[0]), record_id=first)  # a retry: no change
    phone.create("track_points", point(patrol, fixes[2]), record_id=first)  # another point
    phone.create("track_points", point(patrol, fixes[3]))
    sent.statements.clear()
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 4 + [
        ("rejected", "id_taken"), ("applied", None)]
    assert [r.get("version") for r in body["results"][1:5]] == [1, 1, 1, None]
    assert (sent.reads_by_id("track_points"), sent.start_overs()) == (1, 0)
    # The retry is of a point still waiting in the group: the two before it are inserted
    # first, so that it reads what is stored; the last point goes in on its own.
    assert sent.inserts("track_points") == [2, 1]
    assert count_points(db, patrol) == 3


def _codes(results: list[dict]) -> list[int]:
    return [int(r["record"]["code"][-4:]) for r in results if r["collection"] == "reports"
            and r["status"] == "applied" and "code" in r["record"]]


def test_a_push_numbers_its_new_cases_in_order_and_the_next_push_goes_on(client, field_city,
                                                                          db, sent):
    phone = Phone(client, "w1")
    first = phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    phone.update("reports", first, {"description": "更正"})  # the plain way, between groups
    phone.create("reports", report_fields(), record_id=first)  # its id again: rejected
    phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    sent.statements.clear()
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 3 + [
        ("rejected", "id_taken"), ("applied", None), ("applied", None)]
    creates = [r for r in body["results"] if r["status"] == "applied" and r["version"] == 1]
    assert _codes(creates) == [1, 2, 3, 4]
    # The counter is taken once and written once, not once per report.
    assert sum(1 for sql, _ in sent.statements if sql.startswith("UPDATE case_counters")) == 2
    phone.create("reports", report_fields())
    assert _codes(phone.push()["results"]) == [5]
    stored = db.session.scalars(sa.select(Report.code).order_by(Report.code)).all()
    assert [int(code[-4:]) for code in stored] == [1, 2, 3, 4, 5]


def test_a_new_case_rejected_in_a_group_takes_no_number(client, field_city, db, sent):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.create("reports", report_fields(category="no.such.category"))  # a read, then refused
    phone.create("reports", report_fields())
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None), ("rejected", "unknown_category"),
                                         ("applied", None)]
    assert _codes(body["results"]) == [1, 2]
    db.session.rollback()
    stored = db.session.scalars(sa.select(Report.code).order_by(Report.code)).all()
    assert [int(code[-4:]) for code in stored] == [1, 2]
