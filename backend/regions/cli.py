"""`flask regions import FILE` and `flask regions synthesize OUT`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from backend.regions.importer import FeatureProblem, ImportRejected, import_regions, read_features
from backend.regions.synthetic import FULL_SIZE, synthesize_city, write_feature_collection

regions_cli = AppGroup("regions", help="Import a city's regions, or generate a synthetic city.")

STAGE_LABELS = {
    "parse": "reading    ",
    "check": "checking   ",
    "containment": "containment",
    "overlaps": "overlaps   ",
    "write": "writing    ",
}


class _ProgressBars:
    """One click progress bar per stage, on stderr, switched as the importer moves on."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=STAGE_LABELS.get(stage, stage),
                                         file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(max(done, 0) - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _describe(problem: FeatureProblem) -> str:
    where = f"line {problem.line}" if problem.line is not None else "file"
    code = f"code {problem.code}" if problem.code else "code ?"
    return f"{where}: {code}: {problem.reason}"


@regions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tolerance", type=click.FloatRange(0, 1), default=None,
              help="Share of a child's area allowed outside its parent "
                   "(default: REGION_CONTAINMENT_TOLERANCE).")
def import_command(file: Path, tolerance: float | None) -> None:
    """Import a GeoJSON FeatureCollection of regions: everything, or nothing and every problem."""
    if tolerance is None:
        tolerance = current_app.config["REGION_CONTAINMENT_TOLERANCE"]
    started = time.perf_counter()
    bars = _ProgressBars()
    try:
        features = read_features(file.read_text(encoding="utf-8-sig"), progress=bars)
        summary = import_regions(features, tolerance=tolerance, progress=bars)
    except ImportRejected as rejected:
        bars.close()
        for problem in rejected.problems:
            click.echo(_describe(problem), err=True)
        click.echo(f"{len(rejected.problems)} problem(s); nothing was imported.", err=True)
        sys.exit(1)
    finally:
        bars.close()
    click.echo(f"imported {summary} in {time.perf_counter() - started:.1f} s")


@regions_cli.command("synthesize")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--seed", type=int, default=20261123, show_default=True)
@click.option("--districts", type=click.IntRange(1, 99), default=FULL_SIZE["districts"],
              show_default=True)
@click.option("--streets", type=click.IntRange(1), default=FULL_SIZE["streets"], show_default=True)
@click.option("--communities", type=click.IntRange(1), default=FULL_SIZE["communities"],
              show_default=True)
@click.option("--grids", type=click.IntRange(1), default=FULL_SIZE["grids"], show_default=True)
def synthesize_command(out: Path, seed: int, districts: int, streets: int, communities: int,
                       grids: int) -> None:
    """Write a synthetic city (full size by default), one feature per line."""
    started = time.perf_counter()
    try:
        collection = synthesize_city(districts=districts, streets=streets, communities=communities,
                                     grids=grids, seed=seed)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    write_feature_collection(collection, out)
    click.echo(f"wrote {len(collection['features'])} regions to {out} "
               f"in {time.perf_counter() - started:.1f} s")
