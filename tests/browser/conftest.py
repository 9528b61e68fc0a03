"""Browser tests: Playwright drives Debian's Chromium against a live server.

- The server is a werkzeug threaded server in this process, on 127.0.0.1 (a service
  worker needs a secure context) and a free port. Its database is a fresh SQLite file
  holding the demo city (README's accounts, password demo12345). `base_url` is set, so
  `page.goto("/")` works.
- Browser tests run once, always on this SQLite server, whatever CIVICGRID_TEST_DBS
  says. They never use the parametrized `app` fixture. They test the PWA and the HTTP
  flow; tests/api already runs every query on both databases.
- Every test starts from the freshly loaded demo city. The database is restored from a
  snapshot taken after the load (about 12 ms; loading again would take 0.25 s even with
  the cheap hash). Every test also gets its own browser context, so IndexedDB, caches
  and the service worker start fresh too. After a test, the server must finish the
  test's requests within 20 s, or the test errors with their stacks.
- Contexts are a phone (390×844, touch, zh-CN, Asia/Shanghai). Mark a test
  `@pytest.mark.desktop` for 1440×900. A test that needs both opens the second one
  with `desktop_context`. `persistent_context` is the one to install the app from.
- `sign_in(page, username)` signs in through the form.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from backend import create_app
from backend.demo import services as demo
from backend.extensions import db as _db
from tests.browser.helpers import DEMO_PASSWORD

HERE = Path(__file__).resolve().parent
# Debian's package: `playwright install` cannot download its own build here.
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "is_mobile": False, "has_touch": False}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("desktop"):
            # pytest-playwright reads only the closest browser_context_args mark, so the
            # desktop size goes into one mark together with any the test has.
            args = dict(DESKTOP)
            for mark in reversed(list(item.iter_markers("browser_context_args"))):
                args.update(mark.kwargs)
            item.add_marker(pytest.mark.browser_context_args(**args), append=False)


class _RequestCounter:
    """WSGI middleware that tracks the requests in flight, so that a test is over only
    once the server has finished what the test started."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.in_flight: dict[object, tuple[str, int]] = {}
        self.changed = threading.Condition()
        # path → (content type, body) served instead of the app's file: a "new release"
        # of the service worker, which context.route cannot intercept (the browser
        # fetches a worker's script itself when it checks for an update).
        self.overrides: dict[str, tuple[str, bytes]] = {}

    def __call__(self, environ, start_response):
        override = self.overrides.get(environ.get("PATH_INFO", ""))
        if override is not None:
            content_type, body = override
            start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-cache"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        key = object()
        with self.changed:
            self.in_flight[key] = (f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}",
                                   threading.get_ident())
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done(key)
            raise
        return _Tracked(body, partial(self._done, key))

    def _done(self, key: object) -> None:
        with self.changed:
            self.in_flight.pop(key, None)
            self.changed.notify_all()

    def describe(self) -> str:
        """The requests in flight, each with the end of its thread's stack."""
        frames = sys._current_frames()
        with self.changed:
            running = list(self.in_flight.values())
        return "\n".join(f"{what}, at:\n" + "".join(traceback.format_stack(frames[ident])[-8:])
                         for what, ident in running if ident in frames)

    def wait_idle(self, timeout_s: float) -> None:
        """Fails with the stuck requests' stacks, then forgets them so that later tests
        are not blamed for them too."""
        with self.changed:
            if self.changed.wait_for(lambda: not self.in_flight, timeout=timeout_s):
                return
        stuck = self.describe()
        with self.changed:
            self.in_flight.clear()
        raise RuntimeError(f"requests still running {timeout_s} s after the test's browser "
                           f"contexts closed:\n{stuck}")


class _Tracked:
    """The response body; the request is over once it has all been handed to the server.

    Not only on close(): werkzeug calls close() after draining what the client sent
    beyond the request, and when the browser has already sent its next request on the
    connection that drain ends in the socket timeout and close() is never called."""

    def __init__(self, body, done: Callable[[], None]) -> None:
        self.body, self.done = body, done

    def __iter__(self):
        try:
            yield from self.body
        finally:
            self.done()

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


class _TimeoutRequestHandler(WSGIRequestHandler):
    """A socket that stays silent for 10 s ends its request. Chromium going offline
    (set_offline) can leave a connection open without closing it: a thread reading a
    push body, or writing a big pull into a full socket buffer, then waited forever
    and the test was blamed for a request it had abandoned. A real phone behind
    gunicorn gets the same bound from its worker timeout."""

    timeout = 10


@dataclass
class LiveServer:
    url: str
    app: Flask
    database: Path
    snapshot: Path
    blobs: Path
    requests: _RequestCounter

    def restore(self) -> None:
        """Back to the demo city just loaded: database, blobs and per-process caches.

        Copied table by table in one transaction rather than with sqlite3's backup(),
        which retries forever while a request holds the write lock. This one fails after
        the busy timeout."""
        with closing(sqlite3.connect(self.database, timeout=15, isolation_level=None)) as conn:
            conn.execute("ATTACH DATABASE ? AS snapshot", (str(self.snapshot),))
            tables = [name for (name,) in conn.execute(
                "SELECT name FROM snapshot.sqlite_master WHERE type = 'table'"
                " AND name NOT IN ('sqlite_stat1', 'sqlite_stat4')")]
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise RuntimeError(f"cannot restore the demo city: {error}; a request left "
                                   "behind by an earlier test holds SQLite's write lock:\n"
                                   f"{self.requests.describe()}") from error
            for table in tables:  # foreign keys are off on this plain connection
                conn.execute(f'DELETE FROM main."{table}"')
                conn.execute(f'INSERT INTO main."{table}" SELECT * FROM snapshot."{table}"')
            conn.execute("COMMIT")
        shutil.rmtree(self.blobs, ignore_errors=True)
        self.app.extensions.pop("civicgrid.cache", None)
        self.requests.overrides.clear()


def _load_demo_city(tmp: Path) -> tuple[Flask, Path, Path]:
    database, snapshot, blobs = tmp / "live.sqlite", tmp / "demo-city.sqlite", tmp / "blobs"
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": "browser-test-secret-key-long-enough-for-hs256",
        # Demo accounts in 0.1 s instead of 0.9 s; sign-in checks the same way.
        "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1,
        "DEMO_PASSWORD": DEMO_PASSWORD, "DEMO_MODE": True,
        "BLOB_STORAGE_PATH": str(blobs),
        # A console's live stream is a request in flight until a write finds its browser
        # gone: a beat every half second ends it soon after the test's contexts close.
        "LIVE_HEARTBEAT_S": 0.5,
    })
    with app.app_context():
        flask_migrate.upgrade()
        demo.load_demo_city()
        _db.session.remove()
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(snapshot)) as target:
        source.backup(target)
    return app, database, snapshot


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live-server")
    app, database, snapshot = _load_demo_city(tmp)
    requests = _RequestCounter(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, requests, threaded=True,
                                          request_handler=_TimeoutRequestHandler)
    thread = threading.Thread(target=partial(server.serve_forever, poll_interval=0.1),
                              name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, database=database,
                     snapshot=snapshot, blobs=tmp / "blobs", requests=requests)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_city(live_server: LiveServer) -> Iterator[None]:
    """Each test starts on the demo city as `flask demo load` leaves it. Torn down last,
    after the browser contexts: it waits for the server to finish the test's requests,
    which could otherwise write into the next test's city. The wait is longer than
    SQLite's busy timeout (15 s), so a request waiting for the write lock ends first."""
    live_server.restore()
    yield
    live_server.requests.wait_idle(timeout_s=20)


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it, or run "
                    "`apt-get install -y chromium fonts-noto-cjk`", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # bypass_csp: Playwright's wait_for_function evaluates its string in the page, which
    # the app's Content-Security-Policy forbids (no eval). The policy itself is tested in
    # contexts of their own (test_content_security_policy.py).
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "bypass_csp": True, **PHONE}


@pytest.fixture
def desktop_context(browser: Browser, browser_context_args: dict) -> Iterator[BrowserContext]:
    """A desktop context beside the test's phone `page` (e.g. a worker and the console)."""
    context = browser.new_context(**{**browser_context_args, **DESKTOP})
    yield context
    context.close()


@pytest.fixture
def persistent_context(browser_type: BrowserType, browser_type_launch_args: dict,
                       browser_context_args: dict, request: pytest.FixtureRequest,
                       tmp_path: Path) -> Iterator[BrowserContext]:
    """A phone context with a profile on disk, in a Chromium of its own. Use it to test
    installing the app: every other context is off the record, and Chromium never offers
    to install from one (installability error `in-incognito`). The test's
    browser_context_args mark applies."""
    mark = request.node.get_closest_marker("browser_context_args")
    context = browser_type.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args,
        **{**browser_context_args, **(mark.kwargs if mark else {})})
    yield context
    context.close()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """sign_in(page, username, password=demo12345): through the form; returns once the
    sign-in request has succeeded (opens / first if the page is still blank)."""

    def _sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
        if page.url == "about:blank":
            page.goto("/")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as login:
            page.locator("#signin-form [type=submit]").click()
        assert login.value.ok, f"sign-in as {username} failed: {login.value.status} {login.value.text()}"

    return _sign_in
