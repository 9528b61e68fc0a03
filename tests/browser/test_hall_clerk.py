"""The window clerk's console (窗口叫号) at a desk: clerk1 lands on window 1, calls the people
waiting with the keyboard until citizen1's number (taken a moment ago through the API)
comes up, sees it big, and finishes it; recall before no-show; the transfer dialog, pause and
resume, and an error in words."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DEMO_PASSWORD


def _api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def take_number(base: str, username: str = "citizen1") -> str:
    """A number for the first service the citizen holds none of, taken in the hall."""
    status, login = _api(base, "POST", "/api/v1/auth/login",
                         {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, login
    status, halls = _api(base, "GET", "/api/v1/halls")
    hall = halls[0]
    for service in hall["services"]:
        status, ticket = _api(base, "POST", f"/api/v1/halls/{hall['id']}/tickets",
                              {"service_id": service["id"], "lat": hall["lat"], "lon": hall["lon"]},
                              token=login["access_token"])
        if status == 201:
            return ticket["number"]
    raise AssertionError(f"{username} could take no number: {ticket}")


def call_until(page: Page, number: str, tries: int = 30) -> None:
    """Press N (and F for anyone else's number) until `number` is at the window."""
    current = page.locator("#clerk-current")
    for _ in range(tries):
        expect(page.locator("#clerk-call, #clerk-finish").first).to_be_visible()
        if current.get_attribute("data-state") == "called":
            if page.locator("#clerk-current-number").inner_text() == number:
                return
            page.keyboard.press("f")
            expect(current).to_have_attribute("data-state", "free")
        page.keyboard.press("n")
        expect(current).to_have_attribute("data-state", "called")
    raise AssertionError(f"{number} never came up")


@pytest.mark.desktop
def test_a_clerk_calls_and_finishes_a_citizens_number_with_the_keyboard(page: Page, sign_in,
                                                                         live_server):
    page.goto("/")
    sign_in(page, "clerk1")
    expect(page.locator("#clerk-title")).to_contain_text("1 号窗口")
    assert page.url.endswith("#/console/clerk")
    expect(page.locator("#clerk-window-state")).to_have_text("开放")
    expect(page.locator("#clerk-call")).to_have_attribute("aria-keyshortcuts", "N")
    number = take_number(live_server.url)
    call_until(page, number)
    expect(page.locator("#clerk-current-number")).to_have_text(number)
    expect(page.locator("#clerk-announce")).to_contain_text(number)
    # No-show waits for a recall.
    expect(page.locator("#clerk-no-show")).to_be_disabled()
    page.keyboard.press("r")
    expect(page.locator("#clerk-current-recalls")).to_contain_text("1")
    expect(page.locator("#clerk-no-show")).to_be_enabled()
    done_before = int(page.locator("#clerk-today-done").inner_text())
    page.keyboard.press("f")
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "free")
    expect(page.locator("#clerk-announce")).to_contain_text(f"{number} 已办结")
    expect(page.locator("#clerk-today-done")).to_have_text(str(done_before + 1))


@pytest.mark.desktop
def test_the_clerk_transfers_pauses_and_reads_errors_in_words(page: Page, sign_in, live_server):
    page.goto("/")
    sign_in(page, "clerk1")
    number = take_number(live_server.url)
    call_until(page, number)
    # Transfer through the dialog, by keyboard: T opens it, the select is focused.
    page.keyboard.press("t")
    dialog = page.locator("#clerk-transfer-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#clerk-transfer-target")).to_be_focused()
    page.click("#clerk-transfer-submit")
    expect(page.locator("#clerk-transfer-error")).to_have_text("请选择要转到的事项或窗口。")
    page.locator("#clerk-transfer-target").select_option(label="2 号窗口")
    page.click("#clerk-transfer-submit")
    expect(dialog).to_have_count(0)
    expect(page.locator("#clerk-announce")).to_contain_text(f"{number} 已转移")
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "free")
    # Paused: nothing to call, and P resumes.
    page.keyboard.press("p")
    expect(page.locator("#clerk-window-state")).to_have_text("暂停")
    expect(page.locator("#clerk-call")).to_be_disabled()
    page.keyboard.press("n")  # not allowed now: nothing happens
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "free")
    page.keyboard.press("p")
    expect(page.locator("#clerk-window-state")).to_have_text("开放")
    # Everyone before citizen1's number has been served and it went to window 2: calling
    # now says so in words.
    page.keyboard.press("n")
    expect(page.locator("#clerk-error")).to_have_text("当前没有人在本窗口排队。")
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "free")
