from __future__ import annotations

import re

import marshmallow as ma

from backend.common.auth import ROLES
from backend.common.paging import PageArgs
from backend.regions.schemas import RegionBrief


def _roles(**kwargs) -> ma.fields.List:
    return ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)),
                          validate=ma.validate.Length(min=1, max=len(ROLES)), **kwargs)


class LoginIn(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True,
                                validate=ma.validate.Length(min=1, max=256))


PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ]+$")


def _check_phone(value: str) -> None:
    digits = sum(c.isdigit() for c in value)
    if not PHONE_CHARACTERS.match(value.strip()) or not 6 <= digits <= 20:
        raise ma.ValidationError("A phone number is 6–20 digits, with spaces and a leading "
                                 "'+' allowed.")


class RegisterIn(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=64),
                                metadata={"description": "3–64 letters, digits, '.', '_' or "
                                          "'-'; compared without case."})
    password = ma.fields.String(required=True, load_only=True,
                                validate=ma.validate.Length(min=1, max=256), metadata={
                                    "description": "8 characters or more, mixing letters with "
                                    "digits or symbols (or 16 or more of one kind); not the "
                                    "username nor containing it; not a common password."})
    display_name = ma.fields.String(required=True, validate=[
        ma.validate.Length(max=100), ma.validate.Regexp(r"\S", error="May not be blank.")])
    phone = ma.fields.String(allow_none=True, load_default=None,
                             validate=[ma.validate.Length(max=32), _check_phone], metadata={
                                 "description": "Optional, for text messages; shown to nobody "
                                 "else."})


class RefreshIn(ma.Schema):
    refresh_token = ma.fields.String(
        metadata={"description": "The refresh token, if not sent as `Authorization: Bearer`."})


class BoundRegion(RegionBrief):
    path = ma.fields.List(ma.fields.Nested(RegionBrief), required=True,
                          metadata={"description": "From the city down to this region."})


class WorkerBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class UserOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)),
                           attribute="role_list", required=True)
    region_id = ma.fields.UUID(allow_none=True, required=True)
    department_id = ma.fields.UUID(allow_none=True, required=True, metadata={
        "description": "Department staff's department (职能部门); null for everyone else."})


class MeOut(UserOut):
    region = ma.fields.Nested(BoundRegion, allow_none=True, required=True)


class AccountOut(UserOut):
    phone = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class LoginOut(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Access token lifetime, s."})
    user = ma.fields.Nested(MeOut, required=True)


class RefreshOut(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True, metadata={
        "description": "Replaces the one sent, which works only a short while longer."})
    token_type = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True)


class PasswordChangeIn(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True,
                                        validate=ma.validate.Length(max=256))
    new_password = ma.fields.String(required=True, load_only=True,
                                    validate=ma.validate.Length(max=256))


class AccountCreateIn(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))
    roles = _roles(required=True)
    display_name = ma.fields.String(validate=ma.validate.Length(max=100), load_default="")
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))
    region_id = ma.fields.UUID(allow_none=True, load_default=None)
    department_id = ma.fields.UUID(allow_none=True, load_default=None, metadata={
        "description": "Required for department staff, refused for everyone else."})
    is_active = ma.fields.Boolean(load_default=True)


class AccountUpdateIn(ma.Schema):
    display_name = ma.fields.String(validate=ma.validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))
    roles = _roles()
    region_id = ma.fields.UUID(allow_none=True)
    department_id = ma.fields.UUID(allow_none=True)
    is_active = ma.fields.Boolean()
    password = ma.fields.String(
        load_only=True, validate=ma.validate.Length(max=256),
        metadata={"description": "Set a new password (signs the account out everywhere)."})


class AccountListArgs(PageArgs):
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    region_id = ma.fields.UUID(metadata={"description": "Accounts bound inside this region."})
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=64),
                         metadata={"description": "Part of the username or display name."})
    is_active = ma.fields.Boolean()
