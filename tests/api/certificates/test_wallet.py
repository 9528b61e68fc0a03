"""The citizen's wallet (我的证照): only one's own certificates, each with its status read
now (expired from the date), its fields with their labels, its QR, and its latest uses."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.certificates import issuance
from backend.certificates.models import Certificate, CertificateUse
from backend.common.time import utcnow
from tests import factories

WALLET = "/api/v1/certificates"


@pytest.fixture
def headers(citizen, login_as):
    return login_as(citizen)


def test_the_wallet_lists_only_ones_own_certificates(client, headers, issue_one):
    mine = {issue_one(number="MINE-1").number, issue_one(number="MINE-2").number}
    issue_one(holder=factories.make_user(roles=("citizen",)), number="THEIRS")
    response = client.get(WALLET, headers=headers)
    assert response.status_code == 200
    assert {c["number"] for c in response.get_json()["items"]} == mine


def test_the_wallet_shows_the_newest_first(client, db, headers, issue_one):
    old, new = issue_one(number="OLD"), issue_one(number="NEW")
    db.session.execute(update(Certificate).where(Certificate.id == old.id)
                       .values(issued_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    assert [c["number"] for c in client.get(WALLET, headers=headers).get_json()["items"]] == [
        new.number, old.number]


def test_one_certificate_is_shown_to_its_holder(client, headers, issue_one):
    certificate = issue_one(number="370101-1")
    response = client.get(f"{WALLET}/{certificate.id}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == "370101-1" and body["holder_name"] == "李娜"
    assert body["type"] == "ID" and body["type_name"] == "居民身份证"
    assert body["type_name_en"] == "Resident ID card"
    assert body["issuer"] == "GA" and body["issuer_name"] == "临沂市公安局"
    assert body["qr"] == certificate.qr and body["kid"] == certificate.key.kid


def test_someone_elses_certificate_is_not_found(client, headers, issue_one):
    theirs = issue_one(holder=factories.make_user(roles=("citizen",)))
    assert client.get(f"{WALLET}/{theirs.id}", headers=headers).status_code == 404


def test_an_unknown_certificate_is_not_found(client, headers, id_type):
    assert client.get(f"{WALLET}/{uuid.uuid4()}", headers=headers).status_code == 404


def test_the_fields_come_with_their_labels_in_the_types_order(client, headers, issue_one):
    certificate = issue_one()
    fields = client.get(f"{WALLET}/{certificate.id}", headers=headers).get_json()["fields"]
    assert fields == [
        {"key": "gender", "label": "性别", "label_en": "Gender", "value": "女"},
        {"key": "birth_date", "label": "出生日期", "label_en": "Date of birth", "value": "1990-05-17"},
        {"key": "address", "label": "住址", "label_en": "Address", "value": "临沂市兰山区金雀山路 1 号"}]


def test_a_certificate_keeps_the_fields_it_was_issued_with(client, admin, headers, id_type,
                                                           issue_one):
    certificate = issue_one()
    issuance.update_type(admin, id_type.id, fields=[{"key": "address", "label": "地址"},
                                                    {"key": "phone", "label": "电话"}])
    fields = client.get(f"{WALLET}/{certificate.id}", headers=headers).get_json()["fields"]
    assert [(f["key"], f["label"], f["value"]) for f in fields] == [
        ("address", "地址", "临沂市兰山区金雀山路 1 号")]


def _valid(db, admin, certificate):
    pass


def _expired(db, admin, certificate):
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _revoked(db, admin, certificate):
    issuance.set_status(admin, certificate.id, "revoked", "证件遗失")


def _suspended(db, admin, certificate):
    issuance.set_status(admin, certificate.id, "suspended", "核查中")


STATUSES = {"valid": (_valid, ""), "expired": (_expired, ""), "revoked": (_revoked, "证件遗失"),
            "suspended": (_suspended, "核查中")}


@pytest.mark.parametrize("status", STATUSES.keys())
def test_the_status_is_read_now(client, db, admin, headers, issue_one, status):
    certificate = issue_one()
    make, reason = STATUSES[status]
    make(db, admin, certificate)
    [listed] = client.get(WALLET, headers=headers).get_json()["items"]
    assert listed["status"] == status and listed["status_reason"] == reason


def test_a_certificate_without_an_end_never_expires(client, admin, headers, id_type, issue_one):
    issuance.create_type(admin, code="HK", name="户口簿", issuer_id=id_type.issuer_id, fields=[])
    certificate = issue_one("HK", fields={})
    body = client.get(f"{WALLET}/{certificate.id}", headers=headers).get_json()
    assert body["expires_at"] is None and body["status"] == "valid"


def _use(db, certificate, minutes_ago: int, **fields) -> None:
    db.session.add(CertificateUse(certificate_id=certificate.id, channel="verify", verdict="valid",
                                  at=utcnow() - timedelta(minutes=minutes_ago), **fields))


def test_the_latest_twenty_uses_are_shown_newest_first_with_the_count(client, db, headers,
                                                                      issue_one):
    certificate = issue_one()
    for minutes_ago in range(25, 0, -1):
        _use(db, certificate, minutes_ago, place=f"{minutes_ago} 分钟前")
    db.session.commit()
    body = client.get(f"{WALLET}/{certificate.id}", headers=headers).get_json()
    assert body["uses_count"] == 25
    assert [u["place"] for u in body["uses"]] == [f"{m} 分钟前" for m in range(1, 21)]


def test_a_use_says_who_checked_where(client, db, headers, issue_one):
    certificate = issue_one()
    db.session.add(CertificateUse(certificate_id=certificate.id, channel="consent", verdict="valid",
                                  verifier_name="窗口 张敏", organisation="测试政务大厅",
                                  place="测试政务大厅 3号窗口"))
    db.session.commit()
    [listed] = client.get(WALLET, headers=headers).get_json()["items"]
    [use] = listed["uses"]
    assert (use["channel"], use["verifier"], use["organisation"], use["place"]) == (
        "consent", "窗口 张敏", "测试政务大厅", "测试政务大厅 3号窗口")
    assert listed["uses_count"] == 1


def test_an_anonymous_check_leaves_an_anonymous_use(client, headers, issue_one):
    certificate = issue_one()
    verdict = client.post(f"{WALLET}/verify", json={"qr": certificate.qr, "place": "火车站"})
    assert verdict.get_json()["reason"] == "valid"
    [use] = client.get(f"{WALLET}/{certificate.id}", headers=headers).get_json()["uses"]
    assert use["channel"] == "verify" and use["verifier"] is None and use["place"] == "火车站"


def test_each_certificate_counts_only_its_own_uses(client, db, headers, issue_one):
    used = issue_one(number="USED")
    issue_one(number="UNUSED")
    _use(db, used, 3)
    _use(db, used, 2)
    db.session.commit()
    items = {c["number"]: c for c in client.get(WALLET, headers=headers).get_json()["items"]}
    assert (items["USED"]["uses_count"], len(items["USED"]["uses"])) == (2, 2)
    assert (items["UNUSED"]["uses_count"], items["UNUSED"]["uses"]) == (0, [])


@pytest.mark.parametrize("role", ["clerk", "admin", "department", "worker", "official"])
def test_only_citizens_have_a_wallet(client, login_as, issue_one, role):
    certificate = issue_one()
    headers = login_as(factories.make_user(roles=(role,)))
    assert client.get(WALLET, headers=headers).status_code == 403
    assert client.get(f"{WALLET}/{certificate.id}", headers=headers).status_code == 403
