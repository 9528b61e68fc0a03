"""What several browser tests share: where the phone is, waiting on the app, reading the
live server's database. Test modules import from here, never from each other."""

from __future__ import annotations

import uuid

import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.extensions import db
from backend.incidents.models import Report

DEMO_PASSWORD = "demo12345"  # every demo account's (the live server's DEMO_PASSWORD)

# Inside 银雀山社区第一网格, a demo grid (not worker1's own: a worker may report anywhere).
IN_GRID = {"latitude": 35.051, "longitude": 118.352}
GEO = {"permissions": ["geolocation"], "geolocation": IN_GRID}

# The start of a page.evaluate() body that works on the app's own store module.
STORE = "const store = await import('/app/store.js'); const owner = (await store.getSession()).user.id;"


def reports_described(live_server, description: str) -> list[Report]:
    with live_server.app.app_context():
        rows = db.session.scalars(select(Report).where(Report.description == description)).all()
        db.session.remove()
        return rows


def outbox_count(page: Page) -> int:
    return page.evaluate("civicgrid.outboxCount()")


def wait_outbox(page: Page, n: int, timeout_s: float = 15) -> None:
    """Until the app's outbox holds n mutations. Polled here: wait_for_function treats
    the Promise an async predicate returns as truthy and would return at once."""
    page.wait_for_function("window.civicgrid !== undefined")
    for _ in range(int(timeout_s * 20)):
        if outbox_count(page) == n:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the outbox still holds {outbox_count(page)} mutations, not {n}")


def poll(page: Page, function: str, timeout_s: float = 15) -> None:
    """Until an async function in the page returns true (page.evaluate awaits it)."""
    for _ in range(int(timeout_s * 20)):
        if page.evaluate(function):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {function}")


def wait_synced(page: Page) -> None:
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced", timeout=15_000)


def signed_in_and_installed(page: Page, sign_in, username: str = "worker1") -> None:
    page.goto("/")
    sign_in(page, username)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    wait_synced(page)


def pick_category(page: Page, query: str = "道路破损", code: str = "road.pothole") -> None:
    """Search the report form's category picker and pick the result with this code."""
    page.fill("#category-search", query)
    page.click(f"#category-results [data-code='{code}']")
    expect(page.locator("#category-limit")).to_have_attribute("data-chosen", code)


def make_report(page: Page, description: str) -> None:
    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    pick_category(page)
    page.fill("#description", description)
    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text(description)


def stored_case(live_server, rid: str) -> Report:
    """A case as the server keeps it now (detached, to read after the app context ends)."""
    with live_server.app.app_context():
        report = db.session.get(Report, uuid.UUID(rid))
        db.session.expunge(report)
        db.session.remove()
    return report


def api(base_url: str, username: str) -> requests.Session:
    """A requests session signed in as this demo user."""
    session = requests.Session()
    login = session.post(f"{base_url}/api/v1/auth/login",
                         json={"username": username, "password": DEMO_PASSWORD}, timeout=10)
    login.raise_for_status()
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return session
