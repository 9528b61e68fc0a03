"""The console's patrol tracks (巡查轨迹): a supervisor picks a worker and a day, sees the track
on the grid map with its jitter apart, plays it back and scrubs it, and sees the coverage
(覆盖率) of every grid as a map layer and a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from tests.factories import make_patrol

WORKER1_GRID = "371302001002001"  # 南坛社区第一网格, worker1's grid in the demo city
LAT, WEST, EAST = 35.058, 118.333, 118.337
STEP_DEG, STEP_S = 0.0001, 10  # about 9 m every 10 s: a stroll


def seed_patrol(live_server, day: str) -> tuple[str, int, int]:
    """worker1 walks east across their grid from 08:00 city time, with one poor fix;
    returns the worker's id and the first and last trusted points' times (ms)."""
    start = datetime.fromisoformat(f"{day}T08:00:00").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    steps = round((EAST - WEST) / STEP_DEG)
    times = [start + timedelta(seconds=STEP_S * i) for i in range(steps + 1)]
    points = [(LAT, WEST + STEP_DEG * i, t.astimezone(UTC).isoformat()) for i, t in enumerate(times)]
    points.append((LAT + 0.001, 118.335, (times[5] + timedelta(seconds=1)).isoformat(), 300.0))
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "worker1"))
        make_patrol(worker, points)
        worker_id = str(worker.id)
        db.session.remove()
    return worker_id, int(times[0].timestamp() * 1000), int(times[-1].timestamp() * 1000)


def clock_ms(page: Page) -> int:
    return int(page.locator("#tracks-clock").get_attribute("data-ms"))


def wait_clock(page: Page, predicate, timeout_s: float = 10) -> int:
    """Polled from here: wait_for_function would take a Promise as truthy at once."""
    for _ in range(int(timeout_s * 20)):
        if predicate(clock_ms(page)):
            return clock_ms(page)
        page.wait_for_timeout(50)
    raise AssertionError(f"the play-back clock stands at {clock_ms(page)}")


@pytest.mark.desktop
def test_a_supervisor_plays_back_a_workers_day_and_sees_the_grids_coverage(
        page: Page, sign_in, live_server):
    day = (datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date().isoformat()
    worker_id, first_ms, last_ms = seed_patrol(live_server, day)
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-tracks")
    expect(page.locator("#tracks-status")).to_have_text("选择网格员和日期，查看当天的巡查轨迹。")
    expect(page.locator("label[for=tracks-worker]")).to_have_text("网格员")

    page.select_option("#tracks-worker", worker_id)
    page.fill("#tracks-date", day)
    patrol = page.locator("#tracks-patrols li[data-id]")
    expect(patrol).to_have_count(1)
    expect(patrol).to_have_attribute("data-points", "42")
    expect(patrol).to_have_attribute("data-jitter", "1")
    expect(patrol).to_contain_text("1 个漂移点")
    the_map = page.locator("#tracks-map")
    expect(the_map.locator("path.track")).to_have_count(1)
    expect(the_map.locator("path.grid-outline")).to_have_count(1)
    expect(the_map.locator("path.jitter")).to_have_count(1)
    page.uncheck("#tracks-jitter")
    expect(the_map.locator("path.jitter")).to_have_count(0)

    # Play-back starts at the first fix; at 300× the walk of 400 s takes under 2 s.
    assert clock_ms(page) == first_ms
    expect(page.locator("#tracks-clock")).to_have_text("08:00:00")
    page.select_option("#tracks-speed", "300")
    page.click("#tracks-play")
    expect(page.locator("#tracks-play")).to_have_attribute("aria-pressed", "true")
    wait_clock(page, lambda ms: first_ms < ms < last_ms)
    expect(the_map.locator("path.track-walked")).to_have_count(1)
    expect(the_map.locator("path.track-here")).to_have_count(1)
    wait_clock(page, lambda ms: ms == last_ms)
    expect(page.locator("#tracks-play")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#tracks-clock")).to_have_text("08:06:40")

    # The slider scrubs, by keyboard too.
    page.focus("#tracks-scrub")
    page.keyboard.press("Home")
    wait_clock(page, lambda ms: ms == first_ms)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_clock(page, lambda ms: ms == first_ms + 3000)
    assert page.locator("#tracks-scrub").get_attribute("aria-valuetext") == "08:00:03"

    # Coverage: a table for every grid of the city, and the layer with its legend.
    rows = page.locator("#coverage-table tbody tr")
    expect(rows).to_have_count(24)
    walked = page.locator(f"#coverage-table tbody tr[data-code='{WORKER1_GRID}']")
    share = float(walked.get_attribute("data-share"))
    assert 0.02 < share < 0.2  # one row of 50 m cells across a grid about 555 m high
    expect(page.locator("#coverage-table tbody tr[data-band='0']")).to_have_count(23)
    expect(page.locator("#coverage-legend")).to_be_visible()
    expect(the_map.locator("path.coverage-grid")).to_have_count(24)
    expect(the_map.locator("path.coverage-grid.band-0")).to_have_count(23)
    page.uncheck("#tracks-coverage")
    expect(the_map.locator("path.coverage-grid")).to_have_count(0)
    expect(page.locator("#coverage-legend")).to_be_hidden()
    page.check("#tracks-coverage")
    expect(the_map.locator("path.coverage-grid")).to_have_count(24)

    # Switching the language keeps the worker, the day and the layer.
    page.click("#lang")
    expect(page.locator("label[for=tracks-worker]")).to_have_text("Grid worker")
    expect(page.locator("#tracks-worker")).to_have_value(worker_id)
    expect(page.locator("#tracks-patrols li[data-id]")).to_have_count(1)
    expect(the_map.locator("path.coverage-grid")).to_have_count(24)


@pytest.mark.desktop
def test_the_tracks_page_says_so_when_offline(page: Page, sign_in, context):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-tracks")
    expect(page.locator("#tracks-worker option")).to_have_count(4)  # the prompt and 3 workers
    expect(page.locator("#tracks-offline")).to_be_hidden()
    context.set_offline(True)
    expect(page.locator("#tracks-offline")).to_be_visible()
    expect(page.locator("#tracks-offline")).to_contain_text("需要联网")
    context.set_offline(False)
    expect(page.locator("#tracks-offline")).to_be_hidden()
