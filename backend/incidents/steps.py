"""Each step of the loop has its own time limit (环节时限), beside the whole case's deadline.

A case waits at one step at a time, named by its status: a reported case waits to be
registered (立案), a registered one to be dispatched (派遣), a dispatched one to be handled
(处置), a handled one to be verified (核查), a verified one to be closed (结案). The step's
clock starts when the case arrives at it (the server's time: a supervisor cannot register
what has not reached the server) and counts working hours on the city's calendar.

The limits: the category's own (`step_limits_h`), else the city's (STEP_LIMITS_H); handling
takes the category's time limit (时限) unless the category names its own.
"""

from __future__ import annotations

from datetime import datetime

from backend.common import working_time

STEP_OF_STATUS = {"reported": "register", "registered": "dispatch", "dispatched": "handle",
                  "handled": "verify", "verified": "close"}
STEPS = tuple(STEP_OF_STATUS.values())


def parse_limits(text: str) -> dict[str, float]:
    """"register=2,dispatch=4" → {"register": 2.0, "dispatch": 4.0}; unknown steps refused."""
    limits = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        step, _, hours = part.partition("=")
        if step.strip() not in STEPS or float(hours) <= 0:
            raise ValueError(f"STEP_LIMITS_H: {part!r} is not <step>=<hours> "
                             f"with a step of {', '.join(STEPS)}")
        limits[step.strip()] = float(hours)
    return limits


def limit_h(step: str, category: dict | None, city_limits: dict[str, float]) -> float | None:
    """Working hours allowed for a step of a case of this category (None: no limit)."""
    own = (category or {}).get("step_limits_h") or {}
    if step in own:
        return float(own[step])
    if step == "handle" and category is not None:
        return float(category["time_limit_h"])
    return city_limits.get(step)


def step_deadline(status: str, category: dict | None, since: datetime,
                  city_limits: dict[str, float],
                  working: tuple[working_time.WorkCalendar, working_time.WorkingHours],
                  ) -> datetime | None:
    """When the step a case of this status waits at must be done, counted from `since`; None
    for a finished case (closed, cancelled, merged) or a step without a limit."""
    step = STEP_OF_STATUS.get(status)
    hours = limit_h(step, category, city_limits) if step else None
    if hours is None:
        return None
    calendar, day = working
    return working_time.add_working_hours(since, hours, calendar, day)


def step_changes(status: str, category: dict | None, now: datetime, city_limits: dict,
                 working) -> dict:
    """The columns a move into `status` writes: the new step's deadline, its overdue mark
    cleared."""
    return {"step_deadline_at": step_deadline(status, category, now, city_limits, working),
            "step_overdue_at": None}


def city_limits() -> dict[str, float]:
    """STEP_LIMITS_H, parsed once per process."""
    from backend.common.settings import process_cache, setting  # Flask only where read

    cache = process_cache()
    if "step_limits" not in cache:
        cache["step_limits"] = parse_limits(setting("STEP_LIMITS_H"))
    return cache["step_limits"]
