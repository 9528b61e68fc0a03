"""Pull: a snapshot, then increments in commit order, each record once per page, 410s."""

from __future__ import annotations

import pytest

from tests.factories import G1
from tests.helpers import report_fields
from tests.sync_client import Phone


def test_a_fresh_pull_is_a_snapshot_of_everything_in_scope(client, field_city):
    worker = Phone(client, "w1")
    ids = {worker.create("reports", report_fields()) for _ in range(3)}
    worker.push()
    boss = Phone(client, "boss")
    boss.pull()
    assert set(boss.held("reports")) == ids
    assert boss.held("categories") and {r["code"] for r in boss.held("regions").values()} == {
        "D1S1", "D1S1C1", "D1S1C2", "D1S1C1G1", "D1S1C1G2", "D1S1C2G1", "D1S1C2G2"}


def test_pages_are_in_commit_order_and_hold_each_record_once(client, field_city):
    worker = Phone(client, "w1")
    for _ in range(7):
        worker.create("reports", report_fields())
    worker.push()
    boss = Phone(client, "boss")
    pages = []
    while True:
        query = {"client_id": boss.client_id, "limit": 3, **({"cursor": boss.cursor} if boss.cursor else {})}
        body = client.get("/api/v1/sync/pull", headers=boss.headers, query_string=query).get_json()
        pages.append(body["changes"])
        boss.cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert all(len(page) <= 3 for page in pages)
    seen = [(c["collection"], c["id"]) for page in pages for c in page]
    assert len(seen) == len(set(seen))
    reports = [c["record"]["code"] for page in pages for c in page if c["collection"] == "reports"]
    assert reports == sorted(reports)  # created in this order, so committed in this order


def test_an_incremental_pull_brings_only_what_changed(client, field_city):
    worker = Phone(client, "w1")
    first = worker.create("reports", report_fields())
    worker.create("reports", report_fields())
    worker.push()
    boss = Phone(client, "boss")
    boss.pull()
    worker.pull()
    worker.update("reports", first, {"description": "更新"})
    worker.push()
    changes = boss.pull()
    assert [(c["collection"], c["id"], c["version"]) for c in changes] == [("reports", first, 2)]
    assert boss.held("reports")[first]["description"] == "更新"


def test_deletes_arrive_as_tombstones(client, field_city):
    worker = Phone(client, "w1")
    rid = worker.create("reports", report_fields())
    worker.push()
    boss = Phone(client, "boss")
    boss.pull()
    worker.pull()
    worker.delete("reports", rid)
    worker.push()
    changes = boss.pull()
    assert changes == [{"collection": "reports", "id": rid, "version": 2, "deleted": True}]
    assert rid not in boss.held("reports")


def test_a_snapshot_leaves_out_old_tombstones(client, field_city):
    worker = Phone(client, "w1")
    rid = worker.create("reports", report_fields())
    worker.push()
    worker.pull()
    worker.delete("reports", rid)
    worker.push()
    newcomer = Phone(client, "boss")
    changes = newcomer.pull()
    assert not any(c["id"] == rid for c in changes)


def test_pull_reports_the_last_applied_mid(client, field_city):
    worker = Phone(client, "w1")
    worker.create("reports", report_fields())
    worker.push(lose_response=True)
    assert worker.outbox  # the phone never heard back…
    worker.pull()
    assert worker.outbox == []  # …but the pull tells it the mutation was applied


@pytest.mark.parametrize("cursor", ["garbage", "eyJzZXEiOjB9.AAAA", ""])
def test_an_unknown_or_forged_cursor_is_410(client, field_city, login_as, cursor):
    response = client.get("/api/v1/sync/pull", headers=login_as("boss"),
                          query_string={"client_id": "6f1c2a52-8a66-4f5e-9e4e-8a3f0b8b3c11",
                                        "cursor": cursor})
    assert response.status_code == (410 if cursor else 200)


def test_a_widened_cursor_is_refused(client, field_city, login_as):
    import base64
    import json

    boss = Phone(client, "boss")
    boss.pull()
    body, mac = boss.cursor.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(body))
    data["scope"] = "*"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode() + "." + mac
    response = client.get("/api/v1/sync/pull", headers=boss.headers,
                          query_string={"client_id": boss.client_id, "cursor": forged})
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "cursor_unknown"


def test_a_supervisors_cursor_replayed_by_a_worker_is_refused_and_names_nothing(client, field_city):
    worker = Phone(client, "w1")
    worker.create("reports", report_fields())
    worker.push()
    admin = Phone(client, "root")
    admin.pull()
    other = Phone(client, "w3")  # another district: the admin's cursor covers what w3 may not see
    response = client.get("/api/v1/sync/pull", headers=other.headers,
                          query_string={"client_id": other.client_id, "cursor": admin.cursor})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cursor_not_yours"
    assert "changes" not in response.get_json()


@pytest.mark.parametrize("query", [{"client_id": "x"}, {}, {"client_id": "6f1c2a52-8a66-4f5e-9e4e-8a3f0b8b3c11", "limit": 0},
                                   {"client_id": "6f1c2a52-8a66-4f5e-9e4e-8a3f0b8b3c11", "limit": 100000},
                                   {"client_id": "6f1c2a52-8a66-4f5e-9e4e-8a3f0b8b3c11", "limit": "ten"}])
def test_bad_pull_parameters_are_4xx(client, field_city, login_as, query):
    response = client.get("/api/v1/sync/pull", headers=login_as("boss"), query_string=query)
    assert response.status_code in (400, 422) and "error" in response.get_json()


def test_citizens_pull_public_reference_data_only(client, field_city):
    from tests.factories import make_user

    make_user("c1")
    worker = Phone(client, "w1")
    worker.create("reports", report_fields())
    worker.push()
    citizen = Phone(client, "c1")
    citizen.pull()
    assert {name for name, _ in citizen.records} == {"categories"}
    assert G1  # the report's point lies in w1's grid; the citizen sees none of it
