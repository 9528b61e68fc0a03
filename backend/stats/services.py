"""Assessment (专项考核): how the cases reported in a period went, per region, per grid worker
or per department, and as a trend over days, weeks or months. Every figure is counted in
the database by grouped queries over the case rows; the definitions are here and only here.

**Which cases.** A case counts for the period it was *reported* in (the city's days
`from`…`to`, both whole, in CITY_TIMEZONE), and for the region whose subtree holds it. A
case that was cancelled (作废) or merged into another as a duplicate (合并) was never work:
it is left out of every figure and only counted apart, as `cancelled` and `merged`.

**Per region** (the children of the region asked for; `total` for the whole region):

- `total` (上报): cases reported; `open` + `closed` = `total`.
- `registered` (立案): went into the loop — registered now or at any time before; closed on
  the spot ones never were.
- `dispatched` (派遣): dispatched at least once (to a department or back to a grid worker).
- `handled` (处置): handled at least once by whoever it was dispatched to.
- `closed` (结案), of which `closed_on_spot` (网格微循环: closed by the reporting grid worker,
  never dispatched). A reopened case is open again until it closes again.
- `overdue` (超期未结): open now and past its deadline now.
- `closed_on_time` / `closed_late`: closed no later / later than the deadline;
  `on_time_rate` = closed_on_time / closed (按期结案率; none when nothing closed).
- `avg_handling_h`: the mean **wall-clock** hours from report to closing, over the closed
  (the deadline itself counts working hours: whether a case was on time is read from it).
- `sent_back` (退回): cases sent back at least once after handling (not the number of
  send-backs).
- `satisfied` / `unsatisfied`: the reporter's feedback (结果反馈) as it stands;
  `satisfaction_rate` = satisfied / (satisfied + unsatisfied).

**Per grid worker** (the grid workers bound to a grid in the region): `reported` by them and
`closed_on_spot` by them; and, for the cases dispatched back to them (网格微循环), the
handler's figures below. **Per department**: the handler's figures for the cases whose
latest dispatch went to that department. Handler's figures:

- `dispatched`: cases whose latest dispatch went to this handler;
- `handled`: of those, handled by this handler (after that dispatch);
- `handled_on_time`: handled no later than the case's deadline; `handled_on_time_rate` =
  handled_on_time / handled;
- `avg_dispatch_to_handled_h`: mean wall-clock hours from that dispatch to the (latest)
  handling, sent-back rounds included;
- `sent_back`, `overdue`, `closed`, `satisfied`, `unsatisfied`, `satisfaction_rate` as for
  regions, over the cases dispatched to this handler.

**Trend**: the same period cut into city days, weeks (Monday first) or months; each bucket
holds the cases reported in it, so the buckets add up to the table's total: `reported`
(= total), `closed`, `overdue` and `on_time_rate` with the definitions above.

**Counted how.** A city's or a district's rows per region, and the trend of a region down to
a street, are added up from a daily roll-up per street and city day, kept exact with every
change of a case and counted by these same definitions (rollup.py); `overdue`, which moves
with the clock, is always counted from the cases. Everything else is counted from the cases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import User, UserRole
from backend.common.auth import WORKER, RegionScope
from backend.common.time import city_day_bounds, city_zone, utcnow
from backend.departments.models import Department
from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.incidents import workflow
from backend.incidents.models import Report
from backend.regions.models import Region
from backend.stats import rollup
from backend.stats.models import ROLLUP_COUNTS, ROLLUP_SUMS, SEGMENT

_reports = Report.__table__
MAX_DAYS = 366 * 3
GROUPINGS = ("region", "worker", "department")
# Statuses that were never work: left out of every figure, counted apart.
NOT_WORK = ("cancelled", "merged")

# The figures of each grouping, in the table's (and the exports') order after the row's
# own columns. Rates and averages are worked out from counts, so totals add up exactly.
REGION_FIGURES = ("total", "registered", "dispatched", "handled", "closed", "closed_on_spot",
                  "open", "overdue", "closed_on_time", "closed_late", "on_time_rate",
                  "avg_handling_h", "sent_back", "satisfied", "unsatisfied",
                  "satisfaction_rate", "cancelled", "merged")
HANDLER_FIGURES = ("dispatched", "handled", "handled_on_time", "handled_on_time_rate",
                   "avg_dispatch_to_handled_h", "sent_back", "overdue", "closed", "satisfied",
                   "unsatisfied", "satisfaction_rate")
WORKER_FIGURES = ("reported", "closed_on_spot", *HANDLER_FIGURES)
LABELS = {"region": ("code", "name"), "worker": ("code", "name", "region_name"),
          "department": ("code", "name")}
FIGURES = {"region": REGION_FIGURES, "worker": WORKER_FIGURES, "department": HANDLER_FIGURES}
# Derived figures: (numerator, denominator) counts, or (hours sum, count) for averages.
RATES = {"on_time_rate": ("closed_on_time", "closed"),
         "handled_on_time_rate": ("handled_on_time", "handled"),
         "satisfaction_rate": ("satisfied", "rated")}
AVERAGES = {"avg_handling_h": ("closed_hours", "closed"),
            "avg_dispatch_to_handled_h": ("handling_hours", "handled")}
# The region figures the daily roll-up holds (all but overdue).
ROLLUP_FIGURES = (*ROLLUP_COUNTS, *ROLLUP_SUMS)
# Bucket sizes of the trend, and the longest period each may cover.
BUCKET_MAX_DAYS = {"day": 92, "week": 366, "month": MAX_DAYS}

# Kept for the existing table's readers: the counted (integer) figures of a region row.
COUNTS = tuple(key for key in REGION_FIGURES if key not in RATES and key not in AVERAGES)


def columns(group_by: str) -> tuple[str, ...]:
    """The table's columns for a grouping, as the console shows them and the exports hold."""
    return (*LABELS[group_by], *FIGURES[group_by])


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None, *, max_days: int = MAX_DAYS) -> Period:
        today = utcnow().astimezone(city_zone()).date()
        end = end or today
        start = start or end - timedelta(days=29)
        if start > end:
            raise Invalid("`from` must not come after `to`.", code="validation_error",
                          details={"fields": {"to": ["Before `from`."]}})
        if (end - start).days >= max_days:
            raise Invalid(f"At most {max_days} days at once.", code="validation_error",
                          details={"fields": {"from": ["Period too long."]}})
        return cls(start, end)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: the first day's midnight to the day after the last's."""
        return city_day_bounds(self.start)[0], city_day_bounds(self.end)[1]


def _root_for(scope: RegionScope, region_id: uuid.UUID | None) -> Region:
    """The region asked for (in the caller's scope), or the top of the caller's scope."""
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None or not scope.covers(region.path):
            raise NotFound("No such region.")
        return region
    query = sa.select(Region).order_by(sa.func.length(Region.path)).limit(1)
    if not scope.everything:
        query = query.where(Region.path == scope.path_prefix)
    region = db.session.scalar(query)
    if region is None:
        raise NotFound("No region to report on.")
    return region


# --- what each figure counts, as SQL ------------------------------------------------------

def _hours(later, earlier):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


def _count(condition):
    # count(*) FILTER (WHERE …): cheaper per row than count(CASE …) on both databases.
    return sa.func.count().filter(condition)


class _Facts:
    """The conditions the definitions above are made of, over the case rows."""

    def __init__(self, now: datetime) -> None:
        c = _reports.c
        self.work = c.status.not_in(NOT_WORK)
        self.closed = c.status == "closed"
        self.open = c.status.in_(sorted(workflow.OPEN_STATUSES))
        self.on_spot = sa.and_(self.closed, c.dispatched_at.is_(None))
        self.overdue = sa.and_(self.open, c.deadline_at < now)
        # Handled by the present handler: after the latest dispatch.
        self.handled_here = sa.and_(c.handled_at.is_not(None), c.handled_at >= c.dispatched_at)

    def region(self) -> list:
        return [*self.clock_free_region(), _count(self.overdue).label("overdue")]

    def clock_free_region(self) -> list:
        """The region figures that do not move with the clock: all but `overdue` (what the
        daily roll-up keeps, rollup.py)."""
        c = _reports.c
        return [
            _count(self.work).label("total"),
            _count(sa.and_(self.work, c.status != "reported", sa.not_(self.on_spot))
                   ).label("registered"),
            _count(sa.and_(self.work, c.dispatched_at.is_not(None))).label("dispatched"),
            _count(sa.and_(self.work, c.handled_at.is_not(None))).label("handled"),
            _count(self.closed).label("closed"),
            _count(self.on_spot).label("closed_on_spot"),
            _count(self.open).label("open"),
            _count(sa.and_(self.closed, c.closed_at <= c.deadline_at)).label("closed_on_time"),
            _count(sa.and_(self.closed, c.closed_at > c.deadline_at)).label("closed_late"),
            sa.func.sum(_hours(c.closed_at, c.reported_at)).filter(self.closed
                                                                   ).label("closed_hours"),
            _count(sa.and_(self.work, c.send_backs > 0)).label("sent_back"),
            *self._satisfaction(),
            _count(c.status == "cancelled").label("cancelled"),
            _count(c.status == "merged").label("merged"),
        ]

    def handler(self) -> list:
        c = _reports.c
        handled = sa.and_(self.work, self.handled_here)
        return [
            _count(self.work).label("dispatched"),
            _count(handled).label("handled"),
            _count(sa.and_(handled, c.handled_at <= c.deadline_at)).label("handled_on_time"),
            sa.func.sum(_hours(c.handled_at, c.dispatched_at)).filter(handled
                                                                     ).label("handling_hours"),
            _count(sa.and_(self.work, c.send_backs > 0)).label("sent_back"),
            _count(self.overdue).label("overdue"),
            _count(self.closed).label("closed"),
            *self._satisfaction(),
        ]

    def reporter(self) -> list:
        return [_count(self.work).label("reported"), _count(self.on_spot).label("closed_on_spot")]

    def _satisfaction(self) -> list:
        c = _reports.c
        return [_count(sa.and_(self.work, c.satisfaction == "satisfied")).label("satisfied"),
                _count(sa.and_(self.work, c.satisfaction == "unsatisfied")).label("unsatisfied")]


def _in_period(root: Region, period: Period) -> list:
    since, until = period.bounds()
    return [_reports.c.scope_path.startswith(root.path, autoescape=True),
            _reports.c.reported_at >= since, _reports.c.reported_at < until,
            _reports.c.deleted.is_(False)]


def _grouped(key, figures: list, where: list) -> dict:
    query = sa.select(key.label("key"), *figures).where(*where).group_by(key)
    return {row.key: row._asdict() for row in db.session.execute(query)}


# --- the groupings --------------------------------------------------------------------------

def case_figures(scope: RegionScope, *, region_id: uuid.UUID | None = None,
                 start: date | None = None, end: date | None = None,
                 group_by: str = "region") -> dict:
    """{"region", "from", "to", "group_by", "columns", "items": a row per child region (or
    the region itself when it has none), grid worker or department, "total": the same
    figures for the whole region (or the rows together)}."""
    if group_by not in GROUPINGS:
        raise Invalid(f"group_by is one of {', '.join(GROUPINGS)}.", code="validation_error")
    root = _root_for(scope, region_id)
    period = Period.of(start, end)
    facts = _Facts(utcnow())
    where = _in_period(root, period)
    # The city's or a district's children (districts or streets) are whole streets.
    if group_by == "region" and rollup.serves(len(root.path) + SEGMENT):
        items, total = _by_region(root, facts, where, counted=_rolled_up(period))
    else:
        items, total = {"region": _by_region, "worker": _by_worker,
                        "department": _by_department}[group_by](root, facts, where)
    return {"region": root, "from": period.start, "to": period.end, "group_by": group_by,
            "columns": list(columns(group_by)), "items": items, "total": total}


def _by_region(root: Region, facts: _Facts, where: list, counted=None) -> tuple[list, dict]:
    """A row per child region; `counted(root, prefix_length, facts, where)` counts them
    (from the cases by default, or the daily roll-up)."""
    children = list(db.session.scalars(sa.select(Region).where(
        Region.parent_id == root.id).order_by(Region.code)))
    prefix_length = len(root.path) + (SEGMENT if children else 0)
    if counted is None:
        unit = sa.func.substr(_reports.c.scope_path, 1, prefix_length)
        by_unit = _grouped(unit, facts.region(), where)
    else:
        by_unit = counted(root, prefix_length, facts, where)
    items = [_row(_region_labels(region), by_unit.get(region.path), REGION_FIGURES)
             for region in children or [root]]
    return items, _row(_region_labels(root), _sum(by_unit.values()), REGION_FIGURES)


def _rolled_up(period: Period):
    """Counting a city's or a district's children from the daily roll-up: its street-days
    added up per child, and `overdue`, which moves with the clock, counted live from the
    open cases."""

    def counted(root: Region, prefix_length: int, facts: _Facts, where: list) -> dict:
        rollup.settle()  # this transaction's own changes, if it made any
        by_unit = rollup.rows_of(
            rollup.in_days(root.path, period.start, period.end),
            sa.func.substr(rollup.case_rollup.c.street_path, 1, prefix_length),
            list(ROLLUP_FIGURES))
        late = _grouped(sa.func.substr(_reports.c.scope_path, 1, prefix_length),
                        [sa.func.count().label("overdue")], [*where, facts.overdue])
        for key, row in late.items():
            by_unit.setdefault(key, {})["overdue"] = row["overdue"]
        return by_unit

    return counted


def _region_labels(region: Region) -> dict:
    return {"region_id": region.id, "code": region.code, "name": region.name,
            "level": region.level}


def _by_worker(root: Region, facts: _Facts, where: list) -> tuple[list, dict]:
    workers = db.session.execute(
        sa.select(User.id, User.username, User.display_name, Region.name.label("region_name"))
        .join(Region, Region.id == User.region_id)
        .join(UserRole, sa.and_(UserRole.user_id == User.id, UserRole.role == WORKER))
        .where(Region.path.startswith(root.path, autoescape=True))
        .order_by(Region.code, User.username)).all()
    c = _reports.c
    reported = _grouped(c.reporter_id, facts.reporter(), where)
    handled = _grouped(c.assignee_id, facts.handler(),
                       [*where, c.assignee_id.is_not(None), c.dispatched_at.is_not(None)])
    items, counted = [], []
    for worker in workers:
        row = {**(reported.get(worker.id) or {}), **(handled.get(worker.id) or {})}
        counted.append(row)
        items.append(_row({"worker_id": worker.id, "code": worker.username,
                           "name": worker.display_name or worker.username,
                           "region_name": worker.region_name}, row, WORKER_FIGURES))
    return items, _row({"code": "", "name": root.name, "region_name": ""}, _sum(counted),
                       WORKER_FIGURES)


def _by_department(root: Region, facts: _Facts, where: list) -> tuple[list, dict]:
    departments = db.session.execute(sa.select(Department.id, Department.code, Department.name)
                                     .where(Department.deleted.is_(False))
                                     .order_by(Department.code)).all()
    c = _reports.c
    handled = _grouped(c.department_id, facts.handler(),
                       [*where, c.department_id.is_not(None), c.dispatched_at.is_not(None)])
    items = [_row({"department_id": d.id, "code": d.code, "name": d.name},
                  handled.get(d.id), HANDLER_FIGURES) for d in departments]
    return items, _row({"code": "", "name": root.name}, _sum(handled.values()), HANDLER_FIGURES)


def _sum(rows) -> dict:
    """Rows of counts added up (a sum of hours stays a sum: averages are worked out after)."""
    total: dict = {}
    for row in rows:
        for key, value in row.items():
            if key != "key" and value is not None:
                total[key] = total.get(key, 0) + value
    return total


def _row(labels: dict, counts: dict | None, figures: tuple[str, ...]) -> dict:
    counts = counts or {}
    out = dict(labels)
    counts = {**counts, "rated": (counts.get("satisfied") or 0) + (counts.get("unsatisfied") or 0)}
    for key in figures:
        if key in RATES:
            part, whole = (counts.get(name) or 0 for name in RATES[key])
            out[key] = round(part / whole, 4) if whole else None
        elif key in AVERAGES:
            hours, whole = (counts.get(name) or 0 for name in AVERAGES[key])
            out[key] = round(float(hours) / whole, 1) if whole else None
        else:
            out[key] = int(counts.get(key) or 0)
    return out


# --- the trend -------------------------------------------------------------------------------

TREND_FIGURES = ("reported", "closed", "overdue", "on_time_rate")


def _city_day(column):
    """The city day of an instant, in the database: PostgreSQL converts with the zone's own
    rules; SQLite, which knows no zones, asks Python (a function on the connection)."""
    zone = city_zone()
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(zone.key, column), sa.Date)

    def city_day(value: str | None) -> str | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return moment.astimezone(zone).date().isoformat()

    raw = db.session.connection().connection.driver_connection
    raw.create_function("civicgrid_city_day", 1, city_day, deterministic=True)
    return sa.func.civicgrid_city_day(column)


def _trend_rolled_up(root: Region, period: Period, facts: _Facts) -> dict:
    """The trend's days from the daily roll-up (reported is the region rows' total, closed
    on time theirs too); overdue counted live per day from the open cases."""
    rollup.settle()
    day = rollup.case_rollup.c.day
    by_day = {key: {"reported": row["total"], "closed": row["closed"],
                    "closed_on_time": row["closed_on_time"]}
              for key, row in rollup.rows_of(rollup.in_days(root.path, period.start, period.end),
                                             day, ["total", "closed", "closed_on_time"]).items()}
    late = _grouped(_city_day(_reports.c.reported_at), [sa.func.count().label("overdue")],
                    [*_in_period(root, period), facts.overdue])
    for key, row in late.items():
        key = key if isinstance(key, date) else date.fromisoformat(key)
        by_day.setdefault(key, {})["overdue"] = row["overdue"]
    return by_day


def bucket_of(day: date, bucket: str) -> date:
    """The first day of the day's bucket: itself, its week's Monday, or its month's 1st."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _label(first: date, bucket: str) -> str:
    return first.strftime("%Y-%m") if bucket == "month" else first.isoformat()


def case_trend(scope: RegionScope, *, region_id: uuid.UUID | None = None,
               start: date | None = None, end: date | None = None, bucket: str = "day") -> dict:
    """{"region", "from", "to", "bucket", "series": every bucket of the period in order, each
    {"period" (the day, the week's Monday, or YYYY-MM), "from", "to" (its days within the
    period), "reported", "closed", "overdue", "on_time_rate"}}. Counted per city day in the
    database, then added up into weeks or months."""
    if bucket not in BUCKET_MAX_DAYS:
        raise Invalid("bucket is one of day, week, month.", code="validation_error",
                      details={"fields": {"bucket": ["Unknown bucket."]}})
    root = _root_for(scope, region_id)
    period = Period.of(start, end, max_days=BUCKET_MAX_DAYS[bucket])
    facts = _Facts(utcnow())
    c = _reports.c
    if rollup.serves(len(root.path)):
        by_day = _trend_rolled_up(root, period, facts)
    else:
        figures = [_count(facts.work).label("reported"), _count(facts.closed).label("closed"),
                   _count(facts.overdue).label("overdue"),
                   _count(sa.and_(facts.closed, c.closed_at <= c.deadline_at)
                          ).label("closed_on_time")]
        by_day = _grouped(_city_day(c.reported_at), figures, _in_period(root, period))
    buckets: dict[date, dict] = {}
    day = period.start
    while day <= period.end:
        first = bucket_of(day, bucket)
        entry = buckets.setdefault(first, {"period": _label(first, bucket), "from": day,
                                           "to": day, "reported": 0, "closed": 0,
                                           "overdue": 0, "closed_on_time": 0})
        entry["to"] = day
        counts = by_day.get(day) or by_day.get(day.isoformat()) or {}
        for key in ("reported", "closed", "overdue", "closed_on_time"):
            entry[key] += int(counts.get(key) or 0)
        day += timedelta(days=1)
    series = []
    for entry in buckets.values():
        closed_on_time = entry.pop("closed_on_time")
        entry["on_time_rate"] = round(closed_on_time / entry["closed"], 4) if entry["closed"] else None
        series.append(entry)
    return {"region": root, "from": period.start, "to": period.end, "bucket": bucket,
            "series": series}


# --- exports -------------------------------------------------------------------------------

HEADERS = {
    "zh": {"code": "编码", "name": "名称", "region_name": "所在网格", "total": "上报",
           "reported": "上报", "registered": "立案", "dispatched": "派遣", "handled": "处置",
           "closed": "结案", "closed_on_spot": "现场处置", "open": "未结", "overdue": "超期未结",
           "closed_on_time": "按期结案", "closed_late": "超期结案", "on_time_rate": "按期结案率",
           "avg_handling_h": "平均办结时长（小时）", "sent_back": "退回", "satisfied": "满意",
           "unsatisfied": "不满意", "satisfaction_rate": "满意率", "cancelled": "作废",
           "merged": "合并", "handled_on_time": "按期处置", "handled_on_time_rate": "按期处置率",
           "avg_dispatch_to_handled_h": "平均处置时长（小时）"},
    "en": {"code": "code", "name": "name", "region_name": "grid", "total": "reported",
           "reported": "reported", "registered": "registered", "dispatched": "dispatched",
           "handled": "handled", "closed": "closed", "closed_on_spot": "closed on the spot",
           "open": "open", "overdue": "overdue", "closed_on_time": "closed on time",
           "closed_late": "closed late", "on_time_rate": "on-time rate",
           "avg_handling_h": "average hours to close", "sent_back": "sent back",
           "satisfied": "satisfied", "unsatisfied": "unsatisfied",
           "satisfaction_rate": "satisfaction rate", "cancelled": "cancelled",
           "merged": "merged", "handled_on_time": "handled on time",
           "handled_on_time_rate": "on-time handling rate",
           "avg_dispatch_to_handled_h": "average hours to handle"},
}
# The row's own columns are named for what the rows are.
LABEL_HEADERS = {
    "region": {"zh": {"code": "区域编码", "name": "区域"}, "en": {"code": "code", "name": "region"}},
    "worker": {"zh": {"code": "账号", "name": "网格员"},
               "en": {"code": "username", "name": "grid worker"}},
    "department": {"zh": {"code": "部门编码", "name": "部门"},
                   "en": {"code": "code", "name": "department"}},
}
TOTAL_SUFFIX = {"zh": "（合计）", "en": " (total)"}
SORTABLE = frozenset(key for keys in (*LABELS.values(), *FIGURES.values()) for key in keys)


def sort_items(items: list[dict], sort: str | None, descending: bool = True) -> list[dict]:
    """The rows in the console's order: by one column, rows without the figure (null) last
    either way, ties in the server's order; as given without `sort`."""
    if not sort:
        return list(items)
    present = [item for item in items if item.get(sort) is not None]
    missing = [item for item in items if item.get(sort) is None]
    present.sort(key=lambda item: item[sort], reverse=descending)  # stable: ties keep order
    return present + missing


def figure_rows(result: dict, language: str = "zh", *, sort: str | None = None,
                descending: bool = True) -> list[list]:
    """The table as rows (a header, the rows in the console's order, the total), for CSV
    and Excel: the columns and values the console shows, rates as fractions."""
    language = "en" if language.startswith("en") else "zh"
    keys = result["columns"]
    headers = {**HEADERS[language], **LABEL_HEADERS[result["group_by"]][language]}
    rows = [[headers[key] for key in keys]]
    total = {**result["total"], "name": f"{result['total']['name']}{TOTAL_SUFFIX[language]}"}
    for item in [*sort_items(result["items"], sort, descending), total]:
        rows.append([item.get(key) for key in keys])
    return rows
