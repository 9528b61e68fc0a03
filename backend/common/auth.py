"""The caller and what they may see.

Roles are plain strings; a person may hold several. Region scope is a subtree of the
grid hierarchy, expressed as a prefix of `Region.path` so that any table can be
filtered by joining its region.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from functools import wraps

from flask_jwt_extended import current_user as _jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from backend.errors import Forbidden
from backend.extensions import db

ADMIN, SUPERVISOR, WORKER, CLERK, CITIZEN = "admin", "supervisor", "worker", "clerk", "citizen"
# Staff of a department (职能部门) that handles the cases dispatched to it.
DEPARTMENT = "department"
# The service hall's manager (大厅负责人): supervision alerts, bad ratings' follow-up, statistics.
HALL_MANAGER = "hall_manager"
# An official who checks citizens' e-certificates (核验人员): the verifier on the phone.
OFFICIAL = "official"
ROLES = (ADMIN, SUPERVISOR, WORKER, CLERK, CITIZEN, DEPARTMENT, HALL_MANAGER, OFFICIAL)
STAFF_ROLES = (ADMIN, SUPERVISOR, WORKER, CLERK, DEPARTMENT, HALL_MANAGER)


@dataclass(frozen=True)
class RegionScope:
    """Which part of the hierarchy a user may see: everything, one subtree, or nothing."""

    everything: bool = False
    path_prefix: str | None = None

    @classmethod
    def for_user(cls, user) -> RegionScope:
        if ADMIN in user.role_names:
            return cls(everything=True)
        if user.region is not None and user.role_names & {SUPERVISOR, WORKER}:
            return cls(path_prefix=user.region.path)
        return cls()

    @property
    def is_empty(self) -> bool:
        return not self.everything and self.path_prefix is None

    def covers(self, path: str | None) -> bool:
        if self.everything:
            return True
        return bool(path and self.path_prefix and path.startswith(self.path_prefix))

    def filter(self, path_column):
        """A WHERE clause keeping rows whose region path lies in this scope."""
        from sqlalchemy import false, true

        if self.everything:
            return true()
        if self.path_prefix is None:
            return false()
        return path_column.startswith(self.path_prefix, autoescape=True)


def optional_user():
    """The signed-in user when a valid access token came with the request, else None (for
    endpoints open to anyone that note who asked when they can)."""
    from flask_jwt_extended.exceptions import JWTExtendedException
    from jwt.exceptions import PyJWTError

    try:
        verify_jwt_in_request(optional=True)
    except (JWTExtendedException, PyJWTError):
        return None
    return _jwt_current_user._get_current_object()


def current_user():
    """The signed-in user of this request (loaded once by the JWT user loader)."""
    return _jwt_current_user._get_current_object()


def current_scope() -> RegionScope:
    """The part of the hierarchy the signed-in user of this request may see."""
    return RegionScope.for_user(current_user())


def _end_sqlite_transaction() -> None:
    """On SQLite every transaction holds the write lock (BEGIN IMMEDIATE). Checking the
    token read the database; the view may now wait a long time for a phone's request
    body, and must not lock every other writer out meanwhile. The service begins anew."""
    session = db.session()
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # It only read: the user it loaded stays loaded, rather than expired and read again
        # (with its roles and region) by the first look at it, in every request.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


def auth_required(*roles: str):
    """A valid access token, and, if roles are given, at least one of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            if roles and not (current_user().role_names & set(roles)):
                raise Forbidden("Your role may not do this.", code="forbidden_role")
            _end_sqlite_transaction()
            return view(*args, **kwargs)

        # Document the refusals in OpenAPI next to the responses flask-smorest knows.
        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        responses = wrapper._apidoc.setdefault("response", {}).setdefault("responses", {})
        responses.setdefault(401, []).append("UNAUTHORIZED")
        if roles:
            responses.setdefault(403, []).append("FORBIDDEN")
        return wrapper

    return decorator
