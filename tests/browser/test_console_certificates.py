"""E-certificates in the console (电子证照管理), as the administrator at a desk: an issuer and
a type with its fields made through the forms, a certificate issued to citizen1 and revoked
with a reason (after a second "yes": it is final), an issuer's key rotated with the old key
retired; and the bulk import from CSV: a good file shows its progress and the count issued,
a file with two bad lines shows both lines' errors and issues nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import api


@pytest.fixture(autouse=True)
def no_script_errors(page: Page):
    """A script error on the page fails the test with its message, not a timeout later."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, errors


def make_type(base_url: str, issuer_code: str, type_code: str) -> dict:
    """An issuer (with its first key) and a type of it with two fields, through the API."""
    admin = api(base_url, "admin")
    issuer = admin.post(f"{base_url}/api/v1/certificate-issuers",
                        json={"code": issuer_code, "name": f"{issuer_code} 发证机关"}, timeout=10)
    assert issuer.status_code == 201, issuer.text
    made = admin.post(f"{base_url}/api/v1/certificate-types", json={
        "code": type_code, "name": "测试许可证", "name_en": "Test permit", "issuer_id": issuer.json()["id"],
        "validity_days": 365, "fields": [{"key": "address", "label": "住址", "label_en": "Address"},
                                         {"key": "scope", "label": "许可范围", "label_en": "Scope"}]}, timeout=10)
    assert made.status_code == 201, made.text
    return made.json()


def issued_of_type(base_url: str, type_code: str) -> list[dict]:
    answer = api(base_url, "admin").get(f"{base_url}/api/v1/issued-certificates",
                                        params={"type": type_code, "per_page": 100}, timeout=10)
    assert answer.ok, answer.text
    return answer.json()["items"]


def open_console(page: Page, sign_in, tab: str) -> None:
    page.goto("/")
    sign_in(page, "admin")
    page.click("#to-certificates")
    expect(page.locator("#certificates-console h1")).to_have_text("电子证照")
    page.click(f"#certs-tab-{tab}")
    expect(page.locator(f"#certs-tab-{tab}")).to_have_attribute("aria-pressed", "true")


@pytest.mark.desktop
def test_an_admin_makes_a_type_issues_a_certificate_and_revokes_it_with_a_reason(page: Page, sign_in,
                                                                                   base_url: str):
    open_console(page, sign_in, "issuers")
    # An issuer of its own, for 城管局 (any department will do).
    page.fill("#issuer-code", "TSTJ")
    page.fill("#issuer-name", "测试发证机关")
    page.locator("#issuer-department").select_option(index=1)
    page.click("#issuer-save")
    card = page.locator("#issuer-TSTJ")
    expect(card.locator("tbody tr")).to_have_count(1)
    expect(card.locator("tbody tr").first).to_have_attribute("data-status", "current")

    # A type with two fields; a field row added and one removed on the way, by keyboard.
    page.click("#certs-tab-types")
    page.fill("#type-code", "tp")
    page.fill("#type-name", "测试许可证")
    page.fill("#type-name-en", "Test permit")
    page.locator("#type-issuer").select_option(label="TSTJ · 测试发证机关")
    page.fill("#type-validity", "365")
    page.fill("#type-field-0-key", "address")
    page.fill("#type-field-0-label", "住址")
    page.focus("#type-field-add")
    page.keyboard.press("Enter")
    expect(page.locator("#type-field-1-key")).to_be_focused()
    page.keyboard.type("Bad Key")
    page.fill("#type-field-1-label", "许可范围")
    page.click("#type-save")
    expect(page.locator("#type-error")).to_contain_text("第 2 个字段的键不正确")
    expect(page.locator("#type-field-1-key")).to_be_focused()
    page.fill("#type-field-1-key", "scope")
    page.click("#type-field-add")
    page.click("#type-field-2-remove")
    page.click("#type-save")
    row = page.locator('#types-table tr[data-code="TP"]')
    expect(row.locator(".type-fields")).to_have_text("住址、许可范围")
    expect(row.locator(".type-validity")).to_have_text("365 天")

    # Issue one to citizen1: the type's fields are asked for.
    page.click("#certs-tab-issue")
    page.locator("#issue-type").select_option("TP")
    expect(page.locator("#issue-fields label")).to_have_text(["住址", "许可范围"])
    page.fill("#issue-holder", "citizen1")
    page.fill("#issue-holder-name", "张三")
    page.fill("#issue-field-address", "兰山区银雀山路 1 号")
    page.click("#issue-submit")
    expect(page.locator("#issue-error")).to_have_text("请填写“许可范围”。")
    expect(page.locator("#issue-field-scope")).to_be_focused()
    page.keyboard.type("餐饮")
    page.keyboard.press("Enter")
    result = page.locator("#issue-result")
    expect(result).to_be_visible()
    number = result.get_attribute("data-number")
    [issued] = issued_of_type(base_url, "TP")
    assert issued["number"] == number and issued["holder"] == "citizen1" and issued["status"] == "valid"
    assert {f["key"]: f["value"] for f in issued["fields"]} == {"address": "兰山区银雀山路 1 号", "scope": "餐饮"}

    # Found by its number, then revoked: the reason is required, and revoking asks again.
    page.click("#certs-tab-certificates")
    page.fill("#certs-q", number)
    page.click("#certs-search-submit")
    line = page.locator(f'#certs-table tr[data-number="{number}"]')
    expect(page.locator("#certs-table tbody tr")).to_have_count(1)
    expect(line).to_have_attribute("data-status", "valid")
    line.locator('button[data-action="revoked"]').click()
    dialog = page.locator("#cert-status-dialog")
    expect(page.locator("#cert-status-reason")).to_be_focused()
    page.click("#cert-status-submit")
    expect(page.locator("#cert-status-error")).to_have_text("请填写原因。")
    page.fill("#cert-status-reason", "许可证申请材料不实")
    page.click("#cert-status-submit")
    expect(page.locator("#cert-status-final")).to_be_visible()
    expect(page.locator("#cert-status-submit")).to_have_text("确认吊销")
    assert issued_of_type(base_url, "TP")[0]["status"] == "valid"  # not yet
    page.click("#cert-status-submit")
    expect(dialog).to_have_count(0)
    expect(line).to_have_attribute("data-status", "revoked")
    expect(line.locator(".certcon-status")).to_contain_text("已吊销")
    expect(line.locator(".certcon-status")).to_contain_text("许可证申请材料不实")
    expect(line.locator("button")).to_have_count(0)  # final: nothing more to do
    [revoked] = issued_of_type(base_url, "TP")
    assert revoked["status"] == "revoked" and revoked["status_reason"] == "许可证申请材料不实"


@pytest.mark.desktop
def test_rotating_an_issuers_key_asks_first_then_retires_the_old_key(page: Page, sign_in, base_url: str):
    made = make_type(base_url, "ROTJ", "RT")
    admin = api(base_url, "admin")
    issued = admin.post(f"{base_url}/api/v1/issued-certificates", json={
        "type": "RT", "holder": "citizen1", "holder_name": "张三",
        "fields": {"address": "兰山区", "scope": "零售"}}, timeout=10)
    assert issued.status_code == 201, issued.text
    old_kid = issued.json()["kid"]

    open_console(page, sign_in, "issuers")
    keys = page.locator("#issuer-ROTJ tbody tr")
    expect(keys).to_have_count(1)
    expect(page.locator(f'#issuer-ROTJ tr[data-kid="{old_kid}"] td.count')).to_have_text("1")
    page.click("#rotate-ROTJ")
    expect(page.locator("#rotate-question-ROTJ")).to_contain_text("ROTJ")
    expect(page.locator("#rotate-confirm-ROTJ")).to_be_focused()
    page.click("#rotate-cancel-ROTJ")  # changed one's mind: nothing happens
    expect(page.locator("#rotate-ROTJ")).to_be_focused()
    expect(keys).to_have_count(1)
    page.click("#rotate-ROTJ")
    page.click("#rotate-confirm-ROTJ")
    expect(keys).to_have_count(2)
    old = page.locator(f'#issuer-ROTJ tr[data-kid="{old_kid}"]')
    expect(old).to_have_attribute("data-status", "retired")
    expect(old).to_contain_text("已停用")
    expect(old.locator("td.count")).to_have_text("1")  # it still verifies what it signed
    expect(page.locator('#issuer-ROTJ tr[data-status="current"]')).to_have_count(1)
    new_kid = page.locator('#issuer-ROTJ tr[data-status="current"]').get_attribute("data-kid")
    assert new_kid != old_kid
    # New certificates are signed with the new key.
    later = admin.post(f"{base_url}/api/v1/issued-certificates", json={
        "type": made["code"], "holder": "citizen2", "holder_name": "李四",
        "fields": {"address": "罗庄区", "scope": "批发"}}, timeout=10)
    assert later.status_code == 201 and later.json()["kid"] == new_kid, later.text


@pytest.mark.desktop
def test_a_good_csv_import_shows_its_progress_and_how_many_were_issued(page: Page, sign_in, base_url: str):
    make_type(base_url, "IMPJ", "IM")
    open_console(page, sign_in, "import")
    # The template is built in the page from the type's fields.
    page.locator("#import-template-type").select_option("IM")
    template = page.locator("#import-template")
    expect(template).to_have_attribute("download", "certificates-IM.csv")
    with page.expect_download() as download:
        template.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "type,holder,holder_name,number,expires_at,address,scope"

    csv = ("type,holder,holder_name,number,expires_at,address,scope\r\n"
           "IM,citizen1,张三,IM-0001,,兰山区一号,餐饮\r\n"
           "IM,citizen2,李四,,2031-12-31,罗庄区二号,零售\r\n"
           "IM,citizen1,张三,IM-0003,,兰山区三号,\"批发,零售\"\r\n")
    page.set_input_files("#import-file", files=[{"name": "certificates.csv", "mimeType": "text/csv",
                                                 "buffer": csv.encode("utf-8-sig")}])
    expect(page.locator("#import-csv")).to_have_value(csv.replace("\r\n", "\n"))  # a textarea's own line breaks
    page.click("#import-submit")
    progress = page.locator("#import-progress")
    expect(progress).to_be_visible()
    expect(page.locator("#import-done")).to_have_text("已签发 3 张证照。", timeout=15_000)
    expect(progress).to_have_attribute("max", "3")
    assert progress.evaluate("bar => bar.value") == 3
    expect(page.locator("#import-phase")).to_have_text("导入完成")
    expect(page.locator("#import-errors")).to_have_count(0)
    issued = issued_of_type(base_url, "IM")
    assert len(issued) == 3
    assert {c["number"] for c in issued} >= {"IM-0001", "IM-0003"}


@pytest.mark.desktop
def test_a_csv_with_two_bad_lines_lists_both_errors_and_issues_nothing(page: Page, sign_in, base_url: str):
    make_type(base_url, "BADJ", "BD")
    open_console(page, sign_in, "import")
    page.fill("#import-csv", "type,holder,holder_name,number,expires_at,address,scope\n"
                             "BD,citizen1,张三,,,兰山区一号,餐饮\n"
                             "BD,nobody-here,无名,,,兰山区二号,零售\n"
                             "BD,citizen2,李四,,,罗庄区三号,\n")
    page.click("#import-submit")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2, timeout=15_000)
    expect(errors.nth(0)).to_have_attribute("data-line", "3")
    expect(errors.nth(0)).to_have_attribute("data-code", "unknown_holder")
    expect(errors.nth(0)).to_contain_text("持证人不是有效的群众账号")
    expect(errors.nth(1)).to_have_attribute("data-line", "4")
    expect(errors.nth(1)).to_have_attribute("data-code", "wrong_fields")
    expect(page.locator("#import-nothing")).to_contain_text("未签发任何证照")
    expect(page.locator("#import-phase")).to_have_text("导入失败")
    expect(page.locator("#import-done")).to_have_count(0)
    assert issued_of_type(base_url, "BD") == []
