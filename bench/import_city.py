"""Import of the full-size synthetic city (17,262 regions) on SQLite and on PostgreSQL.

    .venv/bin/python bench/import_city.py [--pg-url postgresql://postgres@127.0.0.1/postgres]

Each database is made fresh and migrated; the time of every stage of the import is
printed, and whether the goal (under a minute on this 2-core machine) is met.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402

from backend import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.regions.importer import import_regions, read_features  # noqa: E402
from backend.regions.synthetic import synthesize_city, write_feature_collection  # noqa: E402

GOAL_S = 60


def run_import(url: str, text: str) -> dict[str, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 10})
    stages: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last[1] != stage:
            last[0], last[1] = now, stage
        stages[stage] = now - last[0]

    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        features = read_features(text, progress)
        summary = import_regions(features, tolerance=app.config["REGION_CONTAINMENT_TOLERANCE"],
                                 progress=progress)
        stages["total"] = time.perf_counter() - started
        assert summary.total == 17262, summary
        db.engine.dispose()
    return stages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "full.geojson"
        started = time.perf_counter()
        write_feature_collection(synthesize_city(), path)
        print(f"synthetic city written in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} MB)")
        text = path.read_text(encoding="utf-8")
        results = {"sqlite": run_import(f"sqlite:///{folder}/bench.sqlite", text)}
        name = f"civicgrid_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            base = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            results["postgresql"] = run_import(f"{base}/{name}", text)
        finally:
            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for database, stages in results.items():
        detail = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items()
                           if stage != "total")
        verdict = "met" if stages["total"] < GOAL_S else "NOT met"
        print(f"{database:<11} import of 17,262 regions: {stages['total']:.1f} s ({detail}); "
              f"goal < {GOAL_S} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
