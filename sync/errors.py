"""What can go wrong: a request refused as a whole, or one mutation rejected."""

from __future__ import annotations


class SyncRequestError(Exception):
    """The request as a whole is refused and nothing of it is applied."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


class Rejection(Exception):
    """One mutation is not applied; the ones after it go on (status "rejected")."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}

    def as_error(self) -> dict:
        return {"code": self.code, "message": self.message, **({"details": self.details}
                                                                 if self.details else {})}
