"""The morning rush in one service hall: a day's numbers taken within minutes while 20 windows
call and finish, measured as citizens, clerks, the hall's screen and phones see it.

    .venv/bin/python bench/hall_bench.py [--tickets 850] [--minutes 5] [--windows 20]
                                         [--setups embedded,postgresql]

Two setups, each served as `make run` serves it:
  embedded    SQLite, one gunicorn worker (gthread, `--threads`, 32 as `make run`), no
              Redis: jobs and live events in-process
  postgresql  PostgreSQL with Redis: 4 gunicorn workers (gthread), live events by NOTIFY,
              Web Push jobs on RQ with one `flask jobs worker`

A hall with services A–D and `--windows` windows (each handling two or more services, one
clerk each) is added to the demo city. `--tickets` citizens arrive at random over
`--minutes` and take a number standing in the hall; every 10th has subscribed a browser
(to a push service on 127.0.0.1 that decrypts each message and checks its VAPID
signature, tests/push_receiver.py). Each window's clerk calls the next ticket, serves it
for a compressed service time (so that the windows keep pace with the crowd) and
finishes it. The hall's screen holds GET /api/v1/halls/{id}/events open throughout.

Printed per setup: p50/p99 of taking a number and of calling; the delay from sending a
call to the screen's event for that number, and to the push reaching the phone's push
service. Goals: p99 take-a-number < 150 ms, screen delay < 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.servers import (  # noqa: E402
    BIN,
    PG_ADMIN_URL,
    ROOT,
    BenchError,
    expect,
    free_port,
    log,
    our_env,
    pg_database,
    prepare_database,
    run,
    serve,
    temp_dir,
)
from tests.push_receiver import PushReceiver  # noqa: E402

HALL = {"lat": 35.0611, "lon": 118.3522, "radius_m": 150.0}
SERVICES = [("A", "不动产登记"), ("B", "企业开办"), ("C", "社保医保"), ("D", "户籍证照")]
PUSH_EVERY = 10
GOAL_TAKE_P99_MS = 150.0
GOAL_SCREEN_S = 1.0

SETUP_SCRIPT = r"""
import json, sys
from backend import create_app
from backend.accounts.models import User
from backend.accounts.passwords import hash_password
from backend.extensions import db
from backend.queue import services as queue

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    codes = [code for code, _ in spec["services"]]
    windows = [(n, sorted({codes[n % 4], codes[(n + 1) % 4]} | ({"A"} if n % 5 == 0 else set())))
               for n in range(1, spec["windows"] + 1)]
    hall = queue.add_hall(name="压测大厅", lat=spec["lat"], lon=spec["lon"],
                          fence_radius_m=spec["radius_m"], services=spec["services"],
                          opening_hours={str(d): [["00:00", "24:00"]] for d in range(1, 8)},
                          windows=windows)
    for service in db.session.scalars(db.select(queue.Service).where(queue.Service.hall_id == hall.id)):
        service.daily_limit = 0
    password = hash_password(spec["password"])
    users = []
    for n in range(1, spec["windows"] + 1):
        user = User(username=f"bclerk{n:02d}", display_name=f"窗口{n}", password_hash=password)
        user.set_roles(["clerk"])
        users.append(user)
    for n in range(spec["tickets"]):
        user = User(username=f"bcitizen{n:04d}", display_name=f"市民{n}", password_hash=password)
        user.set_roles(["citizen"])
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    for n in range(1, spec["windows"] + 1):
        queue.bind_clerk(hall, n, users[n - 1].id)
    db.session.commit()
    print(hall.id)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


class Client:
    """One person's HTTP session (keep-alive) with their bearer token."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.http = requests.Session()
        answer = self.http.post(f"{base}/api/v1/auth/login",
                                json={"username": username, "password": password}, timeout=30)
        expect(answer.status_code == 200, f"sign-in of {username}: {answer.status_code}")
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def post(self, path: str, body: dict | None = None, **headers):
        return self.http.post(f"{self.base}{path}", json=body or {}, headers=headers, timeout=30)

    def get(self, path: str):
        return self.http.get(f"{self.base}{path}", timeout=30)


class Screen(threading.Thread):
    """The hall's screen: the events stream, each call's arrival time by number."""

    def __init__(self, base: str, hall_id: str):
        super().__init__(daemon=True)
        self.url = f"{base}/api/v1/halls/{hall_id}/events"
        self.calls: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(requests.RequestException), \
                    requests.get(self.url, stream=True, timeout=(5, 30)) as stream:
                self.ready.set()
                kind = None
                for line in stream.iter_lines(decode_unicode=True):
                    if self.stop.is_set():
                        return
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:") and kind == "hall":
                        data = json.loads(line[5:])
                        if data.get("kind") == "called" and data.get("number"):
                            self.calls.setdefault(data["number"], time.monotonic())


def start_setup(stack: contextlib.ExitStack, name: str, args) -> tuple[str, str, dict]:
    folder = temp_dir(stack, f"civicgrid-hall-{name}-")
    if name == "embedded":
        database_url, workers, redis_url = f"sqlite:///{folder / 'bench.sqlite'}", 1, None
    else:
        database_url = pg_database(stack, "civicgrid_hall_bench", args.pg_url)
        workers, redis_url = args.workers, args.redis_url
    env = our_env(folder, database_url)
    env.update({"PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1",
                "PUSH_ALLOWED_HOSTS": "127.0.0.1", "JOB_BACKOFF_S": "0.2",
                "LIVE_CHANNEL": f"bench_{uuid.uuid4().hex[:10]}"})
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    prepare_database(env)
    spec = {"services": SERVICES, "windows": args.windows, "tickets": args.tickets,
            "password": "bench-password-1", **HALL}
    hall_id = run([BIN / "python", "-c", SETUP_SCRIPT, json.dumps(spec)], env=env, cwd=ROOT,
                  what="the bench hall").strip().splitlines()[-1]
    port = free_port()
    serve(stack, [BIN / "gunicorn", "--worker-class", "gthread", "--workers", workers,
                  "--threads", args.threads, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
          env=env, cwd=ROOT, log=folder / "gunicorn.log",
          ready_url=f"http://127.0.0.1:{port}/healthz", what="gunicorn")
    if redis_url:
        jobs_log = stack.enter_context((folder / "jobs.log").open("wb"))
        worker = subprocess.Popen([str(BIN / "flask"), "jobs", "worker"], env=env, cwd=ROOT,
                                  stdout=jobs_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        stack.callback(worker.terminate)
    return f"http://127.0.0.1:{port}", hall_id, spec


def rush(base: str, hall_id: str, spec: dict, args, receiver: PushReceiver) -> dict:
    rng = random.Random(7)
    services = {s["code"]: s["id"] for s in next(
        h for h in requests.get(f"{base}/api/v1/halls", timeout=10).json()
        if h["id"] == hall_id)["services"]}
    windows = {w["number"]: w["id"] for w in next(
        h for h in requests.get(f"{base}/api/v1/halls", timeout=10).json()
        if h["id"] == hall_id)["windows"]}
    log(f"  signing in {args.tickets} citizens and {args.windows} clerks…")
    with ThreadPoolExecutor(16) as pool:
        citizens = list(pool.map(lambda n: Client(base, f"bcitizen{n:04d}", spec["password"]),
                                 range(args.tickets)))
        clerks = list(pool.map(lambda n: Client(base, f"bclerk{n:02d}", spec["password"]),
                               range(1, args.windows + 1)))
    subscribed = {}
    for n in range(0, args.tickets, PUSH_EVERY):
        browser = receiver.browser(f"c{n}")
        answer = citizens[n].post("/api/v1/push/subscriptions", browser.subscription(receiver.origin))
        expect(answer.status_code == 201, f"push subscription: {answer.status_code} {answer.text}")
        subscribed[n] = f"c{n}"
    screen = Screen(base, hall_id)
    screen.start()
    expect(screen.ready.wait(10), "the hall's events stream did not open")

    duration = args.minutes * 60
    arrivals = sorted(rng.uniform(0, duration) for _ in range(args.tickets))
    takes: list[float] = []
    calls: list[float] = []
    called_at: dict[str, float] = {}  # number → when its call was sent
    holder: dict[str, int] = {}  # number → citizen index
    errors: list[str] = []
    start = time.monotonic()
    done = threading.Event()
    # Service times compressed so that the windows keep pace: the crowd's rate × windows.
    mean_service_s = duration / args.tickets * args.windows * 0.8

    def take(n: int) -> None:
        time.sleep(max(0.0, start + arrivals[n] - time.monotonic()))
        code = "ABCD"[rng.randrange(4)] if n % 7 else "A"
        jitter = (rng.random() - 0.5) * 0.0005
        sent = time.monotonic()
        answer = citizens[n].post(f"/api/v1/halls/{hall_id}/tickets",
                                  {"service_id": services[code], "lat": HALL["lat"] + jitter,
                                   "lon": HALL["lon"], "accuracy_m": 15},
                                  **{"Idempotency-Key": uuid.uuid4().hex})
        takes.append(time.monotonic() - sent)
        if answer.status_code != 201:
            errors.append(f"take {answer.status_code} {answer.text[:200]}")
            return
        holder[answer.json()["number"]] = n

    def window(number: int) -> None:
        clerk = clerks[number - 1]
        local = random.Random(number)
        while not done.is_set():
            sent = time.monotonic()
            answer = clerk.post(f"/api/v1/windows/{windows[number]}/call")
            elapsed = time.monotonic() - sent
            if answer.status_code == 404:
                time.sleep(0.5)
                continue
            calls.append(elapsed)
            if answer.status_code != 200:
                errors.append(f"call {answer.status_code} {answer.text[:200]}")
                time.sleep(0.5)
                continue
            ticket = answer.json()
            called_at[ticket["number"]] = sent
            time.sleep(local.uniform(0.5, 1.5) * mean_service_s)
            finish = clerk.post(f"/api/v1/tickets/{ticket['id']}/finish")
            if finish.status_code != 200:
                errors.append(f"finish {finish.status_code} {finish.text[:200]}")

    log(f"  the rush: {args.tickets} takes over {args.minutes} min, {args.windows} windows…")
    window_threads = [threading.Thread(target=window, args=(n,), daemon=True)
                      for n in range(1, args.windows + 1)]
    for thread in window_threads:
        thread.start()
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(take, range(args.tickets)))
    # Let the windows serve the rest of the queue (bounded).
    deadline = time.monotonic() + max(60.0, mean_service_s * 4)
    while time.monotonic() < deadline and len(called_at) < len(holder):
        time.sleep(0.5)
    done.set()
    for thread in window_threads:
        thread.join(mean_service_s * 2 + 30)
    time.sleep(2)  # the last pushes and events
    screen.stop.set()

    screen_delays = [screen.calls[number] - sent for number, sent in called_at.items()
                     if number in screen.calls]
    missing_screen = [number for number in called_at if number not in screen.calls]
    push_delays = []
    by_path = {}
    for delivery in receiver.deliveries:
        message = delivery.message or {}
        if message.get("kind") == "ticket_called":
            by_path.setdefault(message.get("number"), delivery)
    arrival = getattr(receiver, "arrivals", {})
    for number, n in holder.items():
        if n in subscribed and number in called_at and number in arrival:
            push_delays.append(arrival[number] - called_at[number])
    return {"takes": takes, "calls": calls, "called": len(called_at), "taken": len(holder),
            "screen": screen_delays, "missing_screen": missing_screen, "push": push_delays,
            "pushed": len(by_path), "subscribed_called": sum(
                1 for number, n in holder.items() if n in subscribed and number in called_at),
            "errors": errors, "receiver_errors": list(receiver.errors)}


class TimedReceiver(PushReceiver):
    """The push service, noting when each called number's message arrived."""

    def __init__(self):
        super().__init__()
        self.arrivals: dict[str, float] = {}

    def _take(self, path, headers, body):
        status = super()._take(path, headers, body)
        if self.deliveries and self.deliveries[-1].path == path:
            message = self.deliveries[-1].message or {}
            if message.get("kind") == "ticket_called":
                self.arrivals.setdefault(message.get("number"), time.monotonic())
        return status


def report(name: str, figures: dict) -> list[str]:
    ms = lambda values, share: percentile(values, share) * 1000  # noqa: E731
    take_p99 = ms(figures["takes"], 0.99)
    screen_max = max(figures["screen"]) if figures["screen"] else float("nan")
    lines = [
        f"## {name}",
        f"tickets taken {figures['taken']}, called {figures['called']}, errors "
        f"{len(figures['errors'])}",
        f"take a number   p50 {ms(figures['takes'], .5):7.1f} ms   p99 {take_p99:7.1f} ms   "
        f"goal p99 < {GOAL_TAKE_P99_MS:.0f} ms: {'met' if take_p99 < GOAL_TAKE_P99_MS else 'NOT met'}",
        f"call next       p50 {ms(figures['calls'], .5):7.1f} ms   p99 "
        f"{ms(figures['calls'], .99):7.1f} ms",
        f"call → screen   p50 {ms(figures['screen'], .5):7.1f} ms   p99 "
        f"{ms(figures['screen'], .99):7.1f} ms   max {screen_max * 1000:7.1f} ms   "
        f"missed {len(figures['missing_screen'])}   goal < {GOAL_SCREEN_S:.0f} s: "
        f"{'met' if screen_max < GOAL_SCREEN_S and not figures['missing_screen'] else 'NOT met'}",
        f"call → phone's push service   p50 {ms(figures['push'], .5):7.1f} ms   p99 "
        f"{ms(figures['push'], .99):7.1f} ms   ({len(figures['push'])} of "
        f"{figures['subscribed_called']} subscribed tickets called)",
    ]
    if figures["errors"]:
        lines.append("first errors: " + "; ".join(figures["errors"][:3]))
    if figures["receiver_errors"]:
        lines.append("push receiver errors: " + "; ".join(figures["receiver_errors"][:3]))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=850)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=32, help="per worker (make run: 32)")
    parser.add_argument("--setups", default="embedded,postgresql")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL",
                                                               "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    out = [f"# Morning rush: {args.tickets} tickets in {args.minutes:g} min, {args.windows} "
           f"windows ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)"]
    for name in args.setups.split(","):
        log(f"{name}: preparing…")
        with contextlib.ExitStack() as stack:
            receiver = TimedReceiver()
            stack.callback(receiver.close)
            base, hall_id, spec = start_setup(stack, name, args)
            figures = rush(base, hall_id, spec, args, receiver)
        out.extend(report(name, figures))
        print("\n".join(report(name, figures)), flush=True)
    print("\n" + "\n".join(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"bench failed: {error}")
        sys.exit(1)
