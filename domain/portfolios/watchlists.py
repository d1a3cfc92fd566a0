"""Watchlist rules: names, and the symbols a list may hold."""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import DomainError, ErrorCode
from domain.portfolios.inputs import check_portfolio_name

MAX_WATCHLISTS = 50
MAX_WATCHLIST_SYMBOLS = 200
_TOO_MANY = f"A watchlist holds at most {MAX_WATCHLIST_SYMBOLS} symbols."


def check_watchlist_name(name: str, field: str = "input.name") -> str:
    """A watchlist's name, trimmed: 1 to 80 characters, as a portfolio's.

    Raises:
        DomainError: when it is empty or too long.
    """
    return check_portfolio_name(name, field).strip()


def normalise_symbols(symbols: Sequence[str], known: frozenset[str], field: str) -> list[str]:
    """Symbols upper-cased, trimmed and de-duplicated in the order given.

    Raises:
        DomainError: UNKNOWN_SYMBOL naming the first unknown one (`field[i]`), or TOO_LARGE
            beyond MAX_WATCHLIST_SYMBOLS.
    """
    out: list[str] = []
    for i, raw in enumerate(symbols):
        symbol = raw.strip().upper()
        if symbol not in known:
            raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{raw}'.", f"{field}[{i}]")
        if symbol not in out:
            out.append(symbol)
    if len(out) > MAX_WATCHLIST_SYMBOLS:
        raise DomainError(
            ErrorCode.TOO_LARGE,
            f"A watchlist holds at most {MAX_WATCHLIST_SYMBOLS} symbols.",
            field,
        )
    return out


def check_size(current: Sequence[str], added: Sequence[str], field: str) -> None:
    """Refuse additions that would take a list past MAX_WATCHLIST_SYMBOLS.

    Raises:
        DomainError: TOO_LARGE on `field`.
    """
    if len(set(current) | set(added)) > MAX_WATCHLIST_SYMBOLS:
        raise DomainError(
            ErrorCode.TOO_LARGE,
            f"A watchlist holds at most {MAX_WATCHLIST_SYMBOLS} symbols.",
            field,
        )
