"""Sign-in, the current user, and account administration."""

from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from backend.accounts import schemas, services
from backend.common.auth import ADMIN, SUPERVISOR, RegionScope, auth_required, current_user
from backend.common.paging import page_schema
from backend.extensions import Blueprint

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                     description="Sign in, refresh the access token, sign out.")
me_blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in user.")
accounts_blp = Blueprint("accounts", __name__, url_prefix="/api/v1/accounts",
                         description="Accounts and roles (admins; supervisors read their region's).")


@auth_blp.route("/login")
class Login(MethodView):
    @auth_blp.arguments(schemas.LoginIn)
    @auth_blp.response(200, schemas.LoginOut)
    @auth_blp.alt_response(401, description="Wrong username or password, or a disabled account.")
    @auth_blp.alt_response(429, description="Too many failed sign-ins; see `Retry-After`.")
    @auth_blp.doc(security=[])
    def post(self, args):
        """Sign in with username and password; returns an access and a refresh token."""
        result = services.sign_in(args["username"], args["password"],
                                  address=request.remote_addr or "unknown",
                                  user_agent=request.headers.get("User-Agent", ""))
        return _signed_in(result)


def _signed_in(result: services.SignIn) -> dict:
    return {"access_token": result.access_token, "refresh_token": result.refresh_token,
            "token_type": "Bearer", "expires_in": result.expires_in,
            "user": services.describe_me(result.user)}


@auth_blp.route("/register")
class Register(MethodView):
    @auth_blp.arguments(schemas.RegisterIn)
    @auth_blp.response(201, schemas.LoginOut)
    @auth_blp.alt_response(409, description="The username is taken (`username_taken`).")
    @auth_blp.alt_response(429, description="Too many sign-ups from this address; see "
                           "`Retry-After`.")
    @auth_blp.doc(security=[])
    def post(self, args):
        """A citizen signs up and is signed in: the answer is the sign-in's."""
        result = services.sign_up(**args, address=request.remote_addr or "unknown",
                                  user_agent=request.headers.get("User-Agent", ""))
        return _signed_in(result)


@auth_blp.route("/refresh")
class Refresh(MethodView):
    @auth_blp.arguments(schemas.RefreshIn)
    @auth_blp.response(200, schemas.RefreshOut)
    @auth_blp.alt_response(401, description="Missing, expired or revoked refresh token.")
    def post(self, _args):
        """A new access token and a new refresh token (the old one stops working soon)."""
        verify_jwt_in_request(refresh=True, locations=["headers", "json"])
        refreshed = services.refresh_session(current_user(), get_jwt())
        return {"access_token": refreshed.access_token, "refresh_token": refreshed.refresh_token,
                "token_type": "Bearer", "expires_in": refreshed.expires_in}


@auth_blp.route("/logout")
class Logout(MethodView):
    @auth_blp.arguments(schemas.RefreshIn)
    @auth_blp.response(204)
    def post(self, _args):
        """End this sign-in session: its refresh token and access tokens stop working."""
        verify_jwt_in_request(locations=["headers", "json"], verify_type=False)
        services.sign_out(current_user(), get_jwt()["sid"])


@me_blp.route("")
class Me(MethodView):
    @auth_required()
    @me_blp.response(200, schemas.MeOut)
    def get(self):
        """Who am I: roles, and the region I am bound to with its path from the city."""
        return services.describe_me(current_user())


@me_blp.route("/password")
class MyPassword(MethodView):
    @auth_required()
    @me_blp.arguments(schemas.PasswordChangeIn)
    @me_blp.response(204)
    def post(self, args):
        """Change my password; my other devices are signed out."""
        services.change_own_password(current_user(), args["current_password"],
                                     args["new_password"], get_jwt()["sid"],
                                     address=request.remote_addr or "unknown")


@accounts_blp.route("")
class Accounts(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @accounts_blp.arguments(schemas.AccountListArgs, location="query")
    @accounts_blp.response(200, page_schema(schemas.AccountOut))
    def get(self, args):
        """List accounts: all for admins, those bound inside their region for supervisors."""
        return services.list_accounts(RegionScope.for_user(current_user()), **args)

    @auth_required(ADMIN)
    @accounts_blp.arguments(schemas.AccountCreateIn)
    @accounts_blp.response(201, schemas.AccountOut)
    def post(self, args):
        """Create an account (admins)."""
        return services.create_account(current_user(), **args)


@accounts_blp.route("/<uuid:user_id>")
class Account(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @accounts_blp.response(200, schemas.AccountOut)
    def get(self, user_id: uuid.UUID):
        """One account, if it lies in the caller's scope."""
        return services.get_account(RegionScope.for_user(current_user()), user_id)

    @auth_required(ADMIN)
    @accounts_blp.arguments(schemas.AccountUpdateIn)
    @accounts_blp.response(200, schemas.AccountOut)
    def patch(self, args, user_id: uuid.UUID):
        """Change roles, binding, name, active flag or password (admins)."""
        return services.update_account(current_user(), user_id, args)
