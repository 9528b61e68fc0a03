"""The service hall (一窗受理): halls and the services citizens take numbers for."""

from __future__ import annotations

from backend.extensions import db
from backend.queue.models import Hall, Service
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience


def add_hall(*, name: str, lat: float, lon: float, fence_radius_m: float,
             services: list[tuple[str, str]]) -> Hall:
    """A hall with its services as (code, name), in the caller's transaction."""
    hall = Hall(name=name, lat=lat, lon=lon, fence_radius_m=fence_radius_m, version=1)
    db.session.add(hall)
    db.session.flush()
    rows = [Service(hall_id=hall.id, code=code, name=label, version=1) for code, label in services]
    db.session.add_all(rows)
    db.session.flush()
    log_reference_changes("halls", [(hall.id, 1, False, Audience(is_public=True))])
    log_reference_changes("services", [(s.id, 1, False, Audience(is_public=True)) for s in rows])
    return hall
