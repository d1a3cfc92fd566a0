"""Expected failures, owned by the domain and surfaced as typed GraphQL errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(enum.StrEnum):
    """Machine-readable reasons for a rejected request."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LARGE = "TOO_LARGE"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    UNKNOWN_INDEX = "UNKNOWN_INDEX"
    UNSUPPORTED = "UNSUPPORTED"
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 - an error code
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code
    RATE_LIMITED = "RATE_LIMITED"


# Not frozen: context managers (contextlib, SQLAlchemy's transactions) set `__traceback__` on
# the exceptions that cross them, which a frozen dataclass refuses.
@dataclass(eq=False)
class DomainError(Exception):
    """A rule the request broke: `field` is the camelCase argument or input path."""

    code: ErrorCode
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message
