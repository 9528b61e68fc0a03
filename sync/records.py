"""How stored rows become the records clients see (SYNC_PROTOCOL.md "Records").

`to_record` turns one row (a dict) into a record. A pull does the same for up to a
thousand rows a page, which made it the pull's main cost; `RecordReader` reads only the
columns a record needs, as plain tuples, and converts each column by its type, giving
the same records as `to_record` (a test holds them to it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from sync.registry import Collection, serialize_value

# Columns a record never shows: the merge clocks are the server's, and decoding them costs.
HIDDEN_COLUMNS = frozenset({"field_clock"})
# Column types whose values are JSON as they come (never a UUID or a time).
_AS_IS = (sa.String, sa.Integer, sa.Float, sa.Boolean, sa.JSON)


def to_record(collection: Collection, row: dict) -> dict:
    if collection.to_record is not None:
        body = collection.to_record(row)
    else:
        body = {name: serialize_value(row.get(name)) for name in collection.record_fields}
    return {"id": str(row["id"]), "version": row["version"],
            "updated_at": serialize_value(row["updated_at"]), "deleted": False, **body}


def _time_text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _converter(column: sa.Column) -> Callable[[Any], Any] | None:
    """How serialize_value treats this column's values (never None), decided once; None: as
    they are."""
    affinity = column.type._type_affinity
    if affinity is not None and issubclass(affinity, sa.Uuid):
        return str
    if affinity is not None and issubclass(affinity, sa.DateTime):
        return _time_text
    if affinity is not None and issubclass(affinity, _AS_IS):
        return None
    return serialize_value


class RecordReader:
    """Reads records of one collection by id, for a pull."""

    def __init__(self, collection: Collection):
        self.collection = collection
        table = collection.table
        if collection.to_record is not None:
            # A collection's own to_record may use any column.
            columns = [c for c in table.c if c.name not in HIDDEN_COLUMNS]
        else:
            wanted = ("id", "version", "updated_at", "deleted", *collection.record_fields)
            columns = list(dict.fromkeys(table.c[name] for name in wanted if name in table.c))
        self._names = [column.name for column in columns]
        position = {name: index for index, name in enumerate(self._names)}
        self._id, self._version = position["id"], position["version"]
        # Reference tables such as regions have no tombstones.
        self._updated_at, self._deleted = position["updated_at"], position.get("deleted")
        # (field, column position or None when the table has no such column, converter)
        self._fields = [(name, position.get(name),
                         _converter(table.c[name]) if name in position else None)
                        for name in collection.record_fields]
        select = sa.select(*columns)
        self._queries = {
            "any": select.where(table.c.id == sa.any_(
                sa.bindparam("ids", type_=postgresql.ARRAY(table.c.id.type)))),
            "in": select.where(table.c.id.in_(sa.bindparam("ids", expanding=True))),
        }

    def read(self, conn: sa.Connection,
             ids: Sequence[uuid.UUID]) -> Iterable[tuple[uuid.UUID, int, dict | None]]:
        """(id, version, record) of each of these records that exists; record None when it
        is deleted."""
        # On PostgreSQL the ids go as one array: a thousand separate parameters made a query
        # text the driver had to parse anew for every page.
        query = self._queries["any" if conn.dialect.name == "postgresql" else "in"]
        rows = conn.execute(query, {"ids": list(ids)}).all()
        if self.collection.to_record is not None:
            for row in rows:
                data = dict(zip(self._names, row, strict=True))
                yield (data["id"], data["version"],
                       None if data.get("deleted") else to_record(self.collection, data))
            return
        id_at, version_at, updated_at, deleted_at = (self._id, self._version, self._updated_at,
                                                     self._deleted)
        fields = self._fields
        for row in rows:
            if deleted_at is not None and row[deleted_at]:
                yield row[id_at], row[version_at], None
                continue
            record = {"id": str(row[id_at]), "version": row[version_at],
                      "updated_at": _time_text(row[updated_at]), "deleted": False}
            for name, at, convert in fields:
                value = None if at is None else row[at]
                record[name] = value if convert is None or value is None else convert(value)
            yield row[id_at], row[version_at], record
