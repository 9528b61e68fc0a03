"""Password hashes: argon2id (OWASP's first choice), and the scrypt hashes made before it,
which still verify and are replaced at the next sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

from backend.common.settings import setting


@dataclass(frozen=True)
class Verdict:
    is_correct: bool
    # The hash is of an older kind or a lower cost than today's: store a new one.
    needs_rehash: bool = False


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)


def _current() -> PasswordHasher:
    return _hasher(setting("PASSWORD_HASH_MEMORY_KIB"), setting("PASSWORD_HASH_TIME_COST"))


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(stored: str, password: str) -> Verdict:
    if not stored.startswith("$argon2"):
        # werkzeug's "scrypt:…" or "pbkdf2:…", from before argon2id.
        return Verdict(check_password_hash(stored, password), needs_rehash=True)
    hasher = _current()
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return Verdict(False)
    return Verdict(True, needs_rehash=hasher.check_needs_rehash(stored))


@lru_cache(maxsize=4)
def _dummy(memory_kib: int, time_cost: int) -> str:
    return _hasher(memory_kib, time_cost).hash("not a real password")


def dummy_hash() -> str:
    """A hash to check an unknown username against, so that timing does not tell which
    accounts exist."""
    return _dummy(setting("PASSWORD_HASH_MEMORY_KIB"), setting("PASSWORD_HASH_TIME_COST"))
