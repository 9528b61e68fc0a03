"""The closed loop of a case (闭环): its states, and who may move it — one table, used by the
API's actions, by sync (a phone's offline moves) and by the console (only the buttons a user
may press).

上报 reported → 立案 registered → 派遣 dispatched → 处置 handled → 核查 verified → 结案 closed.

- 网格微循环: the reporting grid worker closes a small issue on the spot (reported → closed,
  with an "after" photo), or a supervisor dispatches the case back to a grid worker.
- 街道小循环: the street's supervisor registers, dispatches to a department, verifies,
  sends back (handled → dispatched, with the reason) and closes.
- 县区大循环: a street that cannot handle a case escalates it (with the reason); from then on
  the case is the district's, and only a supervisor of the district (or the city) acts.
- 合并: a new report of what an open case already covers is merged into that case by a
  supervisor (reported → merged, an end like cancelled); its reporter follows the case.

The table says nothing of time: a phone's move made offline is judged when it syncs, by the
case's state then and the mover's role, never by when it was made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

STATUSES = ("reported", "registered", "dispatched", "handled", "verified", "closed", "cancelled",
            "merged")
OPEN_STATUSES = frozenset({"reported", "registered", "dispatched", "handled", "verified"})
TIERS = ("street", "district")

# The parties to a case, as the table names them.
REPORTER = "reporter"        # who reported it
SUPERVISOR = "supervisor"    # a supervisor whose region holds the case, at the case's tier
HANDLER = "handler"          # staff of the department it is dispatched to, or the grid worker


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str                   # the status after it (the same one: the status stays)
    parties: frozenset[str]
    note_required: bool = False
    # "after" photos: always, never, or when the category asks for them.
    photos_required: str = "never"


def _action(name, sources, target, parties, **kwargs) -> Action:
    return Action(name, frozenset(sources), target, frozenset(parties), **kwargs)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    _action("register", {"reported"}, "registered", {SUPERVISOR}),
    _action("close_on_spot", {"reported"}, "closed", {REPORTER}, photos_required="always"),
    # The reporter withdraws before registration; a supervisor may also void a registered one.
    _action("cancel", {"reported", "registered"}, "cancelled", {REPORTER, SUPERVISOR}),
    # A duplicate: merged into another open case (which case is the caller's input).
    _action("merge", {"reported"}, "merged", {SUPERVISOR}),
    _action("dispatch", {"registered", "dispatched"}, "dispatched", {SUPERVISOR}),
    _action("escalate", {"registered", "dispatched"}, "registered", {SUPERVISOR},
            note_required=True),
    _action("handle", {"dispatched"}, "handled", {HANDLER}, note_required=True,
            photos_required="category"),
    _action("verify", {"handled"}, "verified", {SUPERVISOR}),
    _action("send_back", {"handled"}, "dispatched", {SUPERVISOR}, note_required=True),
    _action("close", {"verified"}, "closed", {SUPERVISOR}),
    _action("reopen", {"closed"}, "registered", {SUPERVISOR}, note_required=True),
)}

# A phone moves a case by writing its status; each move names exactly one action.
ACTION_OF_MOVE: dict[tuple[str, str], str] = {}
for _a in ACTIONS.values():
    for _source in _a.sources:
        if _source != _a.target:
            assert (_source, _a.target) not in ACTION_OF_MOVE, (_source, _a.target)
            ACTION_OF_MOVE[(_source, _a.target)] = _a.name


@dataclass(frozen=True)
class Person:
    """Who acts: what the table needs to know of them."""

    user_id: uuid.UUID
    roles: frozenset[str]
    region_path: str | None = None    # a supervisor's or worker's region
    region_level: str | None = None   # its level: city, district, street…
    department_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What the table needs to know of a case."""

    status: str
    reporter_id: uuid.UUID
    scope_path: str | None
    tier: str = "street"
    department_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, row) -> CaseFacts:
        get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name, None))
        return cls(status=get("status") or "reported", reporter_id=get("reporter_id"),
                   scope_path=get("scope_path"), tier=get("tier") or "street",
                   department_id=get("department_id"), assignee_id=get("assignee_id"),
                   closed_at=get("closed_at"))


# Region levels at which a supervisor may act on a case of each tier.
TIER_LEVELS = {"street": frozenset({"city", "district", "street"}),
                "district": frozenset({"city", "district"})}


def parties_of(person: Person, case: CaseFacts) -> frozenset[str]:
    """Which of the table's parties this person is, for this case."""
    parties = set()
    if person.user_id == case.reporter_id:
        parties.add(REPORTER)
    if ("supervisor" in person.roles and person.region_path and case.scope_path
            and case.scope_path.startswith(person.region_path)
            and person.region_level in TIER_LEVELS.get(case.tier, frozenset())):
        parties.add(SUPERVISOR)
    if ((case.department_id is not None and "department" in person.roles
         and person.department_id == case.department_id)
            or (case.assignee_id is not None and person.user_id == case.assignee_id)):
        parties.add(HANDLER)
    return frozenset(parties)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: str = ""        # why not: invalid_transition, forbidden_action, reopen_expired…
    message: str = ""


def judge(action_name: str, person: Person, case: CaseFacts, *, now: datetime,
          reopen_window: timedelta) -> Verdict:
    """May this person take this action on this case now? Who they are comes first (403
    forbidden_action: never theirs to take), then the state (409 invalid_transition: not
    now). Inputs (note, photos, department) are the caller's to check."""
    action = ACTIONS[action_name]
    if not (parties_of(person, case) & action.parties):
        return Verdict(False, "forbidden_action", _who_may(action))
    if action_name == "close_on_spot" and "worker" not in person.roles:
        return Verdict(False, "forbidden_action", "Only a grid worker closes on the spot.")
    if case.status not in action.sources or (
            action_name == "cancel" and case.status != "reported"
            and SUPERVISOR not in parties_of(person, case)):
        return Verdict(False, "invalid_transition",
                       f"'{action_name}' is not possible on a {case.status} case.")
    if action_name == "escalate" and case.tier != "street":
        return Verdict(False, "invalid_transition", "The case is already the district's.")
    if action_name == "reopen" and (case.closed_at is None
                                    or now - case.closed_at > reopen_window):
        return Verdict(False, "reopen_expired",
                       "A closed case may be reopened only within "
                       f"{int(reopen_window.total_seconds() // 3600)} hours of closing.")
    return Verdict(True)


def _who_may(action: Action) -> str:
    names = {REPORTER: "its reporter", SUPERVISOR: "a supervisor of its region at its tier",
             HANDLER: "whoever it is dispatched to"}
    return f"Only {' or '.join(names[p] for p in sorted(action.parties))} may {action.name}."


def allowed_actions(person: Person, case: CaseFacts, *, now: datetime,
                    reopen_window: timedelta) -> list[str]:
    """The buttons to show: every action the table allows this person now, in table order."""
    return [name for name in ACTIONS
            if judge(name, person, case, now=now, reopen_window=reopen_window).allowed]


# 结果反馈: once a case is finished, its reporter says whether the result satisfies them.
# Not an action of the table (the status stays); one rule for the API and for sync.
SATISFACTION = ("satisfied", "unsatisfied")
FINISHED_STATUSES = frozenset({"closed", "cancelled"})


def judge_feedback(person: Person, case: CaseFacts, given: str | None) -> Verdict:
    """May this person give feedback on this case now (`given`: the case's satisfaction so
    far)? Only its reporter (403 forbidden_action), only once it is closed or cancelled
    (409 case_not_finished), and once per closing (409 feedback_given)."""
    if person.user_id != case.reporter_id:
        return Verdict(False, "forbidden_action", "Only the case's reporter gives feedback.")
    if case.status not in FINISHED_STATUSES:
        return Verdict(False, "case_not_finished",
                       f"Feedback is given on a closed case; this one is {case.status}.")
    if given is not None:
        return Verdict(False, "feedback_given", "Feedback on this case was already given.")
    return Verdict(True)


def milestones(action: str | None, case: dict, now: datetime) -> dict:
    """What an action leaves for the assessment (专项考核) to count without reading timelines:
    when the case was last dispatched (to its present handler), when it was last handled,
    and how many times it was sent back. Written with the action's own change, by the API
    and by sync alike."""
    if action == "dispatch":
        return {"dispatched_at": now}
    if action == "handle":
        return {"handled_at": now}
    if action == "send_back":
        return {"send_backs": (case.get("send_backs") or 0) + 1}
    return {}


def can_move(current: str, new: str) -> bool:
    """Is there an action from `current` to `new` at all (whoever takes it)?"""
    return (current, new) in ACTION_OF_MOVE
