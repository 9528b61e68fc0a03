"""The hall's statistics (大厅统计): figures from hand-made tickets with known waits, service
times and ratings; hours and days in the city's zone; the exports; who may read them."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db as _db
from backend.queue import services as queue
from backend.queue.models import CANCELLED, DONE, NO_SHOW, WAITING, Ticket, TicketRating, Window
from tests import factories

DAY = date(2026, 3, 2)  # a Monday; the city is at UTC+8
_seqs = itertools.count(1)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A moment of the city's day (Asia/Shanghai, UTC+8), as UTC."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def add_ticket(hall, code: str, taken_at: datetime, *, status: str = DONE, wait_s: int | None = None,
               service_s: int | None = None, window: Window | None = None, clerk=None,
               score: int | None = None, day: date | None = None) -> Ticket:
    """A ticket as the clerk's services leave it: called `wait_s` after taking, finished
    `service_s` after that."""
    service = factories.hall_service(hall, code)
    holder = factories.make_user(roles=("citizen",))
    seq = next(_seqs)
    called = taken_at + timedelta(seconds=wait_s) if wait_s is not None else None
    finished = called + timedelta(seconds=service_s) if service_s is not None else None
    if status == CANCELLED:
        finished = taken_at + timedelta(minutes=5)
    ticket = Ticket(id=uuid.uuid4(), hall_id=hall.id, service_id=service.id, user_id=holder.id,
                    day=day or (taken_at + timedelta(hours=8)).date(), seq=seq,
                    number=f"{code}{seq:03d}", status=status, taken_at=taken_at,
                    queued_at=taken_at, window_id=window.id if window else None,
                    clerk_id=clerk.id if clerk else None, called_at=called,
                    first_called_at=called, finished_at=finished, recalls=0, transfers=0,
                    near_pushed=False, note="")
    _db.session.add(ticket)
    _db.session.flush()
    if score is not None:
        _db.session.add(TicketRating(ticket_id=ticket.id, hall_id=hall.id, user_id=holder.id,
                                     score=score, reasons=[], comment="",
                                     followup_status="open" if score <= 2 else None))
    _db.session.commit()
    return ticket


def window_of(hall, number: int) -> Window:
    return _db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                   Window.number == number))


@pytest.fixture
def known(hall):
    """Service A: ten done tickets waiting 60…600 s and served 100…1000 s, five of them rated
    5 5 4 3 1; a no-show called after 660 s; one cancelled. Service B: one still waiting.
    Service C: nothing."""
    clerk = factories.make_clerk(hall, 1)
    window = window_of(hall, 1)
    scores = {0: 5, 1: 5, 2: 4, 3: 3, 4: 1}
    for n in range(10):
        add_ticket(hall, "A", local(DAY, 9, n), wait_s=60 * (n + 1), service_s=100 * (n + 1),
                   window=window, clerk=clerk, score=scores.get(n))
    add_ticket(hall, "A", local(DAY, 10), status=NO_SHOW, wait_s=660, window=window, clerk=clerk)
    add_ticket(hall, "A", local(DAY, 10, 5), status=CANCELLED)
    add_ticket(hall, "B", local(DAY, 11), status=WAITING)
    return clerk


def get_stats(client, headers, **query):
    query = {"from": DAY.isoformat(), "to": DAY.isoformat(), **query}
    return client.get("/api/v1/stats/halls", query_string=query, headers=headers)


def admin(login_as):
    return login_as(factories.make_user(roles=("admin",)))


A_FIGURES = {"tickets": 12, "served": 10, "no_shows": 1, "cancelled": 1,
             "wait_mean_s": 360.0, "wait_p90_s": 600.0, "service_mean_s": 550.0,
             "service_p90_s": 900.0, "ratings": 5, "rating_mean": 3.6, "satisfaction": 0.6}


def test_figures_per_service_are_exact(client, hall, known, login_as):
    response = get_stats(client, admin(login_as), hall_id=str(hall.id))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["hall"]["name"] == "测试政务大厅" and body["group_by"] == "service"
    assert (body["from"], body["to"]) == (DAY.isoformat(), DAY.isoformat())
    rows = {row["label"]: row for row in body["rows"]}
    assert list(rows) == ["A 不动产登记", "B 企业开办", "C 社保医保"]  # every service, in order
    assert {key: rows["A 不动产登记"][key] for key in A_FIGURES} == A_FIGURES
    waiting = rows["B 企业开办"]
    assert waiting["tickets"] == 1 and waiting["served"] == 0
    assert waiting["wait_mean_s"] is None and waiting["wait_p90_s"] is None
    assert waiting["satisfaction"] is None and waiting["rating_mean"] is None
    assert rows["C 社保医保"]["tickets"] == 0
    totals = body["totals"]
    assert {key: totals[key] for key in A_FIGURES} == {**A_FIGURES, "tickets": 13}


def test_p90_is_the_nearest_rank():
    from backend.queue.stats import p90

    assert p90([]) is None
    assert p90([7]) == 7
    assert p90(list(range(1, 11))) == 9  # ⌈9⌉-th of ten
    assert p90(list(range(1, 12))) == 10  # ⌈9.9⌉-th of eleven
    assert p90([5, 1, 3]) == 5


def test_per_window_and_per_clerk_with_a_row_for_the_never_called(client, hall, known, login_as):
    other = factories.make_clerk(hall, 2, "clerk_two")
    add_ticket(hall, "A", local(DAY, 14), wait_s=120, service_s=600, window=window_of(hall, 2),
               clerk=other, score=5)
    headers = admin(login_as)
    rows = get_stats(client, headers, group_by="window").get_json()["rows"]
    assert [row["key"] for row in rows] == ["1", "2", "3", "4", "none"]  # by number
    windows = {row["label"]: row for row in rows}
    assert list(windows) == ["1号窗口", "2号窗口", "3号窗口", "4号窗口", "未叫号"]
    assert windows["1号窗口"]["tickets"] == 11 and windows["1号窗口"]["no_shows"] == 1
    assert windows["2号窗口"]["served"] == 1 and windows["2号窗口"]["service_mean_s"] == 600.0
    assert windows["3号窗口"]["tickets"] == 0
    assert windows["未叫号"]["tickets"] == 2 and windows["未叫号"]["cancelled"] == 1
    clerks = get_stats(client, headers, group_by="clerk").get_json()["rows"]
    by_key = {row["key"]: row for row in clerks}
    assert by_key[str(known.id)]["served"] == 10 and by_key[str(other.id)]["satisfaction"] == 1.0
    assert by_key["none"]["tickets"] == 2


def test_hours_and_days_are_the_citys(client, hall, login_as):
    # 23:30 on DAY and 00:15 the next day in the city: the same UTC day (15:30 and 16:15 UTC).
    late = add_ticket(hall, "A", local(DAY, 23, 30), wait_s=300, service_s=300)
    early = add_ticket(hall, "A", local(DAY + timedelta(days=1), 0, 15), wait_s=600, service_s=300)
    assert late.taken_at.date() == early.taken_at.date()
    headers = admin(login_as)
    both = {"to": (DAY + timedelta(days=1)).isoformat()}
    hours = get_stats(client, headers, group_by="hour", **both).get_json()["rows"]
    assert [(row["key"], row["tickets"], row["wait_mean_s"]) for row in hours] == [
        ("00", 1, 600.0), ("23", 1, 300.0)]
    days = get_stats(client, headers, group_by="day", **both).get_json()["rows"]
    assert [(row["key"], row["tickets"]) for row in days] == [
        ("2026-03-02", 1), ("2026-03-03", 1)]
    only_first = get_stats(client, headers, group_by="hour").get_json()
    assert [row["key"] for row in only_first["rows"]] == ["23"]
    assert only_first["totals"]["tickets"] == 1


def test_every_day_of_the_period_has_a_row(client, hall, known, login_as):
    body = get_stats(client, admin(login_as), group_by="day",
                     to=(DAY + timedelta(days=2)).isoformat()).get_json()
    assert [(row["key"], row["tickets"]) for row in body["rows"]] == [
        ("2026-03-02", 13), ("2026-03-03", 0), ("2026-03-04", 0)]


def test_the_default_period_is_the_last_seven_days(client, hall, login_as):
    body = client.get("/api/v1/stats/halls", headers=admin(login_as)).get_json()
    first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (last - first).days == 6 and body["totals"]["tickets"] == 0


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
    ({"from": "2025-01-01", "to": "2026-03-01"}, "from"),
    ({"group_by": "weekday"}, "group_by"),
    ({"from": "2026-02-30"}, "from"),
    ({"hall_id": "not-a-uuid"}, "hall_id"),
])
def test_bad_arguments_are_422(client, hall, login_as, query, field):
    response = client.get("/api/v1/stats/halls", query_string=query, headers=admin(login_as))
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert field in fields.get("query", fields)  # webargs' errors are by location


def test_a_year_is_allowed_and_no_more(client, hall, login_as):
    headers = admin(login_as)
    year = client.get("/api/v1/stats/halls", query_string={"from": "2025-03-02", "to": "2026-03-02"},
                      headers=headers)
    assert year.status_code == 200
    longer = client.get("/api/v1/stats/halls", query_string={"from": "2025-03-01", "to": "2026-03-02"},
                        headers=headers)
    assert longer.status_code == 422 and longer.get_json()["error"]["code"] == "period_too_long"


def test_hall_unknown_or_not_named_among_several(client, hall, login_as):
    headers = admin(login_as)
    unknown = client.get("/api/v1/stats/halls", query_string={"hall_id": str(uuid.uuid4())},
                         headers=headers)
    assert unknown.status_code == 404
    factories.make_hall()
    several = client.get("/api/v1/stats/halls", headers=headers)
    assert several.status_code == 422 and several.get_json()["error"]["code"] == "hall_required"
    named = client.get("/api/v1/stats/halls", query_string={"hall_id": str(hall.id)}, headers=headers)
    assert named.status_code == 200


def test_who_may_read_a_halls_figures(client, hall, login_as, db):
    other_hall = factories.make_hall()
    mine = factories.make_user(roles=("hall_manager",))
    theirs = factories.make_user(roles=("hall_manager",))
    queue.add_manager(hall, mine.id)
    queue.add_manager(other_hall, theirs.id)
    db.session.commit()
    query = {"hall_id": str(hall.id)}
    for path in ("/api/v1/stats/halls", "/api/v1/stats/halls.csv", "/api/v1/stats/halls.xlsx"):
        assert client.get(path, query_string=query).status_code == 401
        for roles, status in ((("citizen",), 403), (("clerk",), 403), (("worker",), 403),
                              (("supervisor",), 200), (("admin",), 200)):
            user = factories.make_user(roles=roles)
            assert client.get(path, query_string=query, headers=login_as(user)).status_code == status, (path, roles)
        assert client.get(path, query_string=query, headers=login_as(mine)).status_code == 200
        refused = client.get(path, query_string=query, headers=login_as(theirs))
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_hall"
    # Without hall_id a manager gets the one hall they manage, among several.
    own = client.get("/api/v1/stats/halls", headers=login_as(theirs)).get_json()
    assert own["hall"]["id"] == str(other_hall.id)


def test_csv_has_chinese_headings_and_neutralises_formulas(client, hall, known, login_as):
    evil = factories.make_clerk(hall, 2, "evil_clerk")
    evil.display_name = "=HYPERLINK(\"http://x\",\"y\")"
    _db.session.commit()
    add_ticket(hall, "A", local(DAY, 15), wait_s=60, service_s=60, window=window_of(hall, 2),
               clerk=evil)
    response = client.get("/api/v1/stats/halls.csv", headers=admin(login_as),
                          query_string={"from": DAY.isoformat(), "to": DAY.isoformat(),
                                        "group_by": "clerk"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "hall-stats-clerk-2026-03-02-2026-03-02.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["工作人员", "取号数", "办结数"] and "满意率" in rows[0]
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in names
    assert not any(name.startswith("=") for name in names)
    assert rows[-1][0] == "合计" and rows[-1][1] == "14"


def test_per_service_csv_holds_the_figures_of_the_json(client, hall, known, login_as):
    response = client.get("/api/v1/stats/halls.csv", headers=admin(login_as),
                          query_string={"from": DAY.isoformat(), "to": DAY.isoformat()})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "业务"
    a_row = dict(zip(rows[0], rows[1], strict=True))
    assert a_row["业务"] == "A 不动产登记" and a_row["取号数"] == "12"
    # Times in minutes, as the console shows them.
    assert a_row["平均等待(分钟)"] == "6.0" and a_row["90%办理不超过(分钟)"] == "15.0"
    assert a_row["满意率"] == "0.6"


def test_xlsx_opens_with_the_same_rows(client, hall, known, login_as):
    openpyxl = pytest.importorskip("openpyxl")
    evil = factories.make_clerk(hall, 2, "evil_xlsx")
    evil.display_name = "@SUM(1+1)"
    _db.session.commit()
    add_ticket(hall, "A", local(DAY, 15), wait_s=60, service_s=60, window=window_of(hall, 2),
               clerk=evil)
    response = client.get("/api/v1/stats/halls.xlsx", headers=admin(login_as),
                          query_string={"from": DAY.isoformat(), "to": DAY.isoformat(),
                                        "group_by": "clerk"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    values = [[cell for cell in row] for row in book.active.iter_rows(values_only=True)]
    assert values[0][0] == "工作人员" and values[-1][0] == "合计" and values[-1][1] == 14
    assert "'@SUM(1+1)" in [row[0] for row in values]
