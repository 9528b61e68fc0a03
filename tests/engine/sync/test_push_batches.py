"""A push reads and prepares once for the whole batch: the records it touches, categories,
grids. Each mutation must still see what the ones before it did, a rejected one must undo
only itself, and nothing read once may outlive the push."""

from __future__ import annotations

import dataclasses
import uuid

import sqlalchemy as sa

from backend.common.time import utcnow
from backend.incidents.models import CaseCounter, Report
from backend.regions.services import update_region
from backend.sync_adapter.registry import engine
from backend.sync_adapter.services import actor_for
from sync.engine import Engine
from sync.errors import Rejection
from sync.registry import Registry
from tests import factories
from tests.factories import G1
from tests.helpers import report_fields
from tests.sync_client import Phone


def test_a_record_created_and_changed_in_one_push_ends_at_its_last_change(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields())
    phone.update("reports", rid, {"description": "second"}, base_version=1)
    phone.update("reports", rid, {"note": "third"}, base_version=2)
    results = phone.push()["results"]
    assert [(r["status"], r["version"]) for r in results] == [
        ("applied", 1), ("applied", 2), ("applied", 3)]
    assert results[-1]["record"]["description"] == "second"
    report = db.session.get(Report, uuid.UUID(rid))
    assert (report.version, report.description, report.note) == (3, "second", "third")


def test_an_id_whose_create_was_rejected_can_be_created_later_in_the_same_push(client, field_city):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(category="no.such"))
    phone.create("reports", report_fields(), record_id=rid)
    results = phone.push()["results"]
    assert [(r["status"], r.get("error", {}).get("code")) for r in results] == [
        ("rejected", "unknown_category"), ("applied", None)]


def test_a_retried_batch_shows_each_record_as_it_is_now(client, field_city):
    phone, boss = Phone(client, "w1"), Phone(client, "boss")
    rid = phone.create("reports", report_fields())
    batch = list(phone.outbox)
    phone.push(mutations=batch)
    boss.pull()
    boss.update("reports", rid, {"note": "seen"})
    boss.push()
    again = phone.push(mutations=batch)["results"][0]
    assert again["status"] == "duplicate" and again["original"]["version"] == 1
    assert again["version"] == 2 and again["record"]["note"] == "seen"


def test_a_category_added_after_a_push_is_known_to_the_next_one(client, field_city):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields(category="tree.fallen"))
    assert phone.push()["results"][0]["error"]["code"] == "unknown_category"
    factories.make_category("tree.fallen", time_limit_h=4)
    phone.create("reports", report_fields(category="tree.fallen"))
    result = phone.push()["results"][0]
    assert result["status"] == "applied"
    assert result["record"]["deadline_at"] == "2026-11-23T06:00:00Z"  # 4 working hours: Mon 14:00


def test_a_district_renamed_after_a_push_numbers_the_next_cases_with_its_new_code(
        client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    assert phone.push()["results"][0]["record"]["code"] == "D1202611220001"
    update_region(field_city.city["D1"].id, {"code": "D9"})
    phone.create("reports", report_fields())
    assert phone.push()["results"][0]["record"]["code"] == "D9202611220001"


def test_a_mutation_rejected_after_writing_undoes_only_its_own_writes(field_city, db):
    """A hook that writes and then refuses: its write goes, the neighbours' stay."""
    reports = engine().registry.get("reports")

    def write_then_judge(ctx, values):
        ctx.conn.execute(sa.insert(CaseCounter.__table__).values(
            prefix=values["description"], last=0))
        if values["description"] == "refused":
            raise Rejection("refused", "Refused after writing.")
        return reports.prepare_create(ctx, values)

    registry = Registry()
    registry.register(dataclasses.replace(reports, prepare_create=write_then_judge))
    judging = Engine(registry=registry, tables=engine().tables, codec=engine().codec)
    mutations = [{"mid": mid, "collection": "reports", "id": str(uuid.uuid4()), "op": "create",
                  "base_version": None, "client_time": "2026-11-22T08:00:00Z",
                  "fields": report_fields(G1, description=description)}
                 for mid, description in enumerate(("before", "refused", "after"), start=1)]
    body = judging.push(db.session.connection(), actor_for(field_city.w1),
                        {"client_id": str(uuid.uuid4()), "mutations": mutations}, utcnow())
    db.session.commit()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    prefixes = set(db.session.scalars(sa.select(CaseCounter.prefix)))
    assert {"before", "after"} <= prefixes and "refused" not in prefixes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2
