"""Use by consent (无证明城市): the clerk serving a ticket asks its holder for a
certificate; the citizen approves or declines on the phone; on approval the clerk sees
the certificate, checked on the server, and the use is logged on both sides."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from backend.accounts.models import User
from backend.certificates import issuance, verification, wallet
from backend.certificates.models import (
    APPROVED,
    DECLINED,
    EXPIRED,
    PENDING,
    USE_CONSENT,
    Certificate,
    CertificateRequest,
    CertificateUse,
)
from backend.common.auth import CLERK
from backend.common.settings import setting
from backend.common.time import utcnow
from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.push.services import push_to_users
from backend.queue.models import CALLED, Hall, Ticket, Window


def request_certificate(clerk, ticket_id, *, type: str, purpose: str = "") -> CertificateRequest:
    """Ask the holder of the ticket this clerk is serving for a certificate of a type."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id)
                               .with_for_update().execution_options(populate_existing=True))
    if ticket is None:
        raise NotFound("No such ticket.", code="not_found")
    if ticket.status != CALLED or ticket.clerk_id != clerk.id or ticket.window_id is None:
        raise Conflict("Only the ticket you are serving now.", code="invalid_transition",
                       details={"current": {"status": ticket.status}})
    ctype = issuance._type_by_code(type)
    now = utcnow()
    request = CertificateRequest(ticket_id=ticket.id, window_id=ticket.window_id, clerk_id=clerk.id,
                                 citizen_id=ticket.user_id, type_id=ctype.id,
                                 purpose=purpose.strip()[:200], status=PENDING, requested_at=now,
                                 expires_at=now + timedelta(seconds=setting("CERTIFICATE_REQUEST_TTL_S")))
    db.session.add(request)
    db.session.flush()
    hall, window = db.session.get(Hall, ticket.hall_id), db.session.get(Window, ticket.window_id)
    push_to_users([ticket.user_id], {
        "title": f"{window.number} 号窗口请求查看您的{ctype.name}",
        "body": f"{hall.name}：{request.purpose or '办理业务需要'}。点此同意或拒绝。",
        "url": f"/#/certificate-requests/{request.id}", "tag": f"certificate_request:{request.id}",
        "kind": "certificate_request", "request_id": str(request.id), "ticket_id": str(ticket.id)})
    db.session.commit()
    return request


def status_now(request: CertificateRequest) -> str:
    if request.status == PENDING and request.expires_at <= utcnow():
        return EXPIRED
    return request.status


def list_requests(user, ticket_id=None) -> list[CertificateRequest]:
    """Addressed to this citizen, or (a clerk's) made today; pending first, newest first."""
    query = select(CertificateRequest)
    if CLERK in user.role_names:
        since = utcnow() - timedelta(days=1)
        query = query.where(or_(CertificateRequest.citizen_id == user.id,
                                (CertificateRequest.clerk_id == user.id)
                                & (CertificateRequest.requested_at >= since)))
    else:
        query = query.where(CertificateRequest.citizen_id == user.id)
    if ticket_id is not None:
        query = query.where(CertificateRequest.ticket_id == ticket_id)
    rows = db.session.scalars(query.order_by(CertificateRequest.requested_at.desc()).limit(50)).all()
    return sorted(rows, key=lambda r: status_now(r) != PENDING)  # stable: newest first within


def get_request(user, request_id, *, lock: bool = False) -> CertificateRequest:
    query = select(CertificateRequest).where(CertificateRequest.id == request_id)
    if lock:
        query = query.with_for_update(of=CertificateRequest).execution_options(populate_existing=True)
    request = db.session.scalar(query)
    if request is None or user.id not in (request.citizen_id, request.clerk_id):
        raise NotFound("No such request.", code="not_found")
    return request


def _open_request(citizen, request_id) -> CertificateRequest:
    request = get_request(citizen, request_id, lock=True)
    if request.citizen_id != citizen.id:
        raise NotFound("No such request.", code="not_found")
    if status_now(request) != PENDING:
        raise Conflict("This request is answered or expired.", code="request_closed",
                       details={"current": {"status": status_now(request)}})
    return request


def approve(citizen, request_id, certificate_id) -> CertificateRequest:
    """Share one's certificate of the requested type; checked as a verifier would."""
    request = _open_request(citizen, request_id)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.holder_id != citizen.id \
            or certificate.type_id != request.type_id:
        raise Invalid("Choose one of your own certificates of the requested type.",
                      code="wrong_certificate")
    answer, _row = verification.verdict(certificate.qr)
    now = utcnow()
    request.status, request.answered_at = APPROVED, now
    request.certificate_id = certificate.id
    request.verification = {"valid": answer["valid"], "reason": answer["reason"]}
    clerk = db.session.get(User, request.clerk_id)
    window = db.session.get(Window, request.window_id)
    hall = db.session.get(Hall, window.hall_id)
    db.session.add(CertificateUse(
        certificate_id=certificate.id, at=now, channel=USE_CONSENT, verdict=answer["reason"],
        verifier_id=clerk.id, verifier_name=clerk.display_name or clerk.username,
        organisation=hall.name, place=f"{hall.name} {window.number}号窗口", request_id=request.id))
    db.session.commit()
    return request


def decline(citizen, request_id) -> CertificateRequest:
    request = _open_request(citizen, request_id)
    request.status, request.answered_at = DECLINED, utcnow()
    db.session.commit()
    return request


def request_view(request: CertificateRequest) -> dict:
    window = db.session.get(Window, request.window_id)
    hall = db.session.get(Hall, window.hall_id) if window else None
    ticket = db.session.get(Ticket, request.ticket_id)
    clerk = db.session.get(User, request.clerk_id)
    certificate = None
    if request.status == APPROVED and request.certificate_id:
        shared = db.session.get(Certificate, request.certificate_id)
        if shared is not None:
            certificate = wallet.certificate_view(shared) | {"verification": request.verification}
            certificate.pop("uses"), certificate.pop("uses_count")
    return {"id": request.id, "ticket_id": request.ticket_id,
            "ticket_number": ticket.number if ticket else None,
            "type": request.type.code, "type_name": request.type.name,
            "type_name_en": request.type.name_en, "purpose": request.purpose,
            "status": status_now(request), "requested_at": request.requested_at,
            "expires_at": request.expires_at, "answered_at": request.answered_at,
            "hall_name": hall.name if hall else None,
            "window_number": window.number if window else None,
            "clerk_name": (clerk.display_name or clerk.username) if clerk else None,
            "certificate": certificate}
