"""A newcomer signs up on the phone (注册): the password rule shown and enforced, the server's
answers beside their fields, offline said plainly, and the citizen's home once done."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db


def open_signup(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#signin-form")).to_be_visible()
    page.get_by_role("button", name="没有账号？注册").click()
    expect(page.locator("#signup-form")).to_be_visible()


def test_a_newcomer_signs_up_fixes_a_weak_password_and_lands_home_signed_in(page: Page, live_server):
    open_signup(page)
    # Every field is labelled; the password's rule is shown before anything is typed.
    expect(page.get_by_text("至少 8 位，字母与数字或符号混合", exact=False)).to_be_visible()
    page.get_by_label("用户名").fill("Newcomer")
    page.get_by_label("姓名（称呼）").fill("王小明")
    page.get_by_label("密码").fill("abcdefghij")
    page.get_by_label("手机号（选填）").fill("138 0013 8000")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/register")) as answer:
        page.get_by_role("button", name="注册并登录").click()
    assert answer.value.status == 422
    expect(page.locator("#signup-password-error")).to_have_text(
        "密码需混合字母与数字或符号（16 位以上可只用一类）。")
    expect(page.locator("#signup-password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signup-username-error")).to_have_text("")

    page.get_by_label("密码").fill("lantern 2049")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/register")) as answer:
        page.get_by_role("button", name="注册并登录").click()
    assert answer.value.status == 201
    expect(page.locator("#home")).to_be_visible()
    expect(page.locator("#greeting")).to_contain_text("王小明")
    expect(page.get_by_text("市民", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="我要上报")).to_be_visible()
    # Signed in for good: a reload stays on the home, as after a sign-in.
    page.reload()
    expect(page.locator("#greeting")).to_contain_text("王小明")

    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.username == "newcomer"))
        assert user.role_list == ["citizen"] and user.region_id is None
        assert user.phone == "138 0013 8000"


def test_a_taken_username_shows_beside_the_username(page: Page):
    open_signup(page)
    page.get_by_label("用户名").fill("CITIZEN1")
    page.get_by_label("姓名（称呼）").fill("冒名者")
    page.get_by_label("密码").fill("lantern 2049")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/register")) as answer:
        page.get_by_role("button", name="注册并登录").click()
    assert answer.value.status == 409
    expect(page.locator("#signup-username-error")).to_have_text("该用户名已被使用，请换一个。")
    expect(page.locator("#signup-password-error")).to_have_text("")
    expect(page.locator("#signup-form")).to_be_visible()
    expect(page.locator("#signup-username")).to_be_focused()


def test_signing_up_offline_says_it_needs_a_connection(page: Page, context: BrowserContext):
    open_signup(page)
    expect(page.locator("#signup-offline")).to_be_hidden()
    context.set_offline(True)
    expect(page.locator("#signup-offline")).to_have_text("注册需要联网：请连接网络后再试。")
    page.get_by_label("用户名").fill("newcomer")
    page.get_by_label("姓名（称呼）").fill("王小明")
    page.get_by_label("密码").fill("lantern 2049")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator("#signup-offline")).to_be_visible()
    expect(page.locator("#signup-form")).to_be_visible()
    context.set_offline(False)
    expect(page.locator("#signup-offline")).to_be_hidden()
