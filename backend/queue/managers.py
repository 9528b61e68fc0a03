"""Who looks after a hall (大厅负责人): its managers (the hall_managers table) and admins.

A manager sees only their own halls' alerts and follow-ups; another hall's are not there
for them (404), as a case outside a supervisor's region is not.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.accounts.models import User
from backend.common.auth import ADMIN
from backend.errors import NotFound
from backend.extensions import db
from backend.queue.models import Hall, hall_managers


def manages(user, hall_id: uuid.UUID) -> bool:
    if ADMIN in user.role_names:
        return True
    return db.session.scalar(select(hall_managers.c.hall_id).where(
        hall_managers.c.hall_id == hall_id, hall_managers.c.user_id == user.id)) is not None


def managed_hall(user, hall_id: uuid.UUID) -> Hall:
    """The hall, if the caller looks after it; otherwise 404, as if it were not there."""
    hall = db.session.get(Hall, hall_id)
    if hall is None or hall.deleted or not manages(user, hall_id):
        raise NotFound("No such hall.", code="hall_not_found")
    return hall


def managed_halls(user) -> list[Hall]:
    """The halls the caller looks after (every hall for an admin), by name."""
    query = select(Hall).where(Hall.deleted.is_(False)).order_by(Hall.name)
    if ADMIN not in user.role_names:
        query = query.join(hall_managers, hall_managers.c.hall_id == Hall.id).where(
            hall_managers.c.user_id == user.id)
    return list(db.session.scalars(query))


def manager_ids(hall_id: uuid.UUID) -> list[uuid.UUID]:
    """The hall's active managers: whom its alerts and bad ratings are told to."""
    return list(db.session.scalars(select(User.id).join(
        hall_managers, hall_managers.c.user_id == User.id).where(
        hall_managers.c.hall_id == hall_id, User.is_active.is_(True))))


def display_names(user_ids) -> dict[uuid.UUID, str]:
    """Each person's display name (their username when they gave none)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name, User.username)
                              .where(User.id.in_(ids))).all()
    return {row.id: row.display_name or row.username for row in rows}
