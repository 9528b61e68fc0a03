"""Properties: random offline histories of several phones converge, apply each mutation exactly
once and lose no value (SYNC_PROTOCOL.md guarantees 1–4 and 6).

Hypothesis drives the `field_city` people's phones through offline report edits, status moves,
deletes and punches, pushed normally, with the answer lost, twice, as an old batch again or with
a mutation missing, and pulled at random. The phones' network (`Wire`) shows the test every push
answer, also the ones a phone never gets, so the test knows the first result of each mutation.
After every phone has pushed and pulled, the database is checked against those results.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import HealthCheck, event, example, given, settings, target
from hypothesis import strategies as st
from sqlalchemy import func, or_, select

from backend.accounts.models import User
from backend.common.auth import RegionScope
from backend.extensions import db as _db
from backend.sync_adapter.models import SyncClient, SyncConflict, SyncResult
from backend.sync_adapter.registry import engine
from tests import factories
from tests.factories import G1, G2, G3
from tests.helpers import report_fields, wipe_database
from tests.sync_client import Phone

PUSH_URL = "/api/v1/sync/push"
IDS = uuid.UUID("5d0b7a3e-2f4c-4c8e-9a51-0c6a1e7d2b90")  # namespace: ids are the same on every run
# The field_city fixture's people; w3 works in the other district.
PEOPLE = {"w1": (["worker"], "D1S1C1G1"), "w2": (["worker"], "D1S1C1G2"),
          "w3": (["worker"], "D2S1C1G1"), "boss": (["supervisor"], "D1S1"), "root": (["admin"], None)}
GRIDS = {"G1": G1, "G2": G2, "G3": G3}
TEXT_FIELDS = ("description", "note")
OWNER_FIELD = {"reports": "reporter_id", "attendance": "worker_id"}

# -- the histories ----------------------------------------------------------------------------

# The three in one street meet most often; root (admin) and w3 (elsewhere) less.
phones = st.sampled_from(("w1", "boss", "w2", "w1", "boss", "w2", "w1", "boss", "root", "w3"))
picks = st.integers(0, 7)  # which record, newest first (modulo how many)
# What each kind of step needs besides the phone.
ARGS = {
    "report": (st.sampled_from(tuple(GRIDS)),),
    "edit": (picks, st.sampled_from(("description", "note", "description", "both"))),
    "move": (picks, st.sampled_from(("registered", "dispatched", "handled", "closed", "cancelled")),
             st.booleans()),
    "delete": (picks,),
    "punch": (st.sampled_from(("in", "out")),),
    "punch_again": (picks, st.booleans()),
    "push": (st.sampled_from(("normal", "lost", "twice", "old", "gap")), picks),
    "pull": (st.sampled_from((2, 500)),),
    "sync": (),  # online: push, then pull to the end
}
# Weights by repetition: edits and traffic are what make conflicts and duplicates.
KINDS = ("report", "report", "edit", "edit", "edit", "edit", "move", "delete", "punch",
         "punch_again", "push", "push", "push", "pull", "sync", "sync", "sync")
steps = st.sampled_from(KINDS).flatmap(lambda kind: st.tuples(st.just(kind), phones, *ARGS[kind]))


class Wire:
    """The phones' network: every push answer reaches the test, also one the phone loses."""

    def __init__(self, http):
        self.http = http
        self.pushes: list[tuple[dict, dict]] = []

    def post(self, url, **kwargs):
        response = self.http.post(url, **kwargs)
        if url == PUSH_URL:
            assert response.status_code == 200, response.get_json()
            # A copy: the phone keeps appending to the outbox list it sent.
            request = {**kwargs["json"], "mutations": [dict(m) for m in kwargs["json"]["mutations"]]}
            self.pushes.append((request, response.get_json()))
        return response

    def get(self, url, **kwargs):
        return self.http.get(url, **kwargs)


@dataclass
class Handset:
    phone: Phone
    reports: list[str] = field(default_factory=list)       # made here, in order
    punches: list[tuple[str, dict]] = field(default_factory=list)
    batches: list[list[dict]] = field(default_factory=list)

    def known_reports(self, made: list[str]) -> list[str]:
        """The reports this phone holds or made, newest first (phones work on recent cases)."""
        known = set(self.phone.held("reports")) | set(self.reports)
        return [rid for rid in reversed(made) if rid in known]


def _fresh_field_city(app) -> None:
    """The field_city fixture's city and people on an emptied database.

    The `db` fixture wipes once per test; hypothesis runs many examples in one test, and a
    failing example must replay the same way, so each starts from the same database.
    """
    _db.session.remove()
    wipe_database(app)
    city = factories.make_city()
    factories.make_category("road.pothole", time_limit_h=48)
    for username, (roles, region) in PEOPLE.items():
        factories.make_user(username, roles=roles, region=city[region] if region else None)


def _run(wire: Wire, history: list[tuple]) -> dict[str, Handset]:
    handsets = {name: Handset(Phone(wire, name, client_id=str(uuid.uuid5(IDS, f"phone/{name}"))))
                for name in PEOPLE}
    made: list[str] = []  # every report id, in the order the phones made them
    for number, step in enumerate(history):
        kind, name, *args = step
        handset = handsets[name]
        phone = handset.phone
        text = f"{name}#{number}"  # unique, so that a kept value names the edit it came from
        if kind == "report":
            rid = str(uuid.uuid5(IDS, f"report/{number}"))
            phone.create("reports", report_fields(GRIDS[args[0]], description=f"description:{text}"),
                         record_id=rid)
            handset.reports.append(rid)
            made.append(rid)
        elif kind == "punch":
            lat, lon = GRIDS["G1"]
            fields = {"kind": args[0], "lat": lat, "lon": lon, "accuracy_m": 5.0,
                      "punched_at": "2026-11-22T07:58:00Z"}
            handset.punches.append((phone.create("attendance", fields,
                                                 record_id=str(uuid.uuid5(IDS, f"punch/{number}"))),
                                    fields))
        elif kind == "punch_again" and handset.punches:
            # A reinstalled outbox sends a punch again: the same content, or (a buggy client) other.
            pid, fields = handset.punches[args[0] % len(handset.punches)]
            changed = {**fields, "kind": "out" if fields["kind"] == "in" else "in"}
            phone.create("attendance", fields if args[1] else changed, record_id=pid)
        elif kind in ("edit", "move", "delete") and handset.known_reports(made):
            known = handset.known_reports(made)
            rid = known[args[0] % len(known)]
            if kind == "delete":
                phone.delete("reports", rid)
            elif kind == "move":
                phone.update("reports", rid, {"status": args[1],
                                              **({"note": f"note:{text}"} if args[2] else {})})
            else:
                names = TEXT_FIELDS if args[1] == "both" else (args[1],)
                phone.update("reports", rid, {f: f"{f}:{text}" for f in names})
        elif kind == "push":
            _push(handset, *args)
        elif kind == "pull":
            phone.pull(limit=args[0])
        elif kind == "sync":
            _push(handset, "normal", 0)
            phone.pull()
    # Every phone gets through to the server, then every phone pulls to the end.
    for handset in handsets.values():
        for _ in range(3):
            if handset.phone.outbox:
                handset.phone.push()
        assert handset.phone.outbox == [], handset.phone.username
    for handset in handsets.values():
        handset.phone.pull()
    return handsets


def _push(handset: Handset, mode: str, pick: int) -> None:
    phone = handset.phone
    if mode == "old":
        if handset.batches:  # a stale copy of an earlier batch arrives late
            phone.push(mutations=handset.batches[pick % len(handset.batches)])
        return
    batch = list(phone.outbox)
    if not batch:
        return
    if mode == "gap" and len(batch) >= 3:
        del batch[1]  # the server must stop at the gap, not skip the missing mutation
    handset.batches.append(batch)
    phone.push(mutations=batch, lose_response=mode == "lost")
    if mode == "twice":
        phone.push(mutations=batch)


# -- what the server answered ------------------------------------------------------------------

@dataclass(frozen=True)
class Handled:
    """A mutation and its first result, in the order the server handled them."""

    client_id: str
    mutation: dict
    result: dict


def _first_results(wire: Wire) -> list[Handled]:
    handled: dict[tuple[str, int], Handled] = {}
    for request, answer in wire.pushes:
        sent = {m["mid"]: m for m in request["mutations"]}
        # Handled in mid order up to the last applied one; a gap stops the batch.
        assert [r["mid"] for r in answer["results"]] == [
            mid for mid in sent if mid <= answer["last_mid"]], answer
        for result in answer["results"]:
            key = (request["client_id"], result["mid"])
            if result["status"] == "duplicate":
                # Exactly once: a repeat is not applied again, and its first result comes back.
                assert key in handled, f"duplicate of a mutation never handled: {key}"
                first = {k: v for k, v in handled[key].result.items() if k != "record"}
                assert result["original"] == first, key
                continue
            assert key not in handled, f"mutation {key} was handled twice: {result}"
            handled[key] = Handled(request["client_id"], sent[result["mid"]], result)
    return list(handled.values())


def _version_chains(handled: list[Handled]) -> dict[tuple[str, str], dict[int, tuple[dict, Handled]]]:
    """Per record, each version with the record it was and the mutation that made it.

    A change makes the next version, exactly once; a result that changed nothing repeats the
    current version and record.
    """
    chains: dict[tuple[str, str], dict[int, tuple[dict, Handled]]] = {}
    for item in handled:
        result = item.result
        if result["status"] == "rejected":
            continue
        chain = chains.setdefault((result["collection"], result["id"]), {})
        top = max(chain, default=0)
        if top == 0:
            assert item.mutation["op"] == "create" and result["version"] == 1, result
        if result["version"] == top + 1:
            chain[top + 1] = (result["record"], item)
        else:
            assert result["version"] == top and result["record"] == chain[top][0], result
    return chains


def _stored_record(name: str, row: dict) -> dict:
    collection = engine().registry.get(name)
    if row["deleted"]:
        return engine().tombstone(collection, row)
    return engine().to_record(collection, row)


def _rows(name: str, *where) -> list[dict]:
    table = engine().registry.get(name).table
    return [dict(row) for row in _db.session.execute(select(table).where(*where)).mappings()]


def _visible_records(username: str) -> dict[tuple[str, str], dict]:
    """What this user may see of reports and punches, read from the tables (guarantee 6)."""
    user = _db.session.scalar(select(User).where(User.username == username))
    scope = RegionScope.for_user(user)
    visible = {}
    for name, owner in OWNER_FIELD.items():
        table = engine().registry.get(name).table
        for row in _rows(name, table.c.deleted.is_(False),
                         or_(scope.filter(table.c.scope_path), table.c[owner] == user.id)):
            visible[(name, str(row["id"]))] = _stored_record(name, row)
    return visible


# -- the checks --------------------------------------------------------------------------------

def _check_exactly_once_in_order(handsets: dict[str, Handset], handled: list[Handled]) -> None:
    for handset in handsets.values():
        phone = handset.phone
        mids = [h.mutation["mid"] for h in handled if h.client_id == phone.client_id]
        # Every mutation the phone made was handled, once, in the order it was made.
        assert mids == list(range(1, phone.next_mid)), phone.username
        client = _db.session.get(SyncClient, uuid.UUID(phone.client_id))
        assert client.last_mid == phone.next_mid - 1
        stored = _db.session.scalar(select(func.count()).select_from(SyncResult)
                                    .where(SyncResult.client_id == client.client_id))
        assert stored == phone.next_mid - 1


def _check_versions_and_no_mutation_missing(handled: list[Handled], chains) -> None:
    for name in OWNER_FIELD:
        stored = {str(row["id"]): row for row in _rows(name)}
        # Every record an accepted create made is there, and nothing else.
        assert set(stored) == {rid for (collection, rid) in chains if collection == name}
        for rid, row in stored.items():
            chain = chains[(name, rid)]
            # As many versions as accepted changes: none applied twice, none missing.
            assert row["version"] == max(chain), (name, rid)
            assert _stored_record(name, row) == chain[max(chain)][0], (name, rid)
    for item in handled:
        mutation, result = item.mutation, item.result
        if mutation["op"] == "create" and result["status"] != "rejected":
            record = chains[(mutation["collection"], mutation["id"])][1][0]
            assert {k: record[k] for k in mutation["fields"]} == mutation["fields"], result


def _clock(item: Handled) -> tuple[datetime, str]:
    client_time = datetime.fromisoformat(item.mutation["client_time"].replace("Z", "+00:00"))
    return client_time, item.client_id


def _check_every_loser_is_kept(handled: list[Handled], chains) -> None:
    conflicts = {str(row.id): row for row in _db.session.scalars(select(SyncConflict))}
    told = {c["id"]: (item, c) for item in handled for c in item.result.get("conflict", [])}
    # Each conflict record is in the answer to the mutation that made it, and vice versa.
    assert set(conflicts) == set(told)
    for conflict_id, (item, reported) in told.items():
        row = conflicts[conflict_id]
        assert (str(row.client_id), row.mid, str(row.record_id), row.kind, row.field,
                row.losing_value, row.winning_value) == (
            item.client_id, item.mutation["mid"], item.mutation["id"], reported["kind"],
            reported["field"], reported["losing_value"], reported["winning_value"])

    # Last writer wins: the winning value of a field was written later (client_time, client_id).
    written = {(name, value): item for item in handled for name, value in item.mutation["fields"].items()
               if name in TEXT_FIELDS}
    for row in conflicts.values():
        if row.kind == "field":
            winner, loser = written[(row.field, row.winning_value)], written[(row.field, row.losing_value)]
            assert _clock(winner) > _clock(loser), (row.field, row.winning_value, row.losing_value)

    def kept(rid: str, name: str, value) -> bool:
        for row in conflicts.values():
            if str(row.record_id) != rid:
                continue
            if row.field == name and row.losing_value == value:
                return True
            if row.kind == "delete_wins" and isinstance(row.losing_value, dict) \
                    and row.losing_value.get(name) == value:
                return True
        return False

    for item in handled:
        mutation, result = item.mutation, item.result
        if mutation["collection"] != "reports" or result["status"] == "rejected" \
                or mutation["op"] == "delete":
            continue
        rid, fields = mutation["id"], mutation["fields"]
        chain = chains[("reports", rid)]
        after_delete = [c for c in result.get("conflict", []) if c["kind"] == "delete_wins"]
        if mutation["op"] == "update" and after_delete:
            # Made on a record deleted meanwhile: delete wins, and the whole change is kept.
            assert [c["losing_value"] for c in after_delete] == [fields], result
            assert chain[result["version"]][0]["deleted"], result
            continue
        if "status" in fields:
            # Workflow: decided by the state machine; a refused move is kept for review.
            if "status" in result.get("refused_fields", {}):
                assert kept(rid, "status", fields["status"]), result
            else:
                assert chain[result["version"]][0]["status"] == fields["status"], result
        for name in TEXT_FIELDS:
            if name not in fields:
                continue
            value = fields[name]
            if kept(rid, name, value):
                continue
            made = result["version"]
            assert chain[made][0].get(name) == value, (
                f"{name}={value!r} neither applied nor kept in a conflict: {result}")
            since = made  # the value has been there since this version
            while since > 1 and chain[since - 1][0].get(name) == value:
                since -= 1
            replaced = next((v for v in range(made + 1, max(chain) + 1)
                             if chain[v][0].get("deleted") or chain[v][0].get(name) != value), None)
            if replaced is None:
                continue  # still the value today (the stored record was checked above)
            # Overwritten later: fine if the writer had seen it (its base had it, or it is the
            # phone that wrote it, whose mutations apply in order); otherwise it must be kept.
            writer, replacer = chain[since][1], chain[replaced][1]
            assert (replacer.mutation["base_version"] >= since
                    or replacer.client_id == writer.client_id), (
                f"{name}={value!r} overwritten at v{replaced} by a writer that never saw it, "
                f"and not kept in a conflict")


def _check_convergence(wire: Wire, handsets: dict[str, Handset]) -> None:
    for name, handset in handsets.items():
        phone = handset.phone
        fresh = Phone(wire, name, client_id=str(uuid.uuid5(IDS, f"snapshot/{name}")))
        fresh.pull()
        # What the phone built from increments is a fresh snapshot of the server…
        assert phone.records == fresh.records, name
        # …and holds exactly the records its user may see, as they are stored.
        held = {key: record for key, record in phone.records.items() if key[0] in OWNER_FIELD}
        assert held == _visible_records(name), name


def _note_coverage(wire: Wire, handled: list[Handled]) -> None:
    """What the example exercised (pytest --hypothesis-show-statistics)."""
    for item in handled:
        result = item.result
        event(f"{item.mutation['collection']} {item.mutation['op']} {result['status']}")
        for conflict in result.get("conflict", []):
            event(f"conflict {conflict['kind']}")
    duplicates = sum(r["status"] == "duplicate" for _, answer in wire.pushes for r in answer["results"])
    if duplicates:
        event("duplicates answered")
    # Steer generation towards histories with more conflicts and repeats.
    target(duplicates + 3 * sum(len(i.result.get("conflict", [])) for i in handled),
           label="duplicates + 3 × conflicts")


# -- the property --------------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          # The database is reset by each example itself (_fresh_field_city).
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(steps, min_size=10, max_size=40))
# Two phones edit one report offline; one answer is lost, one batch sent twice, an old one late.
@example(history=[
    ("report", "w1", "G1"), ("sync", "w1"), ("sync", "boss"),
    ("edit", "boss", 0, "both"), ("edit", "w1", 0, "description"),
    ("push", "boss", "lost", 0), ("push", "w1", "twice", 0), ("push", "boss", "normal", 0),
    ("push", "w1", "old", 0)])
# Delete wins both ways, a workflow move closed meanwhile, a gap, a punch sent again.
@example(history=[
    ("report", "w1", "G1"), ("report", "w1", "G2"), ("punch", "w1", "in"), ("sync", "w1"),
    ("sync", "boss"), ("delete", "w1", 0), ("edit", "boss", 0, "note"),
    ("move", "boss", 1, "closed", False), ("edit", "w1", 1, "description"),
    ("move", "w1", 1, "registered", True), ("push", "boss", "normal", 0),
    ("punch_again", "w1", 0, True), ("punch_again", "w1", 0, False), ("push", "w1", "gap", 0),
    ("push", "w1", "normal", 0), ("edit", "boss", 1, "description"),
    ("edit", "boss", 0, "description")])
# Scope: w3's report stays off the D1 phones; root edits and pages through everything.
@example(history=[
    ("report", "w3", "G3"), ("report", "w2", "G1"), ("sync", "w3"), ("sync", "w2"),
    ("pull", "root", 2), ("pull", "w1", 2), ("edit", "root", 0, "note"),
    ("edit", "root", 1, "description"), ("delete", "w2", 0), ("sync", "w2"), ("sync", "root"),
    ("move", "w1", 0, "closed", True)])
def test_random_offline_histories_converge_exactly_once_and_keep_every_loser(app, client, db, history):
    _fresh_field_city(app)
    try:
        wire = Wire(client)
        handsets = _run(wire, history)
        handled = _first_results(wire)
        chains = _version_chains(handled)
        _note_coverage(wire, handled)
        _check_exactly_once_in_order(handsets, handled)
        _check_versions_and_no_mutation_missing(handled, chains)
        _check_every_loser_is_kept(handled, chains)
        _check_convergence(wire, handsets)
    finally:
        _db.session.remove()  # an open read would block the next example's wipe on PostgreSQL
