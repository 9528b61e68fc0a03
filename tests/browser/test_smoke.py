"""The phone app opens in Chromium and a demo worker signs in."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_worker_signs_in_and_leaves_the_sign_in_screen(page: Page, sign_in):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    expect(page.locator("#signin-form")).to_be_visible()

    sign_in(page, "worker1")

    expect(page.locator("#signin")).to_be_hidden()
    assert errors == []
