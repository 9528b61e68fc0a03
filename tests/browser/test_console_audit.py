"""The console's audit log (审计日志): an administrator reads who signed in, failed or changed
an account, filters it, and sees typed names as text; other roles have no way in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

MARKUP_NAME = "<img src=x onerror=window.__xss=1>"


def test_an_admin_reads_and_filters_the_audit_log(page: Page, sign_in, live_server):
    page.goto("/")
    # Someone guesses with a name that is markup, and worker1 mistypes once.
    for username in (MARKUP_NAME, "worker1"):
        answer = page.request.post("/api/v1/auth/login",
                                   data={"username": username, "password": "not the password"})
        assert answer.status == 401
    sign_in(page, "admin")
    page.click("#to-audit")
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr").first).to_contain_text("登录成功")  # newest first: admin's
    typed = table.locator("tbody tr", has_text=MARKUP_NAME)
    expect(typed).to_contain_text("登录失败")
    expect(typed).to_contain_text("账号不存在")
    assert page.evaluate("window.__xss") is None
    expect(page.locator("#audit-page")).to_contain_text("第 1 /")

    # Only worker1's sign-in events: the filter is a form, applied with the keyboard.
    page.select_option("#audit-area", "auth")
    page.fill("#audit-actor", "Worker1")
    page.press("#audit-actor", "Enter")
    rows = table.locator("tbody tr")
    expect(rows.first).to_contain_text("用户名或密码错误")
    for row in rows.all():
        expect(row).to_contain_text("worker1")
        assert row.get_attribute("data-action").startswith("auth.")


def test_other_roles_have_no_audit_log(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "supervisor")
    expect(page.locator("#to-posts")).to_be_visible()
    expect(page.locator("#to-audit")).to_have_count(0)
    page.goto("/#/console/audit")
    expect(page.locator("#audit-body [role=alert]")).to_be_visible()
