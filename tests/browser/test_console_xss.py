"""Names people type or import (a grid's, a post's) are text on every console map and list,
never markup: a name that is an HTML payload shows as itself and runs nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.extensions import db
from backend.posts import services as posts
from backend.regions import services as regions
from backend.regions.models import Region

PAYLOAD = "<img src=x onerror=window.__xss=1>"
WORKER1_GRID = "371302001002001"  # 南坛社区第一网格, worker1's grid in the demo city


@pytest.fixture
def hostile_names(live_server) -> str:
    """worker1's grid and a post in it renamed to an HTML payload, as an import or a careless
    admin could; returns the grid's id."""
    with live_server.app.app_context():
        grid = db.session.scalar(select(Region).where(Region.code == WORKER1_GRID))
        regions.update_region(grid.id, {"name": PAYLOAD})
        lat, lon = (grid.min_lat + grid.max_lat) / 2, (grid.min_lon + grid.max_lon) / 2
        posts.add_post(region=grid, name=PAYLOAD, lat=lat, lon=lon, radius_m=60)
        db.session.commit()
        grid_id = str(grid.id)
        db.session.remove()
    return grid_id


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None
    expect(page.locator("img[src='x']")).to_have_count(0)


@pytest.mark.desktop
def test_a_hostile_grid_and_post_name_are_text_on_the_posts_console(page: Page, sign_in, hostile_names):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-posts")
    expect(page.locator("#posts-table")).to_contain_text(PAYLOAD)
    page.select_option("#post-grid", hostile_names)
    # Once the grid is drawn, only its post is named on the map (学校门口 is elsewhere).
    labels = page.locator("#posts-map .leaflet-tooltip.post-label")
    expect(labels).to_have_count(1)
    expect(labels).to_have_text(PAYLOAD)
    expect(page.locator("#post-grid option:checked")).to_contain_text(PAYLOAD)
    assert_nothing_ran(page)


@pytest.mark.desktop
def test_a_hostile_grid_name_is_text_in_the_coverage_tooltip(page: Page, sign_in, hostile_names):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-tracks")
    expect(page.locator("#coverage-table")).to_contain_text(PAYLOAD)
    grids = page.locator("#tracks-map path.coverage-grid")
    expect(grids).to_have_count(24)
    tooltip = page.locator("#tracks-map .leaflet-tooltip")
    for i in range(24):
        grids.nth(i).hover(force=True)
        if PAYLOAD in (tooltip.all_text_contents() or [""])[-1]:
            break
    else:
        raise AssertionError("no grid's tooltip named the renamed grid")
    assert_nothing_ran(page)
