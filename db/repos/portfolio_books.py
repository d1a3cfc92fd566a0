"""Portfolio books: each portfolio's replayed ledger at a ledger version, its holdings and
its replay read apart (`domain.portfolios.books` holds their layout)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_SAVE = text(
    "INSERT INTO portfolio_books (portfolio_id, ledger_version, holdings, ledger)"
    " VALUES (:p, :v, CAST(:h AS jsonb), :l)"
    " ON CONFLICT (portfolio_id) DO UPDATE SET ledger_version = excluded.ledger_version,"
    " holdings = excluded.holdings, ledger = excluded.ledger, updated_at = now()"
)
_READ = text(
    "SELECT portfolio_id, ledger_version, holdings::text AS holdings FROM portfolio_books"
    " WHERE portfolio_id = ANY(:ids)"
)
_READ_ALL = text(
    "SELECT portfolio_id, ledger_version, holdings::text AS holdings, ledger"
    " FROM portfolio_books WHERE portfolio_id = ANY(:ids)"
)


@dataclass(frozen=True, slots=True)
class StoredBook:
    """A stored book and the ledger version it was replayed at."""

    ledger_version: int
    holdings: Mapping[str, Any]
    ledger: Mapping[str, Any] | None = None


async def save_book(
    conn: AsyncConnection,
    portfolio_id: uuid.UUID,
    ledger_version: int,
    *,
    holdings: Mapping[str, Any],
    ledger: Mapping[str, Any],
) -> None:
    """Store the portfolio's book replayed at `ledger_version` (in the ledger change's
    transaction), replacing the one before."""
    params = {
        "p": portfolio_id,
        "v": ledger_version,
        "h": orjson.dumps(holdings).decode(),
        "l": orjson.dumps(ledger),
    }
    await conn.execute(_SAVE, params)


async def books(
    conn: AsyncConnection, portfolio_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StoredBook]:
    """The stored books of these portfolios (those that have one)."""
    rows = await conn.execute(_READ, {"ids": list(portfolio_ids)})
    return {
        r.portfolio_id: StoredBook(int(r.ledger_version), orjson.loads(r.holdings)) for r in rows
    }


async def replays(
    conn: AsyncConnection, portfolio_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StoredBook]:
    """The stored books of these portfolios with their replays (those that have one)."""
    rows = await conn.execute(_READ_ALL, {"ids": list(portfolio_ids)})
    return {
        r.portfolio_id: StoredBook(
            int(r.ledger_version), orjson.loads(r.holdings), orjson.loads(r.ledger)
        )
        for r in rows
    }
