"""The demo city's weeks of cases: every status on show, overdue ones, 城管局's queue for
dept1, each supervisor's own, and timelines that tell a consistent story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from backend.common import working_time
from backend.demo.case_history import HISTORY_DAYS, WORKER_GRIDS, plan_cases
from backend.departments.models import Department
from backend.incidents import workflow
from backend.incidents.models import Category, Report
from backend.regions.models import Region


def _all_cases(client, headers, **query) -> list[dict]:
    items, page = [], 1
    while True:
        body = client.get("/api/v1/cases", headers=headers,
                          query_string={**query, "page": page, "per_page": 100}).get_json()
        items += body["items"]
        if page >= body["pages"]:
            return items
        page += 1


def test_the_demo_has_a_few_weeks_of_cases_in_every_status(client, demo, demo_login):
    cases = _all_cases(client, demo_login("supervisor"))
    assert 120 <= len(cases) <= 200
    counts = {status: sum(c["status"] == status for c in cases) for status in workflow.STATUSES}
    assert all(counts.values()), counts
    # Most of the old ones are done.
    old = [c for c in cases if datetime.fromisoformat(c["reported_at"])
           < datetime.now(UTC) - timedelta(days=7)]
    assert sum(c["status"] == "closed" for c in old) > len(old) / 2


def test_the_cases_reach_back_about_three_weeks_and_no_further_than_now(client, demo, demo_login):
    zone = ZoneInfo(client.application.config["CITY_TIMEZONE"])
    now = datetime.now(UTC)
    reported = [datetime.fromisoformat(c["reported_at"])
                for c in _all_cases(client, demo_login("supervisor"))]
    days = {moment.astimezone(zone).date() for moment in reported}
    assert (now.astimezone(zone).date() - min(days)).days == HISTORY_DAYS
    assert len(days) >= HISTORY_DAYS - 1 and max(reported) < now


def test_some_open_cases_are_overdue(client, demo, demo_login):
    overdue = _all_cases(client, demo_login("supervisor"), overdue="true")
    assert len(overdue) >= 5
    assert all(c["overdue"] and c["status"] in workflow.OPEN_STATUSES for c in overdue)


def test_dept1_sees_the_cases_dispatched_to_its_department_and_has_a_queue(client, demo, demo_login,
                                                                           db):
    cgj = db.session.scalar(select(Department.id).where(Department.code == "CGJ"))
    headers = demo_login("dept1")
    seen = _all_cases(client, headers)
    assert seen and {c["department_id"] for c in seen} == {str(cgj)}
    queue = _all_cases(client, headers, status="dispatched")
    assert len(queue) >= 3 and all("handle" in c["actions"] for c in queue)
    # 城管局 has the most of the departments' cases.
    by_department = dict(db.session.execute(select(Report.department_id, func.count())
                                            .where(Report.department_id.is_not(None))
                                            .group_by(Report.department_id)).all())
    assert max(by_department, key=by_department.get) == cgj


def test_street1_sees_only_its_streets_cases(client, demo, demo_login, db):
    street = db.session.scalar(select(Region).where(Region.code == "371302001"))
    own_grids = {str(r.id) for r in db.session.scalars(
        select(Region).where(Region.level == "grid", Region.path.startswith(street.path)))}
    seen = _all_cases(client, demo_login("street1"))
    everything = _all_cases(client, demo_login("supervisor"))
    assert seen and {c["grid_id"] for c in seen} <= own_grids
    assert len(seen) == sum(c["grid_id"] in own_grids for c in everything) < len(everything)


def test_reports_come_from_the_grids_own_worker_and_worker1s_grid_has_most(demo, db):
    grids = {r.id: r.code for r in db.session.scalars(select(Region).where(Region.level == "grid"))}
    users = {u.id: u.username for u in db.session.scalars(select(User))}
    reports = db.session.scalars(select(Report)).all()
    for report in reports:
        grid_code = grids[report.grid_id]
        if grid_code in WORKER_GRIDS.values():
            assert WORKER_GRIDS[users[report.reporter_id]] == grid_code, report.code
        assert users[report.reporter_id].startswith("worker")
    per_grid = {code: sum(grids[r.grid_id] == code for r in reports) for code in grids.values()}
    assert max(per_grid, key=per_grid.get) == WORKER_GRIDS["worker1"]


def test_every_action_of_the_role_table_happens_in_the_history(demo, db):
    taken = {entry.get("action") for report in db.session.scalars(select(Report))
             for entry in report.timeline}
    assert set(workflow.ACTIONS) <= taken
    escalated = db.session.scalar(select(func.count()).where(Report.tier == "district"))
    sent_back_to_a_worker = db.session.scalar(select(func.count()).where(
        Report.assignee_id.is_not(None)))
    assert escalated and sent_back_to_a_worker


def test_each_timeline_is_in_time_order_and_leads_to_the_cases_status(demo, db):
    limits = dict(db.session.execute(select(Category.code, Category.time_limit_h)).all())
    now = datetime.now(UTC)
    for report in db.session.scalars(select(Report)):
        entries = report.timeline
        times = [datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in entries]
        assert times == sorted(times) and times[-1] < now, report.code
        assert [e["event"] for e in entries[:2]] == ["reported", "received"], report.code
        assert times[0] == report.reported_at
        assert report.deadline_at == working_time.add_working_hours(
            report.reported_at, limits[report.category], *working_time.city_working_time())
        status = "reported"
        for entry in entries[2:]:
            if entry["event"] == "merged_in":   # a duplicate merged into it: no move
                continue
            assert entry["event"] == "action" and entry["from"] == status, (report.code, entry)
            assert workflow.ACTIONS[entry["action"]].target == entry["status"]
            status = entry["status"]
        assert status == report.status, report.code
        if report.status == "closed":
            assert report.closed_at == times[-1], report.code
            assert report.after_photos or entries[-1]["action"] == "close"
        else:
            assert report.closed_at is None, report.code


def test_loading_the_demo_again_adds_no_cases(app, demo, db):
    def counts():
        return (db.session.scalar(select(func.count()).select_from(Report)),
                db.session.scalar(select(func.count()).select_from(AuditEvent)))

    before = counts()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "'cases': 0" in result.output, result.output
    assert counts() == before


def test_the_history_is_the_same_for_the_same_day(demo, db):
    grids = db.session.execute(select(Region.code, Region.boundary_geojson)
                               .where(Region.level == "grid")).all()
    limits = dict(db.session.execute(select(Category.code, Category.time_limit_h)).all())
    now = datetime.now(UTC)
    first, second = plan_cases(now, grids, limits), plan_cases(now, grids, limits)
    assert [(c.id, c.lat, c.lon, c.description, c.steps) for c in first] == \
           [(c.id, c.lat, c.lon, c.description, c.steps) for c in second]


def test_street1_is_offered_a_duplicate_and_sees_one_merged(client, demo, demo_login, db):
    headers = demo_login("street1")
    merged = db.session.scalars(select(Report).where(Report.status == "merged")).all()
    assert len(merged) == 1 and merged[0].merged_into_id is not None
    assert client.get(f"/api/v1/cases/{merged[0].merged_into_id}",
                      headers=headers).get_json()["status"] in workflow.OPEN_STATUSES
    waiting = _all_cases(client, headers, status="reported")
    offered = [c for c in waiting if client.get(f"/api/v1/cases/{c['id']}", headers=headers)
               .get_json()["possible_duplicates"]]
    assert len(offered) >= 2   # the duplicate and its case offer each other
