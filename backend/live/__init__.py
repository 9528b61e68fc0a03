"""Live updates (实时): committed case changes pushed to open consoles as server-sent events.

services.py: `publish` inside the writing transaction, delivered once it commits (PostgreSQL
NOTIFY, Redis pub/sub or this process only), one listener thread per process, and the
streams, each filtered by what its reader may see. api.py: GET /api/v1/live.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Check the broker settings (a broker that cannot work stops the start, not the first
    stream), and deliver what a transaction published when it commits."""
    from backend.live import services

    services.choose_broker(app.config["LIVE_BROKER"], app.config["SQLALCHEMY_DATABASE_URI"],
                           app.config["REDIS_URL"])
    services.check_channel(app.config["LIVE_CHANNEL"])
    services.watch_sessions()
