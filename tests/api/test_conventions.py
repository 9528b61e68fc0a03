"""API conventions that hold everywhere: JSON errors, never a 500, OpenAPI covers it all."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from backend import create_app
from tests.factories import make_user
from tests.helpers import assert_json_error


def test_unknown_route_is_json_404(client):
    assert_json_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_unknown_id_in_path_is_json_404(client, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    assert_json_error(client.get(f"/api/v1/regions/{uuid.uuid4()}", headers=headers), 404)
    assert_json_error(client.get("/api/v1/regions/not-a-uuid", headers=headers), 404)
    assert_json_error(client.get("/api/v1/accounts/12345", headers=headers), 404)


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/v1/auth/login")
    assert_json_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/login", data='{"username": "x",', content_type="application/json")
    assert_json_error(response, 400, "malformed_json")


DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_json_nested_deeper_than_any_parser_goes_is_400_everywhere(client, city, login_as):
    # Deeper than Python's JSON parser recurses: without care that is a 500 and a traceback.
    headers = login_as(make_user("root", roles=["admin"]))
    grid_id = str(city["D1S1C1G1"].id)
    anonymous = client.post("/api/v1/auth/login", data=DEEP_JSON, content_type="application/json")
    assert_json_error(anonymous, 400, "malformed_json")
    tried = 0
    for path, operations in _spec(client)["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", grid_id, path)
        for method in set(operations) & {"post", "patch", "put"}:
            response = getattr(client, method)(url, data=DEEP_JSON, content_type="application/json",
                                               headers=headers)
            tried += 1
            assert response.status_code < 500, (method, url, response.get_data(as_text=True)[:300])
            assert "error" in response.get_json(), (method, url)
    assert tried > 10


def test_a_page_number_past_any_list_is_refused_not_a_500(client, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    response = client.get("/api/v1/regions?page=99999999999999999999", headers=headers)
    assert_json_error(response, 422, "validation_error")


@pytest.mark.parametrize("body", [
    {}, {"username": "x"}, {"username": 5, "password": "x"}, {"username": "x", "password": None},
    {"username": "x", "password": "y", "extra": 1}, [], "text", 42,
])
def test_wrong_or_missing_fields_are_422_with_details(client, body):
    error = assert_json_error(client.post("/api/v1/auth/login", json=body), 422, "validation_error")
    assert error["message"]


@pytest.mark.parametrize("body", [[], "x", 3, {"access_token": 5}])
def test_junk_body_without_a_token_is_401(client, body):
    assert_json_error(client.post("/api/v1/accounts", json=body), 401, "token_missing")
    response = client.post("/api/v1/auth/refresh", json=body)
    assert response.status_code in (401, 422) and "error" in response.get_json()


def test_huge_body_is_413(client):
    body = json.dumps({"username": "x", "password": "y" * (3 * 1024 * 1024)})
    assert_json_error(client.post("/api/v1/auth/login", data=body, content_type="application/json"),
                       413, "payload_too_large")


def test_unexpected_failure_is_json_500_without_trace_and_rolled_back(tmp_path):
    from backend.extensions import db
    from backend.regions.models import RegionsRevision

    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                      "SECRET_KEY": "k" * 40})

    @app.get("/boom")
    def boom():
        db.session.add(RegionsRevision(id=1, revision=99))
        db.session.flush()
        raise RuntimeError("secret internals")

    with app.app_context():
        db.create_all()
    response = app.test_client().get("/boom")
    error = assert_json_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RegionsRevision, 1) is None
    assert error


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
    "sqlite:////nonexistent-dir/for/sure/db.sqlite",
])
def test_healthz_is_503_when_the_database_does_not_answer(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40})
    assert_json_error(app.test_client().get("/healthz"), 503, "database_unavailable")


def _spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_covers_every_route(app, client):
    spec_paths = set(_spec(client)["paths"])
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.startswith("/api/v1/openapi") \
                or rule.rule == "/healthz":
            routes.add(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule))
    assert routes and routes <= spec_paths, routes - spec_paths


def test_openapi_documents_bodies_and_responses_with_schemas(client):
    # Blobs are photo bytes, up and down: binary image bodies instead of JSON; exports
    # (paths ending in .csv or .xlsx) are CSV or an Excel workbook; live updates a stream.
    images = {"image/jpeg", "image/png", "image/webp"}
    streams = {"/api/v1/live": {"text/event-stream"},
               "/api/v1/halls/{hall_id}/events": {"text/event-stream"}}
    for path, operations in _spec(client)["paths"].items():
        is_blob = path.startswith("/api/v1/blobs/")
        export_types = {".csv": {"text/csv"}, ".xlsx": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}
        export = next((types for suffix, types in export_types.items() if path.endswith(suffix)),
                      streams.get(path))
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            assert operation.get("summary") or operation.get("description"), (method, path)
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, (method, path)
            if method in {"post", "patch", "put"} and path not in {"/api/v1/auth/logout"}:
                content = operation.get("requestBody", {}).get("content", {})
                assert "application/json" in content or is_blob and set(content) == images, (method, path)
            for code in ok:
                if code != "204":
                    content = operation["responses"][code]["content"]
                    if is_blob and method == "get":
                        assert set(content) <= images and content, (method, path)
                        continue
                    if export:
                        assert set(content) == export, (method, path)
                        continue
                    assert content["application/json"]["schema"], (method, path)


JUNK_BODIES = [None, [], "x", 0, True, {"id": "x" * 5000}, {"roles": "admin"},
               {"region_id": "not-a-uuid"}, {"boundary": {"type": "Polygon", "coordinates": "x"}},
               {"boundary": {"type": "Polygon", "coordinates": [[["a", "b"]]]}},
               {"parent_id": 5, "code": ["x"], "name": {"a": 1}}, {"password": 12345678},
               {"username": "ok123", "password": "long enough 1", "roles": ["citizen", None]}]
JUNK_QUERIES = ["page=0", "page=-1", "per_page=100000", "page=abc", "page=99999999999999999999", "level=planet", "lat=1e999&lon=0",
                "parent_id=xyz", "bbox=1,2,3", "q=" + "x" * 500, "role=god", "is_active=maybe"]


def test_junk_input_to_every_endpoint_never_gives_a_500(client, city, login_as):
    """Every operation in the OpenAPI document, fed junk as an admin: a JSON 4xx, never a 5xx."""
    headers = login_as(make_user("root", roles=["admin"]))
    grid_id = str(city["D1S1C1G1"].id)
    for path, operations in _spec(client)["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", grid_id, path)
        for method in operations:
            if method == "get":
                cases = [("get", f"{url}?{q}", None) for q in JUNK_QUERIES]
            elif method in {"post", "patch", "put"}:
                cases = [(method, url, body) for body in JUNK_BODIES]
            else:
                continue
            for verb, target, body in cases:
                kwargs = {"headers": headers}
                if body is not None:
                    kwargs["json"] = body
                response = getattr(client, verb)(target, **kwargs)
                assert response.status_code < 500, (verb, target, body, response.get_data(as_text=True)[:300])
                if response.status_code >= 400:
                    assert "error" in response.get_json(), (verb, target, body)


def test_the_web_app_is_served_at_the_root(client):
    page = client.get("/")
    assert page.status_code == 200 and b'lang="zh-CN"' in page.data
    assert client.get("/app/main.js").status_code == 200
    assert client.get("/i18n/zh-CN.json").get_json()["signin.title"] == "登录"


@pytest.mark.parametrize("path", ["/nothing.js", "/../backend/config.py", "/api/v1/"])
def test_missing_files_are_json_404(client, path):
    assert_json_error(client.get(path), 404)
