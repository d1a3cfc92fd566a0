"""Relay-style pages over an ordered sequence, with opaque offset cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import DomainError, ErrorCode

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 20
_PREFIX = "o:"


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the item at `offset`."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> int:
    """The offset a cursor stands for.

    Raises:
        DomainError: when the cursor was not made by `encode_cursor`.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        offset = int(raw[len(_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.INVALID, f"`{field}` is not a valid cursor.", field) from exc
    if offset < 0:
        raise DomainError(ErrorCode.INVALID, f"`{field}` is not a valid cursor.", field)
    return offset


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: items with their cursors, and where the page sits in the whole."""

    items: tuple[T, ...]
    cursors: tuple[str, ...]
    total: int
    has_next: bool
    has_previous: bool


def page_size(first: int | None) -> int:
    """The page size asked for: DEFAULT_PAGE when omitted.

    Raises:
        DomainError: OUT_OF_RANGE naming `first` outside 1..MAX_PAGE.
    """
    size = DEFAULT_PAGE if first is None else first
    if size < 1 or size > MAX_PAGE:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, f"`first` must be between 1 and {MAX_PAGE}.", "first"
        )
    return size


def page_of(items: Sequence[T], *, first: int | None, after: str | None) -> Page[T]:
    """Slice `items` after the cursor, `first` at a time (at most MAX_PAGE).

    Raises:
        DomainError: for a bad cursor or a page size outside 1..MAX_PAGE.
    """
    size = page_size(first)
    start = 0 if after is None else decode_cursor(after) + 1
    chunk = tuple(items[start : start + size])
    return Page(
        items=chunk,
        cursors=tuple(encode_cursor(start + i) for i in range(len(chunk))),
        total=len(items),
        has_next=start + size < len(items),
        has_previous=start > 0,
    )
