"""The portfolio's value at each session's close, replayed from the ledger and daily closes.

External flows are what crosses the portfolio's boundary: deposits (+) and withdrawals (-)
where it keeps cash; every transaction's cash where it does not (a purchase is money put in,
a sale's proceeds and a dividend are money taken out, a fee is money put in to pay it).
Flows land at the open of the session on or after their trade date, so a session's return is
`value / (previous value + flow) - 1`: chaining those is the time-weighted return.

A holding is valued at its latest close on or before the session; before its first close, at
its latest trade price in the ledger; with neither, at its cost.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.markets.costs import to_paisa
from domain.portfolios.holdings import Book, Step
from domain.portfolios.ledger import (
    ZERO,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.lots import replay
from domain.portfolios.trail import BOUND, NO_PRICE, PRICED, trail_columns

Closes = Mapping[str, Mapping[date, Decimal]]


class CloseSeries(Mapping[date, Decimal]):
    """A symbol's closes by day, oldest first, kept as day ordinals and whole paisa (int64
    arrays) as the database gives them: a valuation reads the arrays, and the Decimal
    mapping is made only when a close is looked up by day. `paisa` is None when a close is
    not a whole number of paisa (such a series is valued in Decimal). Immutable."""

    __slots__ = ("_by_day", "ordinals", "paisa")

    def __init__(
        self,
        ordinals: npt.NDArray[np.int64],
        paisa: npt.NDArray[np.int64] | None,
        by_day: Mapping[date, Decimal] | None = None,
    ) -> None:
        """Closes on days `ordinals` (increasing), in paisa; `by_day` the same closes as a
        mapping (made from the paisa when None)."""
        if by_day is None and paisa is None:
            raise ValueError("a close series needs its closes, in paisa or by day")
        self.ordinals = ordinals
        self.paisa = paisa
        self._by_day = by_day

    @classmethod
    def of(cls, closes: Mapping[date, Decimal]) -> CloseSeries:
        """The series of closes given by day (sorted here), made paisa where they are whole."""
        by_day = dict(sorted(closes.items()))
        ordinals = np.fromiter(map(date.toordinal, by_day), np.int64, len(by_day))
        return cls(ordinals, _closes_in_paisa(by_day.values()), by_day)

    def from_day(self, first: date) -> CloseSeries:
        """The closes from `first` on, the last close before it carried to `first`."""
        day = first.toordinal()
        at = int(np.searchsorted(self.ordinals, day))
        carry = at > 0 and (at == len(self.ordinals) or int(self.ordinals[at]) != day)
        start = at - 1 if carry else at
        ordinals = self.ordinals[start:].copy()
        if carry:
            ordinals[0] = day
        paisa = None if self.paisa is None else self.paisa[start:]
        by_day = None
        if self.paisa is None:
            values = list(self._days().values())[start:]
            by_day = dict(zip(map(date.fromordinal, ordinals.tolist()), values, strict=True))
        return CloseSeries(ordinals, paisa, by_day)

    def levels(self) -> npt.NDArray[np.float64]:
        """The closes as floats (rupees), for statistics."""
        if self.paisa is not None:
            out: npt.NDArray[np.float64] = self.paisa / 100.0
            return out
        return np.fromiter(map(float, self._days().values()), np.float64, len(self.ordinals))

    def _days(self) -> Mapping[date, Decimal]:
        if self._by_day is None and self.paisa is not None:
            self._by_day = dict(
                zip(
                    map(date.fromordinal, self.ordinals.tolist()),
                    (Decimal(p).scaleb(-2) for p in self.paisa.tolist()),
                    strict=True,
                )
            )
        return self._by_day or {}

    def __getitem__(self, day: date) -> Decimal:
        return self._days()[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._days())

    def __len__(self) -> int:
        return len(self.ordinals)


@dataclass(frozen=True, slots=True)
class ValuationPoint:
    """The portfolio at one session's close.

    `market_values` holds each symbol held (at cost where it has no price), so that
    `holdings_value` is their sum and `value` = `holdings_value` + `cash` (where kept).
    `daily_return` is None when no capital was at risk (previous value + flow <= 0).
    """

    day: date
    value: Decimal
    holdings_value: Decimal
    cash: Decimal | None
    flow: Decimal
    cost_basis: Decimal
    market_values: Mapping[str, Decimal]
    daily_return: float | None


def external_flow(tx: Transaction, policy: PortfolioPolicy) -> Decimal:
    """The money a transaction moves into (+) or out of (-) the portfolio."""
    if not policy.tracks_cash:
        return -tx.cash_effect
    if tx.type is TransactionType.DEPOSIT:
        return tx.amount
    if tx.type is TransactionType.WITHDRAWAL:
        return -tx.amount
    return ZERO


def session_days(
    transactions: Sequence[Transaction],
    closes: Closes,
    days: Sequence[date] | None = None,
    *,
    first: date | None = None,
) -> list[date]:
    """The sessions a valuation covers: from the first trade date to the last session.

    Args:
        transactions: the ledger.
        closes: daily closes by symbol; their dates are the sessions when `days` is None.
        days: the trading calendar, if known.
        first: the ledger's first trade date, if known (else the ledger is read for it).
    """
    if not transactions:
        return []
    if first is None:
        first = min(tx.trade_date for tx in transactions)
    calendar = (
        sorted(set(days)) if days is not None else sorted({d for c in closes.values() for d in c})
    )
    return [d for d in calendar if d >= first]


def valuation_series(
    transactions: Sequence[Transaction],
    policy: PortfolioPolicy,
    closes: Closes,
    *,
    days: Sequence[date] | None = None,
    book: Book | None = None,
) -> tuple[ValuationPoint, ...]:
    """The value at each session's close from the first transaction on.

    Args:
        transactions: a valid ledger (as `lots.replay` accepts) in stored order.
        policy: the portfolio's rules.
        closes: raw daily closes by symbol and day (not adjusted: the ledger's entitlements
            carry the corporate actions).
        days: the trading calendar; None takes the days of `closes`. Transactions after the
            last session are not valued.
        book: the ledger already replayed (`lots.replay`, with its trail), to spare
            replaying it again.
    """
    if book is None or not book.trail:
        book = replay(transactions, policy, check_cash=False)
    trail = book.trail
    # The trail is in date order: its first step is the first trade.
    first = trail[0].transaction.trade_date if trail else None
    sessions = session_days(transactions, closes, days, first=first)
    fast = _in_paisa(sessions, trail, closes, tracks_cash=policy.tracks_cash)
    if fast is not None:
        return fast
    return _in_decimals(sessions, trail, closes, tracks_cash=policy.tracks_cash)


def _in_decimals(
    sessions: Sequence[date], trail: Sequence[Step], closes: Closes, *, tracks_cash: bool
) -> tuple[ValuationPoint, ...]:
    """The valuation one session and one holding at a time, in Decimal: the definition
    `_in_paisa` computes faster where every amount is whole paisa."""
    last_price: dict[str, Decimal] = {}
    points: list[ValuationPoint] = []
    previous = ZERO
    cash = ZERO
    i = 0
    # A symbol's shares and cost change only with its own transactions: kept between them.
    held: dict[str, tuple[int, Decimal]] = {}
    close_on = {sym: series.get for sym, series in closes.items()}
    for day in sessions:
        flow = ZERO
        touched: dict[str, Step] = {}
        while i < len(trail) and trail[i].transaction.trade_date <= day:
            step = trail[i]
            tx = step.transaction
            flow += step.flow
            cash = step.cash
            if tx.symbol is not None:
                touched[tx.symbol] = step
                if tx.type in PRICED:
                    last_price[tx.symbol] = tx.price
            i += 1
        for sym, step in touched.items():
            if step.quantity > 0:
                held[sym] = (step.quantity, step.cost)
            else:
                held.pop(sym, None)
        for sym, on in close_on.items():
            close = on(day)
            if close is not None:
                last_price[sym] = close
        values: dict[str, Decimal] = {}
        cost = ZERO
        for sym, (qty, held_cost) in held.items():
            cost += held_cost
            price = last_price.get(sym)
            values[sym] = to_paisa(price * qty) if price is not None else held_cost
        holdings = sum(values.values(), ZERO)
        point = _point(day, holdings, cash if tracks_cash else None, flow, cost, values, previous)
        points.append(point)
        previous = point.value
    return tuple(points)


def _point(
    day: date,
    holdings: Decimal,
    cash: Decimal | None,
    flow: Decimal,
    cost: Decimal,
    values: Mapping[str, Decimal],
    previous: Decimal,
) -> ValuationPoint:
    value = holdings + (cash or ZERO)
    base = previous + flow
    return ValuationPoint(
        day=day,
        value=value,
        holdings_value=holdings,
        cash=cash,
        flow=flow,
        cost_basis=cost,
        market_values=values,
        daily_return=float(value / base - 1) if base > 0 else None,
    )


_IN_PAISA = operator.methodcaller("scaleb", 2)


def _closes_in_paisa(closes: Iterable[Decimal]) -> npt.NDArray[np.int64] | None:
    """Closes in paisa, exactly (no float), or None when one is not a whole number of them or
    is out of range."""
    scaled = list(map(_IN_PAISA, closes))
    whole = list(map(int, scaled))
    if whole != scaled or (whole and not (min(whole) >= 0 and max(whole) < BOUND)):
        return None
    return np.array(whole, dtype=np.int64)


def _in_paisa(
    sessions: Sequence[date], trail: Sequence[Step], closes: Closes, *, tracks_cash: bool
) -> tuple[ValuationPoint, ...] | None:
    """`_in_decimals`, every session and holding at once in whole paisa (int64 arrays) from
    the trail's columns; None (compute it in Decimal) when the trail has no columns (an
    amount not whole paisa, a cost of more than two decimals), a close is not whole paisa or
    a product could overflow."""
    n = len(sessions)
    if n == 0:
        return ()
    trailed = trail_columns(trail)
    if trailed is None:
        return None
    symbols = sorted(set(trailed.symbols) | closes.keys())
    column = {sym: j for j, sym in enumerate(symbols)}
    width = len(symbols)
    shape = (n, width)
    closes_at = np.zeros(shape, np.int64)
    has_close = np.zeros(shape, np.bool_)
    ordinals = np.fromiter(map(date.toordinal, sessions), np.int64, n)
    for sym, series in closes.items():
        if not series:
            continue
        made = series if isinstance(series, CloseSeries) else CloseSeries.of(series)
        if made.paisa is None:
            return None
        # Each close's session row; a close on a day that is no session is not read.
        rows = np.minimum(np.searchsorted(ordinals, made.ordinals), n - 1)
        inside = ordinals[rows] == made.ordinals
        closes_at[rows[inside], column[sym]] = made.paisa[inside]
        has_close[rows[inside], column[sym]] = True
    # Each step's session: the first on or after its trade date. Steps are in date order,
    # so those after the last session (not valued) are the tail.
    session_of = np.searchsorted(ordinals, trailed.day)
    count = int(np.searchsorted(session_of, n))
    session_of = session_of[:count]
    # Each session's flows summed in paisa, written with the most decimals of any of them
    # (as a Decimal sum would be); ZERO where none lands.
    flow_sums = np.zeros(n, np.int64)
    np.add.at(flow_sums, session_of, trailed.flow[:count])
    flow_places = np.full(n, -1, np.int64)
    np.maximum.at(flow_places, session_of, trailed.flow_places[:count])
    flows = [
        ZERO if places < 0 else _written(total, places)
        for total, places in zip(flow_sums.tolist(), flow_places.tolist(), strict=True)
    ]
    cash_after: list[Decimal | None] = [None] * n
    if count:
        # The cash after each session's last step.
        ends = np.flatnonzero(np.append(session_of[1:] != session_of[:-1], True))
        for i, k in zip(ends.tolist(), session_of[ends].tolist(), strict=True):
            cash_after[k] = trailed.cash[i]
    # A holding's last change and last trade price of each session: entries before the
    # window all land on its first session, and only their last state counts.
    to_column = np.array([column[sym] for sym in trailed.symbols], np.int64)
    with_symbol = np.flatnonzero(trailed.symbol[:count] >= 0)
    cells = session_of[with_symbol] * width + to_column[trailed.symbol[with_symbol]]
    changed = with_symbol[_last_of_each(cells)]
    change_rows, change_columns = np.divmod(cells[_last_of_each(cells)], width)
    shares_at = np.zeros(shape, np.int64)
    cost_at = np.zeros(shape, np.int64)
    has_step = np.zeros(shape, np.bool_)
    step_at = np.full(shape, -1, np.int64)  # the step of each holding change
    shares_at[change_rows, change_columns] = trailed.quantity[changed]
    cost_at[change_rows, change_columns] = trailed.cost[changed]
    has_step[change_rows, change_columns] = True
    step_at[change_rows, change_columns] = changed
    trades = with_symbol[trailed.price[with_symbol] != NO_PRICE]
    trade_cells = session_of[trades] * width + to_column[trailed.symbol[trades]]
    last_trades = _last_of_each(trade_cells)
    trade_rows, trade_columns = np.divmod(trade_cells[last_trades], width)
    trades_at = np.zeros(shape, np.int64)
    has_trade = np.zeros(shape, np.bool_)
    trades_at[trade_rows, trade_columns] = trailed.price[trades[last_trades]]
    has_trade[trade_rows, trade_columns] = True
    # Each cell's latest event on or before its session (-1: none yet).
    since_step = _latest(has_step)
    since_price = _latest(has_close | has_trade)
    columns = np.arange(len(symbols))
    safe_step = np.maximum(since_step, 0)
    shares = np.where(since_step >= 0, shares_at[safe_step, columns], 0)
    cost = np.where(since_step >= 0, cost_at[safe_step, columns], 0)
    step_of = np.where(since_step >= 0, step_at[safe_step, columns], -1)
    safe_price = np.maximum(since_price, 0)
    # A session's close wins over that day's trades.
    prices = np.where(
        has_close[safe_price, columns],
        closes_at[safe_price, columns],
        trades_at[safe_price, columns],
    )
    priced = since_price >= 0
    held = shares > 0
    # Every holding's value and cost, and their sums over the holdings, stay within int64.
    top_price = int(prices.max(initial=0))
    top_shares = int(shares.max(initial=0))
    top_cost = int(np.abs(cost).max(initial=0))
    if max(top_price * top_shares, top_cost) * max(len(symbols), 1) >= BOUND:
        return None
    values = np.where(held, np.where(priced, prices * shares, cost), 0)
    holdings = values.sum(axis=1).tolist()
    cost_basis = np.where(held, cost, 0).sum(axis=1).tolist()
    points: list[ValuationPoint] = []
    previous = ZERO
    cash = ZERO
    for k, day in enumerate(sessions):
        after = cash_after[k]
        if after is not None:
            cash = after
        market = _MarketValues(symbols, values[k], held[k], priced[k], step_of[k], trailed.costs)
        point = _point(
            day,
            Decimal(holdings[k]).scaleb(-2),
            cash if tracks_cash else None,
            flows[k],
            Decimal(cost_basis[k]).scaleb(-2),
            market,
            previous,
        )
        points.append(point)
        previous = point.value
    return tuple(points)


_PLACES = (Decimal(1), Decimal("0.1"), Decimal("0.01"))


def _written(paisa: int, places: int) -> Decimal:
    """An amount of paisa as a Decimal of `places` decimals (0 to 2; exact: the amount is a
    multiple of them)."""
    return Decimal(paisa).scaleb(-2).quantize(_PLACES[places])


def _last_of_each(cells: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The position of each distinct value's last occurrence."""
    _, first_from_end = np.unique(cells[::-1], return_index=True)
    out: npt.NDArray[np.int64] = len(cells) - 1 - first_from_end
    return out


def _latest(events: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each cell, the row of the latest event in its column on or before it; -1 if none."""
    rows = np.arange(events.shape[0], dtype=np.int64)[:, None]
    marked = np.where(events, rows, np.int64(-1))
    out: npt.NDArray[np.int64] = np.maximum.accumulate(marked, axis=0)
    return out


class _MarketValues(Mapping[str, Decimal]):
    """One session's value of each holding, made Decimal when first looked at (performance
    reads only the first and last session's); an unpriced holding is its cost at its last
    step (`steps`, by column)."""

    __slots__ = ("_args", "_made")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._made: dict[str, Decimal] | None = None

    def _all(self) -> dict[str, Decimal]:
        if self._made is None:
            symbols, values, held, priced, steps, costs = self._args
            made: dict[str, Decimal] = {}
            for j in np.flatnonzero(held).tolist():
                sym = symbols[j]
                # Unpriced: the holding's own cost, as the Decimal valuation keeps it.
                made[sym] = (
                    Decimal(int(values[j])).scaleb(-2) if priced[j] else costs[int(steps[j])]
                )
            self._made = made
        return self._made

    def __getitem__(self, symbol: str) -> Decimal:
        return self._all()[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
