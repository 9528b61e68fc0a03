"""The hall manager's console (大厅管理): manager1 lands on it, sees a supervision alert the
watcher raised, acknowledges it by name, is cued when a new one comes while the page is open,
and records what was done about a bad rating, which the citizen then reads on their ticket."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.common.time import utcnow
from backend.extensions import db
from backend.queue.models import (
    DONE,
    FOLLOWUP_OPEN,
    WAITING,
    WINDOW_PAUSED,
    Hall,
    HallAlert,
    Service,
    Ticket,
    TicketRating,
    Window,
)
from backend.queue.supervision import watch
from backend.queue.tickets import city_today


def _hall_and_service(code: str):
    hall = db.session.scalar(select(Hall))
    service = db.session.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == code))
    return hall, service


def _ticket(hall, service, holder: str, *, seq: int, status: str, minutes_ago: int, window=None):
    now = utcnow()
    user_id = db.session.scalar(select(User.id).where(User.username == holder))
    ticket = Ticket(id=uuid.uuid4(), hall_id=hall.id, service_id=service.id, user_id=user_id,
                    day=city_today(now), seq=seq, number=f"{service.code}{seq:03d}", status=status,
                    taken_at=now - timedelta(minutes=minutes_ago),
                    queued_at=now - timedelta(minutes=minutes_ago), recalls=0, transfers=0,
                    near_pushed=False, note="")
    if status == DONE:
        ticket.window_id = window.id
        ticket.called_at = ticket.first_called_at = now - timedelta(minutes=minutes_ago - 5)
        ticket.finished_at = now - timedelta(minutes=2)
    db.session.add(ticket)
    return ticket


def long_wait_and_bad_rating(live_server) -> dict:
    """A queue of D waiting 45 minutes (then watched), and citizen1's done ticket rated 1."""
    with live_server.app.app_context():
        hall, service = _hall_and_service("D")
        _ticket(hall, service, "citizen2", seq=901, status=WAITING, minutes_ago=45)
        window = db.session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == 4))
        done = _ticket(hall, service, "citizen1", seq=902, status=DONE, minutes_ago=30, window=window)
        db.session.flush()
        rating = TicketRating(ticket_id=done.id, hall_id=hall.id, user_id=done.user_id, score=1,
                              reasons=["attitude", "long_wait"], comment="窗口人员不耐烦",
                              followup_status=FOLLOWUP_OPEN, followup_action="")
        db.session.add(rating)
        db.session.commit()
        watch()
        found = {"hall_id": str(hall.id), "rating_id": str(rating.id), "ticket_id": str(done.id),
                 "alert_id": str(db.session.scalar(select(HallAlert.id).where(
                     HallAlert.kind == "long_wait", HallAlert.subject_id == str(service.id))))}
        db.session.remove()
    return found


def pause_window_3(live_server) -> None:
    """Window 3 (C) paused for 10 minutes with someone waiting for C, then watched."""
    with live_server.app.app_context():
        hall, service = _hall_and_service("C")
        window = db.session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == 3))
        window.status, window.status_since = WINDOW_PAUSED, utcnow() - timedelta(minutes=10)
        _ticket(hall, service, "citizen1", seq=903, status=WAITING, minutes_ago=3)
        db.session.commit()
        watch()
        db.session.remove()


@pytest.mark.desktop
def test_manager1_acknowledges_an_alert_and_records_a_followup(page: Page, sign_in, live_server):
    made = long_wait_and_bad_rating(live_server)
    page.goto("/")
    sign_in(page, "manager1")
    page.wait_for_url("**/#/console/hall")
    expect(page.locator("#hall-console h1")).to_contain_text("大厅管理")
    expect(page.locator("#to-display")).to_have_attribute("href", f"#/display/{made['hall_id']}")
    expect(page.locator("#to-hall-stats")).to_be_visible()
    # The demo's history may hold bad ratings of its own: counted from what is there.
    open_followups = page.locator("#hall-figures [data-key=open_followups] .digest-count")
    expect(open_followups).to_have_text(re.compile(r"^[1-9]\d*$"))
    before = int(open_followups.text_content())

    expect(page.locator("#alert-cue")).to_be_hidden()  # what was there on opening is not new

    # The alert, in words, with a note and the keyboard.
    alert = page.locator(f"#alert-list li[data-id='{made['alert_id']}']")
    expect(alert).to_contain_text("等候过久")
    expect(alert).to_contain_text("D ")
    note = alert.get_by_label("备注")
    note.fill("已加开 1 号窗口办理 D 类业务")
    note.press("Enter")
    done = page.locator(f"#acknowledged-list li[data-id='{made['alert_id']}']")
    expect(done).to_contain_text("大厅负责人 孙丽")
    expect(done).to_contain_text("已加开 1 号窗口办理 D 类业务")
    expect(page.locator(f"#alert-list li[data-id='{made['alert_id']}']")).to_have_count(0)

    # A new alert while the page is open: cued at once (the hall's events, or the 10 s poll).
    pause_window_3(live_server)
    cue = page.locator("#alert-cue")
    expect(cue).to_be_visible(timeout=15_000)
    expect(cue).to_contain_text("窗口暂停过久")
    expect(page.locator("#alert-list li[data-kind=paused_window]")).to_contain_text("3 号窗口")
    page.get_by_role("button", name="知道了").click()
    expect(cue).to_be_hidden()

    # The bad rating: who, where, what was said; what was done is recorded.
    item = page.locator(f"#followup-list li[data-id='{made['rating_id']}']")
    expect(item).to_contain_text("D902")
    expect(item).to_contain_text("态度不好")
    expect(item).to_contain_text("窗口人员不耐烦")
    expect(item).to_contain_text("4 号窗口")
    item.get_by_label("整改措施").fill("已约谈 4 号窗口人员，并电话向市民致歉。")
    item.get_by_role("button", name="记录整改").click()
    expect(page.locator(f"#followup-list li[data-id='{made['rating_id']}']")).to_have_count(0)
    expect(open_followups).to_have_text(str(before - 1))
    with live_server.app.app_context():
        rating = db.session.get(TicketRating, uuid.UUID(made["rating_id"]))
        assert rating.followup_status == "done"
        assert rating.followup_action == "已约谈 4 号窗口人员，并电话向市民致歉。"
        db.session.remove()


@pytest.mark.desktop
def test_an_admin_opens_the_halls_page_from_the_console(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "admin")
    page.click("#to-hall")
    expect(page.locator("#hall-console h1")).to_contain_text("临沂市政务服务中心")
    expect(page.locator("#hall-waiting tbody tr")).to_have_count(4)
