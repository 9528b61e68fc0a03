"""The console's hall statistics (大厅统计) on the demo hall's two weeks: the hall manager
sees the chart of tickets per hour, a row per service with the figures the server counts,
switches to the clerks with the keyboard, and downloads the per-service table as CSV; a
supervisor reaches the page from the console."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.queue.stats import hall_figures

pytestmark = pytest.mark.desktop


def _figures(live_server, start: str, end: str, group_by: str) -> dict:
    with live_server.app.app_context():
        manager = db.session.scalar(select(User).where(User.username == "manager1"))
        from datetime import date

        result = hall_figures(manager, start=date.fromisoformat(start), end=date.fromisoformat(end),
                              group_by=group_by)
        db.session.remove()
        return result


def test_the_hall_manager_reads_the_figures_and_downloads_them(page: Page, sign_in, live_server):
    page.goto("/")
    sign_in(page, "manager1")
    page.click("#to-hall-stats")  # from the manager's own page, their home
    expect(page.locator("#hallstats-charts canvas")).to_be_visible()
    assert "个" in (page.locator("#hallstats-chart").get_attribute("aria-label") or "")
    rows = page.locator("#hallstats-service-table tbody tr")
    expect(rows).to_have_count(4)
    start, end = page.input_value("#hallstats-from"), page.input_value("#hallstats-to")
    result = _figures(live_server, start, end, "service")
    assert result["totals"]["tickets"] > 300  # a week of the demo's traffic
    for row, item in zip(rows.all(), result["rows"], strict=True):
        expect(row.locator("th")).to_have_text(item["label"])
        expect(row.locator("td[data-key=tickets]")).to_have_text(str(item["tickets"]))
        expect(row.locator("td[data-key=satisfaction]")).to_contain_text("%")
    total = page.locator("#hallstats-service-table tfoot tr")
    expect(total.locator("td[data-key=served]")).to_have_text(str(result["totals"]["served"]))

    # The clerks' tab, with the keyboard.
    page.focus("#hallstats-tab-clerk")
    page.keyboard.press("Enter")
    expect(page.locator("#hallstats-tab-clerk")).to_have_attribute("aria-pressed", "true")
    clerk_rows = page.locator("#hallstats-group-table tbody tr")
    expect(clerk_rows.first).to_be_visible()
    names = clerk_rows.locator("th").all_inner_texts()
    assert {"王芳", "李明", "张敏", "赵刚"} <= set(names)
    assert "group_by=clerk" in page.url and "hall_id=" in page.url

    with page.expect_download() as download:
        page.click("#hallstats-csv-service")
    assert download.value.suggested_filename == f"hall-stats-service-{start}-{end}.csv"
    lines = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert lines[0][:2] == ["业务", "取号数"]
    assert [line[0] for line in lines[1:]] == [*(item["label"] for item in result["rows"]), "合计"]
    assert lines[-1][1] == str(result["totals"]["tickets"])


def test_a_supervisor_opens_it_from_the_console(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-hall-stats")
    expect(page.locator("#hallstats-service-table tbody tr")).to_have_count(4)
    page.click("#hallstats-today")
    expect(page.locator("#hallstats-period")).to_contain_text("临沂市政务服务中心")
