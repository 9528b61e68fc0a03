"""The demo city that `make run` loads, and signing in to its accounts (for the demo tests
and the API fuzzing, which needs a whole city to reach past 404s)."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo(app, db):
    """The demo city, loaded by its flask command in demo mode (as `make run` does)."""
    app.config["DEMO_MODE"] = True
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
        assert result.exit_code == 0, result.output
        yield result
    finally:
        app.config["DEMO_MODE"] = False


@pytest.fixture
def demo_login(app, login_as):
    """demo_login(username) → headers signed in as that demo account."""
    return lambda username: login_as(username, app.config["DEMO_PASSWORD"])
