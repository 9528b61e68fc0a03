"""Working time (工作时间): case deadlines count working hours, not clock hours.

A working day is a weekday that is not a public holiday, or a weekend day the state makes a
working day in exchange (调休 补班). The lists of holidays and make-up days are data: one JSON
file per year (`backend/common/work_calendars/<year>.json`, or WORK_CALENDAR_DIR for a
city's own), as the State Council publishes them each autumn. A year without a file has
only weekends off (and a warning is logged once).

Pure: the calendar and the day's working periods are passed in; `load_calendar()` reads the
files.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

BUILT_IN_DIR = Path(__file__).resolve().parent / "work_calendars"


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()   # weekend days worked in exchange (补班)
    years: frozenset[int] = frozenset()       # the years the lists cover

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkingHours:
    """The day's working periods in the city's zone, e.g. 08:30–12:00 and 13:30–17:30."""

    periods: tuple[tuple[time, time], ...]
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> WorkingHours:
        """"08:30-12:00,13:30-17:30" → its periods (in order, not overlapping)."""
        periods = []
        for part in text.split(","):
            start, _, end = part.strip().partition("-")
            periods.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
        ordered = all(a < b for a, b in periods) and all(
            periods[i][1] <= periods[i + 1][0] for i in range(len(periods) - 1))
        if not periods or not ordered:
            raise ValueError(f"working hours {text!r}: periods must be in order, e.g. "
                             "08:30-12:00,13:30-17:30")
        return cls(periods=tuple(periods), zone=zone)

    @property
    def day_length(self) -> timedelta:
        return timedelta(seconds=sum(_seconds(b) - _seconds(a) for a, b in self.periods))

    @property
    def hours_per_day(self) -> float:
        return self.day_length / timedelta(hours=1)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _periods_of(day: date, hours: WorkingHours) -> list[tuple[datetime, datetime]]:
    return [(datetime.combine(day, a, tzinfo=hours.zone), datetime.combine(day, b, tzinfo=hours.zone))
            for a, b in hours.periods]


# Remembered: the reports of a push ask again and again for the same step deadline (the
# push's moment plus the category's limit).
@functools.lru_cache(maxsize=4096)
def add_working_hours(start: datetime, amount_h: float, calendar: WorkCalendar,
                      hours: WorkingHours) -> datetime:
    """The moment `amount_h` working hours after `start` (an aware datetime); counting begins
    at the next working period when `start` falls outside one. Answered in start's zone."""
    if amount_h < 0:
        raise ValueError("a deadline counts forward")
    remaining = timedelta(hours=amount_h)
    local = start.astimezone(hours.zone)
    day = local.date()
    whole_day = hours.day_length
    for _ in range(3660):  # ten years of days: a limit no category has
        if calendar.is_working_day(day):
            if day > local.date() and remaining > whole_day:
                # A day wholly ahead that does not reach the moment: its hours in one step.
                remaining -= whole_day
                day += timedelta(days=1)
                continue
            for begin, end in _periods_of(day, hours):
                if end <= local:
                    continue
                begin = max(begin, local)
                if begin + remaining <= end:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError(f"{amount_h} working hours reach beyond ten years")


def working_hours_between(start: datetime, end: datetime, calendar: WorkCalendar,
                          hours: WorkingHours) -> float:
    """Working hours from start to end (0 when end is not after start)."""
    if end <= start:
        return 0.0
    total = timedelta()
    day = start.astimezone(hours.zone).date()
    last = end.astimezone(hours.zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            for begin, finish in _periods_of(day, hours):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta():
                    total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def load_calendar(directories: list[Path]) -> WorkCalendar:
    """Every <year>.json in these directories (later ones override a year of earlier ones):
    {"year", "source", "holidays": ["YYYY-MM-DD", …], "workdays": [...]}."""
    by_year: dict[int, dict] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            year = int(data["year"])
            holidays = [date.fromisoformat(d) for d in data.get("holidays", [])]
            workdays = [date.fromisoformat(d) for d in data.get("workdays", [])]
            if any(d.year != year for d in holidays + workdays):
                raise ValueError(f"{path}: a date outside {year}")
            by_year[year] = {"holidays": holidays, "workdays": workdays}
    return WorkCalendar(
        holidays=frozenset(d for y in by_year.values() for d in y["holidays"]),
        workdays=frozenset(d for y in by_year.values() for d in y["workdays"]),
        years=frozenset(by_year))


def city_working_time() -> tuple[WorkCalendar, WorkingHours]:
    """The city's calendar (built-in years, then WORK_CALENDAR_DIR) and WORK_HOURS, read once
    per process."""
    from backend.common.settings import process_cache, setting  # Flask only where read
    from backend.common.time import city_zone

    cache = process_cache()
    if "working_time" not in cache:
        directories = [BUILT_IN_DIR]
        if setting("WORK_CALENDAR_DIR"):
            directories.append(Path(setting("WORK_CALENDAR_DIR")))
        cache["working_time"] = (load_calendar(directories),
                                 WorkingHours.parse(setting("WORK_HOURS"), city_zone()))
    return cache["working_time"]


def warn_if_uncovered(calendar: WorkCalendar, year: int) -> None:
    if year not in calendar.years and year not in _warned:
        _warned.add(year)
        log.warning("no working-day calendar for %s: only weekends are days off "
                    "(add %s.json to WORK_CALENDAR_DIR)", year, year)


_warned: set[int] = set()
