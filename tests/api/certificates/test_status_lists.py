"""Revocation that works offline: each issuer's signed status list (GET
/api/v1/certificates/status-lists), one bit per certificate in the W3C Bitstring Status
List's encoding, signed by the issuer's current key."""

from __future__ import annotations

from backend.certificates import issuance
from tests.api.certificates.helpers import bits, is_set, verified_payload


def lists_and_keys(client) -> tuple[dict, dict]:
    lists = client.get("/api/v1/certificates/status-lists")
    jwks = client.get("/.well-known/jwks.json")
    assert lists.status_code == 200 and jwks.status_code == 200
    return {item["issuer"]: item["token"] for item in lists.get_json()["items"]}, jwks.get_json()


def test_each_issuers_list_is_signed_by_its_current_key(client, issuer, issue_one):
    issue_one()
    tokens, jwks = lists_and_keys(client)
    payload = verified_payload(tokens["GA"], jwks)
    assert payload["iss"] == "GA"
    assert payload["_kid"] == issuance.current_key(issuer).kid


def test_the_list_is_at_least_sixteen_kilobytes_of_bits_so_an_index_hides_its_holder(client, issue_one, app):
    issue_one()
    tokens, jwks = lists_and_keys(client)
    payload = verified_payload(tokens["GA"], jwks)
    assert payload["size"] >= 131_072
    assert len(bits(payload["revocation"])) * 8 == payload["size"]
    assert payload["exp"] - payload["iat"] == app.config["CERTIFICATE_STATUS_TTL_S"]


def test_revoked_and_suspended_certificates_have_their_bits_set(client, issue_one, admin):
    kept, revoked, suspended = issue_one(), issue_one(), issue_one()
    issuance.set_status(admin, revoked.id, "revoked", "吊销")
    issuance.set_status(admin, suspended.id, "suspended", "挂失")
    tokens, jwks = lists_and_keys(client)
    payload = verified_payload(tokens["GA"], jwks)
    assert is_set(payload["revocation"], revoked.status_index)
    assert not is_set(payload["revocation"], suspended.status_index)
    assert is_set(payload["suspension"], suspended.status_index)
    assert not any(is_set(payload[name], kept.status_index) for name in ("revocation", "suspension"))


def test_a_change_shows_in_the_next_list_at_once(client, issue_one, admin):
    certificate = issue_one()
    before, jwks = lists_and_keys(client)
    assert not is_set(verified_payload(before["GA"], jwks)["revocation"], certificate.status_index)
    issuance.set_status(admin, certificate.id, "suspended", "挂失")
    after, jwks = lists_and_keys(client)
    assert is_set(verified_payload(after["GA"], jwks)["suspension"], certificate.status_index)
    issuance.set_status(admin, certificate.id, "valid", "找回")
    again, jwks = lists_and_keys(client)
    assert not is_set(verified_payload(again["GA"], jwks)["suspension"], certificate.status_index)


def test_after_a_rotation_the_list_is_signed_by_the_new_key(client, issuer, issue_one, admin):
    issue_one()
    new_key = issuance.rotate_key(admin, issuer.id)
    tokens, jwks = lists_and_keys(client)
    assert verified_payload(tokens["GA"], jwks)["_kid"] == new_key.kid


def test_the_list_grows_in_steps_as_the_issuer_issues_more(app, db, issuer):
    from backend.certificates import verification

    assert verification.list_size(0) == verification.list_size(131_072) == 131_072
    assert verification.list_size(131_073) == 262_144


def test_the_lists_come_with_the_types_names_for_a_verifier_offline(client, id_type):
    types = client.get("/api/v1/certificates/status-lists").get_json()["types"]
    assert {"code": "ID", "name": "居民身份证", "name_en": "Resident ID card"} in types
