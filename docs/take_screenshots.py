"""Retake the README's screenshots from a running server (`make run`, demo city loaded).

    .venv/bin/python docs/take_screenshots.py [--base http://127.0.0.1:8000]

It first gives worker1 a morning's patrol and a report through the real sync API (as a
phone would push them), so the console has a track to play back and a case to open.
Run it on a fresh demo database: it adds data each time.
"""

from __future__ import annotations

import argparse
import json
import math
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "demo12345"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
COMMON = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def call(base: str, method: str, path: str, body=None, token: str | None = None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def seed_worker_day(base: str) -> tuple[float, float]:
    """A two-hour patrol zig-zagging across worker1's grid this morning, and a report."""
    token = call(base, "POST", "/api/v1/auth/login",
                 {"username": "worker1", "password": PASSWORD})["access_token"]
    me = call(base, "GET", "/api/v1/me", token=token)
    ring = call(base, "GET", f"/api/v1/regions/{me['region_id']}", token=token)["boundary"]
    coords = ring["coordinates"][0] if ring["type"] == "Polygon" else ring["coordinates"][0][0]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    patrol, mutations, mid = str(uuid.uuid4()), [], 0

    def add(collection, fields, op="create", record=None, base_version=None):
        nonlocal mid
        mid += 1
        mutations.append({"mid": mid, "collection": collection, "id": record or str(uuid.uuid4()),
                          "op": op, "base_version": base_version, "fields": fields,
                          "client_time": iso(datetime.now(UTC))})

    add("patrols", {"started_at": iso(start)}, record=patrol)
    points = 720  # every 10 s for two hours
    for i in range(points):
        lane = i // 120  # six lanes west to east, walked alternately north and south
        along = (i % 120) / 119
        along = along if lane % 2 == 0 else 1 - along
        lon = west + (east - west) * (0.12 + 0.76 * lane / 5) + 0.00003 * math.sin(i / 7)
        lat = south + (north - south) * (0.1 + 0.8 * along)
        add("track_points", {"patrol_id": patrol, "lat": lat, "lon": lon, "accuracy_m": 6.0,
                             "recorded_at": iso(start + timedelta(seconds=10 * i))})
    add("patrols", {"ended_at": iso(start + timedelta(seconds=10 * points))}, op="update",
        record=patrol, base_version=1)
    lat, lon = (south + north) / 2, (west + east) / 2
    add("reports", {"category": "road.pothole", "description": "人行道井盖破损，已设置警示",
                    "lat": lat, "lon": lon, "photos": [],
                    "reported_at": iso(start + timedelta(minutes=40))})
    client = str(uuid.uuid4())
    for first in range(0, len(mutations), 200):
        call(base, "POST", "/api/v1/sync/push",
             {"client_id": client, "mutations": mutations[first:first + 200]}, token)
    return lat, lon


def sign_in(page, user: str) -> None:
    page.goto("/")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.locator("#signin-form [type=submit]").click()
    page.wait_for_selector("#signin-form", state="detached")
    page.wait_for_timeout(2500)  # the first sync


def shoot(page, name: str, *, full_page: bool = False) -> None:
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print("saved", OUT / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    base = parser.parse_args().base
    lat, lon = seed_worker_day(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        phone = browser.new_context(base_url=base, **PHONE, **COMMON,
                                    geolocation={"latitude": lat, "longitude": lon,
                                                 "accuracy": 8},
                                    permissions=["geolocation"])
        page = phone.new_page()
        sign_in(page, "worker1")
        page.goto("/#/reports")
        shoot(page, "phone-reports")
        page.locator("#report-list a").first.click()
        shoot(page, "phone-report-detail", full_page=True)
        page.goto("/#/reports/new")
        page.wait_for_timeout(1500)
        page.fill("#category-search", "井盖")
        shoot(page, "phone-report-new")
        phone.close()

        phone = browser.new_context(base_url=base, **PHONE, **COMMON,
                                    geolocation={"latitude": 35.0579, "longitude": 118.3661,
                                                 "accuracy": 8},
                                    permissions=["geolocation"])
        page = phone.new_page()
        sign_in(page, "worker3")
        page.goto("/#/attendance")
        page.wait_for_timeout(2000)
        shoot(page, "phone-attendance-post")
        phone.close()

        desktop = browser.new_context(base_url=base, **DESKTOP, **COMMON)
        page = desktop.new_page()
        sign_in(page, "supervisor")
        shoot(page, "desktop-supervisor-console")
        page.goto("/#/console/tracks")
        page.wait_for_timeout(1500)
        page.wait_for_selector("#tracks-worker option[data-username=worker1]", state="attached")
        value = page.get_attribute("#tracks-worker option[data-username=worker1]", "value")
        page.select_option("#tracks-worker", value)
        page.wait_for_timeout(2500)
        page.fill("#tracks-scrub", "400")
        page.dispatch_event("#tracks-scrub", "input")
        shoot(page, "desktop-console-tracks")
        page.goto("/#/console/posts")
        page.wait_for_timeout(1500)
        page.locator("#posts-table button").first.click()  # edit 学校门口: its map and workers
        page.wait_for_timeout(1500)
        shoot(page, "desktop-console-posts")
        desktop.close()
        browser.close()


if __name__ == "__main__":
    main()
