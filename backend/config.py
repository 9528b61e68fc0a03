"""Settings. The one place that reads the environment; tests pass overrides to create_app."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from backend.common.files import load_or_create_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Let operators write plain `postgresql://`; we always talk to it through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


MIN_SECRET_KEY_LENGTH = 32


def load_or_create_secret(path: Path) -> str:
    """The app's secret key, made once into the instance folder."""
    return load_or_create_file(path, lambda: secrets.token_urlsafe(48).encode()).decode().strip()


class Config:
    INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))

    # "production": the app refuses to start without its own SECRET_KEY and DATABASE_URL,
    # and never in demo mode. Anything else is development.
    ENVIRONMENT = os.environ.get("CIVICGRID_ENV", "development").strip().lower()
    # The one-command demo (`make run` sets it): the demo city with its known passwords may
    # be loaded, and the sign-in page names the demo accounts.
    DEMO_MODE = _env_bool("DEMO_MODE")
    # Whether the operator named the database (production must not fall back to a file).
    DATABASE_URL_GIVEN = bool(os.environ.get("DATABASE_URL"))

    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'civicgrid.sqlite'}"
    )
    # None means: read or create instance/secret_key (see create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None

    # The city's clock: daily rules (attendance, case deadlines) are cut at its midnight.
    CITY_TIMEZONE = os.environ.get("CITY_TIMEZONE", "Asia/Shanghai")

    # Attendance (考勤): a fix coarser than this margin is flagged, not trusted; a device clock
    # may run ahead of ours by at most the skew allowance (a punch further ahead is refused);
    # skews within the tolerance (upload time, small drift) count as none.
    ATTENDANCE_ACCURACY_MARGIN_M = float(os.environ.get("ATTENDANCE_ACCURACY_MARGIN_M", "50"))
    ATTENDANCE_CLOCK_SKEW_ALLOWANCE_S = _env_int("ATTENDANCE_CLOCK_SKEW_ALLOWANCE_S", 24 * 3600)
    ATTENDANCE_CLOCK_SKEW_TOLERANCE_S = _env_int("ATTENDANCE_CLOCK_SKEW_TOLERANCE_S", 120)

    # The service hall (一窗受理): a fix coarser than the maximum proves nothing about being in
    # the hall and is refused; up to the allowance, a fix's accuracy is benefit of the doubt
    # at the fence's edge.
    HALL_FENCE_MAX_ACCURACY_M = float(os.environ.get("HALL_FENCE_MAX_ACCURACY_M", "100"))
    HALL_FENCE_ACCURACY_ALLOWANCE_M = float(os.environ.get("HALL_FENCE_ACCURACY_ALLOWANCE_M", "30"))

    # Patrol (巡查): a track point with a coarser fix than this, or one that implies moving faster
    # than a worker on foot or bicycle can (from the last trusted point), is kept but flagged
    # as jitter and left out of the distance.
    PATROL_ACCURACY_LIMIT_M = float(os.environ.get("PATROL_ACCURACY_LIMIT_M", "50"))
    PATROL_MAX_SPEED_KMH = float(os.environ.get("PATROL_MAX_SPEED_KMH", "50"))

    # JSON API bodies; blobs get their own, larger limit on their own route.
    MAX_CONTENT_LENGTH = _env_int("MAX_BODY_BYTES", 2 * 1024 * 1024)

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_env_int("ACCESS_TOKEN_MINUTES", 15))
    # Long, because a grid worker may be out of signal for days and must not lose the session.
    # Sliding: each refresh (which rotates the token) starts the days anew.
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_env_int("REFRESH_TOKEN_DAYS", 30))
    # How long the refresh token just replaced still works: a phone whose answer was lost
    # on a bad line asks again with it.
    REFRESH_GRACE_S = _env_int("REFRESH_GRACE_S", 120)
    # Only the sign-in endpoints also read a token from the body, after validating it.
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "message"

    # Case deadlines count working hours: these periods of each working day (city time), on
    # the working-day calendar (built-in years, plus <year>.json files in WORK_CALENDAR_DIR).
    WORK_HOURS = os.environ.get("WORK_HOURS", "08:30-12:00,13:30-17:30")
    WORK_CALENDAR_DIR = os.environ.get("WORK_CALENDAR_DIR") or None
    # An open case this many working hours from its deadline is due soon (临期).
    DUE_SOON_WORKING_H = _env_int("DUE_SOON_WORKING_H", 4)
    # Each step's limit in working hours, where a category names none of its own: 立案
    # register, 派遣 dispatch, 核查 verify, 结案 close (处置 handle takes the category's 时限).
    STEP_LIMITS_H = os.environ.get("STEP_LIMITS_H", "register=2,dispatch=4,verify=8,close=4")
    # Periodic jobs in the app (marking overdue cases), each under a database lease so that
    # one of several gunicorn workers runs it; off, cron runs `flask cases mark-overdue`.
    JOBS = os.environ.get("JOBS", "") == "1"
    OVERDUE_JOB_MINUTES = _env_int("OVERDUE_JOB_MINUTES", 10)
    # Electronic supervision (电子监察) looks at every hall this often (`flask hall watch`).
    HALL_WATCH_S = _env_int("HALL_WATCH_S", 30)
    # How long after closing a supervisor may reopen a case (the result did not hold).
    CASE_REOPEN_WINDOW_H = _env_int("CASE_REOPEN_WINDOW_H", 7 * 24)
    # A new report of the same category this close to an open case, reported this near in
    # time, is offered to its supervisor as a possible duplicate (to merge into that case).
    DUPLICATE_RADIUS_M = float(os.environ.get("DUPLICATE_RADIUS_M", "100"))
    DUPLICATE_WINDOW_H = _env_int("DUPLICATE_WINDOW_H", 72)

    # The one map (一张图): a view holding at most this many cases gets them as points (the
    # browser clusters them); more, and the server sends clusters of a grid sized by the zoom.
    MAP_POINTS_MAX = _env_int("MAP_POINTS_MAX", 1500)
    # A base map under the console's one map, e.g. https://tiles.example.org/{z}/{x}/{y}.png
    # (the Content-Security-Policy then allows images from its origin). Empty: none, the
    # map draws the grids on a blank background and works without the internet.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "").strip()
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "").strip()

    # argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane); a stored hash of a
    # lower cost, or of the scrypt used before, is replaced at the next sign-in. Tests lower
    # the cost for speed.
    PASSWORD_HASH_MEMORY_KIB = _env_int("PASSWORD_HASH_MEMORY_KIB", 19 * 1024)
    PASSWORD_HASH_TIME_COST = _env_int("PASSWORD_HASH_TIME_COST", 2)
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")

    # Failed sign-ins. A username locks at one address after this many in a row there,
    # doubling each time after, up to LOGIN_LOCKOUT_MAX_S; other addresses are not locked
    # out, so nobody can lock a known username (worker1…) for the whole workforce.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_S = _env_int("LOGIN_LOCKOUT_S", 60)
    LOGIN_LOCKOUT_MAX_S = _env_int("LOGIN_LOCKOUT_MAX_S", 3600)
    LOGIN_FAILURE_WINDOW_S = _env_int("LOGIN_FAILURE_WINDOW_S", 900)
    # Guessing one username from many addresses is slowed down (a growing wait between
    # tries from anywhere), but never by more than LOGIN_USER_DELAY_MAX_S.
    LOGIN_MAX_FAILURES_PER_USER = _env_int("LOGIN_MAX_FAILURES_PER_USER", 20)
    LOGIN_USER_DELAY_MAX_S = _env_int("LOGIN_USER_DELAY_MAX_S", 60)
    # One address trying many usernames (password spraying) is slowed down as a whole.
    LOGIN_MAX_FAILURES_PER_IP = _env_int("LOGIN_MAX_FAILURES_PER_IP", 50)
    # Citizens signing up: accounts made per address per window. A hall's Wi-Fi puts
    # hundreds of citizens behind one address, so fewer than 100 is never applied.
    SIGNUP_MAX_PER_ADDRESS = _env_int("SIGNUP_MAX_PER_ADDRESS", 300)
    SIGNUP_WINDOW_S = _env_int("SIGNUP_WINDOW_S", 3600)
    # Proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto/-Host are trusted
    # for the client's address and scheme; 0 trusts none (a header anyone could forge).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Live updates (GET /api/v1/live): how a committed case change reaches the streams of
    # every process. "auto": PostgreSQL's NOTIFY when the database is PostgreSQL (sent with
    # the transaction itself), else Redis pub/sub when REDIS_URL is set, else this process
    # only (one gunicorn worker: `make run` on SQLite). "redis" forces Redis (e.g. behind a
    # pooler that cannot LISTEN); "postgresql" and "local" force those.
    REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None
    LIVE_BROKER = os.environ.get("LIVE_BROKER", "auto").strip().lower()
    LIVE_CHANNEL = os.environ.get("LIVE_CHANNEL", "civicgrid_live").strip()
    # A stream ends after this long (or when its token does) and the client reconnects; it
    # sends a comment line between events so that proxies keep it open.
    LIVE_STREAM_S = float(os.environ.get("LIVE_STREAM_S", "300"))
    LIVE_HEARTBEAT_S = float(os.environ.get("LIVE_HEARTBEAT_S", "15"))
    LIVE_RETRY_MS = _env_int("LIVE_RETRY_MS", 3000)
    # Public hall streams (GET /api/v1/halls/{id}/events: the hall's display, ticket pages)
    # need no sign-in, and each holds one of a gunicorn worker's THREADS threads while open:
    # one process keeps at most this many, and answers the next 503 with Retry-After (the
    # display reconnects, a ticket page polls meanwhile), so that open screens never take
    # the threads the API needs: by default all of THREADS but 8 (32 → 24 per worker).
    HALL_STREAMS_MAX = _env_int("HALL_STREAMS_MAX", max(2, _env_int("THREADS", 32) - 8))

    # Background jobs (sending Web Push): released when the transaction that queued them
    # commits. "auto": an RQ queue on REDIS_URL when set (run `flask jobs worker`), else a
    # worker thread in each process; "rq" and "local" force those. A failing job is tried
    # JOB_ATTEMPTS times in all, waiting JOB_BACKOFF_S, then 4× as long, between attempts.
    JOB_QUEUE = os.environ.get("JOB_QUEUE", "auto").strip().lower()
    JOB_QUEUE_NAME = os.environ.get("JOB_QUEUE_NAME", "civicgrid").strip()
    JOB_ATTEMPTS = _env_int("JOB_ATTEMPTS", 3)
    JOB_BACKOFF_S = float(os.environ.get("JOB_BACKOFF_S", "2"))

    # Web Push (RFC 8291/8292). The VAPID key: VAPID_PRIVATE_KEY (PEM, or base64url raw or
    # DER), else one generated once into the instance folder. VAPID_SUBJECT is the contact
    # a push service may write to. Pushes go only to hosts in PUSH_ALLOWED_HOSTS ("*." for
    # subdomains; default: the browsers' push services), over https (http for loopback).
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip() or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:ops@civicgrid.invalid").strip()
    PUSH_ALLOWED_HOSTS = os.environ.get(
        "PUSH_ALLOWED_HOSTS", "fcm.googleapis.com,updates.push.services.mozilla.com,"
        "*.notify.windows.com,web.push.apple.com")
    # How long a push service keeps a message for a browser that is offline.
    PUSH_TTL_S = _env_int("PUSH_TTL_S", 24 * 3600)

    # E-certificates (docs/CERTIFICATES.md). CERTIFICATE_KEYS_SECRET (32 bytes, base64)
    # encrypts the issuers' signing keys at rest; without it, one made once into the instance
    # folder while no key exists yet. A verifier should refresh a status list within
    # CERTIFICATE_STATUS_TTL_S; online verification is limited per address per minute.
    CERTIFICATE_KEYS_SECRET = os.environ.get("CERTIFICATE_KEYS_SECRET", "").strip() or None
    CERTIFICATE_STATUS_TTL_S = _env_int("CERTIFICATE_STATUS_TTL_S", 24 * 3600)
    CERTIFICATE_VERIFY_MAX_PER_MINUTE = _env_int("CERTIFICATE_VERIFY_MAX_PER_MINUTE", 120)
    CERTIFICATE_REQUEST_TTL_S = _env_int("CERTIFICATE_REQUEST_TTL_S", 600)

    # Sync (SYNC_PROTOCOL.md): batch limits, page size, how long tombstones and results live.
    SYNC_MAX_MUTATIONS = _env_int("SYNC_MAX_MUTATIONS", 500)
    SYNC_MAX_BATCH_BYTES = _env_int("SYNC_MAX_BATCH_BYTES", 4 * 1024 * 1024)
    SYNC_PULL_LIMIT_MAX = _env_int("SYNC_PULL_LIMIT_MAX", 1000)
    SYNC_RETENTION_DAYS = _env_int("SYNC_RETENTION_DAYS", 90)

    # Photos arrive shrunk (≤ 150 KB, pwa/app/shrink.js); anything much larger is refused.
    BLOB_MAX_BYTES = _env_int("BLOB_MAX_BYTES", 8 * 1024 * 1024)
    # What one account may upload in 24 hours: a grid worker's day of photos is ~13 MB.
    BLOB_DAILY_QUOTA_BYTES = _env_int("BLOB_DAILY_QUOTA_BYTES", 200 * 1024 * 1024)
    BLOB_STORAGE_PATH = os.environ.get("BLOB_STORAGE_PATH") or None  # default: instance/blobs

    # A child region may stick out of its parent by at most this share of its own area.
    REGION_CONTAINMENT_TOLERANCE = float(os.environ.get("REGION_CONTAINMENT_TOLERANCE", "0.01"))

    API_TITLE = "civicgrid API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
    }

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    JSON_SORT_KEYS = False
