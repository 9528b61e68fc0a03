"""Issuers, certificate types, issuing, revoking and suspending (an issuer's work).

An administrator may do all of it; a department's staff may for the issuers bound to their
department. Every write is one transaction and, where the issue asks, audited.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from backend.accounts.models import User
from backend.audit import services as audit
from backend.certificates import keys, qr
from backend.certificates.models import (
    EXPIRED,
    KEY_CURRENT,
    REVOKED,
    SUSPENDED,
    VALID,
    Certificate,
    CertificateIssuer,
    CertificateType,
    SigningKey,
)
from backend.common.auth import ADMIN, CITIZEN, DEPARTMENT
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,15}$")
FIELD_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_FIELD_VALUE = 200


# -- who may --------------------------------------------------------------------------------

def may_issue_for(user, issuer: CertificateIssuer) -> bool:
    roles = user.role_names
    return ADMIN in roles or (DEPARTMENT in roles and issuer.department_id is not None
                              and issuer.department_id == user.department_id)


def _require_issuer(user, issuer: CertificateIssuer) -> None:
    if not may_issue_for(user, issuer):
        raise Forbidden("Only this issuer's department or an administrator may do this.",
                        code="not_your_issuer")


def _require_admin(user) -> None:
    if ADMIN not in user.role_names:
        raise Forbidden("Only an administrator may do this.", code="forbidden_role")


def _issuers_filter(user):
    if ADMIN in user.role_names:
        return True
    return CertificateIssuer.department_id == user.department_id


# -- issuers and keys -----------------------------------------------------------------------

def list_issuers(user) -> list[CertificateIssuer]:
    return db.session.scalars(select(CertificateIssuer).where(_issuers_filter(user))
                              .order_by(CertificateIssuer.code)).all()


def key_counts(issuer_ids) -> dict:
    """Certificates signed per key id, for the issuers' key tables."""
    rows = db.session.execute(select(Certificate.key_id, func.count()).where(
        Certificate.issuer_id.in_(list(issuer_ids))).group_by(Certificate.key_id))
    return dict(rows.all())


def create_issuer(actor, *, code: str, name: str, department_id=None) -> CertificateIssuer:
    """A new issuer with its first signing key."""
    _require_admin(actor)
    if not CODE_PATTERN.match(code):
        raise Invalid("A code is 1–16 capital letters and digits, starting with a letter.",
                      code="invalid_code")
    if db.session.scalar(select(CertificateIssuer.id).where(CertificateIssuer.code == code)):
        raise Conflict(f"The issuer code {code} is taken.", code="code_taken")
    issuer = CertificateIssuer(id=uuid.uuid4(), code=code, name=name.strip(),
                               department_id=department_id)
    db.session.add(issuer)
    db.session.flush()
    key = keys.new_key(issuer.id)
    audit.record(audit.CERTIFICATE_ISSUER_CREATED, actor=actor, target=("certificate_issuer", issuer.id),
                 details={"code": code, "kid": key.kid})
    commit_or_conflict(f"The issuer code {code} is taken.", "code_taken")
    return issuer


def _locked_issuer(issuer_id) -> CertificateIssuer:
    issuer = db.session.scalar(select(CertificateIssuer).where(CertificateIssuer.id == issuer_id)
                               .with_for_update().execution_options(populate_existing=True))
    if issuer is None:
        raise NotFound("No such issuer.", code="not_found")
    return issuer


def rotate_key(actor, issuer_id) -> SigningKey:
    """A new current key; the old one retires and keeps verifying what it signed (轮换)."""
    issuer = _locked_issuer(issuer_id)
    _require_issuer(actor, issuer)
    old = next((k.kid for k in issuer.keys if k.status == KEY_CURRENT), None)
    key = keys.rotate(issuer)
    issuer.status_version += 1  # status lists are signed by the current key
    audit.record(audit.CERTIFICATE_KEY_ROTATED, actor=actor, target=("certificate_issuer", issuer.id),
                 details={"code": issuer.code, "retired_kid": old, "kid": key.kid})
    db.session.commit()
    return key


def current_key(issuer: CertificateIssuer) -> SigningKey:
    key = next((k for k in issuer.keys if k.status == KEY_CURRENT), None)
    if key is None:  # only a hand-edited database gets here
        raise Conflict(f"The issuer {issuer.code} has no current key; rotate to make one.",
                       code="no_current_key")
    return key


# -- types ----------------------------------------------------------------------------------

def list_types() -> list[CertificateType]:
    """Every type (a clerk picks one to request; an issuer manages its own)."""
    return db.session.scalars(select(CertificateType).order_by(CertificateType.code)).all()


def _type_by_code(code: str) -> CertificateType:
    found = db.session.scalar(select(CertificateType).where(CertificateType.code == code))
    if found is None:
        raise Invalid(f"No certificate type {code}.", code="unknown_type")
    return found


def _check_fields(fields: list[dict]) -> list[dict]:
    seen = set()
    for field in fields:
        key = field["key"]
        if not FIELD_KEY_PATTERN.match(key) or key in seen:
            raise Invalid(f"Field keys are lower-case words, each once: {key!r}.",
                          code="invalid_field_key",
                          details={"fields": {key: ["a lower-case word, used once"]}})
        seen.add(key)
    return [{"key": f["key"], "label": f["label"], "label_en": f.get("label_en") or ""}
            for f in fields]


def create_type(actor, *, code: str, name: str, issuer_id, fields: list[dict],
                name_en: str = "", validity_days: int | None = None) -> CertificateType:
    issuer = db.session.get(CertificateIssuer, issuer_id)
    if issuer is None:
        raise Invalid("No such issuer.", code="unknown_issuer")
    _require_issuer(actor, issuer)
    if not CODE_PATTERN.match(code):
        raise Invalid("A code is 1–16 capital letters and digits, starting with a letter.",
                      code="invalid_code")
    if db.session.scalar(select(CertificateType.id).where(CertificateType.code == code)):
        raise Conflict(f"The type code {code} is taken.", code="code_taken")
    ctype = CertificateType(code=code, name=name.strip(), name_en=name_en.strip(), issuer=issuer,
                            validity_days=validity_days, fields=_check_fields(fields))
    db.session.add(ctype)
    db.session.flush()
    audit.record(audit.CERTIFICATE_TYPE_SAVED, actor=actor, target=("certificate_type", ctype.id),
                 details={"code": code, "created": True})
    commit_or_conflict(f"The type code {code} is taken.", "code_taken")
    return ctype


def update_type(actor, type_id, **changes) -> CertificateType:
    """Name, validity and fields; issued certificates keep what they were issued with."""
    ctype = db.session.get(CertificateType, type_id)
    if ctype is None:
        raise NotFound("No such certificate type.", code="not_found")
    _require_issuer(actor, ctype.issuer)
    if "fields" in changes:
        changes["fields"] = _check_fields(changes["fields"])
    for name, value in changes.items():
        setattr(ctype, name, value.strip() if isinstance(value, str) else value)
    audit.record(audit.CERTIFICATE_TYPE_SAVED, actor=actor, target=("certificate_type", ctype.id),
                 details={"code": ctype.code, "changed": sorted(changes)})
    db.session.commit()
    return ctype


# -- issuing --------------------------------------------------------------------------------

@dataclass
class Draft:
    """One certificate to issue, checked, before it has an index and a signature."""

    type: CertificateType
    holder_id: uuid.UUID
    holder_username: str
    holder_name: str
    number: str | None
    fields: dict
    expires_at: datetime | None


def check_draft(ctype: CertificateType, holder: User | None, holder_name: str, number: str | None,
                fields: dict, expires_at: datetime | None, now: datetime) -> Draft:
    """Invalid (with a code) for anything wrong with one certificate's input."""
    if holder is None or not holder.is_active or CITIZEN not in holder.role_names:
        raise Invalid("The holder must be an active citizen's account.", code="unknown_holder")
    declared = [f["key"] for f in ctype.fields]
    unknown = sorted(set(fields) - set(declared))
    missing = [k for k in declared if not str(fields.get(k, "")).strip()]
    if unknown or missing:
        raise Invalid("The fields must be exactly the type's.", code="wrong_fields",
                      details={"fields": {**{k: ["missing"] for k in missing},
                                              **{k: ["not a field of this type"] for k in unknown}}})
    values = {k: str(fields[k]).strip() for k in declared}
    if any(len(v) > MAX_FIELD_VALUE for v in values.values()):
        raise Invalid(f"A field's value is at most {MAX_FIELD_VALUE} characters.", code="field_too_long")
    name = holder_name.strip()
    if not name or len(name) > 100:
        raise Invalid("The holder's name is 1–100 characters.", code="invalid_holder_name")
    if number is not None:
        number = number.strip()
        if not re.fullmatch(r"[0-9A-Za-z\-]{1,64}", number):
            raise Invalid("A number is 1–64 letters, digits and hyphens.", code="invalid_number")
    if expires_at is None and ctype.validity_days:
        expires_at = now + timedelta(days=ctype.validity_days)
    if expires_at is not None and expires_at <= now:
        raise Invalid("It would be expired already.", code="already_expired")
    return Draft(ctype, holder.id, holder.username, name, number, values, expires_at)


def reserve_indexes(issuer_id, count: int) -> int:
    """The first of `count` status-list indexes taken for this issuer (in the caller's
    transaction, under the issuer's lock). Unused ones stay zero bits: harmless."""
    issuer = _locked_issuer(issuer_id)
    first = issuer.next_status_index
    issuer.next_status_index += count
    issuer.status_version += 1
    return first


def sign_draft(draft: Draft, key: SigningKey, index: int, now: datetime,
               actor_id=None) -> Certificate:
    """The certificate row, signed (not added)."""
    ctype = draft.type
    number = draft.number or f"{ctype.code}{now.year}{index:08d}"
    claims = qr.Claims(issuer=ctype.issuer.code, type=ctype.code, number=number,
                       holder_name=draft.holder_name, fields_hash=qr.fields_hash(draft.fields),
                       status_index=index, issued_at=now, expires_at=draft.expires_at)
    return Certificate(id=uuid.uuid4(), type_id=ctype.id, issuer_id=ctype.issuer_id, key_id=key.id,
                       holder_id=draft.holder_id, number=number, holder_name=draft.holder_name,
                       fields=draft.fields, issued_at=now.replace(microsecond=0),
                       expires_at=draft.expires_at.replace(microsecond=0) if draft.expires_at else None,
                       status=VALID, status_reason="", status_index=index, issued_by=actor_id,
                       qr=qr.sign(claims, key.kid, keys.private_key(key)))


def holder_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.strip().lower()))


def issue(actor, *, type: str, holder: str, holder_name: str, fields: dict,
          number: str | None = None, expires_at: datetime | None = None) -> Certificate:
    """Issue one certificate to a citizen (发证)."""
    ctype = _type_by_code(type)
    _require_issuer(actor, ctype.issuer)
    now = utcnow()
    draft = check_draft(ctype, holder_by_username(holder), holder_name, number, fields, expires_at, now)
    if draft.number and _number_taken(ctype.id, draft.number):
        raise Conflict(f"The number {draft.number} is taken for this type.", code="number_taken")
    index = reserve_indexes(ctype.issuer_id, 1)
    certificate = sign_draft(draft, current_key(ctype.issuer), index, now, actor.id)
    db.session.add(certificate)
    db.session.flush()
    audit.record(audit.CERTIFICATE_ISSUED, actor=actor, target=("certificate", certificate.id),
                 details={"type": ctype.code, "number": certificate.number,
                          "holder": draft.holder_username})
    commit_or_conflict(f"The number {certificate.number} is taken for this type.", "number_taken")
    return certificate


def _number_taken(type_id, number: str) -> bool:
    return db.session.scalar(select(Certificate.id).where(
        Certificate.type_id == type_id, Certificate.number == number)) is not None


# -- status ---------------------------------------------------------------------------------

def status_of(certificate: Certificate, now: datetime | None = None) -> str:
    """valid, revoked, suspended, or expired (read from the dates, never stored)."""
    if certificate.status != VALID:
        return certificate.status
    if certificate.expires_at is not None and certificate.expires_at <= (now or utcnow()):
        return EXPIRED
    return VALID


def set_status(actor, certificate_id, status: str, reason: str) -> Certificate:
    """Revoke (final), suspend, or reinstate a suspended certificate (吊销、暂停、恢复)."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.id == certificate_id)
                                    .with_for_update(of=Certificate).execution_options(populate_existing=True))
    if certificate is None:
        raise NotFound("No such certificate.", code="not_found")
    _require_issuer(actor, certificate.type.issuer)
    if certificate.status == REVOKED:
        raise Conflict("A revoked certificate stays revoked.", code="invalid_transition",
                       details={"current": {"status": REVOKED}})
    if status in (REVOKED, SUSPENDED) and not reason.strip():
        raise Invalid("Say why.", code="reason_required")
    if certificate.status == status:
        return certificate
    before = certificate.status
    certificate.status, certificate.status_reason = status, reason.strip()
    certificate.status_changed_at = utcnow()
    db.session.execute(update(CertificateIssuer).where(CertificateIssuer.id == certificate.issuer_id)
                       .values(status_version=CertificateIssuer.status_version + 1))
    audit.record(audit.CERTIFICATE_STATUS_CHANGED, actor=actor, target=("certificate", certificate.id),
                 details={"number": certificate.number, "type": certificate.type.code,
                          "from": before, "to": status, "reason": reason.strip()})
    db.session.commit()
    return certificate


# -- reading ----------------------------------------------------------------------------------

def list_issued(actor, *, q: str | None = None, type: str | None = None,
                status: str | None = None):
    """The certificates of the issuers this person works for, newest first (a query to page)."""
    query = (select(Certificate).join(CertificateIssuer, Certificate.issuer_id == CertificateIssuer.id)
             .where(_issuers_filter(actor)).order_by(Certificate.issued_at.desc(), Certificate.id))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(Certificate.number.ilike(like), Certificate.holder_name.ilike(like)))
    if type:
        query = query.join(CertificateType, Certificate.type_id == CertificateType.id).where(
            CertificateType.code == type)
    now = utcnow()
    if status == EXPIRED:
        query = query.where(Certificate.status == VALID, Certificate.expires_at <= now)
    elif status == VALID:
        query = query.where(Certificate.status == VALID, or_(Certificate.expires_at.is_(None),
                                                             Certificate.expires_at > now))
    elif status:
        query = query.where(Certificate.status == status)
    return query


def get_issued(actor, certificate_id) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not may_issue_for(actor, certificate.type.issuer):
        raise NotFound("No such certificate.", code="not_found")
    return certificate
