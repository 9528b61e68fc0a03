"""Working-hours deadlines across lunch, nights, weekends, holidays and make-up working days,
on the built-in 2026 calendar and 08:30–12:00, 13:30–17:30 in Asia/Shanghai."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.common.working_time import (
    BUILT_IN_DIR,
    WorkCalendar,
    WorkingHours,
    add_working_hours,
    load_calendar,
    working_hours_between,
)

ZONE = ZoneInfo("Asia/Shanghai")
HOURS = WorkingHours.parse("08:30-12:00,13:30-17:30", ZONE)
CALENDAR = load_calendar([BUILT_IN_DIR])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@pytest.mark.parametrize("start,hours,due", [
    ("2026-03-03 09:00", 2, "2026-03-03 11:00"),        # Tuesday, within the morning
    ("2026-03-03 11:00", 2, "2026-03-03 14:30"),        # over lunch
    ("2026-03-03 17:00", 1, "2026-03-04 09:00"),        # over the night
    ("2026-03-03 20:00", 1, "2026-03-04 09:30"),        # reported after hours: counts from 08:30
    ("2026-03-03 12:30", 0.5, "2026-03-03 14:00"),      # reported at lunch
    ("2026-03-06 16:30", 2, "2026-03-09 09:30"),        # Friday → Monday
    ("2026-03-07 10:00", 1, "2026-03-09 09:30"),        # reported on Saturday
    ("2026-03-03 08:30", 7.5, "2026-03-03 17:30"),      # one whole working day
    ("2026-03-03 08:30", 15, "2026-03-04 17:30"),       # two
    ("2026-09-30 16:30", 3, "2026-10-08 10:30"),        # into the National Day week (Oct 1–7)
    ("2026-10-09 17:00", 1, "2026-10-10 09:00"),        # Saturday 10 Oct is a make-up working day
    ("2026-02-13 17:00", 1, "2026-02-14 09:00"),        # Saturday 14 Feb: make-up day before 春节
    ("2026-02-14 17:00", 1, "2026-02-24 09:00"),        # then 15–23 Feb off
    ("2026-01-01 10:00", 1, "2026-01-04 09:30"),        # 元旦 1–3 Jan off, Sunday 4 Jan worked
])
def test_deadlines_count_working_hours_only(start, hours, due):
    assert add_working_hours(at(start), hours, CALENDAR, HOURS) == at(due)


def test_the_answer_keeps_the_zone_of_the_start():
    start = at("2026-03-03 09:00").astimezone(UTC)
    due = add_working_hours(start, 1, CALENDAR, HOURS)
    assert due.tzinfo == UTC and due == at("2026-03-03 10:00")


@pytest.mark.parametrize("start,end,hours", [
    ("2026-03-03 09:00", "2026-03-03 11:00", 2),
    ("2026-03-03 11:00", "2026-03-03 14:30", 2),
    ("2026-03-06 16:30", "2026-03-09 09:30", 2),
    ("2026-09-30 08:00", "2026-10-09 00:00", 15),      # 30 Sep and 8 Oct
    ("2026-03-03 10:00", "2026-03-03 09:00", 0),
])
def test_working_hours_between_is_the_inverse(start, end, hours):
    assert working_hours_between(at(start), at(end), CALENDAR, HOURS) == pytest.approx(hours)


def test_a_year_without_a_list_has_only_weekends_off_and_a_city_may_add_its_own(tmp_path):
    assert CALENDAR.is_working_day(date(2027, 10, 1))  # no 2027 list built in: a Friday
    (tmp_path / "2027.json").write_text(json.dumps({
        "year": 2027, "holidays": ["2027-10-01"], "workdays": ["2027-10-09"]}))
    city = load_calendar([BUILT_IN_DIR, tmp_path])
    assert not city.is_working_day(date(2027, 10, 1))
    assert city.is_working_day(date(2027, 10, 9))  # a Saturday worked in exchange
    assert city.years >= {2026, 2027}


def test_a_list_with_a_date_of_another_year_is_refused(tmp_path):
    (tmp_path / "2027.json").write_text(json.dumps({"year": 2027, "holidays": ["2026-12-31"]}))
    with pytest.raises(ValueError, match="outside 2027"):
        load_calendar([tmp_path])


@pytest.mark.parametrize("text", ["12:00-08:30", "08:30-12:00,11:00-17:30", ""])
def test_working_hours_must_be_ordered_periods(text):
    with pytest.raises(ValueError):
        WorkingHours.parse(text, ZONE)


def test_the_built_in_2026_list_is_the_state_councils():
    assert len(CALENDAR.holidays) == 33 and len(CALENDAR.workdays) == 6
    assert all(not CALENDAR.is_working_day(d) for d in CALENDAR.holidays)
    assert HOURS.hours_per_day == 7.5
    assert WorkCalendar().is_working_day(date(2026, 10, 1))  # empty calendar: a Thursday
