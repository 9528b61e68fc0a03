"""The daily roll-up per street and city day stays what counting the cases again gives: after
any mix of what changes cases (phones' reports and moves, the API's actions, feedback,
merges, bulk actions, pins moved to another street, withdrawals), with two transactions on
one street-day at once (PostgreSQL), and whoever writes (the triggers mark plain SQL too).
"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.sql import visitors

from backend.errors import AppError
from backend.extensions import db
from backend.incidents import workflow
from backend.incidents.cases import act, act_on_many, give_feedback
from backend.incidents.models import Report
from backend.stats import models, rollup
from backend.stats.models import CaseRollupMark, case_rollup
from tests.factories import G1, G2, G3, make_department, make_user
from tests.helpers import report_fields, sessions_waiting_on_a_lock, wait_for
from tests.sync_client import Phone

_reports = Report.__table__


def snapshot() -> dict:
    rows = db.session.execute(sa.select(case_rollup)).mappings().all()
    return {(row["street_path"], row["day"]): {k: pytest.approx(v) if isinstance(v, float) else v
                                               for k, v in row.items()} for row in rows}


def assert_like_a_rebuild() -> None:
    kept = snapshot()
    assert kept, "the roll-up holds nothing"
    rollup.rebuild()
    assert snapshot() == kept


NEXT = {"reported": ("register", "merge", "bulk"), "registered": ("dispatch",),
        "dispatched": ("handle",), "handled": ("verify", "send_back"), "verified": ("close",),
        "closed": ("feedback", "feedback", "reopen")}


def test_a_random_mix_of_changes_leaves_what_a_rebuild_counts(client, field_city):
    rng = random.Random(19)
    chief = make_user("chief", roles=["supervisor"], region=field_city.city.root)
    cgj = make_department()
    staff = make_user("dept1", roles=["department"], department=cgj)
    phones = {name: Phone(client, name) for name in ("w1", "w2", "w3")}
    points = {"w1": G1, "w2": G2, "w3": G3}
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    ids, reporter_of = [], {}
    for _ in range(30):
        name = rng.choice(list(phones))
        # Days and hours that straddle the city's midnight (UTC 15:00-17:00).
        at = start + timedelta(days=rng.randrange(4), hours=rng.choice((1, 15.5, 16.2, 20)))
        case_id = phones[name].create("reports", report_fields(points[name],
                                                               reported_at=at.isoformat()))
        ids.append(uuid.UUID(case_id))
        reporter_of[ids[-1]] = name
    for phone in phones.values():
        phone.push()
    people = {"w1": field_city.w1, "w2": field_city.w2, "w3": field_city.w3}
    moves = ("register", "dispatch", "handle", "verify", "close", "send_back", "reopen",
             "cancel", "merge", "feedback", "bulk", "move_pin", "withdraw", "escalate")
    done = set()

    def waiting() -> list[uuid.UUID]:
        return list(db.session.scalars(sa.select(Report.id).where(
            Report.status == "reported", Report.deleted.is_(False)).order_by(Report.id)))

    for _ in range(300):
        case_id = rng.choice(ids)
        status = db.session.scalar(sa.select(Report.status).where(Report.id == case_id))
        # Mostly the loop's next step, so that cases get far; any move now and then.
        move = rng.choice(NEXT[status] if status in NEXT and rng.random() < 0.6 else moves)
        try:
            if move == "dispatch":
                act(chief, case_id, "dispatch", department_id=cgj.id)
            elif move == "handle":
                act(staff, case_id, "handle", note="修好了")
            elif move in ("send_back", "reopen", "cancel", "escalate"):
                act(chief, case_id, move, note="理由")
            elif move == "merge":
                act(chief, rng.choice(waiting() or [case_id]), "merge", target_id=case_id)
            elif move == "feedback":
                give_feedback(people[reporter_of[case_id]], case_id,
                              satisfaction=rng.choice(("satisfied", "unsatisfied")))
            elif move == "bulk":
                act_on_many(chief, waiting()[:3], "register")
            elif move in ("move_pin", "withdraw"):
                phone = phones[reporter_of[case_id]]
                if move == "move_pin":  # into the other district's street, or back
                    phone.update("reports", str(case_id), dict(zip(
                        ("lat", "lon"), rng.choice((G1, G2, G3)), strict=True)))
                else:
                    phone.delete("reports", str(case_id))
                phone.push()
            else:
                act(chief, case_id, move)
            done.add(move)
        except AppError:
            db.session.rollback()
    assert {"close", "merge", "feedback", "send_back", "reopen", "bulk", "move_pin",
            "withdraw"} <= done, done
    assert_like_a_rebuild()


def test_plain_sql_marks_every_column_the_roll_up_reads_and_nothing_else(client, field_city):
    phone = Phone(client, "w1")
    case_id = uuid.UUID(phone.create("reports", report_fields()))
    phone.push()
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(CaseRollupMark))
    later = datetime(2026, 3, 1, tzinfo=UTC)
    new_values = {"scope_path": field_city.city["D2S1C1G1"].path, "reported_at": later,
                  "deleted": True, "status": "registered", "deadline_at": later,
                  "closed_at": later, "dispatched_at": later, "handled_at": later,
                  "send_backs": 3, "satisfaction": "satisfied", "lat": 1.0, "lon": 2.0}
    assert set(new_values) == set(rollup.ROLLUP_INPUTS)
    for column, value in [*new_values.items(), ("note", "x"), ("timeline", [{"a": 1}])]:
        db.session.execute(sa.update(_reports).where(_reports.c.id == case_id).values(
            {column: value}))
        marks = db.session.scalar(sa.select(sa.func.count()).select_from(CaseRollupMark))
        assert marks == (0 if column in ("note", "timeline") else
                         2 if column in ("scope_path", "reported_at") else 1), column
        db.session.rollback()


def test_the_roll_up_has_a_column_per_status_of_the_loop():
    assert models.STATUSES == workflow.STATUSES


def test_the_figures_read_no_column_the_triggers_do_not_watch(db):
    read = {element.name for expression in rollup.figures()
            for element in visitors.iterate(expression)
            if isinstance(element, sa.Column) and element.table is _reports}
    assert read and read <= set(rollup.ROLLUP_INPUTS), read - set(rollup.ROLLUP_INPUTS)


def test_a_case_written_and_read_in_one_transaction_is_counted(client, login_as, field_city):
    """The city's figures within the transaction that changed a case (marks not committed
    yet) count the change: a roll-up read settles the marks first."""
    phone = Phone(client, "w1")
    case_id = uuid.UUID(phone.create("reports", report_fields(
        reported_at=datetime.now(UTC).isoformat())))
    phone.push()
    from backend.common.auth import RegionScope
    from backend.stats.services import case_figures

    db.session.execute(sa.update(_reports).where(_reports.c.id == case_id).values(
        status="cancelled"))
    figures = case_figures(RegionScope(everything=True))
    assert (figures["total"]["total"], figures["total"]["cancelled"]) == (0, 1)
    db.session.rollback()
    assert case_figures(RegionScope(everything=True))["total"]["total"] == 1


@pytest.mark.postgresql_only
def test_two_transactions_on_one_street_day_leave_it_right(app, client, field_city):
    """The first locks the street-day and counts its change, but has not committed; the
    second's count waits for that lock, then (a new statement) sees the first's change."""
    chief = make_user("chief", roles=["supervisor"], region=field_city.city.root)
    phone = Phone(client, "w1")
    now = datetime.now(UTC).isoformat()
    first, second = (uuid.UUID(phone.create("reports", report_fields(reported_at=now)))
                     for _ in range(2))
    phone.push()
    key = (rollup.street_of(field_city.city["D1S1C1G1"].path),
           rollup.city_day_of(datetime.fromisoformat(now)))
    db.session.execute(sa.update(_reports).where(_reports.c.id == first).values(
        status="registered"))
    assert rollup.settle() == 1  # locked and counted: 1 registered, not committed
    errors = []

    def register_second():
        try:
            with app.app_context():
                act(db.session.get(type(chief), chief.id), second, "register")
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    thread = threading.Thread(target=register_second)
    thread.start()
    wait_for(lambda: sessions_waiting_on_a_lock(db) >= 1, what="the second waiting")
    db.session.commit()
    thread.join(30)
    assert not errors and not thread.is_alive()
    db.session.expire_all()
    row = db.session.execute(sa.select(case_rollup).where(
        case_rollup.c.street_path == key[0], case_rollup.c.day == key[1])).mappings().one()
    assert (row["registered"], row["n_registered"], row["n_reported"]) == (2, 2, 0)
    assert_like_a_rebuild()


def test_the_rebuild_command_prints_its_progress_and_changes_nothing_twice(app, client,
                                                                         field_city):
    phone = Phone(client, "w1")
    for days in (0, 40, 70):
        phone.create("reports", report_fields(
            reported_at=(datetime.now(UTC) - timedelta(days=days)).isoformat()))
    phone.push()
    kept = snapshot()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cases", "rebuild-rollup"])
    assert result.exit_code == 0, result.output
    assert "Roll-up rebuilt: 3 street-days." in result.output
    assert result.output.count("street-days (") >= 3  # a line per month
    assert snapshot() == kept
    again = runner.invoke(args=["cases", "rebuild-rollup"])
    assert again.exit_code == 0 and snapshot() == kept
    assert "is built" in runner.invoke(args=["cases", "rebuild-rollup", "--if-needed"]).output
