"""A pull builds records in bulk (sync/records.py RecordReader); they must be exactly what
to_record makes of the stored rows, which is what a push answers with, for every collection."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from backend.extensions import db as _db
from backend.queue.services import add_hall
from backend.sync_adapter.registry import engine
from sync.records import to_record
from tests.factories import G1
from tests.helpers import report_fields
from tests.sync_client import Phone


def test_every_pulled_record_is_to_record_of_its_stored_row(client, field_city, db):
    worker = Phone(client, "w1")
    worker.create("reports", report_fields(description="非 ASCII ✓", photos=["a" * 64],
                                           reported_at="2026-11-22T16:00:00+08:00"))
    patrol = worker.create("patrols", {"started_at": "2026-11-22T08:00:00Z"})  # ended_at null
    worker.create("track_points", {"patrol_id": patrol, "lat": G1[0], "lon": G1[1],
                                   "recorded_at": "2026-11-22T08:00:05Z"})
    worker.create("attendance", {"kind": "in", "lat": G1[0], "lon": G1[1], "accuracy_m": 8.5,
                                 "punched_at": "2026-11-22T07:58:00Z"})
    worker.create("photos", {"sha256": "b" * 64, "record_collection": "patrols",
                             "record_id": patrol})
    assert {r["status"] for r in worker.push()["results"]} == {"applied"}
    add_hall(name="大厅", lat=G1[0], lon=G1[1], fence_radius_m=50.0, services=[("A", "户籍")])
    db.session.commit()

    pulled = [c for c in Phone(client, "root").pull() if "record" in c]
    assert {c["collection"] for c in pulled} == {
        "regions", "categories", "halls", "services", "reports", "patrols", "track_points",
        "attendance", "photos"}
    registry = engine().registry
    for change in pulled:
        collection = registry.get(change["collection"])
        row = _db.session.execute(sa.select(collection.table).where(
            collection.table.c.id == uuid.UUID(change["id"]))).mappings().one()
        expected = to_record(collection, dict(row))
        assert change["record"] == expected and list(change["record"]) == list(expected)
        assert change["version"] == row["version"]
