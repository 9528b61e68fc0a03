"""Every response carries the security headers; API answers are never cached."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_user


def _policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in
                  response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.mark.parametrize("path", ["/", "/app/main.js", "/app/styles.css", "/sw.js", "/healthz",
                                  "/api/v1/openapi.json", "/api/v1/nothing-here", "/nothing-here"])
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    policy = _policy(response)
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' blob: data:"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert "geolocation=(self)" in permissions and "camera=(self)" in permissions
    assert "microphone=()" in permissions
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_hsts_only_over_tls(client):
    response = client.get("/healthz", base_url="https://civicgrid.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_api_answers_with_tokens_or_personal_data_are_never_stored(client, city):
    make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    login = client.post("/api/v1/auth/login", json={"username": "w1", "password": PASSWORD})
    assert login.status_code == 200
    assert login.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})
    assert me.headers["Cache-Control"] == "no-store"
    failed = client.post("/api/v1/auth/login", json={"username": "w1", "password": "wrong"})
    assert failed.status_code == 401 and failed.headers["Cache-Control"] == "no-store"
