"""Sync over HTTP as phones do it: our server against Kinto, on SQLite and on PostgreSQL.

    .venv/bin/python bench/sync_bench.py [--records 10000] [--workers 4] [--no-kinto]

Our server runs as `make run` runs it (gunicorn, several workers, loopback, a free port)
on a fresh SQLite database and then on a fresh PostgreSQL one, each migrated and loaded
with the demo city. Phones sign in and drive /api/v1/sync the way the PWA does, in the
phases of ../shared/bench/kinto_sync_bench.py, which runs in the same run against Kinto
(memory backend beside our SQLite, PostgreSQL backend beside our PostgreSQL):

  push         worker1 pushes N new reports in their grid, 500 mutations a push
  pull         a fresh install of worker1 pulls its whole scope (pages of 1,000)
  edits        the supervisor (another client) edits N/10 of them
  incremental  the fresh install pulls just those edits
  conflicts    worker1's first install updates the same N/10 on its stale base_version:
               merged field by field in one round trip (Kinto: 412, then a re-send)
  deletes      worker1 deletes 1,000 others; the fresh install pulls the tombstones

Every answer is checked (status applied/merged, counts, versions); a failed check stops
the run. Beside each phase: the server's CPU time and its processes' peak memory; beside
the push, the rate of a bare multi-row INSERT of the same rows into the same database (the
physical limit), into a copy of the table without indexes and into the table itself;
beside the reads, the rate the benchmark's client alone allows (its decoding). Goals, each
printed met or not: push ≥ 3× Kinto, every read ≥ 2× Kinto, full pull ≥ 50,000/s, push ≥
3,000/s, stale updates ≥ 2,000/s, push ≥ 30 % of the bare INSERT. Then a grid worker's
whole scope is pulled by a fresh install on the demo city and on the full-size synthetic
city (12,387 grids) with records in the worker's grid; the goal is under 2 s. Servers,
databases and temporary folders are removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import string
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import requests  # noqa: E402
import shapely  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.servers import (  # noqa: E402
    BIN,
    PG_ADMIN_URL,
    ROOT,
    BenchError,
    cpu_seconds,
    expect,
    iso,
    kinto_venv,
    log,
    our_env,
    pg_database,
    process_tree,
    reset_peak_rss,
    rss_bytes,
    run,
    start_kinto,
    start_ours,
    temp_dir,
)

KINTO_SCRIPT = ROOT.parent / "shared" / "bench" / "kinto_sync_bench.py"
PASSWORD = "demo12345"  # every demo account's (DEMO_PASSWORD)
AFTER_PHOTO = "a" * 64  # a photo's sha256 (its bytes are not needed to name it)
BATCH = 500             # mutations per push: the protocol's limit (SYNC_MAX_MUTATIONS)
PAGE = 1000             # changes per pull page: our maximum, and Kinto's --page-size
TIMEOUT = 120           # seconds per HTTP request
PUSH_GOAL = 3.0         # ours ≥ 3 × Kinto, push, on the same database
READ_GOAL = 2.0         # ours ≥ 2 × Kinto, every read phase, on the same database
READ_PHASES = ("pull", "incremental", "tombstones")
FULL_PULL_GOAL = 50_000  # records/s, both databases
PUSH_RATE_GOAL = 3_000   # new records/s, both databases
STALE_RATE_GOAL = 2_000  # stale updates merged/s, both databases
RAW_SHARE_GOAL = 0.30    # our push as a share of a bare multi-row INSERT of the same rows
SCOPE_PULL_GOAL_S = 2.0
T0 = datetime(2026, 11, 1, tzinfo=UTC)



def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Phone:
    """One app install: a signed-in user, its client_id, its mid counter and its pull cursor."""

    def __init__(self, base: str, username: str, password: str = PASSWORD):
        self.base = base
        self.http = requests.Session()
        answer = self.http.post(f"{base}/api/v1/auth/login", timeout=TIMEOUT,
                                json={"username": username, "password": password})
        expect(answer.status_code == 200,
               f"sign-in of {username}: {answer.status_code} {answer.text[:300]}")
        body = answer.json()
        self.user = body["user"]
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        self.client_id = str(uuid.uuid4())
        self.mid = 0
        self.cursor: str | None = None
        self.requests = 0
        # The client's own share of a phase: decoding answers' JSON (as Kinto's client does,
        # with requests' .json()), and how many bytes of JSON that was (after gzip).
        self.decoding = 0.0
        self.received = 0
        # What came over the wire: its bytes, and how the server packed them (requests asks
        # for gzip and, with backports.zstd installed as here, zstd, as Chrome over HTTPS).
        self.wire = 0
        self.encodings: Counter = Counter()

    def call(self, method: str, path: str, expected: int = 200, **kwargs) -> dict:
        self.requests += 1
        answer = self.http.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        expect(answer.status_code == expected,
               f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        started = time.perf_counter()
        body = answer.json()
        self.decoding += time.perf_counter() - started
        self.received += len(answer.content)
        self.wire += int(answer.headers.get("Content-Length") or len(answer.content))
        self.encodings[answer.headers.get("Content-Encoding", "identity")] += 1
        return body

    def push(self, mutations: list[dict]) -> list[dict]:
        """One push of the next mids; every mutation must have been handled."""
        first = self.mid + 1
        body = {"client_id": self.client_id, "sent_at": iso(datetime.now(UTC)),
                "mutations": [{"mid": first + i, **m} for i, m in enumerate(mutations)]}
        answer = self.call("POST", "/api/v1/sync/push", data=json.dumps(body),
                           headers={"Content-Type": "application/json"})
        last = first + len(mutations) - 1
        expect(answer["last_mid"] == last and len(answer["results"]) == len(mutations),
               f"push of mids {first}–{last}: last_mid {answer['last_mid']}, "
               f"{len(answer['results'])} results")
        self.mid = last
        return answer["results"]

    def pull(self, limit: int = PAGE, max_pages: int = 10_000) -> tuple[list[dict], int]:
        """Pull from this install's cursor until has_more is false: (changes, pages)."""
        changes, pages = [], 0
        while True:
            params = {"client_id": self.client_id, "limit": limit}
            if self.cursor:
                params["cursor"] = self.cursor
            body = self.call("GET", "/api/v1/sync/pull", params=params)
            changes.extend(body["changes"])
            self.cursor = body["cursor"]
            pages += 1
            if not body["has_more"]:
                return changes, pages
            expect(pages < max_pages, f"more than {max_pages} pull pages")


def statuses(results: list[dict]) -> Counter:
    return Counter(result["status"] for result in results)


def check_statuses(results: list[dict], wanted: str, what: str) -> None:
    counts = statuses(results)
    if counts != Counter({wanted: len(results)}):
        bad = next(r for r in results if r["status"] != wanted)
        raise BenchError(f"{what}: expected {len(results)} × {wanted}, got {dict(counts)}; "
                         f"e.g. {json.dumps(bad, ensure_ascii=False)[:500]}")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


class Meter:
    """Wall time of a phase, and the CPU time the server spent in it (read outside the timing).

    On a busy machine a phase whose wall time is far above the server's CPU time waited for
    a core (or for the database), rather than computing.
    """

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self) -> Meter:
        self.cpu = cpu_seconds(self.pid)
        # Resident memory of each server process: the largest it grew to in the phase (the
        # kernel's high-water mark, started again here), and by how much. Nothing runs
        # beside the client meanwhile: a sampling thread cost it a few ms a read.
        self._before = {p: rss_bytes(p) for p in process_tree(self.pid)}
        self._reset = all([reset_peak_rss(p) for p in self._before])
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.server_cpu = cpu_seconds(self.pid) - self.cpu
        # Where the mark cannot be started again, the phase's end stands in for its peak.
        peak = {p: max(self._before[p], rss_bytes(p, "VmHWM" if self._reset else "VmRSS"))
                for p in self._before}
        self.peak_rss = max(peak.values())
        self.rss_growth = max(peak[p] - self._before[p] for p in self._before)

    def figures(self, records: int, **extra) -> dict:
        return {"records": records, "seconds": self.seconds, "rate": rate(records, self.seconds),
                "server_cpu": self.server_cpu, "peak_rss": self.peak_rss,
                "rss_growth": self.rss_growth, **extra}


# -- data --------------------------------------------------------------------------------

def points_in(boundary: dict, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """`count` random (lat, lon) inside a grid's boundary, a metre clear of its edge."""
    polygon = shapely.from_geojson(json.dumps(boundary))
    inner = polygon.buffer(-0.00001)
    inner = polygon if inner.is_empty else inner
    min_lon, min_lat, max_lon, max_lat = inner.bounds
    found: list[tuple[float, float]] = []
    while len(found) < count:
        lons = rng.uniform(min_lon, max_lon, 2 * count + 8)
        lats = rng.uniform(min_lat, max_lat, 2 * count + 8)
        inside = shapely.contains_xy(inner, lons, lats)
        found.extend(zip(lats[inside].round(7).tolist(), lons[inside].round(7).tolist(),
                         strict=True))
    return found[:count]


def new_reports(points: list[tuple[float, float]], categories: list[str],
                rng: random.Random) -> list[tuple[str, dict]]:
    """(id, fields) of new reports, as a phone makes them offline; as big as Kinto's records."""
    reports = []
    for i, (lat, lon) in enumerate(points):
        description = "".join(rng.choice(string.ascii_lowercase + "     ") for _ in range(100))
        reports.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), {
            "category": categories[i % len(categories)], "description": description,
            "lat": lat, "lon": lon, "photos": [],
            "reported_at": iso(T0 + timedelta(minutes=i))}))
    return reports


def creates(reports: list[tuple[str, dict]]) -> list[dict]:
    now = iso(datetime.now(UTC))
    return [{"collection": "reports", "id": rid, "op": "create", "base_version": None,
             "fields": fields, "client_time": now} for rid, fields in reports]


def push_all(phone: Phone, reports: list[tuple[str, dict]], what: str) -> None:
    for chunk in chunks(reports, BATCH):
        check_statuses(phone.push(creates(chunk)), "applied", what)


def by_collection(changes: list[dict]) -> Counter:
    return Counter(c["collection"] + (" (deleted)" if c.get("deleted") else "") for c in changes)


# -- our server: the phases ---------------------------------------------------------------

def our_phases(base: str, pid: int, n: int, m: int, deletes: int, seed: int) -> dict:
    out: dict = {}
    worker = Phone(base, "worker1")
    # Setup, untimed: the phone's first sync brings the categories and its grid.
    reference, _ = worker.pull()
    categories = sorted(c["record"]["code"] for c in reference if c["collection"] == "categories")
    grids = [c["record"] for c in reference
             if c["collection"] == "regions" and c["record"]["level"] == "grid"]
    expect(bool(categories) and len(grids) == 1,
           f"worker1's first pull: {len(categories)} categories, {len(grids)} grids")
    grid = grids[0]
    points = points_in(grid["boundary"], n, np.random.default_rng(seed))
    for lat, lon in points[:3]:
        located = worker.call("GET", "/api/v1/regions/locate", params={"lat": lat, "lon": lon})
        expect(located["grid"]["id"] == grid["id"], f"({lat}, {lon}) is not in worker1's grid")
    reports = new_reports(points, categories, random.Random(seed))
    ids = [rid for rid, _ in reports]
    base_pulled = len(reference)
    # The demo city's own cases in worker1's grid come with every full pull too.
    held_before = {c["id"] for c in reference if c["collection"] == "reports"}

    # a. push
    times = []
    with Meter(pid) as meter:
        for chunk in chunks(reports, BATCH):
            t = time.perf_counter()
            results = worker.push(creates(chunk))
            times.append(time.perf_counter() - t)
            check_statuses(results, "applied", "push")
            expect(all(r["version"] == 1 and r["record"]["grid_id"] == grid["id"]
                       for r in results),
                   "push: a new report without version 1 or in the wrong grid")
    tenth = max(1, len(times) // 10)
    out["push"] = meter.figures(n, requests=len(times),
                                first_10pct=rate(tenth * BATCH, sum(times[:tenth])),
                                last_10pct=rate(tenth * BATCH, sum(times[-tenth:])))
    log(f"  push        {n} reports in {meter.seconds:.2f} s = {rate(n, meter.seconds):,.0f}/s "
        f"({len(times)} pushes of ≤ {BATCH}; server CPU {meter.server_cpu:.1f} s)")

    # b. full pull by a fresh install
    fresh = Phone(base, "worker1")
    with Meter(pid) as meter:
        changes, pages = fresh.pull()
    pull_decoding, pull_bytes = fresh.decoding, fresh.received
    pulled = [c["id"] for c in changes if c["collection"] == "reports" and not c.get("deleted")
              and c["id"] not in held_before]
    expect(len(changes) == len({(c["collection"], c["id"]) for c in changes}),
           "full pull: a record came twice")
    expect(sorted(pulled) == sorted(ids) and len(changes) == n + base_pulled,
           f"full pull: {len(pulled)} of {n} reports, {len(changes)} changes "
           f"({dict(by_collection(changes))})")
    out["pull"] = meter.figures(len(changes), pages=pages, decoding=pull_decoding,
                                json_bytes=pull_bytes, wire_bytes=fresh.wire,
                                encoding=fresh.encodings.most_common(1)[0][0])
    log(f"  pull        {len(changes)} records ({n} reports + {base_pulled} reference) in "
        f"{meter.seconds:.2f} s = {rate(len(changes), meter.seconds):,.0f}/s ({pages} pages; "
        f"server CPU {meter.server_cpu:.1f} s)")

    # c. another client edits m of them; the fresh install pulls just those
    shuffled = ids[:]
    random.Random(seed + 1).shuffle(shuffled)
    edited = shuffled[:m]
    supervisor = Phone(base, "supervisor")
    with Meter(pid) as meter:
        for chunk in chunks(edited, BATCH):
            now = iso(datetime.now(UTC))
            results = supervisor.push([{
                "collection": "reports", "id": rid, "op": "update", "base_version": 1,
                "fields": {"description": f"checked by the command centre ({rid[:8]})",
                           "note": "seen on camera"}, "client_time": now} for rid in chunk])
            check_statuses(results, "applied", "supervisor's edits")
            expect(all(r["version"] == 2 for r in results), "edits: version is not 2")
    out["edits"] = meter.figures(m)
    decoding = fresh.decoding
    with Meter(pid) as meter:
        changes, pages = fresh.pull()
    incremental_decoding = fresh.decoding - decoding
    expect(sorted(c["id"] for c in changes) == sorted(edited)
           and all(c["version"] == 2 and not c.get("deleted") for c in changes),
           f"incremental pull: {len(changes)} changes for {m} edits ({dict(by_collection(changes))})")
    out["incremental"] = meter.figures(len(changes), pages=pages, decoding=incremental_decoding)
    log(f"  edits       {m} by the supervisor in {out['edits']['seconds']:.2f} s; incremental "
        f"pull of {len(changes)} in {meter.seconds * 1000:.0f} ms")

    # d. worker1's first install updates the same records on its stale base_version 1
    with Meter(pid) as meter:
        for chunk in chunks(edited, BATCH):
            now = iso(datetime.now(UTC))
            results = worker.push([{
                "collection": "reports", "id": rid, "op": "update", "base_version": 1,
                # Closing on the spot shows the result: an "after" photo (the role table).
                "fields": {"description": f"fixed on the spot ({rid[:8]})", "status": "closed",
                           "after_photos": [AFTER_PHOTO]},
                "client_time": now} for rid in chunk])
            check_statuses(results, "merged", "stale updates")
            expect(all(r["version"] == 3 and r["record"]["status"] == "closed"
                       and r["record"]["description"].startswith("fixed on the spot")
                       and len(r.get("conflict", [])) == 1 for r in results),
                   "stale updates: not merged as expected (version 3, closed, the later edit "
                   "wins, one conflict kept)")
    out["conflicts"] = meter.figures(m)
    log(f"  conflicts   {m} stale updates merged in {meter.seconds:.2f} s = "
        f"{rate(m, meter.seconds):,.0f}/s")

    # e. deletes of other records, and the tombstones' pull
    doomed = shuffled[m:m + deletes]
    with Meter(pid) as meter:
        for chunk in chunks(doomed, BATCH):
            now = iso(datetime.now(UTC))
            results = worker.push([{"collection": "reports", "id": rid, "op": "delete",
                                    "base_version": 1, "client_time": now} for rid in chunk])
            check_statuses(results, "applied", "deletes")
            expect(all(r["record"]["deleted"] is True for r in results),
                   "deletes: not a tombstone")
    out["deletes"] = meter.figures(deletes)
    decoding = fresh.decoding
    with Meter(pid) as meter:
        changes, pages = fresh.pull()
    tombstones_decoding = fresh.decoding - decoding
    tombstones = sorted(c["id"] for c in changes if c.get("deleted"))
    expect(tombstones == sorted(doomed) and len(changes) == m + deletes,
           f"tombstone pull: {len(tombstones)} tombstones of {deletes}, {len(changes)} changes")
    out["tombstones"] = meter.figures(len(changes), pages=pages, decoding=tombstones_decoding)
    log(f"  deletes     {deletes} in {out['deletes']['seconds']:.2f} s; pull of {len(changes)} "
        f"changes ({len(tombstones)} tombstones) in {meter.seconds * 1000:.0f} ms")

    # f. worker1's whole scope, as a newly installed phone gets it
    out["scope"] = scope_pulls(base, pid, "worker1", expected_reports=n - deletes + len(held_before))
    return out


def scope_pulls(base: str, pid: int, username: str, *, expected_reports: int,
                times: int = 3) -> dict:
    """A fresh install pulls the user's whole scope, snapshot to the end, `times` times."""
    seconds, cpu, counts = [], [], None
    for _ in range(times):
        phone = Phone(base, username)
        with Meter(pid) as meter:
            changes, pages = phone.pull()
        seconds.append(meter.seconds)
        cpu.append(meter.server_cpu)
        counts = by_collection(changes)
        expect(counts["reports"] == expected_reports and counts["regions"] == 1
               and not any(k.endswith("(deleted)") for k in counts),
               f"scope pull of {username}: {dict(counts)}; expected {expected_reports} reports, "
               "1 region, no tombstones")
    total = sum(counts.values())
    log(f"  scope pull  {username}: {total} records ({dict(counts)}) in "
        + ", ".join(f"{s:.2f}" for s in seconds) + " s; server CPU "
        + ", ".join(f"{s:.2f}" for s in cpu) + " s")
    return {"records": total, "counts": dict(counts), "seconds": seconds, "server_cpu": cpu,
            "pages": pages}


# -- the physical limit -----------------------------------------------------------------------

RAW_TABLE = "bench_raw_reports"


def raw_insert_rate(url: str, n: int, *, indexed: bool = False) -> float:
    """Rows/s of inserting the reports just pushed again, bare: one multi-row INSERT per 500
    (the driver's own SQL and values), all in one transaction, with no engine around it.
    Into a copy of the table without its indexes: what the database and driver can do at
    best on this machine. indexed: into `reports` itself, with its indexes and the roll-up's
    triggers, as copies with new ids and case codes, rolled back: what the table's own
    upkeep leaves of that."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(
                f"SELECT * FROM reports ORDER BY created_at DESC LIMIT {int(n)}")
            columns = list(result.keys())
            rows = [tuple(row) for row in result]
            if not indexed:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {RAW_TABLE}")
                conn.exec_driver_sql(
                    f"CREATE TABLE {RAW_TABLE} AS SELECT * FROM reports WHERE 1 = 0")
        if indexed:
            fresh = {"id": lambda _v: uuid.uuid4(),
                     "code": lambda v: f"B{uuid.uuid4().hex[:17]}" if v else v}
            rows = [tuple(fresh[c](v) if c in fresh else v for c, v in zip(columns, row,
                                                                            strict=True))
                    for row in rows]
        if engine.dialect.name == "postgresql":
            from psycopg.types.json import Json
            rows = [tuple(Json(v) if isinstance(v, dict | list) else v for v in row)
                    for row in rows]
        else:
            rows = [tuple(v.hex if isinstance(v, uuid.UUID) else v for v in row) for row in rows]
        mark = "?" if engine.dialect.name == "sqlite" else "%s"
        one = "(" + ", ".join([mark] * len(columns)) + ")"
        table = "reports" if indexed else RAW_TABLE
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        with engine.connect() as conn:
            transaction = conn.begin()
            started = time.perf_counter()
            for chunk in chunks(rows, BATCH):
                conn.exec_driver_sql(head + ", ".join([one] * len(chunk)),
                                     tuple(v for row in chunk for v in row))
            seconds = time.perf_counter() - started
            if indexed:
                transaction.rollback()
            else:
                conn.exec_driver_sql(f"DROP TABLE {RAW_TABLE}")
                transaction.commit()
        return rate(len(rows), seconds)
    finally:
        engine.dispose()


# -- the full-size city ----------------------------------------------------------------------

def full_city_scope(base: str, pid: int, city: dict, *, grid_reports: int, city_reports: int,
                    seed: int) -> dict:
    """A worker bound to one grid of the full-size city, records in it and all over the city."""
    grids = sorted((f for f in city["features"] if f["properties"]["level"] == "grid"),
                   key=lambda f: f["properties"]["code"])
    mine = grids[len(grids) // 2]
    admin = Phone(base, "admin")
    found = admin.call("GET", "/api/v1/regions",
                       params={"code": mine["properties"]["code"], "level": "grid"})
    expect(found["total"] == 1, f"grid {mine['properties']['code']} not found: {found}")
    admin.call("POST", "/api/v1/accounts", expected=201, json={
        "username": "benchworker", "password": PASSWORD, "roles": ["worker"],
        "display_name": "bench worker", "region_id": found["items"][0]["id"]})
    reference, _ = admin.pull()
    categories = sorted(c["record"]["code"] for c in reference if c["collection"] == "categories")
    expect(bool(categories), "no categories in the full-size city's database")

    rng = np.random.default_rng(seed)
    others = [g for g in grids if g is not mine]
    picks = Counter(rng.integers(0, len(others), city_reports).tolist())
    points = [p for index, k in sorted(picks.items())
              for p in points_in(others[index]["geometry"], k, rng)]
    started = time.perf_counter()
    push_all(admin, new_reports(points, categories, random.Random(seed)), "city-wide reports")
    log(f"  {city_reports} reports all over the city (by admin) in "
        f"{time.perf_counter() - started:.1f} s")

    worker = Phone(base, "benchworker")
    started = time.perf_counter()
    push_all(worker, new_reports(points_in(mine["geometry"], grid_reports, rng), categories,
                                 random.Random(seed + 1)), "the worker's reports")
    log(f"  {grid_reports} reports in benchworker's grid {mine['properties']['code']} in "
        f"{time.perf_counter() - started:.1f} s")
    return scope_pulls(base, pid, "benchworker", expected_reports=grid_reports)


def synthesize_city(folder: Path) -> tuple[Path, dict]:
    path = folder / "full-city.geojson"
    env = our_env(folder, f"sqlite:///{folder / 'unused.sqlite'}")
    run([BIN / "flask", "regions", "synthesize", path], env=env, cwd=ROOT,
        what="flask regions synthesize")
    city = json.loads(path.read_text(encoding="utf-8"))
    expect(sum(f["properties"]["level"] == "grid" for f in city["features"]) == 12_387,
           "the synthetic city is not full-size")
    return path, city


# -- Kinto -----------------------------------------------------------------------------------

def kinto_phases(script: Path, venv: Path, url: str, pid: int, n: int, m: int, deletes: int,
                 label: str) -> dict:
    cmd = [str(venv / "bin" / "python"), str(script), url, str(n), "--modify", str(m),
           "--deletes", str(deletes), "--page-size", str(PAGE), "--label", label]
    with Meter(pid) as meter:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    for line in done.stderr.splitlines():
        log(f"  {line}")
    expect(done.returncode == 0, f"kinto_sync_bench.py failed ({done.returncode}): "
                                 f"{done.stderr[-1500:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    conflict, tomb = figures["conflict"], figures["tombstones"]
    expect(figures["push"]["statuses"] == {"201": n}, f"Kinto push: {figures['push']['statuses']}")
    expect(conflict["http_412"] == m and conflict["resolve_statuses"] == {"200": m},
           f"Kinto conflicts: {conflict['statuses']} then {conflict['resolve_statuses']}")
    expect(tomb["delete_statuses"] == {"200": deletes} and tomb["tombstones"] == deletes,
           f"Kinto deletes: {tomb['delete_statuses']}, {tomb['tombstones']} tombstones")
    conflict_s = conflict["seconds"] + conflict["resolve_client_wins_seconds"]
    return {
        "version": figures.get("server_version"), "wall": meter.seconds,
        "server_cpu": meter.server_cpu,
        "batch": figures["batch_size_used"],
        "push": {"rate": figures["push"]["records_per_s"], "seconds": figures["push"]["seconds"],
                 "first_10pct": figures["push"]["first_10pct_records_per_s"],
                 "last_10pct": figures["push"]["last_10pct_records_per_s"]},
        "pull": {"rate": figures["pull"]["records_per_s"], "seconds": figures["pull"]["seconds"]},
        "edits": {"rate": figures["server_modify"]["records_per_s"],
                  "seconds": figures["server_modify"]["seconds"]},
        "incremental": {"rate": figures["incremental"]["records_per_s"],
                        "seconds": figures["incremental"]["seconds"]},
        "conflicts": {"rate": rate(m, conflict_s), "seconds": conflict_s,
                      "rate_412_only": conflict["updates_per_s"]},
        "deletes": {"rate": rate(deletes, tomb["delete_seconds"]), "seconds": tomb["delete_seconds"]},
        "tombstones": {"rate": rate(tomb["changes"], tomb["pull_seconds"]),
                       "seconds": tomb["pull_seconds"]},
    }


# -- report ------------------------------------------------------------------------------------

PHASES = (
    ("push", "push of {n:,} new records"),
    ("pull", "full pull, fresh client"),
    ("edits", "{m:,} edits by another client"),
    ("incremental", "incremental pull of those"),
    ("conflicts", "{m:,} stale updates, resolved"),
    ("deletes", "{d:,} deletes"),
    ("tombstones", "pull of tombstones (+{m:,})"),
)


def print_comparison(title: str, ours: dict, kinto: dict | None, n: int, m: int, d: int) -> dict:
    print(f"\n{title}")
    print(f"  {'phase':<34} {'ours rec/s':>11} {'(wall s / server CPU s)':>24} "
          f"{'Kinto rec/s':>12} {'ours/Kinto':>11}")
    ratios = {}
    for key, label in PHASES:
        mine = ours[key]["rate"]
        theirs = kinto[key]["rate"] if kinto else None
        ratio = mine / theirs if theirs else None
        ratios[key] = ratio
        times = f"({ours[key]['seconds']:.2f} / {ours[key]['server_cpu']:.2f})"
        print(f"  {label.format(n=n, m=m, d=d):<34} {mine:>11,.0f} {times:>24} "
              f"{(f'{theirs:,.0f}' if theirs else '—'):>12} "
              f"{(f'{ratio:.2f}×' if ratio else '—'):>11}")
    push = ours["push"]
    print(f"  ours: {push['requests']} pushes of {BATCH}; push rate first 10 % "
          f"{push['first_10pct']:,.0f}/s, last 10 % {push['last_10pct']:,.0f}/s; "
          f"full pull {ours['pull']['records']:,} records in {ours['pull']['pages']} pages of "
          f"≤ {PAGE}")
    if kinto:
        print(f"  Kinto {kinto['version']}: /batch of {kinto['batch']}; push rate first 10 % "
              f"{kinto['push']['first_10pct']:,.0f}/s, last 10 % {kinto['push']['last_10pct']:,.0f}/s;"
              f" stale updates: 412 round {kinto['conflicts']['rate_412_only']:,.0f}/s, then a "
              f"client-wins re-send (the row above counts both; ours is one merged push); "
              f"whole Kinto run {kinto['wall']:.0f} s wall, Kinto's CPU {kinto['server_cpu']:.0f} s")
    return ratios


def goal(label: str, met: bool) -> bool:
    print(f"  goal {label} — {'met' if met else 'NOT met'}")
    return met


def print_goals(ours: dict, kinto: dict | None, ratios: dict) -> list[bool]:
    """Each goal of this database's run, met or not."""
    mib = 1024 * 1024
    print(f"  server memory (largest process): push peak {ours['push']['peak_rss'] / mib:.0f} MiB "
          f"(grew {ours['push']['rss_growth'] / mib:+.1f} MiB), full pull peak "
          f"{ours['pull']['peak_rss'] / mib:.0f} MiB (grew {ours['pull']['rss_growth'] / mib:+.1f} "
          f"MiB over {ours['pull']['pages']} pages of ≤ {PAGE})")
    pull = ours["pull"]
    print(f"  reads, where the time goes: server CPU per record full pull "
          f"{pull['server_cpu'] / pull['records'] * 1e6:.0f} µs, incremental "
          f"{ours['incremental']['server_cpu'] / ours['incremental']['records'] * 1e6:.0f} µs; "
          f"the benchmark's client decoding the JSON (requests' .json(), as Kinto's client "
          f"does): {pull['decoding']:.2f} s of the full pull's {pull['seconds']:.2f} s "
          f"({pull['json_bytes'] / pull['records']:,.0f} bytes of JSON a record), "
          f"{ours['incremental']['decoding'] * 1000:.0f} of the incremental pull's "
          f"{ours['incremental']['seconds'] * 1000:.0f} ms, "
          f"{ours['tombstones']['decoding'] * 1000:.0f} of the tombstone pull's "
          f"{ours['tombstones']['seconds'] * 1000:.0f} ms; answers in {pull['encoding']}, "
          f"{pull['wire_bytes'] / pull['records']:,.0f} bytes a record on the wire")
    # The client's decoding alone bounds a read's rate, however fast the server answers.
    floors = {key: ours[key]["records"] / ours[key]["decoding"] for key in READ_PHASES
              if ours[key]["decoding"] > 0}
    print("  reads' ceiling for this client (records / its decoding time, with a server "
          "taking no time): " + ", ".join(
              f"{key} {floor:,.0f}/s" + (f" ({floor / kinto[key]['rate']:.2f}× Kinto)"
                                         if kinto else "")
              for key, floor in floors.items()))
    share = ours["push"]["rate"] / ours["raw_insert"]
    indexed = ours["raw_insert_indexed"]
    print(f"  bare multi-row INSERT of the same rows (500 a statement, one transaction): "
          f"{ours['raw_insert']:,.0f}/s into a copy without indexes, our push {share:.0%} of "
          f"it; {indexed:,.0f}/s into reports itself (its indexes and roll-up triggers, "
          f"rolled back), our push {ours['push']['rate'] / indexed:.0%} of that")
    met = []
    if kinto:
        met.append(goal(f"push ≥ {PUSH_GOAL:.0f}× Kinto: {ratios['push']:.2f}×",
                        ratios["push"] >= PUSH_GOAL))
        for key in READ_PHASES:
            met.append(goal(f"{key} ≥ {READ_GOAL:.0f}× Kinto: {ratios[key]:.2f}×",
                            ratios[key] >= READ_GOAL))
    met.append(goal(f"full pull ≥ {FULL_PULL_GOAL:,}/s: {ours['pull']['rate']:,.0f}/s",
                    ours["pull"]["rate"] >= FULL_PULL_GOAL))
    met.append(goal(f"push ≥ {PUSH_RATE_GOAL:,}/s: {ours['push']['rate']:,.0f}/s",
                    ours["push"]["rate"] >= PUSH_RATE_GOAL))
    met.append(goal(f"stale updates ≥ {STALE_RATE_GOAL:,}/s: {ours['conflicts']['rate']:,.0f}/s",
                    ours["conflicts"]["rate"] >= STALE_RATE_GOAL))
    met.append(goal(f"push ≥ {RAW_SHARE_GOAL:.0%} of the bare INSERT: {share:.0%}",
                    share >= RAW_SHARE_GOAL))
    return met


def print_scope(label: str, scope: dict) -> bool:
    worst = max(scope["seconds"])
    met = worst < SCOPE_PULL_GOAL_S
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(scope["counts"].items()))
    print(f"  {label:<48} {scope['records']:>6,} records ({counts}): "
          + ", ".join(f"{s:.2f}" for s in scope["seconds"])
          + f" s (median {statistics.median(scope['seconds']):.2f}; server CPU "
          + ", ".join(f"{s:.2f}" for s in scope["server_cpu"])
          + f" s); goal < {SCOPE_PULL_GOAL_S:.0f} s: {'met' if met else 'NOT met'}")
    return met


# -- main ----------------------------------------------------------------------------------------

def _interrupt(_signum, _frame) -> None:
    """A SIGTERM (a CI timeout, kill) cleans up as Ctrl-C does."""
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="records pushed (N)")
    parser.add_argument("--edits", type=int, default=None, help="edits and stale updates (N/10)")
    parser.add_argument("--deletes", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (make run: 4)")
    parser.add_argument("--worker-class", default="gthread",
                        help="gunicorn worker class: gthread keeps connections alive, as "
                             "make run serves; sync closes each after one request")
    parser.add_argument("--grid-reports", type=int, default=1_000,
                        help="reports in the full-size city worker's grid")
    parser.add_argument("--city-reports", type=int, default=10_000,
                        help="reports elsewhere in the full-size city")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a database to CREATE DATABASE from")
    parser.add_argument("--kinto-script", type=Path, default=KINTO_SCRIPT)
    parser.add_argument("--kinto-venv", type=Path, default=None,
                        help="a venv with kinto (default: made once under the temp folder)")
    parser.add_argument("--no-kinto", action="store_true")
    parser.add_argument("--no-full-city", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    n, d = args.records, args.deletes
    m = args.edits if args.edits is not None else max(1, n // 10)
    databases = [db.strip() for db in args.databases.split(",") if db.strip()]
    expect(m + d <= n, "--edits plus --deletes must not exceed --records")
    expect(set(databases) <= {"sqlite", "postgresql"}, "--databases: sqlite and/or postgresql")
    if not args.no_kinto and not args.kinto_script.is_file():
        raise BenchError(f"Kinto's benchmark script is not at {args.kinto_script} (it lives in "
                         "the shared folder beside the repo, ../shared/bench/); pass "
                         "--kinto-script PATH, or --no-kinto")

    signal.signal(signal.SIGTERM, _interrupt)
    load_before = os.getloadavg()
    ours, kinto, scopes = {}, {}, {}
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        root = temp_dir(stack, "civicgrid-sync-bench-")
        venv = None if args.no_kinto else args.kinto_venv or kinto_venv()
        for database in databases:
            # One server at a time, so that none steals the other's CPU (2 cores).
            with contextlib.ExitStack() as server:
                folder = root / f"ours-{database}"
                folder.mkdir()
                url = (f"sqlite:///{folder / 'civicgrid.sqlite'}" if database == "sqlite" else
                       pg_database(server, "civicgrid_bench", args.pg_url)
                       .replace("postgresql://", "postgresql+psycopg://", 1))
                log(f"ours on {database} ({args.workers} gunicorn workers):")
                base, pid = start_ours(server, folder, url, workers=args.workers,
                                       worker_class=args.worker_class)
                ours[database] = our_phases(base, pid, n, m, d, args.seed)
                ours[database]["raw_insert"] = raw_insert_rate(url, n)
                ours[database]["raw_insert_indexed"] = raw_insert_rate(url, n, indexed=True)
                log(f"  bare multi-row INSERT of the same {n} rows: "
                    f"{ours[database]['raw_insert']:,.0f}/s, into the table itself "
                    f"{ours[database]['raw_insert_indexed']:,.0f}/s")
            if venv is not None:
                with contextlib.ExitStack() as server:
                    folder = root / f"kinto-{database}"
                    folder.mkdir()
                    storage = (None if database == "sqlite" else
                               pg_database(server, "kinto_bench", args.pg_url))
                    backend = "memory" if storage is None else "postgresql"
                    log(f"Kinto on {backend}:")
                    kurl, kpid = start_kinto(server, venv, folder, storage_url=storage)
                    kinto[database] = kinto_phases(args.kinto_script, venv, kurl, kpid, n, m, d,
                                                   backend)
        if not args.no_full_city:
            city_path, city = synthesize_city(root)
            for database in databases:
                with contextlib.ExitStack() as server:
                    folder = root / f"city-{database}"
                    folder.mkdir()
                    url = (f"sqlite:///{folder / 'civicgrid.sqlite'}" if database == "sqlite" else
                           pg_database(server, "civicgrid_bench", args.pg_url)
                           .replace("postgresql://", "postgresql+psycopg://", 1))
                    log(f"full-size city on {database}:")
                    base, pid = start_ours(server, folder, url, workers=args.workers,
                                           city_file=city_path, worker_class=args.worker_class)
                    scopes[database] = full_city_scope(
                        base, pid, city, grid_reports=args.grid_reports,
                        city_reports=args.city_reports, seed=args.seed)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()

    print(f"\nSync benchmark ({datetime.now(UTC):%Y-%m-%d}): {n:,} reports (100-character "
          f"descriptions, like Kinto's records), {args.workers} gunicorn {args.worker_class} "
          "workers, one client at a time, over loopback HTTP.")
    print(f"This machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} before and "
          f"{load_after[0]:.1f} after; other work on it (e.g. a test suite) makes figures noisy.")
    print("Server CPU is gunicorn's master and workers (for PostgreSQL without the database's "
          "own processes); wall time far above it means waiting for a core or the database.")
    goals = []
    names = {"sqlite": ("our SQLite", "Kinto memory backend"),
             "postgresql": ("our PostgreSQL", "Kinto PostgreSQL backend")}
    for database in databases:
        mine, theirs = names[database]
        ratios = print_comparison(f"{mine} vs {theirs}:", ours[database], kinto.get(database),
                                  n, m, d)
        goals.extend(print_goals(ours[database], kinto.get(database), ratios))
    print("\nA grid worker's whole scope, fresh install, snapshot to the end (3 runs):")
    for database in databases:
        goals.append(print_scope(f"demo city after the phases, worker1, {database}",
                                 ours[database]["scope"]))
        if database in scopes:
            goals.append(print_scope(f"full-size city (12,387 grids), {database}",
                                     scopes[database]))
    print(f"\nall checks passed; goals {'all met' if all(goals) else 'NOT all met'}; "
          f"run took {elapsed / 60:.1f} min")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
