"""Clocking in and out on the phone (考勤打卡): offline, inside and outside the fence, with
a device clock that runs behind; the server keeps both punches once, with its own verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.attendance.models import Punch
from backend.extensions import db
from tests.browser.helpers import wait_outbox

# Inside 南坛社区第一网格 (worker1's grid in the demo city), and about 230 m south of it.
IN_FENCE = {"latitude": 35.058, "longitude": 118.335, "accuracy": 10}
OUT_OF_FENCE = {"latitude": 35.0535, "longitude": 118.335, "accuracy": 10}
SKEW_S = -2 * 3600  # the phone's clock runs two hours behind

# The page's clock runs behind. Background Sync is switched off, as in browsers that lack
# it: it would push from the service worker, whose clock this script cannot skew.
SKEWED_CLOCK = """
(() => {
  const offset = OFFSET_S * 1000;
  const Real = Date;
  class Skewed extends Real {
    constructor(...args) { super(...(args.length ? args : [Real.now() + offset])); }
    static now() { return Real.now() + offset; }
  }
  globalThis.Date = Skewed;
  if (globalThis.ServiceWorkerRegistration) delete ServiceWorkerRegistration.prototype.sync;
})();
""".replace("OFFSET_S", str(SKEW_S))


def worker_punches(live_server, username: str) -> list[Punch]:
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == username))
        rows = db.session.scalars(select(Punch).where(Punch.worker_id == worker.id)
                                  .order_by(Punch.punched_at)).all()
        db.session.expunge_all()
        db.session.remove()
        return rows


@pytest.mark.browser_context_args(permissions=["geolocation"], geolocation=IN_FENCE)
def test_offline_punches_inside_and_outside_the_fence_sync_once_with_the_servers_verdict(
        page: Page, context: BrowserContext, sign_in, live_server):
    context.add_init_script(SKEWED_CLOCK)
    page.goto("/")
    sign_in(page, "worker1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)

    page.click("#tile-attendance")
    status = page.locator("#fence-status")
    expect(status).to_have_attribute("data-inside", "true", timeout=10_000)
    expect(page.locator("#punch")).to_have_text("上班打卡")

    context.set_offline(True)
    page.click("#punch")
    wait_outbox(page, 1)
    expect(page.locator("#punch-list li[data-kind=in]")).to_have_attribute("data-verdict", "pending")
    expect(page.locator("#punch")).to_have_text("下班打卡")

    context.set_geolocation(OUT_OF_FENCE)
    page.click("#relocate")
    expect(status).to_have_attribute("data-inside", "false", timeout=10_000)
    expect(status).to_contain_text("距离围栏 23")  # about 230 m, measured on the phone
    page.fill("#reason", "到社区开会")
    page.click("#punch")
    wait_outbox(page, 2)

    started = datetime.now(UTC)
    context.set_offline(False)
    wait_outbox(page, 0)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)

    clock_in, clock_out = worker_punches(live_server, "worker1")
    assert (clock_in.kind, clock_in.inside_fence, clock_in.distance_m) == ("in", True, 0)
    assert (clock_out.kind, clock_out.inside_fence) == ("out", False)
    assert 200 < clock_out.distance_m < 260 and clock_out.reason == "到社区开会"
    for punch in (clock_in, clock_out):
        assert punch.clock_skew_s == pytest.approx(SKEW_S, abs=60)
        # Device time is kept: two hours behind the server's.
        assert (punch.punched_at - started).total_seconds() == pytest.approx(SKEW_S, abs=120)
        assert punch.accuracy_flagged is False

    expect(page.locator("#punch-list li[data-kind=in]")).to_have_attribute("data-verdict", "inside")
    expect(page.locator("#punch-list li[data-kind=out]")).to_have_attribute("data-verdict", "outside")
    expect(page.locator("#punch-list li[data-kind=out]")).to_contain_text("到社区开会")


# worker3 holds the demo post 学校门口 (80 m around 35.0576 N, 118.3658 E): 30 m north of its
# centre is inside the circle; 150 m north is still in worker3's grid but 70 m off the post.
NEAR_POST = {"latitude": 35.0576 + 30 / 110_937, "longitude": 118.3658, "accuracy": 10}
OFF_POST = {"latitude": 35.0576 + 150 / 110_937, "longitude": 118.3658, "accuracy": 10}


@pytest.mark.browser_context_args(permissions=["geolocation"], geolocation=NEAR_POST)
def test_a_worker_on_a_post_sees_the_post_and_its_distance_and_is_judged_by_it(
        page: Page, context: BrowserContext, sign_in, live_server):
    page.goto("/")
    sign_in(page, "worker3")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)

    page.click("#tile-attendance")
    status = page.locator("#fence-status")
    expect(status).to_have_attribute("data-inside", "true", timeout=10_000)
    expect(status).to_have_attribute("data-fence", "post")
    expect(status).to_contain_text("学校门口")
    page.click("#punch")
    # Online: it syncs at once, and the server's verdict replaces "pending".
    expect(page.locator("#punch-list li[data-kind=in]")).to_have_attribute(
        "data-verdict", "inside", timeout=15_000)

    context.set_geolocation(OFF_POST)
    page.click("#relocate")
    expect(status).to_have_attribute("data-inside", "false", timeout=10_000)
    expect(status).to_contain_text("学校门口")
    expect(status).to_contain_text("距离围栏 70 米")  # to the circle's edge, not the grid's
    page.fill("#reason", "送材料")
    page.click("#punch")
    expect(page.locator("#punch-list li[data-kind=out]")).to_have_attribute(
        "data-verdict", "outside", timeout=15_000)
    expect(page.locator("#punch-list li[data-kind=out]")).to_contain_text("围栏外 70 米")

    clock_in, clock_out = worker_punches(live_server, "worker3")
    assert (clock_in.inside_fence, clock_in.fence_kind) == (True, "post")
    assert (clock_out.inside_fence, clock_out.fence_kind, clock_out.reason) == (False, "post", "送材料")
    assert clock_out.distance_m == pytest.approx(70, abs=1)


@pytest.mark.desktop
def test_the_console_shows_a_month_of_attendance_and_exports_it(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "street1")
    page.click("#to-attendance")
    table = page.locator("#attendance-table")
    expect(table.locator("tbody tr")).to_have_count(1)  # worker1 is street1's only worker
    expect(table.locator("tbody tr[data-worker=worker1]")).to_be_visible()
    expect(page.locator("#attendance-regions tbody tr")).to_have_count(2)  # two communities
    with page.expect_download() as download:
        page.click("#csv-summary")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("month,username") and ",worker1," in text
    with page.expect_download() as workbook:
        page.click("#csv-xlsx")
    assert workbook.value.suggested_filename.endswith(".xlsx")
    assert Path(workbook.value.path()).read_bytes()[:2] == b"PK"  # a zip, as .xlsx files are
