"""The citizen's phone in the service hall (一键取号、我的排号): taking a number inside the
fence, being told of the call within two seconds, rating the service, the ticket kept on
screen with no signal, and a take whose answer was lost on a slow link that still makes
one ticket. The clerk's side is driven through the API, as clerk1 at window 1."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.queue.models import Hall, Ticket
from tests.browser.helpers import DEMO_PASSWORD

# The demo hall's centre (backend/demo/services.py DEMO_HALL, fence 200 m).
AT_HALL = {"permissions": ["geolocation"], "geolocation": {"latitude": 35.0525, "longitude": 118.3405}}
# About 1.1 km north of it.
FAR_AWAY = {"latitude": 35.0625, "longitude": 118.3405}
HALL_LIVE = Path(__file__).resolve().parents[2] / "pwa" / "app" / "hall-live.js"
TICKET_URL = re.compile(r"#/tickets/([0-9a-f-]{36})$")


def citizens_tickets(live_server, username: str = "citizen1") -> list[Ticket]:
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        rows = db.session.scalars(select(Ticket).where(Ticket.user_id == user.id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def take_number(page: Page, code: str = "A") -> str:
    """Through the take screen; returns the new ticket's id once its page shows it."""
    page.goto("/#/tickets/new")
    page.click(f"#service-{code}")
    page.click("#take")
    page.wait_for_url(TICKET_URL, timeout=15_000)
    expect(page.locator("#ticket-number")).to_have_text(re.compile(rf"^{code}\d{{3}}$"))
    return TICKET_URL.search(page.url).group(1)


class Clerk:
    """clerk1 at window 1, over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        login = requests.post(f"{base_url}/api/v1/auth/login",
                              json={"username": "clerk1", "password": DEMO_PASSWORD}, timeout=10)
        login.raise_for_status()
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        mine = requests.get(f"{base_url}/api/v1/windows/mine", headers=self.headers, timeout=10)
        mine.raise_for_status()
        self.window = mine.json()

    def post(self, path: str) -> requests.Response:
        return requests.post(f"{self.base}{path}", json={}, headers=self.headers, timeout=10)

    def call_until(self, number: str) -> None:
        """Serve whoever comes before `number` (the demo hall has people waiting), then call it."""
        for _ in range(60):
            called = self.post(f"/api/v1/windows/{self.window['id']}/call")
            if called.status_code == 409 and called.json()["error"]["code"] == "window_busy":
                self.finish(called.json()["error"]["ticket_id"])
                continue
            assert called.status_code == 200, called.text
            if called.json()["number"] == number:
                return
            self.finish(called.json()["id"])
        raise AssertionError(f"{number} was never called at window 1")

    def finish(self, ticket_id: str) -> None:
        finished = self.post(f"/api/v1/tickets/{ticket_id}/finish")
        assert finished.status_code == 200, finished.text


def push_registration(page: Page, base_url: str):
    """The DevTools session and the app's service worker registration id, to push to it."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not [r for r in registrations if r["scopeURL"] == f"{base_url}/"] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"] == f"{base_url}/"][:1]
    return cdp, registration["registrationId"]


@pytest.mark.browser_context_args(**AT_HALL)
def test_a_citizen_takes_a_number_and_sees_it_with_their_place(page: Page, live_server, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    page.click("#tile-take_number")
    # One hall: already chosen; the services as big buttons with their letter.
    expect(page.locator("#take-hall")).to_contain_text("临沂市政务服务中心")
    expect(page.locator("#take")).to_be_disabled()
    # How many wait for each service, from the hall's board (the demo hall has people waiting).
    expect(page.locator("#service-A .service-waiting")).to_have_text(re.compile(r"^\d+ 人等候$"))
    page.click("#service-A")
    expect(page.locator("#service-A")).to_have_attribute("aria-pressed", "true")
    page.click("#take")
    page.wait_for_url(TICKET_URL, timeout=15_000)
    ticket_id = TICKET_URL.search(page.url).group(1)
    [ticket] = citizens_tickets(live_server)
    assert str(ticket.id) == ticket_id and ticket.status == "waiting"
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    assert ticket.number.startswith("A")
    expect(page.locator("#ticket-status")).to_have_text("排队中")
    expect(page.locator("#ticket-position")).to_have_text(re.compile(r"第 \d+ 位|下一位就是您"))
    expect(page.locator("#ticket-wait")).to_have_text(re.compile(r"分钟|小时|马上"))
    expect(page.locator("#ticket-hall")).to_have_text("临沂市政务服务中心")
    # The right moment to offer call alerts: just after taking the number.
    expect(page.locator("#push-offer")).to_be_visible()
    page.click("#ticket-back")
    expect(page.locator(f"#ticket-list [data-id='{ticket_id}']")).to_contain_text(ticket.number)


@pytest.mark.browser_context_args(permissions=["geolocation"], geolocation=FAR_AWAY)
def test_outside_the_fence_says_how_far_and_takes_no_number(page: Page, live_server, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    page.goto("/#/tickets/new")
    page.click("#service-B")
    with page.expect_response(lambda r: r.url.endswith("/tickets") and r.request.method == "POST") as answer:
        page.click("#take")
    assert answer.value.status == 403
    problem = page.locator("#take-problem")
    expect(problem).to_have_attribute("data-code", "out_of_fence")
    metres = answer.value.json()["error"]["distance_m"]
    assert 800 < metres < 1000
    expect(page.locator("#take-distance")).to_contain_text(f"约 {metres} 米")
    expect(problem).to_contain_text("200 米以内")
    assert citizens_tickets(live_server) == []
    # Walked in: the retry takes the number.
    page.context.set_geolocation(AT_HALL["geolocation"])
    page.click("#take-retry")
    page.wait_for_url(TICKET_URL, timeout=15_000)
    assert len(citizens_tickets(live_server)) == 1


@pytest.mark.browser_context_args(permissions=["geolocation", "notifications"],
                                  geolocation=AT_HALL["geolocation"])
def test_a_call_pushed_to_the_phone_shows_on_the_ticket_at_once_and_the_service_is_rated(
        page: Page, live_server, base_url, sign_in):
    # The hall's live stream is cut: the push (and the page's poll) must carry the call.
    page.route("**/api/v1/halls/*/events*", lambda route: route.abort())
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    ticket_id = take_number(page, "A")
    number = page.locator("#ticket-number").inner_text()
    clerk = Clerk(base_url)
    clerk.call_until(number)
    # What backend.queue.events.push_called sends, delivered as the push service would.
    message = {"title": f"请 {number} 到 1 号窗口", "body": f"{number} 请到 1 号窗口办理。",
               "url": f"/#/tickets/{ticket_id}", "tag": f"ticket:{ticket_id}", "kind": "ticket_called",
               "number": number, "window": 1, "ticket_id": ticket_id}
    cdp, registration = push_registration(page, base_url)
    started = time.monotonic()
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": f"{base_url}/", "registrationId": registration,
                                                   "data": json.dumps(message, ensure_ascii=False)})
    expect(page.locator("#call-banner")).to_be_visible(timeout=2_000)
    assert time.monotonic() - started < 2.5
    expect(page.locator("#call-window")).to_have_text("1")
    expect(page.locator("#call-banner")).to_contain_text("请到")
    expect(page.locator("#ticket-status")).to_have_text("已叫号")
    # The notification opens this ticket.
    shown = page.evaluate("""() => navigator.serviceWorker.ready.then((r) => r.getNotifications())
        .then((list) => list.map((n) => n.data && n.data.url))""")
    assert shown == [f"/#/tickets/{ticket_id}"]

    clerk.finish(ticket_id)
    expect(page.locator("#rating-form")).to_be_visible(timeout=10_000)
    expect(page.locator("#call-banner")).to_be_hidden()
    expect(page.locator("#star-5")).to_have_attribute("aria-label", "5 星")
    page.click("#star-5")
    page.click("#reason-efficient")
    page.fill("#rating-comment", "很快")
    with page.expect_response(lambda r: r.url.endswith("/rating")) as rated:
        page.click("#rating-send")
    assert rated.value.status == 201
    expect(page.locator("#rating-given")).to_have_attribute("data-score", "5")
    expect(page.locator("#rating-given")).to_contain_text("办事快")
    expect(page.locator("#rating-form")).to_have_count(0)


@pytest.mark.browser_context_args(**AT_HALL)
def test_the_hall_live_stream_shows_the_call_within_two_seconds(page: Page, live_server, base_url, sign_in):
    if not HALL_LIVE.is_file():
        pytest.skip("pwa/app/hall-live.js is not there yet")
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    take_number(page, "A")
    number = page.locator("#ticket-number").inner_text()
    page.wait_for_timeout(500)  # the stream is open
    Clerk(base_url).call_until(number)
    expect(page.locator("#call-window")).to_have_text("1", timeout=2_000)


@pytest.mark.browser_context_args(**AT_HALL)
def test_with_no_signal_the_ticket_stays_on_screen_as_last_read(page: Page, context: BrowserContext,
                                                                 live_server, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    take_number(page, "C")
    number = page.locator("#ticket-number").inner_text()
    expect(page.locator("#ticket-offline")).to_be_hidden()
    context.set_offline(True)
    label = page.locator("#ticket-offline")
    expect(label).to_be_visible()
    expect(label).to_have_text(re.compile(r"^离线 · \d{2}:\d{2} 更新$"))
    expect(page.locator("#ticket-number")).to_have_text(number)
    # Opened again with no signal at all: from the phone's own copy.
    assert page.reload().from_service_worker
    expect(page.locator("#ticket-number")).to_have_text(number, timeout=10_000)
    expect(label).to_be_visible()
    with page.expect_response(lambda r: "/api/v1/tickets/" in r.url):
        context.set_offline(False)
    expect(label).to_be_hidden()
    # Signing out takes the phone's copies with it.
    page.goto("/#/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#signout")
    expect(page.locator("#signin-form")).to_be_visible()
    kept = page.evaluate("""async () => {
      const db = await new Promise((ok, no) => {
        const open = indexedDB.open("civicgrid");
        open.onsuccess = () => ok(open.result); open.onerror = () => no(open.error);
      });
      const keys = await new Promise((ok) => {
        const request = db.transaction("meta").objectStore("meta").getAllKeys();
        request.onsuccess = () => ok(request.result);
      });
      return keys.map((key) => key[1]).filter((name) => String(name).startsWith("queue."));
    }""")
    assert kept == []


@pytest.mark.browser_context_args(**AT_HALL)
def test_a_take_whose_answer_is_lost_is_sent_again_and_makes_one_ticket(page: Page, live_server, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()  # signed in and home: free to move on
    sent: list[tuple[str, int]] = []

    def lose_the_first_answer(route):
        key = route.request.headers.get("idempotency-key", "")
        if not sent:
            answer = route.fetch()  # the take reached the server and made the ticket…
            sent.append((key, answer.status))
            route.abort("connectionreset")  # …but the phone never heard back
        else:
            answer = route.fetch()
            sent.append((key, answer.status))
            route.fulfill(response=answer)

    page.route("**/api/v1/halls/*/tickets", lose_the_first_answer)
    page.goto("/#/tickets/new")
    page.click("#service-D")
    page.click("#take")
    page.wait_for_url(TICKET_URL, timeout=20_000)
    [ticket] = citizens_tickets(live_server)
    assert [status for _, status in sent] == [201, 200]
    assert sent[0][0] == sent[1][0] and len(sent[0][0]) >= 8  # the same Idempotency-Key
    assert TICKET_URL.search(page.url).group(1) == str(ticket.id)
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    # The key is spent: the next take is a new one (refused, one open ticket per service).
    assert page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('civicgrid.queue.take.')).length") == 0
    uuid.UUID(sent[0][0])


@pytest.mark.browser_context_args(**AT_HALL)
def test_a_second_take_leads_to_the_number_held_which_can_be_cancelled(page: Page, live_server, sign_in):
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()
    ticket_id = take_number(page, "B")
    page.goto("/#/tickets/new")
    page.click("#service-B")
    page.click("#take")
    expect(page.locator("#take-problem")).to_have_attribute("data-code", "ticket_open")
    page.click("#take-open-ticket")
    page.wait_for_url(f"**/#/tickets/{ticket_id}")
    # Cancelling asks first, on the page.
    page.click("#ticket-cancel")
    page.click("#ticket-cancel-no")
    expect(page.locator("#ticket-status")).to_have_text("排队中")
    page.click("#ticket-cancel")
    page.click("#ticket-cancel-yes")
    expect(page.locator("#ticket-status")).to_have_text("已取消")
    expect(page.locator("#ticket-take-again")).to_be_visible()
    assert [t.status for t in citizens_tickets(live_server)] == ["cancelled"]


@pytest.mark.browser_context_args(**AT_HALL)
def test_a_closed_hall_says_when_numbers_are_taken_again(page: Page, live_server, sign_in):
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    with live_server.app.app_context():
        hall = db.session.scalar(select(Hall))
        hall.opening_hours = {str(tomorrow.isoweekday()): [["08:30", "12:00"]]}
        db.session.commit()
        db.session.remove()
    page.goto("/")
    sign_in(page, "citizen1")
    expect(page.locator("#home")).to_be_visible()
    page.goto("/#/tickets/new")
    expect(page.locator("#take-hall-closed")).to_have_text("休息中")
    page.click("#service-A")
    page.click("#take")
    problem = page.locator("#take-problem")
    expect(problem).to_have_attribute("data-code", "hall_closed")
    expect(problem).to_contain_text(f"{tomorrow.month}月{tomorrow.day}日")
    expect(problem).to_contain_text("08:30 开始取号")
    assert citizens_tickets(live_server) == []
