"""The console's posts (岗位): a supervisor sees the posts of their region, places one in a grid
by clicking the map and setting its radius, puts a worker of the grid on it, edits and
deletes posts, and reads the server's refusals next to the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db
from backend.posts.models import Post, PostAssignment
from backend.regions.models import Region

WORKER1_GRID = "371302001002001"  # 南坛社区第一网格, worker1's grid in the demo city
DEMO_POST_POINT = ("35.0576", "118.3658")  # 学校门口, in worker3's grid: outside worker1's


def ids(live_server) -> tuple[str, str]:
    """worker1's id and their grid's."""
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == "worker1"))
        grid = db.session.scalar(select(Region).where(Region.code == WORKER1_GRID))
        result = str(worker.id), str(grid.id)
        db.session.remove()
    return result


def stored_post(live_server, name: str) -> tuple[Post | None, list[str]]:
    """The post by that name and the usernames of the workers on it."""
    with live_server.app.app_context():
        post = db.session.scalar(select(Post).where(Post.name == name))
        holders = [] if post is None else list(db.session.scalars(
            select(User.username).join(PostAssignment, PostAssignment.worker_id == User.id)
            .where(PostAssignment.post_id == post.id)))
        if post is not None:
            db.session.expunge(post)
        db.session.remove()
    return post, holders


def wait_for(predicate, page: Page, timeout_s: float = 10):
    """Polled from here: wait_for_function would take a Promise as truthy at once."""
    for _ in range(int(timeout_s * 20)):
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


@pytest.mark.desktop
def test_a_supervisor_places_a_post_and_puts_a_worker_on_it(page: Page, sign_in, live_server):
    worker_id, grid_id = ids(live_server)
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-posts")

    # The demo post, with worker3 on it.
    demo_row = page.locator("#posts-table tr[data-name='学校门口']")
    expect(demo_row).to_contain_text("砚池社区第三网格")
    expect(demo_row).to_contain_text("80 米")
    expect(demo_row).to_contain_text("王强")
    expect(page.locator("label[for=post-radius]")).to_have_text("半径（米）")

    # A grid: its outline on the map. A point outside it: the server says no, by the form.
    page.select_option("#post-grid", grid_id)
    the_map = page.locator("#posts-map")
    expect(the_map.locator("path.grid-outline")).to_have_count(1)
    page.fill("#post-name", "南坛路口")
    page.fill("#post-lat", DEMO_POST_POINT[0])
    page.fill("#post-lon", DEMO_POST_POINT[1])
    page.click("#post-save")
    expect(page.locator("#post-form-error")).to_have_text("岗位位置必须在所选网格内。")
    expect(page.locator("#post-form-error")).to_have_attribute("data-code", "post_outside_grid")

    # Clicking the middle of the grid places the point; the radius is drawn as it is typed.
    the_map.click()
    expect(page.locator("#post-form-error")).to_have_text("")
    lat, lon = float(page.input_value("#post-lat")), float(page.input_value("#post-lon"))
    assert 35.05 < lat < 35.065 and 118.33 < lon < 118.34, (lat, lon)
    circle = the_map.locator("path.post-draft")
    expect(circle).to_have_count(1)
    page.fill("#post-radius", "30")
    small = circle.get_attribute("d")
    page.fill("#post-radius", "150")
    wait_for(lambda: circle.get_attribute("d") != small, page)
    page.click("#post-save")
    expect(page.locator("#post-form-status")).to_contain_text("已创建岗位「南坛路口」")
    row = page.locator("#posts-table tr[data-name='南坛路口']")
    expect(row).to_contain_text("南坛社区第一网格")
    expect(row).to_contain_text("150 米")
    post, holders = stored_post(live_server, "南坛路口")
    assert post is not None and str(post.region_id) == grid_id and post.radius_m == 150
    assert abs(post.lat - lat) < 1e-6 and abs(post.lon - lon) < 1e-6 and holders == []

    # worker1 on the new post (only workers of its grid are offered).
    expect(page.locator("#post-worker option")).to_have_count(2)  # the prompt and worker1
    page.select_option("#post-worker", worker_id)
    page.click("#post-assign")
    expect(page.locator("#post-worker-list li[data-username=worker1]")).to_contain_text("张伟")
    expect(row).to_have_attribute("data-workers", "1")
    assert stored_post(live_server, "南坛路口")[1] == ["worker1"]

    # A post with workers cannot go: the 409 says to remove them first.
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-delete]").click()
    expect(page.locator("#posts-error")).to_have_text("岗位上还有网格员，请先将他们移出岗位再删除。")
    expect(page.locator("#posts-error")).to_have_attribute("data-code", "post_has_workers")
    assert stored_post(live_server, "南坛路口")[0] is not None

    # Edit the demo post's radius (PATCH).
    demo_row.locator("button[data-edit]").click()
    expect(page.locator("#post-form-title")).to_have_text("编辑岗位：学校门口")
    expect(page.locator("#post-grid")).to_be_disabled()
    page.fill("#post-radius", "120")
    page.click("#post-save")
    expect(page.locator("#post-form-status")).to_contain_text("已保存岗位「学校门口」")
    expect(demo_row).to_contain_text("120 米")
    assert stored_post(live_server, "学校门口")[0].radius_m == 120

    # Take worker1 off the new post; now it can be deleted.
    row.locator("button[data-edit]").click()
    page.click("#post-worker-list button[data-remove]")
    expect(page.locator("#post-worker-list li[data-username]")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-delete]").click()
    expect(row).to_have_count(0)
    assert stored_post(live_server, "南坛路口") == (None, [])


@pytest.mark.desktop
def test_the_posts_page_says_so_when_offline(page: Page, sign_in, context):
    page.goto("/")
    sign_in(page, "supervisor")
    page.click("#to-posts")
    expect(page.locator("#posts-table tbody tr")).to_have_count(1)
    expect(page.locator("#posts-offline")).to_be_hidden()
    context.set_offline(True)
    expect(page.locator("#posts-offline")).to_be_visible()
    expect(page.locator("#posts-offline")).to_contain_text("需要联网")
    context.set_offline(False)
    expect(page.locator("#posts-offline")).to_be_hidden()
