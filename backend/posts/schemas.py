from __future__ import annotations

import marshmallow as ma

from backend.accounts.schemas import WorkerBrief
from backend.common.schemas import Latitude, Longitude, PatchIn
from backend.posts.models import POST_RADIUS_MAX_M, POST_RADIUS_MIN_M


def _post_fields(required: bool) -> dict:
    return {
        "name": ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=100)),
        "lat": Latitude(required=required),
        "lon": Longitude(required=required),
        "radius_m": ma.fields.Float(
            required=required, allow_nan=False,
            validate=ma.validate.Range(POST_RADIUS_MIN_M, POST_RADIUS_MAX_M),
            metadata={"description": f"Metres, {POST_RADIUS_MIN_M:g}–{POST_RADIUS_MAX_M:g}."}),
    }


PostIn = type("PostIn", (ma.Schema,), {
    "region_id": ma.fields.UUID(required=True, metadata={"description": "The grid it lies in."}),
    **_post_fields(required=True)})


PostPatchIn = type("PostPatchIn", (PatchIn,), _post_fields(required=False))


class PostWorkerIn(ma.Schema):
    worker_id = ma.fields.UUID(required=True, metadata={
        "description": "A worker bound to the post's grid; a worker holds one post at most."})


class PostListArgs(ma.Schema):
    region_id = ma.fields.UUID(metadata={"description": "Only posts in this region's subtree."})


class PostOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    region_id = ma.fields.UUID(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    radius_m = ma.fields.Float(required=True)
    version = ma.fields.Integer(required=True)
    workers = ma.fields.List(ma.fields.Nested(WorkerBrief), required=True,
                             metadata={"description": "The workers holding this post."})
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class PostListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PostOut), required=True)
