"""Watchlist use cases: create, rename, delete, add to, remove from, list mine. Another user's
watchlist is NOT_FOUND on `watchlistId`, the same error as an id that does not exist. The
plan caps how many watchlists a user keeps and how many symbols one holds
(`Entitlements.max_watchlists`, `max_watchlist_symbols`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos import watchlists as repo
from db.repos.portfolios import lock_owner
from domain.accounts.roles import ENTITLEMENTS
from domain.errors import DomainError, ErrorCode
from domain.portfolios.records import Watchlist
from domain.portfolios.watchlists import (
    check_count,
    check_size,
    check_watchlist_name,
    normalise_symbols,
)
from resolvers.accounts import require_user
from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class NewWatchlist:
    """What `createWatchlist` asks for."""

    name: str
    symbols: tuple[str, ...] = ()


async def _known(ctx: Context) -> frozenset[str]:
    ref = await ctx.services.reference.get()
    return frozenset(ref.instrument_by_symbol)


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such watchlist.", "watchlistId")


async def _owned(conn: AsyncConnection, watchlist_id: uuid.UUID, user_id: uuid.UUID) -> Watchlist:
    found = await repo.watchlist_of(conn, watchlist_id=watchlist_id, user_id=user_id)
    if found is None:
        raise _not_found()
    return found


async def create_watchlist(ctx: Context, cmd: NewWatchlist) -> Watchlist:
    """Create a watchlist for the signed-in user.

    Raises:
        DomainError: a bad or taken name, an unknown symbol ("input.symbols[i]"), too many
            symbols or watchlists for the plan (TOO_LARGE).
    """
    user = require_user(ctx)
    plan = ENTITLEMENTS[user.role]
    name = check_watchlist_name(cmd.name)
    symbols = normalise_symbols(
        cmd.symbols, await _known(ctx), "input.symbols", cap=plan.max_watchlist_symbols
    )
    async with ctx.services.database.primary.begin() as conn:
        await lock_owner(conn, user.user_id)
        check_count(await repo.count_watchlists(conn, user.user_id), plan.max_watchlists)
        created = await repo.create_watchlist(
            conn, user_id=user.user_id, name=name, symbols=symbols
        )
        return await _owned(conn, created, user.user_id)


async def add_to_watchlist(
    ctx: Context, watchlist_id: uuid.UUID, symbols: Sequence[str]
) -> Watchlist:
    """Add symbols to one of the user's watchlists (those on it stay where they are).

    Raises:
        DomainError: NOT_FOUND, an unknown symbol ("symbols[i]"), too many symbols for the
            plan (TOO_LARGE on "symbols").
    """
    user = require_user(ctx)
    cap = ENTITLEMENTS[user.role].max_watchlist_symbols
    wanted = normalise_symbols(symbols, await _known(ctx), "symbols", cap=cap)
    async with ctx.services.database.primary.begin() as conn:
        current = await _owned(conn, watchlist_id, user.user_id)
        check_size(current.symbols, wanted, "symbols", cap=cap)
        await repo.add_to_watchlist(conn, watchlist_id=watchlist_id, symbols=wanted)
        return await _owned(conn, watchlist_id, user.user_id)


async def remove_from_watchlist(
    ctx: Context, watchlist_id: uuid.UUID, symbols: Sequence[str]
) -> Watchlist:
    """Remove symbols from one of the user's watchlists (absent ones are ignored).

    Raises:
        DomainError: NOT_FOUND.
    """
    user = require_user(ctx)
    gone = [s.strip().upper() for s in symbols]
    async with ctx.services.database.primary.begin() as conn:
        await _owned(conn, watchlist_id, user.user_id)
        await repo.remove_from_watchlist(conn, watchlist_id=watchlist_id, symbols=gone)
        return await _owned(conn, watchlist_id, user.user_id)


async def rename_watchlist(ctx: Context, watchlist_id: uuid.UUID, name: str) -> Watchlist:
    """Rename one of the user's watchlists.

    Raises:
        DomainError: NOT_FOUND (also for another user's), a bad name or one taken by another
            of theirs ("input.name").
    """
    user = require_user(ctx)
    checked = check_watchlist_name(name)
    async with ctx.services.database.primary.begin() as conn:
        if not await repo.rename_watchlist(
            conn, watchlist_id=watchlist_id, user_id=user.user_id, name=checked
        ):
            raise _not_found()
        return await _owned(conn, watchlist_id, user.user_id)


async def delete_watchlist(ctx: Context, watchlist_id: uuid.UUID) -> uuid.UUID:
    """Delete one of the user's watchlists with its symbols; returns its id.

    Raises:
        DomainError: NOT_FOUND (also for another user's).
    """
    user = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        if not await repo.delete_watchlist(conn, watchlist_id=watchlist_id, user_id=user.user_id):
            raise _not_found()
    return watchlist_id


async def my_watchlists(ctx: Context) -> list[Watchlist]:
    """The signed-in user's watchlists, oldest first."""
    user = require_user(ctx)
    return await repo.watchlists_of(ctx.services.database.read, user.user_id)
