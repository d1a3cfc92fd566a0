"""Portfolio books: each portfolio's replayed ledger at a ledger version, its holdings and
its replay read apart (`domain.portfolios.books` holds their layout)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos import portfolios as portfolio_repo
from domain.errors import DomainError
from domain.portfolios.books import FORMAT, encode_holdings, encode_replay
from domain.portfolios.holdings import Book
from domain.portfolios.ledger import Transaction
from domain.portfolios.lots import replay
from domain.portfolios.records import Portfolio

_SAVE = text(
    "INSERT INTO portfolio_books (portfolio_id, ledger_version, holdings, ledger)"
    " VALUES (:p, :v, CAST(:h AS jsonb), :l)"
    " ON CONFLICT (portfolio_id) DO UPDATE SET ledger_version = excluded.ledger_version,"
    " holdings = excluded.holdings, ledger = excluded.ledger, updated_at = now()"
)
# Books missing, of an older ledger version, or written in another layout (`FORMAT`).
_STALE = text(
    "SELECT p.id FROM portfolios p LEFT JOIN portfolio_books b ON b.portfolio_id = p.id"
    " WHERE b.portfolio_id IS NULL OR b.ledger_version <> p.ledger_version"
    " OR b.holdings->'format' IS DISTINCT FROM to_jsonb(CAST(:format AS integer)) ORDER BY p.id"
)
_READ = (
    "SELECT portfolio_id, ledger_version, holdings::text AS holdings{} FROM portfolio_books"
    " WHERE portfolio_id = ANY(:ids)"
)
_READ_HOLDINGS = text(_READ.format(""))
_READ_WITH_LEDGER = text(_READ.format(", ledger"))


@dataclass(frozen=True, slots=True)
class StoredBook:
    """A stored book and the ledger version it was replayed at (`ledger`: the replay, when
    it was read)."""

    ledger_version: int
    holdings: Mapping[str, Any]
    ledger: Mapping[str, Any] | None = None


async def books(
    conn: AsyncConnection, portfolio_ids: Sequence[uuid.UUID], *, with_replay: bool = False
) -> dict[uuid.UUID, StoredBook]:
    """The stored books of these portfolios (those that have one): their holdings, and with
    `with_replay` the replay too."""
    sql = _READ_WITH_LEDGER if with_replay else _READ_HOLDINGS
    rows = await conn.execute(sql, {"ids": list(portfolio_ids)})
    return {
        r.portfolio_id: StoredBook(
            int(r.ledger_version),
            orjson.loads(r.holdings),
            orjson.loads(r.ledger) if with_replay else None,
        )
        for r in rows
    }


async def store_replay(
    conn: AsyncConnection, portfolio: Portfolio, ledger: Sequence[Transaction], book: Book
) -> None:
    """Store a ledger (in stored order) and its replay as the portfolio's book at its current
    ledger version, replacing the one before (in the ledger change's transaction)."""
    params = {
        "p": portfolio.id,
        "v": portfolio.ledger_version,
        "h": orjson.dumps(encode_holdings(book)).decode(),
        "l": orjson.dumps(encode_replay(ledger, book)),
    }
    await conn.execute(_SAVE, params)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What `rebuild_books` did: books stored, and portfolios whose ledger does not replay
    (with why), left without one."""

    stored: int
    broken: tuple[tuple[uuid.UUID, str], ...]


async def rebuild_books(engine: AsyncEngine) -> Rebuilt:
    """Store the book of every portfolio that has none of its current ledger version (written
    before the books existed, changed outside the API, or stored in an older layout), each in
    its own transaction with the portfolio locked, so a change made meanwhile is waited for,
    not overwritten."""
    async with engine.connect() as conn:
        stale = [r.id for r in await conn.execute(_STALE, {"format": FORMAT})]
    stored = 0
    broken: list[tuple[uuid.UUID, str]] = []
    for portfolio_id in stale:
        async with engine.begin() as conn:
            found = await portfolio_repo.portfolio_locked(conn, portfolio_id)
            if found is None:
                continue
            ledger = await portfolio_repo.ledger(conn, portfolio_id)
            try:
                book = replay(ledger, found.policy)
            except DomainError as err:
                broken.append((portfolio_id, err.message))
                continue
            await store_replay(conn, found, ledger, book)
            stored += 1
    return Rebuilt(stored, tuple(broken))
