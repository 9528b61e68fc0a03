"""Bulk issuing from a CSV (批量导入): all lines or none.

The request only reads the file and queues a job. The job checks every line (collecting
every line's error), then signs, then writes every certificate in one transaction. Its
row shows the phase and how far it got, for a progress bar; progress commits touch only
that row, so nothing is issued until the last step commits.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import UTC, datetime, time

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.audit import services as audit
from backend.certificates import issuance
from backend.certificates.models import (
    IMPORT_CHECKING,
    IMPORT_DONE,
    IMPORT_FAILED,
    IMPORT_SIGNING,
    IMPORT_WRITING,
    Certificate,
    CertificateImport,
    CertificateType,
)
from backend.common.time import utcnow
from backend.errors import AppError, Invalid, NotFound
from backend.extensions import db
from backend.jobs.services import enqueue, handler

IMPORT_JOB = "certificates.import"
MAX_LINES = 20_000
FIXED_COLUMNS = ("type", "holder", "holder_name", "number", "expires_at")
PROGRESS_EVERY = 500
ERRORS_KEPT = 1000


def start_import(actor, csv_text: str) -> dict:
    """Read the header and count the lines; the job does the rest. Returns the import as
    queued (the job may have moved it on by the time the answer is written)."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or [h.strip() for h in header[:3]] != ["type", "holder", "holder_name"]:
        raise Invalid("The first line names the columns: type,holder,holder_name,number,"
                      "expires_at, then the type's field keys.", code="bad_header")
    lines = sum(1 for row in reader if any(cell.strip() for cell in row))
    if lines == 0:
        raise Invalid("The file has no certificates.", code="empty_import")
    if lines > MAX_LINES:
        raise Invalid(f"At most {MAX_LINES} lines per import.", code="too_many_lines")
    job = CertificateImport(created_by=actor.id, status=IMPORT_CHECKING, total=lines,
                            csv_text=csv_text, errors=[])
    db.session.add(job)
    db.session.flush()
    enqueue(IMPORT_JOB, {"import_id": str(job.id), "actor_id": str(actor.id)})
    queued = {"id": job.id, "status": job.status, "total": job.total, "done": 0, "issued": 0,
              "errors": [], "created_at": job.created_at, "finished_at": None}
    db.session.commit()
    return queued


def get_import(actor, import_id) -> CertificateImport:
    job = db.session.get(CertificateImport, import_id)
    if job is None or (job.created_by != actor.id and "admin" not in actor.role_names):
        raise NotFound("No such import.", code="not_found")
    return job


def _progress(import_id, **values) -> None:
    db.session.execute(db.update(CertificateImport).where(CertificateImport.id == import_id)
                       .values(**values))
    db.session.commit()


def _parse_expiry(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise Invalid("expires_at is a date (2031-12-31) or a time with its offset.",
                      code="invalid_expires_at") from error
    if len(text) == 10:  # a date: the end of that day in China
        moment = datetime.combine(moment.date(), time(23, 59, 59), UTC)
    elif moment.tzinfo is None:
        raise Invalid("expires_at needs its offset (+08:00).", code="invalid_expires_at")
    return moment


@handler(IMPORT_JOB)
def run_import(payload: dict) -> None:
    import_id = uuid.UUID(payload["import_id"])  # the Uuid columns take UUIDs, not text
    job = db.session.get(CertificateImport, import_id)
    if job is None or job.status in (IMPORT_DONE, IMPORT_FAILED):
        db.session.rollback()
        return
    actor = db.session.get(User, uuid.UUID(payload["actor_id"]))
    csv_text = job.csv_text or ""
    db.session.rollback()
    try:
        drafts, errors = _check(import_id, actor, csv_text)
        if errors:
            _progress(import_id, status=IMPORT_FAILED, errors=errors[:ERRORS_KEPT],
                      csv_text=None, finished_at=utcnow())
            return
        _issue(import_id, actor, drafts)
    except Exception as error:  # nothing was issued: say so on the row, don't retry
        db.session.rollback()
        _progress(import_id, status=IMPORT_FAILED, csv_text=None, finished_at=utcnow(),
                  errors=[{"line": 0, "code": "import_failed", "message": repr(error)[:300]}])


def _check(import_id, actor, csv_text: str):
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")), skipinitialspace=True)
    rows = [(reader.line_num, row) for row in reader if any((v or "").strip() for v in row.values()
                                                           if isinstance(v, str))]
    types = {t.code: t for t in db.session.scalars(select(CertificateType))}
    usernames = {(row.get("holder") or "").strip().lower() for _, row in rows}
    holders = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}
    numbers = Counter(((row.get("type") or "").strip(), (row.get("number") or "").strip())
                      for _, row in rows if (row.get("number") or "").strip())
    taken = _numbers_taken(types, [key for key in numbers])
    now = utcnow()
    drafts, errors = [], []
    for done, (line, row) in enumerate(rows, 1):
        try:
            drafts.append(_draft(actor, types, holders, row, numbers, taken, now))
        except AppError as error:
            errors.append({"line": line, "code": error.code, "message": error.message})
        if done % PROGRESS_EVERY == 0:
            _progress(import_id, done=done)
    _progress(import_id, done=len(rows))
    return drafts, errors


def _numbers_taken(types: dict, keys: list[tuple[str, str]]) -> set:
    pairs = [(types[code].id, number) for code, number in keys if code in types]
    taken = set()
    ids_to_code = {t.id: code for code, t in types.items()}
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        rows = db.session.execute(select(Certificate.type_id, Certificate.number).where(
            tuple_(Certificate.type_id, Certificate.number).in_(chunk))).all()
        taken.update((ids_to_code[type_id], number) for type_id, number in rows)
    return taken


def _draft(actor, types, holders, row, numbers, taken, now) -> issuance.Draft:
    if None in row:
        raise Invalid("More cells than columns.", code="extra_cells")
    code = (row.get("type") or "").strip()
    ctype = types.get(code)
    if ctype is None:
        raise Invalid(f"No certificate type {code!r}.", code="unknown_type")
    if not issuance.may_issue_for(actor, ctype.issuer):
        raise Invalid(f"You do not issue {code}.", code="not_your_issuer")
    number = (row.get("number") or "").strip() or None
    if number and (numbers[(code, number)] > 1 or (code, number) in taken):
        raise Invalid(f"The number {number} is taken or repeated.", code="number_taken")
    declared = {f["key"] for f in ctype.fields}
    fields = {k: v for k, v in row.items() if k not in FIXED_COLUMNS and v not in (None, "")
              and (k in declared or v.strip())}
    holder = holders.get((row.get("holder") or "").strip().lower())
    return issuance.check_draft(ctype, holder, row.get("holder_name") or "", number, fields,
                                _parse_expiry(row.get("expires_at") or ""), now)


def _issue(import_id, actor, drafts: list[issuance.Draft]) -> None:
    _progress(import_id, status=IMPORT_SIGNING, done=0)
    per_issuer = Counter(d.type.issuer_id for d in drafts)
    # Indexes first, committed: they go into the signatures. Unused ones (a failed write)
    # stay zero bits in the status list.
    next_index = {issuer_id: issuance.reserve_indexes(issuer_id, count)
                  for issuer_id, count in per_issuer.items()}
    db.session.commit()
    signing_keys, now, rows = {}, utcnow(), []
    for done, draft in enumerate(drafts, 1):
        issuer = draft.type.issuer
        if issuer.id not in signing_keys:
            signing_keys[issuer.id] = issuance.current_key(issuer)
        index = next_index[issuer.id]
        next_index[issuer.id] += 1
        rows.append(issuance.sign_draft(draft, signing_keys[issuer.id], index, now, actor.id))
        if done % PROGRESS_EVERY == 0:
            _progress(import_id, done=done)
    _progress(import_id, status=IMPORT_WRITING, done=len(rows))
    db.session.add_all(rows)
    db.session.execute(db.update(CertificateImport).where(CertificateImport.id == import_id).values(
        status=IMPORT_DONE, issued=len(rows), csv_text=None, finished_at=utcnow()))
    audit.record(audit.CERTIFICATES_IMPORTED, actor=actor, target=("certificate_import", import_id),
                 details={"issued": len(rows),
                          "types": dict(Counter(d.type.code for d in drafts))})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _progress(import_id, status=IMPORT_FAILED, csv_text=None, finished_at=utcnow(), errors=[
            {"line": 0, "code": "number_taken",
             "message": "A number was issued by someone else meanwhile; nothing was issued."}])
