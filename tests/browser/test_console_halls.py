"""Setting up the hall in the console, and booking (预约) on the phone: the administrator adds
a window handling two services and binds a clerk to it (moving them from their window),
adds a day's booking slots, and a citizen books one from their home tile."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.common.time import city_zone, utcnow
from backend.extensions import db as _db
from backend.queue.models import Appointment, AppointmentSlot, Window


def test_an_admin_sets_up_a_window_and_slots_and_a_citizen_books(page: Page, desktop_context, sign_in,
                                                                 live_server):
    with live_server.app.app_context():
        # Three days ahead: the demo keeps slots of its own for the next two days.
        later = (utcnow().astimezone(city_zone()) + timedelta(days=3)).date().isoformat()
    console = desktop_context.new_page()
    console.goto("/")
    sign_in(console, "admin")
    console.click("#to-halls")
    windows = console.locator("#windows-table")
    expect(windows.locator("tbody tr")).to_have_count(4)
    expect(windows.locator('tr[data-number="1"] .window-clerk')).to_contain_text("clerk1")

    # A fifth window handling 不动产登记 and 企业开办, with clerk1 moved to it; by keyboard.
    expect(console.locator("#window-number")).to_have_value("5")
    console.fill("#window-label", "综合受理")
    console.check("#window-service-A")
    console.check("#window-service-B")
    clerk1 = console.locator('#window-clerk option[data-username="clerk1"]')
    expect(clerk1).to_contain_text("1 号窗口")  # the select says where they sit now
    console.select_option("#window-clerk", clerk1.get_attribute("value"))
    console.focus("#window-save")
    console.keyboard.press("Enter")
    fifth = windows.locator('tr[data-number="5"]')
    expect(fifth.locator(".window-services")).to_have_text("A 不动产登记、B 企业开办")
    expect(fifth.locator(".window-clerk")).to_contain_text("clerk1")
    expect(windows.locator('tr[data-number="1"] .window-clerk')).to_have_text("无人")
    with live_server.app.app_context():
        window = _db.session.scalar(select(Window).where(Window.number == 5))
        assert window.label == "综合受理" and sorted(s.code for s in window.services) == ["A", "B"]
        assert window.clerk_id is not None
        _db.session.remove()

    # Slots for 不动产登记 in three days: 09:00–10:00 in half hours, two places each.
    console.select_option("#slots-service", label="A 不动产登记")
    console.fill("#slots-day", later)
    console.fill("#slots-from", "09:00")
    console.fill("#slots-to", "10:00")
    console.fill("#slots-length", "30")
    console.fill("#slots-capacity", "2")
    console.click("#slots-add")
    expect(console.locator("#slots-status")).to_contain_text("已添加 2 个时段")
    expect(console.locator("#slots-table tbody tr")).to_have_count(2)
    expect(console.locator("#slots-table tbody tr").first).to_contain_text("09:00–09:30")

    # citizen1 books the first one from the home tile.
    sign_in(page, "citizen1")
    page.click("#tile-appointments")
    expect(page.locator("#appointment-service")).to_be_visible()
    page.select_option("#appointment-service", label="A 不动产登记")
    page.fill("#appointment-day", later)
    first = page.locator("#slot-list li").first
    expect(first).to_contain_text("09:00–09:30")
    expect(first).to_contain_text("余 2/2")
    first.get_by_role("button", name="预约 09:00–09:30").click()
    expect(first).to_contain_text("余 1/2")
    expect(first.locator("button")).to_have_text("已预约")
    expect(first.locator("button")).to_be_disabled()
    booking = page.locator("#appointment-list li").first
    expect(booking).to_have_attribute("data-status", "booked")
    expect(booking).to_contain_text("不动产登记")
    with live_server.app.app_context():
        slots = _db.session.scalars(select(AppointmentSlot).where(AppointmentSlot.capacity == 2)
                                    .order_by(AppointmentSlot.starts_at)).all()
        assert [s.booked for s in slots] == [1, 0]  # the two added here (the demo's have 4)
        assert _db.session.scalar(select(Appointment.status)) == "booked"
        _db.session.remove()

    # And cancels it: the place goes back.
    page.once("dialog", lambda dialog: dialog.accept())
    booking.get_by_role("button").click()
    expect(page.locator("#appointment-list li").first).to_have_attribute("data-status", "cancelled")
    expect(first).to_contain_text("余 2/2")
