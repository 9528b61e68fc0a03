"""The console's cases (案件办理): a street's command centre registers a grid worker's report
and dispatches it to a department; the department's clerk lands on their list, handles it
with a note and an "after" photo; the street verifies and closes, each step on the
timeline, and a stale page's refusal is said by its form. The list filters and keeps its
filters on "back"; the conflict list restores and accepts, and says a refusal by the item."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import DEMO_PASSWORD, stored_case, wait_synced
from tests.sync_client import BASE_TIME, Phone

# Inside 南坛社区第一网格 (兰山街道), worker1's own grid in the demo city.
WORKER1_POINT = (35.0575, 118.335)

MARKUP_DESCRIPTION = "人行道塌陷<img src=x onerror=window.__xss=1>"

ZH_ERRORS = {
    "note_required": "请填写说明：这项操作需要写明原因或处置情况。",
    "dispatch_target_required": "请选择派遣到的部门或网格员（二选一）。",
    "invalid_transition": "当前状态下不能进行这项操作。",
    "already_resolved": "这条冲突已经被处理过了。",
}


def report_fields(description: str, reported_at: datetime | None = None) -> dict:
    lat, lon = WORKER1_POINT
    when = reported_at or datetime.now(UTC)
    return {"category": "road.pothole", "description": description, "lat": lat, "lon": lon,
            "reported_at": when.isoformat().replace("+00:00", "Z")}


def report_by_worker1(live_server, description: str, reported_at: datetime | None = None) -> tuple[str, str]:
    """A case reported by worker1 through sync, as their phone sends it: its id and code."""
    phone = Phone(live_server.app.test_client(), "worker1", DEMO_PASSWORD)
    rid = phone.create("reports", report_fields(description, reported_at))
    [result] = phone.push()["results"]
    assert result["status"] == "applied", result
    return rid, stored_case(live_server, rid).code


def jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (40, 120, 200)).save(buffer, "JPEG", quality=85)
    return {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def act(page: Page, action: str, *, note: str = "", department: str = "") -> None:
    page.click(f"#case-do-{action}")
    form = page.locator(f"#case-action-form[data-action='{action}']")
    expect(form).to_be_visible()
    if department:
        page.select_option("#case-target", label=department)
    if note:
        page.fill("#case-note", note)
    page.click("#case-action-submit")


@pytest.mark.desktop
def test_a_case_goes_round_the_loop_from_the_street_to_a_department_and_back(
        page: Page, desktop_context: BrowserContext, sign_in, live_server):
    rid, code = report_by_worker1(live_server, MARKUP_DESCRIPTION)

    # street1 finds it by its code in their list and opens it.
    page.goto("/")
    sign_in(page, "street1")
    page.click("#to-cases")
    page.fill("#cases-q", code)
    page.press("#cases-q", "Enter")
    row = page.locator("#cases-table tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已上报")
    row.locator("a").click()
    expect(page.locator("#case-description")).to_have_text(MARKUP_DESCRIPTION)  # as text
    expect(page.locator("#case-actions button")).to_have_text(["立案", "作废"])

    act(page, "register")
    expect(page.locator("#case-status")).to_have_text("已立案")
    # Dispatch with nothing chosen: said beside the form, nothing sent.
    act(page, "dispatch")
    expect(page.locator("#case-action-error")).to_have_text(ZH_ERRORS["dispatch_target_required"])
    page.select_option("#case-target", label="城管局")
    page.fill("#case-note", "请尽快修复")
    page.click("#case-action-submit")
    expect(page.locator("#case-status")).to_have_text("已派遣")
    expect(page.locator("#case-holder")).to_have_text("城管局")

    # dept1's home is their list; the console's other pages are not theirs.
    clerk = desktop_context.new_page()
    clerk.goto("/")
    sign_in(clerk, "dept1")
    expect(clerk.locator("#cases-table")).to_be_visible()
    assert clerk.url.endswith("#/console/cases")
    expect(clerk.locator("#cases-department, #cases-to-console")).to_have_count(0)
    clerk.goto("/#/console")
    expect(clerk.locator("#cases-table")).to_be_visible()
    expect(clerk.locator("#to-attendance, #to-tracks, #to-posts")).to_have_count(0)
    clerk.locator("#cases-table tbody tr", has_text=code).locator("a").click()
    expect(clerk.locator("#case-actions button")).to_have_text(["处置"])
    # Meanwhile street1 opens 派遣 again (to send it elsewhere), and leaves the form open.
    page.click("#case-do-dispatch")
    expect(page.locator("#case-action-form[data-action='dispatch']")).to_be_visible()
    act(clerk, "handle")
    expect(clerk.locator("#case-action-error")).to_have_text(ZH_ERRORS["note_required"])
    expect(clerk.locator("#case-note")).to_be_focused()
    clerk.fill("#case-note", "已修补路面")
    clerk.set_input_files("#case-photos", files=[jpeg()])
    expect(clerk.locator("#case-photo-list img")).to_have_count(1, timeout=10_000)
    clerk.click("#case-action-submit")
    expect(clerk.locator("#case-status")).to_have_text("已处置")
    expect(clerk.locator("#case-photos-after img")).to_have_count(1)
    expect(clerk.locator("#case-no-actions")).to_be_visible()
    assert len(stored_case(live_server, rid).after_photos) == 1

    # street1's open form is stale: the live note says the case changed (the form is kept),
    # and sending it anyway is refused by the server, beside the form.
    expect(page.locator("#case-changed")).to_be_visible()
    page.select_option("#case-target", label="住建局")
    page.click("#case-action-submit")
    error = page.locator("#case-action-error")
    expect(error).to_contain_text(ZH_ERRORS["invalid_transition"])
    expect(error).to_contain_text("案件当前为「已处置」")
    page.click("#case-reload")
    expect(page.locator("#case-actions button")).to_have_text(["核查通过", "核查退回"])
    act(page, "verify")
    expect(page.locator("#case-status")).to_have_text("已核查")
    act(page, "close", note="群众满意")
    expect(page.locator("#case-status")).to_have_text("已结案")
    expect(page.locator("#case-actions button")).to_have_text(["重新办理"])

    timeline = page.locator("#case-timeline > li")
    expect(timeline).to_have_count(7)
    assert [timeline.nth(i).get_attribute("data-action") for i in range(2, 7)] == [
        "register", "dispatch", "handle", "verify", "close"]
    expect(timeline.nth(0)).to_contain_text("网格员上报")
    expect(timeline.nth(3)).to_contain_text("兰山街道指挥分中心 · 指挥中心")
    expect(timeline.nth(3)).to_contain_text("请尽快修复")
    expect(timeline.nth(4)).to_contain_text("城管局 赵磊 · 承办方")
    expect(timeline.nth(4)).to_contain_text("已修补路面")
    expect(timeline.nth(4).locator(".photo-list li")).to_have_count(1)
    expect(timeline.nth(6)).to_contain_text("群众满意")
    assert stored_case(live_server, rid).status == "closed"
    assert page.evaluate("window.__xss") is None and clerk.evaluate("window.__xss") is None


@pytest.mark.desktop
def test_the_list_filters_marks_overdue_cases_and_keeps_its_filters_on_back(page: Page, sign_in, live_server):
    _, fresh_code = report_by_worker1(live_server, "刚刚上报的")
    # A month back: past any demo category's limit in working hours.
    _, late_code = report_by_worker1(live_server, "一个月前上报的",
                                     reported_at=datetime.now(UTC) - timedelta(days=30))
    page.goto("/")
    sign_in(page, "street1")
    page.click("#to-cases")
    table = page.locator("#cases-table")
    expect(table).to_be_visible()
    page.check("#cases-status-reported")
    page.click("#cases-apply")
    expect(table.locator("tbody tr", has_text=fresh_code)).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(table.locator("tbody tr", has_text=late_code)).to_have_class(re.compile(r"\boverdue\b"))

    page.check("#cases-overdue")
    page.click("#cases-apply")
    expect(table.locator("tbody tr", has_text=late_code)).to_have_count(1)
    expect(table.locator("tbody tr", has_text=fresh_code)).to_have_count(0)
    for row in table.locator("tbody tr").all():
        expect(row).to_have_class(re.compile(r"\boverdue\b"))
        expect(row).to_contain_text("已上报")
    assert "overdue=true" in page.url and "status=reported" in page.url

    table.locator("tbody tr", has_text=late_code).locator("a").click()
    expect(page.locator("#case-deadline")).to_have_class("overdue")
    page.go_back()
    expect(page.locator("#cases-overdue")).to_be_checked()
    expect(page.locator("#cases-status-reported")).to_be_checked()
    expect(table.locator("tbody tr", has_text=late_code)).to_have_count(1)
    expect(table.locator("tbody tr", has_text=fresh_code)).to_have_count(0)

    # Only closed cases: neither of these.
    page.uncheck("#cases-overdue")
    page.uncheck("#cases-status-reported")
    page.check("#cases-status-closed")
    page.press("#cases-q", "Enter")
    expect(table.locator("tbody tr").first).to_contain_text("已结案")
    expect(table.locator("tbody tr", has_text=late_code)).to_have_count(0)


def _conflicting_edits(live_server, field: str, earlier: str, later: str) -> tuple[str, str, Phone]:
    """worker1 and street1 each change one field of worker1's report on their phones; street1's
    change was made later and wins, worker1's is kept as a conflict: its id, the report and street1's phone."""
    http = live_server.app.test_client()
    reporter = Phone(http, "worker1", DEMO_PASSWORD)
    rid = reporter.create("reports", report_fields(f"冲突 {field}"))
    reporter.push()
    boss = Phone(http, "street1", DEMO_PASSWORD)
    reporter.pull()
    boss.pull()
    boss.update("reports", rid, {field: later}, client_time=BASE_TIME + timedelta(minutes=9))
    boss.push()
    reporter.update("reports", rid, {field: earlier}, client_time=BASE_TIME + timedelta(minutes=5))
    [result] = reporter.push()["results"]
    [conflict] = result["conflict"]
    return conflict["id"], rid, boss


@pytest.mark.desktop
def test_a_supervisor_restores_a_conflict_and_reads_a_refusal_by_the_item(page: Page, sign_in, live_server):
    description_conflict, rid, boss = _conflicting_edits(live_server, "description", "手机上先写的描述", "指挥中心后改的描述")
    note_conflict, _, _ = _conflicting_edits(live_server, "note", "先写的备注", "后写的备注")
    # This page must not hear of the other resolution before its own click (a live redraw
    # would take the item away first, and then nothing is refused): its stream is cut.
    page.route("**/api/v1/live*", lambda route: route.abort())
    page.goto("/")
    sign_in(page, "street1")
    items = page.locator("#conflict-list > li")
    expect(items).to_have_count(2)
    wait_synced(page)  # the first sync's redraw is over before anything is clicked

    # Someone else accepts the note's conflict meanwhile: this page's "accept" is refused.
    answer = live_server.app.test_client().post(f"/api/v1/sync/conflicts/{note_conflict}/resolve",
                                                headers=boss.headers, json={"decision": "accept"})
    assert answer.status_code == 200
    note_item = page.locator(f"#conflict-list > li[data-id='{note_conflict}']")
    note_item.locator("button[data-decision=accept]").click()
    expect(note_item.locator(".error")).to_have_text(ZH_ERRORS["already_resolved"])

    page.locator(f"#conflict-list > li[data-id='{description_conflict}'] button[data-decision=restore]").click()
    expect(page.locator("#conflict-list")).to_have_count(0)
    expect(page.locator("#console")).to_contain_text("没有待处理的冲突。")
    assert stored_case(live_server, rid).description == "手机上先写的描述"
