"""The demo city (placeholder until the geometry generator lands)."""

from sqlalchemy import select

from backend.extensions import db
from backend.regions.models import Region


def database_is_empty() -> bool:
    return db.session.scalar(select(Region.id).limit(1)) is None


def load_demo_city() -> str:
    raise NotImplementedError
