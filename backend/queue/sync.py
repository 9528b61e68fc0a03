"""Halls and their services: public reference data (a citizen picks a service offline)."""

from __future__ import annotations

from backend.queue.models import Hall, Service
from sync.registry import REFERENCE, Collection

COLLECTIONS = [
    Collection(name="halls", table=Hall.__table__, rule=REFERENCE,
               server_fields=("name", "lat", "lon", "fence_radius_m")),
    Collection(name="services", table=Service.__table__, rule=REFERENCE,
               server_fields=("hall_id", "code", "name")),
]
