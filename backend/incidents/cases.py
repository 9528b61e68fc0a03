"""Cases (案件): reports once received, as the command centre and the departments work them.

A case's id is its report's id. Who sees which cases, and the actions that move them: each
action is judged by the role table in workflow.py, written through the sync engine (a new
version that every phone holding the case pulls) with its timeline entry, and audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from backend.accounts.models import User
from backend.audit import services as audit
from backend.common import working_time
from backend.common.auth import ADMIN, CITIZEN, DEPARTMENT, SUPERVISOR, WORKER
from backend.common.geo import metres_per_degree, region_ids_of_path, segment_lengths
from backend.common.paging import Page
from backend.common.settings import setting
from backend.common.time import isoformat, utcnow
from backend.departments.services import find_department
from backend.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.incidents import steps, workflow
from backend.incidents.models import Category, Report
from backend.live import services as live
from backend.notifications.services import notify
from backend.regions.models import LEVELS, Region
from backend.sync_adapter.registry import engine
from sync.errors import Rejection

_reports = Report.__table__


def person_of(user) -> workflow.Person:
    path = user.region.path if user.region else None
    return workflow.Person(user_id=user.id, roles=frozenset(user.role_names), region_path=path,
                           region_level=level_of_path(path),
                           department_id=getattr(user, "department_id", None))


def level_of_path(path: str | None) -> str | None:
    """A region path is its ids from the city down ("/city/district/…/"): its depth is its level."""
    depth = len(region_ids_of_path(path)) if path else 0
    return LEVELS[depth - 1] if 0 < depth <= len(LEVELS) else None


def visible_to(user) -> sa.ColumnElement[bool]:
    """The cases a user may see: a supervisor's or worker's region, a department's dispatched
    cases, one's own reports and cases dispatched back to oneself; admins see all."""
    region_path, others = sight_of(user)
    if region_path == "":
        return sa.true()
    if region_path is not None:
        others = [_reports.c.scope_path.startswith(region_path, autoescape=True), *others]
    return sa.or_(*others)


def sight_of(user) -> tuple[str | None, list]:
    """visible_to in two parts: the region subtree a user sees whole ("" for everything,
    None for none) and the clauses of the cases they see besides (their own, those
    dispatched to them or their department, those they follow)."""
    roles = user.role_names
    if ADMIN in roles:
        return "", []
    clauses = [_reports.c.reporter_id == user.id, _reports.c.assignee_id == user.id]
    if DEPARTMENT in roles and user.department_id is not None:
        clauses.append(_reports.c.department_id == user.department_id)
    followed = followed_case_ids(user.id)
    if isinstance(followed, sa.Select) or followed:
        clauses.append(_reports.c.id.in_(followed))
    region = user.region.path if roles & {SUPERVISOR, WORKER} and user.region else None
    return region, clauses


# Beyond this many, the cases one follows are named by a subquery instead of a list.
_FOLLOWED_AS_LIST = 500


def followed_case_ids(user_id: uuid.UUID) -> list[uuid.UUID] | sa.Select:
    """The cases a user follows: those their reports were merged into. Looked up first (by
    the reporter_id and merged_into_id indexes; most people follow none) so that the sight
    clause stays a plain OR of indexed equalities the case list's plan can use."""
    query = sa.select(_reports.c.merged_into_id).where(
        _reports.c.reporter_id == user_id, _reports.c.merged_into_id.is_not(None)).distinct()
    ids = db.session.scalars(query.limit(_FOLLOWED_AS_LIST + 1)).all()
    return query if len(ids) > _FOLLOWED_AS_LIST else list(ids)


CASE_READERS = (ADMIN, SUPERVISOR, WORKER, DEPARTMENT, CITIZEN)


def _is_overdue(row, now: datetime) -> bool:
    return bool(row["deadline_at"] and row["deadline_at"] < now
                and row["status"] in workflow.OPEN_STATUSES)


def _is_step_overdue(row, now: datetime) -> bool:
    return bool(row.get("step_deadline_at") and row["step_deadline_at"] < now
                and row["status"] in workflow.OPEN_STATUSES)


def _is_due_soon(row, now: datetime) -> bool:
    """Open, not yet overdue, and within DUE_SOON_WORKING_H working hours of its deadline."""
    if not (row["deadline_at"] and row["status"] in workflow.OPEN_STATUSES
            and row["deadline_at"] >= now):
        return False
    calendar, hours = working_time.city_working_time()
    left = working_time.working_hours_between(now, row["deadline_at"], calendar, hours)
    return left <= setting("DUE_SOON_WORKING_H")


def list_cases(user, *, status: list[str] | None = None, overdue: bool | None = None,
               region_id: uuid.UUID | None = None, category: str | None = None,
               department_id: uuid.UUID | None = None, q: str | None = None,
               page: int = 1, per_page: int = 50) -> Page:
    """Newest first, in the caller's sight; filters as the console's list offers them."""
    now = utcnow()
    where = [visible_to(user), _reports.c.deleted.is_(False)]
    if status:
        where.append(_reports.c.status.in_(status))
    if overdue is not None:
        late = sa.and_(_reports.c.deadline_at < now,
                       _reports.c.status.in_(sorted(workflow.OPEN_STATUSES)))
        where.append(late if overdue else sa.not_(late))
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None:
            raise Invalid("The region does not exist.", code="unknown_region")
        where.append(_reports.c.scope_path.startswith(region.path, autoescape=True))
    if category:
        where.append(sa.or_(_reports.c.category == category,
                            _reports.c.category.startswith(f"{category}.", autoescape=True)))
    if department_id is not None:
        where.append(_reports.c.department_id == department_id)
    if q:
        where.append(_reports.c.code.contains(q.strip(), autoescape=True))
    query = sa.select(_reports).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(_reports.c.reported_at.desc(), _reports.c.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    person = person_of(user)
    return Page(items=[describe(row, person, now=now, with_timeline=False) for row in rows],
                page=page, per_page=per_page, total=total)


def _load(user, case_id: uuid.UUID, *, lock: bool = False):
    query = sa.select(_reports).where(_reports.c.id == case_id, _reports.c.deleted.is_(False),
                                      visible_to(user))
    row = db.session.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NotFound("No such case.")
    return row


def _load_many(user, case_ids, *, lock: bool = False) -> dict[uuid.UUID, Mapping]:
    """The cases of these ids the user may see, by id. Locked in the order of their ids, so
    that two requests locking overlapping sets wait for each other instead of deadlocking."""
    query = (sa.select(_reports).where(_reports.c.id.in_(list(case_ids)),
                                       _reports.c.deleted.is_(False), visible_to(user))
             .order_by(_reports.c.id))
    rows = db.session.execute(query.with_for_update() if lock else query).mappings().all()
    return {row["id"]: row for row in rows}


def photos_of_visible_case(user, case_id: uuid.UUID) -> set[str]:
    """The photos and "after" photos of a case this user may see (none otherwise)."""
    row = db.session.execute(sa.select(_reports.c.photos, _reports.c.after_photos).where(
        _reports.c.id == case_id, _reports.c.deleted.is_(False), visible_to(user))).first()
    return set((row.photos or []) + (row.after_photos or [])) if row else set()


def get_case(user, case_id: uuid.UUID) -> dict:
    """One case with its timeline; a merged report names the case it went into, and a new
    report its possible duplicates when the reader may merge it."""
    row = _load(user, case_id)
    out = describe(row, person_of(user), now=utcnow())
    out["merged_into_code"] = (db.session.scalar(sa.select(_reports.c.code).where(
        _reports.c.id == row["merged_into_id"])) if row["merged_into_id"] else None)
    out["possible_duplicates"] = (possible_duplicates(user, row) if "merge" in out["actions"]
                                  else [])
    return out


def possible_duplicates(user, row: Mapping) -> list[dict]:
    """Open cases in the user's sight that this report may repeat: the same category,
    reported within DUPLICATE_WINDOW_H hours of it (before or after) and within
    DUPLICATE_RADIUS_M metres, nearest first. The database narrows them to a box of
    latitude and longitude around the point and the time window; the distances are then
    measured exactly (geodesic)."""
    radius_m = float(setting("DUPLICATE_RADIUS_M"))
    window = timedelta(hours=setting("DUPLICATE_WINDOW_H"))
    per_lon, per_lat = metres_per_degree(row["lat"])
    # A hair wider than the circle, so the box never cuts off a point on its edge.
    dlat, dlon = 1.01 * radius_m / per_lat, 1.01 * radius_m / per_lon
    found = db.session.execute(sa.select(
        _reports.c.id, _reports.c.code, _reports.c.status, _reports.c.reported_at,
        _reports.c.lat, _reports.c.lon).where(
        _reports.c.id != row["id"], _reports.c.deleted.is_(False),
        _reports.c.category == row["category"],
        _reports.c.status.in_(sorted(workflow.OPEN_STATUSES)),
        _reports.c.reported_at.between(row["reported_at"] - window, row["reported_at"] + window),
        _reports.c.lat.between(row["lat"] - dlat, row["lat"] + dlat),
        _reports.c.lon.between(row["lon"] - dlon, row["lon"] + dlon),
        visible_to(user))).mappings().all()
    if not found:
        return []
    metres = segment_lengths(np.full(len(found), row["lat"]), np.full(len(found), row["lon"]),
                             np.array([c["lat"] for c in found]),
                             np.array([c["lon"] for c in found]))
    near = [{"id": c["id"], "code": c["code"], "status": c["status"],
             "reported_at": c["reported_at"], "distance_m": round(float(m), 1)}
            for c, m in zip(found, metres, strict=True) if m <= radius_m]
    return sorted(near, key=lambda c: (c["distance_m"], c["reported_at"]))


def reopen_window() -> timedelta:
    return timedelta(hours=setting("CASE_REOPEN_WINDOW_H"))


def describe(row, person: workflow.Person, *, now: datetime,
             with_timeline: bool = True) -> dict:
    case = dict(row)
    facts = workflow.CaseFacts.of(case)
    out = {**case, "overdue": _is_overdue(case, now), "due_soon": _is_due_soon(case, now),
           "step": steps.STEP_OF_STATUS.get(case["status"]),
           "step_overdue": _is_step_overdue(case, now),
           "actions": workflow.allowed_actions(person, facts, now=now,
                                               reopen_window=reopen_window())}
    if not with_timeline:
        out.pop("timeline", None)
    return out


def act(user, case_id: uuid.UUID, action: str, *, note: str = "", photos: list[str] = (),
        department_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None,
        target_id: uuid.UUID | None = None, lat: float | None = None,
        lon: float | None = None, now: datetime | None = None) -> dict:
    """Take one action on a case, in one transaction (the row locked while it is judged; a
    merge locks the case merged into too). `now` is when it is taken: the server's clock,
    except for the demo city's made-up past."""
    now = now or utcnow()
    if action == "merge":
        if target_id is None:
            raise Invalid("'merge' needs the case to merge into.", code="merge_target_required",
                          details={"fields": {"target_id": ["Required for this action."]}})
        rows = _load_many(user, [case_id, target_id], lock=True)
        if case_id not in rows:
            raise NotFound("No such case.")
        row, target = rows[case_id], rows.get(target_id, {"id": target_id})
    elif target_id is not None:
        raise Invalid("Only 'merge' takes a case to merge into.", code="unexpected_target")
    else:
        row, target = _load(user, case_id, lock=True), None
    change = plan_action(user, row, action, note=note, photos=photos,
                         department_id=department_id, worker_id=worker_id, target=target,
                         lat=lat, lon=lon, now=now)
    for each in [change, *(merged_in_changes(user, change, target, now) if target else [])]:
        write_change(user, each, now)
    db.session.commit()
    return get_case(user, case_id)


@dataclass
class CaseChange:
    """One case's judged change, not yet written: its row as read (locked), the columns to
    write (the timeline's new entry among them) and what the audit trail says of it."""

    row: Mapping
    changes: dict
    audit: dict

    @property
    def case_id(self) -> uuid.UUID:
        return self.row["id"]


def write_change(user, change: CaseChange, now: datetime) -> None:
    """The one place a case's judged change is written, in the caller's transaction: a new
    version through the sync engine (every phone holding the case pulls it) and its audit
    event; a case closing tells those who follow it (the reporters of duplicates merged
    into it)."""
    try:
        engine().apply_server_change(db.session.connection(), "reports", change.case_id,
                                     change.changes, now)
    except Rejection as error:
        raise NotFound(error.message, code=error.code) from error
    audit.record(audit.CASE_ACTION, actor=user, target=("case", change.case_id),
                 details=change.audit)
    if change.changes.get("status") == "closed":
        _tell_followers_closed(change.row)
    publish_cases([change.case_id])


def publish_cases(case_ids) -> None:
    """Tell the consoles watching live (backend/live) that these cases changed, once the
    caller's transaction commits (never if it rolls back): call it beside every write that
    changes a case, after the write. The event names who may see the case, as visible_to
    does: its region, department, assignee, reporter and those who follow it."""
    live.publish_all(case_events(case_ids))


def case_events(case_ids) -> list[dict]:
    """The live events of these cases as they are now in this transaction (deleted ones
    have none: nobody may see them)."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return []
    now = utcnow()
    rows = db.session.execute(sa.select(
        _reports.c.id, _reports.c.code, _reports.c.status, _reports.c.version,
        _reports.c.deadline_at, _reports.c.scope_path, _reports.c.department_id,
        _reports.c.assignee_id, _reports.c.reporter_id).where(
        _reports.c.id.in_(ids), _reports.c.deleted.is_(False))).mappings().all()
    followers: dict = {}
    for case_id, reporter_id in db.session.execute(sa.select(
            _reports.c.merged_into_id, _reports.c.reporter_id).where(
            _reports.c.merged_into_id.in_(ids))):
        followers.setdefault(case_id, set()).add(str(reporter_id))
    return [{"type": "case", "id": str(row["id"]), "code": row["code"], "status": row["status"],
             "version": row["version"], "overdue": _is_overdue(row, now), "at": isoformat(now),
             "scope_path": row["scope_path"], "reporter_id": _text(row["reporter_id"]),
             "department_id": _text(row["department_id"]),
             "assignee_id": _text(row["assignee_id"]),
             "follower_ids": sorted(followers.get(row["id"], ()))} for row in rows]


def _text(value) -> str | None:
    return None if value is None else str(value)


def plan_action(user, row, action: str, *, note: str = "", photos: list[str] = (),
                department_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None,
                target: Mapping | None = None, lat: float | None = None,
                lon: float | None = None, now: datetime) -> CaseChange:
    """Judge one action on a case (its row read and locked) by the role table and the inputs
    it needs, and work out its change without writing anything: a refusal raises the
    AppError the API answers with. `target`: the case a merge goes into (its row, or just
    {"id"} when the user cannot see it)."""
    facts = workflow.CaseFacts.of(row)
    verdict = workflow.judge(action, person_of(user), facts, now=now,
                             reopen_window=reopen_window())
    if not verdict.allowed:
        error = Forbidden if verdict.code == "forbidden_action" else Conflict
        raise error(verdict.message, code=verdict.code, details={"current": {"status": facts.status}})
    rule = workflow.ACTIONS[action]
    note = (note or "").strip()
    if rule.note_required and not note:
        raise Invalid(f"'{action}' needs a note saying why or what was done.", code="note_required",
                      details={"fields": {"note": ["Required for this action."]}})
    if _photos_required(rule, row) and not photos:
        raise Invalid(f"'{action}' needs an \"after\" photo of the result.",
                      code="photos_required", details={"fields": {"photos": ["Required."]}})
    changes = {"status": rule.target, **workflow.milestones(action, row, now)}
    if rule.target != facts.status or action == "dispatch":
        # A new step (or a new handler of the same one) starts its own clock.
        changes |= step_changes_of(rule.target, row["category"], now)
    if action == "dispatch":
        changes |= _dispatch_target(row, department_id, worker_id)
    elif department_id is not None or worker_id is not None:
        raise Invalid("Only 'dispatch' takes a department or a worker.", code="unexpected_target")
    if action == "merge":
        changes |= _merge_target(row, target)
    if action == "escalate":
        changes |= {"tier": "district", "department_id": None, "assignee_id": None}
    if rule.target == "closed":
        changes["closed_at"] = now
    if action == "reopen":
        changes |= {"closed_at": None, **FEEDBACK_CLEARED}
    if photos:
        changes["after_photos"] = [*(row["after_photos"] or []),
                                   *(p for p in photos if p not in (row["after_photos"] or []))]
    entry = {"at": isoformat(now), "event": "action", "action": action, "from": facts.status,
             "status": rule.target, "by": str(user.id), "by_name": user.display_name,
             "role": _acting_as(user, facts, rule)}
    if note:
        entry["note"] = note
    if photos:
        entry["photos"] = list(photos)
    if lat is not None and lon is not None:
        entry["lat"], entry["lon"] = lat, lon
    for key in ("department_id", "assignee_id", "tier", "merged_into_id"):
        if key in changes and changes[key] is not None:
            entry[key] = str(changes[key])
    if action == "merge":
        entry["merged_into_code"] = target["code"]
    changes["timeline"] = [*(row["timeline"] or []), entry]
    details = {"action": action, "from": facts.status, "to": rule.target, "code": row["code"]}
    if action == "merge":
        details["merged_into_code"] = target["code"]
    return CaseChange(row, changes, details)


# A reopened case is done again: its reporter is asked again once it is closed again (the
# earlier feedback stays on the timeline).
FEEDBACK_CLEARED = {"satisfaction": None, "satisfaction_note": ""}


def give_feedback(user, case_id: uuid.UUID, *, satisfaction: str, note: str = "",
                  now: datetime | None = None) -> dict:
    """结果反馈: the reporter says whether the result of a finished case satisfies them, once
    (the rule in workflow.judge_feedback; a phone gives it offline through sync alike)."""
    now = now or utcnow()
    row = _load(user, case_id, lock=True)
    verdict = workflow.judge_feedback(person_of(user), workflow.CaseFacts.of(row),
                                      row["satisfaction"])
    if not verdict.allowed:
        error = Forbidden if verdict.code == "forbidden_action" else Conflict
        raise error(verdict.message, code=verdict.code,
                    details={"current": {"status": row["status"],
                                         "satisfaction": row["satisfaction"]}})
    note = (note or "").strip()
    entry = feedback_event(now, user.id, satisfaction, note) | {"by_name": user.display_name}
    changes = {"satisfaction": satisfaction, "satisfaction_note": note,
               "timeline": [*(row["timeline"] or []), entry]}
    try:
        engine().apply_server_change(db.session.connection(), "reports", case_id, changes, now)
    except Rejection as error:
        raise NotFound(error.message, code=error.code) from error
    audit.record(audit.CASE_FEEDBACK, actor=user, target=("case", case_id),
                 details={"satisfaction": satisfaction, "code": row["code"]})
    publish_cases([case_id])
    db.session.commit()
    return get_case(user, case_id)


def feedback_event(at: datetime, by: uuid.UUID, satisfaction: str, note: str) -> dict:
    """The timeline entry of feedback, from the API or a phone."""
    entry = {"at": isoformat(at), "event": "feedback", "satisfaction": satisfaction,
             "by": str(by), "role": workflow.REPORTER}
    return entry | {"note": note} if note else entry


def step_changes_of(status: str, category_code: str, now: datetime) -> dict:
    category = db.session.execute(sa.select(Category.__table__).where(
        Category.code == category_code)).mappings().first()
    return steps.step_changes(status, dict(category) if category else None, now,
                              steps.city_limits(), working_time.city_working_time())


def _photos_required(rule: workflow.Action, row) -> bool:
    if rule.photos_required == "always":
        return True
    if rule.photos_required == "category":
        required = db.session.scalar(sa.select(Category.after_photo_required).where(
            Category.code == row["category"]))
        return bool(required)
    return False


def _dispatch_target(row, department_id, worker_id) -> dict:
    """To a department (街道小循环), or back to a grid worker of the case's grid (网格微循环)."""
    if (department_id is None) == (worker_id is None):
        raise Invalid("Dispatch to a department or to a grid worker (one of the two).",
                      code="dispatch_target_required")
    if department_id is not None:
        if find_department(department_id) is None:
            raise Invalid("The department does not exist.", code="unknown_department")
        return {"department_id": department_id, "assignee_id": None}
    worker = db.session.get(User, worker_id)
    if (worker is None or WORKER not in worker.role_names or worker.region is None
            or not (row["scope_path"] or "").startswith(worker.region.path)):
        raise Invalid("Dispatch back to a grid worker of the case's own grid.",
                      code="worker_not_in_grid")
    return {"assignee_id": worker_id, "department_id": None}


def _merge_target(row, target: Mapping | None) -> dict:
    """合并: into another case the user may see, open and of the same category — a report of
    another category is another issue (its own deadline and department), not a repeat."""
    if target is None or "code" not in target:
        raise Invalid("The case to merge into does not exist or is not in your sight.",
                      code="unknown_merge_target",
                      details={"fields": {"target_id": ["No such case."]}})
    if target["id"] == row["id"]:
        raise Invalid("A case cannot be merged into itself.", code="merge_into_itself",
                      details={"fields": {"target_id": ["The case itself."]}})
    if target["category"] != row["category"]:
        raise Invalid("Only a report of the same category is merged into a case.",
                      code="merge_category_differs",
                      details={"fields": {"target_id": ["Another category."]}})
    if target["status"] not in workflow.OPEN_STATUSES:
        raise Conflict(f"The case to merge into is {target['status']}: only an open case takes "
                       "a duplicate.", code="merge_target_not_open",
                       details={"target": {"id": str(target["id"]), "status": target["status"]}})
    return {"merged_into_id": target["id"]}


def merged_in_changes(user, merge: CaseChange, target: Mapping, now: datetime) -> list[CaseChange]:
    """What a merge writes beside the merged report: the case it went into notes which report
    and whose (its reporter follows the case now), and reports merged into the merged one
    before move along with it, so their reporters follow the case too."""
    source = merge.row
    reporter = db.session.get(User, source["reporter_id"])
    entry = {"at": isoformat(now), "event": "merged_in", "report_id": str(source["id"]),
             "report_code": source["code"], "reporter_id": str(source["reporter_id"]),
             "reporter_name": reporter.display_name if reporter else "",
             "by": str(user.id), "by_name": user.display_name}
    if note := merge.changes["timeline"][-1].get("note"):
        entry["note"] = note
    changes = [CaseChange(target, {"timeline": [*(target["timeline"] or []), entry]},
                          {"action": "merged_in", "code": target["code"],
                           "report_code": source["code"]})]
    followers = db.session.execute(sa.select(_reports).where(
        _reports.c.merged_into_id == source["id"]).order_by(_reports.c.id)).mappings().all()
    for follower in followers:
        moved = {"at": isoformat(now), "event": "merged_along", "merged_into_id": str(target["id"]),
                 "merged_into_code": target["code"], "by": str(user.id),
                 "by_name": user.display_name}
        changes.append(CaseChange(follower, {
            "merged_into_id": target["id"], "timeline": [*(follower["timeline"] or []), moved]},
            {"action": "merged_along", "code": follower["code"],
             "merged_into_code": target["code"]}))
    return changes


FOLLOWED_CASE_CLOSED = "followed_case_closed"


def _tell_followers_closed(case: Mapping) -> None:
    """The reporters of duplicates merged into a case learn that it closed: one notification
    per merged report (about that report, which their phone holds), once."""
    followers = db.session.execute(sa.select(
        _reports.c.id, _reports.c.code, _reports.c.reporter_id).where(
        _reports.c.merged_into_id == case["id"], _reports.c.deleted.is_(False))).all()
    for report_id, report_code, reporter_id in followers:
        notify([reporter_id], FOLLOWED_CASE_CLOSED, report_id,
               {"code": case["code"], "case_id": str(case["id"]), "report_code": report_code})


BULK_ACTIONS = ("register", "dispatch")
BULK_MAX = 200
# A refused bulk request answers with the most basic of its refusals' statuses: a case not in
# sight, then an action not the caller's, then bad input, then a state that forbids it now.
_BULK_STATUS_ORDER = (404, 403, 422, 409)


def act_on_many(user, ids: list[uuid.UUID], action: str, *, note: str = "",
                department_id: uuid.UUID | None = None,
                worker_id: uuid.UUID | None = None) -> dict:
    """批量立案 / 批量派遣: one action on many cases, all or nothing, in one transaction. Every
    case is judged as act() judges one (the rows locked in id order) before any is written;
    if any is refused, nothing is written and the error lists each refused case and why."""
    if action not in BULK_ACTIONS:
        raise Invalid(f"Only {', '.join(BULK_ACTIONS)} are taken on many cases at once.",
                      code="bulk_action_unsupported")
    now = utcnow()
    wanted = list(dict.fromkeys(ids))
    rows = _load_many(user, sorted(wanted), lock=True)
    planned, refused = [], []
    for case_id in wanted:
        try:
            if case_id not in rows:
                raise NotFound("No such case.")
            planned.append(plan_action(user, rows[case_id], action, note=note,
                                       department_id=department_id, worker_id=worker_id,
                                       now=now))
        except AppError as error:
            refused.append((case_id, error))
    if refused:
        raise _bulk_refusal(action, len(wanted), refused)
    for change in planned:
        write_change(user, change, now)
    db.session.commit()
    rows, person = _load_many(user, wanted), person_of(user)
    return {"items": [describe(rows[case_id], person, now=now, with_timeline=False)
                      for case_id in wanted if case_id in rows]}


def _bulk_refusal(action: str, count: int, refused: list[tuple[uuid.UUID, AppError]]) -> AppError:
    status = min((error.status for _, error in refused), key=lambda s: (
        _BULK_STATUS_ORDER.index(s) if s in _BULK_STATUS_ORDER else len(_BULK_STATUS_ORDER)))
    first = next(error for _, error in refused if error.status == status)
    items = [{"id": str(case_id), "status": error.status, "code": error.code,
              "message": error.message, **error.details} for case_id, error in refused]
    error = type(first)(f"{len(refused)} of {count} cases cannot take '{action}'; nothing was "
                        "done.", code=first.code, details={"refused": items})
    return error


def _acting_as(user, facts: workflow.CaseFacts, rule: workflow.Action) -> str:
    """The party the user acted as, for the timeline (who, in what capacity)."""
    parties = workflow.parties_of(person_of(user), facts) & rule.parties
    return sorted(parties)[0] if parties else ""
