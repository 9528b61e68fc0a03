"""The hall's statistics (大厅统计): tickets, waiting and service times, no-shows and ratings
per service, window, clerk, city day or hour of the day, for a period of city days.

**Which tickets.** Those taken on the city days `from`…`to` (both whole, in CITY_TIMEZONE;
a ticket's `day`), in one hall.

- `tickets` (取号): taken; `served` (办结): done; `no_shows` (过号): called and never came;
  `cancelled` (取消): given up by their holder while waiting.
- `wait_mean_s`, `wait_p90_s` (等待): first call − taking, over the tickets that were called.
- `service_mean_s`, `service_p90_s` (办理): finishing − first call (the latest call when the
  first is unknown), over the done tickets.
- p90 is exact, by nearest rank: the smallest time that at least 90 % of the times do not
  exceed (the ⌈0.9·n⌉-th smallest); null when there is none.
- `ratings` (评价): rated tickets; `rating_mean` their mean score; `satisfaction` (满意率):
  the share of them scored 4 or 5, 0..1, null without ratings.

**Rows.** `service`: every service of the hall, in its order (`key`: its id); `window`: every
window, by number (`key`: its number); `clerk`: each clerk who called a ticket (`key`: the
clerk's id); `day`: every day of the period; `hour`: the city's hours of the day in which
tickets were taken. A ticket never called has no window and no clerk: in those groupings it
counts in a row of its own (`key` "none").
`totals` is the whole hall for the period, counted from the same tickets.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.common.auth import ADMIN, HALL_MANAGER, SUPERVISOR
from backend.common.time import city_zone, utcnow
from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.queue.managers import manages
from backend.queue.models import (
    CANCELLED,
    DONE,
    NO_SHOW,
    Hall,
    Service,
    Ticket,
    TicketRating,
    Window,
    hall_managers,
)

GROUPINGS = ("service", "window", "clerk", "day", "hour")
MAX_DAYS = 366
DEFAULT_DAYS = 7
NONE_KEY = "none"
# Rows streamed from the database at a time: a busy hall's month is ~30,000 tickets, and
# only each ticket's few figures are kept.
BATCH = 2000
FIGURES = ("tickets", "served", "no_shows", "cancelled", "wait_mean_s", "wait_p90_s",
           "service_mean_s", "service_p90_s", "ratings", "rating_mean", "satisfaction")

# The exports' column headings and the grouping column's, in Chinese (as the hall reads them).
HEADINGS = {"tickets": "取号数", "served": "办结数", "no_shows": "过号数", "cancelled": "取消数",
            "wait_mean_s": "平均等待(分钟)", "wait_p90_s": "90%等待不超过(分钟)",
            "service_mean_s": "平均办理(分钟)", "service_p90_s": "90%办理不超过(分钟)",
            "ratings": "评价数", "rating_mean": "平均评分", "satisfaction": "满意率"}
GROUP_HEADINGS = {"service": "业务", "window": "窗口", "clerk": "工作人员", "day": "日期",
                  "hour": "时段"}
NONE_LABELS = {"window": "未叫号", "clerk": "未叫号"}
TOTAL_LABEL = "合计"


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class _Tally:
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    waits: list = field(default_factory=list)
    services: list = field(default_factory=list)
    scores: list = field(default_factory=list)

    def add(self, status, wait_s, service_s, score) -> None:
        self.tickets += 1
        self.served += status == DONE
        self.no_shows += status == NO_SHOW
        self.cancelled += status == CANCELLED
        if wait_s is not None:
            self.waits.append(wait_s)
        if service_s is not None:
            self.services.append(service_s)
        if score is not None:
            self.scores.append(score)

    def figures(self) -> dict:
        def mean(values, digits=1):
            return round(sum(values) / len(values), digits) if values else None

        good = sum(1 for score in self.scores if score >= 4)
        return {"tickets": self.tickets, "served": self.served, "no_shows": self.no_shows,
                "cancelled": self.cancelled,
                "wait_mean_s": mean(self.waits), "wait_p90_s": p90(self.waits),
                "service_mean_s": mean(self.services), "service_p90_s": p90(self.services),
                "ratings": len(self.scores), "rating_mean": mean(self.scores, 2),
                "satisfaction": round(good / len(self.scores), 4) if self.scores else None}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None, now: datetime) -> Period:
        today = now.astimezone(city_zone()).date()
        end = end or (start + timedelta(days=DEFAULT_DAYS - 1) if start else today)
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise Invalid("`from` must not come after `to`.", code="validation_error",
                          details={"fields": {"to": ["Before `from`."]}})
        if (end - start).days >= MAX_DAYS:
            raise Invalid(f"At most {MAX_DAYS} days at once.", code="period_too_long",
                          details={"fields": {"from": ["Period too long."]},
                                   "max_days": MAX_DAYS})
        return cls(start, end)


# -- who may read a hall's figures --------------------------------------------------------

def may_read(user, hall: Hall) -> bool:
    """Administrators and supervisors read every hall's figures; a hall manager their own
    halls' (hall_managers)."""
    roles = user.role_names
    if roles & {ADMIN, SUPERVISOR}:
        return True
    return HALL_MANAGER in roles and manages(user, hall.id)


def hall_for(user, hall_id: uuid.UUID | None) -> Hall:
    """The hall asked for, or the only one there is (or the only one the manager manages)."""
    if hall_id is not None:
        hall = db.session.get(Hall, hall_id)
        if hall is None or hall.deleted:
            raise NotFound("No such hall.", code="hall_not_found")
    else:
        query = sa.select(Hall).where(Hall.deleted.is_(False)).order_by(Hall.name).limit(2)
        if not user.role_names & {ADMIN, SUPERVISOR}:
            query = query.join(hall_managers, hall_managers.c.hall_id == Hall.id).where(
                hall_managers.c.user_id == user.id)
        halls = list(db.session.scalars(query))
        if not halls:
            raise NotFound("No hall to report on.", code="hall_not_found")
        if len(halls) > 1:
            raise Invalid("There are several halls: name one with `hall_id`.",
                          code="hall_required", details={"fields": {"hall_id": ["Required."]}})
        hall = halls[0]
    if not may_read(user, hall):
        raise Forbidden("Only this hall's managers, supervisors and administrators read its "
                        "figures.", code="not_your_hall")
    return hall


# -- counting -------------------------------------------------------------------------------

def _seconds_between(later, earlier):
    """Seconds from one timestamp column to another, counted by the database: converting
    each of a month's ~30,000 rows' timestamps in Python would take seconds."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.extract("epoch", later - earlier), sa.Float)
    # Whole milliseconds: SQLite's day fractions are a little off.
    return sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0, 3)


def _key_column(group_by: str):
    """The column a row is grouped by, as it comes from the driver (no per-row conversion
    to uuid.UUID or date: a dictionary converts each distinct value once)."""
    t = Ticket.__table__.c
    if group_by == "hour":
        return t.taken_at  # an aware datetime, put in the city's zone below
    column = {"service": t.service_id, "window": t.window_id, "clerk": t.clerk_id,
              "day": t.day}[group_by]
    return sa.type_coerce(column, sa.String)


def _rows_of(hall: Hall, period: Period, group_by: str):
    """Each ticket's key, status, waiting and service seconds and score, streamed."""
    t = Ticket.__table__.c
    query = (sa.select(_key_column(group_by).label("key"), t.status,
                       _seconds_between(t.first_called_at, t.taken_at).label("wait_s"),
                       _seconds_between(t.finished_at, sa.func.coalesce(t.first_called_at,
                                                                        t.called_at)
                                        ).label("service_s"),
                       TicketRating.score)
             .select_from(Ticket.__table__.outerjoin(TicketRating.__table__,
                                                    TicketRating.ticket_id == t.id))
             .where(t.hall_id == hall.id, t.day >= period.start, t.day <= period.end))
    # Core rows (the ORM's would cost more per row than the counting), streamed.
    yield from db.session.connection().execute(query.execution_options(yield_per=BATCH))


def _key_maker(hall: Hall, group_by: str):
    """raw key → the row's key: ids in their usual text form (SQLite keeps them as bare hex),
    windows by number, days as YYYY-MM-DD, hours of the city's day as 00–23."""
    if group_by == "hour":
        zone = city_zone()
        return lambda raw: f"{raw.astimezone(zone).hour:02d}"
    numbers = {}
    if group_by == "window":
        numbers = {str(id_): str(number) for id_, number in db.session.execute(
            sa.select(Window.id, Window.number).where(Window.hall_id == hall.id))}
    known: dict = {None: NONE_KEY}

    def key(raw) -> str:
        if raw not in known:
            text = str(raw) if group_by == "day" else str(uuid.UUID(str(raw)))
            known[raw] = numbers.get(text, NONE_KEY) if group_by == "window" else text
        return known[raw]

    return key


def hall_figures(user, *, hall_id: uuid.UUID | None = None, start: date | None = None,
                 end: date | None = None, group_by: str = "service",
                 now: datetime | None = None) -> dict:
    """The hall's figures per `group_by` for the city days start…end (default: the last
    seven days, today included)."""
    if group_by not in GROUPINGS:
        raise Invalid("Unknown grouping.", code="validation_error",
                      details={"fields": {"group_by": [f"One of {', '.join(GROUPINGS)}."]}})
    hall = hall_for(user, hall_id)
    period = Period.of(start, end, now or utcnow())
    key_of = _key_maker(hall, group_by)
    groups: dict[str, _Tally] = {}
    total = _Tally()
    for raw, status, wait_s, service_s, score in _rows_of(hall, period, group_by):
        if status != DONE:
            service_s = None
        key = key_of(raw)
        tally = groups.get(key)
        if tally is None:
            tally = groups[key] = _Tally()
        tally.add(status, wait_s, service_s, score)
        total.add(status, wait_s, service_s, score)
    rows = [{"key": key, "label": label, **groups.get(key, _Tally()).figures()}
            for key, label in _labels(hall, period, group_by, groups)]
    return {"hall": {"id": hall.id, "name": hall.name}, "from": period.start,
            "to": period.end, "group_by": group_by, "rows": rows,
            "totals": {"key": "total", "label": TOTAL_LABEL, **total.figures()}}


def _labels(hall: Hall, period: Period, group_by: str, groups: dict) -> list[tuple[str, str]]:
    """Every row's (key, label), in the table's order."""
    if group_by == "service":
        services = db.session.scalars(sa.select(Service).where(Service.hall_id == hall.id)
                                      .order_by(Service.sort_order, Service.code))
        return [(str(s.id), f"{s.code} {s.name}") for s in services
                if not s.deleted or str(s.id) in groups]
    if group_by == "window":
        windows = db.session.scalars(sa.select(Window).where(Window.hall_id == hall.id)
                                     .order_by(Window.number))
        labels = [(str(w.number), w.label or f"{w.number}号窗口") for w in windows]
    elif group_by == "clerk":
        ids = [uuid.UUID(key) for key in groups if key != NONE_KEY]
        people = db.session.execute(sa.select(User.id, User.display_name, User.username)
                                    .where(User.id.in_(ids))).all() if ids else []
        labels = sorted(((str(p.id), p.display_name or p.username) for p in people),
                        key=lambda pair: pair[1])
    elif group_by == "day":
        days = (period.end - period.start).days + 1
        return [((period.start + timedelta(days=n)).isoformat(),) * 2 for n in range(days)]
    else:
        return [(key, f"{key}:00–{int(key) + 1:02d}:00") for key in sorted(groups)]
    if NONE_KEY in groups:
        labels.append((NONE_KEY, NONE_LABELS[group_by]))
    return labels


def _as_shown(key: str, value):
    """A figure as the console shows it: times in minutes to a tenth (satisfaction stays a
    fraction, as in every export, for the spreadsheet to format)."""
    if value is not None and key.endswith("_s"):
        return round(value / 60, 1)
    return value


def export_rows(result: dict) -> list[list]:
    """The table as the exports hold it: a heading row, a row per group, the totals."""
    rows = [[GROUP_HEADINGS[result["group_by"]], *(HEADINGS[key] for key in FIGURES)]]
    for row in [*result["rows"], result["totals"]]:
        rows.append([row["label"], *(_as_shown(key, row[key]) for key in FIGURES)])
    return rows


def export_name(result: dict, extension: str) -> str:
    return f"hall-stats-{result['group_by']}-{result['from']}-{result['to']}.{extension}"
