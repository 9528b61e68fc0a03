"""The audit trail: sign-ins and their failures, lock-outs, account, role and password
changes go to the audit table and to one JSON log line each; admins read them back."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.audit import services as audit
from backend.audit.models import AuditEvent
from tests.factories import PASSWORD, make_user
from tests.helpers import assert_json_error


@pytest.fixture
def audit_lines():
    """Every JSON line the audit logger writes during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    audit.AUDIT_LOG.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    audit.AUDIT_LOG.removeHandler(handler)


@pytest.fixture
def admin(db, login_as):
    root = make_user("root", roles=["admin"])
    return root, login_as(root)


def _events(db, action=None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def _login(client, username, password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       **kwargs)


def test_a_sign_in_is_audited_with_address_request_id_and_a_json_line(client, db, audit_lines):
    alice = make_user("alice")
    response = _login(client, "alice", headers={"X-Request-ID": "req-signin-0001"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    [event] = _events(db, audit.SIGN_IN)
    assert (event.actor_id, event.actor_name, event.address, event.request_id) == (
        alice.id, "alice", "10.1.2.3", "req-signin-0001")
    assert event.target_type == "session"
    [line] = [line for line in audit_lines() if line["audit"] == audit.SIGN_IN]
    assert line["actor"] == "alice" and line["request_id"] == "req-signin-0001"
    assert line["address"] == "10.1.2.3" and line["actor_id"] == str(alice.id)


@pytest.mark.parametrize("username,password,known,reason", [
    ("alice", "wrong password", True, "invalid_credentials"),
    ("nobody", PASSWORD, False, "invalid_credentials"),
])
def test_a_failed_sign_in_is_audited_without_the_password(client, db, audit_lines, username,
                                                          password, known, reason):
    alice = make_user("alice")
    assert _login(client, username, password).status_code == 401
    [event] = _events(db, audit.SIGN_IN_FAILED)
    assert event.actor_name == username
    assert event.actor_id == (alice.id if known else None)
    assert event.details == {"reason": reason, "known_account": known}
    assert password not in json.dumps(audit_lines())
    assert password not in json.dumps(event.details)


def test_a_disabled_account_signing_in_is_audited(client, db):
    make_user("gone", is_active=False)
    assert _login(client, "gone").status_code == 401
    [event] = _events(db, audit.SIGN_IN_FAILED)
    assert event.details == {"reason": "account_inactive"}


def test_a_lock_out_is_audited_once_per_lock(app, client, db):
    make_user("alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "alice", "nope nope")
    assert _login(client, "alice").status_code == 429
    locks = _events(db, audit.LOCKED_OUT)
    assert [(e.actor_name, e.details["key"]) for e in locks] == [("alice", "pair")]
    assert locks[0].details["seconds"] > 0
    assert len(_events(db, audit.SIGN_IN_FAILED)) == app.config["LOGIN_MAX_FAILURES"]


def test_account_administration_is_audited_one_event_per_kind_of_change(client, city, admin):
    root, headers = admin
    created = client.post("/api/v1/accounts", headers=headers, json={
        "username": "w99", "password": "field work 1", "roles": ["worker"],
        "region_id": str(city["D1S1C1G1"].id)}).get_json()
    response = client.patch(f"/api/v1/accounts/{created['id']}", headers=headers, json={
        "roles": ["worker", "supervisor"], "region_id": str(city["D1S2C1G1"].id),
        "is_active": False, "password": "reset by admin 1", "display_name": "新名字"})
    assert response.status_code == 200
    trail = client.get(f"/api/v1/audit?target_id={created['id']}&per_page=20",
                       headers=headers).get_json()
    by_action = {item["action"]: item for item in trail["items"]}
    assert set(by_action) == {audit.ACCOUNT_CREATED, audit.ROLES_CHANGED, audit.REGION_CHANGED,
                              audit.ACCOUNT_DISABLED, audit.PASSWORD_RESET, audit.ACCOUNT_UPDATED}
    assert all(item["actor_name"] == "root" and item["actor_id"] == str(root.id)
               for item in trail["items"])
    assert by_action[audit.ACCOUNT_CREATED]["details"]["roles"] == ["worker"]
    assert by_action[audit.ROLES_CHANGED]["details"] == {
        "from": ["worker"], "to": ["supervisor", "worker"]}
    assert by_action[audit.REGION_CHANGED]["details"]["to"] == str(city["D1S2C1G1"].id)
    assert by_action[audit.ACCOUNT_UPDATED]["details"]["display_name"]["to"] == "新名字"
    assert "reset by admin 1" not in json.dumps(trail)


def test_an_edit_that_changes_nothing_audits_nothing(client, city, admin, db):
    _root, headers = admin
    alice = make_user("alice")
    before = len(_events(db))
    response = client.patch(f"/api/v1/accounts/{alice.id}", headers=headers,
                            json={"display_name": alice.display_name})
    assert response.status_code == 200
    assert len(_events(db)) == before


def test_a_refused_change_leaves_no_event_and_no_log_line(client, city, admin, db, audit_lines):
    _root, headers = admin
    worker = make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    before = len(_events(db))
    response = client.patch(f"/api/v1/accounts/{worker.id}", headers=headers,
                            json={"region_id": str(city["D1"].id)})
    assert_json_error(response, 422, "worker_needs_grid")
    assert len(_events(db)) == before
    assert not [line for line in audit_lines() if line["audit"].startswith("account.")]


def test_a_rolled_back_event_writes_no_log_line(app, db, audit_lines):
    with app.test_request_context("/"):
        audit.record(audit.SIGN_OUT, actor_name="ghost")
        db.session.rollback()
        audit.record(audit.SIGN_OUT, actor_name="real")
        db.session.commit()
    assert [line["actor"] for line in audit_lines()] == ["real"]
    assert [e.actor_name for e in _events(db)] == ["real"]


def test_changing_ones_own_password_is_audited_failures_too(client, db, login_as):
    alice = make_user("alice")
    headers = login_as(alice)
    wrong = client.post("/api/v1/me/password", headers=headers,
                        json={"current_password": "not it at all", "new_password": "a new one 22"})
    assert wrong.status_code == 403
    right = client.post("/api/v1/me/password", headers=headers,
                        json={"current_password": PASSWORD, "new_password": "a new one 22"})
    assert right.status_code == 204
    assert [e.action for e in _events(db) if e.action.startswith("auth.password")] == [
        audit.PASSWORD_CHANGE_FAILED, audit.PASSWORD_CHANGED]
    assert all(e.actor_id == alice.id for e in _events(db, audit.PASSWORD_CHANGED))


def test_sign_out_and_a_replayed_refresh_token_are_audited(client, db):
    make_user("alice")
    tokens = _login(client, "alice").get_json()
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    second = client.post("/api/v1/auth/refresh",
                         json={"refresh_token": first.get_json()["refresh_token"]})
    assert second.status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_json_error(replay, 401, "token_reused")
    [reused] = _events(db, audit.TOKEN_REUSED)
    assert reused.actor_name == "alice" and reused.details["generation"] == 0

    make_user("bob")
    bobs = _login(client, "bob").get_json()
    out = client.post("/api/v1/auth/logout",
                      headers={"Authorization": f"Bearer {bobs['refresh_token']}"})
    assert out.status_code == 204
    assert [e.actor_name for e in _events(db, audit.SIGN_OUT)] == ["bob"]


def test_the_first_admin_made_on_the_command_line_is_audited(app, db):
    strong = "Correct-Horse-9-Battery"
    result = app.test_cli_runner().invoke(args=["accounts", "create-admin", "chief"],
                                          input=f"{strong}\n{strong}\n")
    assert result.exit_code == 0, result.output
    [event] = _events(db, audit.ACCOUNT_CREATED)
    assert event.actor_id is None and event.actor_name == "(cli)"
    assert event.details["username"] == "chief" and event.details["roles"] == ["admin"]


def test_admins_page_and_filter_the_trail_newest_first(client, db, admin):
    _root, headers = admin
    make_user("alice")
    for _ in range(3):
        _login(client, "alice", "wrong password")
    _login(client, "alice")
    everything = client.get("/api/v1/audit?per_page=2", headers=headers).get_json()
    assert everything["per_page"] == 2 and everything["total"] >= 5
    times = [item["at"] for item in everything["items"]]
    assert times == sorted(times, reverse=True)
    assert everything["items"][0]["action"] == audit.SIGN_IN  # the newest

    failures = client.get("/api/v1/audit?action=auth.sign_in_failed&actor=ALICE",
                          headers=headers).get_json()
    assert failures["total"] == 3
    area = client.get("/api/v1/audit?action=auth&actor=alice", headers=headers).get_json()
    assert {item["action"] for item in area["items"]} == {audit.SIGN_IN, audit.SIGN_IN_FAILED}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/audit", headers=headers,
                      query_string={"since": later}).get_json()["total"] == 0


@pytest.mark.parametrize("query,field", [
    ({"action": "auth.everything"}, "action"),
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "until"),
    ({"per_page": 1000}, "per_page"),
])
def test_bad_filters_are_422_naming_the_field(client, db, admin, query, field):
    _root, headers = admin
    error = assert_json_error(client.get("/api/v1/audit", headers=headers, query_string=query),
                              422, "validation_error")
    assert field in error["fields"]["query"]


def test_only_admins_read_the_trail(client, city, login_as):
    boss = make_user("boss", roles=["supervisor"], region=city["D1"])
    assert_json_error(client.get("/api/v1/audit", headers=login_as(boss)), 403)
    assert_json_error(client.get("/api/v1/audit"), 401)
