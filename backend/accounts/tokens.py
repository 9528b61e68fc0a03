"""Flask-JWT-Extended wiring: who a token belongs to, whether it still counts, and its errors.

Every token carries `sid`, the sign-in session it belongs to; revoking the session
(sign-out, password change, account disabled) ends its refresh and access tokens at once.
"""

from __future__ import annotations

import uuid

from flask import Flask, current_app, g
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backend.accounts.models import AuthSession, User
from backend.common.time import utcnow
from backend.errors import error_body
from backend.extensions import db, jwt
from backend.regions.models import Region


def init_app(app: Flask) -> None:
    app.config["JWT_SECRET_KEY"] = app.config.get("JWT_SECRET_KEY") or app.config["SECRET_KEY"]


def issue_access_token(user: User, session_id: uuid.UUID) -> tuple[str, int]:
    """A short-lived access token on a session, and its lifetime in seconds."""
    token = create_access_token(identity=user, additional_claims={
        "sid": str(session_id), "roles": user.role_list})
    return token, int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def issue_refresh_token(user: User, session: AuthSession) -> str:
    """A refresh token of the session's current generation (see AuthSession)."""
    return create_refresh_token(identity=user, additional_claims={
        "sid": str(session.id), "gen": session.refresh_generation})


@jwt.user_identity_loader
def _identity(user: User) -> str:
    return str(user.id)


# The token's user, read with its session (below) for the user loader that follows; _UNREAD
# when it was not (the loader then reads it itself).
_TOKEN_USER = "civicgrid_token_user"
_UNREAD = object()


@jwt.user_lookup_loader
def _load_user(_header: dict, payload: dict) -> User | None:
    user = g.pop(_TOKEN_USER, {}).get(payload.get("jti"), _UNREAD)
    if user is _UNREAD:
        try:
            user = db.session.get(User, uuid.UUID(payload["sub"]))
        except (ValueError, KeyError):
            return None
    return user if user is not None and user.is_active else None


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict, payload: dict) -> bool:
    """Has the token's session ended? Its user comes in the same query (with roles and
    region): every request asks both, and one round trip instead of three is most of
    what signing a request in costs."""
    try:
        session_id, user_id = uuid.UUID(payload.get("sid", "")), uuid.UUID(payload["sub"])
    except (ValueError, KeyError):
        return True
    found = db.session.execute(
        select(AuthSession, User).outerjoin(User, User.id == user_id)
        .where(AuthSession.id == session_id)
        # The user's region without its outline: a city's can be large, and few requests
        # look at it (those that do read it then).
        .options(joinedload(User.roles),
                 joinedload(User.region).defer(Region.boundary_geojson))
    ).unique().first()
    if found is None:
        return True
    session, user = found
    g.setdefault(_TOKEN_USER, {})[payload.get("jti")] = user
    return session.revoked_at is not None or session.expires_at <= utcnow()


@jwt.unauthorized_loader
def _missing(reason: str):
    return error_body(401, "token_missing", f"Sign in first: {reason}")


@jwt.invalid_token_loader
def _invalid(reason: str):
    return error_body(401, "token_invalid", f"The token is not valid: {reason}")


@jwt.expired_token_loader
def _expired(_header: dict, _payload: dict):
    return error_body(401, "token_expired", "The token has expired; refresh it or sign in again.")


@jwt.revoked_token_loader
def _revoked(_header: dict, _payload: dict):
    return error_body(401, "token_revoked", "This session has ended; sign in again.")


@jwt.user_lookup_error_loader
def _no_user(_header: dict, _payload: dict):
    return error_body(401, "account_inactive", "This account no longer exists or is disabled.")
