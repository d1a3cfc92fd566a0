"""Transactions as clients state them, validated into ledger entries with their defaults.

Errors name the camelCase input path ("input.quantity"). Defaults: a trade's settlement date
from the settlement cycle; a trade's fees (commission, CDC, levies) and taxes (sales tax on
the commission, CVT on purchases) from the portfolio's PSX cost model, each separately when
left out; a dividend's withholding at the filer or non-filer rate; zero otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import DomainError, ErrorCode
from domain.markets.costs import PAISA, CostBreakdown, Side, dividend_withholding, to_paisa
from domain.portfolios.ledger import (
    CASH_MOVES,
    MAX_NOTE,
    TRADES,
    ZERO,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.settlement import is_trading_day, settlement_date

TICK = Decimal("0.01")
DIVIDEND_PLACES = Decimal("0.0001")
BASE_CURRENCY = "PKR"
MAX_QUANTITY = 10**11
MAX_PRICE = Decimal(1_000_000)
MAX_AMOUNT = Decimal(10) ** 13
MAX_RATIO = Decimal(1000)
MAX_NAME = 80

_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,15}")


@dataclass(frozen=True, slots=True)
class TransactionInput:
    """A transaction as a client states it; None means "not given" (defaults apply)."""

    type: TransactionType
    trade_date: date
    symbol: str | None = None
    quantity: int | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    fees: Decimal | None = None
    taxes: Decimal | None = None
    settlement_date: date | None = None
    note: str | None = None


_T = TransactionType
_FIELDS: dict[TransactionType, frozenset[str]] = {
    _T.BUY: frozenset({"symbol", "quantity", "price", "fees", "taxes"}),
    _T.SELL: frozenset({"symbol", "quantity", "price", "fees", "taxes"}),
    _T.DIVIDEND: frozenset({"symbol", "quantity", "price", "fees", "taxes"}),
    _T.BONUS: frozenset({"symbol", "quantity", "taxes"}),
    _T.RIGHT: frozenset({"symbol", "quantity", "price", "fees", "taxes"}),
    _T.SPLIT: frozenset({"symbol", "ratio"}),
    _T.DEPOSIT: frozenset({"amount", "fees", "taxes"}),
    _T.WITHDRAWAL: frozenset({"amount", "fees", "taxes"}),
    _T.FEE: frozenset({"symbol", "amount", "taxes"}),
}
_REQUIRED: dict[TransactionType, tuple[str, ...]] = {
    _T.BUY: ("symbol", "quantity", "price"),
    _T.SELL: ("symbol", "quantity", "price"),
    _T.DIVIDEND: ("symbol", "quantity", "price"),
    _T.BONUS: ("symbol", "quantity"),
    _T.RIGHT: ("symbol", "quantity", "price"),
    _T.SPLIT: ("symbol", "ratio"),
    _T.DEPOSIT: ("amount",),
    _T.WITHDRAWAL: ("amount",),
    _T.FEE: ("amount",),
}


def split_costs(costs: CostBreakdown) -> tuple[Decimal, Decimal]:
    """A fill's charges as (fees, taxes): commission, CDC and levies; sales tax and CVT."""
    return costs.commission + costs.cdc + costs.fees, costs.sales_tax + costs.cvt


def check_portfolio_name(name: str, field: str = "input.name") -> str:
    """A portfolio's name, trimmed.

    Raises:
        DomainError: when it is empty or longer than 80 characters.
    """
    trimmed = name.strip()
    if not trimmed:
        raise DomainError(ErrorCode.INVALID, "A portfolio needs a name.", field)
    if len(trimmed) > MAX_NAME:
        raise DomainError(ErrorCode.TOO_LARGE, f"Names are at most {MAX_NAME} characters.", field)
    return trimmed


def check_base_currency(code: str, field: str = "input.baseCurrency") -> str:
    """A portfolio's base currency: PKR, the currency PSX trades in.

    Raises:
        DomainError: UNSUPPORTED for any other currency.
    """
    normalised = code.strip().upper()
    if normalised != BASE_CURRENCY:
        raise DomainError(
            ErrorCode.UNSUPPORTED, "Portfolios are kept in Pakistani rupees (PKR).", field
        )
    return normalised


def _given(inp: TransactionInput) -> dict[str, object]:
    values: dict[str, object] = {
        "symbol": inp.symbol,
        "quantity": inp.quantity,
        "price": inp.price,
        "amount": inp.amount,
        "ratio": inp.ratio,
        "fees": inp.fees,
        "taxes": inp.taxes,
    }
    return {k: v for k, v in values.items() if v is not None}


def _money(value: Decimal, field: str, what: str, *, positive: bool) -> Decimal:
    # Bounds before quantize: a huge value would overflow the decimal context there.
    if not value.is_finite() or value < 0 or (positive and value == 0):
        sign = "positive" if positive else "zero or more"
        raise DomainError(ErrorCode.INVALID, f"{what} must be {sign}.", field)
    if value > MAX_AMOUNT:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{what} is at most Rs 10 trillion.", field)
    if value != value.quantize(PAISA):
        raise DomainError(ErrorCode.INVALID, f"{what} is in rupees and paisa.", field)
    return value.quantize(PAISA)


def _price(value: Decimal, field: str, places: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise DomainError(ErrorCode.INVALID, "The price must be positive.", field)
    if value > MAX_PRICE:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "The price is at most Rs 1,000,000.", field)
    if value != value.quantize(places):
        where = "on the Rs 0.01 tick" if places == TICK else "in at most four decimals"
        raise DomainError(ErrorCode.INVALID, f"The price must be {where}.", field)
    return value.quantize(places)


def build_transaction(
    inp: TransactionInput,
    policy: PortfolioPolicy,
    *,
    today: date | None = None,
    holidays: frozenset[date] = frozenset(),
    path: str = "input",
    corporate_action_id: int | None = None,
) -> Transaction:
    """Validate a client's transaction and fill in its defaults.

    Defaults: a trade's settlement date from the settlement cycle (others settle on their
    trade date); a trade's fees and taxes from the policy's cost model, each separately when
    left out; a dividend's withholding tax at the filer or non-filer rate; zero otherwise.

    Args:
        inp: the transaction as given.
        policy: the portfolio's rules (cash, filer status, cost model).
        today: the exchange's current date; a later trade date is refused. None skips it.
        holidays: market holidays, for the settlement date and the trading-day check.
        path: the input's path in the request, prefix of every error's field.
        corporate_action_id: the market action a generated entry comes from.

    Raises:
        DomainError: naming the offending field, e.g. "input.quantity".
    """
    t = inp.type
    given = _given(inp)
    for name in given:
        if name not in _FIELDS[t]:
            raise DomainError(ErrorCode.INVALID, f"A {t.value} takes no {name}.", f"{path}.{name}")
    for name in _REQUIRED[t]:
        if name not in given:
            raise DomainError(ErrorCode.INVALID, f"A {t.value} needs a {name}.", f"{path}.{name}")
    if t in CASH_MOVES and not policy.tracks_cash:
        raise DomainError(
            ErrorCode.INVALID,
            "This portfolio keeps no cash balance: deposits and withdrawals do not apply.",
            f"{path}.type",
        )
    if today is not None and inp.trade_date > today:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, "The trade date is in the future.", f"{path}.tradeDate"
        )
    if t in TRADES and not is_trading_day(inp.trade_date, holidays):
        raise DomainError(ErrorCode.INVALID, "PSX does not trade on that day.", f"{path}.tradeDate")

    symbol = None
    if inp.symbol is not None:
        symbol = inp.symbol.strip().upper()
        if not _SYMBOL.fullmatch(symbol):
            raise DomainError(
                ErrorCode.INVALID,
                "Symbols are 1 to 16 letters, digits, dots or dashes.",
                f"{path}.symbol",
            )

    quantity = 0
    if inp.quantity is not None:
        quantity = inp.quantity
        if quantity < 1:
            raise DomainError(
                ErrorCode.INVALID,
                "The quantity is a whole number of shares, at least 1.",
                f"{path}.quantity",
            )
        if quantity > MAX_QUANTITY:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                "The quantity is at most 100 billion shares.",
                f"{path}.quantity",
            )

    price = ZERO
    if inp.price is not None:
        places = DIVIDEND_PLACES if t is TransactionType.DIVIDEND else TICK
        price = _price(inp.price, f"{path}.price", places)

    amount = ZERO
    if inp.amount is not None:
        amount = _money(inp.amount, f"{path}.amount", "The amount", positive=True)

    ratio = None
    if inp.ratio is not None:
        ratio = inp.ratio
        if not ratio.is_finite() or ratio <= 0 or ratio == 1 or ratio > MAX_RATIO:
            raise DomainError(
                ErrorCode.INVALID,
                "A split's ratio is new shares per old share: positive, not 1, at most 1000.",
                f"{path}.ratio",
            )

    fees = None if inp.fees is None else _money(inp.fees, f"{path}.fees", "Fees", positive=False)
    taxes = (
        None if inp.taxes is None else _money(inp.taxes, f"{path}.taxes", "Taxes", positive=False)
    )
    if t in TRADES and (fees is None or taxes is None):
        side = Side.BUY if t is TransactionType.BUY else Side.SELL
        model_fees, model_taxes = split_costs(policy.cost_model.costs(side, quantity, price))
        fees = model_fees if fees is None else fees
        taxes = model_taxes if taxes is None else taxes
    if t is TransactionType.DIVIDEND and taxes is None:
        taxes = dividend_withholding(to_paisa(price * quantity), filer=policy.filer)

    settles = inp.settlement_date
    if settles is None:
        settles = settlement_date(inp.trade_date, holidays) if t in TRADES else inp.trade_date
    elif settles < inp.trade_date:
        raise DomainError(
            ErrorCode.INVALID,
            "Settlement cannot come before the trade.",
            f"{path}.settlementDate",
        )

    note = (inp.note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"Notes are at most {MAX_NOTE} characters.", f"{path}.note"
        )

    return Transaction(
        type=t,
        trade_date=inp.trade_date,
        settlement_date=settles,
        symbol=symbol,
        quantity=quantity,
        price=price,
        amount=amount,
        ratio=ratio,
        fees=fees if fees is not None else ZERO,
        taxes=taxes if taxes is not None else ZERO,
        note=note,
        corporate_action_id=corporate_action_id,
    )
