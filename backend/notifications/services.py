"""Notifying people, and their list."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.common.paging import Page, paginate
from backend.common.time import utcnow
from backend.errors import NotFound
from backend.extensions import db
from backend.notifications.models import Notification
from backend.push.services import notification_message, push_to_users


def notify(user_ids, kind: str, subject_id: uuid.UUID, params: dict) -> int:
    """Add a notification for each person (in the caller's transaction), and push it to their
    browsers once the transaction commits; one already there for the same person, kind and
    subject is kept as it is (and not pushed again). Returns how many were new."""
    rows = [{"id": uuid.uuid4(), "user_id": user_id, "kind": kind, "subject_id": subject_id,
             "params": params, "created_at": utcnow()} for user_id in dict.fromkeys(user_ids)]
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification)
    added = db.session.execute(insert.values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "subject_id"]).returning(Notification.user_id)).all()
    push_to_users([row.user_id for row in added], notification_message(kind, subject_id, params))
    return len(added)


def list_mine(user, *, unread: bool | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Unread first, then newest first."""
    query = select(Notification).where(Notification.user_id == user.id).order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id)
    if unread is not None:
        query = query.where(Notification.read_at.is_(None) if unread
                            else Notification.read_at.is_not(None))
    return paginate(query, page, per_page)


def set_read(user, notification_id: uuid.UUID, read: bool) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    if read and notification.read_at is None:
        notification.read_at = utcnow()
    elif not read:
        notification.read_at = None
    db.session.commit()
    return notification


def mark_all_read(user, before=None) -> int:
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.created_at < before)
    count = db.session.execute(query.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count or 0
