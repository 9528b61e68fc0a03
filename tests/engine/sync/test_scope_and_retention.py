"""Scope: what leaves a user's scope is removed from their phone. Retention: old cursors get 410."""

from __future__ import annotations

from tests.factories import G1, G2, G3
from tests.helpers import report_fields
from tests.sync_client import Phone


def test_a_worker_moved_to_another_grid_loses_the_old_grid_and_gets_the_new(client, field_city, login_as):
    w1, w2 = Phone(client, "w1"), Phone(client, "w2")
    own = w1.create("reports", report_fields(G1))
    w1.push()
    in_old_grid = w2.create("reports", report_fields(G1))   # in w1's grid, by w2
    in_new_grid = w2.create("reports", report_fields(G2))   # in w2's grid
    w2.push()
    w1.pull()
    assert set(w1.held("reports")) == {own, in_old_grid}

    response = client.patch(f"/api/v1/accounts/{field_city.w1.id}", headers=login_as("root"),
                            json={"region_id": str(field_city.city["D1S1C1G2"].id)})
    assert response.status_code == 200
    changes = w1.pull()
    removed = {c["id"] for c in changes if c.get("reason") == "scope"}
    assert in_old_grid in removed and str(field_city.city["D1S1C1G1"].id) in removed
    assert own not in removed  # their own report stays theirs
    assert set(w1.held("reports")) == {own, in_new_grid}
    assert {r["code"] for r in w1.held("regions").values()} == {"D1S1C1G2"}


def test_records_leaving_scope_through_an_edit_are_removed(client, field_city):
    """A report deleted by its reporter leaves the phones of its grid (a move to another
    grid: tests/engine/incidents/test_report_moved_to_another_grid.py)."""
    w2 = Phone(client, "w2")
    w1 = Phone(client, "w1")
    rid = w2.create("reports", report_fields(G1))
    w2.push()
    w1.pull()
    assert rid in w1.held("reports")
    w2.pull()
    w2.delete("reports", rid)
    w2.push()
    w1.pull()
    assert rid not in w1.held("reports")


def test_compaction_sends_old_cursors_back_to_a_snapshot_without_losing_the_outbox(app, client, field_city):
    worker = Phone(client, "w1")
    rid = worker.create("reports", report_fields())
    worker.push()
    boss = Phone(client, "boss")
    boss.pull()
    worker.pull()
    worker.delete("reports", rid)
    worker.push()
    stale_cursor = boss.cursor
    result = app.test_cli_runner().invoke(args=["sync", "compact", "--days", "0"])
    assert result.exit_code == 0 and "tombstones': 1" in result.output
    response = client.get("/api/v1/sync/pull", headers=boss.headers,
                          query_string={"client_id": boss.client_id, "cursor": stale_cursor})
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "cursor_expired"
    pending = boss.update("reports", rid, {"note": "offline edit"})
    boss.pull()  # 410 → pull from scratch, outbox kept
    assert rid not in boss.held("reports") and boss.outbox == [pending]
    result = boss.push()["results"][0]
    assert result["status"] == "merged" and result["conflict"][0]["kind"] == "delete_wins"


def test_compaction_forgets_old_departures_and_sends_older_cursors_to_a_snapshot(
        app, client, field_city):
    reporter, old_grid = Phone(client, "w2"), Phone(client, "w1")
    rid = reporter.create("reports", report_fields(G1))
    reporter.push()
    reporter.pull()
    old_grid.pull()
    lat, lon = G3
    reporter.update("reports", rid, {"lat": lat, "lon": lon})
    reporter.push()
    stale_cursor = old_grid.cursor
    result = app.test_cli_runner().invoke(args=["sync", "compact", "--days", "0"])
    assert result.exit_code == 0 and "'departures': 1" in result.output
    response = client.get("/api/v1/sync/pull", headers=old_grid.headers,
                          query_string={"client_id": old_grid.client_id, "cursor": stale_cursor})
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "cursor_expired"
    old_grid.pull()  # 410 → pull from scratch
    assert rid not in old_grid.held("reports")


def test_compaction_keeps_exactly_once_for_late_retries(app, client, field_city, db):
    from sqlalchemy import func, select

    from backend.incidents.models import Report

    worker = Phone(client, "w1")
    worker.create("reports", report_fields())
    batch = list(worker.outbox)
    worker.push()
    app.test_cli_runner().invoke(args=["sync", "compact", "--days", "0"])
    again = worker.push(mutations=batch)["results"][0]
    assert again["status"] == "duplicate" and again["original"] is None
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1
