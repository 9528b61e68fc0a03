"""`wsgi:app` with a stopwatch, for benchmarks: gunicorn serves `bench.timed_wsgi:app`.

Each request's server time — from the moment gunicorn hands it to the app until the last
byte of the answer has been handed back and the body closed — goes as one line to the
file named by CIVICGRID_TIMING_LOG (appended by every worker; one os.write per line):

    METHOD <tab> PATH <tab> STATUS <tab> seconds <tab> CPU seconds of the worker <tab> pid

With CIVICGRID_PROFILE_DIR set, each worker also runs every request under cProfile and
writes its accumulated stats to PROFILE_DIR/<pid>.prof after each request (outside the
timed span, before the request's log line). The backend itself is not changed.
"""

from __future__ import annotations

import cProfile
import os
import time

from wsgi import app as flask_app

LOG_PATH = os.environ.get("CIVICGRID_TIMING_LOG")
PROFILE_DIR = os.environ.get("CIVICGRID_PROFILE_DIR")
_profiles: dict[int, cProfile.Profile] = {}


def _log_line(method: str, path: str, status: str, seconds: float, cpu: float) -> None:
    if not LOG_PATH:
        return
    line = f"{method}\t{path}\t{status.split(' ', 1)[0]}\t{seconds:.6f}\t{cpu:.6f}\t{os.getpid()}\n"
    fd = os.open(LOG_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _profile() -> cProfile.Profile | None:
    if not PROFILE_DIR:
        return None
    return _profiles.setdefault(os.getpid(), cProfile.Profile())


class _Timed:
    """The app's body iterable; the clock stops when gunicorn closes it (all bytes written)."""

    def __init__(self, body, finish):
        self._body = body
        self._finish = finish

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._finish()


def app(environ, start_response):
    started, cpu_started = time.perf_counter(), time.process_time()
    status_seen = ["000"]
    profile = _profile()

    def remember_status(status, headers, exc_info=None):
        status_seen[0] = status
        return start_response(status, headers, exc_info)

    def finish():
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if profile is not None:
            profile.disable()
            # Before the log line (a reader that has seen the line finds the stats), and
            # atomically (it never finds half a file).
            path = os.path.join(PROFILE_DIR, f"{os.getpid()}.prof")
            profile.dump_stats(path + ".tmp")
            os.replace(path + ".tmp", path)
        _log_line(environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", "?"),
                  status_seen[0], seconds, cpu)

    if profile is not None:
        profile.enable()
    try:
        body = flask_app(environ, remember_status)
    except BaseException:
        finish()
        raise
    return _Timed(body, finish)
