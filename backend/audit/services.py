"""Recording audited events, and reading them back.

An event is written in the caller's transaction (it exists exactly when the change it tells
of does) and, once that transaction commits, as one JSON line on the `civicgrid.audit`
logger, for whatever collects the server's logs. The audit package imports no feature:
every feature, the sync adapter included, writes to it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.common.paging import Page, paginate
from backend.common.request_ids import current_client_address, current_request_id
from backend.common.time import utcnow
from backend.extensions import db

AUDIT_LOG = logging.getLogger("civicgrid.audit")

# What is audited. Each name is "<area>.<what happened>"; the console groups by area.
SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
LOCKED_OUT = "auth.locked_out"
SIGN_OUT = "auth.sign_out"
TOKEN_REUSED = "auth.token_reused"
PASSWORD_CHANGED = "auth.password_changed"
PASSWORD_CHANGE_FAILED = "auth.password_change_failed"
ACCOUNT_CREATED = "account.created"
ACCOUNT_UPDATED = "account.updated"
ROLES_CHANGED = "account.roles_changed"
REGION_CHANGED = "account.region_changed"
DEPARTMENT_CHANGED = "account.department_changed"
ACCOUNT_DISABLED = "account.disabled"
ACCOUNT_ENABLED = "account.enabled"
PASSWORD_RESET = "account.password_reset"
CONFLICT_RESTORED = "sync.conflict_restored"
CONFLICT_ACCEPTED = "sync.conflict_accepted"
CASE_ACTION = "case.action"
CASE_FEEDBACK = "case.feedback"
# The service hall's set-up (一窗受理): halls, services, windows, managers, booking slots.
HALL_CREATED = "hall.created"
HALL_UPDATED = "hall.updated"
HALL_SERVICE_ADDED = "hall.service_added"
HALL_SERVICE_UPDATED = "hall.service_updated"
HALL_SERVICE_REMOVED = "hall.service_removed"
HALL_WINDOW_ADDED = "hall.window_added"
HALL_WINDOW_UPDATED = "hall.window_updated"
HALL_WINDOW_REMOVED = "hall.window_removed"
HALL_MANAGERS_SET = "hall.managers_set"
HALL_SLOT_ADDED = "hall.slot_added"
HALL_SLOT_REMOVED = "hall.slot_removed"
HALL_SETUP_ACTIONS = (HALL_CREATED, HALL_UPDATED, HALL_SERVICE_ADDED, HALL_SERVICE_UPDATED,
                      HALL_SERVICE_REMOVED, HALL_WINDOW_ADDED, HALL_WINDOW_UPDATED,
                      HALL_WINDOW_REMOVED, HALL_MANAGERS_SET, HALL_SLOT_ADDED, HALL_SLOT_REMOVED)
# The hall's supervision (电子监察) and bad ratings' follow-up (差评整改).
HALL_ALERT_ACKNOWLEDGED = "hall.alert_acknowledged"
HALL_FOLLOWUP_RECORDED = "hall.followup_recorded"
# E-certificates: what an issuer does (电子证照).
CERTIFICATE_ISSUER_CREATED = "certificate.issuer_created"
CERTIFICATE_KEY_ROTATED = "certificate.key_rotated"
CERTIFICATE_TYPE_SAVED = "certificate.type_saved"
CERTIFICATE_ISSUED = "certificate.issued"
CERTIFICATES_IMPORTED = "certificate.imported"
CERTIFICATE_STATUS_CHANGED = "certificate.status_changed"
CERTIFICATE_ACTIONS = (CERTIFICATE_ISSUER_CREATED, CERTIFICATE_KEY_ROTATED, CERTIFICATE_TYPE_SAVED,
                       CERTIFICATE_ISSUED, CERTIFICATES_IMPORTED, CERTIFICATE_STATUS_CHANGED)

ACTIONS = (SIGN_IN, SIGN_IN_FAILED, LOCKED_OUT, SIGN_OUT, TOKEN_REUSED, PASSWORD_CHANGED,
           PASSWORD_CHANGE_FAILED, ACCOUNT_CREATED, ACCOUNT_UPDATED, ROLES_CHANGED,
           REGION_CHANGED, DEPARTMENT_CHANGED, ACCOUNT_DISABLED, ACCOUNT_ENABLED, PASSWORD_RESET,
           CONFLICT_RESTORED, CONFLICT_ACCEPTED, CASE_ACTION, CASE_FEEDBACK,
           *HALL_SETUP_ACTIONS, HALL_ALERT_ACKNOWLEDGED, HALL_FOLLOWUP_RECORDED,
           *CERTIFICATE_ACTIONS)
AREAS = tuple(sorted({action.split(".")[0] for action in ACTIONS}))

_PENDING = "civicgrid.audit.pending"


def init_logging() -> None:
    """Audit lines are bare JSON, one per line on stderr (gunicorn's error log), so that a
    log collector can parse them without knowing our other lines' format."""
    if AUDIT_LOG.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    AUDIT_LOG.addHandler(handler)
    AUDIT_LOG.setLevel(logging.INFO)
    AUDIT_LOG.propagate = False


def record(action: str, *, actor=None, actor_name: str | None = None,
           target: tuple[str, Any] | None = None, details: dict | None = None) -> None:
    """Add an event to the current transaction: `actor` is the account acting (a User, or
    None from the command line or before sign-in), `target` what it acted on as
    (type, id). Nothing secret goes in `details`: never a password, never a token."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    target_type, target_id = target if target else (None, None)
    entry = AuditEvent(
        at=utcnow(), action=action,
        actor_id=getattr(actor, "id", None),
        actor_name=(actor_name if actor_name is not None else getattr(actor, "username", ""))[:64],
        target_type=target_type, target_id=str(target_id)[:64] if target_id is not None else None,
        address=current_client_address(),
        request_id=current_request_id(), details=details or {})
    db.session.add(entry)
    db.session.info.setdefault(_PENDING, []).append(_log_line(entry))


def _log_line(entry: AuditEvent) -> dict:
    # Taken now: after the commit the row's attributes are expired and may not be loaded.
    return {"audit": entry.action, "at": entry.at.isoformat(), "actor_id": _text(entry.actor_id),
            "actor": entry.actor_name, "target_type": entry.target_type,
            "target_id": entry.target_id, "address": entry.address,
            "request_id": entry.request_id, "details": entry.details}


def _text(value) -> str | None:
    return str(value) if value is not None else None


@event.listens_for(Session, "after_commit")
def _write_log_lines(session: Session) -> None:
    for line in session.info.pop(_PENDING, ()):
        AUDIT_LOG.info(json.dumps(line, ensure_ascii=False, default=str, sort_keys=True))


@event.listens_for(Session, "after_soft_rollback")
def _drop_log_lines(session: Session, previous_transaction) -> None:
    # Rolled back: the event did not happen, and neither does its log line.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def list_events(*, action: str | None = None, actor: str | None = None,
                target_id: str | None = None, since: datetime | None = None,
                until: datetime | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Newest first. `action` is a whole name (auth.sign_in) or an area (auth)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action if "." in action
                            else AuditEvent.action.startswith(f"{action}.", autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor_name == actor.strip().lower())
    if target_id:
        query = query.where(AuditEvent.target_id == str(target_id))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return paginate(query, page, per_page)
