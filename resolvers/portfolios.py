"""Portfolio use cases: create, rename, delete, read mine, and change a ledger.

Every ledger change runs in one transaction with the portfolio row locked: the ledger is read,
the change applied to it in memory and the result replayed (`domain.portfolios.lots.replay`);
only a ledger that replays cleanly is written, so a SELL beyond the holding, a deletion that
breaks a later SELL, or cash going below zero is refused and nothing is written. Another
user's portfolio is NOT_FOUND on `portfolioId` for mutations and null for queries.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from db.repos import portfolios as repo
from domain.accounts.roles import ENTITLEMENTS
from domain.errors import DomainError, ErrorCode
from domain.markets.charts import trading_day_of
from domain.pagination import Page, page_of
from domain.portfolios.holdings import Book
from domain.portfolios.inputs import (
    TransactionInput,
    build_transaction,
    check_base_currency,
    check_portfolio_name,
)
from domain.portfolios.ledger import (
    ZERO,
    CostMethod,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.lots import replay
from domain.portfolios.positions import PriceQuote, Valuation, value_book
from domain.portfolios.records import Portfolio
from resolvers.accounts import require_user
from resolvers.context import Context

T = TypeVar("T")
OPENING_NOTE = "Opening balance"


class Once(Generic[T]):
    """A value computed at most once however many sibling fields await it concurrently."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._task: asyncio.Future[T] | None = None

    async def get(self) -> T:
        """The value (computed on the first call)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._make())
        return await self._task


def ledger_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Transaction]]:
    """A loader of ledgers by portfolio id: the portfolios of one request in one query."""

    async def load(ids: Sequence[uuid.UUID]) -> list[list[Transaction]]:
        async with ctx.services.database.read.connect() as conn:
            found = await repo.ledgers(conn, ids)
        return [found[i] for i in ids]

    return DataLoader(load_fn=load)


class PortfolioView:
    """One portfolio as a request sees it: the ledger, the book and the valuation, each read
    or computed once and shared by the fields that need them."""

    def __init__(
        self,
        ctx: Context,
        portfolio: Portfolio,
        ledgers: DataLoader[uuid.UUID, list[Transaction]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.portfolio = portfolio
        loader = ledgers or ledger_loader(ctx)
        self._ledger = Once(lambda: loader.load(portfolio.id))
        self._book = Once(self._make_book)
        self._valuation: dict[bool, Once[Valuation]] = {}

    async def ledger(self) -> list[Transaction]:
        """The ledger in stored order."""
        return await self._ledger.get()

    async def book(self) -> Book:
        """The ledger replayed."""
        return await self._book.get()

    async def valuation(self, *, include_closed: bool = False) -> Valuation:
        """The holdings valued at the latest quotes (unpriced ones at cost)."""
        once = self._valuation.get(include_closed)
        if once is None:
            once = self._valuation[include_closed] = Once(
                lambda: self._make_valuation(include_closed)
            )
        return await once.get()

    async def _make_book(self) -> Book:
        return replay(await self.ledger(), self.portfolio.policy)

    async def _make_valuation(self, include_closed: bool) -> Valuation:
        book = await self.book()
        symbols = [h.symbol for h in book.open_holdings]
        quotes = await self.ctx.loaders.quotes_by_symbol.load_many(symbols)
        prices = {
            s: PriceQuote(q.last, q.prev_close)
            for s, q in zip(symbols, quotes, strict=True)
            if q is not None
        }
        return value_book(book, prices, include_closed=include_closed)


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
    loader = ledger_loader(ctx)
    return [PortfolioView(ctx, p, loader) for p in found]


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
    holidays = await repo.holidays(ctx.services.database.read)
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
        replay([*kept, *added], found.policy, path=path)
        await repo.delete_transactions(conn, portfolio_id, deleted)
        stored = await repo.add_transactions(conn, portfolio_id, added)
    return LedgerChange(PortfolioView(ctx, found), tuple(stored), tuple(deleted))


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


@dataclass(frozen=True, slots=True)
class NewPosition:
    """What `addPosition` asks for: a BUY at a price on a day, or an opening balance (shares
    already held at an average cost, with no charges; where the portfolio keeps cash, their
    cost comes in as a deposit of the same day)."""

    symbol: str
    quantity: int
    price: Decimal
    trade_date: date | None = None
    fees: Decimal | None = None
    taxes: Decimal | None = None
    opening_balance: bool = False
    note: str | None = None


async def add_position(ctx: Context, portfolio_id: uuid.UUID, cmd: NewPosition) -> LedgerChange:
    """Record a purchase, or an opening balance, of a symbol.

    Raises:
        DomainError: as `record_transaction`; "input.fees"/"input.taxes" on an opening
            balance that gives them.
    """
    today = exchange_today(ctx)
    day = cmd.trade_date or today
    if cmd.opening_balance and (cmd.fees is not None or cmd.taxes is not None):
        field = "fees" if cmd.fees is not None else "taxes"
        raise DomainError(
            ErrorCode.INVALID, "An opening balance carries no charges.", f"input.{field}"
        )

    def edit(
        p: Portfolio, _ledger: list[Transaction], holidays: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        zero = ZERO if cmd.opening_balance else None
        buy = build_transaction(
            TransactionInput(
                TransactionType.BUY,
                day,
                symbol=cmd.symbol,
                quantity=cmd.quantity,
                price=cmd.price,
                fees=cmd.fees if zero is None else zero,
                taxes=cmd.taxes if zero is None else zero,
                note=cmd.note if cmd.note is not None or not cmd.opening_balance else OPENING_NOTE,
            ),
            p.policy,
            today=today,
            holidays=holidays,
        )
        if not (cmd.opening_balance and p.policy.tracks_cash):
            return [buy], []
        deposit = build_transaction(
            TransactionInput(TransactionType.DEPOSIT, day, amount=buy.gross, note=OPENING_NOTE),
            p.policy,
            today=today,
        )
        return [deposit, buy], []

    return await change_ledger(ctx, portfolio_id, edit)


@dataclass(frozen=True, slots=True)
class PositionRemoval:
    """What `removePosition` asks for: sell every share at `price` on `trade_date` (today
    when None), or, with `delete_entries`, delete every entry of the symbol."""

    symbol: str
    price: Decimal | None = None
    trade_date: date | None = None
    delete_entries: bool = False


async def remove_position(
    ctx: Context, portfolio_id: uuid.UUID, cmd: PositionRemoval
) -> LedgerChange:
    """Close a position by a SELL of the whole holding, or delete its entries.

    Raises:
        DomainError: NOT_FOUND (portfolio, or a symbol the ledger lacks: "input.symbol"),
            "input.price" for a sale without a price or a deletion with one, or a ledger that
            would not replay (cash spent on the deleted shares' sale, say).
    """
    symbol = cmd.symbol.strip().upper()
    today = exchange_today(ctx)
    if cmd.delete_entries and cmd.price is not None:
        raise DomainError(ErrorCode.INVALID, "Deleting entries takes no price.", "input.price")
    if not cmd.delete_entries and cmd.price is None:
        raise DomainError(ErrorCode.INVALID, "A sale needs a price.", "input.price")

    def edit(
        p: Portfolio, ledger: list[Transaction], holidays: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        mine = [tx for tx in ledger if tx.symbol == symbol]
        if not mine:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No {symbol} in this portfolio.", "input.symbol"
            )
        if cmd.delete_entries:
            return [], [tx.id for tx in mine if tx.id is not None]
        day = cmd.trade_date or today
        held = replay(ledger, p.policy, as_of=day).holding(symbol)
        quantity = 0 if held is None else held.quantity
        if quantity == 0:
            raise DomainError(
                ErrorCode.INVALID, f"No {symbol} is held on {day.isoformat()}.", "input.symbol"
            )
        sell = TransactionInput(
            TransactionType.SELL, day, symbol=symbol, quantity=quantity, price=cmd.price
        )
        return [build_transaction(sell, p.policy, today=today, holidays=holidays)], []

    return await change_ledger(ctx, portfolio_id, edit)


@dataclass(frozen=True, slots=True)
class PositionCorrection:
    """What `updatePosition` asks for: the quantity and/or total cost the holding should have
    on `trade_date` (today when None). None leaves one as it is."""

    symbol: str
    quantity: int | None = None
    cost_basis: Decimal | None = None
    trade_date: date | None = None
    note: str | None = None


async def update_position(
    ctx: Context, portfolio_id: uuid.UUID, cmd: PositionCorrection
) -> LedgerChange:
    """Correct a holding's quantity and cost through charge-free adjusting entries noted
    "Adjustment", so the history stays on the ledger.

    Without a cost basis the average cost is kept: more shares are a BUY of the difference
    at the average cost, fewer a SELL of the difference at it (no gain). With one, more shares
    and more cost are a BUY of the difference at the price that adds the difference in cost;
    any other target sells the holding at its average cost and buys the target back at
    cost basis / quantity. Prices are rounded to the Rs 0.01 tick, so the cost lands within
    half a paisa a share of the target.

    Raises:
        DomainError: NOT_FOUND, nothing to change ("input"), a bad target
            ("input.quantity", "input.costBasis"), or a ledger that would not replay.
    """
    symbol = cmd.symbol.strip().upper()
    today = exchange_today(ctx)
    day = cmd.trade_date or today
    note = cmd.note or "Adjustment"
    if cmd.quantity is None and cmd.cost_basis is None:
        raise DomainError(ErrorCode.INVALID, "Give a quantity or a cost basis.", "input")
    if cmd.quantity is not None and cmd.quantity < 0:
        raise DomainError(ErrorCode.INVALID, "The quantity cannot be negative.", "input.quantity")
    if cmd.cost_basis is not None and cmd.cost_basis < 0:
        raise DomainError(
            ErrorCode.INVALID, "The cost basis cannot be negative.", "input.costBasis"
        )

    def edit(
        p: Portfolio, ledger: list[Transaction], holidays: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        held = replay(ledger, p.policy, as_of=day).holding(symbol)
        if held is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No {symbol} in this portfolio.", "input.symbol"
            )
        q, c = held.quantity, held.cost
        target_q = q if cmd.quantity is None else cmd.quantity

        def entry(kind: TransactionType, qty: int, price: Decimal) -> Transaction:
            tick = price.quantize(Decimal("0.01"))
            if tick <= 0:
                raise DomainError(
                    ErrorCode.INVALID, "That cost basis is too low.", "input.costBasis"
                )
            inp = TransactionInput(
                kind,
                day,
                symbol=symbol,
                quantity=qty,
                price=tick,
                fees=ZERO,
                taxes=ZERO,
                note=note,
            )
            return build_transaction(inp, p.policy, today=today, holidays=holidays)

        if cmd.cost_basis is None:
            if q == 0:
                raise DomainError(
                    ErrorCode.INVALID, f"No {symbol} is held: give a cost basis.", "input.costBasis"
                )
            avg = c / q
            if target_q > q:
                return [entry(TransactionType.BUY, target_q - q, avg)], []
            if target_q < q:
                return [entry(TransactionType.SELL, q - target_q, avg)], []
            raise DomainError(ErrorCode.INVALID, "The holding is already so.", "input")
        target_c = cmd.cost_basis
        if target_q == q and target_c == c:
            raise DomainError(ErrorCode.INVALID, "The holding is already so.", "input")
        if target_q == 0 and target_c != 0:
            raise DomainError(ErrorCode.INVALID, "No shares cannot have a cost.", "input.costBasis")
        if target_q > q and target_c > c:
            return [entry(TransactionType.BUY, target_q - q, (target_c - c) / (target_q - q))], []
        out = [entry(TransactionType.SELL, q, c / q)] if q else []
        if target_q:
            out.append(entry(TransactionType.BUY, target_q, target_c / target_q))
        return out, []

    return await change_ledger(ctx, portfolio_id, edit)
