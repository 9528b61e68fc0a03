"""Schema fields that several features' schemas share."""

from __future__ import annotations

import marshmallow as ma

from backend.common.ids import SHA256_HEX


class PatchIn(ma.Schema):
    """A partial change: any of the fields, at least one."""

    @ma.validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ma.ValidationError(f"Give at least one of {', '.join(self.fields)}.")


class Latitude(ma.fields.Float):
    """Degrees north, WGS 84: a finite number from -90 to 90."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_nan=False, validate=ma.validate.Range(-90, 90), **kwargs)


class Longitude(ma.fields.Float):
    """Degrees east, WGS 84: a finite number from -180 to 180."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_nan=False, validate=ma.validate.Range(-180, 180), **kwargs)


def sha256_hex(**kwargs) -> ma.fields.String:
    """A photo's name: the SHA-256 of its bytes, lowercase hex."""
    return ma.fields.String(validate=ma.validate.Regexp(
        SHA256_HEX, error="a photo is the SHA-256 of its bytes (lowercase hex)"), **kwargs)
