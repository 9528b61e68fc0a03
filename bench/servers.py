"""Servers for the sync benchmark: ours under gunicorn, Kinto in its own venv, throwaway databases.

Everything is registered on a contextlib.ExitStack, so that servers, databases and
temporary folders go away when the benchmark ends, also when it fails half-way.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# Ports other people use on this machine (make run, KINTO.md's example).
RESERVED_PORTS = {8000, 8888}
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
KINTO_VENV = Path(tempfile.gettempdir()) / "civicgrid-bench-kinto" / "venv"
KINTO_PACKAGES = ("kinto[postgresql]", "requests")  # the extra brings the PostgreSQL driver


class BenchError(RuntimeError):
    """Something the benchmark needs did not work; the message says what."""


def expect(condition: bool, message: str) -> None:
    """A check of what the server answered: a benchmark that lost data reports nothing."""
    if not condition:
        raise BenchError(message)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def iso(moment: datetime) -> str:
    """Date.prototype.toISOString(): milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def free_port() -> int:
    """A port nobody listens on now, on loopback (never 8000 or 8888)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port
    raise BenchError("no free port on 127.0.0.1")


def temp_dir(stack: contextlib.ExitStack, prefix: str) -> Path:
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))


# -- PostgreSQL --------------------------------------------------------------------------

def pg_database(stack: contextlib.ExitStack, prefix: str, admin_url: str = PG_ADMIN_URL) -> str:
    """Create a database of our own; it is dropped (WITH FORCE) when the stack closes."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL at {admin_url} does not answer: {error}") from error

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return admin_url.rsplit("/", 1)[0] + "/" + name


# -- processes ---------------------------------------------------------------------------

def run(cmd: list, *, env: dict | None = None, cwd: Path | None = None, what: str) -> str:
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}"
                         f"{done.stderr[-3000:]}")
    return done.stdout


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (it was started in a new session), then KILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def serve(stack: contextlib.ExitStack, cmd: list, *, env: dict | None, cwd: Path, log: Path,
          ready_url: str, what: str, timeout: float = 90) -> subprocess.Popen:
    """Start a server in its own session, wait until `ready_url` answers 200."""
    with open(log, "wb") as handle:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=handle,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    stack.callback(_stop, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode}; its log:\n"
                             f"{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(ready_url, timeout=2).status_code == 200:
                return process
        time.sleep(0.2)
    raise BenchError(f"{what} did not answer {ready_url} within {timeout:.0f} s; its log:\n"
                     f"{log.read_text(errors='replace')[-3000:]}")


# -- our server ----------------------------------------------------------------------------

def our_env(folder: Path, database_url: str) -> dict:
    """The environment of `make run`, pointed at a temporary instance folder and database."""
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "wsgi",
        "DEMO_MODE": "1",  # make run's demo mode: the demo city may be loaded
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder / "instance"),  # secret key and blobs, not the repo's
        "BLOB_STORAGE_PATH": str(folder / "instance" / "blobs"),
        # Long enough that no token runs out in the middle of a phase.
        "ACCESS_TOKEN_MINUTES": "180",
    })
    env.pop("SECRET_KEY", None)  # generated into the temporary instance folder
    return env


def prepare_database(env: dict, *, city_file: Path | None = None) -> None:
    """`make db`: migrate and load the demo city — or first import a whole city from a file."""
    run([BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, what="flask db upgrade")
    if city_file is not None:
        run([BIN / "flask", "regions", "import", city_file], env=env, cwd=ROOT,
            what="flask regions import")
    # With regions present this adds only the accounts, categories and the service hall.
    run([BIN / "flask", "demo", "load"], env=env, cwd=ROOT, what="flask demo load")


def start_ours(stack: contextlib.ExitStack, folder: Path, database_url: str, *, workers: int,
               city_file: Path | None = None, worker_class: str = "gthread",
               threads: int = 32) -> tuple[str, int]:
    """A migrated database with the demo city (or `city_file`), served like `make run`
    (gthread workers keep connections alive; sync workers close each after one request).

    Returns the base URL and the gunicorn master's pid (for cpu_seconds).
    """
    env = our_env(folder, database_url)
    prepare_database(env, city_file=city_file)
    port = free_port()
    process = serve(stack, [BIN / "gunicorn", "--workers", workers, "--bind", f"127.0.0.1:{port}",
                            "--worker-class", worker_class,
                            # (With threads, gunicorn makes any worker class gthread.)
                            *(["--threads", threads] if worker_class == "gthread" else []),
                            "--access-logfile", "-", "wsgi:app"],
                    env=env, cwd=ROOT, log=folder / "gunicorn.log",
                    ready_url=f"http://127.0.0.1:{port}/healthz", what="gunicorn")
    return f"http://127.0.0.1:{port}", process.pid


def process_tree(pid: int) -> list[int]:
    """This process and its living descendants (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(text[text.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """A process's resident memory now (0 if it is gone); field VmHWM: the most it had
    since it started or since reset_peak_rss()."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Start a process's high-water mark of resident memory again from now (Linux: 5 to
    clear_refs); False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its living descendants (Linux).

    With wall time beside it, this tells a slow server from a starved one on a busy machine.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in process_tree(pid):
        try:
            text = Path(f"/proc/{process}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # utime and stime are the 14th and 15th fields of the whole line.
        fields = text[text.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


# -- Kinto ---------------------------------------------------------------------------------

def kinto_venv(path: Path = KINTO_VENV) -> Path:
    """A venv with Kinto, outside the repo; made once and kept between runs."""
    marker = path / ".kinto-installed"
    if not marker.exists():
        print(f"installing Kinto into {path} (once) …", file=sys.stderr)
        path.parent.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "venv", path], what="python -m venv")
        run([path / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check",
             *KINTO_PACKAGES], what="pip install kinto")
        marker.write_text(" ".join(KINTO_PACKAGES) + "\n")
    return path


def _kinto_ini(ini: Path, storage_url: str | None) -> None:
    """What KINTO.md asks for: authenticated users create buckets, logs at WARNING."""
    config = configparser.RawConfigParser(strict=False)
    config.optionxform = str
    config.read(ini)
    config.set("app:main", "kinto.bucket_create_principals", "system.Authenticated")
    if storage_url:
        for key in ("kinto.storage_url", "kinto.permission_url"):
            config.set("app:main", key, storage_url)
    for section in config.sections():
        if section.startswith(("logger_", "handler_")):
            config.set(section, "level", "WARNING")
    with open(ini, "w") as handle:
        config.write(handle)


def start_kinto(stack: contextlib.ExitStack, venv: Path, folder: Path, *,
                storage_url: str | None) -> tuple[str, int]:
    """Kinto on the memory backend (storage_url None) or on PostgreSQL; returns (url, pid)."""
    kinto = venv / "bin" / "kinto"
    ini = folder / "kinto.ini"
    backend = "postgresql" if storage_url else "memory"
    run([kinto, "init", "--backend", backend, "--cache-backend", "memory", "--ini", ini],
        cwd=folder, what="kinto init")
    _kinto_ini(ini, storage_url.replace("postgresql+psycopg://", "postgresql://")
               if storage_url else None)
    if storage_url:
        run([kinto, "migrate", "--ini", ini], cwd=folder, what="kinto migrate")
    port = free_port()
    process = serve(stack, [kinto, "start", "--ini", ini, "--port", port], env=None, cwd=folder,
                    log=folder / "kinto.log", ready_url=f"http://127.0.0.1:{port}/v1/",
                    what="kinto")
    return f"http://127.0.0.1:{port}/v1", process.pid
