"""Position use cases: add a position (a BUY or an opening balance), correct one through
adjusting entries, remove one (a SELL of the whole holding, or deletion of its entries), and
import a broker statement. Each runs in one transaction and is replayed before it is written
(`resolvers.portfolios.change_ledger` for the first three)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from db.repos import portfolio_bars as bars_repo
from db.repos import portfolios as repo
from domain.errors import DomainError, ErrorCode
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import ZERO, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.records import Portfolio
from domain.portfolios.statements import MAX_ERRORS, check_with_ledger, parse_statement
from resolvers.accounts import require_user
from resolvers.context import Context
from resolvers.portfolio_views import PortfolioView, Settled
from resolvers.portfolios import LedgerChange, change_ledger, exchange_today

OPENING_NOTE = "Opening balance"


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


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What `importTransactions` did: the change written, or the errors (nothing written)."""

    change: LedgerChange | None
    errors: tuple[DomainError, ...]


async def import_transactions(ctx: Context, portfolio_id: uuid.UUID, text: str) -> ImportResult:
    """Import a broker-statement CSV (`domain.portfolios.statements`) all or nothing.

    Every line is validated and every error reported by line ("csv[3].price"); then the
    ledger is replayed with the imported lines in the portfolio's locked transaction and the
    first break named by its line. Nothing is written unless all of it holds.

    Raises:
        DomainError: NOT_FOUND for another user's portfolio.
    """
    user = require_user(ctx)
    today = exchange_today(ctx)
    holidays = await bars_repo.holidays(ctx.services.database.read)
    known = (await ctx.services.reference.get()).instrument_by_symbol
    async with ctx.services.database.primary.begin() as conn:
        found = await repo.portfolio_for_update(
            conn, portfolio_id=portfolio_id, user_id=user.user_id
        )
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such portfolio.", "portfolioId")
        lines, errors = parse_statement(text, found.policy, today=today, holidays=holidays)
        for s in lines:
            if s.entry.symbol is not None and s.entry.symbol not in known:
                errors.append(
                    DomainError(
                        ErrorCode.UNKNOWN_SYMBOL,
                        f"Line {s.line}: Unknown symbol '{s.entry.symbol}'.",
                        f"csv[{s.line}].symbol",
                    )
                )
        if errors:
            return ImportResult(None, tuple(sorted(errors, key=_line_of)[:MAX_ERRORS]))
        ledger = await repo.ledger(conn, portfolio_id)
        broken = check_with_ledger(ledger, lines, found.policy)
        if broken is not None:
            return ImportResult(None, (broken,))
        stored = await repo.add_transactions(conn, portfolio_id, [s.entry for s in lines])
        after = await repo.portfolio_for_update(
            conn, portfolio_id=portfolio_id, user_id=user.user_id
        )
        settled = None if after is None else Settled(after, [*ledger, *stored])
        if settled is not None:
            await settled.store(conn)
    # Committed: the next read of the new version finds it replayed.
    if settled is not None:
        settled.remember()
    return ImportResult(LedgerChange(PortfolioView(ctx, after or found), tuple(stored), ()), ())


def _line_of(err: DomainError) -> int:
    field = err.field or ""
    start, end = field.find("["), field.find("]")
    return int(field[start + 1 : end]) if 0 <= start < end else 0
