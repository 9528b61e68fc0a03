"""E-certificates' tables: issuers and their signing keys, certificate types, the
certificates themselves, where each was used, requests by consent, and bulk imports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db

# A key signs new certificates while current; once retired it only verifies.
KEY_CURRENT, KEY_RETIRED = "current", "retired"
# What the issuer says of a certificate. "expired" is not stored: it is read from expires_at.
VALID, REVOKED, SUSPENDED, EXPIRED = "valid", "revoked", "suspended", "expired"
STORED_STATUSES = (VALID, REVOKED, SUSPENDED)
# A request by consent: pending → approved | declined, or expired unanswered.
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
# Where a certificate was shown: checked by a verifier online, or shared at a window.
USE_VERIFY, USE_CONSENT = "verify", "consent"
# A bulk import's phases.
IMPORT_CHECKING, IMPORT_SIGNING, IMPORT_WRITING, IMPORT_DONE, IMPORT_FAILED = (
    "checking", "signing", "writing", "done", "failed")


class CertificateIssuer(db.Model):
    """An issuing authority (发证机关), usually a department."""

    __tablename__ = "certificate_issuers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    # The next index in this issuer's status list; taken under the row's lock.
    next_status_index: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change a status list shows, so a built list can be reused until then.
    status_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    keys: Mapped[list[SigningKey]] = relationship(
        back_populates="issuer", order_by="SigningKey.created_at", lazy="selectin")


class SigningKey(db.Model):
    """An ECDSA P-256 key. The private half is stored encrypted (AES-256-GCM with
    CERTIFICATE_KEYS_SECRET, the kid as associated data) and never leaves the server."""

    __tablename__ = "certificate_signing_keys"
    __table_args__ = (
        Index("uq_certificate_signing_keys_current", "issuer_id", unique=True,
              sqlite_where=text("status = 'current'"),
              postgresql_where=text("status = 'current'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_issuers.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)  # base64url of 8 bytes
    public_x: Mapped[str] = mapped_column(String(64))  # base64url, as in the JWK
    public_y: Mapped[str] = mapped_column(String(64))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=KEY_CURRENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    issuer: Mapped[CertificateIssuer] = relationship(back_populates="keys")


class CertificateType(db.Model):
    """A kind of certificate (居民身份证, 营业执照…) with the fields it carries."""

    __tablename__ = "certificate_types"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_issuers.id"), index=True)
    validity_days: Mapped[int | None] = mapped_column(Integer)  # None: never expires (长期)
    # [{"key", "label", "label_en"}]: the further fields, in the order shown.
    fields: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issuer: Mapped[CertificateIssuer] = relationship(lazy="joined")


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("issuer_id", "status_index"),
        UniqueConstraint("type_id", "number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_types.id"), index=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_issuers.id"))
    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_signing_keys.id"), index=True)
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=VALID)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_index: Mapped[int] = mapped_column(Integer)
    qr: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    type: Mapped[CertificateType] = relationship(lazy="joined")
    key: Mapped[SigningKey] = relationship(lazy="joined")


class CertificateUse(db.Model):
    """A time a certificate was shown and checked (调用): by a verifier online, or shared by
    consent at a window."""

    __tablename__ = "certificate_uses"
    __table_args__ = (Index("ix_certificate_uses_certificate_at", "certificate_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    certificate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    verifier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verifier_name: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(100))
    place: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certificate_requests.id", ondelete="SET NULL"))


class CertificateRequest(db.Model):
    """A clerk asks the citizen being served to share a certificate (无证明城市)."""

    __tablename__ = "certificate_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    clerk_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_types.id"))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"))
    verification: Mapped[dict | None] = mapped_column(JSON)

    type: Mapped[CertificateType] = relationship(lazy="joined")


class CertificateImport(db.Model):
    """A CSV of certificates issued all together or not at all; its row shows progress."""

    __tablename__ = "certificate_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=IMPORT_CHECKING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    csv_text: Mapped[str | None] = mapped_column(Text)  # dropped once finished
