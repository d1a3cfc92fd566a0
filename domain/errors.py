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


@dataclass(frozen=True, slots=True)
class DomainError(Exception):
    """A rule the request broke: `field` is the camelCase argument or input path."""

    code: ErrorCode
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message
