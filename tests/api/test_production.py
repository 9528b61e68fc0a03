"""A production start is only what the operator set: its own secret, a named database, no
demo data and no demo hint; the first administrator is made at a prompt."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import func, select

from backend import create_app
from backend.accounts.models import User

SECRET = "a-production-secret-of-more-than-32-characters"


def _production(tmp_path, **overrides):
    config = {"ENVIRONMENT": "production", "SECRET_KEY": SECRET, "DATABASE_URL_GIVEN": True,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}",
              "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1, "DEMO_MODE": False}
    application = create_app({**config, **overrides})
    with application.app_context():
        flask_migrate.upgrade()
    return application


@pytest.mark.parametrize("overrides,says", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"DATABASE_URL_GIVEN": False}, "DATABASE_URL"),
    ({"DEMO_MODE": True}, "DEMO_MODE"),
])
def test_production_refuses_to_start_without_what_only_the_operator_can_set(tmp_path, overrides, says):
    with pytest.raises(RuntimeError, match=says):
        _production(tmp_path, **overrides)


def test_production_never_loads_the_demo_city_or_shows_its_hint(tmp_path):
    application = _production(tmp_path)
    result = application.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "demo mode" in result.output
    with application.app_context():
        assert application.extensions["sqlalchemy"].session.scalar(select(func.count(User.id))) == 0
    about = application.test_client().get("/api/v1/about")
    assert about.status_code == 200 and about.get_json() == {"demo_mode": False}


def test_the_demo_says_so_before_sign_in(tmp_path):
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
                              "SECRET_KEY": SECRET, "DEMO_MODE": True})
    assert application.test_client().get("/api/v1/about").get_json() == {"demo_mode": True}


def test_the_first_administrator_is_made_at_a_prompt(tmp_path):
    application = _production(tmp_path)
    runner = application.test_cli_runner()
    strong = "Grid-Works 2026 city"
    result = runner.invoke(args=["accounts", "create-admin", "chief"], input=f"{strong}\n{strong}\n")
    assert result.exit_code == 0, result.output
    assert "administrator chief created" in result.output
    client = application.test_client()
    signed_in = client.post("/api/v1/auth/login", json={"username": "chief", "password": strong})
    assert signed_in.status_code == 200 and signed_in.get_json()["user"]["roles"] == ["admin"]
    again = runner.invoke(args=["accounts", "create-admin", "chief"], input=f"{strong}\n{strong}\n")
    assert again.exit_code != 0 and "taken" in again.output


@pytest.mark.parametrize("weak", [
    "short1A!",          # too short
    "alllower1234",      # two kinds of character and under 16
    "chief-Secret-99",   # holds the username
    "password1234",      # on every guessing list
])
def test_a_weak_administrator_password_is_refused(tmp_path, weak):
    application = _production(tmp_path)
    result = application.test_cli_runner().invoke(
        args=["accounts", "create-admin", "chief"], input=f"{weak}\n{weak}\n")
    assert result.exit_code != 0, result.output
    with application.app_context():
        assert application.extensions["sqlalchemy"].session.scalar(select(func.count(User.id))) == 0
