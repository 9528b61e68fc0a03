"""Every screen of every role loads under the Content-Security-Policy with nothing blocked:
no inline script or style attribute, no eval, nothing from another origin."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from backend.departments.models import Department
from backend.extensions import db
from tests.browser.helpers import DEMO_PASSWORD, IN_GRID
from tests.sync_client import Phone

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}

# Every screen each role reaches from its home screen (the report detail has its own tests).
SCREENS = {
    "worker1": (PHONE, ["/", "/patrol", "/attendance", "/reports/new", "/reports", "/sync"]),
    "worker3": (PHONE, ["/attendance"]),  # the post's circle instead of the grid
    "citizen1": (PHONE, ["/", "/reports/new", "/reports", "/tickets/new", "/tickets",
                         "/certificates", "/sync"]),
    "clerk1": (DESKTOP, ["/", "/console/clerk"]),
    "supervisor": (DESKTOP, ["/", "/console", "/console/attendance", "/console/tracks",
                             "/console/posts", "/console/cases", "/console/assessment",
                             "/console/map", "/reports", "/sync"]),
    "admin": (DESKTOP, ["/", "/console", "/console/tracks", "/console/posts", "/console/audit",
                        "/console/cases", "/console/assessment", "/console/map",
                        "/console/certificates"]),
    "dept1": (DESKTOP, ["/", "/console/cases", "/console/certificates"]),
    "official1": (PHONE, ["/", "/verify"]),
}

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def _settle(page: Page) -> None:
    """Loaded, and no request in flight for 500 ms. Not "networkidle": a console page keeps
    its live stream (GET /api/v1/live) open for minutes, so that never comes."""
    page.wait_for_load_state("load")
    quiet_since, deadline = time.monotonic(), time.monotonic() + 30
    while time.monotonic() - quiet_since < 0.5:
        page.wait_for_timeout(50)
        if page.context.in_flight["n"] > 0:
            quiet_since = time.monotonic()
        assert time.monotonic() < deadline, "requests still in flight after 30 s"
    page.wait_for_timeout(300)  # maps and their tiles of vectors draw after the data


def _track_requests(context) -> None:
    """context.in_flight["n"]: its requests not yet finished, the live stream aside."""
    flight = {"n": 0}
    # The live streams (the console's, a hall's events) stay open while their page is shown.
    counted = lambda request: not re.search(r"/api/v1/(live|halls/[^/]+/events)$",  # noqa: E731
                                            request.url.split("?")[0])

    def started(request) -> None:
        flight["n"] += counted(request)

    def ended(request) -> None:
        flight["n"] -= counted(request)

    context.on("request", started)
    context.on("requestfinished", ended)
    context.on("requestfailed", ended)
    context.in_flight = flight


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def _context(browser: Browser, base_url: str, size: dict):
    # Not the suite's usual context, which bypasses the policy for Playwright's sake.
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  permissions=["geolocation"], geolocation=IN_GRID, **size)
    _track_requests(context)
    return context


def test_the_sign_in_page_loads_with_nothing_blocked(browser: Browser, base_url: str):
    context = _context(browser, base_url, PHONE)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.goto("/")
        page.wait_for_selector("#signin-form")
        _settle(page)
        assert _violations(page) == []
    finally:
        context.close()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")):
        page.locator("#signin-form [type=submit]").click()


@pytest.mark.parametrize("username", list(SCREENS))
def test_every_screen_of_a_role_loads_with_nothing_blocked(browser: Browser, base_url: str,
                                                           username: str):
    size, screens = SCREENS[username]
    context = _context(browser, base_url, size)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        _sign_in(page, username)
        seen = {}
        for screen in screens:
            page.goto(f"/#{screen}")
            page.reload()  # a fresh document for each screen: its own load, its own events
            _settle(page)
            seen[screen] = _violations(page)
        assert all(not v for v in seen.values()), seen
    finally:
        context.close()


def _case_dispatched_to_the_city_management_bureau(live_server) -> str:
    """worker1 reports through sync; street1 registers it and dispatches it to 城管局."""
    http = live_server.app.test_client()
    phone = Phone(http, "worker1", DEMO_PASSWORD)
    rid = phone.create("reports", {"category": "road.pothole", "description": "CSP", "lat": 35.0575,
                                   "lon": 118.335, "reported_at": "2026-12-01T08:00:00Z"})
    phone.push()
    street = Phone(http, "street1", DEMO_PASSWORD)
    with live_server.app.app_context():
        bureau = str(db.session.scalar(select(Department.id).where(Department.name == "城管局")))
        db.session.remove()
    for body in ({"action": "register"}, {"action": "dispatch", "department_id": bureau}):
        answer = http.post(f"/api/v1/cases/{uuid.UUID(rid)}/actions", headers=street.headers, json=body)
        assert answer.status_code == 200, answer.get_json()
    return rid


@pytest.mark.parametrize(("username", "action"), [("street1", "dispatch"), ("dept1", "handle")])
def test_a_case_page_and_its_action_form_load_with_nothing_blocked(browser: Browser, base_url: str,
                                                                   live_server, username: str,
                                                                   action: str):
    rid = _case_dispatched_to_the_city_management_bureau(live_server)
    context = _context(browser, base_url, DESKTOP)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        _sign_in(page, username)
        page.wait_for_url(re.compile(r"#/console"))  # landed at the desk, not mid-way there
        page.goto(f"/#/console/cases/{rid}")
        page.reload()
        page.click(f"#case-do-{action}")
        expect(page.locator("#case-action-form")).to_be_visible()
        _settle(page)
        assert _violations(page) == []
    finally:
        context.close()
