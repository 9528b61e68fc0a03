"""Duplicates and acting on many cases in the console: street1 opens a new report, is offered
the case it repeats (its code, how far, its status), merges it after confirming, and the
case it went into names it on its timeline; on the list, street1 chooses cases by their
boxes (or the page's box, by keyboard) and registers them at once, and a refused bulk
request names each case that cannot and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DEMO_PASSWORD, stored_case, wait_synced
from tests.sync_client import Phone

# Inside 南坛社区第一网格 (兰山街道), worker1's own grid in the demo city.
WORKER1_POINT = (35.0575, 118.335)
# 20 m north of WORKER1_POINT: inside the same grid, within DUPLICATE_RADIUS_M.
NEARBY = (WORKER1_POINT[0] + 20 / 110_950, WORKER1_POINT[1])


def report(live_server, description: str, point=WORKER1_POINT) -> tuple[str, str]:
    """A pothole reported now by worker1's phone through sync: its id and code."""
    phone = Phone(live_server.app.test_client(), "worker1", DEMO_PASSWORD)
    fields = {"category": "road.pothole", "description": description, "lat": point[0],
              "lon": point[1], "reported_at": datetime.now(UTC).isoformat()}
    rid = phone.create("reports", fields)
    [result] = phone.push()["results"]
    assert result["status"] == "applied", result
    return rid, stored_case(live_server, rid).code


@pytest.mark.desktop
def test_street1_is_offered_the_case_a_new_report_repeats_and_merges_it(page: Page, sign_in,
                                                                        live_server):
    case_id, case_code = report(live_server, "路面坑槽，约一平方米")
    dup_id, dup_code = report(live_server, "同一处路面坑槽", NEARBY)
    page.goto("/")
    sign_in(page, "street1")
    expect(page.locator("#to-cases")).to_be_visible()   # signed in: the console is drawn
    page.goto(f"/#/console/cases/{dup_id}")
    panel = page.locator("#case-duplicates")
    expect(panel).to_be_visible()
    offered = panel.locator(f".dup-item[data-id='{case_id}']")
    expect(offered).to_contain_text(case_code)
    expect(offered).to_contain_text("相距 20 米")
    expect(offered).to_contain_text("已上报")
    # The generic buttons keep to the actions without a target; merge lives in the panel.
    expect(page.locator("#case-actions button")).to_have_text(["立案", "作废"])

    # Asked first; Escape goes back to the button.
    merge = page.locator(f"#dup-merge-{case_id}")
    merge.click()
    expect(page.locator("#dup-confirm-text")).to_contain_text(case_code)
    expect(page.locator("#dup-confirm-yes")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#dup-confirm")).to_have_count(0)
    expect(merge).to_be_focused()
    merge.click()
    page.fill("#dup-note", "同一处坑槽")
    page.click("#dup-confirm-yes")

    expect(page.locator("#case-status")).to_have_text("已合并")
    expect(page.locator("#case-announce")).to_have_text(f"已合并到案件 {case_code}。")
    expect(page.locator("#case-duplicates")).to_have_count(0)
    expect(page.locator("#case-timeline li").last).to_contain_text(f"已合并到案件 {case_code}")
    stored = stored_case(live_server, dup_id)
    assert stored.status == "merged" and str(stored.merged_into_id) == case_id

    # The case it went into names the report and its reporter.
    page.locator("#case-merged-into a").click()
    expect(page.locator("#case-title")).to_contain_text(case_code)
    expect(page.locator("#case-timeline")).to_contain_text(f"重复上报 {dup_code} 已并入本案")


@pytest.mark.desktop
def test_street1_registers_two_cases_at_once_and_a_refusal_names_each_case(page: Page, sign_in,
                                                                         live_server):
    first, first_code = report(live_server, f"批量一 {uuid.uuid4().hex[:6]}")
    second, second_code = report(live_server, f"批量二 {uuid.uuid4().hex[:6]}")
    third, third_code = report(live_server, f"批量三 {uuid.uuid4().hex[:6]}")
    page.goto("/")
    sign_in(page, "street1")
    expect(page.locator("#to-cases")).to_be_visible()   # signed in: the console is drawn
    page.goto("/#/console/cases?status=reported&status=registered")
    box = page.locator(f"#cases-table input.case-select[data-id='{first}']")
    expect(box).to_be_visible()
    expect(page.locator("#cases-bulk")).to_be_hidden()

    # By keyboard: the page's box chooses every row, and clearing gives them back.
    page.focus("#cases-select-all")
    page.keyboard.press("Space")
    expect(page.locator("#cases-table input.case-select:checked")).to_have_count(
        page.locator("#cases-table input.case-select").count())
    page.click("#cases-bulk-clear")
    expect(page.locator("#cases-bulk")).to_be_hidden()
    expect(page.locator("#cases-select-all")).to_be_focused()

    box.check()
    page.locator(f"#cases-table input.case-select[data-id='{second}']").check()
    expect(page.locator("#cases-bulk-count")).to_have_text("已选 2 件")
    page.click("#cases-bulk-register")
    expect(page.locator("#cases-bulk-notice")).to_have_text("已立案 2 件。")
    assert stored_case(live_server, first).status == "registered"
    assert stored_case(live_server, second).status == "registered"
    expect(page.locator(f"#cases-table tr[data-id='{first}']")).to_have_attribute(
        "data-status", "registered")

    # Registering a registered case with a new one: nothing is done, and the list says which.
    page.locator(f"#cases-table input.case-select[data-id='{first}']").check()
    page.locator(f"#cases-table input.case-select[data-id='{third}']").check()
    page.click("#cases-bulk-register")
    refused = page.locator("#cases-bulk-refused li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(first_code)
    expect(refused).to_contain_text("当前状态下不能进行这项操作。")
    expect(page.locator(f"#cases-table tr[data-id='{first}']")).to_have_class("refused")
    assert stored_case(live_server, third).status == "reported"
    assert third_code

    # Dispatch needs a department: asked for before anything is sent.
    page.click("#cases-bulk-dispatch")
    expect(page.locator("#cases-bulk-result")).to_contain_text("请先选择派遣的部门。")
    expect(page.locator("#cases-bulk-department")).to_be_focused()


def test_the_reporter_of_a_merged_report_sees_on_the_phone_which_case_they_follow(
        page: Page, sign_in, live_server):
    case_id, case_code = report(live_server, "路灯不亮的那一处坑槽")
    dup_id, _ = report(live_server, "同一处坑槽", NEARBY)
    street1 = live_server.app.test_client()
    token = street1.post("/api/v1/auth/login", json={
        "username": "street1", "password": DEMO_PASSWORD}).get_json()["access_token"]
    merged = street1.post(f"/api/v1/cases/{dup_id}/actions", json={
        "action": "merge", "target_id": case_id}, headers={"Authorization": f"Bearer {token}"})
    assert merged.status_code == 200, merged.get_json()
    page.goto("/")
    sign_in(page, "worker1")
    wait_synced(page)
    page.goto(f"/#/reports/{dup_id}")
    expect(page.locator("#report-status")).to_have_text("已合并")
    expect(page.locator("#report-merged h2")).to_have_text(f"已合并到案件 {case_code}")
    expect(page.locator("#report-following")).to_contain_text(f"您正在关注案件 {case_code}")
    expect(page.locator("#report-followed-chip")).to_have_text("已上报")
    expect(page.locator("#report-edit-link, #report-feedback")).to_have_count(0)
