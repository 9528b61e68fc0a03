"""Electronic supervision (电子监察): the watcher raises one alert per condition while it lasts
(a service past its time limit, a staffed window idle or paused while people wait, a queue
waiting too long), clears it when the condition ends, tells the hall's managers, and a
manager acknowledges it by name, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.common.time import utcnow
from backend.live import services as live
from backend.live.services import PUBLIC_FIELDS, HallViewer
from backend.notifications.models import Notification
from backend.queue import services as queue
from backend.queue.models import (
    ALERT_IDLE,
    ALERT_LONG_WAIT,
    ALERT_OVERTIME,
    ALERT_PAUSED,
    CALLED,
    DONE,
    WAITING,
    WINDOW_OPEN,
    WINDOW_PAUSED,
    HallAlert,
    Ticket,
    Window,
)
from backend.queue.supervision import watch
from backend.queue.tickets import city_today
from tests import factories
from tests.helpers import assert_json_error

NOW = utcnow().replace(microsecond=0)
MIN = timedelta(minutes=1)


def window(db, hall, number: int) -> Window:
    return db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                  Window.number == number))


def ticket(db, hall, *, code="A", status=WAITING, queued=NOW, called=None, window_number=None,
           finished=None) -> Ticket:
    """A ticket row as taking and a clerk's calls leave it (the clerk's API is tested on
    its own)."""
    service = factories.hall_service(hall, code)
    holder = factories.make_user(roles=("citizen",))
    seq = db.session.query(Ticket).filter(Ticket.service_id == service.id).count() + 1
    row = Ticket(hall_id=hall.id, service_id=service.id, user_id=holder.id,
                 day=city_today(queued), seq=seq, number=f"{code}{seq:03d}", status=status,
                 taken_at=queued, queued_at=queued, called_at=called, first_called_at=called,
                 finished_at=finished, recalls=0, transfers=0, near_pushed=False, note="")
    if window_number is not None:
        row.window_id = window(db, hall, window_number).id
    db.session.add(row)
    db.session.commit()
    return row


def staffed(db, hall, number: int, *, status=WINDOW_OPEN, since=NOW):
    """A window with a clerk at it, in a state since a time, last busy then."""
    factories.make_clerk(hall, number)
    row = window(db, hall, number)
    row.status, row.status_since, row.idle_since = status, since, since
    db.session.commit()
    return row


def alerts(db, hall) -> list[HallAlert]:
    db.session.expire_all()
    return db.session.scalars(select(HallAlert).where(HallAlert.hall_id == hall.id)
                              .order_by(HallAlert.raised_at)).all()


# -- each kind: raised once, not again while it lasts, cleared when it ends ------------------

def test_a_service_past_its_time_limit_is_raised_once_then_cleared(db, hall, manager):
    staffed(db, hall, 1, since=NOW - 30 * MIN)
    row = ticket(db, hall, status=CALLED, queued=NOW - 40 * MIN, called=NOW - 20 * MIN,
                 window_number=1)
    assert watch(NOW - MIN)["raised"] == 0  # 19 minutes: within the 20-minute limit
    assert watch(NOW)["raised"] == 1
    [alert] = alerts(db, hall)
    assert (alert.kind, alert.subject_id, alert.subject_label) == (ALERT_OVERTIME, str(row.id),
                                                                   row.number)
    assert alert.detail["window"] == 1 and alert.detail["limit_min"] == 20
    assert watch(NOW + 5 * MIN)["raised"] == 0 and len(alerts(db, hall)) == 1
    row.status, row.finished_at = DONE, NOW + 6 * MIN
    db.session.commit()
    assert watch(NOW + 7 * MIN) == {"halls": 1, "raised": 0, "cleared": 1}
    [alert] = alerts(db, hall)
    assert alert.cleared_at is not None and alert.acknowledged_at is None


def test_an_idle_staffed_window_while_its_services_wait_is_raised_once_then_cleared(db, hall,
                                                                                    manager):
    idle = staffed(db, hall, 2, since=NOW - 6 * MIN)  # window 2 handles A
    waiting = ticket(db, hall, code="A", queued=NOW - 2 * MIN)
    assert watch(NOW - 2 * MIN)["raised"] == 0  # idle 4 minutes: within the 5
    assert watch(NOW)["raised"] == 1
    [alert] = alerts(db, hall)
    assert (alert.kind, alert.subject_id, alert.subject_label) == (ALERT_IDLE, str(idle.id), "2")
    assert alert.detail["waiting"] == 1 and alert.detail["window"] == 2
    assert watch(NOW + MIN)["raised"] == 0
    # The clerk calls the waiting ticket: no longer idle.
    waiting.status, waiting.window_id, waiting.called_at = CALLED, idle.id, NOW + 2 * MIN
    db.session.commit()
    assert watch(NOW + 3 * MIN)["cleared"] == 1
    assert alerts(db, hall)[0].cleared_at is not None


def test_idle_without_anyone_waiting_or_without_a_clerk_is_no_alert(db, hall, manager):
    staffed(db, hall, 2, since=NOW - 60 * MIN)
    ticket(db, hall, code="B", queued=NOW - 5 * MIN)  # window 2 does not handle B
    # Window 4 (C) has nobody at it: unstaffed windows are not idle.
    row = window(db, hall, 4)
    row.idle_since = row.status_since = NOW - 60 * MIN
    db.session.commit()
    ticket(db, hall, code="C", queued=NOW - 5 * MIN)
    assert watch(NOW)["raised"] == 0


def test_a_paused_window_while_its_services_wait_is_raised_once_then_cleared(db, hall, manager):
    paused = staffed(db, hall, 3, status=WINDOW_PAUSED, since=NOW - 5 * MIN)  # B
    ticket(db, hall, code="B", queued=NOW - MIN)
    assert watch(NOW)["raised"] == 1
    assert watch(NOW + MIN)["raised"] == 0
    [alert] = alerts(db, hall)
    assert (alert.kind, alert.subject_id) == (ALERT_PAUSED, str(paused.id))
    paused.status, paused.status_since, paused.idle_since = WINDOW_OPEN, NOW + 2 * MIN, NOW + 2 * MIN
    db.session.commit()
    assert watch(NOW + 3 * MIN)["cleared"] == 1


def test_a_queue_waiting_too_long_is_raised_once_then_cleared(db, hall, manager):
    oldest = ticket(db, hall, code="C", queued=NOW - 30 * MIN)
    ticket(db, hall, code="C", queued=NOW - 10 * MIN)
    assert watch(NOW - MIN)["raised"] == 0
    assert watch(NOW)["raised"] == 1
    [alert] = alerts(db, hall)
    service = factories.hall_service(hall, "C")
    assert (alert.kind, alert.subject_id, alert.subject_label) == (
        ALERT_LONG_WAIT, str(service.id), "C 社保医保")
    assert alert.detail["waiting"] == 2
    assert watch(NOW + MIN)["raised"] == 0
    oldest.status, oldest.called_at = CALLED, NOW + 2 * MIN  # the next has waited 12 minutes
    db.session.commit()
    assert watch(NOW + 2 * MIN)["cleared"] == 1


def test_a_condition_that_returns_is_a_new_alert(db, hall, manager):
    row = ticket(db, hall, code="C", queued=NOW - 31 * MIN)
    watch(NOW)
    row.status = "cancelled"
    db.session.commit()
    watch(NOW + MIN)
    ticket(db, hall, code="C", queued=NOW - 40 * MIN)
    assert watch(NOW + 2 * MIN)["raised"] == 1
    first, second = alerts(db, hall)
    assert first.cleared_at is not None and second.cleared_at is None


def test_an_acknowledged_alert_whose_condition_lasts_is_not_raised_again(client, db, hall,
                                                                         manager, login_as):
    ticket(db, hall, code="C", queued=NOW - 31 * MIN)
    watch(NOW)
    [alert] = alerts(db, hall)
    response = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={},
                           headers=login_as(manager))
    assert response.status_code == 200
    assert watch(NOW + 10 * MIN)["raised"] == 0
    assert len(alerts(db, hall)) == 1


def test_a_new_alert_is_published_without_anything_personal_and_told_to_managers(db, hall,
                                                                                  manager):
    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    staffed(db, hall, 3, status=WINDOW_PAUSED, since=NOW - 10 * MIN)
    ticket(db, hall, code="B", queued=NOW - 3 * MIN)
    subscription = live.current().subscribe(HallViewer(str(hall.id)))
    try:
        assert watch(NOW)["raised"] == 2
        published = [subscription.events.get(timeout=5), subscription.events.get(timeout=5)]
    finally:
        live.current().unsubscribe(subscription)
    raised = {str(a.id): a for a in alerts(db, hall)}
    for event in published:
        assert event["kind"] == "alert" and set(event) <= set(PUBLIC_FIELDS["hall"])
        assert set(event["alert"]) == {"id", "kind", "subject_label"}
        alert = raised[event["alert"]["id"]]
        assert event["alert"] == {"id": str(alert.id), "kind": alert.kind,
                                  "subject_label": alert.subject_label}
    notices = db.session.scalars(select(Notification).where(Notification.kind == "hall_alert")).all()
    assert {(n.user_id, str(n.subject_id)) for n in notices} == {(manager.id, i) for i in raised}


def test_two_watchers_at_once_raise_each_alert_once(app, db, hall, manager):
    """Cron and the scheduler running together: they take turns on the hall's row."""
    import threading

    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    ticket(db, hall, code="C", queued=NOW - 45 * MIN)
    staffed(db, hall, 3, status=WINDOW_PAUSED, since=NOW - 10 * MIN)
    ticket(db, hall, code="B", queued=NOW - MIN)
    start = threading.Barrier(4)
    failures = []

    def run():
        try:
            with app.app_context():
                start.wait()
                watch(NOW)
                db.session.remove()
        except Exception as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert sorted(a.kind for a in alerts(db, hall)) == [ALERT_LONG_WAIT, ALERT_LONG_WAIT, ALERT_PAUSED]
    assert db.session.query(Notification).count() == 3


# -- reading and acknowledging ---------------------------------------------------------------

def test_the_manager_lists_alerts_and_acknowledges_one_by_name(client, db, hall, manager,
                                                               login_as):
    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    watch(NOW)
    ticket(db, hall, code="C", queued=NOW - 45 * MIN)
    watch(NOW + MIN)
    headers = login_as(manager)
    listed = client.get(f"/api/v1/halls/{hall.id}/alerts", headers=headers).get_json()["items"]
    assert [a["subject_label"] for a in listed] == ["C 社保医保", "A 不动产登记"]  # newest first
    newest = listed[0]
    assert newest["kind"] == "long_wait" and newest["acknowledged_at"] is None
    assert newest["detail"]["limit_min"] == 30 and newest["raised_at"]
    done = client.post(f"/api/v1/alerts/{newest['id']}/acknowledge", headers=headers,
                       json={"note": " 已加开 4 号窗口 "})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["acknowledged_by"] == str(manager.id)
    assert body["acknowledged_by_name"] == "大厅负责人 孙丽" and body["note"] == "已加开 4 号窗口"
    again = client.post(f"/api/v1/alerts/{newest['id']}/acknowledge", headers=headers, json={})
    error = assert_json_error(again, 409, "already_acknowledged")
    assert error["acknowledged_by_name"] == "大厅负责人 孙丽"
    still_open = client.get(f"/api/v1/halls/{hall.id}/alerts?open=true", headers=headers).get_json()
    assert [a["subject_label"] for a in still_open["items"]] == ["A 不动产登记"]
    acknowledged = client.get(f"/api/v1/halls/{hall.id}/alerts?open=false", headers=headers).get_json()
    assert [a["acknowledged_by_name"] for a in acknowledged["items"]] == ["大厅负责人 孙丽"]
    [entry] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "hall.alert_acknowledged")).all()
    assert entry.actor_id == manager.id and entry.target_id == newest["id"]


@pytest.mark.parametrize("body", [{"note": "x" * 501}, {"note": 5}, {"other": 1}, []])
def test_a_bad_acknowledgement_is_422(client, db, hall, manager, login_as, body):
    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    watch(NOW)
    [alert] = alerts(db, hall)
    response = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json=body,
                           headers=login_as(manager))
    assert response.status_code == 422


def test_another_halls_manager_gets_404_and_other_roles_403(client, db, hall, manager, login_as):
    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    watch(NOW)
    [alert] = alerts(db, hall)
    other_hall = factories.make_hall()
    stranger = factories.make_user(roles=("hall_manager",))
    queue.add_manager(other_hall, stranger.id)
    db.session.commit()
    headers = login_as(stranger)
    assert_json_error(client.get(f"/api/v1/halls/{hall.id}/alerts", headers=headers), 404,
                      "hall_not_found")
    assert_json_error(client.get(f"/api/v1/halls/{hall.id}/overview", headers=headers), 404)
    assert_json_error(client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={},
                                  headers=headers), 404, "alert_not_found")
    assert_json_error(client.post(f"/api/v1/alerts/{uuid.uuid4()}/acknowledge", json={},
                                  headers=headers), 404)
    mine = client.get("/api/v1/halls/managed", headers=headers).get_json()["items"]
    assert [h["id"] for h in mine] == [str(other_hall.id)]
    for role in ("clerk", "supervisor", "citizen", "worker"):
        other = login_as(factories.make_user(roles=(role,)))
        assert_json_error(client.get(f"/api/v1/halls/{hall.id}/alerts", headers=other), 403)
        assert_json_error(client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={},
                                      headers=other), 403)
    admin = login_as(factories.make_user(roles=("admin",)))
    assert client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={},
                       headers=admin).status_code == 200


def test_the_overview_counts_the_hall_now_and_today(client, db, hall, manager, login_as):
    staffed(db, hall, 1, since=NOW - 30 * MIN)
    ticket(db, hall, code="A", queued=NOW - 45 * MIN)
    ticket(db, hall, code="A", queued=NOW - 5 * MIN)
    serving = ticket(db, hall, code="B", status=CALLED, queued=NOW - 20 * MIN,
                     called=NOW - 3 * MIN, window_number=1)
    ticket(db, hall, code="C", status=DONE, queued=NOW - 60 * MIN, called=NOW - 50 * MIN,
           finished=NOW - 40 * MIN, window_number=1)
    watch(NOW)
    body = client.get(f"/api/v1/halls/{hall.id}/overview", headers=login_as(manager)).get_json()
    assert {s["code"]: s["waiting"] for s in body["services"]} == {"A": 2, "B": 0, "C": 0}
    assert body["services"][0]["oldest_since"]
    assert {w["number"]: w["serving"] for w in body["windows"]}[1] == serving.number
    assert body["today"]["taken"] == 4 and body["today"]["done"] == 1
    assert body["today"]["waiting"] == 2 and body["today"]["called"] == 1
    assert body["open_alerts"] == 1 and body["open_followups"] == 0
    assert body["hall"]["name"] == hall.name


def test_flask_hall_watch_runs_the_watcher(app, db, hall, manager):
    ticket(db, hall, code="A", queued=utcnow() - 45 * MIN)
    result = app.test_cli_runner().invoke(args=["hall", "watch"])
    assert result.exit_code == 0, result.output
    assert "1 alerts raised" in result.output
    assert len(alerts(db, hall)) == 1


def test_the_watch_runs_every_30_seconds_by_default(app):
    assert app.config["HALL_WATCH_S"] == 30


def test_a_closed_hall_is_watched_only_for_services_still_going_on(db, manager):
    closed = factories.make_hall(hours={})
    queue.add_manager(closed, manager.id)
    db.session.commit()
    staffed(db, closed, 2, since=NOW - 60 * MIN)
    ticket(db, closed, code="A", queued=NOW - 90 * MIN)
    serving = ticket(db, closed, code="B", status=CALLED, queued=NOW - 90 * MIN,
                     called=NOW - 45 * MIN, window_number=1)
    watch(NOW)
    assert [(a.kind, a.subject_id) for a in alerts(db, closed)] == [(ALERT_OVERTIME, str(serving.id))]


# -- the whole loop, through the citizen's and the clerk's own API ----------------------------

def test_the_loop_through_the_clerks_api_overtime_idle_then_a_bad_rating(client, db, hall, manager,
                                                                         login_as):
    from tests.factories import HALL_CENTRE

    clerk = factories.make_clerk(hall, 4, "clerk_loop")  # window 4 handles C
    clerk.display_name = "窗口 李明"
    db.session.commit()
    clerk_headers = login_as(clerk)
    window_id = window(db, hall, 4).id
    service = factories.hall_service(hall, "C")
    citizens = [factories.make_user(roles=("citizen",)) for _ in range(2)]
    citizen_headers = [login_as(c) for c in citizens]
    for headers in citizen_headers:
        taken = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=headers, json={
            "service_id": str(service.id), "lat": HALL_CENTRE[0], "lon": HALL_CENTRE[1]})
        assert taken.status_code == 201, taken.get_json()
    first = client.post(f"/api/v1/windows/{window_id}/call", json={}, headers=clerk_headers).get_json()
    start = utcnow()
    # 25 minutes into a 20-minute service: overtime; the second citizen is not waiting long yet.
    assert watch(start + 25 * MIN)["raised"] == 1
    [overtime] = alerts(db, hall)
    assert (overtime.kind, overtime.subject_label) == (ALERT_OVERTIME, first["number"])
    done = client.post(f"/api/v1/tickets/{first['id']}/finish", json={}, headers=clerk_headers)
    assert done.status_code == 200, done.get_json()
    assert watch(utcnow())["cleared"] == 1
    # The clerk sits idle while the second citizen waits: an idle window after 5 minutes.
    assert watch(utcnow() + 6 * MIN)["raised"] == 1
    idle = [a for a in alerts(db, hall) if a.kind == ALERT_IDLE]
    assert [a.subject_label for a in idle] == ["4"]
    client.post(f"/api/v1/windows/{window_id}/call", json={}, headers=clerk_headers)
    assert watch(utcnow() + 7 * MIN)["cleared"] == 1
    # The first citizen rates their service badly; the manager sees the clerk and the window.
    rated = client.post(f"/api/v1/tickets/{first['id']}/rating", headers=citizen_headers[0],
                        json={"score": 2, "reasons": ["long_wait"], "comment": "等太久"})
    assert rated.status_code == 201, rated.get_json()
    [item] = client.get(f"/api/v1/halls/{hall.id}/followups", headers=login_as(manager)).get_json()["items"]
    assert (item["number"], item["window_number"], item["clerk_name"]) == (first["number"], 4, "窗口 李明")


def test_with_jobs_on_each_process_watches_the_halls_under_a_lease(monkeypatch, tmp_path):
    """JOBS=1 hands the watcher to the scheduler the overdue job runs in (the lease and the
    thread are backend/common/jobs.py's own, tested with it)."""
    from backend import create_app
    from backend.common import jobs

    given = {}
    monkeypatch.setattr(jobs, "start_scheduler_once", lambda app, scheduled: given.update(scheduled))
    app = create_app({"TESTING": True, "JOBS": True, "SECRET_KEY": "k" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/jobs.sqlite"})
    app.test_client().get("/healthz")  # the first request starts the process's scheduler
    period, run = given["hall_watch"]
    assert period == timedelta(seconds=30) and run is watch
    assert "mark_overdue" in given
