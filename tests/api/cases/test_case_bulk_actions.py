"""批量立案 / 批量派遣: POST /api/v1/cases/actions registers or dispatches many cases at once,
all or nothing: a single refused case and nothing is written, the answer listing each refused
case and why; two overlapping requests at once on PostgreSQL: one wins, the other writes
nothing."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from tests.factories import G3, PASSWORD, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

URL = "/api/v1/cases/actions"


@pytest.fixture
def many(client, field_city, login_as):
    """Four reports by w1 in D1S1C1G1, one by w3 in the other district; headers."""
    people = SimpleNamespace(**vars(field_city), cgj=make_department())
    phone = Phone(client, "w1")
    people.ids = [phone.create("reports", report_fields()) for _ in range(4)]
    phone.push()
    other = Phone(client, "w3")
    people.elsewhere = other.create("reports", report_fields(G3))
    other.push()
    people.headers = {name: login_as(name) for name in ("w1", "boss", "root")}
    return people


def bulk(client, many, who="boss", **body):
    return client.post(URL, headers=many.headers[who], json=body)


def statuses(client, many, ids) -> list[str]:
    return [client.get(f"/api/v1/cases/{i}", headers=many.headers["root"]).get_json()["status"]
            for i in ids]


def audited(db) -> int:
    return len(db.session.scalars(select(AuditEvent.id).where(
        AuditEvent.action == "case.action")).all())


def test_a_supervisor_registers_then_dispatches_several_cases_at_once(client, many, db):
    answer = bulk(client, many, ids=many.ids[:3], action="register", note="批量立案")
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [i["id"] for i in items] == many.ids[:3]
    assert {i["status"] for i in items} == {"registered"} and "timeline" not in items[0]
    answer = bulk(client, many, ids=many.ids[:3], action="dispatch",
                  department_id=str(many.cgj.id))
    assert answer.status_code == 200, answer.get_json()
    assert {i["department_id"] for i in answer.get_json()["items"]} == {str(many.cgj.id)}
    one = client.get(f"/api/v1/cases/{many.ids[0]}", headers=many.headers["boss"]).get_json()
    assert [e.get("action") for e in one["timeline"][-2:]] == ["register", "dispatch"]
    assert one["timeline"][-2]["note"] == "批量立案"
    assert audited(db) == 6


def test_one_refused_case_and_nothing_is_written(client, many, db):
    assert bulk(client, many, ids=[many.ids[0]], action="register").status_code == 200
    before = audited(db)
    error = assert_json_error(bulk(client, many, ids=many.ids, action="register"), 409,
                              "invalid_transition")
    assert [(r["id"], r["status"], r["code"]) for r in error["refused"]] == [
        (many.ids[0], 409, "invalid_transition")]
    assert error["refused"][0]["current"] == {"status": "registered"}
    assert statuses(client, many, many.ids) == ["registered", "reported", "reported", "reported"]
    assert audited(db) == before


def test_each_refused_case_is_listed_and_the_most_basic_status_answers(client, many):
    assert bulk(client, many, ids=[many.ids[0]], action="register").status_code == 200
    unknown = str(uuid.uuid4())
    error = assert_json_error(bulk(client, many, ids=[*many.ids, many.elsewhere, unknown],
                                   action="register"), 404, "not_found")
    assert {(r["id"], r["status"]) for r in error["refused"]} == {
        (many.ids[0], 409), (many.elsewhere, 404), (unknown, 404)}
    assert statuses(client, many, many.ids[1:]) == ["reported"] * 3


def test_inputs_are_checked_for_every_case(client, many):
    bulk(client, many, ids=many.ids[:2], action="register")
    error = assert_json_error(bulk(client, many, ids=many.ids[:2], action="dispatch"), 422,
                              "dispatch_target_required")
    assert [r["id"] for r in error["refused"]] == many.ids[:2]
    error = assert_json_error(bulk(client, many, ids=many.ids[:2], action="dispatch",
                                   department_id=str(uuid.uuid4())), 422, "unknown_department")
    # A worker of another grid: refused for each case of this grid.
    error = assert_json_error(bulk(client, many, ids=many.ids[:2], action="dispatch",
                                   worker_id=str(many.w3.id)), 422, "worker_not_in_grid")
    assert len(error["refused"]) == 2
    assert_json_error(bulk(client, many, ids=many.ids[2:], action="register",
                           department_id=str(many.cgj.id)), 422, "unexpected_target")
    assert statuses(client, many, many.ids) == ["registered", "registered", "reported",
                                                "reported"]


def test_repeated_ids_count_once(client, many):
    answer = bulk(client, many, ids=[many.ids[0], many.ids[0]], action="register")
    assert answer.status_code == 200 and len(answer.get_json()["items"]) == 1


@pytest.mark.parametrize("body", [
    {"ids": [], "action": "register"},
    {"ids": [str(uuid.uuid4()) for _ in range(201)], "action": "register"},
    {"ids": ["not-a-uuid"], "action": "register"},
    {"ids": "x", "action": "register"},
    {"action": "register"},
    {"ids": [str(uuid.uuid4())], "action": "close"},
    {"ids": [str(uuid.uuid4())], "action": "merge"},
    {"ids": [str(uuid.uuid4())]},
])
def test_bad_bodies_are_422(client, many, body):
    assert_json_error(client.post(URL, headers=many.headers["boss"], json=body), 422,
                      "validation_error")


def test_two_hundred_cases_is_the_limit_and_allowed(client, many):
    ids = [*many.ids, *(str(uuid.uuid4()) for _ in range(196))]
    error = assert_json_error(bulk(client, many, ids=ids, action="register"), 404)
    assert len(error["refused"]) == 196


@pytest.mark.parametrize("who", ["w1", "root"])
def test_only_supervisors_act_on_many(client, many, who):
    assert_json_error(bulk(client, many, who, ids=many.ids, action="register"), 403)


@pytest.mark.postgresql_only
def test_two_overlapping_bulk_registers_at_once_one_wins_the_other_writes_nothing(app, many):
    make_user("boss2", roles=["supervisor"], region=many.city["D1S1"])
    token = app.test_client().post("/api/v1/auth/login", json={
        "username": "boss2", "password": PASSWORD}).get_json()["access_token"]
    first, second = many.ids[:3], many.ids[1:]
    barrier = threading.Barrier(2)
    answers = {}

    def register(name, headers, ids):
        client = app.test_client()
        barrier.wait()
        response = client.post(URL, headers=headers, json={"ids": ids, "action": "register"})
        answers[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=register, args=args) for args in (
        ("first", many.headers["boss"], first),
        ("second", {"Authorization": f"Bearer {token}"}, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in answers.values()) == [200, 409], answers
    loser = next(name for name, (status, _) in answers.items() if status == 409)
    body = answers[loser][1]["error"]
    assert body["code"] == "invalid_transition"
    assert {r["id"] for r in body["refused"]} == set(many.ids[1:3])
    # The loser's own case (not in the winner's set) is untouched.
    untouched = many.ids[3] if loser == "second" else many.ids[0]
    check = app.test_client().get(f"/api/v1/cases/{untouched}", headers=many.headers["root"])
    assert check.get_json()["status"] == "reported"
