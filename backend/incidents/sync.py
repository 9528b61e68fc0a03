"""Reports (事项) and the category catalogue, as sync collections."""

from __future__ import annotations

from backend.common import working_time
from backend.common.auth import ADMIN, CITIZEN, SUPERVISOR, WORKER
from backend.common.time import isoformat
from backend.incidents import cases, services, steps, workflow
from backend.incidents.models import Category, Report
from backend.incidents.schemas import ReportFields
from backend.regions.services import GridLocator
from sync.errors import Rejection
from sync.registry import MERGE, REFERENCE, Audience, Collection, Workflow, WriteContext


def report_audience(row: dict) -> Audience:
    # Supervisors see reports in their region; the reporter always sees their own.
    return Audience(scope_path=row.get("scope_path"), owner_id=row.get("reporter_id"))


def prepare_report(ctx: WriteContext, values: dict) -> dict:
    """上报: the grid from the point, a case code, the deadline from the category."""
    if values.get("status", "reported") != "reported":
        raise Rejection("invalid_transition", "A new report starts as 'reported'.")
    if {"satisfaction", "satisfaction_note"} & set(values):
        raise Rejection("case_not_finished", "Feedback is given on a closed case.")
    # Read once per push: a phone's batch names the same few categories and grids again and again.
    code = values["category"]
    category = ctx.remember(("category", code), lambda: services.find_category(ctx.conn, code))
    if category is None:
        raise Rejection("unknown_category", f"There is no category {code!r}.")
    place = ctx.remember("grid_locator", GridLocator).place(values["lat"], values["lon"])
    if place is None:
        raise Rejection("outside_city", "The point is not inside any grid of the city.")
    district_code = place.district_code if place.district_code is not None else "000000"
    code = _case_code(ctx, district_code, values["reported_at"])
    return {
        "status": "reported", "reporter_id": ctx.actor.user_id, "grid_id": place.grid_id,
        "scope_path": place.path, "code": code,
        "deadline_at": case_deadline(ctx, values["reported_at"], category["time_limit_h"]),
        # Registration's clock starts when the report reaches the server.
        **step_changes(ctx, "reported", category),
        # The phone's time of the report, then the server's time it arrived: they differ by
        # as long as the phone was without signal.
        "timeline": [
            {"at": isoformat(values["reported_at"]), "event": "reported",
             "by": str(ctx.actor.user_id)},
            {"at": isoformat(ctx.now), "event": "received", "code": code},
        ],
    }


def _case_code(ctx: WriteContext, district_code: str, reported_at) -> str:
    """The next case code; a push's grouped creates count their numbers in the push."""
    prefix = services.case_code_prefix(district_code, reported_at)
    key = ("case_numbers", prefix)
    numbers = ctx.cache.get(key)
    if numbers is None and ctx.grouped:
        numbers = ctx.cache[key] = services.PushCaseNumbers(ctx.conn, prefix)
        ctx.after_push(key, numbers.save)
    if numbers is not None:
        # (Once counted in the push, every report of the prefix is: an UPDATE of its own
        # would not see the numbers counted here. Under a savepoint that rolls back, the
        # number is lost, never given twice: the counter stays locked from the first.)
        return numbers.take()
    return services.next_case_code(ctx.conn, district_code, reported_at)


def case_deadline(ctx: WriteContext, reported_at, limit_h: float):
    """The category's time limit (时限) in working hours from the report, on the city's
    working-day calendar (weekends, holidays and make-up days; WORK_HOURS)."""
    calendar, hours = ctx.remember("working_time", working_time.city_working_time)
    working_time.warn_if_uncovered(calendar, reported_at.astimezone(hours.zone).year)
    return working_time.add_working_hours(reported_at, limit_h, calendar, hours)


def step_changes(ctx: WriteContext, status: str, category: dict | None) -> dict:
    """The deadline of the step a case moving into `status` now waits at (steps.py)."""
    return steps.step_changes(status, category, ctx.now, ctx.remember("step_limits", steps.city_limits),
                              ctx.remember("working_time", working_time.city_working_time))


def update_report(ctx: WriteContext, current: dict, changes: dict) -> dict:
    """A pin moved into another grid moves the case there; every accepted status move and
    the reporter's feedback go on the case's timeline (traceable up, trackable down)."""
    extra = _grid_of_moved_pin(ctx, current, changes) if {"lat", "lon"} & set(changes) else {}
    if FEEDBACK_FIELDS & set(changes):
        feedback = _feedback(ctx, current, changes)
        current = {**current, "timeline": [*(current.get("timeline") or []), feedback]}
        extra["timeline"] = current["timeline"]
    if "status" not in changes or changes["status"] == current["status"]:
        return extra
    old, new = current["status"], changes["status"]
    action = workflow.ACTION_OF_MOVE.get((old, new))
    event = {"at": isoformat(ctx.now), "event": "action", "action": action, "from": old,
             "status": new, "by": str(ctx.actor.user_id), "via": "sync"}
    if note := (changes.get("note") or "").strip():
        event["note"] = note
    extra |= step_changes(ctx, new, _category(ctx, current["category"]) or None)
    extra |= workflow.milestones(action, current, ctx.now)
    if new == "closed":
        extra["closed_at"] = ctx.now
    elif old == "closed":
        extra |= {"closed_at": None, **cases.FEEDBACK_CLEARED}
    return {**extra, "timeline": [*(current.get("timeline") or []), event]}


FEEDBACK_FIELDS = frozenset({"satisfaction", "satisfaction_note"})


def _feedback(ctx: WriteContext, current: dict, changes: dict) -> dict:
    """结果反馈 from the phone, made offline: judged when it syncs by the rule the API uses
    (workflow.judge_feedback: the reporter, a finished case, once), the whole mutation
    refused otherwise. Written once, it is not edited: a note alone comes too late."""
    if "satisfaction" not in changes:
        if current.get("satisfaction") is not None:
            raise Rejection("feedback_given", "Feedback on this case was already given.")
        raise Rejection("satisfaction_required", "A feedback note goes with the satisfaction.")
    verdict = workflow.judge_feedback(_person(ctx), workflow.CaseFacts.of(current),
                                      current.get("satisfaction"))
    if not verdict.allowed:
        raise Rejection(verdict.code, verdict.message,
                        {"status": current["status"], "satisfaction": current.get("satisfaction")})
    note = (changes.get("satisfaction_note") or "").strip()
    return cases.feedback_event(ctx.now, ctx.actor.user_id, changes["satisfaction"], note) | {
        "via": "sync"}


def _person(ctx: WriteContext) -> workflow.Person:
    path = ctx.actor.home_path or ctx.actor.scope.path_prefix
    return workflow.Person(user_id=ctx.actor.user_id, roles=ctx.actor.roles,
                           region_path=path, region_level=cases.level_of_path(path))


def _grid_of_moved_pin(ctx: WriteContext, current: dict, changes: dict) -> dict:
    """The case belongs to the grid its point is in, and so do those who see it: moved to
    another grid, it leaves the old grid's phones and reaches the new grid's. Its code and
    deadline stay (a case keeps its number)."""
    place = ctx.remember("grid_locator", GridLocator).place(
        changes.get("lat", current["lat"]), changes.get("lon", current["lon"]))
    if place is None:
        raise Rejection("outside_city", "The point is not inside any grid of the city.")
    if place.grid_id == current["grid_id"]:
        return {}
    return {"grid_id": place.grid_id, "scope_path": place.path}


# Actions that need what a status alone cannot carry (a department, a worker, the tier, the
# case a duplicate goes into) are taken in the console, not by writing a status from a phone.
CONSOLE_ONLY_ACTIONS = frozenset({"dispatch", "escalate", "merge"})


def check_transition(ctx: WriteContext, current: dict, changes: dict) -> None:
    """A phone's status move is an action of the role table (workflow.py), judged as the API
    judges it: by the case's state and the mover's role when it syncs, never by when it was
    made offline."""
    old, new = current["status"], changes["status"]
    action = workflow.ACTION_OF_MOVE.get((old, new))
    if action is None or action in CONSOLE_ONLY_ACTIONS:
        raise Rejection("invalid_transition", f"A {old} case cannot become {new} here.",
                        {"from": old, "to": new, "status": old})
    verdict = workflow.judge(action, _person(ctx), workflow.CaseFacts.of(current), now=ctx.now,
                             reopen_window=cases.reopen_window())
    if not verdict.allowed:
        raise Rejection(verdict.code, verdict.message, {"from": old, "to": new, "status": old})
    rule = workflow.ACTIONS[action]
    if rule.note_required and not (changes.get("note") or "").strip():
        raise Rejection("note_required", f"'{action}' needs a note.", {"action": action})
    after_photos = changes.get("after_photos", current.get("after_photos")) or []
    if not after_photos and (rule.photos_required == "always" or (
            rule.photos_required == "category" and _category(ctx, current["category"]).get(
                "after_photo_required"))):
        raise Rejection("photos_required", f"'{action}' needs an \"after\" photo.",
                        {"action": action})


def _category(ctx: WriteContext, code: str) -> dict:
    return ctx.remember(("category", code), lambda: services.find_category(ctx.conn, code)) or {}


def may_write_report(ctx: WriteContext, record: dict | None, op: str) -> bool:
    """Staff and citizens report; the reporter and supervisors (of the region) edit; only a
    fresh report may be withdrawn by its reporter. Which fields and moves an edit may carry
    is for the role table (check_transition) and the feedback rule (_feedback)."""
    roles = ctx.actor.roles
    if op == "create":
        return bool(roles & {WORKER, SUPERVISOR, ADMIN, CITIZEN})
    if ADMIN in roles:
        return True
    mine = record["reporter_id"] == ctx.actor.user_id
    if op == "update":
        # The grid worker a case is dispatched back to reports its handling.
        return mine or SUPERVISOR in roles or record.get("assignee_id") == ctx.actor.user_id
    return mine and record["status"] == "reported"


def category_record(row: dict) -> dict:
    return {name: row[name] for name in ("code", "name", "name_en", "parent_code", "time_limit_h")}


COLLECTIONS = [
    Collection(name="categories", table=Category.__table__, rule=REFERENCE,
               to_record=category_record),
    Collection(name="reports", table=Report.__table__, rule=MERGE, schema=ReportFields,
               server_fields=("code", "grid_id", "deadline_at", "reporter_id", "timeline",
                              "tier", "department_id", "assignee_id", "closed_at",
                              "overdue_at", "step_deadline_at", "step_overdue_at",
                              "merged_into_id"),
               audience=report_audience, prepare_create=prepare_report,
               prepare_update=update_report, can_write=may_write_report,
               workflow=Workflow(fields=("status",), check=check_transition,
                                 reads=("note", "after_photos")),
               # prepare_report reads categories, grids and the case counters, never reports;
               # its rejections come before its one statement (the case number).
               batch_creates=True),
]
