"""Cases through the API: the loop 上报 → 立案 → 派遣 → 处置 → 核查 → 结案 taken by the right
people, each action a timeline entry, refusals with the right status; the role table, action
by action and party by party; two supervisors at once on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.audit.models import AuditEvent
from backend.incidents.models import Category, Report
from backend.incidents.workflow import ACTIONS
from tests.factories import PASSWORD, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone
from tests.sync_entries import stored_as_if_so

PHOTO = "ab" * 32


@pytest.fixture
def loop(client, field_city, login_as):
    """A report by w1 in D1S1C1G1, the people around it, and their headers."""
    from types import SimpleNamespace

    city = field_city.city
    cgj, zjj = make_department("CGJ", "城管局"), make_department("ZJJ", "住建局")
    people = SimpleNamespace(
        **vars(field_city), cgj=cgj, zjj=zjj,
        dept=make_user("dept1", roles=["department"], department=cgj),
        other_dept=make_user("dept2", roles=["department"], department=zjj),
        district=make_user("district1", roles=["supervisor"], region=city["D1"]),
        other_street=make_user("street2", roles=["supervisor"], region=city["D1S2"]),
        citizen=make_user("citizen9"))
    phone = Phone(client, "w1")
    people.case_id = phone.create("reports", report_fields())
    phone.push()
    people.headers = {name: login_as(getattr(people, name)) for name in (
        "w1", "w2", "w3", "boss", "admin", "dept", "other_dept", "district", "other_street",
        "citizen")}
    return people


def act(client, loop, who: str, action: str, **fields):
    return client.post(f"/api/v1/cases/{loop.case_id}/actions", headers=loop.headers[who],
                       json={"action": action, **fields})


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_street_loop_register_dispatch_handle_verify_close(client, loop, db):
    case = ok(act(client, loop, "boss", "register"))
    assert case["status"] == "registered" and case["actions"] == ["cancel", "dispatch", "escalate"]
    case = ok(act(client, loop, "boss", "dispatch", department_id=str(loop.cgj.id)))
    assert case["status"] == "dispatched" and case["department_id"] == str(loop.cgj.id)
    # The department sees it, with the one thing it may do.
    seen = client.get(f"/api/v1/cases/{loop.case_id}", headers=loop.headers["dept"]).get_json()
    assert seen["actions"] == ["handle"]
    error = assert_json_error(act(client, loop, "dept", "handle"), 422, "note_required")
    assert "note" in error["fields"]
    case = ok(act(client, loop, "dept", "handle", note="已修复路面", photos=[PHOTO],
                  lat=35.03, lon=118.33))
    assert case["status"] == "handled" and case["after_photos"] == [PHOTO]
    case = ok(act(client, loop, "boss", "verify"))
    case = ok(act(client, loop, "boss", "close"))
    assert case["status"] == "closed" and case["closed_at"] and case["actions"] == ["reopen"]
    steps = [(e["action"], e["from"], e["status"], e["role"]) for e in case["timeline"][2:]]
    assert steps == [("register", "reported", "registered", "supervisor"),
                     ("dispatch", "registered", "dispatched", "supervisor"),
                     ("handle", "dispatched", "handled", "handler"),
                     ("verify", "handled", "verified", "supervisor"),
                     ("close", "verified", "closed", "supervisor")]
    handled = case["timeline"][4]
    assert handled["by"] == str(loop.dept.id) and handled["note"] == "已修复路面"
    assert handled["photos"] == [PHOTO] and (handled["lat"], handled["lon"]) == (35.03, 118.33)
    # Every action is audited, and the reporter's phone gets the closed case.
    audited = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "case.action")).all()
    assert [d["action"] for d in audited] == ["register", "dispatch", "handle", "verify", "close"]
    phone = Phone(client, "w1")
    phone.pull()
    assert phone.held("reports")[loop.case_id]["status"] == "closed"


def test_the_grid_loop_closes_on_the_spot_with_an_after_photo(client, loop):
    assert_json_error(act(client, loop, "w1", "close_on_spot"), 422, "photos_required")
    assert_json_error(act(client, loop, "w2", "close_on_spot", photos=[PHOTO]), 404)
    case = ok(act(client, loop, "w1", "close_on_spot", photos=[PHOTO], note="已清理"))
    assert case["status"] == "closed" and case["after_photos"] == [PHOTO]


def test_a_case_dispatched_back_to_a_grid_worker_is_theirs_to_handle(client, loop):
    ok(act(client, loop, "boss", "register"))
    assert_json_error(act(client, loop, "boss", "dispatch", worker_id=str(loop.w3.id)), 422,
                      "worker_not_in_grid")
    assert_json_error(act(client, loop, "boss", "dispatch"), 422, "dispatch_target_required")
    ok(act(client, loop, "boss", "dispatch", worker_id=str(loop.w1.id)))
    assert_json_error(act(client, loop, "dept", "handle", note="x"), 404)  # not theirs to see
    case = ok(act(client, loop, "w1", "handle", note="已处理"))
    assert case["status"] == "handled" and case["assignee_id"] == str(loop.w1.id)


def test_a_failed_verification_sends_the_case_back_with_the_reason(client, loop):
    ok(act(client, loop, "boss", "register"))
    ok(act(client, loop, "boss", "dispatch", department_id=str(loop.cgj.id)))
    ok(act(client, loop, "dept", "handle", note="处理了"))
    assert_json_error(act(client, loop, "boss", "send_back"), 422, "note_required")
    case = ok(act(client, loop, "boss", "send_back", note="坑没有填平"))
    assert case["status"] == "dispatched" and case["department_id"] == str(loop.cgj.id)
    assert case["timeline"][-1]["note"] == "坑没有填平"
    assert ok(act(client, loop, "dept", "handle", note="重新填平"))["status"] == "handled"


def test_escalation_hands_the_case_to_the_district(client, loop):
    ok(act(client, loop, "boss", "register"))
    assert_json_error(act(client, loop, "boss", "escalate"), 422, "note_required")
    case = ok(act(client, loop, "boss", "escalate", note="涉及多个街道，街道无法协调"))
    assert case["tier"] == "district" and case["status"] == "registered"
    # The street now only watches; the district acts.
    assert client.get(f"/api/v1/cases/{loop.case_id}",
                      headers=loop.headers["boss"]).get_json()["actions"] == []
    assert_json_error(act(client, loop, "boss", "dispatch", department_id=str(loop.cgj.id)),
                      403, "forbidden_action")
    assert_json_error(act(client, loop, "district", "escalate", note="again"), 409,
                      "invalid_transition")
    ok(act(client, loop, "district", "dispatch", department_id=str(loop.zjj.id)))
    assert ok(act(client, loop, "other_dept", "handle", note="done"))["status"] == "handled"


def test_a_closed_case_reopens_within_the_window_only(app, client, loop, db):
    ok(act(client, loop, "w1", "close_on_spot", photos=[PHOTO]))
    assert_json_error(act(client, loop, "boss", "reopen"), 422, "note_required")
    assert ok(act(client, loop, "boss", "reopen", note="居民反映又出现了"))["status"] == "registered"
    ok(act(client, loop, "boss", "dispatch", worker_id=str(loop.w1.id)))
    ok(act(client, loop, "w1", "handle", note="x"))
    ok(act(client, loop, "boss", "verify"))
    ok(act(client, loop, "boss", "close"))
    report = db.session.get(Report, uuid.UUID(loop.case_id))
    report.closed_at -= timedelta(hours=app.config["CASE_REOPEN_WINDOW_H"] + 1)
    stored_as_if_so(db, "reports", report.id)
    assert_json_error(act(client, loop, "boss", "reopen", note="too late"), 409, "reopen_expired")


def test_refusals_say_why_with_the_right_status(client, loop):
    error = assert_json_error(act(client, loop, "boss", "verify"), 409, "invalid_transition")
    assert error["current"] == {"status": "reported"}
    assert_json_error(act(client, loop, "w1", "register"), 403, "forbidden_action")
    assert_json_error(act(client, loop, "admin", "register"), 403, "forbidden_action")
    assert_json_error(act(client, loop, "other_street", "register"), 404)
    assert_json_error(act(client, loop, "citizen", "register"), 404)
    assert_json_error(act(client, loop, "boss", "teleport"), 422, "validation_error")
    assert_json_error(act(client, loop, "boss", "register", department_id=str(loop.cgj.id)),
                      422, "unexpected_target")
    assert_json_error(client.post("/api/v1/cases/00000000-0000-0000-0000-000000000001/actions",
                                  headers=loop.headers["boss"], json={"action": "register"}), 404)


def test_a_category_that_asks_for_after_photos_gets_them_from_the_handler(client, loop, db):
    db.session.execute(update(Category).values(after_photo_required=True))
    db.session.commit()
    ok(act(client, loop, "boss", "register"))
    ok(act(client, loop, "boss", "dispatch", department_id=str(loop.cgj.id)))
    assert_json_error(act(client, loop, "dept", "handle", note="x"), 422, "photos_required")
    assert ok(act(client, loop, "dept", "handle", note="x", photos=[PHOTO]))["status"] == "handled"


# Who may take each action, on a case in the state the action starts from: 200 for those the
# table names, 403 for those who see the case but may not, 404 for those who cannot see it
# (w2 works the next grid; street2 the next street; dept2 was not dispatched to).
ROLE_TABLE = """
                 w1   w2   boss district street2 dept dept2 admin citizen
register         403  404  200  200      404     404  404   403   404
cancel           200  404  200  200      404     404  404   403   404
merge            403  404  200  200      404     404  404   403   404
close_on_spot    200  404  403  403      404     404  404   403   404
dispatch         403  404  200  200      404     404  404   403   404
escalate         403  404  200  200      404     404  404   403   404
handle           403  404  403  403      404     200  404   403   404
verify           403  404  200  200      404     403  404   403   404
send_back        403  404  200  200      404     403  404   403   404
close            403  404  200  200      404     403  404   403   404
reopen           403  404  200  200      404     403  404   403   404
"""
WHO = {"w1": "w1", "w2": "w2", "boss": "boss", "district": "district", "street2": "other_street",
       "dept": "dept", "dept2": "other_dept", "admin": "admin", "citizen": "citizen"}
# How to bring the case to the state each action starts from, and what it needs.
SETUP = {"register": [], "cancel": [], "close_on_spot": [], "merge": [], "dispatch": ["register"],
         "escalate": ["register"], "handle": ["register", "dispatch"],
         "verify": ["register", "dispatch", "handle"],
         "send_back": ["register", "dispatch", "handle"],
         "close": ["register", "dispatch", "handle", "verify"],
         "reopen": ["register", "dispatch", "handle", "verify", "close"]}


def _inputs(action: str, loop) -> dict:
    return {"note": "理由", "photos": [PHOTO],
            **({"department_id": str(loop.cgj.id)} if action == "dispatch" else {}),
            **({"target_id": loop.merge_target} if action == "merge" else {})}


def test_the_role_table_action_by_action_and_party_by_party(client, loop, db):
    rows = [line.split() for line in ROLE_TABLE.strip().splitlines()]
    parties, wrong = rows[0], []
    assert {row[0] for row in rows[1:]} == set(ACTIONS), "every action has a row"
    loop.merge_target = loop.case_id   # an open case of the category, for merges into it
    for action, *cells in rows[1:]:
        assert set(ACTIONS) >= {action} and len(cells) == len(parties)
        for party, want in zip(parties, cells, strict=True):
            phone = Phone(client, "w1")
            loop.case_id = phone.create("reports", report_fields())
            phone.push()
            for step in SETUP[action]:
                who = "dept" if step == "handle" else "boss"
                ok(act(client, loop, who, step, **_inputs(step, loop)))
            got = act(client, loop, WHO[party], action, **_inputs(action, loop)).status_code
            if got != int(want):
                wrong.append(f"{action} by {party}: {got}, table says {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.postgresql_only
def test_two_supervisors_registering_at_once_one_wins_one_gets_409(app, loop):
    make_user("boss2", roles=["supervisor"], region=loop.city["D1S1"])
    first_headers = loop.headers["boss"]
    token = app.test_client().post("/api/v1/auth/login", json={
        "username": "boss2", "password": PASSWORD}).get_json()["access_token"]
    second_headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(2)
    answers = []

    def register(headers):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/cases/{loop.case_id}/actions", headers=headers,
                                json={"action": "register"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=register, args=(h,)) for h in (first_headers,
                                                                        second_headers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 409], answers
    loser = next(body for status, body in answers if status == 409)
    assert loser["error"]["code"] == "invalid_transition"
    assert loser["error"]["current"] == {"status": "registered"}
