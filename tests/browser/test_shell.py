"""The installable shell: Chromium's install criteria, and a clean update to a new version."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

SW_SOURCE = (Path(__file__).resolve().parents[2] / "pwa" / "sw.js").read_text(encoding="utf-8")


def test_chromium_finds_the_app_installable(persistent_context: BrowserContext, base_url: str):
    page = persistent_context.new_page()
    page.goto(base_url + "/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    cdp = persistent_context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest["errors"]


def test_a_new_version_waits_for_the_user_then_replaces_the_whole_shell(page: Page, live_server):
    page.goto("/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    old_caches = page.evaluate("caches.keys()")
    assert len(old_caches) == 1 and old_caches[0].startswith("civicgrid-shell-")

    # The server now has a new version of the app.
    newer = SW_SOURCE.replace('const VERSION = "', 'const VERSION = "test-next-', 1)
    live_server.requests.overrides["/sw.js"] = ("text/javascript", newer.encode())
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    expect(page.locator("#update")).to_be_visible(timeout=15_000)
    # Until the user says so, the old version keeps running: no half-old, half-new app.
    assert page.evaluate("caches.keys()").count(old_caches[0]) == 1

    with page.expect_navigation():
        page.click("#update-reload")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    caches = page.evaluate("caches.keys()")
    assert len(caches) == 1 and caches[0].startswith("civicgrid-shell-test-next-")
    expect(page.locator("#update")).to_be_hidden()
