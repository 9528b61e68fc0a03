"""Incidents: case codes, categories and deadlines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.common.settings import setting
from backend.extensions import db
from backend.incidents.models import CaseCounter, Category
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience


def find_category(conn: sa.Connection, code: str) -> dict | None:
    table = Category.__table__
    row = conn.execute(sa.select(table).where(table.c.code == code, table.c.deleted.is_(False)))
    found = row.mappings().first()
    return dict(found) if found else None


def next_case_code(conn: sa.Connection, district_code: str, reported_at: datetime) -> str:
    """District code + the city's date + a 4-digit number, unique under concurrency.

    The counter row is locked by the UPDATE until the transaction ends, so two reports
    never get the same number; a number is lost only if its transaction rolls back.
    """
    day = reported_at.astimezone(ZoneInfo(setting("CITY_TIMEZONE"))).strftime("%Y%m%d")
    prefix = f"{district_code}{day}"
    table = CaseCounter.__table__
    number = conn.execute(sa.update(table).where(table.c.prefix == prefix)
                          .values(last=table.c.last + 1).returning(table.c.last)).scalar()
    if number is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table).values(prefix=prefix, last=1))
            number = 1
        except sa.exc.IntegrityError:
            return next_case_code(conn, district_code, reported_at)
    return f"{prefix}{number:04d}"


def add_category(*, code: str, name: str, time_limit_h: int, name_en: str = "",
                 parent_code: str | None = None) -> Category:
    """Add a category to the catalogue (in the caller's transaction); phones pull it."""
    category = Category(code=code, name=name, name_en=name_en, parent_code=parent_code,
                        time_limit_h=time_limit_h, version=1)
    db.session.add(category)
    db.session.flush()
    log_reference_changes("categories", [(category.id, 1, False, Audience(is_public=True))])
    return category
