"""Time: always aware, stored and served in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def city_zone() -> ZoneInfo:
    """The city's time zone (CITY_TIMEZONE): its days are the days of attendance, patrols
    and case codes."""
    from backend.common.settings import setting  # Flask only where a setting is read

    return ZoneInfo(setting("CITY_TIMEZONE"))


def city_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The city's day, midnight to midnight in its zone, as UTC instants."""
    zone = city_zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp on both databases.

    SQLite has no zone support and hands back naive values; we store UTC and put the zone back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
