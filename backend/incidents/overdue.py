"""The overdue job (超期督办): open cases past their deadline are marked once — a timeline entry
every phone holding the case pulls — and whoever must act next is notified: the department
or grid worker it is dispatched to, otherwise the supervisors of its region at its tier.

Each step has its own limit too (steps.py): a case whose current step is past it is marked
once per step (`step_overdue_at`, cleared by the next step) and whoever acts at that step is
told (立案, 派遣 and 核查 the supervisors; 处置 the handler).

Idempotent: a case is marked once (`overdue_at`), a step once, and a person is notified once
per case and kind. Run by the app's scheduler (JOBS=1) or by cron: `flask cases mark-overdue`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import User, UserRole
from backend.common.auth import DEPARTMENT, SUPERVISOR
from backend.common.time import isoformat, utcnow
from backend.extensions import db
from backend.incidents import steps, workflow
from backend.incidents.cases import level_of_path, publish_cases
from backend.incidents.models import Report
from backend.notifications.services import notify
from backend.regions.models import Region
from backend.sync_adapter.registry import engine

_reports = Report.__table__
BATCH = 500


def mark_overdue(now: datetime | None = None) -> dict:
    """Mark every case that has become overdue, then every step; one transaction per batch."""
    now = now or utcnow()
    marked = notified = 0
    while True:
        query = (sa.select(_reports).where(
            _reports.c.deleted.is_(False), _reports.c.overdue_at.is_(None),
            _reports.c.deadline_at < now,
            _reports.c.status.in_(sorted(workflow.OPEN_STATUSES)))
            .order_by(_reports.c.deadline_at).limit(BATCH)
            # Two runs at once (cron and the scheduler) take different cases.
            .with_for_update(skip_locked=True))
        rows = db.session.execute(query).mappings().all()
        if not rows:
            break
        for row in rows:
            entry = {"at": isoformat(now), "event": "overdue",
                     "deadline_at": isoformat(row["deadline_at"]), "status": row["status"]}
            engine().apply_server_change(db.session.connection(), "reports", row["id"], {
                "overdue_at": now, "timeline": [*(row["timeline"] or []), entry]}, now)
            notified += notify(who_acts_next(row), "case_overdue", row["id"], {
                "code": row["code"], "deadline_at": isoformat(row["deadline_at"]),
                "status": row["status"]})
            marked += 1
        publish_cases([row["id"] for row in rows])
        db.session.commit()
    steps_marked, steps_notified = _mark_steps_overdue(now)
    db.session.commit()  # the last batch's read too: on SQLite it holds the write lock
    return {"marked": marked, "notified": notified + steps_notified, "steps_marked": steps_marked}


def _mark_steps_overdue(now: datetime) -> tuple[int, int]:
    marked = notified = 0
    while True:
        rows = db.session.execute(sa.select(_reports).where(
            _reports.c.deleted.is_(False), _reports.c.step_overdue_at.is_(None),
            _reports.c.step_deadline_at < now,
            _reports.c.status.in_(sorted(workflow.OPEN_STATUSES)))
            .order_by(_reports.c.step_deadline_at).limit(BATCH)
            .with_for_update(skip_locked=True)).mappings().all()
        if not rows:
            return marked, notified
        for row in rows:
            step = steps.STEP_OF_STATUS[row["status"]]
            entry = {"at": isoformat(now), "event": "step_overdue", "step": step,
                     "deadline_at": isoformat(row["step_deadline_at"]), "status": row["status"]}
            engine().apply_server_change(db.session.connection(), "reports", row["id"], {
                "step_overdue_at": now, "timeline": [*(row["timeline"] or []), entry]}, now)
            # One kind per step: a case late to be registered, then late to be handled, tells
            # each step's people once.
            notified += notify(who_acts_next(row), f"step_overdue_{step}", row["id"], {
                "code": row["code"], "step": step,
                "deadline_at": isoformat(row["step_deadline_at"]), "status": row["status"]})
            marked += 1
        publish_cases([row["id"] for row in rows])
        db.session.commit()


def who_acts_next(row) -> list:
    """The people whose turn it is: the handler while it is dispatched, else its supervisors."""
    if row["status"] == "dispatched" and row["assignee_id"] is not None:
        return [row["assignee_id"]]
    if row["status"] == "dispatched" and row["department_id"] is not None:
        return list(db.session.scalars(sa.select(User.id).join(UserRole).where(
            User.department_id == row["department_id"], User.is_active.is_(True),
            UserRole.role == DEPARTMENT)))
    return _nearest_supervisors(row["scope_path"], row["tier"] or "street")


def _nearest_supervisors(scope_path: str | None, tier: str) -> list:
    """The supervisors bound to the deepest region holding the case at a level that acts on
    its tier (a street's for a street case), not everyone up to the city."""
    if not scope_path:
        return []
    allowed = workflow.TIER_LEVELS[tier]
    rows = db.session.execute(sa.select(User.id, Region.path).join(UserRole).join(
        Region, Region.id == User.region_id).where(
        UserRole.role == SUPERVISOR, User.is_active.is_(True),
        sa.literal(scope_path).startswith(Region.path))).all()
    rows = [(user_id, path) for user_id, path in rows if level_of_path(path) in allowed]
    if not rows:
        return []
    deepest = max(len(path) for _, path in rows)
    return [user_id for user_id, path in rows if len(path) == deepest]
