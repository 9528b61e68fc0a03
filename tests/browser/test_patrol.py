"""A patrol on the phone (巡查) with no signal: start, walk, reload mid-patrol, stop; once
online, the server holds every point once and measures the same distance as geopy."""

from __future__ import annotations

import uuid

import pytest
from geopy.distance import geodesic
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.patrol.models import Patrol, TrackPoint
from tests.browser.helpers import wait_outbox

# Inside 南坛社区第一网格 (worker1's grid in the demo city), walking east 12 m at a time.
START = (35.058, 118.335)
STEP_M = 12.0
ACCURACY_M = 5
POINTS = [START]
for _ in range(9):
    POINTS.append(tuple(geodesic(meters=STEP_M).destination(POINTS[-1], bearing=90)[:2]))


def fix(point: tuple[float, float]) -> dict:
    return {"latitude": point[0], "longitude": point[1], "accuracy": ACCURACY_M}


def walk_to(page: Page, context: BrowserContext, index: int) -> None:
    """Move the phone to POINTS[index] and wait for watchPosition to record it; then wait a
    second, so that the pace stays a brisk walk (faster would be flagged as jitter)."""
    context.set_geolocation(fix(POINTS[index]))
    expect(page.locator("#patrol-points")).to_have_text(str(index + 1), timeout=10_000)
    page.wait_for_timeout(1000)


def worker_patrols(live_server, username: str) -> list[tuple[Patrol, list[TrackPoint]]]:
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == username))
        patrols = db.session.scalars(select(Patrol).where(Patrol.worker_id == worker.id)).all()
        out = [(p, db.session.scalars(select(TrackPoint).where(TrackPoint.patrol_id == p.id)
                                      .order_by(TrackPoint.recorded_at)).all()) for p in patrols]
        db.session.expunge_all()
        db.session.remove()
        return out


@pytest.mark.browser_context_args(permissions=["geolocation"], geolocation=fix(START))
def test_a_patrol_recorded_offline_survives_a_reload_and_syncs_its_track_once(
        page: Page, context: BrowserContext, sign_in, live_server):
    page.goto("/")
    sign_in(page, "worker1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)
    page.click("#tile-patrol")
    expect(page.locator("#patrol-start")).to_be_visible()

    context.set_offline(True)
    page.click("#patrol-start")
    expect(page.locator("#patrol-points")).to_have_text("1", timeout=10_000)  # the first fix
    page.wait_for_timeout(1000)
    for index in range(1, 5):
        walk_to(page, context, index)
    live_m = float(page.locator("#patrol-distance").get_attribute("data-metres"))
    assert live_m == pytest.approx(4 * STEP_M, rel=1e-2)
    # The track over the grid's outline, drawn by Leaflet (vendored, from the shell cache).
    expect(page.locator("#patrol-map path.track")).to_have_count(1)
    expect(page.locator("#patrol-map path.grid-outline")).to_have_count(1)

    assert page.reload().from_service_worker  # offline: the shell comes from the worker
    expect(page.locator("#patrol-stop")).to_be_visible(timeout=10_000)  # it carries on
    expect(page.locator("#patrol-points")).to_have_text("5")
    expect(page.locator("#patrol-map path.track")).to_have_count(1)  # offline too
    page.wait_for_timeout(1000)  # the resumed watch reports where we stand: not a new point
    expect(page.locator("#patrol-points")).to_have_text("5")
    for index in range(5, 10):
        walk_to(page, context, index)

    page.click("#patrol-stop")
    expect(page.locator("#patrol-start")).to_be_visible()
    wait_outbox(page, 1 + 10 + 1)  # the patrol, its points, its end
    [row] = page.locator("#patrol-list li[data-id]").all()
    assert row.get_attribute("data-synced") == "false"

    context.set_offline(False)
    wait_outbox(page, 0)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)

    [(patrol, points)] = worker_patrols(live_server, "worker1")
    assert len(points) == len(POINTS)
    assert len({(p.lat, p.lon) for p in points}) == len(POINTS)  # each fix once
    assert not any(p.is_jitter for p in points)
    length = sum(geodesic(a, b).m for a, b in zip(POINTS, POINTS[1:], strict=False))
    assert patrol.distance_m == pytest.approx(length, rel=1e-2)
    assert patrol.ended_at is not None and patrol.duration_s > 9
    assert patrol.inside_share == 1.0

    # The phone shows the server's figures once they come back.
    row = page.locator(f"#patrol-list li[data-id='{uuid.UUID(str(patrol.id))}']")
    expect(row).to_have_attribute("data-synced", "true", timeout=15_000)
    assert float(row.get_attribute("data-distance")) == pytest.approx(patrol.distance_m, abs=0.01)


# Chromium's real wake lock needs a visible, focused screen that a headless test doesn't
# have; this stand-in behaves like it: a sentinel per request, dropped when the page hides.
FAKE_WAKE_LOCK = """
(() => {
  let visible = true;
  Object.defineProperty(document, 'visibilityState', {get: () => visible ? 'visible' : 'hidden'});
  window.__wake = {requests: 0, held: null};
  window.__setVisible = (v) => {
    visible = v;
    if (!v && __wake.held) { const s = __wake.held; __wake.held = null; s.dispatchEvent(new Event('release')); }
    document.dispatchEvent(new Event('visibilitychange'));
  };
  Object.defineProperty(navigator, 'wakeLock', {value: {request: async (type) => {
    if (type !== 'screen' || !visible) throw new DOMException('not allowed', 'NotAllowedError');
    __wake.requests += 1;
    const sentinel = new EventTarget();
    sentinel.release = async () => { if (__wake.held === sentinel) __wake.held = null; };
    __wake.held = sentinel;
    return sentinel;
  }}});
})();
"""


def wake(page: Page) -> dict:
    return page.evaluate("({requests: __wake.requests, held: __wake.held !== null})")


@pytest.mark.browser_context_args(permissions=["geolocation"], geolocation=fix(START))
def test_a_running_patrol_keeps_the_screen_on_and_asks_again_after_the_page_was_hidden(
        page: Page, context: BrowserContext, sign_in):
    context.add_init_script(FAKE_WAKE_LOCK)
    page.goto("/")
    sign_in(page, "worker1")
    page.click("#tile-patrol")
    expect(page.locator("#patrol-start")).to_be_visible()
    assert wake(page) == {"requests": 0, "held": False}  # no patrol, no lock

    page.click("#patrol-start")
    expect(page.locator("#patrol-points")).to_have_text("1", timeout=10_000)
    assert wake(page) == {"requests": 1, "held": True}

    page.evaluate("__setVisible(false)")  # the browser drops the lock with the page hidden
    assert wake(page)["held"] is False
    page.evaluate("__setVisible(true)")
    page.wait_for_function("__wake.held !== null")
    assert wake(page)["requests"] == 2

    page.reload()  # a patrol resumed after a reload holds the screen again
    expect(page.locator("#patrol-stop")).to_be_visible(timeout=10_000)
    page.wait_for_function("__wake.held !== null")

    page.click("#patrol-stop")
    expect(page.locator("#patrol-start")).to_be_visible()
    page.wait_for_function("__wake.held === null")
