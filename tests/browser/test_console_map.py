"""The one map (一张图): a supervisor sees the cases of the demo city as markers and clusters,
narrows them with the filters, opens a case from its popup; the case page shows where the case
is. Names and descriptions people type are text in every popup and tooltip, never markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.incidents.services import add_category
from backend.posts import services as posts
from backend.regions.models import Region
from tests.browser.helpers import DEMO_PASSWORD, wait_synced
from tests.factories import make_patrol
from tests.sync_client import Phone

PAYLOAD = "<img src=x onerror=window.__xss=1>"
WORKER1_GRID = "371302001002001"  # 南坛社区第一网格, worker1's grid in the demo city


def one_case_of_its_own_category(live_server, *, name: str = "地图测试类别",
                                 description: str = "一张图") -> str:
    """A category of its own and one case of it, reported by worker1 in their grid."""
    with live_server.app.app_context():
        add_category(code="maptest.only", name=name, time_limit_h=24, parent_code=None)
        db.session.commit()
        db.session.remove()
    phone = Phone(live_server.app.test_client(), "worker1", DEMO_PASSWORD)
    rid = phone.create("reports", {"category": "maptest.only", "description": description, "lat": 35.0575,
                                   "lon": 118.335, "reported_at": datetime.now(UTC).isoformat()})
    phone.push()
    return rid


def open_map(page: Page, sign_in, username: str = "supervisor") -> None:
    page.goto("/")
    sign_in(page, username)
    wait_synced(page)  # the category catalogue is in the store before the map reads it
    page.click("#to-map")
    expect(page.locator("#one-map")).to_be_visible()


def total_in_view(page: Page) -> int:
    counts = page.locator("#map-counts")
    expect(counts).to_have_attribute("data-total", re.compile(r"\d+"))
    return int(counts.get_attribute("data-total"))


@pytest.mark.desktop
def test_a_supervisor_sees_the_cases_filters_them_and_opens_one(page: Page, sign_in, live_server):
    rid = one_case_of_its_own_category(live_server)
    open_map(page, sign_in)
    # The demo city's weeks of cases, in view: markers and the browser's clusters.
    expect(page.locator("#map-counts")).to_have_attribute("data-mode", "points")
    everything = total_in_view(page)
    assert everything > 100
    expect(page.locator("#one-map .case-marker, #one-map .marker-cluster").first).to_be_visible()
    expect(page.locator("#one-map .marker-cluster").first).to_be_visible()
    # The grids, streets and posts are drawn; the legend counts by status.
    expect(page.locator("#one-map path.boundary-grid")).to_have_count(24)
    expect(page.locator("#one-map path.map-post")).to_have_count(1)
    expect(page.locator("#map-legend li[data-status]")).to_have_count(7)

    # Overdue only: fewer, each of them overdue.
    page.check("#map-overdue")
    expect(page.locator("#map-counts")).not_to_have_attribute("data-total", str(everything))
    overdue = total_in_view(page)
    assert 0 < overdue < everything
    listed = page.locator("#map-case-list li")
    expect(listed.first).to_be_visible()
    assert listed.count() == min(overdue, 50)
    expect(listed.filter(has_not=page.locator(".badge.overdue"))).to_have_count(0)

    # One category of its own: one case, one marker, no cluster.
    page.uncheck("#map-overdue")
    page.select_option("#map-category", "maptest.only")
    expect(page.locator("#map-counts")).to_have_attribute("data-total", "1")
    expect(page.locator("#one-map .marker-cluster")).to_have_count(0)
    marker = page.locator("#one-map .case-marker")
    expect(marker).to_have_count(1)
    marker.click()
    popup = page.locator("#one-map .leaflet-popup .case-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("地图测试类别")
    expect(popup.locator(".status-chip")).to_have_text("已上报")
    popup.locator(".case-popup-open").click()
    page.wait_for_url(re.compile(rf"#/console/cases/{rid}$"))
    expect(page.locator("#case-title")).to_be_visible()
    # The case page's own small map: the case's pin over its grid.
    expect(page.locator("#case-map .pin")).to_have_count(1)
    expect(page.locator("#case-map path.grid-outline")).to_have_count(1)


@pytest.mark.desktop
def test_a_street_supervisor_sees_only_their_streets_cases(page: Page, sign_in, live_server):
    with live_server.app.app_context():
        street = db.session.scalar(select(Region).where(Region.name == "兰山街道"))
        from backend.incidents.models import Report

        inside = db.session.scalar(select(db.func.count()).select_from(Report).where(
            Report.deleted.is_(False), Report.scope_path.startswith(street.path)))
        db.session.remove()
    open_map(page, sign_in, "street1")
    expect(page.locator("#map-counts")).to_have_attribute("data-total", str(inside))


@pytest.fixture
def hostile_names(live_server) -> str:
    """A category, a case's description, a post and worker1's display name that are HTML
    payloads, and a patrol of worker1 today so that their name is on the map."""
    rid = one_case_of_its_own_category(live_server, name=PAYLOAD, description=PAYLOAD)
    with live_server.app.app_context():
        grid = db.session.scalar(select(Region).where(Region.code == WORKER1_GRID))
        lat, lon = (grid.min_lat + grid.max_lat) / 2, (grid.min_lon + grid.max_lon) / 2
        posts.add_post(region=grid, name=PAYLOAD, lat=lat, lon=lon, radius_m=60)
        worker = db.session.scalar(select(User).where(User.username == "worker1"))
        worker.display_name = PAYLOAD
        start = datetime.now(UTC) - timedelta(minutes=30)
        make_patrol(worker, [(lat, lon + 0.0002 * i, (start + timedelta(seconds=10 * i)).isoformat())
                             for i in range(10)])
        db.session.commit()
        db.session.remove()
    return rid


@pytest.mark.desktop
def test_hostile_names_are_text_in_the_maps_popups_and_tooltips(page: Page, sign_in, hostile_names):
    open_map(page, sign_in)
    page.select_option("#map-category", "maptest.only")
    expect(page.locator("#map-counts")).to_have_attribute("data-total", "1")
    page.locator("#one-map .case-marker").click()
    popup = page.locator("#one-map .leaflet-popup .case-popup")
    expect(popup.locator(".case-popup-category")).to_have_text(PAYLOAD)
    # The worker's last position and the post, each with its name as a tooltip.
    worker = page.locator("#one-map .worker-marker")
    expect(worker).to_have_count(1)
    worker.hover()
    expect(page.locator("#one-map .leaflet-tooltip").filter(has_text=PAYLOAD).first).to_be_visible()
    drawn_posts = page.locator("#one-map path.map-post")
    expect(drawn_posts).to_have_count(2)  # 学校门口 and the hostile one
    for i in range(drawn_posts.count()):
        drawn_posts.nth(i).hover(force=True)
    expect(page.locator("#one-map .leaflet-tooltip").filter(has_text=f"岗位：{PAYLOAD}")).to_have_count(1)
    assert page.evaluate("window.__xss") is None
    expect(page.locator("img[src='x']")).to_have_count(0)


@pytest.mark.desktop
def test_a_case_moving_elsewhere_redraws_the_view(page: Page, sign_in, live_server):
    rid = one_case_of_its_own_category(live_server)
    open_map(page, sign_in)
    page.select_option("#map-category", "maptest.only")
    page.check("#map-status-reported")
    expect(page.locator("#map-counts")).to_have_attribute("data-total", "1")
    # street1 registers it through the API: the map, which asked for reported ones, is told.
    street = Phone(live_server.app.test_client(), "street1", DEMO_PASSWORD)
    answer = live_server.app.test_client().post(f"/api/v1/cases/{rid}/actions", headers=street.headers,
                                                json={"action": "register"})
    assert answer.status_code == 200, answer.get_json()
    expect(page.locator("#map-counts")).to_have_attribute("data-total", "0", timeout=10_000)
