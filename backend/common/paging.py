"""Pagination and list filtering, done one way everywhere.

Every list endpoint takes `page` and `per_page` in the query string and answers
`{"items": [...], "page": n, "per_page": n, "total": n, "pages": n}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, select

from backend.extensions import db

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000


class PageArgs(ma.Schema):
    # Past any list a page could reach, and an offset the database can still take.
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(query: Select, page: int = 1, per_page: int = 50) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total or 0)


_page_schemas: dict[type, type] = {}


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The response schema of a page of `item_schema`, built once per item schema."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema").removesuffix("Out") + "Page"
        _page_schemas[item_schema] = type(name, (ma.Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
            "pages": ma.fields.Integer(required=True),
        })
    return _page_schemas[item_schema]
