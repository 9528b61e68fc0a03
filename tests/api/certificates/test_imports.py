"""Bulk issuing from a CSV (批量导入): the request queues a job and answers 202; the job (run
here by the in-process worker) issues every line or, when any line is bad, none of them and
says which lines and why."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.certificates.models import Certificate
from backend.jobs import worker
from tests import factories

IMPORTS = "/api/v1/certificate-imports"
HEADER = "type,holder,holder_name,number,expires_at,gender,birth_date,address"


def drain(app, db) -> None:
    # Requests here share the test's session; on SQLite its open transaction would hold
    # the write lock the job worker needs.
    db.session.rollback()
    assert worker.local(app).drain()


def certificates_count(db) -> int:
    count = db.session.scalar(select(func.count()).select_from(Certificate))
    db.session.rollback()
    return count


def line(holder, number: str, *, type_code: str = "ID", address: str = "兰山区金雀山路 1 号",
         expires_at: str = "") -> str:
    username = holder if isinstance(holder, str) else holder.username
    return f"{type_code},{username},李娜,{number},{expires_at},女,1990-05-17,{address}"


def run_import(app, db, client, headers, lines: list[str]) -> dict:
    started = client.post(IMPORTS, headers=headers, json={"csv": "\n".join([HEADER, *lines]) + "\n"})
    assert started.status_code == 202, started.get_json()
    drain(app, db)
    finished = client.get(f"{IMPORTS}/{started.get_json()['id']}", headers=headers)
    assert finished.status_code == 200
    return finished.get_json()


def test_an_import_is_queued_with_its_line_count(client, admin_headers, id_type, citizen):
    response = client.post(IMPORTS, headers=admin_headers, json={
        "csv": "\n".join([HEADER, line(citizen, "N-1"), "", line(citizen, "N-2")])})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "checking" and body["total"] == 2 and body["issued"] == 0


def test_an_import_issues_every_line(app, db, client, admin_headers, id_type, citizen):
    other = factories.make_user(roles=("citizen",))
    body = run_import(app, db, client, admin_headers, [
        line(citizen, "N-1"), line(other, "N-2"), line(citizen, "", expires_at="2035-12-31")])
    assert body["status"] == "done", body
    assert body["issued"] == 3 and body["done"] == 3 and body["errors"] == []
    assert body["finished_at"] is not None
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.status_index)).all()
    assert [c.status_index for c in certificates] == [0, 1, 2]
    assert [c.number for c in certificates][:2] == ["N-1", "N-2"]
    assert certificates[2].expires_at.isoformat() == "2035-12-31T23:59:59+00:00"
    assert certificates[0].fields == {"gender": "女", "birth_date": "1990-05-17",
                                      "address": "兰山区金雀山路 1 号"}


def test_imported_certificates_verify(app, db, client, admin_headers, id_type, citizen):
    run_import(app, db, client, admin_headers, [line(citizen, "N-1")])
    certificate = db.session.scalar(select(Certificate))
    verdict = client.post("/api/v1/certificates/verify", json={"qr": certificate.qr}).get_json()
    assert verdict["valid"] is True and verdict["reason"] == "valid"


def test_an_import_is_audited_once(app, db, client, admin_headers, id_type, citizen):
    run_import(app, db, client, admin_headers, [line(citizen, "N-1"), line(citizen, "N-2")])
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.imported"))
    assert event.details == {"issued": 2, "types": {"ID": 2}}


# Each: two bad lines (3 and 5) among good ones (2 and 4), and the code each gets.
BAD_LINES = {
    "unknown type": (lambda c: line(c, "X-1", type_code="XX"),
                     lambda c: line(c, "X-2", type_code="YY"), "unknown_type"),
    "a field missing": (lambda c: line(c, "X-1", address=""),
                        lambda c: line(c, "X-2", address=" "), "wrong_fields"),
    "a number twice in the file": (lambda c: line(c, "DUP"), lambda c: line(c, "DUP"),
                                   "number_taken"),
    "unknown holder": (lambda c: line("nobody", "X-1"), lambda c: line("nobody2", "X-2"),
                       "unknown_holder"),
    "expired already": (lambda c: line(c, "X-1", expires_at="2020-01-01"),
                        lambda c: line(c, "X-2", expires_at="2021-06-30T00:00:00+08:00"),
                        "already_expired"),
    "a bad date": (lambda c: line(c, "X-1", expires_at="31/12/2035"),
                   lambda c: line(c, "X-2", expires_at="2035-12-31T00:00:00"),
                   "invalid_expires_at"),
}


@pytest.mark.parametrize(("first", "second", "code"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_lines_fail_the_import_with_their_numbers_and_codes(app, db, client, admin_headers,
                                                                 id_type, citizen, first, second,
                                                                 code):
    body = run_import(app, db, client, admin_headers, [
        line(citizen, "OK-1"), first(citizen), line(citizen, "OK-2"), second(citizen)])
    assert body["status"] == "failed", body
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, code), (5, code)]
    assert all(e["message"] for e in body["errors"]) and body["issued"] == 0


@pytest.mark.parametrize("kind", BAD_LINES.keys())
def test_a_failed_import_issues_nothing(app, db, client, admin_headers, id_type, citizen,
                                        issue_one, kind):
    issue_one(number="BEFORE")
    before = certificates_count(db)
    first, second, _ = BAD_LINES[kind]
    run_import(app, db, client, admin_headers, [
        line(citizen, "OK-1"), first(citizen), line(citizen, "OK-2"), second(citizen)])
    assert certificates_count(db) == before == 1


def test_a_number_issued_before_is_a_bad_line(app, db, client, admin_headers, id_type, citizen,
                                              issue_one):
    issue_one(number="TAKEN")
    body = run_import(app, db, client, admin_headers, [line(citizen, "OK-1"), line(citizen, "TAKEN")])
    assert body["status"] == "failed"
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, "number_taken")]


def test_every_kind_of_bad_line_is_reported_at_once(app, db, client, admin_headers, id_type, citizen):
    body = run_import(app, db, client, admin_headers, [
        line(citizen, "X-1", type_code="XX"), line(citizen, "X-2", address=""),
        line(citizen, "DUP"), line("nobody", "X-3"), line(citizen, "DUP")])
    assert [(e["line"], e["code"]) for e in body["errors"]] == [
        (2, "unknown_type"), (3, "wrong_fields"), (4, "number_taken"), (5, "unknown_holder"),
        (6, "number_taken")]


BAD_FILES = {
    "no header": (line("someone", "N-1") + "\n", "bad_header"),
    "columns in another order": ("holder,type,holder_name\nx,ID,李娜\n", "bad_header"),
    "only the header": (HEADER + "\n", "empty_import"),
    "the header and blank lines": (HEADER + "\n\n,,,,,,,\n", "empty_import"),
}


@pytest.mark.parametrize(("text", "code"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_without_a_header_or_lines_is_refused_at_once(client, admin_headers, id_type, text,
                                                             code):
    response = client.post(IMPORTS, headers=admin_headers, json={"csv": text})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_an_empty_file_is_refused(client, admin_headers, id_type):
    response = client.post(IMPORTS, headers=admin_headers, json={"csv": ""})
    assert response.status_code == 422


def test_staff_may_not_import_for_another_issuer(app, db, client, login_as, id_type, citizen):
    department = factories.make_department("SWJ", "税务局")
    staff = factories.make_user(roles=("department",), department=department)
    body = run_import(app, db, client, login_as(staff), [line(citizen, "N-1")])
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(2, "not_your_issuer")]
    assert certificates_count(db) == 0


def test_someone_elses_import_is_not_found(app, db, client, admin_headers, login_as, id_type,
                                           citizen):
    started = client.post(IMPORTS, headers=admin_headers,
                          json={"csv": f"{HEADER}\n{line(citizen, 'N-1')}\n"}).get_json()
    staff = factories.make_user(roles=("department",), department=factories.make_department())
    response = client.get(f"{IMPORTS}/{started['id']}", headers=login_as(staff))
    assert response.status_code == 404
    drain(app, db)
