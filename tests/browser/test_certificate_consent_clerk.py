"""Use by consent (无证明城市) from the window clerk's console: clerk1 calls citizen1's number,
asks for their ID card from the console, the citizen approves through the API, and the
console shows the certificate verified (green) with every field; the request's state is
followed while it is pending."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.helpers import api

ID_CARD = "ID"  # the demo's resident ID card type


@pytest.fixture(autouse=True)
def no_script_errors(page: Page):
    """A script error on the page fails the test with its message, not a timeout later."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, errors


def valid_id_card(base_url: str, citizen: requests.Session) -> dict:
    """citizen1's valid ID card: the demo's, else one issued now (with an issuer and the
    type made first when the demo has none)."""
    mine = citizen.get(f"{base_url}/api/v1/certificates", timeout=10).json()["items"]
    card = next((c for c in mine if c["type"] == ID_CARD and c["status"] == "valid"), None)
    if card:
        return card
    admin = api(base_url, "admin")
    types = admin.get(f"{base_url}/api/v1/certificate-types", timeout=10).json()["items"]
    if not any(t["code"] == ID_CARD for t in types):
        issuer = admin.post(f"{base_url}/api/v1/certificate-issuers",
                            json={"code": "CSGA", "name": "测试公安局"}, timeout=10)
        assert issuer.status_code == 201, issuer.text
        made = admin.post(f"{base_url}/api/v1/certificate-types", json={
            "code": ID_CARD, "name": "居民身份证", "name_en": "Resident ID card", "issuer_id": issuer.json()["id"],
            "validity_days": 7300, "fields": [{"key": "sex", "label": "性别", "label_en": "Sex"},
                                              {"key": "address", "label": "住址", "label_en": "Address"}]},
            timeout=10)
        assert made.status_code == 201, made.text
        types = [made.json()]
    id_type = next(t for t in types if t["code"] == ID_CARD)
    issued = admin.post(f"{base_url}/api/v1/issued-certificates", json={
        "type": ID_CARD, "holder": "citizen1", "holder_name": "张三",
        "fields": {f["key"]: f"{f['label']}的值" for f in id_type["fields"]}}, timeout=10)
    assert issued.status_code == 201, issued.text
    return next(c for c in citizen.get(f"{base_url}/api/v1/certificates", timeout=10).json()["items"]
                if c["id"] == issued.json()["id"])


def take_number(base_url: str, citizen: requests.Session) -> dict:
    """A ticket for the first service the citizen holds none of, taken in the hall."""
    hall = requests.get(f"{base_url}/api/v1/halls", timeout=10).json()[0]
    for service in hall["services"]:
        taken = citizen.post(f"{base_url}/api/v1/halls/{hall['id']}/tickets", json={
            "service_id": service["id"], "lat": hall["lat"], "lon": hall["lon"]}, timeout=10)
        if taken.status_code == 201:
            return taken.json()
    raise AssertionError(f"citizen1 could take no number: {taken.text}")


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
def test_the_clerk_asks_for_the_id_card_and_sees_it_verified_once_the_citizen_approves(
        page: Page, sign_in, base_url: str):
    citizen = api(base_url, "citizen1")
    card = valid_id_card(base_url, citizen)
    page.goto("/")
    sign_in(page, "clerk1")
    expect(page.locator("#clerk-title")).to_contain_text("1 号窗口")
    # Nothing to ask for while no one is at the window.
    expect(page.locator("#cert-request")).to_have_count(0)
    ticket = take_number(base_url, citizen)
    call_until(page, ticket["number"])

    panel = page.locator("#cert-request")
    expect(panel).to_have_attribute("data-ticket", ticket["id"])
    page.click("#cert-request-open")
    expect(page.locator("#cert-request-type")).to_be_focused()
    page.click("#cert-request-send")
    expect(page.locator("#cert-request-error")).to_have_text("请选择证照类型。")
    page.locator("#cert-request-type").select_option(ID_CARD)
    page.click("#cert-request-purpose")
    page.keyboard.type("for a residence permit")  # F, N, R, T, X, P: letters, not shortcuts, here
    page.keyboard.press("Enter")
    state = page.locator("#cert-request-state")
    expect(state).to_have_attribute("data-status", "pending")
    expect(state).to_contain_text("等待同意")
    expect(page.locator("#cert-request-open")).to_be_disabled()
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "called")
    expect(page.locator("#clerk-current-number")).to_have_text(ticket["number"])

    # The citizen approves on their side (here, through the API).
    asked = citizen.get(f"{base_url}/api/v1/certificate-requests", timeout=10).json()["items"]
    request = next(r for r in asked if r["ticket_id"] == ticket["id"] and r["status"] == "pending")
    assert request["purpose"] == "for a residence permit" and request["type"] == ID_CARD
    approved = citizen.post(f"{base_url}/api/v1/certificate-requests/{request['id']}/approve",
                            json={"certificate_id": card["id"]}, timeout=10)
    assert approved.status_code == 200, approved.text

    # Within a beat or two of the console's polling: approved, green, every fact and field.
    expect(state).to_have_attribute("data-status", "approved", timeout=10_000)
    verdict = page.locator("#cert-request-verdict")
    expect(verdict).to_have_attribute("data-valid", "true")
    expect(verdict).to_contain_text("验证通过")
    facts = page.locator("#cert-request-certificate")
    expect(facts.locator('dd[data-key="holder"]')).to_have_text(card["holder_name"])
    expect(facts.locator('dd[data-key="type"]')).to_have_text(card["type_name"])
    expect(facts.locator('dd[data-key="number"]')).to_have_text(card["number"])
    expect(facts.locator('dd[data-key="issuer"]')).to_have_text(card["issuer_name"])
    assert card["fields"], "an ID card has fields"
    for field in card["fields"]:
        expect(facts.locator(f'dd[data-key="field:{field["key"]}"]')).to_have_text(field["value"])
    expect(page.locator("#cert-request-open")).to_have_text("再次请求")
    expect(page.locator("#cert-request-open")).to_be_enabled()

    # Done with the number: the panel goes with it.
    page.click("#clerk-finish")
    expect(page.locator("#clerk-current")).to_have_attribute("data-state", "free")
    expect(page.locator("#cert-request")).to_have_count(0)
