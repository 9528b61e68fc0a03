"""Electronic supervision (电子监察): a watcher that looks at every hall and raises an alert
when a service runs past its time limit, a staffed window idles or stays paused while
people wait for its services, or a service's queue has waited too long; the hall's
managers are told, and acknowledge each by name.

One alert per condition while it lasts, keyed by (hall, kind, subject): a condition that
already has an uncleared alert raises nothing new, acknowledged or not (an acknowledged
one would otherwise come back every run); when the condition ends its alert is cleared
(cleared_at), and should it come back, a new alert is raised.

Run by the app's scheduler every HALL_WATCH_S seconds (JOBS=1, under a database lease like
the overdue job) or by cron: `flask hall watch`. Idempotent; two runs at once line up on
each hall's row.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend.audit import services as audit
from backend.common.time import isoformat, utcnow
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.notifications.services import notify
from backend.queue import events
from backend.queue.managers import display_names, managed_hall, manager_ids, manages
from backend.queue.models import (
    ALERT_IDLE,
    ALERT_LONG_WAIT,
    ALERT_OVERTIME,
    ALERT_PAUSED,
    CALLED,
    DONE,
    FOLLOWUP_OPEN,
    NO_SHOW,
    WAITING,
    WINDOW_OPEN,
    WINDOW_PAUSED,
    Hall,
    HallAlert,
    Service,
    Ticket,
    TicketRating,
    Window,
)
from backend.queue.tickets import city_today
from backend.queue.tickets import is_open as hall_is_open

log = logging.getLogger(__name__)
# What an alert's notification is called (notifications.kind).
HALL_ALERT = "hall_alert"
LIST_LIMIT = 200


@dataclass
class Condition:
    """Something wrong now: what kind, about what (its id and what people read)."""

    kind: str
    subject_id: str
    label: str
    detail: dict = field(default_factory=dict)


# -- the watcher ------------------------------------------------------------------------------

def watch(now: datetime | None = None) -> dict:
    """Check every hall once (a few short transactions each); how many alerts were raised
    and cleared. A hall whose check fails is logged and left for the next run; the others
    are still watched."""
    now = now or utcnow()
    hall_ids = db.session.scalars(select(Hall.id).where(Hall.deleted.is_(False))
                                  .order_by(Hall.id)).all()
    db.session.commit()  # the read too: on SQLite it holds the write lock
    raised = cleared = 0
    for hall_id in hall_ids:
        try:
            r, c = watch_hall(hall_id, now)
        except Exception:
            db.session.rollback()
            log.exception("hall watch: hall %s failed", hall_id)
            continue
        raised, cleared = raised + r, cleared + c
    return {"halls": len(hall_ids), "raised": raised, "cleared": cleared}


def watch_hall(hall_id: uuid.UUID, now: datetime) -> tuple[int, int]:
    """Clear the hall's ended alerts, then raise its new ones, each in a transaction of its
    own: a hall event of one transaction goes out once (the last one published), and every
    new alert is to reach the consoles."""
    hall = _locked_hall(hall_id)
    if hall is None:
        return 0, 0
    found = {(c.kind, c.subject_id): c for c in conditions(hall, now)}
    cleared = 0
    for alert in _standing(hall.id):
        if (alert.kind, alert.subject_id) not in found:
            alert.cleared_at, cleared = now, cleared + 1
    if cleared:
        events.queue_changed(hall.id, "alert_cleared", at=now, near=False)
    db.session.commit()
    raised = 0
    for key, condition in sorted(found.items()):
        hall = _locked_hall(hall_id)
        if hall is None or any((a.kind, a.subject_id) == key for a in _standing(hall_id)):
            db.session.commit()
            continue
        _raise(hall, condition, now)
        db.session.commit()
        raised += 1
    return raised, cleared


def _locked_hall(hall_id: uuid.UUID) -> Hall | None:
    # Two watchers at once (cron and the scheduler) take turns on the hall's row, so the
    # second sees the first's alerts and raises none twice.
    hall = db.session.scalar(select(Hall).where(Hall.id == hall_id).with_for_update())
    if hall is None or hall.deleted:
        db.session.rollback()
        return None
    return hall


def _standing(hall_id: uuid.UUID) -> list[HallAlert]:
    """The hall's alerts whose condition has not ended, acknowledged or not."""
    return list(db.session.scalars(select(HallAlert).where(
        HallAlert.hall_id == hall_id, HallAlert.cleared_at.is_(None))))


def _raise(hall: Hall, condition: Condition, now: datetime) -> HallAlert:
    """A new alert, published to the hall's consoles and told to its managers."""
    alert = HallAlert(id=uuid.uuid4(), hall_id=hall.id, kind=condition.kind,
                      subject_id=condition.subject_id, subject_label=condition.label[:100],
                      detail=condition.detail, raised_at=now, note="")
    db.session.add(alert)
    db.session.flush()
    # Nothing personal: what the hall's display could show anyway.
    events.queue_changed(hall.id, "alert", at=now, near=False, alert={
        "id": str(alert.id), "kind": alert.kind, "subject_label": alert.subject_label})
    notify(manager_ids(hall.id), HALL_ALERT, alert.id, {
        "kind": alert.kind, "subject_label": alert.subject_label, "hall": hall.name})
    return alert


def conditions(hall: Hall, now: datetime) -> list[Condition]:
    """What is wrong in the hall now, one Condition per (kind, subject)."""
    services = {s.id: s for s in db.session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.deleted.is_(False)))}
    windows = db.session.scalars(select(Window).where(Window.hall_id == hall.id)).all()
    window_numbers = {w.id: w.number for w in windows}
    called = db.session.execute(select(Ticket.id, Ticket.number, Ticket.service_id,
                                       Ticket.window_id, Ticket.called_at)
                                .where(Ticket.hall_id == hall.id, Ticket.status == CALLED)).all()
    # Waiting tickets per service, and per the one window a transfer sent some to.
    waiting = db.session.execute(
        select(Ticket.service_id, Ticket.for_window_id, func.count(), func.min(Ticket.queued_at))
        .where(Ticket.hall_id == hall.id, Ticket.status == WAITING)
        .group_by(Ticket.service_id, Ticket.for_window_id)).all()
    found: list[Condition] = []

    for ticket in called:
        service = services.get(ticket.service_id)
        if service is None or not service.time_limit_min or ticket.called_at is None:
            continue
        if now - ticket.called_at >= timedelta(minutes=service.time_limit_min):
            found.append(Condition(ALERT_OVERTIME, str(ticket.id), ticket.number, {
                "number": ticket.number, "service_code": service.code,
                "window": window_numbers.get(ticket.window_id),
                "limit_min": service.time_limit_min, "since": isoformat(ticket.called_at)}))

    def waiting_for(window: Window) -> int:
        mine = {s.id for s in window.services}
        return sum(count for service_id, for_window, count, _ in waiting
                   if service_id in mine and for_window in (None, window.id))

    if not hall_is_open(hall, now):
        # Closed: nobody is expected at the windows, and whoever still holds a number waits
        # for tomorrow; only a service still going on is watched.
        return found
    busy = {ticket.window_id for ticket in called}
    idle_after = timedelta(minutes=hall.idle_alert_min)
    for window in windows:
        label = f"{window.number}" + (f" {window.label}" if window.label else "")
        if window.status == WINDOW_OPEN and window.clerk_id is not None \
                and window.id not in busy and window.idle_since is not None:
            # Idle from when it last had someone at it, or from when it opened if later.
            since = max(window.idle_since, window.status_since or window.idle_since)
            people = waiting_for(window) if now - since >= idle_after else 0
            if people:
                found.append(Condition(ALERT_IDLE, str(window.id), label, {
                    "window": window.number, "since": isoformat(since), "waiting": people,
                    "limit_min": hall.idle_alert_min}))
        elif window.status == WINDOW_PAUSED and window.status_since is not None \
                and now - window.status_since >= idle_after:
            people = waiting_for(window)
            if people:
                found.append(Condition(ALERT_PAUSED, str(window.id), label, {
                    "window": window.number, "since": isoformat(window.status_since),
                    "waiting": people, "limit_min": hall.idle_alert_min}))

    oldest: dict[uuid.UUID, tuple[datetime, int]] = {}
    for service_id, _, count, first in waiting:
        earlier, total = oldest.get(service_id, (first, 0))
        oldest[service_id] = (min(earlier, first), total + count)
    for service_id, (first, count) in oldest.items():
        service = services.get(service_id)
        if service is None or now - first < timedelta(minutes=hall.wait_alert_min):
            continue
        found.append(Condition(ALERT_LONG_WAIT, str(service_id), f"{service.code} {service.name}", {
            "service_code": service.code, "since": isoformat(first), "waiting": count,
            "limit_min": hall.wait_alert_min}))
    return found


# -- the manager's side -------------------------------------------------------------------

def list_alerts(user, hall_id: uuid.UUID, *, is_open: bool | None = None) -> list[dict]:
    """The hall's alerts, newest first; open ones are those nobody has acknowledged yet."""
    hall = managed_hall(user, hall_id)
    query = select(HallAlert).where(HallAlert.hall_id == hall.id)
    if is_open is not None:
        query = query.where(HallAlert.acknowledged_at.is_(None) if is_open
                            else HallAlert.acknowledged_at.is_not(None))
    alerts = db.session.scalars(query.order_by(HallAlert.raised_at.desc(), HallAlert.id)
                                .limit(LIST_LIMIT)).all()
    names = display_names(a.acknowledged_by for a in alerts)
    return [alert_view(a, names) for a in alerts]


def alert_view(alert: HallAlert, names: dict) -> dict:
    return {"id": alert.id, "hall_id": alert.hall_id, "kind": alert.kind,
            "subject_id": alert.subject_id, "subject_label": alert.subject_label,
            "detail": alert.detail or {}, "raised_at": alert.raised_at,
            "cleared_at": alert.cleared_at, "acknowledged_at": alert.acknowledged_at,
            "acknowledged_by": alert.acknowledged_by,
            "acknowledged_by_name": names.get(alert.acknowledged_by), "note": alert.note or ""}


def acknowledge(user, alert_id: uuid.UUID, *, note: str = "",
                now: datetime | None = None) -> dict:
    """A manager acknowledges an alert, by name, once (committed)."""
    now = now or utcnow()
    alert = db.session.scalar(select(HallAlert).where(HallAlert.id == alert_id).with_for_update())
    if alert is None or not manages(user, alert.hall_id):
        raise NotFound("No such alert.", code="alert_not_found")
    if alert.acknowledged_at is not None:
        names = display_names([alert.acknowledged_by])
        raise Conflict("This alert is already acknowledged.", code="already_acknowledged",
                       details={"acknowledged_at": isoformat(alert.acknowledged_at),
                                "acknowledged_by_name": names.get(alert.acknowledged_by)})
    alert.acknowledged_at, alert.acknowledged_by, alert.note = now, user.id, note.strip()
    audit.record(audit.HALL_ALERT_ACKNOWLEDGED, actor=user, target=("hall_alert", alert.id),
                 details={"kind": alert.kind, "subject": alert.subject_label})
    events.queue_changed(alert.hall_id, "alert_acknowledged", at=now, near=False)
    db.session.commit()
    return alert_view(alert, display_names([user.id]))


# -- the console's headline ---------------------------------------------------------------

def hall_overview(user, hall_id: uuid.UUID, now: datetime | None = None) -> dict:
    """The hall now and today, counted cheaply: waiting per service, each window's state,
    today's tickets by outcome and ratings, open alerts and follow-ups."""
    now = now or utcnow()
    hall = managed_hall(user, hall_id)
    today = city_today(now)
    services = db.session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.deleted.is_(False))
        .order_by(Service.sort_order, Service.code)).all()
    waiting = {row[0]: (row[1], row[2]) for row in db.session.execute(
        select(Ticket.service_id, func.count(), func.min(Ticket.queued_at))
        .where(Ticket.hall_id == hall.id, Ticket.status == WAITING)
        .group_by(Ticket.service_id)).all()}
    serving = {row.window_id: row.number for row in db.session.execute(
        select(Ticket.window_id, Ticket.number).where(Ticket.hall_id == hall.id,
                                                      Ticket.status == CALLED)).all()}
    windows = db.session.scalars(select(Window).where(Window.hall_id == hall.id)
                                 .order_by(Window.number)).all()
    outcomes = defaultdict(int, {status: count for status, count in db.session.execute(
        select(Ticket.status, func.count()).where(Ticket.hall_id == hall.id, Ticket.day == today)
        .group_by(Ticket.status)).all()})
    rated, mean = db.session.execute(
        select(func.count(), func.avg(TicketRating.score)).join(
            Ticket, Ticket.id == TicketRating.ticket_id)
        .where(TicketRating.hall_id == hall.id, Ticket.day == today)).one()
    open_alerts = db.session.scalar(select(func.count()).select_from(HallAlert).where(
        HallAlert.hall_id == hall.id, HallAlert.acknowledged_at.is_(None)))
    open_followups = db.session.scalar(select(func.count()).select_from(TicketRating).where(
        TicketRating.hall_id == hall.id, TicketRating.followup_status == FOLLOWUP_OPEN))
    return {
        "hall": {"id": hall.id, "name": hall.name, "wait_alert_min": hall.wait_alert_min,
                 "idle_alert_min": hall.idle_alert_min},
        "day": today,
        "services": [{"id": s.id, "code": s.code, "name": s.name,
                      "waiting": waiting.get(s.id, (0, None))[0],
                      "oldest_since": waiting.get(s.id, (0, None))[1]} for s in services],
        "windows": [{"id": w.id, "number": w.number, "label": w.label, "status": w.status,
                     "staffed": w.clerk_id is not None, "serving": serving.get(w.id)}
                    for w in windows],
        "today": {"taken": sum(outcomes.values()), "done": outcomes[DONE],
                  "no_show": outcomes[NO_SHOW], "waiting": outcomes[WAITING],
                  "called": outcomes[CALLED], "rated": rated or 0,
                  "rating_mean": round(float(mean), 2) if mean is not None else None},
        "open_alerts": open_alerts or 0, "open_followups": open_followups or 0,
    }
