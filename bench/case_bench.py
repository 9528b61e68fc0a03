"""A year of cases at the seeds' volume: 350,000 cases over the full-size synthetic city.

    .venv/bin/python bench/case_bench.py [--cases 350000] [--sqlite] [--pg-url postgresql://postgres@127.0.0.1/postgres]

On a fresh PostgreSQL database (and, with --sqlite, a fresh SQLite file): the city is
imported, the cases written in bulk (reported over the last 365 days, most closed, some
open and past their deadline, a share dispatched to departments), then each operation the
console runs is timed 20 times through the services (no HTTP), p50 and p95 printed against
the goal of 500 ms: assessment for the whole city for a year and for one street for a month,
the case list's first page with filters for the city's supervisor, and a case action.
The query plans of the two heaviest reads (EXPLAIN ANALYZE on PostgreSQL) are printed too.
The one map's "cases in view" (backend/map) at city and street zoom is timed too, with the
plans of the statements it runs. The cases are written with the daily roll-up's upkeep left
for one rebuild at the end (as `flask cases rebuild-rollup` does after an import); the two
city-wide reads are then timed again counted case by case, as before the roll-up.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from backend import create_app  # noqa: E402
from backend.accounts.services import add_account  # noqa: E402
from backend.common.auth import RegionScope  # noqa: E402
from backend.common.working_time import add_working_hours, city_working_time  # noqa: E402
from backend.departments.services import add_department  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.incidents import cases  # noqa: E402
from backend.incidents.models import Report  # noqa: E402
from backend.incidents.services import add_category  # noqa: E402
from backend.regions.importer import import_regions, read_features  # noqa: E402
from backend.regions.models import Region  # noqa: E402
from backend.regions.synthetic import synthesize_city, write_feature_collection  # noqa: E402
from backend.stats import rollup  # noqa: E402
from backend.stats.models import CaseRollupState  # noqa: E402
from backend.stats.services import case_figures, case_trend  # noqa: E402

GOAL_MS = 500
RUNS = 20
CATEGORIES = [("road.pothole", 48), ("sanitation.garbage", 24), ("order.stall", 24),
              ("facility.manhole", 8), ("greenery.tree", 72)]


def log(message: str) -> None:
    print(message, flush=True)


def build(cases_count: int, geojson: str) -> dict:
    """The city, a few accounts, departments, categories, and the year of cases."""
    started = time.perf_counter()
    flask_migrate.upgrade()
    summary = import_regions(read_features(geojson, None), tolerance=1e-7)
    log(f"  city: {summary.total:,} regions in {time.perf_counter() - started:.1f} s")
    for code, hours in CATEGORIES:
        add_category(code=code, name=code, time_limit_h=hours, parent_code=code.split(".")[0])
    departments = [add_department(code=f"D{i}", name=f"部门{i}").id for i in range(6)]
    db.session.commit()
    grids = db.session.execute(sa.select(
        Region.id, Region.path, Region.min_lat, Region.max_lat, Region.min_lon, Region.max_lon)
        .where(Region.level == "grid")).all()
    city = db.session.scalar(sa.select(Region).where(Region.level == "city"))
    street = db.session.scalar(sa.select(Region).where(Region.level == "street").limit(1))
    people = {name: add_account(username=name, password="bench password 1", roles=[role],
                                region_id=region_id)
              for name, role, region_id in (("city_boss", "supervisor", city.id),
                                            ("street_boss", "supervisor", street.id),
                                            ("bench_worker", "worker", grids[0].id))}
    people = {"city": people["city_boss"], "street": people["street_boss"],
              "worker": people["bench_worker"]}
    db.session.commit()
    calendar, hours = city_working_time()

    rng = random.Random(350_000)
    now = datetime.now(UTC)
    started = time.perf_counter()
    facts_rng = random.Random(18)  # its own stream: the cases above stay the same
    street_grids = [g for g in grids if g.path.startswith(street.path)]
    with rollup.deferred():  # a year at once: its marks are left for the rebuild below
        written = write_cases(cases_count, rng, facts_rng, now, grids, street_grids, departments,
                              people, calendar, hours)
    log(f"  cases: {written:,} written in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    street_days = rollup.rebuild()
    log(f"  daily roll-up: {street_days:,} street-days built in "
        f"{time.perf_counter() - started:.1f} s (flask cases rebuild-rollup)")
    if db.engine.dialect.name == "postgresql":
        # The steady state autovacuum keeps: statistics, and a visibility map that lets
        # index-only scans skip the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE reports"))
            conn.execute(sa.text("VACUUM ANALYZE case_rollup"))
    return {"people": people, "city": city, "street": street, "now": now}


def write_cases(cases_count: int, rng, facts_rng, now, grids, street_grids, departments,
                people, calendar, hours) -> int:
    table, batch, written = Report.__table__, [], 0
    for n in range(cases_count):
        grid = rng.choice(street_grids) if rng.random() < 0.02 else rng.choice(grids)
        reported = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        category, limit = rng.choice(CATEGORIES)
        deadline = add_working_hours(reported, limit, calendar, hours)
        roll = rng.random()
        status = ("closed" if roll < 0.80 else "cancelled" if roll < 0.83 else
                  rng.choice(["reported", "registered", "dispatched", "handled", "verified"]))
        recent = now - reported < timedelta(days=3)
        if recent and rng.random() < 0.5:
            status = "reported"
        closed_at = (reported + timedelta(hours=rng.uniform(1, limit * 2.5))
                     if status == "closed" else None)
        dispatched = status in ("dispatched", "handled", "verified") or (
            status == "closed" and rng.random() < 0.7)
        batch.append({
            "id": uuid.uuid4(), "version": 1, "created_at": reported, "updated_at": closed_at or reported,
            "deleted": False, "field_clock": {}, "scope_path": grid.path, "category": category,
            "description": "", "photos": [], "after_photos": [],
            # Somewhere in the grid's box: the one map bins cases by where they are.
            "lat": rng.uniform(grid.min_lat, grid.max_lat),
            "lon": rng.uniform(grid.min_lon, grid.max_lon),
            "reported_at": reported, "code": f"B{n:09d}", "grid_id": grid.id, "status": status,
            "deadline_at": deadline, "reporter_id": people["worker"].id, "note": "", "timeline": [],
            "tier": "street", "department_id": rng.choice(departments) if dispatched else None,
            "assignee_id": None, "closed_at": closed_at, "location_adjusted": False,
            **loop_facts(facts_rng, status, dispatched, reported, closed_at or now,
                         people["worker"].id)})
        if len(batch) == 10_000:
            db.session.execute(sa.insert(table), batch)
            db.session.commit()
            written += len(batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(table), batch)
        db.session.commit()
        written += len(batch)
    return written


def loop_facts(rng: random.Random, status: str, dispatched: bool, reported: datetime,
               until: datetime, worker_id: uuid.UUID) -> dict:
    """What the loop left on a case for the assessment: a third of the cancelled ones are
    duplicates merged instead; a dispatched case's dispatch and handling times, a tenth
    sent back, a fifth dispatched back to the grid worker; feedback on most closed ones."""
    span = until - reported
    handled = dispatched and status in ("handled", "verified", "closed")
    facts = {"dispatched_at": reported + span * rng.uniform(0.05, 0.2) if dispatched else None,
             "handled_at": reported + span * rng.uniform(0.3, 0.95) if handled else None,
             "send_backs": rng.choice((1, 1, 2)) if handled and rng.random() < 0.1 else 0,
             "satisfaction": (("satisfied" if rng.random() < 0.8 else "unsatisfied")
                              if status == "closed" and rng.random() < 0.6 else None)}
    if status == "cancelled" and rng.random() < 1 / 3:
        facts["status"] = "merged"
    if dispatched and rng.random() < 0.2:
        facts |= {"department_id": None, "assignee_id": worker_id}
    return facts


def timed(label: str, run) -> tuple[float, float]:
    samples = []
    for i in range(RUNS):
        started = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    samples.sort()
    p50, p95 = statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]
    verdict = "ok" if p95 < GOAL_MS else f"OVER the {GOAL_MS} ms goal"
    log(f"  {label:<52} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {verdict}")
    return p50, p95


def measure(world: dict) -> None:
    people, now = world["people"], world["now"]
    city_boss = db.session.merge(people["city"])
    street_boss = db.session.merge(people["street"])
    today = now.date()
    timed("assessment: whole city, one year", lambda _: case_figures(
        RegionScope(everything=True), start=today - timedelta(days=364), end=today))
    timed("assessment: one street, one month", lambda _: case_figures(
        RegionScope(path_prefix=world["street"].path), region_id=world["street"].id,
        start=today - timedelta(days=29), end=today))
    measure_stats(world, today)
    district = db.session.scalar(sa.select(Region).where(Region.level == "district").limit(1))
    timed("case list: first page, open + overdue, one district", lambda _: cases.list_cases(
        city_boss, status=["registered", "dispatched", "handled"], overdue=True,
        region_id=district.id, per_page=50))
    timed("case list: first page, no filter (city supervisor)", lambda _: cases.list_cases(
        city_boss, per_page=50))
    waiting = list(db.session.scalars(sa.select(Report.id).where(
        Report.status == "reported", Report.scope_path.startswith(world["street"].path))
        .limit(RUNS)))
    if len(waiting) < RUNS:
        log(f"  case action: only {len(waiting)} reported cases in the street; skipped")
    else:
        timed("case action: register (street supervisor)", lambda i: cases.act(
            street_boss, waiting[i], "register"))
    measure_map(world, city_boss, street_boss)
    measure_live(world, city_boss)
    if db.engine.dialect.name == "postgresql":
        explain(world)


# The console's map on a 1440×900 screen: about 1200 × 800 pixels of map.
MAP_PX = (1200, 800)


def view_of(lat: float, lon: float, zoom: int) -> list[float]:
    """The box a MAP_PX map shows around (lat, lon) at a zoom (Web Mercator, near enough)."""
    width = MAP_PX[0] / 256 * 360 / 2 ** zoom
    height = MAP_PX[1] / 256 * 360 / 2 ** zoom * math.cos(math.radians(lat))
    return [lon - width / 2, lat - height / 2, lon + width / 2, lat + height / 2]


def map_views(world: dict) -> dict[str, tuple]:
    """(bbox, zoom) of the whole city at the zoom that fits it, and of a street at zoom 15."""
    city, street = world["city"], world["street"]
    zoom = math.floor(math.log2(MAP_PX[0] / 256 * 360 / (city.max_lon - city.min_lon)))
    centre = ((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2)
    street_centre = ((street.min_lat + street.max_lat) / 2, (street.min_lon + street.max_lon) / 2)
    return {"city": (view_of(*centre, zoom), zoom), "street": (view_of(*street_centre, 15), 15)}


def measure_map(world: dict, city_boss, street_boss) -> None:
    """The one map's cases in view (backend/map) at city and street zoom: a year of them."""
    from backend.map.services import cases_in_view

    views = map_views(world)
    since = world["now"].date() - timedelta(days=364)
    shapes = {}
    for label, user, view, filters in (
            ("city zoom, a year (city supervisor)", city_boss, "city", {"start": since}),
            ("city zoom, open cases (city supervisor)", city_boss, "city",
             {"status": ["reported", "registered", "dispatched", "handled", "verified"]}),
            ("street zoom, a year (city supervisor)", city_boss, "street", {"start": since}),
            ("street zoom, a year (street supervisor)", street_boss, "street", {"start": since}),
            ("street zoom, overdue (city supervisor)", city_boss, "street", {"overdue": True})):
        bbox, zoom = views[view]
        answer = cases_in_view(user, bbox=bbox, zoom=zoom, **filters)
        shapes[label] = (f"{answer['total']:,} cases as {len(answer['clusters']) or len(answer['points']):,} "
                         f"{answer['mode']} at zoom {zoom}")
        timed(f"map: {label}", lambda _, u=user, b=bbox, z=zoom, f=filters: cases_in_view(
            u, bbox=b, zoom=z, **f))
    for label, shape in shapes.items():
        log(f"    {label}: {shape}")


def measure_live(world: dict, city_boss) -> None:
    """The two city-wide reads again as they were before the daily roll-up: counted case by
    case (the roll-up marked as not built), and the assessment's answers compared."""
    from backend.map.services import cases_in_view

    today = world["now"].date()
    year = {"start": today - timedelta(days=364), "end": today}
    bbox, zoom = map_views(world)["city"]
    rolled_up = case_figures(RegionScope(everything=True), **year)
    db.session.execute(sa.insert(CaseRollupState).values(id=2, built_at=None))
    db.session.commit()
    try:
        live = case_figures(RegionScope(everything=True), **year)
        same = rolled_up["items"] == live["items"] and rolled_up["total"] == live["total"]
        log(f"  whole city, one year: the roll-up's table {'equals' if same else 'DIFFERS FROM'} "
            "the one counted case by case")
        timed("assessment: whole city, one year, case by case", lambda _: case_figures(
            RegionScope(everything=True), **year))
        timed("map: city zoom, a year, cells case by case", lambda _: cases_in_view(
            city_boss, bbox=bbox, zoom=zoom, start=year["start"]))
    finally:
        db.session.execute(sa.delete(CaseRollupState).where(CaseRollupState.id == 2))
        db.session.commit()


def explain_map(world: dict) -> None:
    """The plans of the statements the one map runs for a city-zoom and a street-zoom view."""
    from backend.map.services import cases_in_view

    views = map_views(world)
    city_boss = db.session.merge(world["people"]["city"])
    since = world["now"].date() - timedelta(days=364)
    for label, view in (("city zoom, a year", "city"), ("street zoom, a year", "street")):
        statements = []

        def keep(conn, cursor, statement, parameters, context, executemany, found=statements):
            if statement.lstrip().upper().startswith("SELECT") and (
                    "reports" in statement or "case_rollup" in statement):
                found.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", keep)
        try:
            bbox, zoom = views[view]
            cases_in_view(city_boss, bbox=bbox, zoom=zoom, start=since)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", keep)
        for n, (statement, parameters) in enumerate(statements, 1):
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN ANALYZE " + statement, parameters).scalars().all()
            log(f"\n  EXPLAIN ANALYZE — map, {label}, statement {n} of {len(statements)}:")
            for line in plan:
                log(f"    {line}")
        db.session.rollback()


def stats_reads(world: dict, today) -> dict:
    """The assessment's other reads: per grid worker, per department, and the trend."""
    city, street = RegionScope(everything=True), RegionScope(path_prefix=world["street"].path)
    year, month = today - timedelta(days=364), today - timedelta(days=29)
    return {
        "whole city, one year, per grid worker": lambda: case_figures(
            city, start=year, end=today, group_by="worker"),
        "whole city, one year, per department": lambda: case_figures(
            city, start=year, end=today, group_by="department"),
        "whole city, one year, trend by month": lambda: case_trend(
            city, start=year, end=today, bucket="month"),
        "one street, one month, per department": lambda: case_figures(
            street, region_id=world["street"].id, start=month, end=today, group_by="department"),
        "one street, one month, trend by day": lambda: case_trend(
            street, region_id=world["street"].id, start=month, end=today, bucket="day"),
    }


def measure_stats(world: dict, today) -> None:
    for label, read in stats_reads(world, today).items():
        timed(f"assessment: {label}", lambda _, read=read: read())


def explain_stats(world: dict) -> None:
    """The plans of the statements the assessment runs: the city's year per district, and
    the street's month per community (where the covering index serves)."""
    today = world["now"].date()
    reads = {
        "whole city, one year": lambda: case_figures(
            RegionScope(everything=True), start=today - timedelta(days=364), end=today),
        "one street, one month": lambda: case_figures(
            RegionScope(path_prefix=world["street"].path), region_id=world["street"].id,
            start=today - timedelta(days=29), end=today),
    }
    for label, read in reads.items():
        statements = []

        def keep(conn, cursor, statement, parameters, context, executemany, found=statements):
            if statement.lstrip().upper().startswith("SELECT") and (
                    "FROM reports" in statement or "FROM case_rollup " in statement):
                found.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", keep)
        try:
            read()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", keep)
        for statement, parameters in statements:
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN ANALYZE " + statement, parameters).scalars().all()
            log(f"\n  EXPLAIN ANALYZE — assessment, {label}:")
            for line in plan:
                log(f"    {line}")
        db.session.rollback()


def explain(world: dict) -> None:
    """The plans behind the heaviest reads, as the database ran them."""
    explain_stats(world)
    statements = {
        "case list, district, open and overdue": sa.text(
            "SELECT * FROM reports WHERE deleted IS false AND scope_path LIKE :district "
            "AND status IN ('registered','dispatched','handled') AND deadline_at < now() "
            "ORDER BY reported_at DESC, id DESC LIMIT 50"),
    }
    district = db.session.scalar(sa.select(Region).where(Region.level == "district").limit(1))
    params = {"n": len(world["city"].path) + 37, "prefix": world["city"].path + "%",
              "since": world["now"] - timedelta(days=365), "district": district.path + "%"}
    for label, statement in statements.items():
        plan = db.session.execute(sa.text("EXPLAIN ANALYZE " + statement.text), params).scalars().all()
        log(f"\n  EXPLAIN ANALYZE — {label}:")
        for line in plan:
            log(f"    {line}")
    db.session.rollback()
    explain_map(world)


def run(url: str, label: str, cases_count: int, geojson: str) -> None:
    log(f"\n== {label} ==")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 10,
                      "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1})
    # Not the 20 case actions' audit lines in the figures' way.
    logging.getLogger("civicgrid.audit").setLevel(logging.WARNING)
    with app.app_context():
        world = build(cases_count, geojson)
        measure(world)
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=350_000)
    parser.add_argument("--sqlite", action="store_true", help="also on SQLite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    geojson_collection = synthesize_city()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "city.geojson"
        write_feature_collection(geojson_collection, path)
        geojson = path.read_text(encoding="utf-8")
        name = f"civicgrid_case_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            base = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            run(f"{base}/{name}", "PostgreSQL", args.cases, geojson)
        finally:
            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.sqlite:
            run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.cases, geojson)
    return 0


if __name__ == "__main__":
    sys.exit(main())
