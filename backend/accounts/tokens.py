"""Flask-JWT-Extended wiring: who a token belongs to, whether it still counts, and its errors.

Every token carries `sid`, the sign-in session it belongs to; revoking the session
(sign-out, password change, account disabled) ends its refresh and access tokens at once.
"""

from __future__ import annotations

import uuid

from flask import Flask, current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from backend.accounts.models import AuthSession, User
from backend.common.time import utcnow
from backend.errors import error_body
from backend.extensions import db, jwt


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


@jwt.user_lookup_loader
def _load_user(_header: dict, payload: dict) -> User | None:
    try:
        user = db.session.get(User, uuid.UUID(payload["sub"]))
    except (ValueError, KeyError):
        return None
    return user if user is not None and user.is_active else None


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict, payload: dict) -> bool:
    try:
        session = db.session.get(AuthSession, uuid.UUID(payload.get("sid", "")))
    except ValueError:
        return True
    return session is None or session.revoked_at is not None or session.expires_at <= utcnow()


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
