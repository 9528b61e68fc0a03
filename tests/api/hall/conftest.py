"""A hall open around the clock (services A, B, C; windows 1–4), and a manager of it."""

from __future__ import annotations

import pytest

from backend.queue import services as queue
from tests import factories


@pytest.fixture
def hall(db):
    return factories.make_hall()


@pytest.fixture
def manager(db, hall):
    user = factories.make_user(roles=("hall_manager",), display_name="大厅负责人 孙丽")
    queue.add_manager(hall, user.id)
    db.session.commit()
    return user
