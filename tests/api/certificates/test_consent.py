"""Use by consent (无证明城市): the clerk serving a ticket asks its holder for a certificate;
the holder is told by Web Push, approves with one of their own certificates of that type (or
declines); the clerk then sees it with its fields, checked on the server, and the use shows
in the holder's wallet. Answered or expired requests are closed; nobody else sees them."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from backend.certificates import issuance
from backend.certificates.models import CertificateRequest
from backend.common.time import utcnow
from backend.jobs import worker
from backend.queue.models import Window
from tests import factories
from tests.api.certificates.helpers import ID_VALUES
from tests.factories import HALL_CENTRE
from tests.push_receiver import PushReceiver

REQUESTS = "/api/v1/certificate-requests"


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def window_of(clerk) -> str:
    return str(factories.db.session.scalar(select(Window.id).where(Window.clerk_id == clerk.id)))


@pytest.fixture
def served(client, login_as, citizen, id_type):
    """The citizen took A001 and the clerk at window 1 called it: they are at the window."""
    hall = factories.make_hall()
    clerk = factories.make_clerk(hall, 1)
    clerk.display_name = "窗口 张敏"
    factories.db.session.commit()
    citizen_headers, clerk_headers = login_as(citizen), login_as(clerk)
    taken = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=citizen_headers, json={
        "service_id": str(factories.hall_service(hall, "A").id),
        "lat": HALL_CENTRE[0], "lon": HALL_CENTRE[1]})
    assert taken.status_code == 201, taken.get_json()
    called = client.post(f"/api/v1/windows/{window_of(clerk)}/call", headers=clerk_headers, json={})
    assert called.status_code == 200 and called.get_json()["id"] == taken.get_json()["id"]
    return SimpleNamespace(hall=hall, clerk=clerk, clerk_headers=clerk_headers,
                           citizen_headers=citizen_headers, ticket_id=taken.get_json()["id"])


def ask(client, served, type_code: str = "ID", purpose: str = "办理不动产登记"):
    return client.post(f"/api/v1/tickets/{served.ticket_id}/certificate-requests",
                       headers=served.clerk_headers, json={"type": type_code, "purpose": purpose})


@pytest.fixture
def asked(client, served) -> dict:
    """A pending request of the clerk's for the citizen's "ID"."""
    response = ask(client, served)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def approve(client, served, request, certificate):
    return client.post(f"{REQUESTS}/{request['id']}/approve", headers=served.citizen_headers,
                       json={"certificate_id": str(certificate.id)})


def decline(client, served, request):
    return client.post(f"{REQUESTS}/{request['id']}/decline", headers=served.citizen_headers, json={})


# -- asking ---------------------------------------------------------------------------------

def test_the_clerk_serving_a_ticket_requests_a_certificate(client, served):
    response = ask(client, served)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["certificate"] is None
    assert body["ticket_id"] == served.ticket_id and body["ticket_number"] == "A001"
    assert body["type"] == "ID" and body["type_name"] == "居民身份证"
    assert body["purpose"] == "办理不动产登记" and body["answered_at"] is None
    assert body["hall_name"] == "测试政务大厅" and body["window_number"] == 1
    assert body["clerk_name"] == "窗口 张敏"


def test_a_request_lasts_the_configured_time(app, client, served, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_REQUEST_TTL_S", 90)
    body = ask(client, served).get_json()
    lasts = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["requested_at"])
    assert lasts == timedelta(seconds=90)


def test_a_clerk_not_serving_the_ticket_may_not_request(client, login_as, served):
    other = factories.make_clerk(served.hall, 2)
    response = client.post(f"/api/v1/tickets/{served.ticket_id}/certificate-requests",
                           headers=login_as(other), json={"type": "ID"})
    assert response.status_code == 409 and error_code(response) == "invalid_transition"


def test_a_finished_ticket_takes_no_request(client, served):
    finished = client.post(f"/api/v1/tickets/{served.ticket_id}/finish", headers=served.clerk_headers,
                           json={})
    assert finished.status_code == 200
    response = ask(client, served)
    assert response.status_code == 409 and error_code(response) == "invalid_transition"


def test_a_request_for_an_unknown_type_is_refused(client, served):
    response = ask(client, served, "XX")
    assert response.status_code == 422 and error_code(response) == "unknown_type"


def test_a_citizen_may_not_request(client, served):
    response = client.post(f"/api/v1/tickets/{served.ticket_id}/certificate-requests",
                           headers=served.citizen_headers, json={"type": "ID"})
    assert response.status_code == 403


@pytest.fixture
def receiver():
    server = PushReceiver()
    yield server
    server.close()


def test_the_citizen_is_told_by_web_push(app, db, client, served, receiver):
    browser = receiver.browser("citizen")
    subscribed = client.post("/api/v1/push/subscriptions", headers=served.citizen_headers,
                             json=browser.subscription(receiver.origin))
    assert subscribed.status_code == 201, subscribed.get_json()
    request = ask(client, served).get_json()
    db.session.rollback()  # on SQLite an open read would hold the lock the push job needs
    assert worker.local(app).drain() and receiver.errors == []
    [message] = receiver.messages("citizen")
    assert message["kind"] == "certificate_request" and message["request_id"] == request["id"]
    assert message["url"] == f"/#/certificate-requests/{request['id']}"
    assert message["ticket_id"] == served.ticket_id and "居民身份证" in message["title"]


def test_the_citizen_sees_the_request_for_their_ticket(client, served, asked):
    response = client.get(REQUESTS, headers=served.citizen_headers,
                          query_string={"ticket_id": served.ticket_id})
    assert response.status_code == 200
    assert [r["id"] for r in response.get_json()["items"]] == [asked["id"]]


def test_the_clerk_lists_the_requests_they_made(client, served, asked):
    items = client.get(REQUESTS, headers=served.clerk_headers).get_json()["items"]
    assert [r["id"] for r in items] == [asked["id"]]


def test_another_citizen_does_not_list_the_request(client, login_as, served, asked):
    headers = login_as(factories.make_user(roles=("citizen",)))
    response = client.get(REQUESTS, headers=headers, query_string={"ticket_id": served.ticket_id})
    assert response.get_json()["items"] == []


# -- answering ------------------------------------------------------------------------------

def test_approving_with_ones_own_certificate_shares_it(client, served, asked, issue_one):
    certificate = issue_one(number="370101-9")
    response = approve(client, served, asked, certificate)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved" and body["answered_at"] is not None
    assert body["certificate"]["id"] == str(certificate.id)
    assert body["certificate"]["verification"] == {"valid": True, "reason": "valid"}


def test_the_clerk_sees_the_shared_certificate_with_its_fields(client, served, asked, issue_one):
    certificate = issue_one(number="370101-9")
    approve(client, served, asked, certificate)
    response = client.get(f"{REQUESTS}/{asked['id']}", headers=served.clerk_headers)
    assert response.status_code == 200
    shared = response.get_json()["certificate"]
    assert shared["number"] == "370101-9" and shared["holder_name"] == "李娜"
    assert shared["status"] == "valid" and shared["verification"] == {"valid": True, "reason": "valid"}
    assert {f["key"]: f["value"] for f in shared["fields"]} == ID_VALUES
    assert {f["key"]: f["label"] for f in shared["fields"]}["address"] == "住址"
    assert "uses" not in shared


def test_a_shared_certificate_is_checked_as_a_verifier_would(client, admin, served, asked,
                                                            issue_one):
    certificate = issue_one()
    issuance.set_status(admin, certificate.id, "suspended", "核查中")
    shared = approve(client, served, asked, certificate).get_json()["certificate"]
    assert shared["verification"] == {"valid": False, "reason": "suspended"}


def test_the_use_shows_in_the_citizens_wallet(client, served, asked, issue_one):
    certificate = issue_one()
    approve(client, served, asked, certificate)
    response = client.get(f"/api/v1/certificates/{certificate.id}", headers=served.citizen_headers)
    body = response.get_json()
    assert body["uses_count"] == 1
    [use] = body["uses"]
    assert use["channel"] == "consent" and use["place"] == "测试政务大厅 1号窗口"
    assert use["verifier"] == "窗口 张敏" and use["organisation"] == "测试政务大厅"
    assert use["verdict"] == "valid"


def _other_type(admin, id_type, citizen):
    issuance.create_type(admin, code="BL", name="营业执照", issuer_id=id_type.issuer_id, fields=[])
    return issuance.issue(admin, type="BL", holder=citizen.username, holder_name="李娜", fields={})


def _someone_elses(admin, id_type, citizen):
    other = factories.make_user(roles=("citizen",))
    return issuance.issue(admin, type="ID", holder=other.username, holder_name="王芳",
                          fields=dict(ID_VALUES))


@pytest.mark.parametrize("make", [_other_type, _someone_elses], ids=["another type", "someone else's"])
def test_approving_with_the_wrong_certificate_is_refused(client, admin, id_type, citizen, served,
                                                         asked, make):
    response = approve(client, served, asked, make(admin, id_type, citizen))
    assert response.status_code == 422 and error_code(response) == "wrong_certificate"
    still = client.get(f"{REQUESTS}/{asked['id']}", headers=served.citizen_headers).get_json()
    assert still["status"] == "pending"


def test_declining_shares_nothing(client, served, asked):
    response = decline(client, served, asked)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "declined" and body["certificate"] is None
    seen = client.get(f"{REQUESTS}/{asked['id']}", headers=served.clerk_headers).get_json()
    assert seen["status"] == "declined" and seen["certificate"] is None


ANSWERS = {"approve": approve, "decline": lambda client, served, request, _: decline(client, served, request)}


@pytest.mark.parametrize("first", ANSWERS.keys())
@pytest.mark.parametrize("second", ANSWERS.keys())
def test_a_request_is_answered_once(client, served, asked, issue_one, first, second):
    certificate = issue_one()
    assert ANSWERS[first](client, served, asked, certificate).status_code == 200
    response = ANSWERS[second](client, served, asked, certificate)
    assert response.status_code == 409 and error_code(response) == "request_closed"


@pytest.fixture
def expired(db, asked):
    """The request, made eleven minutes ago and not answered."""
    past = utcnow() - timedelta(minutes=11)
    db.session.execute(update(CertificateRequest).values(requested_at=past,
                                                         expires_at=past + timedelta(minutes=10)))
    db.session.commit()
    return asked


def test_an_unanswered_request_expires(client, served, expired):
    body = client.get(f"{REQUESTS}/{expired['id']}", headers=served.citizen_headers).get_json()
    assert body["status"] == "expired"


@pytest.mark.parametrize("answer", ANSWERS.keys())
def test_an_expired_request_can_not_be_answered(client, served, expired, issue_one, answer):
    response = ANSWERS[answer](client, served, expired, issue_one())
    assert response.status_code == 409 and error_code(response) == "request_closed"


def test_a_short_lived_request_expires_by_the_setting(app, client, served, issue_one, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_REQUEST_TTL_S", 0)
    request = ask(client, served).get_json()
    assert request["status"] == "expired"
    response = approve(client, served, request, issue_one())
    assert response.status_code == 409 and error_code(response) == "request_closed"


# -- nobody else ----------------------------------------------------------------------------

def test_another_citizen_can_not_see_the_request(client, login_as, served, asked):
    headers = login_as(factories.make_user(roles=("citizen",)))
    assert client.get(f"{REQUESTS}/{asked['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize("answer", ANSWERS.keys())
def test_another_citizen_can_not_answer_the_request(client, login_as, served, asked, issue_one,
                                                    answer):
    stranger = factories.make_user(roles=("citizen",))
    theirs = issue_one(holder=stranger)
    as_stranger = SimpleNamespace(citizen_headers=login_as(stranger))
    assert ANSWERS[answer](client, as_stranger, asked, theirs).status_code == 404


def test_another_clerk_can_not_see_the_request(client, login_as, served, asked):
    other = factories.make_clerk(served.hall, 2)
    assert client.get(f"{REQUESTS}/{asked['id']}", headers=login_as(other)).status_code == 404
