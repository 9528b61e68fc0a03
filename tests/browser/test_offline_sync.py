"""The phone app offline, for real: installed shell, outbox, kill mid-sync, two phones.

Every test drives Chromium against the live server and checks the server's database
itself, not what the page says about it.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from backend.extensions import db
from backend.incidents.models import Report
from backend.sync_adapter.models import SyncConflict
from tests.browser.helpers import (
    GEO,
    make_report,
    outbox_count,
    reports_described,
    signed_in_and_installed,
    wait_outbox,
    wait_synced,
)


def count(live_server, model) -> int:
    with live_server.app.app_context():
        total = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return total


@pytest.mark.browser_context_args(**GEO)
def test_reports_made_offline_survive_reloads_and_reach_the_server_exactly_once(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    assert page.reload().from_service_worker, "offline, the shell comes from the service worker"
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "offline")

    make_report(page, "离线上报一")
    make_report(page, "离线上报二")
    page.reload()
    expect(page.locator("#report-list")).to_contain_text("离线上报二")
    expect(page.locator("#report-list .badge.pending")).to_have_count(2)
    assert outbox_count(page) == 2
    assert reports_described(live_server, "离线上报一") == []

    context.set_offline(False)
    wait_outbox(page, 0)
    wait_synced(page)
    for description in ("离线上报一", "离线上报二"):
        [report] = reports_described(live_server, description)
        assert report.code and report.status == "reported"
    # The server's case number comes back to the phone, and the "not synced" badges go.
    expect(page.locator("#report-list .badge.pending")).to_have_count(0)
    expect(page.locator("#report-list")).to_contain_text(reports_described(live_server, "离线上报一")[0].code)


@pytest.mark.browser_context_args(**GEO)
def test_a_page_killed_mid_sync_loses_nothing_and_doubles_nothing(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    before = count(live_server, Report)  # the demo city's own cases
    context.set_offline(True)
    for n in range(3):
        make_report(page, f"中断同步{n}")

    # The server applies the push, then the page dies before the answer arrives.
    applied = threading.Event()

    def apply_then_hang(route):
        response = route.fetch()
        assert response.ok
        applied.set()  # never fulfilled: the page is closed with the request open

    context.route("**/api/v1/sync/push", apply_then_hang)
    context.set_offline(False)
    page.wait_for_function("() => true")  # let the online event reach the app
    for _ in range(200):
        if applied.is_set():
            break
        page.wait_for_timeout(50)
    assert applied.is_set(), "the push reached the server"
    page.close()
    context.unroute("**/api/v1/sync/push")
    assert count(live_server, Report) == before + 3

    again = context.new_page()
    again.goto("/#/sync")
    wait_outbox(again, 0)
    wait_synced(again)
    assert count(live_server, Report) == before + 3, \
        "the re-sent batch was a duplicate, not a second apply"
    for n in range(3):
        assert len(reports_described(live_server, f"中断同步{n}")) == 1


@pytest.mark.browser_context_args(**GEO)
def test_two_phones_editing_one_report_offline_converge_and_the_loser_is_told(
        page: Page, context: BrowserContext, browser, browser_context_args, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    make_report(page, "两台手机")
    wait_outbox(page, 0)
    wait_synced(page)
    [report] = reports_described(live_server, "两台手机")

    other_context = browser.new_context(**browser_context_args)
    try:
        other = other_context.new_page()
        signed_in_and_installed(other, sign_in)
        expect(other.locator("body")).to_be_visible()
        for phone, ctx in ((page, context), (other, other_context)):
            ctx.set_offline(True)
            phone.goto(f"/#/reports/{report.id}")
            expect(phone.locator("#report-detail")).to_be_visible()
            phone.click("#report-edit-link")
            expect(phone.locator("#report-edit")).to_be_visible()
        page.fill("#description", "第一台手机的描述")
        page.click("#save")
        other.wait_for_timeout(20)  # the second edit is the later one
        other.fill("#description", "第二台手机的描述")
        other.click("#save")

        context.set_offline(False)
        wait_outbox(page, 0)
        other_context.set_offline(False)
        wait_outbox(other, 0)
        wait_synced(other)

        # The later edit wins on the server; the earlier one is kept as a conflict record.
        [stored] = reports_described(live_server, "第二台手机的描述")
        assert stored.id == report.id
        with live_server.app.app_context():
            [conflict] = db.session.scalars(select(SyncConflict)).all()
            assert conflict.record_id == report.id and conflict.field == "description"
            assert conflict.losing_value == "第一台手机的描述"
            db.session.remove()

        # The phone whose push met the conflict says so, with what to do.
        other.goto("/#/sync")
        expect(other.locator("#notices .notice.conflict")).to_have_count(1)
        expect(other.locator("#sync-status")).to_contain_text("需要处理")
        # Both phones converge on the server's value.
        page.evaluate("civicgrid.syncNow()")
        for phone in (page, other):
            phone.goto("/#/reports")
            expect(phone.locator("#report-list")).to_contain_text("第二台手机的描述")
            expect(phone.locator("#report-list")).not_to_contain_text("第一台手机的描述")
    finally:
        other_context.close()
