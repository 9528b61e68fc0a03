"""The citizen's own certificates (电子证照 in the wallet) and where each was used."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.accounts.models import User
from backend.certificates.issuance import status_of
from backend.certificates.models import Certificate, CertificateUse
from backend.errors import NotFound
from backend.extensions import db

USES_SHOWN = 20


def own_certificates(user) -> list[Certificate]:
    return db.session.scalars(select(Certificate).where(Certificate.holder_id == user.id)
                              .order_by(Certificate.issued_at.desc(), Certificate.id)).all()


def own_certificate(user, certificate_id) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.holder_id != user.id:
        raise NotFound("No such certificate.", code="not_found")
    return certificate


def uses_of(certificate_ids) -> tuple[dict, dict]:
    """The latest uses of each certificate, and how many in all."""
    ids = list(certificate_ids)
    if not ids:
        return {}, {}
    counts = dict(db.session.execute(select(CertificateUse.certificate_id, func.count()).where(
        CertificateUse.certificate_id.in_(ids)).group_by(CertificateUse.certificate_id)).all())
    ranked = (select(CertificateUse, func.row_number().over(
        partition_by=CertificateUse.certificate_id,
        order_by=CertificateUse.at.desc()).label("rank"))
        .where(CertificateUse.certificate_id.in_(ids)).subquery())
    latest = db.session.execute(select(ranked).where(ranked.c.rank <= USES_SHOWN)
                                .order_by(ranked.c.at.desc())).mappings().all()
    by_certificate: dict = {}
    for use in latest:
        by_certificate.setdefault(use["certificate_id"], []).append(use_view(use))
    return by_certificate, counts


def use_view(use) -> dict:
    return {"id": use["id"], "at": use["at"], "channel": use["channel"],
            "verifier": use["verifier_name"], "organisation": use["organisation"],
            "place": use["place"], "verdict": use["verdict"]}


def certificate_view(certificate: Certificate, *, uses=None, uses_count=None) -> dict:
    ctype = certificate.type
    return {
        "id": certificate.id, "type": ctype.code, "type_name": ctype.name,
        "type_name_en": ctype.name_en, "number": certificate.number,
        "holder_name": certificate.holder_name, "issuer": ctype.issuer.code,
        "issuer_name": ctype.issuer.name, "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at, "status": status_of(certificate),
        "status_reason": certificate.status_reason,
        "fields": [{"key": f["key"], "label": f["label"], "label_en": f.get("label_en", ""),
                    "value": certificate.fields.get(f["key"], "")} for f in ctype.fields
                   if f["key"] in certificate.fields],
        "qr": certificate.qr, "kid": certificate.key.kid,
        "uses": uses if uses is not None else [], "uses_count": uses_count or 0,
    }


def issued_views(certificates: list[Certificate]) -> list[dict]:
    """The issuer's view: each certificate with its holder's username (one query for all)."""
    ids = {c.holder_id for c in certificates}
    usernames = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) \
        if ids else {}
    return [certificate_view(c) | {"holder": usernames.get(c.holder_id, ""),
                                   "status_changed_at": c.status_changed_at} for c in certificates]


def wallet_views(certificates: list[Certificate]) -> list[dict]:
    uses, counts = uses_of(c.id for c in certificates)
    return [certificate_view(c, uses=uses.get(c.id, []), uses_count=counts.get(c.id, 0))
            for c in certificates]
