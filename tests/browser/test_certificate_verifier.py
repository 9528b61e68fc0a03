"""电子证照核验 on an official's phone: after one visit online the verifier judges a picture
of a citizen's certificate QR with no signal (green with the holder's name, red for a
revoked one or a tampered text), and a revocation made while it is offline reaches it only
once it refreshes its lists online. The certificates come from the demo city through the
API; the QR pictures are drawn in the page with the vendored QR generator, and decoded by
the vendored jsQR (Debian's Chromium has no BarcodeDetector)."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, expect

from backend.certificates import base45
from tests.browser.helpers import api

QR_GENERATOR = "/lib/qrcode-generator-2.0.4.js"


def certificates(base_url: str, username: str) -> list[dict]:
    return api(base_url, username).get(f"{base_url}/api/v1/certificates", timeout=10).json()["items"]


def revoke(base_url: str, certificate_id: str, body: dict) -> None:
    answer = api(base_url, "admin").post(f"{base_url}/api/v1/issued-certificates/{certificate_id}/status",
                                         json=body, timeout=10)
    assert answer.ok, answer.text


def one_with_status(base_url: str, status: str) -> dict:
    found = [c for who in ("citizen1", "citizen2") for c in certificates(base_url, who)
             if c["status"] == status]
    assert found, f"the demo has no {status} certificate for citizen1 or citizen2"
    return found[0]


def qr_picture(page: Page, text: str) -> dict:
    """A GIF of the QR code of `text` (4 px a module, a 4-module quiet zone), for the file
    input. Drawn in the page while it is online."""
    data_url = page.evaluate("""async ([text, generator]) => {
        const { default: qrcode } = await import(generator);
        const code = qrcode(0, "M");
        code.addData(text, "Alphanumeric");
        code.make();
        return code.createDataURL(4, 16);
    }""", [text, QR_GENERATOR])
    header, payload = data_url.split(",", 1)
    return {"name": "qr.gif", "mimeType": header[5:].split(";")[0], "buffer": base64.b64decode(payload)}


def qr_modules(page: Page, text: str) -> list[list[bool]]:
    """The QR code of `text` as rows of dark (True) and light modules."""
    return page.evaluate("""async ([text, generator]) => {
        const { default: qrcode } = await import(generator);
        const code = qrcode(0, "M");
        code.addData(text, "Alphanumeric");
        code.make();
        const n = code.getModuleCount();
        return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => code.isDark(r, c)));
    }""", [text, QR_GENERATOR])


def camera_film(modules: list[list[bool]], path: Path, width: int = 640, height: int = 480) -> Path:
    """A Y4M video of the QR code held still in front of the camera, for Chromium's fake
    capture device: black modules on white, a 4-module quiet zone, centred."""
    size = len(modules) + 8
    px = (height - 20) // size
    left, top = (width - size * px) // 2, (height - size * px) // 2
    luma = bytearray(b"\xff" * (width * height))
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                for y in range(top + (r + 4) * px, top + (r + 5) * px):
                    start = y * width + left + (c + 4) * px
                    luma[start:start + px] = b"\x00" * px
    chroma = b"\x80" * (width * height // 2)  # U and V planes of 4:2:0, grey
    frame = b"FRAME\n" + bytes(luma) + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 3)
    return path


def tampered(text: str, holder_name: str) -> str:
    """The same QR with the holder's name changed in the signed payload: still a
    well-formed COSE_Sign1, so the verdict is the signature's."""
    cose = zlib.decompress(base45.decode(text[len("CG1:"):]))
    name = holder_name.encode()
    other = (holder_name[:-1] + ("王" if holder_name[-1] != "王" else "李")).encode()
    assert name in cose and len(other) == len(name)
    return "CG1:" + base45.encode(zlib.compress(cose.replace(name, other), 9))


def open_verifier_online(page: Page) -> None:
    """The verifier's first visit: the shell installed and the keys and lists kept."""
    page.goto("/#/verify")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    expect(page.locator("#verify-freshness")).to_have_attribute("data-state", "fresh", timeout=15_000)


def go_offline(page: Page, context: BrowserContext) -> None:
    context.set_offline(True)
    page.reload()
    expect(page.locator("#verify-freshness")).to_have_attribute("data-state", "fresh", timeout=15_000)
    expect(page.locator("#verify-refresh")).to_be_hidden()


def check_picture(page: Page, picture: dict) -> None:
    """Choose a picture; returns once its verdict (not the one before it) is shown."""
    expect(page.locator("#verify-result-box")).to_be_attached(timeout=15_000)  # after a reload
    page.evaluate("document.getElementById('verify-result-box').replaceChildren()")
    page.set_input_files("#verify-file", files=[picture])
    expect(page.locator("#verify-result")).to_be_visible(timeout=15_000)


def test_offline_verifier_shows_a_pictured_certificate_green_and_a_revoked_one_red(
        page: Page, context: BrowserContext, base_url: str):
    good = one_with_status(base_url, "valid")
    revoked = one_with_status(base_url, "revoked")
    open_verifier_online(page)
    good_picture, revoked_picture = qr_picture(page, good["qr"]), qr_picture(page, revoked["qr"])
    go_offline(page, context)

    check_picture(page, good_picture)
    result = page.locator("#verify-result")
    expect(result).to_have_attribute("data-valid", "true")
    expect(result).to_have_class("verify-result ok")
    expect(page.locator("#verify-verdict")).to_contain_text("有效")
    expect(page.locator("#verify-holder")).to_have_text(good["holder_name"])
    expect(page.locator("#verify-number")).to_have_text(good["number"])
    expect(page.locator("#verify-issuer")).to_have_text(good["issuer_name"])

    check_picture(page, revoked_picture)
    expect(result).to_have_attribute("data-valid", "false")
    expect(result).to_have_attribute("data-reason", "revoked")
    expect(result).to_have_class("verify-result bad")
    expect(page.locator("#verify-reason")).to_have_text("证照已被吊销。")


def test_a_tampered_text_pasted_offline_is_red_and_shows_no_holder(
        page: Page, context: BrowserContext, base_url: str):
    good = one_with_status(base_url, "valid")
    open_verifier_online(page)
    go_offline(page, context)
    page.click(".verify-paste summary")
    page.fill("#verify-text", tampered(good["qr"], good["holder_name"]))
    page.click("#verify-check")
    result = page.locator("#verify-result")
    expect(result).to_have_attribute("data-valid", "false")
    expect(result).to_have_attribute("data-reason", "bad_signature")
    expect(page.locator("#verify-holder")).to_have_count(0)

    page.fill("#verify-text", good["qr"])  # the genuine text, pasted, is green
    page.click("#verify-check")
    expect(result).to_have_attribute("data-valid", "true")


def test_a_revocation_reaches_an_offline_verifier_once_it_refreshes_online(
        page: Page, context: BrowserContext, base_url: str):
    good = one_with_status(base_url, "valid")
    open_verifier_online(page)
    picture = qr_picture(page, good["qr"])
    go_offline(page, context)
    check_picture(page, picture)
    expect(page.locator("#verify-result")).to_have_attribute("data-valid", "true")

    revoke(base_url, good["id"], {"status": "revoked", "reason": "测试：证照遗失"})
    check_picture(page, picture)  # still the old list: the phone cannot know yet
    expect(page.locator("#verify-result")).to_have_attribute("data-valid", "true")

    context.set_offline(False)
    page.click("#verify-refresh")  # shown again once the browser says it is online
    expect(page.locator("#verify-refresh-status")).to_have_text("名单已更新。", timeout=15_000)
    context.set_offline(True)
    page.reload()
    check_picture(page, picture)
    expect(page.locator("#verify-result")).to_have_attribute("data-reason", "revoked")


def test_the_camera_reads_a_qr_held_up_to_it(
        page: Page, base_url: str, browser_type: BrowserType, browser_type_launch_args: dict,
        browser_context_args: dict, tmp_path: Path):
    good = one_with_status(base_url, "valid")
    page.goto("/#/verify")
    film = camera_film(qr_modules(page, good["qr"]), tmp_path / "qr.y4m")
    # A Chromium of its own whose camera films the QR code (its fake capture device).
    browser = browser_type.launch(**browser_type_launch_args, args=[
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={film}"])
    try:
        context = browser.new_context(**{**browser_context_args, "base_url": base_url, "permissions": ["camera"]})
        phone = context.new_page()
        phone.goto("/#/verify")
        expect(phone.locator("#verify-freshness")).to_have_attribute("data-state", "fresh", timeout=15_000)
        phone.click("#verify-scan")
        expect(phone.locator("#verify-result")).to_have_attribute("data-valid", "true", timeout=20_000)
        expect(phone.locator("#verify-holder")).to_have_text(good["holder_name"])
        expect(phone.locator("#verify-camera")).to_be_hidden()  # the camera is off once it has read one
        context.close()
    finally:
        browser.close()


def test_the_verifier_and_its_decoder_run_under_the_content_security_policy(
        page: Page, base_url: str, browser: Browser, browser_context_args: dict):
    good = one_with_status(base_url, "valid")
    page.goto("/#/verify")
    picture = qr_picture(page, good["qr"])
    # The other tests bypass the policy (Playwright's waits evaluate strings); not this one.
    context = browser.new_context(**{**browser_context_args, "base_url": base_url, "bypass_csp": False})
    context.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
          `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
    """)
    phone = context.new_page()
    phone.goto("/#/verify")
    expect(phone.locator("#verify-freshness")).to_have_attribute("data-state", "fresh", timeout=15_000)
    phone.set_input_files("#verify-file", files=[picture])
    expect(phone.locator("#verify-result")).to_have_attribute("data-valid", "true", timeout=15_000)
    assert phone.evaluate("typeof window.jsQR") == "function"
    assert phone.evaluate("window.__cspViolations") == []
    context.close()


def test_a_verifier_never_online_says_so_and_cannot_vouch_for_anything(
        page: Page, context: BrowserContext, base_url: str):
    good = one_with_status(base_url, "valid")
    # The context's routes also catch what the service worker fetches.
    context.route("**/.well-known/jwks.json", lambda route: route.abort())
    context.route("**/api/v1/certificates/status-lists", lambda route: route.abort())
    page.goto("/#/verify")
    expect(page.locator("#verify-freshness")).to_have_attribute("data-state", "never", timeout=15_000)
    expect(page.locator("#verify-refresh-status")).to_have_text("更新失败，仍使用本机已有的名单。")
    page.click(".verify-paste summary")
    page.fill("#verify-text", good["qr"])
    page.click("#verify-check")
    expect(page.locator("#verify-result")).to_have_attribute("data-reason", "unknown_key")


def test_an_official_finds_the_verifier_on_their_home_screen(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "official1")
    page.click("#tile-verify")
    expect(page.locator("#verify h1")).to_have_text("电子证照核验")


def test_a_screenshot_of_the_wallets_qr_taken_offline_is_judged_offline_by_another_phone(
        page: Page, context: BrowserContext, browser: Browser, browser_context_args: dict,
        base_url: str, sign_in):
    """The citizen's phone, offline, shows the QR; a screenshot of it goes to the official's
    phone, offline too: green with the holder's name; once the issuer revokes it and the
    official's phone has refreshed its lists, the same picture is red."""
    card = next(c for c in certificates(base_url, "citizen1") if c["type"] == "SSC")
    assert card["status"] == "valid"
    page.goto("/")
    sign_in(page, "citizen1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    page.goto("/#/certificates")
    expect(page.locator(f"#cert-{card['id']}")).to_be_visible(timeout=15_000)
    context.set_offline(True)
    page.goto(f"/#/certificates/{card['id']}")
    page.reload()
    expect(page.locator("#cert-qr")).to_be_visible(timeout=15_000)
    screenshot = {"name": "wallet.png", "mimeType": "image/png",
                  "buffer": page.locator("#cert-qr").screenshot()}

    official_context = browser.new_context(**browser_context_args)
    try:
        official = official_context.new_page()
        open_verifier_online(official)
        go_offline(official, official_context)
        check_picture(official, screenshot)
        expect(official.locator("#verify-result")).to_have_attribute("data-valid", "true")
        expect(official.locator("#verify-holder")).to_have_text(card["holder_name"])

        revoke(base_url, card["id"], {"status": "revoked", "reason": "测试：持卡人注销"})
        official_context.set_offline(False)
        official.click("#verify-refresh")
        expect(official.locator("#verify-refresh-status")).to_have_text("名单已更新。", timeout=15_000)
        official_context.set_offline(True)
        official.reload()
        check_picture(official, screenshot)
        expect(official.locator("#verify-result")).to_have_attribute("data-reason", "revoked")
    finally:
        official_context.close()
