from __future__ import annotations

from sqlalchemy import text

from backend.common.settings import setting
from backend.errors import Unavailable
from backend.extensions import db


def is_demo_mode() -> bool:
    return bool(setting("DEMO_MODE"))


def check_database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as error:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        raise Unavailable(f"The database does not answer ({type(error).__name__}).",
                          code="database_unavailable") from error
