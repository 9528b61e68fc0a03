"""civicgrid backend: the app factory."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.config import MIN_SECRET_KEY_LENGTH, Config, load_or_create_secret


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Config.INSTANCE_PATH), static_folder=None)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    # Chinese names stay readable in responses (and smaller) instead of \uXXXX escapes.
    app.json.ensure_ascii = False
    check_production(app)
    init_instance(app)
    init_proxy(app)
    init_database(app)
    init_extensions(app)
    import_models()
    init_errors(app)
    init_request_ids(app)
    init_compression(app)
    init_security_headers(app)
    init_live(app)
    init_jobs(app)
    init_rollup(app)
    register_api(app)
    register_sync(app)
    register_cli(app)
    register_pages(app)
    register_jobs(app)
    check_signing_keys(app)
    return app


def check_production(app: Flask) -> None:
    """In production, only what the operator set: a real secret, a named database, no demo."""
    if app.config.get("ENVIRONMENT") != "production":
        return
    problems = []
    # Its length is checked for every start, in init_instance; here only that it is the
    # operator's own, not one generated into the instance folder.
    if not app.config.get("SECRET_KEY"):
        problems.append(f"set SECRET_KEY to at least {MIN_SECRET_KEY_LENGTH} characters of random text")
    if not app.config.get("DATABASE_URL_GIVEN"):
        problems.append("set DATABASE_URL (e.g. postgresql://user@host/civicgrid)")
    if app.config.get("DEMO_MODE"):
        problems.append("unset DEMO_MODE: the demo's accounts have published passwords")
    if problems:
        raise RuntimeError("CIVICGRID_ENV=production will not start: " + "; ".join(problems) + ".")


def init_instance(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(Path(app.instance_path) / "secret_key")
    if len(app.config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        # It signs tokens and sync cursors: a short one can be guessed offline.
        raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
                           "of random text (e.g. python -c 'import secrets; "
                           "print(secrets.token_urlsafe(48))').")
    from backend.common.request_ids import install_log_field

    install_log_field()  # before the format below names the field
    logging.basicConfig(level=logging.WARNING,
                        format="%(levelname)s %(name)s [%(request_id)s]: %(message)s")
    logging.getLogger("backend").setLevel(logging.INFO)
    from backend.audit.services import init_logging

    init_logging()


def init_proxy(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies (nginx), the client's address and scheme are the ones
    they forward: sign-in throttling keys on real addresses, HSTS sees HTTPS."""
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def init_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("postgresql"):
        # /healthz must answer 503 quickly when the server is gone, not hang.
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 3)
        options.setdefault("pool_pre_ping", True)
    elif url.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
    # JSON columns through orjson: a push writes five of them per report (its clocks, its
    # timeline, its photos…), and the standard library took a tenth of the push's time.
    options.setdefault("json_serializer", _json_text)
    options.setdefault("json_deserializer", orjson.loads)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _json_text(value) -> str:
    # (Marshmallow's error messages, kept in a mutation's result, number list items.)
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers go on while a gunicorn worker writes; foreign keys are off by default."""
    if _is_sqlite(dbapi_connection):
        # Python's sqlite3 would begin transactions itself, late, and would commit when the
        # first SAVEPOINT is released: one push would no longer be one transaction. We take
        # over (SQLAlchemy's documented recipe) and begin in _sqlite_begin below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """IMMEDIATE: take the write lock up front, so concurrent writers wait their turn
    (busy_timeout) instead of failing when a read turns into a write."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def init_extensions(app: Flask) -> None:
    from backend.extensions import api, db, jwt, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True)
    jwt.init_app(app)
    api.init_app(app)

    from backend.accounts import tokens

    tokens.init_app(app)


def import_models() -> None:
    """Every table, so that migrations see them all."""
    from backend.accounts import models as _accounts  # noqa: F401
    from backend.attendance import models as _attendance  # noqa: F401
    from backend.audit import models as _audit  # noqa: F401
    from backend.certificates import models as _certificates  # noqa: F401
    from backend.common import jobs as _jobs  # noqa: F401
    from backend.departments import models as _departments  # noqa: F401
    from backend.incidents import models as _incidents  # noqa: F401
    from backend.jobs import models as _job_runs  # noqa: F401
    from backend.notifications import models as _notifications  # noqa: F401
    from backend.patrol import models as _patrol  # noqa: F401
    from backend.photos import models as _photos  # noqa: F401
    from backend.posts import models as _posts  # noqa: F401
    from backend.push import models as _push  # noqa: F401
    from backend.queue import models as _queue  # noqa: F401
    from backend.regions import models as _regions  # noqa: F401
    from backend.stats import models as _stats  # noqa: F401
    from backend.sync_adapter import models as _sync  # noqa: F401


def init_errors(app: Flask) -> None:
    from backend import errors

    errors.init_app(app)


def init_compression(app: Flask) -> None:
    """gzip both ways: answers to clients that accept it, push bodies the phone packs."""
    from backend.common import compression

    compression.init_app(app)


def init_request_ids(app: Flask) -> None:
    """X-Request-ID on every answer and on every log line of its request."""
    from backend.common import request_ids

    request_ids.init_app(app)


def init_security_headers(app: Flask) -> None:
    """CSP, nosniff, referrer and permissions policies, HSTS over TLS, no-store on the API."""
    from backend.common import security_headers

    security_headers.init_app(app)


def init_live(app: Flask) -> None:
    """Live updates: what a transaction publishes goes out when it commits (backend/live)."""
    from backend import live

    live.init_app(app)


def init_rollup(app: Flask) -> None:
    """The assessment's daily roll-up is settled in every transaction before it commits."""
    from backend.stats import rollup

    rollup.init_app()


def init_jobs(app: Flask) -> None:
    """Background jobs leave a transaction when it commits (see backend/jobs/worker.py)."""
    from backend.jobs import worker
    from backend.push import services as _push  # noqa: F401 (its job handlers)

    worker.init_app(app)


def register_api(app: Flask) -> None:
    """The whole HTTP surface, in one list."""
    from backend.accounts.api import accounts_blp, auth_blp, me_blp
    from backend.attendance.api import attendance_blp
    from backend.audit.api import audit_blp
    from backend.certificates.api import certificates_blp, jwks_blp, requests_blp
    from backend.certificates.api_admin import issuing_blp
    from backend.departments.api import departments_blp
    from backend.extensions import api
    from backend.health.api import health_blp
    from backend.incidents.api import cases_blp
    from backend.live.api import live_blp
    from backend.map.api import map_blp
    from backend.notifications.api import notifications_blp
    from backend.patrol.api import patrol_blp
    from backend.photos.api import blobs_blp
    from backend.posts.api import posts_blp
    from backend.push.api import push_blp
    from backend.queue.api import halls_blp, tickets_blp
    from backend.queue.api_admin import appointments_blp, hall_admin_blp, services_blp, window_admin_blp
    from backend.queue.api_clerk import clerk_tickets_blp, windows_blp
    from backend.queue.api_display import display_blp
    from backend.queue.api_manager import hall_manager_blp, ratings_blp
    from backend.queue.api_stats import hall_stats_blp
    from backend.regions.api import regions_blp
    from backend.stats.api import stats_blp
    from backend.sync_adapter.api import sync_blp
    from backend.sync_adapter.schemas import MutationIn, PushIn

    for blueprint in (health_blp, auth_blp, me_blp, accounts_blp, regions_blp, sync_blp,
                      blobs_blp, attendance_blp, posts_blp, patrol_blp, departments_blp, audit_blp,
                      cases_blp, notifications_blp, stats_blp, map_blp, live_blp, push_blp,
                      halls_blp, tickets_blp, display_blp, windows_blp,
                      clerk_tickets_blp, hall_stats_blp):
        api.register_blueprint(blueprint)
    for blueprint in (hall_admin_blp, services_blp, window_admin_blp, appointments_blp):
        api.register_blueprint(blueprint)
    for blueprint in (ratings_blp, hall_manager_blp):
        api.register_blueprint(blueprint)
    for blueprint in (certificates_blp, requests_blp, issuing_blp, jwks_blp):
        api.register_blueprint(blueprint)
    # Documented by reference (the push body is checked by the engine, not by webargs).
    api.spec.components.schema("Mutation", schema=MutationIn)
    api.spec.components.schema("PushRequest", schema=PushIn)


def register_sync(app: Flask) -> None:
    """Every collection a phone syncs, in one list: each feature declares its own in its
    sync.py, as it declares its blueprint in api.py."""
    from backend.attendance.sync import COLLECTIONS as attendance
    from backend.departments.sync import COLLECTIONS as departments
    from backend.incidents.cases import publish_cases
    from backend.incidents.sync import COLLECTIONS as incidents
    from backend.patrol.sync import COLLECTIONS as patrol
    from backend.photos.sync import COLLECTIONS as photos
    from backend.posts.sync import COLLECTIONS as posts
    from backend.queue.sync import COLLECTIONS as queue
    from backend.regions.sync import COLLECTIONS as regions
    from backend.sync_adapter.registry import on_push, register_collections

    for collections in (regions, incidents, queue, patrol, attendance, posts, departments,
                        photos):
        register_collections(app, collections)
    # What a push changed, told once per push before it commits (live updates of cases).
    on_push(app, "reports", publish_cases)


def register_cli(app: Flask) -> None:
    from backend.accounts.cli import accounts_cli
    from backend.certificates.cli import certificates_cli
    from backend.demo.cli import demo_cli
    from backend.incidents.cli import cases_cli
    from backend.jobs.cli import jobs_cli
    from backend.photos.cli import photos_cli
    from backend.queue.cli import hall_cli
    from backend.regions.cli import regions_cli
    from backend.stats import cli as _stats_cli  # noqa: F401 (adds `flask cases rebuild-rollup`)
    from backend.sync_adapter.cli import sync_cli

    app.cli.add_command(regions_cli)
    app.cli.add_command(sync_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(photos_cli)
    app.cli.add_command(cases_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(hall_cli)
    app.cli.add_command(certificates_cli)


def check_signing_keys(app: Flask) -> None:
    """E-certificates' signing keys are stored encrypted: a missing or wrong secret stops
    the start here, with its name, rather than at the first certificate."""
    from backend.certificates.keys import check_secret

    check_secret(app)


def register_jobs(app: Flask) -> None:
    """With JOBS=1 (`make run` sets it), each process runs the periodic jobs under a lease
    in the database, so one of several gunicorn workers runs each per period. Off, cron runs
    their commands (`flask cases mark-overdue`, `flask hall watch`)."""
    if not app.config.get("JOBS"):
        return
    from datetime import timedelta

    from backend.common.jobs import start_scheduler_once
    from backend.incidents.overdue import mark_overdue
    from backend.queue.supervision import watch as watch_halls

    # Started by the first request a process serves: never in `flask` commands.
    app.before_request(lambda: start_scheduler_once(app, {
        "mark_overdue": (timedelta(minutes=app.config["OVERDUE_JOB_MINUTES"]), mark_overdue),
        "hall_watch": (timedelta(seconds=app.config["HALL_WATCH_S"]), watch_halls)}))


def register_pages(app: Flask) -> None:
    from backend.pages import pages_blp

    app.register_blueprint(pages_blp)
