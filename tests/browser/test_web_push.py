"""Web Push in the browser: the PWA subscribes this browser (the key from the server, the
subscription handed to it), and the service worker shows a pushed message as a
notification. Headless Chromium has no push service: PushManager.subscribe is stubbed with
keys made here, and the push is delivered to the worker through the DevTools protocol."""

from __future__ import annotations

import base64
import json
import time

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from backend.extensions import db
from backend.push import services
from backend.push.models import PushSubscription
from tests.push_receiver import Browser, b64url_decode

MESSAGE = {"title": "案件超期", "body": "案件 C-1 已超过处置时限。", "url": "/#/reports/x",
           "tag": "case_overdue:x"}


def _notifications(page: Page) -> list[dict]:
    return page.evaluate("""() => navigator.serviceWorker.ready
        .then((r) => r.getNotifications())
        .then((list) => list.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                          url: n.data && n.data.url})))""")


@pytest.mark.browser_context_args(permissions=["notifications"])
def test_a_push_is_shown_as_a_notification(page: Page, base_url, sign_in):
    page.goto("/")
    sign_in(page, "worker1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"] == f"{base_url}/"][:1]
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": f"{base_url}/", "registrationId": registration["registrationId"],
        "data": json.dumps(MESSAGE, ensure_ascii=False)})
    shown: list[dict] = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = _notifications(page)
    assert shown == [{"title": MESSAGE["title"], "body": MESSAGE["body"], "tag": MESSAGE["tag"],
                      "url": MESSAGE["url"]}]


@pytest.mark.browser_context_args(permissions=["notifications"])
def test_the_app_subscribes_this_browser(page: Page, live_server, sign_in, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "PUSH_ALLOWED_HOSTS", "127.0.0.1")
    subscription = Browser("/push/worker1").subscription("http://127.0.0.1:9")
    page.goto("/")
    sign_in(page, "worker1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    # What the stub was given, and the subscription it answers with (as a browser's).
    result = page.evaluate("""async (subscription) => {
        let given = null;
        PushManager.prototype.subscribe = async function (options) {
            given = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)));
            return { toJSON: () => subscription };
        };
        PushManager.prototype.getSubscription = async () => null;
        const { subscribeToPush } = await import("/app/push.js");
        return { outcome: await subscribeToPush(), given };
    }""", subscription)
    assert result["outcome"] == "subscribed"
    key = page.evaluate("fetch('/api/v1/push/key', {headers: {}}).then((r) => r.status)")
    assert key == 401  # the key is for the signed in; push.js asked with the session
    with live_server.app.app_context():
        rows = db.session.scalars(select(PushSubscription)).all()
        assert [(r.endpoint, r.p256dh) for r in rows] == [
            (subscription["endpoint"], subscription["keys"]["p256dh"])]
        server_key = services.public_key()
        db.session.remove()
    assert base64.b64decode(result["given"]) == b64url_decode(server_key)  # the server's key


STUB_PUSH_MANAGER = """
PushManager.prototype.getSubscription = async () => null;
PushManager.prototype.subscribe = async function () {
    return { toJSON: () => window.__testSubscription };
};
"""


@pytest.mark.browser_context_args(permissions=["notifications"])
def test_the_bells_first_open_subscribes_this_browser(page: Page, live_server, sign_in,
                                                       monkeypatch):
    monkeypatch.setitem(live_server.app.config, "PUSH_ALLOWED_HOSTS", "127.0.0.1")
    subscription = Browser("/push/street1").subscription("http://127.0.0.1:9")
    page.add_init_script(f"window.__testSubscription = {json.dumps(subscription)};"
                         + STUB_PUSH_MANAGER)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/")
    sign_in(page, "street1")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/push/subscriptions")) as posted:
        page.click("#notify-bell")
    assert posted.value.status == 201
    with live_server.app.app_context():
        rows = db.session.scalars(select(PushSubscription)).all()
        assert [r.endpoint for r in rows] == [subscription["endpoint"]]
        db.session.remove()
