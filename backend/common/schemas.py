"""Schema fields that several features' schemas share."""

from __future__ import annotations

from datetime import date

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


# Days the app can turn into instants: year 1 or 9999 overflows a datetime once shifted by
# the city's offset from UTC, so a query for them would be a 500, not an answer.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


class Day(ma.fields.Date):
    """A calendar day, YYYY-MM-DD, from 1970-01-01 to 2999-12-31."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=ma.validate.Range(FIRST_DAY, LAST_DAY), **kwargs)


class Month(ma.fields.String):
    """A calendar month, YYYY-MM, from 1970-01 to 2999-12."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=ma.validate.Regexp(r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"),
                         **kwargs)


def sha256_hex(**kwargs) -> ma.fields.String:
    """A photo's name: the SHA-256 of its bytes, lowercase hex."""
    return ma.fields.String(validate=ma.validate.Regexp(
        SHA256_HEX, error="a photo is the SHA-256 of its bytes (lowercase hex)"), **kwargs)
