"""Point-in-grid lookups on the full-size synthetic city (12,387 grids), on one core.

    .venv/bin/python bench/point_in_grid.py [--points N] [--seed S]

Prints the index build time, lookups per second (one at a time, and vectorized) and
whether the goal of 20,000 single lookups per second is met.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import shapely  # noqa: E402

from backend.regions.grid_index import GridIndex  # noqa: E402
from backend.regions.synthetic import synthesize_city  # noqa: E402

GOAL_PER_S = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        # One core, as one gunicorn worker would have.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    started = time.perf_counter()
    collection = synthesize_city()
    generated_s = time.perf_counter() - started
    # The index is built from the rows the database hands back: (id, GeoJSON text).
    rows = [(uuid.uuid4(), json.dumps(f["geometry"], separators=(",", ":")))
            for f in collection["features"] if f["properties"]["level"] == "grid"]

    started = time.perf_counter()
    index = GridIndex(rows)
    build_s = time.perf_counter() - started

    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(
        shapely.from_geojson(json.dumps(collection["features"][0]["geometry"])))
    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(min_lon, max_lon, args.points).tolist()
    lats = rng.uniform(min_lat, max_lat, args.points).tolist()

    locate = index.locate
    started = time.perf_counter()
    found = [locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    single_s = time.perf_counter() - started

    started = time.perf_counter()
    found_many = index.locate_many(lons, lats)
    many_s = time.perf_counter() - started

    single_rate = args.points / single_s
    print(f"city generated in {generated_s:.2f} s: {len(index)} grids")
    print(f"index built in {build_s:.3f} s")
    print(f"{args.points} random points in the city's bbox, "
          f"{sum(f is not None for f in found)} inside a grid")
    print(f"locate (one point at a time): {single_rate:,.0f} lookups/s "
          f"({single_s / args.points * 1e6:.1f} µs each)")
    print(f"locate_many (vectorized):     {args.points / many_s:,.0f} lookups/s")
    print(f"both agree: {found == found_many}")
    met = single_rate >= GOAL_PER_S
    print(f"goal ≥ {GOAL_PER_S:,}/s single lookups: {'met' if met else 'NOT met'}")
    return 0 if met and found == found_many else 1


if __name__ == "__main__":
    sys.exit(main())
