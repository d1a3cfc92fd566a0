"""Password hashing: argon2id with OWASP's settings (19 MiB, 2 passes, 1 lane).

These calls are CPU-bound (tens of milliseconds); callers run them off the event loop with
bounded concurrency (`resolvers/accounts.py`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified against for unknown emails, so their timing matches a real account's.
DUMMY_HASH = _HASHER.hash("not a real password: timing equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash (with its own salt and parameters)."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker settings than today's."""
    return _HASHER.check_needs_rehash(stored)
