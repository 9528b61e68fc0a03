"""Regions as reference data on the phone: each user pulls the regions in their scope."""

from __future__ import annotations

import json

from backend.regions.models import Region
from sync.registry import REFERENCE, Audience, Collection


def region_record(row: dict) -> dict:
    return {"parent_id": str(row["parent_id"]) if row["parent_id"] else None,
            "level": row["level"], "code": row["code"], "name": row["name"],
            "boundary": json.loads(row["boundary_geojson"])}


def region_audience(row: dict) -> Audience:
    return Audience(scope_path=row["path"])


def region_change(region_id, version: int, path: str, deleted: bool = False) -> tuple:
    """A change of a region, as the sync log wants it."""
    return (region_id, version, deleted, Audience(scope_path=path))


COLLECTIONS = [Collection(name="regions", table=Region.__table__, rule=REFERENCE,
                          audience=region_audience, to_record=region_record)]
