"""The phone's report flow (事项上报): a category found by typing with no signal, the place
adjusted by dragging the pin, and "My reports" following the case as it syncs back: its
code, its timeline, a status set on the server; the console sees the same detail, with
"photo pending" until a photo's bytes arrive."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from backend.extensions import db
from backend.incidents.models import Report
from tests.browser.helpers import (
    DEMO_PASSWORD,
    GEO,
    IN_GRID,
    STORE,
    pick_category,
    reports_described,
    signed_in_and_installed,
    wait_outbox,
    wait_synced,
)
from tests.sync_client import Phone

# A fix good to 25 m: the accuracy circle is drawn around it.
GEO_25M = {**GEO, "geolocation": {**IN_GRID, "accuracy": 25}}
OUTBOX_REPORT = f"""async () => {{ {STORE}
    const mutation = (await store.outbox(owner)).find((m) => m.collection === 'reports');
    return mutation && mutation.fields; }}"""


def outbox_report(page: Page) -> dict:
    return page.evaluate(OUTBOX_REPORT)


def move_status_on_server(live_server, report: Report, status: str) -> None:
    """The city's supervisor moves the case, from another device (an ordinary sync push)."""
    with live_server.app.app_context():
        supervisor = Phone(live_server.app.test_client(), "supervisor", DEMO_PASSWORD)
        supervisor.pull()
        supervisor.update("reports", str(report.id), {"status": status})
        [result] = supervisor.push()["results"]
        assert result["status"] == "applied", result
        db.session.remove()


@pytest.mark.browser_context_args(**GEO)
def test_a_category_is_found_offline_by_name_english_or_code(page: Page, context: BrowserContext, sign_in):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    page.goto("/#/reports/new")
    search = page.get_by_label("类别")
    results = page.locator("#category-results")
    search.fill("井盖")
    expect(results.locator("[data-code]")).to_have_count(1)
    expect(results.locator("h3")).to_have_text(["道路交通"])  # grouped under its main class
    search.fill("garbage")
    expect(results.locator("[data-code]")).to_have_attribute("data-code", "sanitation.garbage")
    expect(results.locator("[data-code]")).to_contain_text("垃圾暴露")
    search.fill("order.")
    expect(results.locator("[data-code]")).to_have_count(2)
    search.fill("没有这种类别")
    expect(results).to_contain_text("没有找到")

    # Keyboard only: type, ↓ to the results, ↓ to the second, Enter picks it.
    search.fill("道路")
    search.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(results.locator("[data-code='road.pothole']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(results).to_be_hidden()
    expect(search).to_have_value("道路破损")
    expect(page.locator("#category-limit")).to_contain_text("48 小时")
    expect(page.locator("#category-limit")).to_have_attribute("data-chosen", "road.pothole")


def drag_pin(page: Page, dx: float = 80, dy: float = -60) -> None:
    box = page.locator("#report-pin").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


@pytest.mark.browser_context_args(**GEO_25M)
def test_the_pin_dragged_off_the_gps_fix_is_where_the_report_is_saved(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)  # no tiles, no server: the pin still works on a blank map
    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    expect(page.locator("#where")).to_contain_text("精度约 25 米")
    expect(page.locator("#where-adjusted")).to_be_hidden()
    expect(page.locator("#report-map path.accuracy")).to_have_count(1)
    pick_category(page)
    page.fill("#description", "图钉拖到马路对面")

    pin = page.locator("#report-pin")
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y - 30, steps=5)
    page.mouse.move(x + 80, y - 60, steps=5)
    page.mouse.up()
    expect(page.locator("#where-adjusted")).to_be_visible()
    expect(page.locator("#where")).to_contain_text("手动调整")

    # "Use my location" goes back to the fix; the arrow keys move the focused pin too.
    page.click("#locate")
    expect(page.locator("#where-adjusted")).to_be_hidden()
    pin.focus()
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#where-adjusted")).to_be_visible()
    page.keyboard.press("Shift+ArrowUp")
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y - 60, steps=10)
    page.mouse.up()
    shown = page.locator("#where").inner_text()

    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text("图钉拖到马路对面")
    fields = outbox_report(page)
    # Right and up on the screen: east and north of the fix, by some tens of metres.
    assert fields["lon"] > IN_GRID["longitude"] + 1e-5 and fields["lat"] > IN_GRID["latitude"] + 1e-5
    assert abs(fields["lon"] - IN_GRID["longitude"]) < 0.01 and abs(fields["lat"] - IN_GRID["latitude"]) < 0.01
    assert f"{fields['lat']:.5f}" in shown and f"{fields['lon']:.5f}" in shown
    # How good the place is goes with it: the fix's accuracy, and that the pin was moved by hand.
    assert fields["location_adjusted"] is True and fields["accuracy_m"] == 25

    # Dragged, then "use my location": back on the fix, so not adjusted.
    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("精度约 25 米", timeout=10_000)
    pick_category(page)
    page.fill("#description", "拖了又回到定位")
    drag_pin(page)
    expect(page.locator("#where-adjusted")).to_be_visible()
    page.click("#locate")
    expect(page.locator("#where-adjusted")).to_be_hidden()
    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text("拖了又回到定位")

    context.set_offline(False)
    wait_outbox(page, 0)
    [dragged] = reports_described(live_server, "图钉拖到马路对面")
    assert dragged.location_adjusted is True and dragged.accuracy_m == 25
    assert f"{dragged.lat:.5f}" in shown and f"{dragged.lon:.5f}" in shown
    [reset] = reports_described(live_server, "拖了又回到定位")
    assert reset.location_adjusted is False and reset.accuracy_m == 25
    assert (reset.lat, reset.lon) == (IN_GRID["latitude"], IN_GRID["longitude"])

    # The detail says so under the place: both for the dragged one, the accuracy alone otherwise.
    page.locator("#report-list li", has_text="图钉拖到马路对面").locator("a").click()
    expect(page.locator("#report-location #report-accuracy")).to_have_text("GPS 精度约 25 米")
    expect(page.locator("#report-location #report-adjusted")).to_have_text("位置为手动调整")
    page.goto("/#/reports")
    page.locator("#report-list li", has_text="拖了又回到定位").locator("a").click()
    expect(page.locator("#report-location #report-accuracy")).to_have_text("GPS 精度约 25 米")
    expect(page.locator("#report-adjusted")).to_have_count(0)


@pytest.mark.browser_context_args(**GEO)
def test_my_reports_follow_the_case_code_timeline_and_status_as_they_sync_back(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    pick_category(page, "manhole", "road.manhole")
    page.fill("#description", "井盖丢失，车辆绕行")
    page.click("#save")
    card = page.locator("#report-list li", has_text="井盖丢失")
    expect(card.locator(".status-chip")).to_have_text("已上报")
    expect(card).to_contain_text("井盖缺失破损")
    expect(card.locator(".badge")).to_have_text("待同步")

    # Offline, the detail is the phone's own: no code yet, reported and waiting to sync.
    card.locator("a").click()
    detail = page.locator("#report-detail")
    expect(detail.locator("#report-code")).to_have_text("编号待分配")
    expect(page.locator("#report-timeline li")).to_have_count(2)
    expect(page.locator("#report-timeline li").last).to_have_attribute("data-event", "waiting")

    context.set_offline(False)
    wait_outbox(page, 0)
    wait_synced(page)
    [report] = reports_described(live_server, "井盖丢失，车辆绕行")
    assert report.location_adjusted is False  # the pin stayed on the fix
    expect(detail.locator("#report-code")).to_have_text(report.code)
    timeline = page.locator("#report-timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_have_attribute("data-event", "reported")
    expect(timeline.nth(1)).to_have_attribute("data-event", "received")
    expect(timeline.nth(1)).to_contain_text(report.code)
    expect(detail.locator("#report-deadline")).not_to_be_empty()
    expect(page.locator("#report-edit-link")).to_be_visible()

    move_status_on_server(live_server, report, "registered")
    page.evaluate("civicgrid.syncNow()")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(2)).to_have_attribute("data-status", "registered")
    expect(timeline.nth(2)).to_contain_text("已立案")
    expect(detail.locator("#report-status")).to_have_text("已立案")

    # Cancelled on the server: the case is finished, no longer editable, listed under "closed".
    move_status_on_server(live_server, report, "cancelled")
    page.evaluate("civicgrid.syncNow()")
    expect(timeline).to_have_count(4)
    expect(page.locator("#report-edit-link")).to_have_count(0)
    context.set_offline(True)
    page.reload()  # from IndexedDB alone
    expect(page.locator("#report-timeline li")).to_have_count(4)
    page.goto("/#/reports")
    page.click("#filter-open")
    expect(page.locator("#report-list li", has_text="井盖丢失")).to_have_count(0)
    page.click("#filter-closed")
    expect(page.locator("#report-list li", has_text="井盖丢失").locator(".status-chip")).to_have_text("已作废")


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 140, 90)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.browser_context_args(**GEO)
def test_the_console_opens_the_same_detail_with_photo_pending_until_the_bytes_arrive(
        page: Page, context: BrowserContext, desktop_context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    # The records sync, the photo's bytes do not (yet): uploads fail.
    context.route("**/api/v1/blobs/**", lambda route: route.abort())
    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    pick_category(page)
    page.fill("#description", "照片还在路上")
    page.set_input_files("#photo-gallery", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                                   "buffer": small_jpeg()}])
    expect(page.locator("#photo-list img")).to_have_count(1, timeout=15_000)
    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text("照片还在路上")
    wait_outbox(page, 0)
    [report] = reports_described(live_server, "照片还在路上")

    console = desktop_context.new_page()
    console.goto("/")
    sign_in(console, "supervisor")
    row = console.locator("#case-table tbody tr", has_text="照片还在路上")
    expect(row).to_be_visible(timeout=30_000)  # the console's first pull: the whole region
    row.locator("a").click()
    detail = console.locator("#report-detail")
    expect(detail.locator("#report-code")).to_have_text(report.code)
    expect(console.locator("#report-photos li")).to_have_attribute("data-state", "pending")
    expect(console.locator("#report-photos")).to_contain_text("照片待上传")
    expect(console.locator("#report-timeline li")).to_have_count(2)
    expect(console.locator("#report-back")).to_have_attribute("href", "#/console")

    context.unroute("**/api/v1/blobs/**")
    page.evaluate("civicgrid.syncNow()")
    for _ in range(100):  # the phone uploads; the console's next sync learns the photo has its bytes
        console.evaluate("civicgrid.syncNow()")
        if console.locator("#report-photos img").count():
            break
        console.wait_for_timeout(150)
    expect(console.locator("#report-photos img")).to_have_count(1)
