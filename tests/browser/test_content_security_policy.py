"""Every screen of every role loads under the Content-Security-Policy with nothing blocked:
no inline script or style attribute, no eval, nothing from another origin."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.helpers import DEMO_PASSWORD, IN_GRID

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}

# Every screen each role reaches from its home screen (the report detail has its own tests).
SCREENS = {
    "worker1": (PHONE, ["/", "/patrol", "/attendance", "/reports/new", "/reports", "/sync"]),
    "worker3": (PHONE, ["/attendance"]),  # the post's circle instead of the grid
    "citizen1": (PHONE, ["/", "/soon/take_number", "/soon/my_tickets", "/soon/certificates", "/sync"]),
    "clerk1": (DESKTOP, ["/", "/soon/clerk_console"]),
    "supervisor": (DESKTOP, ["/", "/console", "/console/attendance", "/console/tracks",
                             "/console/posts", "/reports", "/sync"]),
    "admin": (DESKTOP, ["/", "/console", "/console/tracks", "/console/posts", "/console/audit"]),
}

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # maps and their tiles of vectors draw after the data


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def _context(browser: Browser, base_url: str, size: dict):
    # Not the suite's usual context, which bypasses the policy for Playwright's sake.
    return browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                               permissions=["geolocation"], geolocation=IN_GRID, **size)


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


@pytest.mark.parametrize("username", list(SCREENS))
def test_every_screen_of_a_role_loads_with_nothing_blocked(browser: Browser, base_url: str,
                                                           username: str):
    size, screens = SCREENS[username]
    context = _context(browser, base_url, size)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.goto("/")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")):
            page.locator("#signin-form [type=submit]").click()
        seen = {}
        for screen in screens:
            page.goto(f"/#{screen}")
            page.reload()  # a fresh document for each screen: its own load, its own events
            _settle(page)
            seen[screen] = _violations(page)
        assert all(not v for v in seen.values()), seen
    finally:
        context.close()
