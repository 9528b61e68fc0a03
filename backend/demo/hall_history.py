"""The demo hall's last two weeks (一窗受理), so that the hall's statistics, the manager's
follow-ups and supervision log, and the clerks' consoles have something to show.

Fourteen past city days of believable traffic (busier on weekdays, a morning peak 9–11 and
an afternoon one 14–16, all between 08:30 and 17:30 though the demo hall never closes),
served at the windows that handle each service by the clerks bound to them, with waits of a
few minutes to about forty, service times around each service's average, a few past its
time limit, ~4 % no-shows after a recall, a few cancellations, ratings for ~70 % of the done
tickets (the bad ones followed up by the manager, all but the latest), and a few supervision
alerts acknowledged with notes. Today: some tickets done earlier (a handful when it is
early) and a few people waiting now.

Unlike the cases' history this is written directly, in bulk: it runs in every test session
that loads the demo, and thousands of rows through the clerk's services would take seconds.
The rows are what those services leave (a day's numbers without gaps, the counters at the
day's last number, so a number taken today continues them). Seeded: the same history for
the same moment.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from backend.accounts.models import User, UserRole
from backend.common.time import city_zone, utcnow
from backend.extensions import db
from backend.queue.models import (
    ALERT_IDLE,
    ALERT_LONG_WAIT,
    ALERT_OVERTIME,
    BAD_RATING_MAX,
    CANCELLED,
    DONE,
    FOLLOWUP_DONE,
    FOLLOWUP_OPEN,
    NO_SHOW,
    WAITING,
    AppointmentSlot,
    Hall,
    HallAlert,
    Service,
    Ticket,
    TicketCounter,
    TicketRating,
    Window,
)

SEED = 20261207
HISTORY_DAYS = 14
# A day's numbers, weekdays and weekends (inclusive ranges).
TICKETS_PER_DAY = {"weekday": (105, 130), "weekend": (60, 80)}
# When people come, by half hour from 08:30 to 17:30: two peaks, 9–11 and 14–16, and the
# lunch dip.
DAY_OPENS, DAY_CLOSES = time(8, 30), time(17, 30)
HALF_HOUR_WEIGHTS = (4, 7, 9, 9, 8, 6, 4, 3, 3, 4, 7, 8, 8, 7, 5, 4, 3, 2)
SERVICE_MIX = {"A": 28, "B": 12, "C": 38, "D": 22}
NO_SHOW_SHARE, CANCEL_SHARE, RATED_SHARE = 0.04, 0.02, 0.7
GIVE_UP_AFTER = timedelta(minutes=42)
SCORES = ((5, 55), (4, 27), (3, 11), (2, 4), (1, 3))
PRAISE = ("efficient", "courteous", "clear")
COMPLAINTS = ("long_wait", "attitude", "unclear", "repeat_visit")
GOOD_COMMENTS = ("", "", "", "办得很快，谢谢！", "工作人员很耐心。", "一次就办好了。", "讲解很清楚。")
BAD_COMMENTS = {
    "long_wait": "排了四十多分钟才叫到号。",
    "attitude": "窗口工作人员态度不耐烦。",
    "unclear": "材料要求没讲清楚，白跑了一趟。",
    "repeat_visit": "第二次来了还是没办成。",
}
FOLLOWUP_ACTIONS = ("已电话回访群众，致歉并说明情况；已对窗口人员进行批评教育。",
                    "已回访，补充材料清单已短信发送给群众，次日办结。",
                    "已调整高峰时段窗口，增开综合窗口分流。",
                    "已约谈窗口负责人，列入本月作风整改台账。")
# Walk-ins who take a number at the hall's kiosk (the history's ticket holders).
WALK_INS = 40
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "秀英", "桂英", "建华", "志强", "海燕")
MANAGER = "manager1"
# Nothing is dated closer to the present than this.
MARGIN = timedelta(minutes=3)
ALERT_NOTES = ("已到窗口查看，群众材料复杂，已协调后台协助。", "已提醒窗口人员，并增开综合窗口分流。",
               "工作人员临时离岗取件，已提醒按规定挂暂停牌。", "已核实，系系统网络缓慢所致，已报信息科。")


def load_hall_history(now: datetime | None = None) -> int:
    """Write the demo hall's history; returns the tickets written. Does nothing when the
    hall is missing or already has tickets."""
    from backend.demo.services import DEMO_HALL  # the demo's own hall (it imports this module)

    hall = db.session.scalar(select(Hall).where(Hall.name == DEMO_HALL["name"]))
    if hall is None or db.session.scalar(select(Ticket.id).where(Ticket.hall_id == hall.id)
                                         .limit(1)) is not None:
        return 0
    manager_id = db.session.scalar(select(User.id).where(User.username == MANAGER))
    services = {s.code: s for s in db.session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.deleted.is_(False)))}
    windows = [w for w in db.session.scalars(select(Window).where(Window.hall_id == hall.id)
                                             .order_by(Window.number)) if w.clerk_id]
    if manager_id is None or not windows or not set(SERVICE_MIX) <= set(services):
        return 0
    now = now or utcnow()
    rng = random.Random(f"{SEED}-{now.astimezone(city_zone()).date()}")
    walk_ins = _add_walk_ins(rng)
    history = _History(rng, hall, services, windows, walk_ins, now)
    today = now.astimezone(city_zone()).date()
    for offset in range(HISTORY_DAYS, 0, -1):
        history.past_day(today - timedelta(days=offset))
    history.today(today)
    history.rate(manager_id)
    history.alerts(manager_id)
    history.write()
    _add_slots(services, today)
    db.session.commit()
    return len(history.tickets)


def _add_slots(services: dict[str, Service], today: date) -> None:
    """Bookable times (预约) for the next two days, so a citizen sees some: 不动产登记 and
    企业开办 keep half-hour slots of four places from 09:00 to 11:00 (unless the hall has
    slots already)."""
    ids = [service.id for service in services.values()]
    if db.session.scalar(select(AppointmentSlot.id).where(AppointmentSlot.service_id.in_(ids))
                         .limit(1)) is not None:
        return
    rows = []
    for offset in (1, 2):
        day = today + timedelta(days=offset)
        for code in ("A", "B"):
            for start in range(4):
                starts_at = _local(day, time(9 + start // 2, 30 * (start % 2)))
                rows.append({"id": uuid.uuid4(), "service_id": services[code].id,
                             "starts_at": starts_at, "ends_at": starts_at + timedelta(minutes=30),
                             "capacity": 4, "booked": 0})
    _insert(AppointmentSlot, rows)


def _add_walk_ins(rng: random.Random) -> list[uuid.UUID]:
    """Accounts for the citizens who took their numbers at the kiosk, not on a phone: every
    ticket needs a holder, and the demo's citizen1 and citizen2 must stay free to take
    numbers themselves. Inactive, with a hash no password matches ("!", not a hash at all),
    so nobody can sign in as them."""
    existing = dict(db.session.execute(select(User.username, User.id).where(
        User.username.like("visitor%"))).all())
    rows, roles = [], []
    now = utcnow()
    for n in range(1, WALK_INS + 1):
        username = f"visitor{n:02d}"
        if username in existing:
            continue
        user_id = _seeded_id(rng)
        existing[username] = user_id
        rows.append({"id": user_id, "username": username,
                     "display_name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": None,
                     "password_hash": "!", "is_active": False, "region_id": None,
                     "department_id": None, "created_at": now, "updated_at": now})
        roles.append({"user_id": user_id, "role": "citizen"})
    _insert(User, rows)
    _insert(UserRole, roles)
    return [existing[f"visitor{n:02d}"] for n in range(1, WALK_INS + 1)]


def _seeded_id(rng: random.Random) -> uuid.UUID:
    """A random (version 4) id from the seeded generator: the same history has the same ids."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=city_zone())


def _minutes(rng: random.Random, mean: float, spread: float = 0.3) -> timedelta:
    """A duration around `mean` minutes, skewed to the long side as service times are."""
    value = rng.lognormvariate(math.log(mean) - spread * spread / 2, spread)
    return timedelta(minutes=min(max(value, 1.5), mean * 3))


class _History:
    def __init__(self, rng, hall, services, windows, walk_ins, now) -> None:
        self.rng, self.hall, self.services, self.windows = rng, hall, services, windows
        self.walk_ins, self.now = walk_ins, now
        self.tickets: list[dict] = []
        self.ratings: list[dict] = []
        self.alert_rows: list[dict] = []
        self.counters: dict[tuple[uuid.UUID, date], int] = {}
        self.codes = list(SERVICE_MIX)
        self.mix = list(SERVICE_MIX.values())
        # The staffed windows that handle each service.
        self.able = {s.id: [w for w in windows if s in w.services] for s in services.values()}

    # -- arrivals and service ---------------------------------------------------------------

    def _arrivals(self, day: date, count: int, start: datetime, end: datetime) -> list[datetime]:
        """`count` arrival times on the day's curve, within start…end."""
        opens = _local(day, DAY_OPENS)
        slots = [(opens + timedelta(minutes=30 * i), weight)
                 for i, weight in enumerate(HALF_HOUR_WEIGHTS)]
        slots = [(at, weight) for at, weight in slots
                 if at + timedelta(minutes=30) > start and at < end]
        if not slots:
            return []
        times = []
        while len(times) < count:
            at, _ = self.rng.choices(slots, weights=[w for _, w in slots])[0]
            moment = at + timedelta(seconds=self.rng.randrange(1800))
            if start <= moment < end:
                times.append(moment)
        return sorted(times)

    def _serve(self, day: date, arrivals: list[datetime], until: datetime | None) -> None:
        """Each arrival, in order, at the window handling its service that is free first;
        `until` (today): nothing called, finished or rated after it."""
        free = {w.id: _local(day, DAY_OPENS) for w in self.windows}
        for taken_at in arrivals:
            code = self.rng.choices(self.codes, weights=self.mix)[0]
            service = self.services[code]
            ticket = self._ticket(service, day, taken_at)
            if self.rng.random() < CANCEL_SHARE:
                ticket.update(status=CANCELLED, finished_at=taken_at + timedelta(
                    minutes=self.rng.randint(3, 15)))
                continue
            window = min(self.able[service.id], key=lambda w: (free[w.id], w.number))
            # Nobody ahead: a minute or few to walk up and for the clerk to call; else the
            # next call follows the window's last service closely.
            called = (taken_at + timedelta(seconds=self.rng.randint(60, 240))
                      if free[window.id] <= taken_at
                      else free[window.id] + timedelta(seconds=self.rng.randint(10, 40)))
            if called - taken_at > GIVE_UP_AFTER:
                # Few wait that long: they give the number up and come back another day.
                ticket.update(status=CANCELLED, finished_at=taken_at + GIVE_UP_AFTER
                              - timedelta(minutes=self.rng.randint(0, 15)))
                continue
            if self.rng.random() < NO_SHOW_SHARE:
                recalled = called + timedelta(minutes=self.rng.randint(1, 3))
                ends = recalled + timedelta(minutes=self.rng.randint(1, 3))
                ticket.update(status=NO_SHOW, window_id=window.id, clerk_id=window.clerk_id,
                              first_called_at=called, called_at=recalled, recalls=1,
                              finished_at=ends)
            else:
                ends = called + _minutes(self.rng, service.avg_service_min)
                ticket.update(status=DONE, window_id=window.id, clerk_id=window.clerk_id,
                              first_called_at=called, called_at=called, finished_at=ends)
            if until is not None and ends > until:
                self.tickets.pop()  # not yet: today's history stops short of now
                self._give_back(service, day)
                continue
            free[window.id] = ends

    def _ticket(self, service: Service, day: date, taken_at: datetime) -> dict:
        seq = self.counters.get((service.id, day), 0) + 1
        self.counters[(service.id, day)] = seq
        jitter = lambda: self.rng.uniform(-0.0008, 0.0008)  # noqa: E731 (about 80 m)
        ticket = {"id": _seeded_id(self.rng), "hall_id": self.hall.id, "service_id": service.id,
                  "user_id": self.rng.choice(self.walk_ins), "day": day, "seq": seq,
                  "number": f"{service.code}{seq:03d}", "status": WAITING, "taken_at": taken_at,
                  "queued_at": taken_at, "appointment_id": None, "priority_from": None,
                  "for_window_id": None, "window_id": None, "clerk_id": None, "called_at": None,
                  "first_called_at": None, "recalls": 0, "finished_at": None,
                  "lat": self.hall.lat + jitter(), "lon": self.hall.lon + jitter(),
                  "accuracy_m": float(self.rng.randint(8, 35)), "idempotency_key": None,
                  "near_pushed": False, "transfers": 0, "note": ""}
        self.tickets.append(ticket)
        return ticket

    def _give_back(self, service: Service, day: date) -> None:
        self.counters[(service.id, day)] -= 1

    def past_day(self, day: date) -> None:
        low, high = TICKETS_PER_DAY["weekday" if day.isoweekday() <= 5 else "weekend"]
        count = self.rng.randint(low, high)
        arrivals = self._arrivals(day, count, _local(day, DAY_OPENS), _local(day, DAY_CLOSES))
        self._serve(day, arrivals, None)

    def today(self, day: date) -> None:
        """This morning's done tickets (a handful when it is early), then 5–8 people waiting
        now, each a different walk-in (one open ticket per person and service)."""
        midnight = _local(day, time(0))
        until = min(self.now - MARGIN, _local(day, DAY_CLOSES))
        if until > _local(day, DAY_OPENS) + timedelta(minutes=30):
            low, high = TICKETS_PER_DAY["weekday" if day.isoweekday() <= 5 else "weekend"]
            share = ((until - _local(day, DAY_OPENS)) / timedelta(hours=9))
            arrivals = self._arrivals(day, max(3, round(self.rng.randint(low, high) * share)),
                                      _local(day, DAY_OPENS), until - timedelta(minutes=20))
        else:
            # Early (or before the usual hours): a handful in the last hours before now.
            start = max(midnight, self.now - timedelta(hours=2))
            span = (until - timedelta(minutes=20) - start).total_seconds()
            arrivals = sorted(start + timedelta(seconds=self.rng.uniform(0, span))
                              for _ in range(4)) if span > 0 else []
        if arrivals and arrivals[0] < _local(day, DAY_OPENS):
            self._serve_early(day, arrivals, until)
        else:
            self._serve(day, arrivals, until)
        holders = self.rng.sample(self.walk_ins, self.rng.randint(5, 8))
        # After this morning's last (taken 20 minutes before `until` at the latest), so
        # numbers rise with the time taken; never before midnight.
        start = max(midnight, self.now - timedelta(minutes=20))
        end = self.now - MARGIN if self.now - MARGIN > start else self.now
        for index, holder in enumerate(holders):
            code = self.codes[index % len(self.codes)] if index < 4 else self.rng.choices(
                self.codes, weights=self.mix)[0]
            taken_at = start + (end - start) * (index + 1) / (len(holders) + 1)
            ticket = self._ticket(self.services[code], day, taken_at)
            ticket["user_id"] = holder

    def _serve_early(self, day: date, arrivals: list[datetime], until: datetime) -> None:
        """Before the usual hours the windows' day has not begun: served as they come."""
        for taken_at in arrivals:
            service = self.services[self.rng.choices(self.codes, weights=self.mix)[0]]
            window = self.able[service.id][0]
            called = taken_at + timedelta(minutes=self.rng.randint(2, 6))
            ends = min(called + _minutes(self.rng, service.avg_service_min), until)
            if ends <= called:
                continue
            ticket = self._ticket(service, day, taken_at)
            ticket.update(status=DONE, window_id=window.id, clerk_id=window.clerk_id,
                          first_called_at=called, called_at=called, finished_at=ends)

    # -- ratings and their follow-up ---------------------------------------------------------

    def rate(self, manager_id: uuid.UUID) -> None:
        latest = self.now - MARGIN
        for ticket in self.tickets:
            if ticket["status"] != DONE or self.rng.random() >= RATED_SHARE:
                continue
            created = ticket["finished_at"] + timedelta(minutes=self.rng.randint(1, 40))
            if created > latest:
                continue
            score = self.rng.choices([s for s, _ in SCORES], weights=[w for _, w in SCORES])[0]
            self.ratings.append(self._rating(ticket, score, created))
        bad = [r for r in self.ratings if r["score"] <= BAD_RATING_MAX]
        if not bad and self.ratings:  # the manager's follow-up list is never empty
            self.ratings[-1].update(self._complaint(2))
            bad = [self.ratings[-1]]
        bad.sort(key=lambda r: r["created_at"])
        for index, rating in enumerate(bad):
            if index == len(bad) - 1:
                rating["followup_status"] = FOLLOWUP_OPEN  # the one still waiting (差评整改)
                continue
            done_at = min(rating["created_at"] + timedelta(hours=self.rng.randint(2, 30)), latest)
            rating.update(followup_status=FOLLOWUP_DONE, followup_by=manager_id,
                          followup_at=done_at,
                          followup_action=FOLLOWUP_ACTIONS[index % len(FOLLOWUP_ACTIONS)])

    def _complaint(self, score: int) -> dict:
        reasons = self.rng.sample(COMPLAINTS, self.rng.randint(1, 2))
        return {"score": score, "reasons": reasons, "comment": BAD_COMMENTS[reasons[0]]}

    def _rating(self, ticket: dict, score: int, created: datetime) -> dict:
        if score <= BAD_RATING_MAX:
            opinion = self._complaint(score)
        elif score == 3:
            opinion = {"score": 3, "reasons": self.rng.choice([[], ["long_wait"], ["unclear"]]),
                       "comment": self.rng.choice(("", "等的时间有点长。", "还行。"))}
        else:
            opinion = {"score": score, "reasons": self.rng.sample(PRAISE, self.rng.randint(0, 2)),
                       "comment": self.rng.choice(GOOD_COMMENTS)}
        return {"id": _seeded_id(self.rng), "ticket_id": ticket["id"], "hall_id": self.hall.id,
                "user_id": ticket["user_id"], "created_at": created, "followup_status": None,
                "followup_action": "", "followup_by": None, "followup_at": None, **opinion}

    # -- supervision's log ---------------------------------------------------------------------

    def alerts(self, manager_id: uuid.UUID) -> None:
        """A few past alerts, each acknowledged with a note: services past their time limit,
        long waits, a window left idle."""
        limits = {s.id: s.time_limit_min for s in self.services.values()}
        codes = {s.id: s.code for s in self.services.values()}
        numbers = {w.id: w.number for w in self.windows}
        past = [t for t in self.tickets if t["status"] == DONE
                and t["day"] < self.now.astimezone(city_zone()).date()]
        overtime = [t for t in past if t["finished_at"] - t["first_called_at"]
                    > timedelta(minutes=limits[t["service_id"]])]
        waits = [t for t in past if t["first_called_at"] - t["taken_at"]
                 > timedelta(minutes=self.hall.wait_alert_min)]
        picked = [(ALERT_OVERTIME, t) for t in self.rng.sample(overtime, min(3, len(overtime)))]
        picked += [(ALERT_LONG_WAIT, t) for t in self.rng.sample(waits, min(2, len(waits)))]
        for n, (kind, ticket) in enumerate(picked):
            if kind == ALERT_OVERTIME:
                limit = limits[ticket["service_id"]]
                raised = ticket["first_called_at"] + timedelta(minutes=limit)
                detail = {"number": ticket["number"], "window": numbers[ticket["window_id"]],
                          "limit_min": limit, "service_code": codes[ticket["service_id"]]}
                cleared = ticket["finished_at"]
            else:
                raised = ticket["taken_at"] + timedelta(minutes=self.hall.wait_alert_min)
                detail = {"number": ticket["number"], "limit_min": self.hall.wait_alert_min,
                          "service_code": codes[ticket["service_id"]]}
                cleared = ticket["first_called_at"]
            self._alert(kind, str(ticket["id"]), ticket["number"], detail, raised, cleared,
                        manager_id, ALERT_NOTES[n % 2])
        window = self.windows[-1]
        day = self.now.astimezone(city_zone()).date() - timedelta(days=3)
        raised = _local(day, time(15, 12))
        self._alert(ALERT_IDLE, str(window.id), f"{window.number}号窗口",
                    {"window": window.number, "limit_min": self.hall.idle_alert_min}, raised,
                    raised + timedelta(minutes=7), manager_id, ALERT_NOTES[2])

    def _alert(self, kind, subject_id, label, detail, raised, cleared, manager_id, note) -> None:
        self.alert_rows.append({
            "id": _seeded_id(self.rng), "hall_id": self.hall.id, "kind": kind, "subject_id": subject_id,
            "subject_label": label, "detail": detail, "raised_at": raised, "cleared_at": cleared,
            "acknowledged_at": raised + timedelta(minutes=self.rng.randint(3, 20)),
            "acknowledged_by": manager_id, "note": note})

    # -- writing -------------------------------------------------------------------------------

    def write(self) -> None:
        _insert(Ticket, self.tickets)
        _insert(TicketRating, self.ratings)
        _insert(HallAlert, self.alert_rows)
        _insert(TicketCounter, [{"service_id": service_id, "day": day, "last": last}
                                for (service_id, day), last in sorted(self.counters.items(),
                                                                      key=str) if last])


def _insert(model, rows: list[dict]) -> None:
    """Rows in bulk through Core's executemany: the ORM's bulk insert costs twice as much
    here, and multi-row VALUES (insertmanyvalues) are slower still on psycopg, which
    converts each long statement's placeholders anew."""
    if rows:
        db.session.execute(insert(model.__table__), rows)
