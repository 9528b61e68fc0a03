"""The command centre's home: street1 reads the counts of the street's cases at a glance, the
reports waiting to be registered and the late cases, from the synced store; each count leads
to the case list filtered alike, where the server counts the same."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import wait_synced


def count_of(page: Page, key: str) -> int:
    return int(page.locator(f'#case-digest li[data-key="{key}"] .digest-count').inner_text())


@pytest.mark.desktop
def test_street1_reads_the_counts_and_follows_them_into_the_case_list(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "street1")
    expect(page.locator("#case-digest")).to_be_visible()
    wait_synced(page)
    waiting, overdue = count_of(page, "waiting"), count_of(page, "overdue")
    # The demo street has reports waiting and cases past their deadline.
    assert waiting > 0 and overdue > 0, (waiting, overdue)
    expect(page.locator("#case-table tbody tr")).to_have_count(waiting)
    expect(page.locator("#late-table tbody tr.overdue").first).to_be_visible()
    expect(page.locator('#case-digest li[data-key="overdue"]')).to_have_class(re.compile("late"))

    page.click('#case-digest li[data-key="overdue"] a')
    page.wait_for_url(re.compile(r"#/console/cases\?overdue=true$"))
    expect(page.locator("#cases-page")).to_contain_text(f"共 {overdue} 件")

    page.go_back()
    page.click('#case-digest li[data-key="waiting"] a')
    page.wait_for_url(re.compile(r"#/console/cases\?status=reported$"))
    expect(page.locator("#cases-page")).to_contain_text(f"共 {waiting} 件")
