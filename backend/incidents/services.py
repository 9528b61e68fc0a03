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
_TAKE_NUMBERS = (sa.update(_counters).where(_counters.c.prefix == sa.bindparam("counter_prefix"))
                 .values(last=_counters.c.last + sa.bindparam("count")).returning(_counters.c.last))
_SET_NUMBER = (sa.update(_counters).where(_counters.c.prefix == sa.bindparam("counter_prefix"))
               .values(last=sa.bindparam("last")))


def find_category(conn: sa.Connection, code: str) -> dict | None:
    found = conn.execute(_FIND_CATEGORY, {"code": code}).mappings().first()
    return dict(found) if found else None


def next_case_code(conn: sa.Connection, district_code: str, reported_at: datetime) -> str:
    """District code + the city's date + a 4-digit number, unique under concurrency.

    The counter row is locked by the UPDATE until the transaction ends, so two reports
    never get the same number; a number is lost only if its transaction rolls back.
    """
    prefix = case_code_prefix(district_code, reported_at)
    return f"{prefix}{_take_numbers(conn, prefix, 1):04d}"


def case_code_prefix(district_code: str, reported_at: datetime) -> str:
    return f"{district_code}{reported_at.astimezone(city_zone()):%Y%m%d}"


def _take_numbers(conn: sa.Connection, prefix: str, count: int) -> int:
    """Take `count` numbers of this prefix; returns the last. The counter row stays locked
    until the transaction ends."""
    number = conn.execute(_TAKE_NUMBERS, {"counter_prefix": prefix, "count": count}).scalar()
    if number is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(_counters).values(prefix=prefix, last=count))
            return count
        except sa.exc.IntegrityError:
            return _take_numbers(conn, prefix, count)
    return number


class PushCaseNumbers:
    """The case numbers of one prefix a push hands out to grouped creates: the counter row
    is locked and read at the first (taking none), the numbers counted here, and the counter
    written once at the end of the push, instead of an UPDATE per report. Safe only where
    nothing is undone alone (WriteContext.grouped): the lock and the count then hold until
    the push commits, or the push is done again with a fresh cache."""

    def __init__(self, conn: sa.Connection, prefix: str):
        self.conn, self.prefix = conn, prefix
        self.last = _take_numbers(conn, prefix, 0)

    def take(self) -> str:
        self.last += 1
        return f"{self.prefix}{self.last:04d}"

    def save(self) -> None:
        self.conn.execute(_SET_NUMBER, {"counter_prefix": self.prefix, "last": self.last})


def add_category(*, code: str, name: str, time_limit_h: int, name_en: str = "",
                 parent_code: str | None = None) -> Category:
    """Add a category to the catalogue (in the caller's transaction); phones pull it."""
    category = Category(code=code, name=name, name_en=name_en, parent_code=parent_code,
                        time_limit_h=time_limit_h, version=1)
    db.session.add(category)
    db.session.flush()
    log_reference_changes("categories", [(category.id, 1, False, Audience(is_public=True))])
    return category
