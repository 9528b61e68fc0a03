"""The notification bell (通知): the overdue job notifies who acts next; street1's console
shows the unread count on the bell, an item opens its case and is read, and "全部已读"
clears what was shown but not what arrived since; department staff have the bell on their
cases; a grid worker whose case went past its deadline has it on the phone's home screen,
and offline it says so."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.incidents.models import Report
from backend.incidents.overdue import mark_overdue
from backend.notifications.models import Notification
from backend.notifications.services import notify
from tests.browser.helpers import wait_synced


def run_overdue_job(live_server) -> None:
    """The demo city already has cases past their deadline: the job notifies street1, dept1
    and the grid workers the cases went back to."""
    with live_server.app.app_context():
        assert mark_overdue()["notified"] > 0
        db.session.remove()


def make_worker1s_case_overdue(live_server) -> str:
    """The demo's case sent back to worker1 is still within its deadline: move the deadline
    an hour into the past, as if time had passed. Returns the case's id."""
    with live_server.app.app_context():
        case = db.session.scalars(select(Report).where(
            Report.status == "dispatched", Report.assignee_id == user_id(live_server, "worker1"))).first()
        case.deadline_at = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
        case_id = str(case.id)
        db.session.remove()
    return case_id


def user_id(live_server, username: str) -> uuid.UUID:
    with live_server.app.app_context():
        found = db.session.scalar(select(User.id).where(User.username == username))
        db.session.remove()
    return found


def unread_of(live_server, username: str) -> list[Notification]:
    with live_server.app.app_context():
        rows = db.session.scalars(select(Notification).where(
            Notification.user_id == user_id(live_server, username),
            Notification.read_at.is_(None))).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def notify_now(live_server, username: str) -> None:
    """A notification that arrives while the list is open (about a case of no consequence)."""
    with live_server.app.app_context():
        notify([user_id(live_server, username)], "case_overdue", uuid.uuid4(),
               {"code": "LATE-ARRIVAL", "deadline_at": "2026-01-05T01:00:00Z", "status": "registered"})
        db.session.commit()
        db.session.remove()


def expect_count(page: Page, n: int) -> None:
    bell = page.locator("#notify-bell")
    if n:
        expect(page.locator("#notify-count")).to_have_text(str(n) if n < 100 else "99+")
        expect(bell).to_have_attribute("aria-label", f"通知，{n} 条未读")
    else:
        expect(page.locator("#notify-count")).to_be_hidden()
        expect(bell).to_have_attribute("aria-label", "通知，没有未读")


@pytest.mark.desktop
def test_street1_opens_an_overdue_case_from_the_bell_and_marks_the_rest_read(
        page: Page, sign_in, live_server):
    run_overdue_job(live_server)
    unread = len(unread_of(live_server, "street1"))
    assert unread > 1
    page.goto("/")
    sign_in(page, "street1")
    expect(page.locator("#console")).to_be_visible()
    expect_count(page, unread)
    wait_synced(page)  # the first sync's redraw is over before the keyboard is used

    # The keyboard opens the list: unread first, each worded with its case's code.
    page.focus("#notify-bell")
    page.keyboard.press("Enter")
    expect(page.locator("#notify-bell")).to_have_attribute("aria-expanded", "true")
    first = page.locator("#notify-list .notify-item").first
    expect(first).to_have_attribute("data-unread", "true")
    notice_id = first.get_attribute("data-id")
    with live_server.app.app_context():
        notice = db.session.get(Notification, uuid.UUID(notice_id))
        subject, code, kind = str(notice.subject_id), notice.params["code"], notice.kind
        db.session.remove()
    # The whole case late, or one of its steps (e.g. waiting too long to be registered).
    if kind == "case_overdue":
        expect(first).to_contain_text(f"案件 {code} 已超期（时限")
    else:
        assert kind.startswith("step_overdue_"), kind
        expect(first).to_contain_text(re.compile(rf"案件 {code} 待.+已超时（环节时限"))

    first.click()
    expect(page).to_have_url(f"{live_server.url}/#/console/cases/{subject}")
    expect(page.locator("#case-title")).to_contain_text(code)
    expect_count(page, unread - 1)
    assert notice_id not in {str(n.id) for n in unread_of(live_server, "street1")}

    # 全部已读 marks what the list shows; one that arrives after it was drawn stays unread.
    page.click("#notify-bell")
    read = page.locator("#notify-list .notify-item[data-unread='false']")
    expect(read).to_have_count(1)
    expect(page.locator("#notify-read-all")).to_be_enabled()
    notify_now(live_server, "street1")
    page.click("#notify-read-all")
    expect(page.locator("#notify-status")).to_contain_text(f"已将 {unread - 1} 条通知标为已读")
    expect_count(page, 1)
    assert [n.params["code"] for n in unread_of(live_server, "street1")] == ["LATE-ARRIVAL"]
    page.keyboard.press("Escape")
    expect(page.locator("#notify-panel")).to_be_hidden()
    expect(page.locator("#notify-bell")).to_be_focused()


@pytest.mark.desktop
def test_department_staff_have_the_bell_on_their_cases(page: Page, sign_in, live_server):
    run_overdue_job(live_server)
    unread = len(unread_of(live_server, "dept1"))
    assert unread > 0
    page.goto("/")
    sign_in(page, "dept1")
    expect(page.locator("#cases-console")).to_be_visible()
    expect_count(page, unread)


def test_a_worker_opens_a_case_from_the_home_screen_and_offline_is_told_so(
        page: Page, context: BrowserContext, sign_in, live_server):
    subject = make_worker1s_case_overdue(live_server)
    run_overdue_job(live_server)
    assert [str(n.subject_id) for n in unread_of(live_server, "worker1")] == [subject]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    sign_in(page, "worker1")
    expect(page.locator("#home")).to_be_visible()
    expect_count(page, 1)
    box = page.locator("#notify-bell").bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48

    page.click("#notify-bell")
    page.locator("#notify-list .notify-item").first.click()
    expect(page).to_have_url(f"{live_server.url}/#/reports/{subject}")
    with live_server.app.app_context():
        code = db.session.get(Report, uuid.UUID(subject)).code
        db.session.remove()
    expect(page.locator("#report-code")).to_have_text(code)
    assert unread_of(live_server, "worker1") == []

    page.goto("/#/")
    expect_count(page, 0)
    context.set_offline(True)
    expect(page.locator("#notify-bell")).to_have_attribute("aria-label", "通知")
    page.click("#notify-bell")
    expect(page.locator("#notify-status")).to_contain_text("离线时无法查看通知")
    expect(page.locator("#notify-list .notify-item")).to_have_count(0)
    context.set_offline(False)
    expect(page.locator("#notify-list .notify-item[data-unread='false']")).to_have_count(1)
    expect(page.locator("#notify-read-all")).to_be_disabled()
    assert errors == []
