"""Citizens report too (市民上报) and say whether the result satisfies them (结果反馈): citizen1
reports offline with a photo from the same screens as a grid worker; it syncs and gets the
grid of its point; the city closes the case; the citizen's phone shows 已结案 and takes 满意
offline, which syncs."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.incidents import cases
from backend.photos.models import Photo
from tests.browser.helpers import (
    GEO,
    STORE,
    pick_category,
    poll,
    reports_described,
    signed_in_and_installed,
    wait_outbox,
)

DESCRIPTION = "小区门口路灯不亮"
PENDING_BLOBS = f"async () => {{ {STORE} return (await store.pendingBlobs(owner)).length; }}"


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((640, 480)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def close_on_server(live_server, report_id) -> None:
    """The loop as the city works it: registered, dispatched to 城管局, handled, verified, closed."""
    with live_server.app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "supervisor"))
        dept = db.session.scalar(select(User).where(User.username == "dept1"))
        cases.act(boss, report_id, "register")
        cases.act(boss, report_id, "dispatch", department_id=dept.department_id)
        after = cases.get_case(boss, report_id)["photos"]
        cases.act(dept, report_id, "handle", note="已更换灯泡", photos=after)
        cases.act(boss, report_id, "verify")
        cases.act(boss, report_id, "close")
        db.session.remove()


@pytest.mark.browser_context_args(**GEO)
def test_a_citizen_reports_offline_with_a_photo_and_gives_feedback_offline_once_closed(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in, "citizen1")
    expect(page.locator("#tile-citizen_report")).to_be_visible()
    expect(page.locator("#tile-citizen_reports")).to_be_visible()
    context.set_offline(True)

    page.click("#tile-citizen_report")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    pick_category(page)
    page.fill("#description", DESCRIPTION)
    page.set_input_files("#photo", files=[{"name": "lamp.jpg", "mimeType": "image/jpeg",
                                           "buffer": small_jpeg()}])
    expect(page.locator("#photo-list img")).to_have_count(1, timeout=15_000)
    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text(DESCRIPTION)
    assert page.evaluate("civicgrid.outboxCount()") == 2, "the report and its photo's record"

    context.set_offline(False)
    wait_outbox(page, 0)
    poll(page, f"async () => (await ({PENDING_BLOBS})()) === 0")
    [report] = reports_described(live_server, DESCRIPTION)
    with live_server.app.app_context():
        citizen = db.session.scalar(select(User).where(User.username == "citizen1"))
        assert report.reporter_id == citizen.id and citizen.region_id is None
        [photo] = db.session.scalars(select(Photo).where(Photo.record_id == report.id)).all()
        assert photo.has_blob and report.photos == [photo.sha256]
        db.session.remove()
    # The server found the grid from the pin, gave a case code and a deadline.
    assert report.grid_id is not None and report.code and report.deadline_at

    close_on_server(live_server, report.id)
    page.evaluate("civicgrid.syncNow()")
    page.goto(f"/#/reports/{report.id}")
    expect(page.locator("#report-status")).to_have_text("已结案")
    expect(page.locator("#feedback-satisfied")).to_be_visible()

    context.set_offline(True)
    page.fill("#feedback-note", "修得很快")
    page.click("#feedback-satisfied")
    given = page.locator("#feedback-given")
    expect(given).to_contain_text("满意")
    expect(given).to_have_attribute("data-satisfaction", "satisfied")
    expect(page.locator("#feedback-satisfied")).to_have_count(0)
    assert page.evaluate("civicgrid.outboxCount()") == 1

    context.set_offline(False)
    wait_outbox(page, 0)
    [report] = reports_described(live_server, DESCRIPTION)
    assert (report.satisfaction, report.satisfaction_note) == ("satisfied", "修得很快")
    assert report.timeline[-1]["event"] == "feedback"
    expect(page.locator("#report-timeline li").last).to_have_attribute("data-event", "feedback")
    expect(page.locator("#feedback-given-note")).to_have_text("修得很快")
