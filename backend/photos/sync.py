"""Photo metadata as an append-only sync collection; the bytes come as blobs."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from backend.common.schemas import Latitude, Longitude, sha256_hex
from backend.photos.models import Blob, Photo
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, Audience, Collection, WriteContext

PARENTS = ("reports", "patrols")


class PhotoFields(ma.Schema):
    sha256 = sha256_hex(required=True)
    record_collection = ma.fields.String(required=True, validate=ma.validate.OneOf(PARENTS))
    record_id = ma.fields.UUID(required=True)
    taken_at = ma.fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=None)
    lat = Latitude(allow_none=True, load_default=None)
    lon = Longitude(allow_none=True, load_default=None)


def photo_audience(row: dict) -> Audience:
    return Audience(scope_path=row.get("scope_path"), owner_id=row.get("uploader_id"))


def prepare_photo(ctx: WriteContext, values: dict) -> dict:
    """A photo belongs where its record belongs; records sync before their photos."""
    parent = ctx.registry.get(values["record_collection"])
    row = ctx.conn.execute(sa.select(parent.table).where(
        parent.table.c.id == values["record_id"])).mappings().first()
    audience = parent.audience(dict(row)) if row else None
    if row is None or row["deleted"] or not ctx.actor.scope.covers(
            audience.scope_path, audience.owner_id, audience.is_public):
        raise Rejection("unknown_record", "The photo belongs to no record you can see.")
    blob = ctx.conn.execute(sa.select(Blob.__table__).where(
        Blob.__table__.c.sha256 == values["sha256"])).first()
    return {"uploader_id": ctx.actor.user_id, "scope_path": audience.scope_path,
            "has_blob": blob is not None, "width": blob.width if blob else None,
            "height": blob.height if blob else None}


COLLECTIONS = [
    Collection(name="photos", table=Photo.__table__, rule=APPEND_ONLY, schema=PhotoFields,
               server_fields=("uploader_id", "width", "height", "has_blob"),
               audience=photo_audience, prepare_create=prepare_photo),
]
