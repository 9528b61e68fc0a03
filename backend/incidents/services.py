"""Incidents: case codes, categories and deadlines."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.common.time import city_zone
from backend.extensions import db
from backend.incidents.models import CaseCounter, Category
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience

_categories = Category.__table__
_counters = CaseCounter.__table__
# Built once: a push takes a case number per new report, and building the statement cost more
# than running it.
_FIND_CATEGORY = sa.select(_categories).where(_categories.c.code == sa.bindparam("code"),
                                              _categories.c.deleted.is_(False))
_TAKE_NUMBER = (sa.update(_counters).where(_counters.c.prefix == sa.bindparam("counter_prefix"))
                .values(last=_counters.c.last + 1).returning(_counters.c.last))


def find_category(conn: sa.Connection, code: str) -> dict | None:
    found = conn.execute(_FIND_CATEGORY, {"code": code}).mappings().first()
    return dict(found) if found else None


def next_case_code(conn: sa.Connection, district_code: str, reported_at: datetime) -> str:
    """District code + the city's date + a 4-digit number, unique under concurrency.

    The counter row is locked by the UPDATE until the transaction ends, so two reports
    never get the same number; a number is lost only if its transaction rolls back.
    """
    day = reported_at.astimezone(city_zone()).strftime("%Y%m%d")
    prefix = f"{district_code}{day}"
    number = conn.execute(_TAKE_NUMBER, {"counter_prefix": prefix}).scalar()
    if number is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(_counters).values(prefix=prefix, last=1))
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
