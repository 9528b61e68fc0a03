"""Setting up a service hall (一窗受理): the hall, its services and its windows."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.queue.models import Hall, Service, Window, hall_managers
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience


def add_hall(*, name: str, lat: float, lon: float, fence_radius_m: float,
             services: list[tuple[str, str]], address: str = "",
             opening_hours: dict | None = None, windows: list[tuple[int, list[str]]] = (),
             avg_service_min: dict[str, float] | None = None) -> Hall:
    """A hall with its services as (code, name) and its windows as (number, the codes of
    the services it handles), in the caller's transaction."""
    hall = Hall(name=name, lat=lat, lon=lon, fence_radius_m=fence_radius_m, version=1,
                address=address, opening_hours=opening_hours or {}, wait_alert_min=30,
                idle_alert_min=5)
    db.session.add(hall)
    db.session.flush()
    averages = avg_service_min or {}
    rows = [Service(hall_id=hall.id, code=code, name=label, version=1, sort_order=index,
                    avg_service_min=averages.get(code, 9.0), time_limit_min=20, daily_limit=200)
            for index, (code, label) in enumerate(services)]
    db.session.add_all(rows)
    db.session.flush()
    log_reference_changes("halls", [(hall.id, 1, False, Audience(is_public=True))])
    log_reference_changes("services", [(s.id, 1, False, Audience(is_public=True)) for s in rows])
    by_code = {service.code: service for service in rows}
    for number, codes in windows:
        window = Window(hall_id=hall.id, number=number, label="", status="open")
        window.services = [by_code[code] for code in codes]
        db.session.add(window)
    db.session.flush()
    return hall


def bind_clerk(hall: Hall, window_number: int, clerk_id) -> Window:
    """Put a clerk at a window (and nowhere else), in the caller's transaction."""
    window = db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                    Window.number == window_number))
    for other in db.session.scalars(select(Window).where(Window.clerk_id == clerk_id)):
        other.clerk_id = None
    db.session.flush()
    window.clerk_id = clerk_id
    return window


def add_manager(hall: Hall, user_id) -> None:
    db.session.execute(hall_managers.insert().values(hall_id=hall.id, user_id=user_id))
