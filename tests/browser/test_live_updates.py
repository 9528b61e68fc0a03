"""Live updates on the console (实时): the city's supervisor watches while the loop runs
elsewhere — a grid worker's offline report arriving on sync, street1 finding it on the one
map, registering and dispatching it to 城管局, dept1 handling it, street1 verifying and closing — and sees each
change on the case list and the case page without reloading. A half-typed note on a page
whose case changes meanwhile is kept (a note offers to refresh). Then a citizen's report,
closed by the city, shows as closed on the citizen's phone at its next sync."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.incidents import cases
from tests.browser.helpers import GEO, make_report, reports_described, signed_in_and_installed, wait_outbox

DESKTOP = {"viewport": {"width": 1440, "height": 900}, "is_mobile": False, "has_touch": False}
# In 南坛社区第一网格 (兰山街道): worker1's grid, street1's street.
IN_STREET1 = {"permissions": ["geolocation"],
              "geolocation": {"latitude": 35.0575, "longitude": 118.335}}


def desktop(browser: Browser, browser_context_args: dict) -> BrowserContext:
    return browser.new_context(**{**browser_context_args, **DESKTOP})


def console_page(context: BrowserContext, sign_in, username: str, path: str) -> Page:
    page = context.new_page()
    page.goto("/")
    sign_in(page, username)
    # The home the app lands on after signing in (the console, or a department's list).
    expect(page.locator("#console, #cases-console")).to_be_visible()
    page.goto(f"/#{path}")
    expect(page.locator("#cases-table, #case-status")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=10_000)
    return page


def act(page: Page, action: str, *, note: str = "", department: str = "") -> None:
    page.click(f"#case-do-{action}")
    expect(page.locator(f"#case-action-form[data-action='{action}']")).to_be_visible()
    if department:
        page.select_option("#case-target", label=department)
    if note:
        page.fill("#case-note", note)
    page.click("#case-action-submit")


@pytest.mark.browser_context_args(**IN_STREET1)
def test_the_command_centre_watches_the_loop_live(
        page: Page, context: BrowserContext, desktop_context: BrowserContext, browser: Browser,
        browser_context_args: dict, sign_in, live_server):
    watcher = console_page(desktop_context, sign_in, "supervisor", "/console/cases")
    watcher.evaluate("window.__notReloaded = true")

    # worker1 reports with no signal, then comes back online: the case appears on the list.
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    make_report(page, "实时：路面塌陷一处")
    context.set_offline(False)
    wait_outbox(page, 0)
    [report] = reports_described(live_server, "实时：路面塌陷一处")
    rid, code = str(report.id), report.code
    row = watcher.locator("#cases-table tbody tr", has_text=code)
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("已上报")
    row.locator("a").click()
    status = watcher.locator("#case-status")
    expect(status).to_have_text("已上报")

    # street1 finds it on the one map (new reports only) and opens it there; registers and
    # dispatches it on its own console; the watcher's page follows.
    others = desktop(browser, browser_context_args)
    street = console_page(others, sign_in, "street1", "/console/cases")
    street.goto("/#/console/map")
    street.check("#map-status-reported")
    street.locator("#map-case-list a", has_text=code).click()
    street.wait_for_url(f"**/#/console/cases/{rid}")
    act(street, "register")
    expect(status).to_have_text("已立案", timeout=10_000)
    act(street, "dispatch", department="城管局", note="请尽快修复")
    expect(status).to_have_text("已派遣", timeout=10_000)
    expect(watcher.locator("#case-holder")).to_have_text("城管局")

    # street1 starts sending it elsewhere, types half a note; dept1 handles it meanwhile.
    street.click("#case-do-dispatch")
    street.fill("#case-note", "改派给")
    others_dept = desktop(browser, browser_context_args)
    dept = console_page(others_dept, sign_in, "dept1", f"/console/cases/{rid}")
    act(dept, "handle", note="已修补路面")
    expect(status).to_have_text("已处置", timeout=10_000)
    expect(watcher.locator("#case-timeline > li").last).to_contain_text("已修补路面")
    # street1's typing is kept; a note offers the new state.
    expect(street.locator("#case-changed")).to_be_visible(timeout=10_000)
    expect(street.locator("#case-note")).to_have_value("改派给")
    street.click("#case-live-refresh")
    expect(street.locator("#case-actions button")).to_have_text(["核查通过", "核查退回"])
    act(street, "verify")
    expect(status).to_have_text("已核查", timeout=10_000)
    act(street, "close", note="群众满意")
    expect(status).to_have_text("已结案", timeout=10_000)
    # Back on the list, as it is now.
    watcher.click("#case-back")
    expect(watcher.locator("#cases-table tbody tr", has_text=code)).to_contain_text("已结案")
    assert watcher.evaluate("window.__notReloaded") is True
    others.close()
    others_dept.close()


@pytest.mark.browser_context_args(**GEO)
def test_a_citizen_sees_the_closure_at_the_next_sync(page: Page, sign_in, live_server):
    signed_in_and_installed(page, sign_in, "citizen1")
    make_report(page, "实时：小区路灯不亮")
    wait_outbox(page, 0)
    [report] = reports_described(live_server, "实时：小区路灯不亮")
    with live_server.app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "supervisor"))
        dept = db.session.scalar(select(User).where(User.username == "dept1"))
        cases.act(boss, report.id, "register")
        cases.act(boss, report.id, "dispatch", department_id=dept.department_id)
        cases.act(dept, report.id, "handle", note="已更换灯泡")
        cases.act(boss, report.id, "verify")
        cases.act(boss, report.id, "close")
        db.session.remove()
    page.evaluate("civicgrid.syncNow()")
    card = page.locator("#report-list li", has_text="实时：小区路灯不亮")
    expect(card.locator(".status-chip")).to_have_text("已结案", timeout=10_000)
