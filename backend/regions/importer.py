"""Importing a city's regions from a GeoJSON FeatureCollection: all or nothing.

Every feature is checked before anything is written, and every problem is reported
with the line where its feature starts, so that whoever drew the file can fix them
all in one pass. Geometry checks run vectorized (Shapely 2) so that a full city of
some 17,000 regions is checked and loaded in seconds.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy import insert, select

from backend.common.time import utcnow
from backend.errors import Invalid
from backend.extensions import db
from backend.regions.geometry import GeometryError, boundary_text, parse_boundary, share_outside
from backend.regions.models import LEVEL_DEPTH, LEVELS, Region, parent_level
from backend.regions.services import bump_revision
from backend.regions.sync import region_change
from backend.sync_adapter.services import log_reference_changes

Progress = Callable[[str, int, int], None]

MAX_CODE_LENGTH = 32
MAX_NAME_LENGTH = 100
# Rows per INSERT batch, and codes per IN (...) lookup (SQLite allows some 32k parameters).
INSERT_CHUNK = 1000
LOOKUP_CHUNK = 500
# Call progress() about this often within a stage.
PROGRESS_EVERY = 250


@dataclass
class RawFeature:
    """One feature as read from the file, before any checking."""

    index: int
    line: int
    properties: Any
    geometry: Any


@dataclass
class FeatureProblem:
    """What is wrong with one feature: where (line, index, region code) and why.

    `kind` is a stable machine-readable name for the problem (e.g. "orphan").
    """

    line: int | None
    index: int | None
    code: str | None
    reason: str
    kind: str = "invalid"


class ImportRejected(Invalid):
    code = "import_rejected"

    def __init__(self, problems: list[FeatureProblem]):
        problems = sorted(problems, key=lambda p: (p.line or 0, p.index or 0))
        super().__init__(f"The file has {len(problems)} problem(s); nothing was imported.",
                         details={"problems": [asdict(p) for p in problems]})
        self.problems = problems


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{self.counts.get(level, 0)} {level}" for level in LEVELS)
        return f"{self.total} regions ({parts})"


# -- reading the file ---------------------------------------------------------------------

class _Reader:
    """Walks the top-level JSON object by hand, so each feature keeps its line number."""

    def __init__(self, text: str):
        self.text = text
        self.decoder = json.JSONDecoder()
        self.pos = 0
        self._line, self._line_pos = 1, 0

    def line_at(self, pos: int) -> int:
        # Positions only move forward, so counting newlines incrementally stays linear.
        if pos < self._line_pos:
            self._line, self._line_pos = 1, 0
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        self.pos = pos

    def expect(self, char: str, what: str) -> None:
        self.skip_space()
        if self.text[self.pos:self.pos + 1] != char:
            found = self.text[self.pos:self.pos + 1] or "the end of the file"
            raise json.JSONDecodeError(f"expected {what}, found {found!r}", self.text, self.pos)
        self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos:self.pos + 1]

    def value(self) -> Any:
        self.skip_space()
        value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        return value


def _file_problem(line: int | None, reason: str, kind: str) -> FeatureProblem:
    return FeatureProblem(line=line, index=None, code=None, reason=reason, kind=kind)


def read_features(text: str, progress: Progress | None = None) -> list[RawFeature]:
    """The features of a FeatureCollection, each with the 1-based line where it starts.

    Raises ImportRejected for a JSON syntax error, a top level that is not a
    FeatureCollection, or features that are not objects (all of them listed).
    """
    reader = _Reader(text.removeprefix("\ufeff"))
    features: list[RawFeature] = []
    problems: list[FeatureProblem] = []
    kind = None
    seen_features = False
    try:
        reader.skip_space()
        if reader.peek() != "{":
            raise ImportRejected([_file_problem(
                reader.line_at(reader.pos), "the file must be one GeoJSON FeatureCollection object",
                "not_feature_collection")])
        reader.pos += 1
        while reader.peek() != "}":
            key_pos = reader.pos
            key = reader.value()
            if not isinstance(key, str):
                raise json.JSONDecodeError("expected a member name", reader.text, key_pos)
            reader.expect(":", "':'")
            if key == "features" and reader.peek() == "[":
                seen_features = True
                _read_feature_array(reader, features, problems, progress)
            else:
                value = reader.value()
                if key == "type":
                    kind = value
            if reader.peek() == ",":
                reader.pos += 1
                if reader.peek() == "}":
                    raise json.JSONDecodeError("a trailing comma", reader.text, reader.pos)
            elif reader.peek() != "}":
                raise json.JSONDecodeError("expected ',' or '}'", reader.text, reader.pos)
        reader.pos += 1
        reader.skip_space()
        if reader.pos < len(reader.text):
            raise json.JSONDecodeError("extra data after the FeatureCollection", reader.text,
                                       reader.pos)
    except json.JSONDecodeError as error:
        raise ImportRejected([*problems, _file_problem(
            error.lineno, f"not valid JSON: {error.msg} (column {error.colno})", "invalid_json")]
        ) from error
    if kind != "FeatureCollection" or not seen_features:
        problems.append(_file_problem(
            1, 'the top level must be {"type": "FeatureCollection", "features": [...]}',
            "not_feature_collection"))
    if problems:
        raise ImportRejected(problems)
    return features


def _read_feature_array(reader: _Reader, features: list[RawFeature],
                        problems: list[FeatureProblem], progress: Progress | None) -> None:
    reader.expect("[", "'['")
    total = len(reader.text)
    if reader.peek() == "]":
        reader.pos += 1
        return
    index = 0
    while True:
        reader.skip_space()
        line = reader.line_at(reader.pos)
        item = reader.value()
        if not isinstance(item, dict):
            problems.append(FeatureProblem(line, index, None, "a feature must be a JSON object",
                                           "not_an_object"))
        else:
            features.append(RawFeature(index=index, line=line, properties=item.get("properties"),
                                       geometry=item.get("geometry")))
        index += 1
        if progress and index % PROGRESS_EVERY == 0:
            progress("parse", reader.pos, total)
        if reader.peek() == ",":
            reader.pos += 1
            continue
        reader.expect("]", "',' or ']'")
        if progress:
            progress("parse", total, total)
        return


# -- checking ------------------------------------------------------------------------------

@dataclass
class _Entry:
    """A feature as far as it could be understood; None where a property was unusable."""

    feature: RawFeature
    level: str | None = None
    code: str | None = None
    name: str | None = None
    parent_code: str | None = None
    normalized: dict | None = None
    shape: shapely.Geometry | None = None


@dataclass
class _Parent:
    """Where a feature hangs: another feature of the file, or a region already stored."""

    level: str | None
    shape: shapely.Geometry | None
    entry: _Entry | None = None
    region_id: uuid.UUID | None = None
    path: str | None = None


class _Checker:
    def __init__(self, features: Sequence[RawFeature], tolerance: float, progress: Progress | None):
        self.features = features
        self.tolerance = tolerance
        self.progress = progress or (lambda stage, done, total: None)
        self.problems: list[FeatureProblem] = []
        self.entries: list[_Entry] = []
        self.by_code: dict[str, _Entry] = {}
        self.parents: dict[int, _Parent] = {}

    def problem(self, entry: _Entry, kind: str, reason: str) -> None:
        feature = entry.feature
        self.problems.append(FeatureProblem(feature.line, feature.index, entry.code, reason, kind))

    def run(self) -> None:
        self.check_each_feature()
        self.check_codes()
        self.check_cities()
        self.resolve_parents()
        self.check_containment()
        self.check_grid_overlaps()

    # Property and geometry checks, one feature at a time.
    def check_each_feature(self) -> None:
        total = len(self.features)
        for done, feature in enumerate(self.features, start=1):
            entry = _Entry(feature)
            self.entries.append(entry)
            if isinstance(feature.properties, dict):
                self._check_properties(entry, feature.properties)
            else:
                self.problem(entry, "invalid_properties", '"properties" must be an object')
            try:
                entry.normalized, entry.shape = parse_boundary(feature.geometry)
            except GeometryError as error:
                self.problem(entry, "invalid_geometry", f"geometry: {error}")
            if done % PROGRESS_EVERY == 0 or done == total:
                self.progress("check", done, total)

    def _check_properties(self, entry: _Entry, properties: dict) -> None:
        entry.code = self._text(entry, properties, "code", MAX_CODE_LENGTH)
        entry.name = self._text(entry, properties, "name", MAX_NAME_LENGTH)
        level = properties.get("level")
        if level in LEVELS:
            entry.level = level
        else:
            self.problem(entry, "invalid_level",
                         f"level {level!r} is not one of {', '.join(LEVELS)}")
        parent_code = properties.get("parent_code")
        if entry.level == LEVELS[0]:
            if parent_code not in (None, ""):
                self.problem(entry, "city_has_parent", "the city has no parent_code")
        elif parent_code in (None, ""):
            self.problem(entry, "missing_parent", "parent_code is required below the city")
        elif not isinstance(parent_code, str):
            self.problem(entry, "missing_parent", "parent_code must be a string")
        else:
            entry.parent_code = parent_code.strip()

    def _text(self, entry: _Entry, properties: dict, key: str, max_length: int) -> str | None:
        value = properties.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problem(entry, f"invalid_{key}", f"{key} must be a non-empty string")
            return None
        value = value.strip()
        if len(value) > max_length:
            self.problem(entry, f"invalid_{key}", f"{key} is longer than {max_length} characters")
            return None
        return value

    def check_codes(self) -> None:
        for entry in self.entries:
            if entry.code is None:
                continue
            first = self.by_code.setdefault(entry.code, entry)
            if first is not entry:
                self.problem(entry, "duplicate_code",
                             f"the code is already used on line {first.feature.line}")
        codes = list(self.by_code)
        taken = set()
        for chunk in _chunks(codes, LOOKUP_CHUNK):
            taken.update(db.session.scalars(select(Region.code).where(Region.code.in_(chunk))))
        for entry in self.entries:
            if entry.code in taken:
                self.problem(entry, "code_taken",
                             "the code already exists in the database")

    def check_cities(self) -> None:
        cities = [entry for entry in self.entries if entry.level == LEVELS[0]]
        if not cities:
            return
        if db.session.scalar(select(Region.id).where(Region.parent_id.is_(None)).limit(1)):
            for entry in cities:
                self.problem(entry, "city_exists", "the database already holds a city")
        for entry in cities[1:]:
            self.problem(entry, "second_city",
                         f"only one city per file; the first is on line {cities[0].feature.line}")

    def resolve_parents(self) -> None:
        wanted = {e.parent_code for e in self.entries if e.parent_code} - set(self.by_code)
        stored: dict[str, _Parent] = {}
        for chunk in _chunks(sorted(wanted), LOOKUP_CHUNK):
            query = select(Region.code, Region.id, Region.level, Region.path,
                           Region.boundary_geojson).where(Region.code.in_(chunk))
            for code, region_id, level, path, text in db.session.execute(query):
                stored[code] = _Parent(level=level, shape=shapely.from_geojson(text),
                                       region_id=region_id, path=path)
        for entry in self.entries:
            if entry.parent_code is None:
                continue
            found = self.by_code.get(entry.parent_code)
            if found is not None:
                parent = _Parent(level=found.level, shape=found.shape, entry=found)
            elif entry.parent_code in stored:
                parent = stored[entry.parent_code]
            else:
                self.problem(entry, "orphan", f"parent_code {entry.parent_code} matches no region "
                             "in the file or the database")
                continue
            expected = parent_level(entry.level) if entry.level else None
            if expected and parent.level and parent.level != expected:
                self.problem(entry, "wrong_parent_level",
                             f"a {entry.level}'s parent must be a {expected}, but "
                             f"{entry.parent_code} is a {parent.level}")
                continue
            self.parents[entry.feature.index] = parent

    def check_containment(self) -> None:
        """Each child inside its parent, but for `tolerance` of its own area."""
        pairs = [(entry, parent) for entry in self.entries
                 if (parent := self.parents.get(entry.feature.index)) is not None
                 and entry.shape is not None and parent.shape is not None]
        total = len(pairs)
        self.progress("containment", 0, total)
        children = np.array([entry.shape for entry, _ in pairs], dtype=object)
        parents = np.array([parent.shape for _, parent in pairs], dtype=object)
        # Each parent object is prepared once, however many children share it.
        shapely.prepare(parents)
        step = PROGRESS_EVERY * 8
        for start in range(0, total, step):
            inside = shapely.covers(parents[start:start + step], children[start:start + step])
            for offset in np.flatnonzero(~inside):
                entry, parent = pairs[start + offset]
                share = share_outside(entry.shape, parent.shape)
                if share > self.tolerance:
                    self.problem(entry, "outside_parent",
                                 f"{share:.1%} of its area lies outside its parent "
                                 f"{entry.parent_code} (at most {self.tolerance:.1%} allowed)")
            self.progress("containment", min(start + step, total), total)

    def check_grid_overlaps(self) -> None:
        """No two grids share more than `tolerance` of the smaller one's area.

        Grids sharing an edge or a corner only touch; those pairs are dropped in one
        vectorized call, so that only real overlaps are measured.
        """
        grids = [e for e in self.entries if e.level == LEVELS[-1] and e.shape is not None]
        shapes = [e.shape for e in grids]
        labels: list[_Entry | str] = list(grids)
        if grids:
            min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(shapes)
            stored = select(Region.code, Region.boundary_geojson).where(
                Region.level == LEVELS[-1], Region.max_lon >= min_lon, Region.min_lon <= max_lon,
                Region.max_lat >= min_lat, Region.min_lat <= max_lat)
            for code, text in db.session.execute(stored):
                labels.append(code)
                shapes.append(shapely.from_geojson(text))
        geoms = np.array(shapes, dtype=object)
        total = len(grids)
        self.progress("overlaps", 0, total)
        tree = shapely.STRtree(geoms)
        first, second = tree.query(geoms[:total], predicate="intersects")
        # Each pair once, and never two stored grids (they are not ours to judge).
        keep = (first < second) & (first < total)
        first, second = first[keep], second[keep]
        overlapping = ~shapely.touches(geoms[first], geoms[second])
        first, second = first[overlapping], second[overlapping]
        areas = shapely.area(geoms)
        shared = shapely.area(shapely.intersection(geoms[first], geoms[second]))
        smaller = np.minimum(areas[first], areas[second])
        for a, b, area, small in zip(first, second, shared, smaller, strict=True):
            if area <= self.tolerance * small:
                continue
            other, entry = labels[a], labels[b]
            if isinstance(entry, str):  # a stored grid: report on the file's feature
                other, entry = entry, other
            where = (f"grid {other}" if isinstance(other, str) else
                     f"grid {other.code} (line {other.feature.line})")
            self.problem(entry, "overlapping_grids",
                         f"overlaps {where} by {area / small:.1%} of the smaller grid's area")
        self.progress("overlaps", total, total)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- writing -------------------------------------------------------------------------------

def _write(checker: _Checker, progress: Progress) -> ImportSummary:
    entries = sorted(checker.entries, key=lambda e: LEVEL_DEPTH[e.level])
    ids = {id(entry): uuid.uuid4() for entry in entries}
    paths: dict[int, str] = {}
    bounds = shapely.bounds(np.array([entry.shape for entry in entries], dtype=object))
    now = utcnow()
    rows = []
    for entry, (min_lon, min_lat, max_lon, max_lat) in zip(entries, bounds.tolist(), strict=True):
        region_id = ids[id(entry)]
        parent = checker.parents.get(entry.feature.index)
        if parent is None:
            parent_id, parent_path = None, "/"
        elif parent.entry is not None:
            parent_id, parent_path = ids[id(parent.entry)], paths[id(parent.entry)]
        else:
            parent_id, parent_path = parent.region_id, parent.path
        paths[id(entry)] = f"{parent_path}{region_id}/"
        rows.append({
            "id": region_id, "parent_id": parent_id, "level": entry.level, "code": entry.code,
            "name": entry.name, "path": paths[id(entry)],
            "boundary_geojson": boundary_text(entry.normalized),
            "min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat,
            "created_at": now, "updated_at": now,
        })
    total = len(rows)
    progress("write", 0, total)
    try:
        for start in range(0, total, INSERT_CHUNK):
            db.session.execute(insert(Region.__table__), rows[start:start + INSERT_CHUNK])
            progress("write", min(start + INSERT_CHUNK, total), total)
        bump_revision()
        log_reference_changes("regions", [region_change(row["id"], 1, row["path"]) for row in rows])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportSummary(dict(Counter(entry.level for entry in entries)))


def import_regions(features: Sequence[RawFeature], *, tolerance: float,
                   progress: Progress | None = None) -> ImportSummary:
    """Check every feature, then load them all in one transaction (导入区划).

    Raises ImportRejected listing every problem, having written nothing. `tolerance`
    is the share of a child's area allowed outside its parent, and of the smaller
    grid's area two grids may share. `progress(stage, done, total)` is called as the
    stages (check, containment, overlaps, write) advance.
    """
    report = progress or (lambda stage, done, total: None)
    checker = _Checker(features, tolerance, report)
    checker.run()
    if checker.problems:
        # The checks only read; end that read transaction before handing control back.
        db.session.rollback()
        raise ImportRejected(checker.problems)
    if not checker.entries:
        raise ImportRejected([_file_problem(None, "the file holds no features", "empty")])
    return _write(checker, report)
