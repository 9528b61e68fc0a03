"""Ending a service's transaction."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict
from backend.extensions import db


def commit_or_conflict(message: str, code: str) -> None:
    """Commit; a unique constraint lost to a concurrent request becomes a 409, not a 500.

    The service checks uniqueness first for a friendly error; this covers the race.
    """
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(message, code=code) from error
