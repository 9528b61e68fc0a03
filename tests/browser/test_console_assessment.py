"""The console's assessment page (专项考核): the city supervisor ranks the districts by the
demo city's cases, goes down to a district and a street, sorts, downloads the table as CSV,
and goes back up; switches to grid workers and departments and downloads Excel; every figure
is the one the stats service counts for the same period, and every download the table."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from backend.common.auth import RegionScope
from backend.extensions import db
from backend.regions.models import Region
from backend.stats.services import COUNTS, case_figures

pytestmark = pytest.mark.desktop


def _figures(live_server, start: str, end: str, code: str | None = None,
             group_by: str = "region") -> dict:
    with live_server.app.app_context():
        region_id = db.session.scalar(select(Region.id).where(Region.code == code)) if code else None
        result = case_figures(RegionScope(everything=True), region_id=region_id,
                              start=date.fromisoformat(start), end=date.fromisoformat(end),
                              group_by=group_by)
        result = {**result, "region": {"id": str(result["region"].id), "name": result["region"].name}}
        db.session.remove()
        return result


def _rate(text: str) -> float | None:
    return None if text == "—" else float(text.rstrip("%")) / 100


def _table(page: Page) -> dict[str, dict]:
    """The table's rows by region code: the name and every figure as the page shows them."""
    rows = {}
    for row in page.locator("#assessment-table tbody tr, #assessment-table tfoot tr").all():
        cells = {cell.get_attribute("data-key"): cell.inner_text().strip()
                 for cell in row.locator("td").all()}
        cells["name"] = row.locator("th").inner_text().strip()
        rows[cells["code"]] = cells
    return rows


def _expect_matches(page: Page, result: dict) -> None:
    expect(page.locator("#assessment-period")).to_contain_text(result["region"]["name"])
    shown = _table(page)
    assert set(shown) == {item["code"] for item in [*result["items"], result["total"]]}
    for item in [*result["items"], result["total"]]:
        row = shown[item["code"]]
        assert item["name"] in row["name"]
        for key in COUNTS:
            assert int(row[key]) == item[key], (item["name"], key, row[key], item[key])
        if item["on_time_rate"] is None:
            assert row["on_time_rate"] == "—"
        else:
            assert _rate(row["on_time_rate"]) == pytest.approx(item["on_time_rate"], abs=0.0006)


def _names(rows: Locator) -> list[str]:
    return [name.strip() for name in rows.locator("th").all_inner_texts()]


def test_a_supervisor_ranks_drills_down_sorts_and_downloads_the_figures(page: Page, sign_in,
                                                                        live_server):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-assessment")
    body = page.locator("#assessment-table tbody tr")
    expect(body).to_have_count(2)  # 兰山区 and 罗庄区
    start = page.input_value("#assessment-from")
    end = page.input_value("#assessment-to")
    city = _figures(live_server, start, end)
    assert city["total"]["total"] >= 100, "the demo city's cases are in the default period"
    _expect_matches(page, city)
    expect(page.locator("#assessment-crumbs [aria-current=page]")).to_have_text("临沂市")
    expect(page.locator("#assessment-charts")).to_be_visible()  # Chart.js loaded and drew
    expect(page.locator("#assessment-ranking")).to_have_attribute("aria-label", re.compile(".+"))

    # One level down: the address says which district, so "back" returns to the city.
    page.locator("#assessment-table tbody a", has_text="兰山区").click()
    expect(page).to_have_url(re.compile(r"region_id=[0-9a-f-]{36}"))
    expect(page.locator("#assessment-crumbs [aria-current=page]")).to_have_text("兰山区")
    expect(body).to_have_count(2)  # its two streets
    _expect_matches(page, _figures(live_server, start, end, "371302"))

    page.locator("#assessment-table tbody a", has_text="兰山街道").click()
    expect(page.locator("#assessment-crumbs [aria-current=page]")).to_have_text("兰山街道")
    street = _figures(live_server, start, end, "371302001")
    expect(body).to_have_count(len(street["items"]))
    _expect_matches(page, street)

    # A ranking: the header's button sorts, largest first, then the other way round.
    header = page.locator("#assessment-table thead button[data-key=total]")
    header.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#assessment-table thead th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    by_total = sorted(street["items"], key=lambda item: -item["total"])
    assert [int(n) for n in body.locator("td[data-key=total]").all_inner_texts()] \
        == [item["total"] for item in by_total]
    header.click()
    expect(page.locator("#assessment-table thead th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    assert [int(n) for n in body.locator("td[data-key=total]").all_inner_texts()] \
        == sorted(item["total"] for item in street["items"])

    # The CSV holds exactly the rows on screen, the total last.
    with page.expect_download() as download:
        page.click("#assessment-csv")
    assert download.value.suggested_filename == f"cases-371302001-{start}-{end}.csv"
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["区域编码", "区域", "上报"]
    _expect_download_is_table(page, street["columns"], rows)

    # Back returns to the district; the breadcrumb goes up to the city.
    page.go_back()
    expect(page.locator("#assessment-crumbs [aria-current=page]")).to_have_text("兰山区")
    page.locator("#assessment-crumbs a", has_text="临沂市").click()
    expect(page.locator("#assessment-crumbs [aria-current=page]")).to_have_text("临沂市")
    assert _names(body) and set(_names(body)) == {"兰山区", "罗庄区"}


RATES = ("on_time_rate", "handled_on_time_rate", "satisfaction_rate")


def _expect_download_is_table(page: Page, columns: list[str], rows: list[list]) -> None:
    """The download holds the table's rows in the table's order, every cell the same."""
    shown = [[cell.inner_text().strip() for cell in row.locator("th, td").all()]
             for row in page.locator("#assessment-table tbody tr, #assessment-table tfoot tr").all()]
    assert len(rows) - 1 == len(shown)
    for got, cells in zip(rows[1:], shown, strict=True):
        for key, value, text in zip(columns, got, cells, strict=True):
            if key in RATES:
                assert (value in ("", None)) == (text == "—"), (key, value, text)
                if text != "—":
                    assert _rate(text) == pytest.approx(float(value), abs=0.0006)
            elif key.startswith("avg_"):
                assert (value in ("", None)) == (text == "—")
                if text != "—":
                    assert float(text.replace(",", "")) == pytest.approx(float(value), abs=0.06)
            elif key == "name" and cells is shown[-1]:
                assert str(value).endswith("（合计）")
            else:
                assert ("" if value is None else str(value)) == text, (key, value, text)


def test_a_supervisor_switches_to_workers_and_departments_and_downloads_excel(
        page: Page, sign_in, live_server):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-assessment")
    expect(page.locator("#assessment-table tbody tr")).to_have_count(2)
    start = page.input_value("#assessment-from")
    end = page.input_value("#assessment-to")
    expect(page.locator("#assessment-trend")).to_have_attribute("aria-label", re.compile(".+"))
    for group_by, label in (("worker", "按网格员"), ("department", "按部门")):
        page.click(f"#assessment-group-{group_by}")
        expect(page.locator(f"#assessment-group-{group_by}")).to_have_attribute("aria-pressed", "true")
        expect(page).to_have_url(re.compile(f"group_by={group_by}"))
        expect(page.locator("#assessment-table")).to_have_attribute("data-group-by", group_by)
        expected = _figures(live_server, start, end, group_by=group_by)
        body = page.locator("#assessment-table tbody tr")
        expect(body).to_have_count(len(expected["items"]))
        assert page.locator("#assessment-groups").get_attribute("aria-label")
        assert label == page.inner_text(f"#assessment-group-{group_by}").strip()
        # Ranked by closed, as the console sorts; the download keeps that order.
        # (The order is kept across groupings: a second click on the same column turns it.)
        header = page.locator("#assessment-table thead th", has=page.locator("button[data-key=closed]"))
        while header.get_attribute("aria-sort") != "descending":
            header.locator("button").click()
        with page.expect_download() as download:
            page.click("#assessment-xlsx")
        assert download.value.suggested_filename == f"cases-371300-{group_by}-{start}-{end}.xlsx"
        sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
        _expect_download_is_table(page, expected["columns"], cells)
        closed = [int(n) for n in body.locator("td[data-key=closed]").all_inner_texts()]
        assert closed == sorted(closed, reverse=True)
        totals = page.locator("#assessment-table tfoot td[data-key=closed]").inner_text()
        assert int(totals) == expected["total"]["closed"]


def test_a_preset_changes_the_period_in_the_address(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-assessment")  # once at the console: the sign-in's own navigation is over
    expect(page.locator("#assessment-table tbody tr")).to_have_count(2)
    page.click("#assessment-month")
    first = page.input_value("#assessment-from")
    assert first.endswith("-01")
    expect(page).to_have_url(re.compile(f"from={first}"))
    expect(page.locator("#assessment-period")).to_contain_text(first)


def test_offline_the_page_says_it_needs_the_network(page: Page, sign_in):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-assessment")  # once at the console: the sign-in's own navigation is over
    expect(page.locator("#assessment-table tbody tr")).to_have_count(2)
    page.context.set_offline(True)
    expect(page.locator("#assessment-offline")).to_be_visible()
    page.click("#assessment-week")
    expect(page.locator("#assessment-body")).to_contain_text("离线")
    page.context.set_offline(False)
    expect(page.locator("#assessment-offline")).to_be_hidden()
    expect(page.locator("#assessment-table tbody tr")).to_have_count(2)
