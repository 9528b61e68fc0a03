"""Signing in and out in the field: offline use, unsynced work kept, one phone, two people."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import (
    GEO,
    make_report,
    reports_described,
    signed_in_and_installed,
    wait_outbox,
    wait_synced,
)


def sign_out(page: Page) -> None:
    """Sign out, saying yes to the unsynced-work warning if it comes."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#signout")
    expect(page.locator("#signin-form")).to_be_visible()




@pytest.mark.browser_context_args(**GEO)
def test_a_signed_in_worker_opens_the_app_offline_without_signing_in_again(
        page: Page, context: BrowserContext, sign_in):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    page.goto("/")
    page.reload()
    expect(page.locator("#home")).to_be_visible()
    expect(page.locator("#greeting")).to_contain_text("张伟")
    expect(page.locator("#tile-report")).to_be_visible()


@pytest.mark.browser_context_args(**GEO)
def test_signing_out_with_unsynced_work_warns_keeps_it_and_hides_it_from_the_next_user(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    make_report(page, "退出前未同步")
    page.goto("/")

    warnings: list[str] = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.dismiss()))
    page.click("#signout")
    for _ in range(100):
        if warnings:
            break
        page.wait_for_timeout(50)
    assert warnings and "1 条内容未同步" in warnings[0]
    expect(page.locator("#home")).to_be_visible()  # not confirmed: still signed in

    sign_out(page)

    # Someone else signs in on this phone: none of worker1's data, and nothing of it is sent.
    context.set_offline(False)
    sign_in(page, "worker2")
    wait_synced(page)
    page.goto("/#/reports")
    expect(page.locator("#reports")).not_to_contain_text("退出前未同步")
    assert reports_described(live_server, "退出前未同步") == []

    # worker1 comes back: their report goes out now.
    page.goto("/")
    sign_out(page)
    sign_in(page, "worker1")
    wait_outbox(page, 0)
    assert len(reports_described(live_server, "退出前未同步")) == 1


@pytest.mark.browser_context_args(**GEO)
def test_an_expired_session_keeps_unsynced_work_and_sends_it_after_signing_in(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    make_report(page, "会话过期时的事项")
    # The sign-in ends on the server side (revoked, or 30 days without signal).
    page.evaluate("""async () => {
        const store = await import('/app/store.js');
        const session = await store.getSession();
        await store.putSession({...session, access_token: 'expired', refresh_token: 'expired',
                                access_expires_at: 0});
    }""")
    context.set_offline(False)
    expect(page.locator("#session-expired")).to_be_visible(timeout=15_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "expired")
    wait_outbox(page, 1)
    assert reports_described(live_server, "会话过期时的事项") == []

    page.click("#session-expired a")
    sign_in(page, "worker1")
    wait_outbox(page, 0)
    assert len(reports_described(live_server, "会话过期时的事项")) == 1
    expect(page.locator("#session-expired")).to_be_hidden()


@pytest.mark.browser_context_args(locale="en-GB")
def test_the_language_follows_the_browser_and_can_be_switched(page: Page):
    page.goto("/")
    expect(page.locator("#signin h1")).to_have_text("Sign in")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("#lang")
    expect(page.locator("#signin h1")).to_have_text("登录")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.reload()
    expect(page.locator("#signin h1")).to_have_text("登录")  # the choice is remembered


def test_an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept(
        page: Page, sign_in):
    # The refresh token rotates on use; the app must keep the new one, or its next refresh
    # (after the short grace) would end the session.
    page.goto("/")
    sign_in(page, "worker1")
    page.wait_for_function("window.civicgrid !== undefined")
    tokens = []
    for _ in range(2):
        tokens.append(page.evaluate("""async () => {
            const store = await import('/app/store.js');
            const api = await import('/app/api.js');
            const session = await store.getSession();
            await store.putSession({...session, access_token: 'expired', access_expires_at: 0});
            const me = await api.authed('/api/v1/me');
            return [me.username, (await store.getSession()).refresh_token, session.refresh_token];
        }"""))
    (name1, kept1, sent1), (name2, kept2, sent2) = tokens
    assert name1 == name2 == "worker1"
    assert kept1 != sent1 and sent2 == kept1 and kept2 != kept1


def test_only_a_demo_names_its_accounts_on_the_sign_in_page(page: Page, live_server):
    page.goto("/")
    expect(page.locator("#signin-demo-hint")).to_be_visible()
    expect(page.locator("#signin-demo-hint")).to_contain_text("worker1")
    live_server.app.config["DEMO_MODE"] = False  # a real deployment
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/v1/about")):
            page.reload()
        expect(page.locator("#signin-form")).to_be_visible()
        expect(page.locator("#signin-demo-hint")).to_be_hidden()
    finally:
        live_server.app.config["DEMO_MODE"] = True
