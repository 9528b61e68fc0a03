"""A worker's day (考勤日): on time, late, left early, absent, outside the fence, a missing
punch — in the city's time zone, across midnight, and on days still under way."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.attendance.days import compute_days, shift_window
from backend.attendance.reports import month_summary
from backend.common.auth import RegionScope
from tests.factories import make_punch, make_shift

NOV_10 = date(2026, 11, 10)  # a Tuesday
LATER = datetime(2026, 12, 1, tzinfo=UTC)  # every day of the tests is over


def day_of(worker, day=NOV_10, *, now=LATER):
    return compute_days([worker], day, day, now=now)[worker.id][0]


@pytest.fixture
def w1(field_city):
    # The grid's shift: 08:30–17:30 Asia/Shanghai (00:30–09:30 UTC), five minutes' grace.
    make_shift(region=field_city.city["D1S1C1G1"], starts_at="08:30", ends_at="17:30", grace_min=5)
    return field_city.w1


def test_in_within_grace_and_out_at_the_end_is_on_time(w1, db):
    make_punch(w1, "2026-11-10T00:34:00Z", "in")
    make_punch(w1, "2026-11-10T09:31:00Z", "out")
    assert day_of(w1).statuses == ["on_time"]


def test_in_after_the_grace_is_late(w1, db):
    make_punch(w1, "2026-11-10T00:36:00Z", "in")
    make_punch(w1, "2026-11-10T09:30:00Z", "out")
    assert day_of(w1).statuses == ["late"]


def test_out_before_the_end_less_grace_is_left_early(w1, db):
    make_punch(w1, "2026-11-10T00:20:00Z", "in")
    make_punch(w1, "2026-11-10T09:24:00Z", "out")
    assert day_of(w1).statuses == ["left_early"]


def test_no_punch_on_a_working_day_is_absent(w1, db):
    assert day_of(w1).statuses == ["absent"]


def test_only_a_clock_in_is_a_missing_punch(w1, db):
    make_punch(w1, "2026-11-10T00:20:00Z", "in")
    assert day_of(w1).statuses == ["missing_punch"]


def test_a_punch_outside_the_fence_marks_the_day(w1, db):
    make_punch(w1, "2026-11-10T00:20:00Z", "in", inside_fence=False, reason="社区会议")
    make_punch(w1, "2026-11-10T09:40:00Z", "out")
    day = day_of(w1)
    assert day.statuses == ["outside_fence"]
    assert day.punches[0]["reason"] == "社区会议"


def test_poor_accuracy_and_clock_skew_are_shown_on_the_day(w1, db):
    make_punch(w1, "2026-11-10T00:20:00Z", "in", accuracy_m=300, clock_skew_s=-3600)
    make_punch(w1, "2026-11-10T09:40:00Z", "out")
    day = day_of(w1)
    assert day.is_accuracy_flagged and day.is_clock_skewed and day.statuses == ["on_time"]


def test_a_day_under_way_is_not_absent_yet(w1, db):
    morning = datetime(2026, 11, 10, 0, 10, tzinfo=UTC)  # 08:10 local, before the shift
    day = day_of(w1, now=morning)
    assert day.is_in_progress and day.statuses == []


def test_a_day_under_way_with_a_clock_out_but_no_clock_in_is_a_missing_punch(w1, db):
    make_punch(w1, "2026-11-10T04:00:00Z", "out")
    noon = datetime(2026, 11, 10, 4, 5, tzinfo=UTC)
    assert day_of(w1, now=noon).statuses == ["missing_punch", "left_early"]


def test_a_worker_shift_wins_over_the_grid_shift(w1, db):
    make_shift(worker=w1, starts_at="10:00", ends_at="18:00", grace_min=0)
    make_punch(w1, "2026-11-10T01:59:00Z", "in")   # 09:59 local
    make_punch(w1, "2026-11-10T10:00:00Z", "out")  # 18:00 local
    assert day_of(w1).statuses == ["on_time"]


def test_a_street_shift_applies_to_its_grids(field_city, db):
    make_shift(region=field_city.city["D1S1"], starts_at="09:00", ends_at="17:00", grace_min=0)
    make_punch(field_city.w2, "2026-11-10T01:01:00Z", "in")
    make_punch(field_city.w2, "2026-11-10T09:00:00Z", "out")
    assert day_of(field_city.w2).statuses == ["late"]


def test_a_rest_day_says_nothing(field_city, db):
    make_shift(region=field_city.city["D1S1"], weekdays="12345")
    saturday = date(2026, 11, 14)
    day = day_of(field_city.w1, saturday)
    assert day.is_rest_day and day.statuses == []


def test_no_shift_means_no_rules(field_city, db):
    day = day_of(field_city.w1)
    assert day.shift is None and day.statuses == []


# -- midnight and time zones -------------------------------------------------------------


def test_a_night_shift_clock_out_after_midnight_belongs_to_the_day_it_began(field_city, db):
    w1 = field_city.w1
    make_shift(worker=w1, starts_at="22:00", ends_at="06:00", grace_min=5)
    make_punch(w1, "2026-11-10T13:58:00Z", "in")   # 21:58 on the 10th, local
    make_punch(w1, "2026-11-10T22:03:00Z", "out")  # 06:03 on the 11th, local
    tenth, eleventh = compute_days([w1], NOV_10, date(2026, 11, 11), now=LATER)[w1.id]
    assert tenth.statuses == ["on_time"] and len(tenth.punches) == 2
    assert eleventh.statuses == ["absent"]


def test_an_early_clock_in_just_before_midnight_utc_counts_for_the_local_day(w1, db):
    # 23:50 UTC on the 9th is 07:50 on the 10th in Shanghai.
    make_punch(w1, "2026-11-09T23:50:00Z", "in")
    make_punch(w1, "2026-11-10T09:35:00Z", "out")
    assert day_of(w1).statuses == ["on_time"]
    assert day_of(w1, date(2026, 11, 9)).statuses == ["absent"]


def test_the_same_punches_fall_on_other_days_in_another_city_zone(w1, db, app, monkeypatch):
    make_punch(w1, "2026-11-10T00:34:00Z", "in")
    make_punch(w1, "2026-11-10T09:31:00Z", "out")
    monkeypatch.setitem(app.config, "CITY_TIMEZONE", "UTC")
    # In UTC the shift is 08:30–17:30Z: 00:34Z is the night before (the 9th's window), and
    # the 10th has only a clock-out, which is early.
    assert day_of(w1).statuses == ["missing_punch", "left_early"]
    assert day_of(w1, date(2026, 11, 9)).statuses == ["late", "missing_punch"]


def test_shift_times_follow_daylight_saving_in_the_city_zone(w1, db, app, monkeypatch):
    from zoneinfo import ZoneInfo

    shift = make_shift(worker=w1, starts_at="09:00", ends_at="17:00")
    zone = ZoneInfo("America/New_York")  # clocks go back on 1 November 2026
    before = shift_window(shift, date(2026, 10, 31), zone)[0]
    after = shift_window(shift, date(2026, 11, 2), zone)[0]
    assert before.astimezone(UTC).hour == 13 and after.astimezone(UTC).hour == 14


def test_the_monthly_summary_counts_days_per_worker_and_region(w1, field_city, db):
    make_punch(w1, "2026-11-10T00:34:00Z", "in")
    make_punch(w1, "2026-11-10T09:31:00Z", "out")
    make_punch(w1, "2026-11-11T00:50:00Z", "in")
    make_punch(w1, "2026-11-11T09:31:00Z", "out")
    summary = month_summary(RegionScope(path_prefix=field_city.city["D1S1"].path), "2026-11",
                            now=LATER)
    row = next(r for r in summary["workers"] if r["worker"].id == w1.id)
    assert row["workdays"] == 30 and row["on_time"] == 1 and row["late"] == 1
    assert row["absent"] == 28
    # Grouped by the street's communities; w1 and w2 are both in C1.
    by_code = {r["region"].code: r for r in summary["regions"]}
    assert set(by_code) == {"D1S1C1", "D1S1C2"}
    assert by_code["D1S1C1"]["workers"] == 2 and by_code["D1S1C1"]["on_time"] == 1


def test_days_before_the_shift_began_are_not_judged(field_city, db):
    make_shift(region=field_city.city["D1S1"], starts_on="2026-11-11")
    before, first = compute_days([field_city.w1], NOV_10, date(2026, 11, 11), now=LATER)[field_city.w1.id]
    assert before.is_rest_day and before.statuses == []
    assert first.statuses == ["absent"]
