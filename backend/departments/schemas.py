from __future__ import annotations

import marshmallow as ma

from backend.common.paging import PageArgs
from backend.common.schemas import PatchIn

_code = ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$",
                           error="letters, digits, '-' and '_', at most 32")


def _department_fields(required: bool) -> dict:
    return {
        "code": ma.fields.String(required=required, validate=_code,
                                 metadata={"description": "Short and stable, e.g. CGJ.",
                                           "example": "CGJ"}),
        "name": ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=100),
                                 metadata={"example": "城管局"}),
    }


DepartmentIn = type("DepartmentIn", (ma.Schema,), _department_fields(required=True))


DepartmentPatchIn = type("DepartmentPatchIn", (PatchIn,), _department_fields(required=False))


class DepartmentListArgs(PageArgs):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=100),
                         metadata={"description": "Part of the name or the code (any case)."})


class DepartmentOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
