"""Accounts, their roles, sign-in sessions and failed-sign-in counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.auth import ROLES
from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db

if TYPE_CHECKING:
    from backend.regions.models import Region


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Stored lower-case: "Worker1" and "worker1" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A worker's grid, a supervisor's region (the root of what they oversee).
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    # Department staff's department: they handle the cases dispatched to it.
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # By name: models import no other feature (the registry resolves it once all are loaded).
    region: Mapped[Region | None] = relationship("Region", lazy="joined")
    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def role_list(self) -> list[str]:
        return sorted(self.role_names)

    def set_roles(self, names) -> None:
        wanted = set(names)
        self.roles[:] = [r for r in self.roles if r.role in wanted]
        for name in sorted(wanted - self.role_names):
            self.roles.append(UserRole(role=name))


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role_known"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class AuthSession(db.Model):
    """One sign-in on one device: the refresh token's id, and what its access tokens point to.

    Signing out revokes the session, which ends its refresh token and its access tokens.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Refresh tokens rotate: each use gives a new one of the next generation. The one before
    # still works for a short grace (an answer lost on a bad line); any older one is a
    # stolen copy being replayed, and ends the session.
    refresh_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Consecutive failed sign-ins per key ("pair:<name>@<address>", "user:<name>" or
    "ip:<address>"); and "signup:<address>", the accounts made from an address in the
    window started at `last_failure_at` (backend/accounts/services.py _count_signup)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
