"""Issuing e-certificates (发证) over the admin API: issuers and their keys, types and their
fields, issuing one certificate (signed, its QR verifying), who may issue for which issuer,
revoking / suspending / reinstating with a reason and the audit it leaves, the issued list's
filters, and twenty issues racing for status-list indexes on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from backend.audit.models import AuditEvent
from backend.certificates import issuance
from backend.certificates.models import Certificate, CertificateIssuer
from backend.common.time import utcnow
from tests import factories
from tests.api.certificates.helpers import ID_VALUES

ISSUED = "/api/v1/issued-certificates"


def issue_body(holder, /, **changes) -> dict:
    return {"type": "ID", "holder": holder.username, "holder_name": "李娜",
            "fields": dict(ID_VALUES)} | changes


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def audit_events(action: str) -> list[AuditEvent]:
    return list(factories.db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                             .order_by(AuditEvent.id)))


@pytest.fixture
def staff(db, admin):
    """Someone of the department 公安局 that the issuer "GA" is bound to (and "TAX" is not)."""
    department = factories.make_department("GAJ", "公安局")
    tax = issuance.create_issuer(admin, code="TAX", name="税务局")
    bound = issuance.create_issuer(admin, code="GA", name="临沂市公安局", department_id=department.id)
    issuance.create_type(admin, code="ID", name="居民身份证", issuer_id=bound.id,
                         fields=[{"key": "address", "label": "住址"}], validity_days=3650)
    issuance.create_type(admin, code="TX", name="完税证明", issuer_id=tax.id,
                         fields=[], validity_days=365)
    return factories.make_user(roles=("department",), department=department)


# -- issuers and keys -----------------------------------------------------------------------

def test_an_admin_creates_an_issuer_with_one_current_key(client, admin_headers):
    response = client.post("/api/v1/certificate-issuers", headers=admin_headers,
                           json={"code": "LYGA", "name": "临沂市公安局"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "LYGA" and body["issued"] == 0
    assert [k["status"] for k in body["keys"]] == ["current"]
    assert body["keys"][0]["retired_at"] is None and len(body["keys"][0]["kid"]) == 11


def test_an_issuer_code_is_taken_once(client, admin_headers, issuer):
    response = client.post("/api/v1/certificate-issuers", headers=admin_headers,
                           json={"code": issuer.code, "name": "另一个"})
    assert response.status_code == 409 and error_code(response) == "code_taken"


@pytest.mark.parametrize("code", ["ga", "1GA", "G-A", "G A", "公安"])
def test_an_issuer_code_is_capitals_and_digits(client, admin_headers, code):
    response = client.post("/api/v1/certificate-issuers", headers=admin_headers,
                           json={"code": code, "name": "临沂市公安局"})
    assert response.status_code == 422 and error_code(response) == "invalid_code"


def test_only_an_admin_creates_an_issuer(client, login_as, staff):
    response = client.post("/api/v1/certificate-issuers", headers=login_as(staff),
                           json={"code": "NEW", "name": "新机关"})
    assert response.status_code == 403


def test_rotating_a_key_retires_the_old_one_and_is_audited(client, admin_headers, issuer):
    old_kid = issuer.keys[0].kid
    response = client.post(f"/api/v1/certificate-issuers/{issuer.id}/keys", headers=admin_headers,
                           json={})
    assert response.status_code == 201, response.get_json()
    new_kid = response.get_json()["kid"]
    assert response.get_json()["status"] == "current" and new_kid != old_kid
    [listed] = client.get("/api/v1/certificate-issuers", headers=admin_headers).get_json()["items"]
    assert {k["kid"]: k["status"] for k in listed["keys"]} == {old_kid: "retired", new_kid: "current"}
    [event] = audit_events("certificate.key_rotated")
    assert event.details == {"code": "GA", "retired_kid": old_kid, "kid": new_kid}


def test_a_certificate_signed_before_a_rotation_still_verifies(client, admin_headers, issuer,
                                                               issue_one):
    certificate = issue_one()
    client.post(f"/api/v1/certificate-issuers/{issuer.id}/keys", headers=admin_headers, json={})
    verdict = client.post("/api/v1/certificates/verify", json={"qr": certificate.qr}).get_json()
    assert verdict["valid"] is True and verdict["reason"] == "valid"


# -- types ----------------------------------------------------------------------------------

def test_an_admin_creates_a_type_with_its_fields(client, admin_headers, issuer):
    response = client.post("/api/v1/certificate-types", headers=admin_headers, json={
        "code": "BL", "name": "营业执照", "name_en": "Business licence", "issuer_id": str(issuer.id),
        "validity_days": None, "fields": [{"key": "scope", "label": "经营范围"},
                                          {"key": "capital", "label": "注册资本", "label_en": "Capital"}]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "BL" and body["issuer"] == "GA" and body["validity_days"] is None
    assert body["fields"] == [{"key": "scope", "label": "经营范围", "label_en": ""},
                              {"key": "capital", "label": "注册资本", "label_en": "Capital"}]


def test_a_type_is_renamed_and_its_fields_changed(client, admin_headers, id_type):
    response = client.patch(f"/api/v1/certificate-types/{id_type.id}", headers=admin_headers, json={
        "name": "居民身份证（新）", "validity_days": 7300,
        "fields": [{"key": "address", "label": "住址"}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "居民身份证（新）" and body["validity_days"] == 7300
    assert [f["key"] for f in body["fields"]] == ["address"]


BAD_FIELDS = {
    "capitals": [{"key": "Gender", "label": "性别"}],
    "starts with a digit": [{"key": "1st", "label": "第一"}],
    "hyphen": [{"key": "birth-date", "label": "出生日期"}],
    "twice": [{"key": "address", "label": "住址"}, {"key": "address", "label": "地址"}],
}


@pytest.mark.parametrize("fields", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_a_new_type_with_bad_field_keys_is_refused(client, admin_headers, issuer, fields):
    response = client.post("/api/v1/certificate-types", headers=admin_headers, json={
        "code": "BL", "name": "营业执照", "issuer_id": str(issuer.id), "fields": fields})
    assert response.status_code == 422 and error_code(response) == "invalid_field_key"


@pytest.mark.parametrize("fields", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_changing_a_type_to_bad_field_keys_is_refused(client, admin_headers, id_type, fields):
    response = client.patch(f"/api/v1/certificate-types/{id_type.id}", headers=admin_headers,
                            json={"fields": fields})
    assert response.status_code == 422 and error_code(response) == "invalid_field_key"


def test_a_type_code_is_taken_once(client, admin_headers, issuer, id_type):
    response = client.post("/api/v1/certificate-types", headers=admin_headers, json={
        "code": "ID", "name": "又一个", "issuer_id": str(issuer.id)})
    assert response.status_code == 409 and error_code(response) == "code_taken"


# -- issuing --------------------------------------------------------------------------------

def test_an_issued_certificate_carries_a_qr_that_verifies(client, admin_headers, id_type, citizen):
    response = client.post(ISSUED, headers=admin_headers, json=issue_body(citizen))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["holder"] == citizen.username and body["status"] == "valid"
    assert body["number"] == f"ID{utcnow().year}00000000" and body["qr"].startswith("CG1:")
    assert {f["key"]: f["value"] for f in body["fields"]} == ID_VALUES
    verdict = client.post("/api/v1/certificates/verify", json={"qr": body["qr"]}).get_json()
    assert verdict["valid"] is True and verdict["reason"] == "valid"
    assert verdict["certificate"]["number"] == body["number"]
    assert verdict["certificate"]["holder_name"] == "李娜"


def test_issuing_is_audited(client, admin_headers, id_type, citizen):
    client.post(ISSUED, headers=admin_headers, json=issue_body(citizen, number="370101-1"))
    [event] = audit_events("certificate.issued")
    assert event.details == {"type": "ID", "number": "370101-1", "holder": citizen.username}


def test_a_certificate_expires_after_its_types_validity(client, admin_headers, id_type, citizen):
    body = client.post(ISSUED, headers=admin_headers, json=issue_body(citizen)).get_json()
    expires = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["issued_at"])
    assert abs(expires - timedelta(days=3650)) < timedelta(seconds=2)


def _holder(kind: str):
    if kind == "clerk":
        return factories.make_user(roles=("clerk",)).username
    if kind == "inactive":
        return factories.make_user(roles=("citizen",), is_active=False).username
    return "nobody-by-this-name"


BAD_ISSUES = {
    "unknown type": ({"type": "XX"}, "unknown_type"),
    "a field missing": ({"fields": {"gender": "女", "birth_date": "1990-05-17"}}, "wrong_fields"),
    "a field blank": ({"fields": ID_VALUES | {"address": "  "}}, "wrong_fields"),
    "a field not the type's": ({"fields": ID_VALUES | {"height": "170"}}, "wrong_fields"),
    "holder not a citizen": ({"holder": "clerk"}, "unknown_holder"),
    "holder not active": ({"holder": "inactive"}, "unknown_holder"),
    "holder unknown": ({"holder": "nobody"}, "unknown_holder"),
    "expired already": ({"expires_at": "2020-01-01T00:00:00+08:00"}, "already_expired"),
    "bad number": ({"number": "A/1"}, "invalid_number"),
}


@pytest.mark.parametrize(("changes", "code"), BAD_ISSUES.values(), ids=BAD_ISSUES.keys())
def test_a_bad_issue_is_refused_and_issues_nothing(client, admin_headers, id_type, citizen,
                                                   changes, code):
    if "holder" in changes:
        changes = changes | {"holder": _holder(changes["holder"])}
    response = client.post(ISSUED, headers=admin_headers, json=issue_body(citizen, **changes))
    assert response.status_code == 422, response.get_json()
    assert error_code(response) == code
    assert factories.db.session.scalars(select(Certificate)).all() == []


def test_a_number_is_issued_once_per_type(client, admin_headers, id_type, citizen):
    first = client.post(ISSUED, headers=admin_headers, json=issue_body(citizen, number="N-1"))
    assert first.status_code == 201
    second = client.post(ISSUED, headers=admin_headers, json=issue_body(citizen, number="N-1"))
    assert second.status_code == 409 and error_code(second) == "number_taken"


# -- a department's staff -------------------------------------------------------------------

def test_staff_issue_for_their_departments_issuer(client, login_as, staff, citizen):
    response = client.post(ISSUED, headers=login_as(staff), json={
        "type": "ID", "holder": citizen.username, "holder_name": "李娜",
        "fields": {"address": "兰山区"}})
    assert response.status_code == 201, response.get_json()


def test_staff_may_not_issue_for_another_issuer(client, login_as, staff, citizen):
    response = client.post(ISSUED, headers=login_as(staff), json={
        "type": "TX", "holder": citizen.username, "holder_name": "李娜"})
    assert response.status_code == 403 and error_code(response) == "not_your_issuer"


def test_staff_list_only_their_issuers_and_certificates(client, admin, login_as, staff, citizen):
    issuance.issue(admin, type="ID", holder=citizen.username, holder_name="李娜",
                   fields={"address": "兰山区"}, number="MINE")
    issuance.issue(admin, type="TX", holder=citizen.username, holder_name="李娜", fields={},
                   number="THEIRS")
    headers = login_as(staff)
    issuers = client.get("/api/v1/certificate-issuers", headers=headers).get_json()["items"]
    assert [i["code"] for i in issuers] == ["GA"]
    listed = client.get(ISSUED, headers=headers).get_json()["items"]
    assert [c["number"] for c in listed] == ["MINE"]


def test_staff_may_not_change_another_issuers_certificate(client, admin, login_as, staff, citizen):
    theirs = issuance.issue(admin, type="TX", holder=citizen.username, holder_name="李娜", fields={})
    response = client.post(f"{ISSUED}/{theirs.id}/status", headers=login_as(staff),
                           json={"status": "revoked", "reason": "遗失"})
    assert response.status_code == 403 and error_code(response) == "not_your_issuer"


def test_staff_may_not_rotate_another_issuers_key(client, login_as, staff):
    other = factories.db.session.scalar(select(CertificateIssuer).where(CertificateIssuer.code == "TAX"))
    response = client.post(f"/api/v1/certificate-issuers/{other.id}/keys", headers=login_as(staff),
                           json={})
    assert response.status_code == 403 and error_code(response) == "not_your_issuer"


# -- revoking, suspending, reinstating ------------------------------------------------------

def set_status(client, headers, certificate, status, reason="证件遗失"):
    return client.post(f"{ISSUED}/{certificate.id}/status", headers=headers,
                       json={"status": status, "reason": reason})


@pytest.mark.parametrize("status", ["revoked", "suspended"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_revoking_or_suspending_needs_a_reason(client, admin_headers, issue_one, status, reason):
    response = set_status(client, admin_headers, issue_one(), status, reason)
    assert response.status_code == 422 and error_code(response) == "reason_required"


def test_a_suspended_certificate_is_reinstated(client, admin_headers, issue_one):
    certificate = issue_one()
    suspended = set_status(client, admin_headers, certificate, "suspended", "核查中")
    assert suspended.status_code == 200
    assert suspended.get_json()["status"] == "suspended"
    assert suspended.get_json()["status_reason"] == "核查中"
    reinstated = set_status(client, admin_headers, certificate, "valid", "")
    assert reinstated.status_code == 200 and reinstated.get_json()["status"] == "valid"


def test_status_changes_are_audited_with_the_reason(client, admin_headers, issue_one):
    certificate = issue_one(number="N-7")
    set_status(client, admin_headers, certificate, "suspended", "核查中")
    set_status(client, admin_headers, certificate, "revoked", "证件遗失")
    events = audit_events("certificate.status_changed")
    assert [e.details for e in events] == [
        {"number": "N-7", "type": "ID", "from": "valid", "to": "suspended", "reason": "核查中"},
        {"number": "N-7", "type": "ID", "from": "suspended", "to": "revoked", "reason": "证件遗失"}]
    assert {e.target_id for e in events} == {str(certificate.id)}


@pytest.mark.parametrize("status", ["valid", "suspended", "revoked"])
def test_a_revoked_certificate_stays_revoked(client, admin_headers, issue_one, status):
    certificate = issue_one()
    assert set_status(client, admin_headers, certificate, "revoked").status_code == 200
    response = set_status(client, admin_headers, certificate, status)
    assert response.status_code == 409 and error_code(response) == "invalid_transition"


def test_a_revoked_certificates_qr_no_longer_verifies(client, admin_headers, issue_one):
    certificate = issue_one()
    set_status(client, admin_headers, certificate, "revoked")
    verdict = client.post("/api/v1/certificates/verify", json={"qr": certificate.qr}).get_json()
    assert verdict["valid"] is False and verdict["reason"] == "revoked"


# -- the issued list ------------------------------------------------------------------------

@pytest.fixture
def issued(db, admin, admin_headers, id_type, issue_one, citizen, client):
    """Five certificates: valid (王芳), valid, revoked, suspended, expired; and one of "BL"."""
    issuance.create_type(admin, code="BL", name="营业执照", issuer_id=id_type.issuer_id, fields=[])
    made = {
        "wang": issue_one(number="ID-WANG", holder_name="王芳"),
        "valid": issue_one(number="ID-VALID"),
        "revoked": issue_one(number="ID-REVOKED"),
        "suspended": issue_one(number="ID-SUSPENDED"),
        "expired": issue_one(number="ID-EXPIRED"),
        "licence": issue_one("BL", number="BL-1", fields={}),
    }
    set_status(client, admin_headers, made["revoked"], "revoked")
    set_status(client, admin_headers, made["suspended"], "suspended")
    db.session.execute(update(Certificate).where(Certificate.id == made["expired"].id)
                       .values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    return made


def listed_numbers(client, headers, **query) -> set[str]:
    response = client.get(ISSUED, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {c["number"] for c in response.get_json()["items"]}


FILTERS = {
    "nothing": ({}, {"ID-WANG", "ID-VALID", "ID-REVOKED", "ID-SUSPENDED", "ID-EXPIRED", "BL-1"}),
    "number": ({"q": "revok"}, {"ID-REVOKED"}),
    "holder's name": ({"q": "王芳"}, {"ID-WANG"}),
    "type": ({"type": "BL"}, {"BL-1"}),
    "valid": ({"status": "valid"}, {"ID-WANG", "ID-VALID", "BL-1"}),
    "expired": ({"status": "expired"}, {"ID-EXPIRED"}),
    "revoked": ({"status": "revoked"}, {"ID-REVOKED"}),
    "suspended": ({"status": "suspended"}, {"ID-SUSPENDED"}),
    "type and status": ({"type": "ID", "status": "valid"}, {"ID-WANG", "ID-VALID"}),
}


@pytest.mark.parametrize(("query", "numbers"), FILTERS.values(), ids=FILTERS.keys())
def test_the_issued_list_filters(client, admin_headers, issued, query, numbers):
    assert listed_numbers(client, admin_headers, **query) == numbers


def test_the_issued_list_shows_expired_as_read_from_the_date(client, admin_headers, issued):
    items = client.get(ISSUED, headers=admin_headers, query_string={"q": "ID-EXPIRED"}).get_json()["items"]
    assert [c["status"] for c in items] == ["expired"]


# -- racing ---------------------------------------------------------------------------------

@pytest.mark.postgresql_only
def test_twenty_issues_at_once_take_twenty_distinct_indexes(app, db, admin_headers, id_type, citizen):
    issuer_id, body = id_type.issuer_id, issue_body(citizen)
    db.session.commit()
    barrier = threading.Barrier(20)
    answers = [None] * 20

    def run(index):
        client = app.test_client()
        barrier.wait()
        response = client.post(ISSUED, headers=admin_headers, json=body)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in answers] == [201] * 20, answers
    db.session.expire_all()
    indexes = sorted(db.session.scalars(select(Certificate.status_index)))
    assert indexes == list(range(20))
    assert db.session.get(CertificateIssuer, issuer_id).next_status_index == 20
    assert len({answer["number"] for _, answer in answers}) == 20
