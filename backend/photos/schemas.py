"""What the blob endpoints answer; the bytes themselves are not JSON."""

from __future__ import annotations

import marshmallow as ma


class BlobOut(ma.Schema):
    sha256 = ma.fields.String(required=True, metadata={
        "description": "The address: SHA-256 of the bytes as they were uploaded."})
    size_bytes = ma.fields.Integer(required=True, metadata={
        "description": "Of the bytes kept and served: what was uploaded, less its metadata."})
    content_type = ma.fields.String(required=True, metadata={
        "description": "The real type found in the bytes: image/jpeg, image/png or image/webp."})
    width = ma.fields.Integer(required=True, metadata={
        "description": "As displayed (EXIF orientation applied)."})
    height = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True, metadata={"description": "When the server first had it."})


class BlobReadArgs(ma.Schema):
    case_id = ma.fields.UUID(load_default=None, metadata={
        "description": "The case the photo is shown with: whoever may see the case may see "
                       "the photos and \"after\" photos it names."})
