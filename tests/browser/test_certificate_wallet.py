"""The citizen's certificate wallet (电子证照) on a phone: the cards with their status in
words, a certificate's QR that a scanner reads (version ≤ 15), both still there with no
signal; and use by consent (无证明城市): a clerk's request shows on the citizen's ticket, and
the citizen shares their ID card with it. The clerk's side is driven through the API, as
clerk1 at window 1 of the demo hall."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import api

# The demo hall's centre (backend/demo/services.py DEMO_HALL, fence 200 m).
AT_HALL = {"permissions": ["geolocation"], "geolocation": {"latitude": 35.0525, "longitude": 118.3405}}
TICKET_URL = re.compile(r"#/tickets/([0-9a-f-]{36})$")
REQUEST_URL = re.compile(r"#/certificate-requests/([0-9a-f-]{36})$")
JSQR = Path(__file__).resolve().parents[2] / "pwa" / "lib" / "jsqr-1.4.0.js"
ID_CARD = "ID"  # the demo's resident ID card type

# Reads the QR drawn on the page as a scanner would (jsQR over the canvas's pixels).
DECODE = """() => {
  const canvas = document.getElementById("cert-qr");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(pixels.data, canvas.width, canvas.height);
  return found && { text: found.data, version: found.version, drawn: Number(canvas.dataset.version) };
}"""

# The names of the wallet's rows in the app's IndexedDB meta store.
KEPT_KEYS = """async () => {
  const db = await new Promise((ok, no) => {
    const open = indexedDB.open("civicgrid");
    open.onsuccess = () => ok(open.result); open.onerror = () => no(open.error);
  });
  const keys = await new Promise((ok) => {
    const request = db.transaction("meta").objectStore("meta").getAllKeys();
    request.onsuccess = () => ok(request.result);
  });
  return keys.map((key) => key[1]).filter((name) => String(name).startsWith("certificates."));
}"""


def read_qr(page: Page) -> dict:
    if not page.evaluate("typeof jsQR === 'function'"):
        page.add_script_tag(content=JSQR.read_text(encoding="utf-8"))
    decoded = page.evaluate(DECODE)
    assert decoded, "the QR on the page does not scan"
    return decoded


def call_until(clerk: requests.Session, base_url: str, number: str) -> None:
    """Serve whoever comes before `number` at clerk1's window, then call it."""
    window = clerk.get(f"{base_url}/api/v1/windows/mine", timeout=10).json()
    for _ in range(60):
        called = clerk.post(f"{base_url}/api/v1/windows/{window['id']}/call", json={}, timeout=10)
        if called.status_code == 409 and called.json()["error"]["code"] == "window_busy":
            busy = called.json()["error"]["ticket_id"]
            assert clerk.post(f"{base_url}/api/v1/tickets/{busy}/finish", json={}, timeout=10).ok
            continue
        assert called.status_code == 200, called.text
        if called.json()["number"] == number:
            return
        assert clerk.post(f"{base_url}/api/v1/tickets/{called.json()['id']}/finish", json={}, timeout=10).ok
    raise AssertionError(f"{number} was never called at window 1")


def test_the_wallet_and_a_qr_show_with_no_signal_and_a_revoked_card_is_marked(
        page: Page, context: BrowserContext, base_url: str, sign_in):
    citizen = api(base_url, "citizen1")
    mine = citizen.get(f"{base_url}/api/v1/certificates", timeout=10).json()["items"]
    if not any(c["status"] == "revoked" for c in mine):
        # The issuer revokes one (the demo may give citizen1 none of their own).
        other = next(c for c in mine if c["status"] == "valid" and c["type"] != ID_CARD)
        revoked = api(base_url, "admin").post(f"{base_url}/api/v1/issued-certificates/{other['id']}/status",
                                              json={"status": "revoked", "reason": "测试吊销"}, timeout=10)
        assert revoked.ok, revoked.text
        mine = citizen.get(f"{base_url}/api/v1/certificates", timeout=10).json()["items"]
    by_status = {c["status"]: c for c in mine}
    assert {"valid", "revoked", "expired"} <= set(by_status), [c["status"] for c in mine]
    valid, revoked = by_status["valid"], by_status["revoked"]

    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    page.click("#tile-certificates")
    cards = page.locator("#certificate-list .cert-card")
    expect(cards).to_have_count(len(mine))
    expect(page.locator("#certificates-offline")).to_have_count(0)
    card = page.locator(f"#cert-{valid['id']}")
    expect(card).to_contain_text(valid["type_name"])
    expect(card).to_contain_text(valid["holder_name"])
    expect(card.locator(".cert-status")).to_have_text("有效")
    number = card.locator(".cert-number").inner_text()
    assert number != valid["number"] and number[:4] == valid["number"][:4] and "****" in number
    # Revoked and expired in words, not colour alone.
    expect(page.locator(f"#cert-{revoked['id']}")).to_have_attribute("data-status", "revoked")
    expect(page.locator(f"#cert-{revoked['id']} .cert-status")).to_have_text("已吊销")
    expect(page.locator(f"#cert-{by_status['expired']['id']} .cert-status")).to_have_text("已过期")

    card.click()
    expect(page.locator("#cert-qr")).to_be_visible()
    decoded = read_qr(page)
    assert decoded["text"] == valid["qr"] and decoded["text"].startswith("CG1:")
    assert decoded["version"] <= 15 and decoded["version"] == decoded["drawn"]
    # As wide as the phone: the code fills the screen's width.
    assert page.locator("#cert-qr").bounding_box()["width"] >= 380
    expect(page.locator("#cert-brightness")).to_be_visible()

    # No signal at all, the app opened again: the wallet from the phone's own copy.
    context.set_offline(True)
    page.goto("/#/certificates")
    assert page.reload().from_service_worker
    expect(cards).to_have_count(len(mine), timeout=10_000)
    expect(page.locator("#certificates-offline")).to_have_text(re.compile(r"^离线 · \d{2}:\d{2} 更新$"))
    expect(page.locator(f"#cert-{revoked['id']} .cert-status")).to_have_text("已吊销")
    page.click(f"#cert-{valid['id']}")
    expect(page.locator("#cert-qr")).to_be_visible()
    assert read_qr(page)["text"] == valid["qr"]
    expect(page.locator("#cert-invalid")).to_have_count(0)

    # The revoked one: its QR greyed under a banner that says so.
    page.goto(f"/#/certificates/{revoked['id']}")
    expect(page.locator("#cert-invalid")).to_contain_text("吊销")
    expect(page.locator("#cert-qr-frame")).to_have_class(re.compile(r"\bdimmed\b"))
    expect(page.locator("#cert-status")).to_have_text("已吊销")
    context.set_offline(False)

    # Signing out takes the phone's copy (and its QR codes) with it.
    assert page.evaluate(KEPT_KEYS) == ["certificates.list"]
    page.goto("/#/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#signout")
    expect(page.locator("#signin-form")).to_be_visible()
    assert page.evaluate(KEPT_KEYS) == []


@pytest.mark.browser_context_args(**AT_HALL)
def test_a_clerks_request_shows_on_the_ticket_and_the_citizen_shares_their_id_card(
        page: Page, base_url: str, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()
    page.goto("/#/tickets/new")
    page.click("#service-A")
    page.click("#take")
    page.wait_for_url(TICKET_URL, timeout=15_000)
    ticket_id = TICKET_URL.search(page.url).group(1)
    number = page.locator("#ticket-number").inner_text()

    clerk = api(base_url, "clerk1")
    call_until(clerk, base_url, number)
    asked = clerk.post(f"{base_url}/api/v1/tickets/{ticket_id}/certificate-requests",
                       json={"type": ID_CARD, "purpose": "办理居住证"}, timeout=10)
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]

    # The ticket page reads the requests whenever it reads the ticket (no push granted: often).
    link = page.locator(f"#cert-request-{request_id}")
    expect(link).to_be_visible(timeout=15_000)
    link.click()
    page.wait_for_url(REQUEST_URL)
    expect(page.locator("#cert-request-status")).to_have_text("等待您答复")
    expect(page.locator("#cert-request-purpose")).to_have_text("办理居住证")
    expect(page.locator("#cert-request-window")).to_have_text("1 号窗口")
    expect(page.locator("#cert-request-ticket")).to_have_text(number)
    choice = page.locator("#cert-request-choice input[type=radio]:not([disabled])").first
    choice.check()
    certificate_id = choice.get_attribute("value")
    page.click("#cert-request-approve")
    expect(page.locator("#cert-request-status")).to_have_text("已同意出示")
    expect(page.locator("#cert-request-verification")).to_have_attribute("data-valid", "true")

    answer = clerk.get(f"{base_url}/api/v1/certificate-requests/{request_id}", timeout=10).json()
    assert answer["status"] == "approved"
    assert answer["certificate"]["id"] == certificate_id and answer["certificate"]["type"] == ID_CARD
    assert answer["certificate"]["verification"] == {"valid": True, "reason": "valid"}

    # The use is in the certificate's log: shared by consent, at the window.
    page.goto(f"/#/certificates/{certificate_id}")
    expect(page.locator("#cert-use-list .cert-use[data-channel=consent]").first).to_contain_text("1号窗口")
