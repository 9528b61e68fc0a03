"""Who may see what: the filter a pull applies to the change log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Scope:
    """Everything, or records under a region path, plus the user's own and public records."""

    user_id: uuid.UUID
    everything: bool = False
    path_prefix: str | None = None

    def signature(self) -> str:
        """What a cursor remembers, to notice when the user's scope has changed."""
        return "*" if self.everything else (self.path_prefix or "-")

    @classmethod
    def from_signature(cls, user_id: uuid.UUID, signature: str) -> Scope:
        if signature == "*":
            return cls(user_id=user_id, everything=True)
        return cls(user_id=user_id, path_prefix=None if signature == "-" else signature)

    def covers(self, scope_path: str | None, owner_id: uuid.UUID | None, is_public: bool) -> bool:
        if self.everything or is_public or (owner_id is not None and owner_id == self.user_id):
            return True
        return bool(self.path_prefix and scope_path and scope_path.startswith(self.path_prefix))

    def clause(self, changes: sa.Table) -> sa.ColumnElement[bool]:
        if self.everything:
            return sa.true()
        # Never NULL, so that NOT(clause) means "outside this scope" (leaving a scope).
        terms = [changes.c.is_public.is_(True),
                 sa.and_(changes.c.owner_id.is_not(None), changes.c.owner_id == self.user_id)]
        if self.path_prefix:
            terms.append(sa.and_(changes.c.scope_path.is_not(None),
                                 changes.c.scope_path.startswith(self.path_prefix, autoescape=True)))
        return sa.or_(*terms)
