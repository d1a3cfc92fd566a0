"""Watchlist rules: names, and the symbols a list may hold (the plan's caps are passed in:
`Entitlements.max_watchlists` and `max_watchlist_symbols`)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import DomainError, ErrorCode
from domain.portfolios.inputs import check_portfolio_name


def check_watchlist_name(name: str, field: str = "input.name") -> str:
    """A watchlist's name, trimmed: 1 to 80 characters, as a portfolio's.

    Raises:
        DomainError: when it is empty or too long.
    """
    return check_portfolio_name(name, field).strip()


def _too_many(cap: int, field: str) -> DomainError:
    return DomainError(
        ErrorCode.TOO_LARGE, f"Your plan allows {cap} symbols on a watchlist.", field
    )


def normalise_symbols(
    symbols: Sequence[str], known: frozenset[str], field: str, *, cap: int
) -> list[str]:
    """Symbols upper-cased, trimmed and de-duplicated in the order given.

    Raises:
        DomainError: UNKNOWN_SYMBOL naming the first unknown one (`field[i]`), or TOO_LARGE
            on `field` beyond `cap` symbols.
    """
    out: list[str] = []
    for i, raw in enumerate(symbols):
        symbol = raw.strip().upper()
        if symbol not in known:
            raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{raw}'.", f"{field}[{i}]")
        if symbol not in out:
            out.append(symbol)
    if len(out) > cap:
        raise _too_many(cap, field)
    return out


def check_size(current: Sequence[str], added: Sequence[str], field: str, *, cap: int) -> None:
    """Refuse additions that would take a list past `cap` symbols.

    Raises:
        DomainError: TOO_LARGE on `field`.
    """
    if len(set(current) | set(added)) > cap:
        raise _too_many(cap, field)


def check_count(existing: int, cap: int) -> None:
    """Refuse a new watchlist when the user keeps `cap` already.

    Raises:
        DomainError: TOO_LARGE (no field: no input is at fault).
    """
    if existing >= cap:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"Your plan allows {cap} watchlists; delete one first."
        )
