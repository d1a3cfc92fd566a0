"""Portfolio use cases: create, rename, delete, read mine, and change a ledger.

Every ledger change runs in one transaction with the portfolio row locked: the ledger is read,
the change written and the result replayed (`domain.portfolios.lots.replay`) before the
transaction commits, with the replay stored beside it; only a ledger that replays cleanly is
committed, so a SELL beyond the holding, a deletion that breaks a later SELL, or cash going
below zero is refused and the transaction rolls back with nothing written. Another user's
portfolio is NOT_FOUND on `portfolioId` for mutations and null for queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos import portfolio_bars as bars_repo
from db.repos import portfolios as repo
from domain.accounts.roles import ENTITLEMENTS
from domain.errors import DomainError, ErrorCode
from domain.markets.charts import trading_day_of
from domain.pagination import Page, page_of
from domain.portfolios.inputs import (
    TransactionInput,
    build_transaction,
    check_base_currency,
    check_portfolio_name,
)
from domain.portfolios.ledger import (
    CostMethod,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.records import Portfolio
from resolvers.accounts import require_user
from resolvers.context import Context
from resolvers.portfolio_views import PortfolioView, Settled, book_loader, ledger_loader


@dataclass(frozen=True, slots=True)
class NewPortfolio:
    """What `createPortfolio` asks for."""

    name: str
    cost_method: CostMethod = CostMethod.FIFO
    tracks_cash: bool = False
    filer: bool = True
    base_currency: str = "PKR"


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such portfolio.", "portfolioId")


def exchange_today(ctx: Context) -> date:
    """The exchange's calendar day now (Asia/Karachi)."""
    return trading_day_of(ctx.services.clock())


async def create_portfolio(ctx: Context, cmd: NewPortfolio) -> PortfolioView:
    """Create a portfolio for the signed-in user.

    Raises:
        DomainError: a bad or taken name, a currency other than PKR, or the tier's cap.
    """
    user = require_user(ctx)
    name = check_portfolio_name(cmd.name)
    check_base_currency(cmd.base_currency)
    policy = PortfolioPolicy(
        cost_method=cmd.cost_method, tracks_cash=cmd.tracks_cash, filer=cmd.filer
    )
    cap = ENTITLEMENTS[user.role].max_portfolios
    async with ctx.services.database.primary.begin() as conn:
        await repo.lock_owner(conn, user.user_id)
        if await repo.count_portfolios(conn, user.user_id) >= cap:
            raise DomainError(
                ErrorCode.TOO_LARGE, f"Your plan allows {cap} portfolios; delete one first."
            )
        created = await repo.create_portfolio(conn, user_id=user.user_id, name=name, policy=policy)
    return PortfolioView(ctx, created)


async def rename_portfolio(ctx: Context, portfolio_id: uuid.UUID, name: str) -> PortfolioView:
    """Rename one of the user's portfolios.

    Raises:
        DomainError: NOT_FOUND (also for another user's), a bad or taken name.
    """
    user = require_user(ctx)
    checked = check_portfolio_name(name)
    async with ctx.services.database.primary.begin() as conn:
        renamed = await repo.rename_portfolio(
            conn, portfolio_id=portfolio_id, user_id=user.user_id, name=checked
        )
    if renamed is None:
        raise _not_found()
    return PortfolioView(ctx, renamed)


async def delete_portfolio(ctx: Context, portfolio_id: uuid.UUID) -> uuid.UUID:
    """Delete one of the user's portfolios with its ledger; returns its id.

    Raises:
        DomainError: NOT_FOUND (also for another user's).
    """
    user = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        if not await repo.delete_portfolio(conn, portfolio_id=portfolio_id, user_id=user.user_id):
            raise _not_found()
    return portfolio_id


async def my_portfolios(ctx: Context) -> list[PortfolioView]:
    """The signed-in user's portfolios, oldest first (their ledgers load in one query)."""
    user = require_user(ctx)
    found = await repo.portfolios_of(ctx.services.database.read, user.user_id)
    ledgers, books = ledger_loader(ctx), book_loader(ctx)
    replays = book_loader(ctx, with_replay=True)
    return [PortfolioView(ctx, p, ledgers, books, replays) for p in found]


async def portfolio(ctx: Context, portfolio_id: uuid.UUID) -> PortfolioView | None:
    """One of the user's portfolios; None for an unknown id or another user's."""
    user = require_user(ctx)
    found = await repo.portfolio_of(
        ctx.services.database.read, portfolio_id=portfolio_id, user_id=user.user_id
    )
    return None if found is None else PortfolioView(ctx, found)


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Which entries `transactions` lists (None: any)."""

    symbol: str | None = None
    type: TransactionType | None = None
    start: date | None = None
    end: date | None = None


async def transactions(
    view: PortfolioView, flt: TransactionFilter, *, first: int | None, after: str | None
) -> Page[Transaction]:
    """A page of the ledger, newest first, filtered.

    Raises:
        DomainError: a bad cursor or page size.
    """
    symbol = None if flt.symbol is None else flt.symbol.strip().upper()
    rows = [
        tx
        for tx in reversed(await view.ledger())
        if (symbol is None or tx.symbol == symbol)
        and (flt.type is None or tx.type is flt.type)
        and (flt.start is None or tx.trade_date >= flt.start)
        and (flt.end is None or tx.trade_date <= flt.end)
    ]
    return page_of(rows, first=first, after=after)


# Ledger changes


@dataclass(frozen=True, slots=True)
class LedgerChange:
    """What a mutation did to a ledger: the entries written and the ids deleted."""

    view: PortfolioView
    added: tuple[Transaction, ...]
    deleted: tuple[int, ...]


async def _check_symbols(ctx: Context, entries: Sequence[Transaction], path: str) -> None:
    ref = await ctx.services.reference.get()
    for e in entries:
        if e.symbol is not None and e.symbol not in ref.instrument_by_symbol:
            raise DomainError(
                ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{e.symbol}'.", f"{path}.symbol"
            )


async def change_ledger(
    ctx: Context,
    portfolio_id: uuid.UUID,
    edit: Callable[
        [Portfolio, list[Transaction], frozenset[date]],
        tuple[list[Transaction], list[int]],
    ],
    *,
    path: str = "input",
    conn_hook: Callable[[AsyncConnection, Portfolio], Awaitable[None]] | None = None,
) -> LedgerChange:
    """Apply an edit to a portfolio's ledger in one transaction, if the result replays.

    Args:
        ctx: the request.
        portfolio_id: the user's portfolio.
        edit: given the portfolio, its ledger and the market holidays, the entries to add
            and the ids to delete (raising DomainError for bad input).
        path: the input's path, prefix of the replay's error fields.
        conn_hook: run inside the transaction before the edit (e.g. to read market data).

    Raises:
        DomainError: NOT_FOUND for another user's portfolio, or the edit's or the replay's
            error; nothing is written then.
    """
    user = require_user(ctx)
    holidays = await bars_repo.holidays(ctx.services.database.read)
    async with ctx.services.database.primary.begin() as conn:
        found = await repo.portfolio_for_update(
            conn, portfolio_id=portfolio_id, user_id=user.user_id
        )
        if found is None:
            raise _not_found()
        if conn_hook is not None:
            await conn_hook(conn, found)
        current = await repo.ledger(conn, portfolio_id)
        added, deleted = edit(found, current, holidays)
        await _check_symbols(ctx, added, path)
        gone = set(deleted)
        kept = [tx for tx in current if tx.id not in gone]
        await repo.delete_transactions(conn, portfolio_id, deleted)
        stored = await repo.add_transactions(conn, portfolio_id, added)
        # Read again for the new ledger version the book and the view's cache are keyed by.
        after = (
            await repo.portfolio_for_update(conn, portfolio_id=portfolio_id, user_id=user.user_id)
            or found
        )
        # Replayed once, as stored: a ledger that does not replay raises here, and the
        # transaction rolls back with nothing written.
        settled = Settled(after, [*kept, *stored], path=path)
        await settled.store(conn)
    # Committed: the next read of the new version finds it replayed.
    settled.remember()
    return LedgerChange(PortfolioView(ctx, after), tuple(stored), tuple(deleted))


async def record_transaction(
    ctx: Context, portfolio_id: uuid.UUID, inp: TransactionInput
) -> LedgerChange:
    """Add one entry to the ledger.

    Raises:
        DomainError: NOT_FOUND, invalid input ("input.<field>"), an unknown symbol, or a
            ledger that would not replay (a SELL beyond the holding is "input.quantity").
    """
    today = exchange_today(ctx)

    def edit(
        p: Portfolio, _ledger: list[Transaction], holidays: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        return [build_transaction(inp, p.policy, today=today, holidays=holidays)], []

    return await change_ledger(ctx, portfolio_id, edit)


async def delete_transaction(
    ctx: Context, portfolio_id: uuid.UUID, transaction_id: int
) -> LedgerChange:
    """Delete one entry, if the ledger still replays without it.

    Raises:
        DomainError: NOT_FOUND (portfolio or entry), or INVALID on "transactionId" when a
            later entry depends on it (a SELL of the shares it bought).
    """

    def edit(
        _p: Portfolio, ledger: list[Transaction], _h: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        if not any(tx.id == transaction_id for tx in ledger):
            raise DomainError(ErrorCode.NOT_FOUND, "No such transaction.", "transactionId")
        return [], [transaction_id]

    try:
        return await change_ledger(ctx, portfolio_id, edit)
    except DomainError as err:
        if err.field is not None and err.field.startswith("input."):
            raise DomainError(
                err.code, f"Deleting it would break the ledger: {err.message}", "transactionId"
            ) from err
        raise
