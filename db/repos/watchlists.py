"""Watchlist storage: a user's named lists of symbols, read, changed and deleted by owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import DomainError, ErrorCode
from domain.portfolios.records import Watchlist


async def _watchlist_rows(
    conn: AsyncConnection, user_id: uuid.UUID, watchlist_id: uuid.UUID | None
) -> list[Watchlist]:
    sql = text(
        """
        SELECT w.id, w.user_id, w.name, w.created_at,
               coalesce((SELECT array_agg(i.symbol ORDER BY i.added_at, i.symbol)
                           FROM watchlist_items i WHERE i.watchlist_id = w.id), '{}') AS symbols
          FROM watchlists w
         WHERE w.user_id = :u AND (CAST(:id AS uuid) IS NULL OR w.id = :id)
         ORDER BY w.created_at, w.id
        """
    )
    rows = await conn.execute(sql, {"u": user_id, "id": watchlist_id})
    return [Watchlist(r.id, r.user_id, r.name, tuple(r.symbols), r.created_at) for r in rows]


async def watchlists_of(engine: AsyncEngine, user_id: uuid.UUID) -> list[Watchlist]:
    """The user's watchlists, oldest first."""
    async with engine.connect() as conn:
        return await _watchlist_rows(conn, user_id, None)


async def watchlists_in(conn: AsyncConnection, user_id: uuid.UUID) -> list[Watchlist]:
    """The user's watchlists, read on the caller's connection."""
    return await _watchlist_rows(conn, user_id, None)


async def watchlist_of(
    conn: AsyncConnection, *, watchlist_id: uuid.UUID, user_id: uuid.UUID
) -> Watchlist | None:
    """The user's watchlist; None when it is not theirs."""
    found = await _watchlist_rows(conn, user_id, watchlist_id)
    return found[0] if found else None


async def create_watchlist(
    conn: AsyncConnection, *, user_id: uuid.UUID, name: str, symbols: Sequence[str]
) -> uuid.UUID:
    """Store a new watchlist with its symbols; returns its id.

    Raises:
        DomainError: INVALID on "input.name" when the user has a watchlist of that name.
    """
    try:
        async with conn.begin_nested():
            watchlist_id: uuid.UUID = (
                await conn.execute(
                    text("INSERT INTO watchlists (user_id, name) VALUES (:u, :n) RETURNING id"),
                    {"u": user_id, "n": name},
                )
            ).scalar_one()
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.INVALID, "You already have a watchlist of that name.", "input.name"
        ) from exc
    await add_to_watchlist(conn, watchlist_id=watchlist_id, symbols=symbols)
    return watchlist_id


async def add_to_watchlist(
    conn: AsyncConnection, *, watchlist_id: uuid.UUID, symbols: Sequence[str]
) -> None:
    """Add symbols (those on it already stay where they are)."""
    if symbols:
        await conn.execute(
            text(
                "INSERT INTO watchlist_items (watchlist_id, symbol, added_at)"
                " SELECT :w, s, clock_timestamp() FROM unnest(CAST(:s AS text[])) AS s"
                " ON CONFLICT DO NOTHING"
            ),
            {"w": watchlist_id, "s": list(symbols)},
        )


async def remove_from_watchlist(
    conn: AsyncConnection, *, watchlist_id: uuid.UUID, symbols: Sequence[str]
) -> None:
    """Remove symbols from a watchlist."""
    await conn.execute(
        text("DELETE FROM watchlist_items WHERE watchlist_id = :w AND symbol = ANY(:s)"),
        {"w": watchlist_id, "s": list(symbols)},
    )


async def count_watchlists(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    """How many watchlists the user keeps, on the caller's connection."""
    count: int = (
        await conn.execute(
            text("SELECT count(*) FROM watchlists WHERE user_id = :u"), {"u": user_id}
        )
    ).scalar_one()
    return count


async def rename_watchlist(
    conn: AsyncConnection, *, watchlist_id: uuid.UUID, user_id: uuid.UUID, name: str
) -> bool:
    """Rename the user's watchlist; False when it is not theirs.

    Raises:
        DomainError: INVALID on "input.name" when the user has another of that name.
    """
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                text("UPDATE watchlists SET name = :n WHERE id = :id AND user_id = :u"),
                {"id": watchlist_id, "u": user_id, "n": name},
            )
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.INVALID, "You already have a watchlist of that name.", "input.name"
        ) from exc
    return bool(result.rowcount)


async def delete_watchlist(
    conn: AsyncConnection, *, watchlist_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Delete the user's watchlist and its symbols; False when it is not theirs."""
    result = await conn.execute(
        text("DELETE FROM watchlists WHERE id = :id AND user_id = :u"),
        {"id": watchlist_id, "u": user_id},
    )
    return bool(result.rowcount)
