"""The demo city's last few weeks of cases (案件), so that a newcomer's console, map and
statistics have something to show.

Every case goes the real way: its report is pushed through the sync engine by a grid
worker's phone, then each step is a cases.act() by whoever the role table names (the
street's or the city's supervisor, 城管局's dept1, the grid worker it was sent back to),
each at a time in the past, so that timelines, deadlines, overdue flags and closing times
read as a believable history up to today. Seeded by the date: loaded at the same moment, the
same history.

Only 城管局 has staff in the demo (dept1), so a case dispatched to another department waits
there; the others are handled by 城管局 or by the grid's worker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import shapely
from sqlalchemy import select

from backend.accounts.models import User
from backend.common import working_time
from backend.common.settings import setting
from backend.common.time import city_zone, isoformat, utcnow
from backend.departments.models import Department
from backend.extensions import db
from backend.incidents import cases
from backend.incidents.models import Category, Report
from backend.regions.models import Region
from backend.sync_adapter.registry import engine
from backend.sync_adapter.services import actor_for

SEED = 20261124
HISTORY_DAYS = 24  # from 24 days ago up to today, in the city's time zone
# A believable day's reports, weekdays and weekends (inclusive ranges).
REPORTS_PER_DAY = {"weekday": (5, 8), "weekend": (3, 5)}
# Staff act from 08:00 to 20:00; a report made later waits for the next morning.
OFFICE_HOURS = (time(8, 0), time(20, 0))
# Nothing is dated closer to the present than this: the history ends a little before now.
MARGIN = timedelta(minutes=5)

# Demo workers and the grids they are bound to; a grid without a worker of its own has its
# cases reported by the worker of its street (盛庄街道 has none: 罗庄街道's, same district).
WORKER_GRIDS = {"worker1": "371302001002001", "worker2": "371311001001002",
                "worker3": "371302002002003"}
STREET_WORKERS = {"371302001": "worker1", "371302002": "worker3", "371311001": "worker2",
                  "371311002": "worker2"}
# 兰山街道 has its own command sub-centre (street1); the other streets' cases are worked by
# the city's centre.
STREET_SUPERVISORS = {"371302001": "street1"}
CITY_SUPERVISOR = "supervisor"
DEPARTMENT_STAFF = {"CGJ": "dept1"}
# Where cases are reported: worker1's grid most, the demo workers' grids next, the rest of
# 兰山街道 more than the other streets.
GRID_WEIGHTS = {"worker1": 22, "worker2": 12, "worker3": 12, "371302001": 4, "other": 2}

# Per category: how often it is reported, where a department would send it other than
# 城管局, and what the reporter writes.
CATEGORY_WEIGHTS = {
    "road.pothole": 10, "road.manhole": 5, "sanitation.garbage": 16, "sanitation.overflow": 12,
    "order.street_vendor": 14, "order.illegal_parking": 14, "facility.streetlight": 8,
    "greenery.damaged": 6, "safety.hazard": 7, "dispute.neighbour": 4,
}
OTHER_DEPARTMENTS = {
    "road.pothole": "ZJJ", "road.manhole": "SWJ", "facility.streetlight": "ZJJ",
    "order.street_vendor": "SCJGJ", "order.illegal_parking": "JTJ", "safety.hazard": "ZJJ",
    "sanitation.garbage": "HBJ",
}
PLACES = (
    "解放路", "沂蒙路", "金雀山路", "银雀山路", "兰山路", "通达路", "启阳路", "涑河南街",
    "砚池街", "南坛路", "沈泉庄路", "罗庄大道", "盛庄路", "册山路", "双岭路", "红旗路",
)
SPOTS = ("与{other}交汇处", "{n}号门前", "东侧人行道", "西侧非机动车道", "公交站台旁",
         "小区南门", "农贸市场入口", "学校门口东侧", "路口北侧", "沿街商铺前")
DESCRIPTIONS = {
    "road.pothole": ("路面出现坑槽，约一平方米，车辆经过颠簸", "人行道地砖松动破损，行人易绊倒",
                     "沥青路面开裂下沉，雨后积水", "路沿石断裂缺损"),
    "road.manhole": ("井盖缺失，井口敞开，已用锥桶临时围挡", "雨水井盖破损塌陷，存在安全隐患",
                     "井盖松动，车辆碾压有响声", "污水井盖错位高出路面"),
    "sanitation.garbage": ("路边堆放生活垃圾，散发异味", "绿化带内有建筑垃圾倾倒",
                           "沿街商铺门前垃圾未及时清运", "空地上堆积大量废弃家具"),
    "sanitation.overflow": ("垃圾桶满溢，垃圾散落地面", "分类垃圾桶已满，周边堆放垃圾袋",
                            "果皮箱满溢无人清理", "垃圾收集点满溢，污水外流"),
    "order.street_vendor": ("流动摊贩占用人行道经营水果", "早餐摊点占道经营，影响通行",
                            "商户出店经营，货物堆放至人行道", "夜市摊位超出划定区域"),
    "order.illegal_parking": ("机动车占用盲道停放", "车辆长时间停放在消防通道",
                              "非机动车乱停乱放，堵塞人行道", "货车占用公交站台停车装卸"),
    "facility.streetlight": ("路灯不亮，夜间道路昏暗", "连续三盏路灯不亮",
                             "路灯灯杆倾斜，灯罩脱落", "路灯白天常亮"),
    "greenery.damaged": ("行道树被折断，树枝垂落", "绿化带被车辆碾压损坏",
                         "草坪被踩踏出裸露小路", "树木倒伏压住护栏"),
    "safety.hazard": ("广告牌松动，有坠落危险", "施工围挡倒塌，占用车道",
                      "电线裸露垂落至人行道", "沿街楼体外墙瓷砖脱落"),
    "dispute.neighbour": ("楼上漏水引发邻里纠纷，双方争执", "邻居楼道堆放杂物引发矛盾",
                          "装修噪音扰民，住户多次投诉", "停车位归属纠纷"),
}
HANDLED_NOTES = {
    "road.pothole": "已修补路面，恢复平整", "road.manhole": "已更换新井盖并固定",
    "sanitation.garbage": "垃圾已清运，现场已冲洗", "sanitation.overflow": "已清运并增加清运频次",
    "order.street_vendor": "已劝离摊贩，恢复通行", "order.illegal_parking": "已联系车主挪车并教育",
    "facility.streetlight": "已更换灯具，恢复照明", "greenery.damaged": "已修剪清理并补植",
    "safety.hazard": "已加固拆除隐患，现场安全", "dispute.neighbour": "已上门调解，双方达成一致",
}
ON_SPOT_NOTES = ("现场已处理完毕", "已当场劝导整改", "已现场清理", "已协调解决")
NOTES = {
    "dispatch": "请按时限处置并反馈",
    "verify": "现场核查，已处置到位",
    "close": "",
    "register": "",
    "send_back": ("处置不彻底，现场仍有遗留，请重新处置", "反馈照片与现场不符，请核实后重新处置"),
    "escalate": ("涉及多个部门，街道协调不了，提请区级处置", "问题反复出现，需区级统筹解决"),
    "cancel": ("重复上报，已合并处理", "经核实不属于城市管理问题"),
    "merge": "与已有案件为同一问题，合并办理",
    "reopen": ("群众反映问题再次出现", "回访发现处置不到位"),
}


@dataclass(frozen=True)
class Step:
    action: str
    by: str            # reporter, street, city or handler
    delay_h: tuple[float, float]
    department: str | None = None   # dispatch: to this department's code…
    to_worker: bool = False         # …or back to the grid's worker
    merge_into: uuid.UUID | None = None  # merge: the case a duplicate goes into


@dataclass
class PlannedCase:
    id: uuid.UUID
    reporter: str
    grid_code: str
    street_code: str
    category: str
    lat: float
    lon: float
    description: str
    day: date                       # the city's date it was reported on
    reported_at: datetime
    received_at: datetime
    deadline_at: datetime           # as the server will set it (working hours, see sync.py)
    kind: str = "department"
    steps: list[Step] = field(default_factory=list)


def _department_loop(department: str = "CGJ") -> list[Step]:
    return [Step("register", "street", (0.1, 1.5)),
            Step("dispatch", "street", (0.05, 1.0), department=department),
            Step("handle", "handler", (0.2, 2)),   # and by the case's deadline, mostly
            Step("verify", "street", (1, 20)),
            Step("close", "street", (0.2, 6))]


def _plans(kind: str, category: str) -> list[Step]:
    """The steps of each kind of case, from report to its end."""
    if kind == "department":
        return _department_loop()
    if kind == "other_department":
        # Nobody in the demo staffs these departments: the case waits in their queue.
        return _department_loop(OTHER_DEPARTMENTS.get(category, "ZJJ"))[:2]
    if kind == "grid_worker":   # 网格微循环: dispatched back to the grid's worker
        loop = _department_loop()
        return [loop[0], replace(loop[1], department=None, to_worker=True), *loop[2:]]
    if kind == "on_spot":
        return [Step("close_on_spot", "reporter", (0.05, 0.6))]
    if kind == "cancelled":
        return [Step("cancel", "street", (0.2, 3))]
    if kind == "sent_back":
        loop = _department_loop()
        return [*loop[:3], Step("send_back", "street", (1, 10)), *loop[2:]]
    if kind == "escalated":   # 县区大循环: from then on the district's (the city's centre acts)
        return [Step("register", "street", (0.1, 1.5)), Step("escalate", "street", (2, 30)),
                Step("dispatch", "city", (0.5, 4), department="CGJ"),
                Step("handle", "handler", (0.2, 2)), Step("verify", "city", (1, 20)),
                Step("close", "city", (0.2, 6))]
    if kind == "reopened":
        loop = _department_loop()
        return [*loop, Step("reopen", "street", (24, 120)), *loop[1:]]
    raise ValueError(kind)


KIND_WEIGHTS = {"department": 40, "grid_worker": 14, "on_spot": 14, "sent_back": 8,
                "escalated": 7, "other_department": 8, "cancelled": 4, "reopened": 3}
# At least this many of each kind (count, and the age in days a case of that kind may have).
KIND_MINIMUMS = {"on_spot": (4, 1, HISTORY_DAYS), "grid_worker": (4, 4, HISTORY_DAYS),
                 "sent_back": (3, 8, HISTORY_DAYS), "escalated": (3, 8, HISTORY_DAYS),
                 "reopened": (2, 12, HISTORY_DAYS), "cancelled": (2, 1, HISTORY_DAYS),
                 "other_department": (2, 1, 10)}
# Cases a few days old that stopped where they are (nobody moved them on): every open
# status is on show, and overdue. Status → how many, each a department case stopped there.
STALLED = {"reported": 2, "registered": 2, "dispatched": 4, "handled": 2, "verified": 2}
STALLED_MIN_AGE = timedelta(days=3)
STALLED_LATE_BY = timedelta(hours=12)
FRESH = 3


def load_case_history(now: datetime | None = None) -> int:
    """Report and work the demo city's cases of the last HISTORY_DAYS days; returns how many
    were reported. Does nothing when there are reports already."""
    if db.session.scalar(select(Report.id).limit(1)) is not None:
        return 0
    now = now or utcnow()
    people = {user.username: user for user in db.session.scalars(select(User))}
    # The demo city's own streets only: loaded beside another city (the full-size one of the
    # benchmarks), the history stays out of it.
    grids = [grid for grid in db.session.execute(
        select(Region.code, Region.boundary_geojson).where(Region.level == "grid")
        .order_by(Region.code)).all() if grid.code[:9] in STREET_WORKERS]
    if not grids or not all(name in people for name in (*WORKER_GRIDS, CITY_SUPERVISOR)):
        return 0
    time_limits = {code: hours for code, hours in db.session.execute(
        select(Category.code, Category.time_limit_h))}
    department_ids = {code: id_ for code, id_ in db.session.execute(
        select(Department.code, Department.id))}
    planned = plan_cases(now, grids, time_limits)
    with _quiet_audit_log(), _accounts_kept_loaded():
        _report(planned, people)
        for case in planned:
            _work(case, people, department_ids, now)
    db.session.commit()
    return len(planned)


# -- planning: pure, seeded --------------------------------------------------------------

def plan_cases(now: datetime, grids: list[tuple[str, str]],
               time_limits: dict[str, int]) -> list[PlannedCase]:
    """Every case of the history and its steps (grids: code and GeoJSON boundary), drawn
    from the seed and the city's date; `now` cuts off what has not happened yet."""
    zone = city_zone()
    today = now.astimezone(zone).date()
    rng = random.Random(f"{SEED}-{today.isoformat()}")
    calendar, working_hours = working_time.city_working_time()
    shapes = {code: shapely.from_geojson(_geojson_text(boundary)).buffer(-0.0003)
              for code, boundary in grids}
    codes = list(shapes)
    weights = [_grid_weight(code) for code in codes]
    categories, category_weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    planned = []
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        low, high = REPORTS_PER_DAY["weekend" if day.weekday() >= 5 else "weekday"]
        for _ in range(rng.randint(low, high)):
            grid_code = rng.choices(codes, weights)[0]
            category = rng.choices(categories, category_weights)[0]
            local = datetime.combine(day, time(7, 0), tzinfo=zone) + timedelta(
                minutes=rng.randint(0, 14 * 60))
            reported_at = local.astimezone(now.tzinfo)
            # Most phones have signal; some send an hour or three later.
            delay = (timedelta(hours=rng.uniform(0.3, 3)) if rng.random() < 0.1
                     else timedelta(seconds=rng.randint(3, 180)))
            lat, lon = _point_in(shapes[grid_code], rng)
            case = PlannedCase(
                id=uuid.UUID(int=rng.getrandbits(128), version=4), grid_code=grid_code,
                reporter=_reporter_of(grid_code), street_code=grid_code[:9], category=category,
                lat=lat, lon=lon, description=_description(category, rng),
                day=day, reported_at=reported_at, received_at=reported_at + delay,
                deadline_at=working_time.add_working_hours(
                    reported_at, time_limits[category], calendar, working_hours))
            case.kind = _kind_of(case, day, today, rng)
            planned.append(case)
    _top_up_kinds(planned, today, rng)
    for case in planned:
        case.steps = _plans(case.kind, case.category)
        if (case.kind == "department" and (today - case.day).days >= STALLED_MIN_AGE.days
                and rng.random() < 0.08):
            case.steps = case.steps[:rng.randint(1, len(case.steps) - 1)]
    _stall_some(planned, now, rng)
    arrived = [case for case in planned if case.received_at <= now - MARGIN]
    # The newest few wait to be registered, whatever the hour: there is always something new,
    # in 兰山街道 too (street1's), whatever the day's draw put where.
    fresh = sorted(arrived, key=lambda c: c.received_at)[-FRESH:]
    in_street = [c for c in arrived if c.street_code == DUPLICATE_STREET]
    if in_street and not any(c.street_code == DUPLICATE_STREET for c in fresh):
        fresh.append(max(in_street, key=lambda c: c.received_at))
    # And one there old enough to have been reported again since (_duplicates), whatever the
    # hour: the newest may have come in only minutes ago.
    old_enough = [c for c in in_street if c.received_at <= _waiting_duplicate_of_before(now)]
    if old_enough and not any(c in old_enough for c in fresh):
        fresh.append(max(old_enough, key=lambda c: c.received_at))
    for case in fresh:
        case.steps = []
    return arrived + _duplicates(arrived, now)


# Duplicates (重复上报): a worker reports again what is already a case, this far from it and
# this long after. One waits in 兰山街道 beside its case (the console offers it as a possible
# duplicate to street1); one was merged into a case being handled.
DUPLICATE_OFFSET_M = 25
DUPLICATE_AFTER = {"waiting": timedelta(minutes=40), "merged": timedelta(hours=3)}
DUPLICATE_STREET = "371302001"


def _waiting_duplicate_of_before(now: datetime) -> datetime:
    """The waiting duplicate's case came in before this: its duplicate, made that long
    after it, has arrived an hour ago or more."""
    return now - MARGIN - timedelta(hours=1) - DUPLICATE_AFTER["waiting"]


def _duplicates(arrived: list[PlannedCase], now: datetime) -> list[PlannedCase]:
    """Two duplicates, each the same category a few metres from its case: one waiting to be
    registered (or merged), one merged into a case that is still open."""
    def newest(cases):
        return max(cases, key=lambda c: c.received_at, default=None)

    in_street = [c for c in arrived if c.street_code == DUPLICATE_STREET]
    waiting = newest([c for c in in_street if not c.steps
                      and c.received_at <= _waiting_duplicate_of_before(now)])
    # A case that stays open at registration or dispatch, old enough for its steps to be done.
    open_ones = [c for c in in_street if c.steps and c.steps[-1].action in ("register", "dispatch")
                 and c.received_at <= now - timedelta(days=2)]
    merged_into = newest(open_ones)
    duplicates = []
    for kind, case in (("waiting", waiting), ("merged", merged_into)):
        if case is None:
            continue
        reported_at = case.reported_at + DUPLICATE_AFTER[kind]
        duplicates.append(replace(
            case, id=uuid.uuid5(case.id, f"duplicate {kind}"),
            lat=round(case.lat + DUPLICATE_OFFSET_M / 110_950, 6), reported_at=reported_at,
            received_at=reported_at + timedelta(seconds=40), kind="duplicate",
            steps=[] if kind == "waiting" else [Step("merge", "street", (0.3, 2),
                                                     merge_into=case.id)]))
    return duplicates


def _grid_weight(code: str) -> int:
    for worker, grid in WORKER_GRIDS.items():
        if grid == code:
            return GRID_WEIGHTS[worker]
    return GRID_WEIGHTS.get(code[:9], GRID_WEIGHTS["other"])


def _reporter_of(grid_code: str) -> str:
    own = [worker for worker, grid in WORKER_GRIDS.items() if grid == grid_code]
    return own[0] if own else STREET_WORKERS[grid_code[:9]]


def _kind_of(case: PlannedCase, day, today, rng: random.Random) -> str:
    kinds, weights = zip(*KIND_WEIGHTS.items(), strict=True)
    kind = rng.choices(kinds, weights)[0]
    if kind == "grid_worker" and WORKER_GRIDS.get(case.reporter) != case.grid_code:
        kind = "department"   # only a worker of the case's own grid may be sent it
    if kind == "other_department" and (today - day).days > 10:
        kind = "department"   # old ones would all be overdue: their queues are recent
    if case.category == "dispute.neighbour" and kind in ("department", "other_department"):
        kind = "grid_worker" if WORKER_GRIDS.get(case.reporter) == case.grid_code else "on_spot"
    return kind


def _top_up_kinds(planned: list[PlannedCase], today, rng: random.Random) -> None:
    """Whatever the day's draw, a few of each kind: department cases old enough to have run
    their course (or, for other departments, recent enough to be waiting) become them."""
    for kind, (count, min_age, max_age) in KIND_MINIMUMS.items():
        in_age = [case for case in planned if min_age <= (today - case.day).days <= max_age]
        missing = count - sum(case.kind == kind for case in in_age)
        spare = [case for case in in_age if case.kind == "department" and (
            kind != "grid_worker" or WORKER_GRIDS.get(case.reporter) == case.grid_code)]
        for case in rng.sample(spare, min(max(missing, 0), len(spare))):
            case.kind = kind


def _stall_some(planned: list[PlannedCase], now: datetime, rng: random.Random) -> None:
    """A few department cases, old enough to be late, stop at each open status."""
    old = [case for case in planned
           if len(case.steps) == 5 and case.steps[1].department == "CGJ"
           and case.deadline_at < now - STALLED_LATE_BY]
    rng.shuffle(old)
    for status, count in STALLED.items():
        for case in [old.pop() for _ in range(min(count, len(old)))]:
            case.steps = case.steps[:_steps_to(status)]
    # And one sent back to worker1 a day or two ago, still on their list.
    sent_back_to_worker1 = [case for case in planned if case.reporter == "worker1"
                            and len(case.steps) == 5 and case.steps[1].to_worker
                            and timedelta(days=1) <= now - case.reported_at <= timedelta(days=6)]
    if sent_back_to_worker1:
        sent_back_to_worker1[-1].steps[2:] = []


def _steps_to(status: str) -> int:
    """How many steps of the department loop lead to this status."""
    return ["reported", "registered", "dispatched", "handled", "verified"].index(status)


def _point_in(shape, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = shape.bounds
    while True:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shape.contains(shapely.Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


def _description(category: str, rng: random.Random) -> str:
    place = rng.choice(PLACES)
    spot = rng.choice(SPOTS).format(other=rng.choice([p for p in PLACES if p != place]),
                                    n=rng.randint(1, 299))
    return f"{place}{spot}{rng.choice(DESCRIPTIONS[category])}"


def _geojson_text(boundary) -> str:
    return boundary if isinstance(boundary, str) else json.dumps(boundary)


# -- doing it: through the sync engine and cases.act() -------------------------------------

def _report(planned: list[PlannedCase], people: dict[str, User]) -> None:
    """Each report pushed by its worker's phone at the time it reached the server."""
    phones: dict[str, tuple[uuid.UUID, int]] = {}
    for case in sorted(planned, key=lambda c: c.received_at):
        user = people[case.reporter]
        client_id, mid = phones.get(case.reporter, (uuid.uuid5(uuid.NAMESPACE_URL,
                                                              f"civicgrid-demo:{user.username}"), 0))
        phones[case.reporter] = (client_id, mid + 1)
        fields = {"category": case.category, "description": case.description, "lat": case.lat,
                  "lon": case.lon, "accuracy_m": 8.0, "location_adjusted": False, "photos": [],
                  "reported_at": isoformat(case.reported_at)}
        body = {"client_id": str(client_id), "mutations": [{
            "mid": mid + 1, "collection": "reports", "id": str(case.id), "op": "create",
            "base_version": None, "fields": fields, "client_time": isoformat(case.reported_at)}]}
        result = engine().push(db.session.connection(), actor_for(user), body,
                               case.received_at)["results"][0]
        if result["status"] != "applied":
            raise RuntimeError(f"demo report {case.id} was not taken: {result}")


def _work(case: PlannedCase, people: dict[str, User], department_ids: dict[str, uuid.UUID],
          now: datetime) -> None:
    """Take the case's steps in order, each at its time, as long as that time has come."""
    rng = random.Random(case.id.int)
    at = case.received_at
    reopen_window = timedelta(hours=setting("CASE_REOPEN_WINDOW_H"))
    for step in case.steps:
        previous = at
        at += timedelta(hours=rng.uniform(*step.delay_h))
        if step.action == "handle":
            # Somewhere between the report and a little past its deadline: most on time.
            on_time_share = rng.uniform(0.15, 1.2)
            at = max(at, case.reported_at + (case.deadline_at - case.reported_at) * on_time_share)
        at = _office_hours(at, rng)
        if at > now - MARGIN or (step.action == "reopen" and at - previous > reopen_window):
            return
        by = _who(step, case, people)
        kwargs = {}
        if step.department:
            kwargs["department_id"] = department_ids[step.department]
        if step.to_worker:
            kwargs["worker_id"] = people[case.reporter].id
        if step.action in ("handle", "close_on_spot") and by.username in WORKER_GRIDS:
            kwargs |= {"lat": case.lat, "lon": case.lon}
        if step.action == "close_on_spot":
            kwargs["photos"] = [_after_photo(case)]
        if step.merge_into:
            # After whatever the case merged into went through, so both timelines keep order.
            at = max(at, _last_step_at(step.merge_into) + timedelta(minutes=5))
            if at > now - MARGIN:
                return
            kwargs["target_id"] = step.merge_into
        cases.act(by, case.id, step.action, note=_note(step.action, case.category, rng),
                  now=at, **kwargs)


def _last_step_at(case_id: uuid.UUID) -> datetime:
    timeline = db.session.scalar(select(Report.timeline).where(Report.id == case_id)) or []
    return max(datetime.fromisoformat(entry["at"]) for entry in timeline)


def _who(step: Step, case: PlannedCase, people: dict[str, User]) -> User:
    if step.by == "reporter":
        return people[case.reporter]
    if step.by == "city":
        return people[CITY_SUPERVISOR]
    if step.by == "street":
        return people[STREET_SUPERVISORS.get(case.street_code, CITY_SUPERVISOR)]
    # The handler: the department's staff, or the worker the case was sent back to.
    dispatch = next(s for s in case.steps if s.action == "dispatch")
    return people[case.reporter if dispatch.to_worker else DEPARTMENT_STAFF[dispatch.department]]


def _note(action: str, category: str, rng: random.Random) -> str:
    if action == "handle":
        return HANDLED_NOTES[category]
    if action == "close_on_spot":
        return rng.choice(ON_SPOT_NOTES)
    note = NOTES[action]
    return rng.choice(note) if isinstance(note, tuple) else note


def _after_photo(case: PlannedCase) -> str:
    # A well-formed name of a photo the demo does not ship (it has no blobs): the case shows
    # that it was closed with one, as the action requires.
    return hashlib.sha256(f"civicgrid demo after photo {case.id}".encode()).hexdigest()


def _office_hours(at: datetime, rng: random.Random) -> datetime:
    """Staff and workers act by day: a time in the night moves to the next morning."""
    zone = city_zone()
    local = at.astimezone(zone)
    opens, closes = OFFICE_HOURS
    if local.time() < opens:
        morning = local.date()
    elif local.time() >= closes:
        morning = local.date() + timedelta(days=1)
    else:
        return at
    start = datetime.combine(morning, opens, tzinfo=zone) + timedelta(minutes=rng.randint(0, 90))
    return start.astimezone(at.tzinfo)


@contextmanager
def _accounts_kept_loaded() -> Iterator[None]:
    """Each action commits, and a commit expires every loaded account: reloading the same
    few accounts' roles and regions after each one took a third of the history's time.
    Nothing changes them meanwhile (the history reads cases through Core, not the ORM)."""
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = expire_on_commit


@contextmanager
def _quiet_audit_log() -> Iterator[None]:
    """The history's actions are audited like any others (their rows are written), but their
    hundreds of log lines would bury `make run`'s first start: they are not news."""
    audit_log = logging.getLogger("civicgrid.audit")
    level = audit_log.level
    audit_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        audit_log.setLevel(level)
