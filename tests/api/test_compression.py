"""HTTP compression: zstd or gzip answers for clients that ask, gzip request bodies (the PWA's
pushes), with the byte limits applied to what the body decompresses to."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import uuid
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.common.compression import zstd
from backend.incidents.models import Report
from tests.factories import G1, PASSWORD, make_user
from tests.helpers import assert_json_error
from tests.sync_client import Phone

CHROME = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chrome sends over HTTPS
GZIP = {"Accept-Encoding": "gzip, deflate"}  # Chrome over plain HTTP, older WebViews
DECODE = {"zstd": zstd.decompress, "gzip": gzip.decompress}


def _mutation(mid: int, description: str = "路面坑洼") -> dict:
    lat, lon = G1
    return {"mid": mid, "collection": "reports", "id": str(uuid.uuid4()), "op": "create",
            "base_version": None, "client_time": "2026-11-22T08:00:00Z",
            "fields": {"category": "road.pothole", "description": description, "lat": lat,
                       "lon": lon, "reported_at": "2026-11-22T08:00:00Z"}}


def _push_body(count: int = 20, client_id: str | None = None) -> dict:
    return {"client_id": client_id or str(uuid.uuid4()),
            "mutations": [_mutation(mid) for mid in range(1, count + 1)]}


def _gzip_post(client, path: str, raw: bytes, headers: dict, encoding: str = "gzip"):
    return client.post(path, data=raw, content_type="application/json",
                       headers={**headers, "Content-Encoding": encoding})


def _count_reports(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


# -- answers ------------------------------------------------------------------------------

def test_json_is_gzipped_when_asked_and_decodes_to_the_same_answer(client, db):
    plain = client.get("/api/v1/openapi.json")
    packed = client.get("/api/v1/openapi.json", headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    assert packed.mimetype == "application/json"
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_json_is_zstd_for_a_client_that_asks_and_decodes_to_the_same_answer(client, db):
    plain = client.get("/api/v1/openapi.json")
    packed = client.get("/api/v1/openapi.json", headers=CHROME)
    assert packed.headers["Content-Encoding"] == "zstd"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    assert json.loads(zstd.decompress(packed.data)) == plain.get_json()


@pytest.mark.parametrize("accept, encoding", [
    (CHROME["Accept-Encoding"], "zstd"), ("zstd", "zstd"), ("gzip, zstd;q=0.8", "gzip"),
    ("zstd;q=0, gzip", "gzip"), ("zstd;q=0.5, gzip;q=0.5", "zstd"), ("*", "gzip"),
    ("*, zstd;q=0", "gzip"), (GZIP["Accept-Encoding"], "gzip")])
def test_zstd_only_for_a_client_that_names_it_at_least_as_gladly_as_gzip(client, db, accept,
                                                                         encoding):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": accept})
    assert response.headers["Content-Encoding"] == encoding
    assert json.loads(DECODE[encoding](response.data))["openapi"]


@pytest.mark.parametrize("accept", [CHROME, GZIP])
def test_a_pull_page_is_packed_for_the_phone(client, field_city, db, accept):
    phone = Phone(client, "w1")
    for n in range(10):
        phone.create("reports", {**_mutation(0)["fields"], "description": f"第 {n} 处坑洼"})
    phone.push()
    query = {"client_id": phone.client_id, "limit": 500}
    plain = client.get("/api/v1/sync/pull", headers=phone.headers, query_string=query)
    packed = client.get("/api/v1/sync/pull", headers={**phone.headers, **accept}, query_string=query)
    encoding = packed.headers["Content-Encoding"]
    assert packed.status_code == 200 and encoding == ("zstd" if accept is CHROME else "gzip")
    assert json.loads(DECODE[encoding](packed.data))["changes"] == plain.get_json()["changes"]


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br, deflate", "*;q=0",
                                    "zstd;q=0, gzip;q=0"])
def test_not_packed_unless_the_client_accepts_zstd_or_gzip(client, db, accept):
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get("/api/v1/openapi.json", headers=headers)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_json()["openapi"]


def test_a_wildcard_accepts_gzip(client, db):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "*"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_small_answers_head_and_errors_stay_plain(client, db):
    small = client.get("/healthz", headers=CHROME)
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
    head = client.head("/api/v1/openapi.json", headers=CHROME)
    assert head.status_code == 200 and "Content-Encoding" not in head.headers
    missing = client.get("/api/v1/nothing-here", headers=CHROME)
    assert_json_error(missing, 404, "not_found")
    assert "Content-Encoding" not in missing.headers


def test_images_are_never_packed(client, db, login_as):
    headers = {**login_as(make_user(roles=["worker"])), **CHROME}
    buffer = io.BytesIO()
    Image.effect_noise((600, 400), 40).convert("RGB").save(buffer, "WEBP", quality=75)
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    put = client.put(f"/api/v1/blobs/{sha}", data=data, headers=headers, content_type="image/webp")
    assert put.status_code == 201
    for path in (f"/api/v1/blobs/{sha}", f"/api/v1/blobs/{sha}/thumbnail"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.mimetype.startswith("image/")
        assert "Content-Encoding" not in response.headers
    assert client.get(f"/api/v1/blobs/{sha}", headers=headers).data == data
    again = client.get(f"/api/v1/blobs/{sha}", headers={**headers, "If-None-Match": f'"{sha}"'})
    assert again.status_code == 304 and "Content-Encoding" not in again.headers


# -- request bodies ------------------------------------------------------------------------

def test_a_gzipped_push_applies_as_a_plain_one(client, field_city, db, login_as):
    headers = login_as("w1")
    body = _push_body(20)
    raw = json.dumps(body, ensure_ascii=False).encode()
    response = _gzip_post(client, "/api/v1/sync/push", gzip.compress(raw), {**headers, **GZIP})
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Encoding"] == "gzip"
    result = json.loads(gzip.decompress(response.data))
    assert result["last_mid"] == 20 and {r["status"] for r in result["results"]} == {"applied"}
    assert _count_reports(db) == 20
    # The same batch again, plain this time: the very same mutations, so duplicates.
    again = client.post("/api/v1/sync/push", headers=headers, json=body)
    assert {r["status"] for r in again.get_json()["results"]} == {"duplicate"}
    assert _count_reports(db) == 20


def test_the_push_limit_counts_decompressed_bytes_and_allows_up_to_it(app, client, field_city, db, login_as):
    # Over the JSON limit of other routes (MAX_CONTENT_LENGTH) but within SYNC_MAX_BATCH_BYTES.
    padding = " " * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    raw = (json.dumps(_push_body(2)) + padding).encode()
    assert len(raw) < app.config["SYNC_MAX_BATCH_BYTES"]
    response = _gzip_post(client, "/api/v1/sync/push", gzip.compress(raw), login_as("w1"))
    assert response.status_code == 200, response.data[:300]
    assert _count_reports(db) == 2


def test_a_gzip_bomb_is_413_and_applies_nothing(app, client, field_city, db, login_as):
    padding = " " * (app.config["SYNC_MAX_BATCH_BYTES"] + 1)
    bomb = gzip.compress((json.dumps(_push_body(2)) + padding).encode(), 9)
    assert len(bomb) < 10_000
    response = _gzip_post(client, "/api/v1/sync/push", bomb, login_as("w1"))
    assert_json_error(response, 413, "payload_too_large")
    assert _count_reports(db) == 0


def test_other_json_posts_take_gzip_with_their_own_limit(app, client, db):
    make_user("someone", roles=["worker"])
    login = json.dumps({"username": "someone", "password": PASSWORD}).encode()
    response = _gzip_post(client, "/api/v1/auth/login", gzip.compress(login), {})
    assert response.status_code == 200 and response.get_json()["access_token"]
    bomb = gzip.compress(login[:-1] + b" " * app.config["MAX_CONTENT_LENGTH"] + b"}")
    assert_json_error(_gzip_post(client, "/api/v1/auth/login", bomb, {}), 413, "payload_too_large")


def _corrupt_bodies() -> list:
    packed = gzip.compress(json.dumps(_push_body(3)).encode())
    flipped = bytearray(packed)
    flipped[len(flipped) // 2] ^= 0xFF
    return [
        pytest.param(json.dumps(_push_body(3)).encode(), id="plain-json-labelled-gzip"),
        pytest.param(packed[: len(packed) // 2], id="truncated"),
        pytest.param(bytes(flipped), id="bit-flip"),
        pytest.param(packed + b"trailing junk", id="trailing-junk"),
        pytest.param(zlib.compress(b"{}"), id="zlib-not-gzip"),
    ]


@pytest.mark.parametrize("data", _corrupt_bodies())
def test_corrupt_gzip_is_a_json_400_and_applies_nothing(client, field_city, db, login_as, data):
    response = _gzip_post(client, "/api/v1/sync/push", data, login_as("w1"))
    assert_json_error(response, 400, "malformed_gzip")
    assert _count_reports(db) == 0


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, br"])
def test_an_unknown_encoding_is_a_json_415(client, field_city, db, login_as, encoding):
    raw = gzip.compress(json.dumps(_push_body(1)).encode())
    response = _gzip_post(client, "/api/v1/sync/push", raw, login_as("w1"), encoding=encoding)
    assert_json_error(response, 415, "unsupported_content_encoding")
    assert _count_reports(db) == 0


def test_identity_is_a_plain_body(client, field_city, db, login_as):
    raw = json.dumps(_push_body(1)).encode()
    response = _gzip_post(client, "/api/v1/sync/push", raw, login_as("w1"), encoding="identity")
    assert response.status_code == 200 and _count_reports(db) == 1
