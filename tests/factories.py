"""Valid objects in one call: a small city, accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shapely.geometry import box, mapping
from sqlalchemy import select

from backend.accounts.models import User
from backend.accounts.passwords import hash_password
from backend.attendance.models import Punch, Shift
from backend.extensions import db
from backend.incidents.services import add_category
from backend.regions.geometry import boundary_text
from backend.regions.models import Region
from backend.regions.services import bump_revision
from backend.regions.sync import region_change
from backend.sync_adapter.services import log_reference_changes

PASSWORD = "correct horse 42"

# A 4 × 4 lattice of 0.01° cells near the demo city; columns 0–1 are district D1, 2–3 D2;
# rows 0–1 street S1, rows 2–3 S2; each row of a street is a community of two grids.
ORIGIN_LON, ORIGIN_LAT, CELL = 118.33, 35.03, 0.01


@dataclass
class City:
    regions: dict[str, Region] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Region:
        return self.regions[code]

    @property
    def root(self) -> Region:
        return self.regions["C"]


def cell_box(col: int, row: int, cols: int = 1, rows: int = 1):
    lon, lat = ORIGIN_LON + col * CELL, ORIGIN_LAT + row * CELL
    return box(lon, lat, lon + cols * CELL, lat + rows * CELL)


def cell_center(col: int, row: int) -> tuple[float, float]:
    """(lat, lon) of a lattice cell's centre."""
    return ORIGIN_LAT + (row + 0.5) * CELL, ORIGIN_LON + (col + 0.5) * CELL


# The centres of the grids field_city's workers belong to (conftest.py).
G1 = cell_center(0, 0)  # D1S1C1G1, w1's
G2 = cell_center(1, 0)  # D1S1C1G2, w2's (the same community)
G3 = cell_center(2, 0)  # D2S1C1G1, w3's (the other district)


def _add(city: City, code: str, level: str, geometry, parent: Region | None) -> Region:
    region = Region(id=uuid.uuid4(), code=code, name=f"{level} {code}", level=level, version=1,
                    parent_id=parent.id if parent else None,
                    boundary_geojson=boundary_text(mapping(geometry)))
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    region.min_lon, region.min_lat, region.max_lon, region.max_lat = geometry.bounds
    db.session.add(region)
    city.regions[code] = region
    return region


def make_city() -> City:
    """2 districts, 4 streets, 8 communities, 16 grids; codes like D1S2C1G2."""
    city = City()
    root = _add(city, "C", "city", cell_box(0, 0, 4, 4), None)
    for d in (1, 2):
        col0 = (d - 1) * 2
        district = _add(city, f"D{d}", "district", cell_box(col0, 0, 2, 4), root)
        for s in (1, 2):
            row0 = (s - 1) * 2
            street = _add(city, f"D{d}S{s}", "street", cell_box(col0, row0, 2, 2), district)
            for c in (1, 2):
                row = row0 + c - 1
                community = _add(city, f"D{d}S{s}C{c}", "community", cell_box(col0, row, 2, 1), street)
                for g in (1, 2):
                    _add(city, f"D{d}S{s}C{c}G{g}", "grid", cell_box(col0 + g - 1, row), community)
    bump_revision()
    log_reference_changes("regions", [region_change(r.id, 1, r.path) for r in city.regions.values()])
    db.session.commit()
    return city


def make_category(code: str = "road.pothole", *, time_limit_h: int = 48):
    category = add_category(code=code, name=code, time_limit_h=time_limit_h)
    db.session.commit()
    return category


def make_department(code: str = "CGJ", name: str = "城管局"):
    from backend.departments.services import add_department

    department = add_department(code=code, name=name)
    db.session.commit()
    return department


def make_user(username: str | None = None, *, roles=("citizen",), region: Region | None = None,
              password: str = PASSWORD, is_active: bool = True, display_name: str = "",
              department=None) -> User:
    user = User(username=username or f"user{uuid.uuid4().hex[:8]}", display_name=display_name,
                password_hash=hash_password(password), is_active=is_active,
                region_id=region.id if region else None,
                department_id=department.id if department else None)
    user.set_roles(roles)
    db.session.add(user)
    db.session.commit()
    return user


def make_shift(*, region: Region | None = None, worker: User | None = None, starts_at="08:30",
               ends_at="17:30", grace_min: int = 5, weekdays: str = "1234567",
               starts_on: str = "2026-01-01") -> Shift:
    from datetime import date, time

    shift = Shift(region_id=region.id if region else None, worker_id=worker.id if worker else None,
                  starts_at=time.fromisoformat(starts_at), ends_at=time.fromisoformat(ends_at),
                  grace_min=grace_min, weekdays=weekdays, starts_on=date.fromisoformat(starts_on))
    db.session.add(shift)
    db.session.commit()
    return shift


def make_punch(worker: User, punched_at: str, kind: str = "in", *, inside_fence: bool = True,
               accuracy_m: float | None = 8.0, clock_skew_s: float | None = 0.0,
               reason: str | None = None) -> Punch:
    """A synced punch as the server stores it (the fence verdict given, not computed)."""
    from datetime import datetime

    when = datetime.fromisoformat(punched_at.replace("Z", "+00:00"))
    punch = Punch(id=uuid.uuid4(), kind=kind, lat=0.0, lon=0.0, accuracy_m=accuracy_m,
                  punched_at=when, worker_id=worker.id, inside_fence=inside_fence,
                  distance_m=0.0 if inside_fence else 120.0, clock_skew_s=clock_skew_s,
                  accuracy_flagged=accuracy_m is None or accuracy_m > 50, reason=reason,
                  version=1, created_at=when, updated_at=when, deleted=False, field_clock={},
                  scope_path=worker.region.path if worker.region else None)
    db.session.add(punch)
    db.session.commit()
    return punch


def make_patrol(worker: User, points, *, started_at: str | None = None,
                ended_at: str | None = None):
    """A synced patrol and its track points as the server keeps them: jitter judged and
    figures measured by the patrol service, as pushes would leave them.

    points: (lat, lon, recorded_at ISO) or (lat, lon, recorded_at, accuracy_m); the patrol
    starts at the first point and ends at the last unless told otherwise."""
    from datetime import datetime

    from backend.common.settings import setting
    from backend.patrol import services as patrol_services
    from backend.patrol.models import Patrol, TrackPoint
    from backend.regions.services import boundary_of_path

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    path = worker.region.path if worker.region else None
    patrol_id = uuid.uuid4()
    track = patrol_services.Track(
        patrol_id=patrol_id, accuracy_limit_m=setting("PATROL_ACCURACY_LIMIT_M"),
        max_speed_mps=setting("PATROL_MAX_SPEED_KMH") / 3.6, fence=boundary_of_path(path))
    track.load([patrol_services.Point(uuid.uuid4(), when(p[2]), p[0], p[1],
                                      p[3] if len(p) > 3 else 5.0) for p in points])
    start = when(started_at) if started_at else track.points[0].recorded_at
    end = when(ended_at) if ended_at else track.points[-1].recorded_at
    common = {"version": 1, "created_at": start, "updated_at": end, "deleted": False,
              "field_clock": {}, "scope_path": path}
    patrol = Patrol(id=patrol_id, worker_id=worker.id, started_at=start, ended_at=end,
                    grid_id=worker.region_id, **track.measures(start, end), **common)
    db.session.add(patrol)
    db.session.add_all(TrackPoint(id=p.id, patrol_id=patrol_id, lat=p.lat, lon=p.lon,
                                  accuracy_m=p.accuracy_m, recorded_at=p.recorded_at,
                                  worker_id=worker.id, is_jitter=p.is_jitter, **common)
                       for p in track.points)
    db.session.commit()
    return patrol


HALL_CENTRE = (35.0525, 118.3405)


def make_hall(*, radius_m: float = 200.0, hours: dict | None = None, daily_limit: int = 200,
              windows=((1, ("A", "B", "C")), (2, ("A",)), (3, ("B",)), (4, ("C",)))):
    """A hall open around the clock with services A, B, C and four windows."""
    from backend.queue import services as queue
    from backend.queue.models import Service

    hall = queue.add_hall(
        name="测试政务大厅", lat=HALL_CENTRE[0], lon=HALL_CENTRE[1], fence_radius_m=radius_m,
        services=[("A", "不动产登记"), ("B", "企业开办"), ("C", "社保医保")],
        opening_hours=hours if hours is not None else {str(d): [["00:00", "24:00"]]
                                                       for d in range(1, 8)},
        windows=[(number, list(codes)) for number, codes in windows])
    for service in db.session.scalars(select(Service).where(Service.hall_id == hall.id)):
        service.daily_limit = daily_limit
    db.session.commit()
    return hall


def hall_service(hall, code: str):
    from backend.queue.models import Service

    return db.session.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == code))


def make_clerk(hall, window_number: int, username: str | None = None):
    from backend.queue import services as queue

    clerk = make_user(username, roles=("clerk",))
    queue.bind_clerk(hall, window_number, clerk.id)
    db.session.commit()
    return clerk
