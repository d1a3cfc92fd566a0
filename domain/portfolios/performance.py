"""A portfolio's performance over a window: returns, P&L, income, costs, contribution, benchmark.

The window runs from the first session on or after `start` to the last on or before `end`;
its opening value is the value at the close before it (0 when the portfolio opens in it).
Transactions belong to the session on or after their trade date.

P&L of the window = V1 - V0 - net flows, split exactly (to the paisa) into contributions:

- by position: the symbol's market value at the end less at the start, plus the cash of its
  transactions in the window (sale proceeds and dividends in, purchases out);
- `other_pnl`: what belongs to no symbol (fees not tied to one, charges on deposits);
- a contribution's return is its P&L over the modified Dietz capital base, so contributions
  and `other_pnl` over the base add up to the modified Dietz return;
- by sector: positions summed by the sector of their symbol (None: not given).

The benchmark (KSE100 by default) is its levels on the same sessions, its first return taken
from its latest level before the window (so from the previous close even when the portfolio
opens in the window).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.errors import DomainError, ErrorCode
from domain.portfolios.holdings import Book
from domain.portfolios.ledger import (
    ZERO,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.lots import replay
from domain.portfolios.returns import (
    PeriodReturn,
    annualise,
    dietz_base,
    modified_dietz,
    period_returns,
    xirr,
)
from domain.portfolios.trail import steps_between
from domain.portfolios.valuation import Closes, ValuationPoint, external_flow, valuation_series

DEFAULT_BENCHMARK = "KSE100"


@dataclass(frozen=True, slots=True)
class PerformancePoint:
    """One session of the window: the close's value, the flow at the open, the returns."""

    day: date
    value: Decimal
    holdings_value: Decimal
    cash: Decimal | None
    flow: Decimal
    daily_return: float | None
    cumulative_return: float


@dataclass(frozen=True, slots=True)
class Contribution:
    """P&L of a symbol or sector over the window and its share of the Dietz base."""

    key: str | None
    pnl: Decimal
    contribution: float | None


@dataclass(frozen=True, slots=True)
class BenchmarkPoint:
    """The benchmark at one session's close."""

    day: date
    level: Decimal | None
    daily_return: float | None
    cumulative_return: float


@dataclass(frozen=True, slots=True)
class BenchmarkPerformance:
    """The benchmark's series and returns over the same sessions."""

    code: str
    series: tuple[BenchmarkPoint, ...]
    total_return: float
    annualised_return: float | None
    monthly: tuple[PeriodReturn, ...]
    yearly: tuple[PeriodReturn, ...]


@dataclass(frozen=True, slots=True)
class Performance:
    """A window's performance; returns are fractions (0.125 = 12.5%), money Decimal.

    `twr` chains the daily returns; `mwr` is the annual XIRR of the flows with the opening
    value as money put in and the closing value as money taken out; `realised_pnl` covers
    sales in the window, `unrealised_pnl` the holdings at its end; `fees` and `taxes` are
    every charge in the window (taxes include dividend withholding).
    """

    start: date
    end: date
    series: tuple[PerformancePoint, ...]
    start_value: Decimal
    end_value: Decimal
    net_flows: Decimal
    pnl: Decimal
    twr: float
    twr_annualised: float | None
    mwr: float | None
    modified_dietz: float | None
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    dividends_gross: Decimal
    dividends_net: Decimal
    dividend_tax: Decimal
    fees: Decimal
    taxes: Decimal
    monthly: tuple[PeriodReturn, ...]
    yearly: tuple[PeriodReturn, ...]
    by_position: tuple[Contribution, ...]
    by_sector: tuple[Contribution, ...]
    other_pnl: Decimal
    benchmark: BenchmarkPerformance | None


def _attributable(tx: Transaction, policy: PortfolioPolicy) -> Decimal:
    """The part of a transaction's cash that is P&L rather than a flow."""
    if policy.tracks_cash:
        return tx.cash_effect - external_flow(tx, policy)
    return tx.cash_effect


def _cumulative(returns: Sequence[float | None]) -> list[float]:
    out: list[float] = []
    growth = 1.0
    for r in returns:
        if r is not None:
            growth *= 1.0 + r
        out.append(growth - 1.0)
    return out


def benchmark_performance(
    levels: Mapping[date, Decimal],
    days: Sequence[date],
    *,
    code: str = DEFAULT_BENCHMARK,
    before: date | None = None,
) -> BenchmarkPerformance:
    """A benchmark's series on the given sessions, each level the latest on or before it.

    Args:
        levels: the benchmark's closes by day.
        days: the sessions of the window.
        code: the benchmark's index code.
        before: a day before the window: the first return starts from the latest level on or
            before it (None: the first session has no return).
    """
    known = sorted(levels)

    def level_on(day: date) -> Decimal | None:
        at = bisect.bisect_right(known, day)
        return levels[known[at - 1]] if at else None

    previous = level_on(before) if before is not None else None
    returns: list[float | None] = []
    levels_on: list[Decimal | None] = []
    for day in days:
        level = level_on(day)
        levels_on.append(level)
        if level is not None and previous is not None and previous > 0:
            returns.append(float(level / previous - 1))
        else:
            returns.append(None)
        previous = level if level is not None else previous
    cumulative = _cumulative(returns)
    total = cumulative[-1] if cumulative else 0.0
    span = (days[-1] - days[0]).days + 1 if days else 0
    return BenchmarkPerformance(
        code=code,
        series=tuple(
            BenchmarkPoint(d, lv, r, c)
            for d, lv, r, c in zip(days, levels_on, returns, cumulative, strict=True)
        ),
        total_return=total,
        annualised_return=annualise(total, span),
        monthly=period_returns(days, returns, monthly=True),
        yearly=period_returns(days, returns, monthly=False),
    )


def _contributions(
    pnl: Mapping[str, Decimal] | Mapping[str | None, Decimal], base: Decimal
) -> tuple[Contribution, ...]:
    rows = [
        Contribution(key, value, float(value / base) if base > 0 else None)
        for key, value in pnl.items()
    ]
    return tuple(sorted(rows, key=lambda c: (-c.pnl, c.key or "")))


def performance(
    transactions: Sequence[Transaction],
    policy: PortfolioPolicy,
    closes: Closes,
    *,
    days: Sequence[date] | None = None,
    start: date | None = None,
    end: date | None = None,
    benchmark: Mapping[date, Decimal] | None = None,
    benchmark_code: str = DEFAULT_BENCHMARK,
    sectors: Mapping[str, str] | None = None,
    book: Book | None = None,
) -> Performance | None:
    """The performance of a valid ledger over a window.

    Args:
        transactions: the ledger in stored order.
        policy: the portfolio's rules.
        closes: raw daily closes by symbol and day, from the first transaction on.
        days: the trading calendar; None takes the days of `closes`.
        start: first day of the window; None: the first transaction.
        end: last day of the window; None: the last session.
        benchmark: the benchmark's levels by day, or None for no benchmark.
        benchmark_code: the benchmark's index code.
        sectors: symbol → sector code, for contribution by sector.
        book: the ledger already replayed (`lots.replay`), to spare replaying it again.

    Returns:
        None when the window holds no valued session.

    Raises:
        DomainError: when `end` comes before `start` (field "end").
    """
    if start is not None and end is not None and end < start:
        raise DomainError(ErrorCode.INVALID, "The range ends before it starts.", "end")
    if book is None or not book.trail:
        book = replay(transactions, policy)
    points = valuation_series(transactions, policy, closes, days=days, book=book)
    inside = [
        i
        for i, p in enumerate(points)
        if (start is None or p.day >= start) and (end is None or p.day <= end)
    ]
    if not inside:
        return None
    first, last = inside[0], inside[-1]
    window = points[first : last + 1]
    opening: ValuationPoint | None = points[first - 1] if first > 0 else None
    s_day, e_day = window[0].day, window[-1].day
    # A transaction belongs to the session on or after its trade date.
    lower = opening.day if opening is not None else date.min
    steps = steps_between(book.trail, lower, e_day)
    in_window = [s.transaction for s in steps]
    v0 = opening.value if opening is not None else ZERO
    v1 = window[-1].value
    flows = [(p.day, p.flow) for p in window if p.flow != 0]
    net = sum((cf for _, cf in flows), ZERO)
    pnl = v1 - v0 - net

    returns = [p.daily_return for p in window]
    cumulative = _cumulative(returns)
    twr = cumulative[-1]
    span = (e_day - s_day).days + 1
    dietz = modified_dietz(v0, v1, flows, s_day, e_day)
    base = dietz_base(v0, flows, s_day, e_day)
    investor = [(d, -cf) for d, cf in flows]
    if opening is not None and v0:
        investor.insert(0, (opening.day, -v0))
    investor.append((e_day, v1))

    by_symbol: dict[str, Decimal] = {}
    start_values = opening.market_values if opening is not None else {}
    for sym in start_values.keys() | window[-1].market_values.keys():
        by_symbol[sym] = window[-1].market_values.get(sym, ZERO) - start_values.get(sym, ZERO)
    other = ZERO
    for tx in in_window:
        part = _attributable(tx, policy)
        if tx.symbol is None:
            other += part
        else:
            by_symbol[tx.symbol] = by_symbol.get(tx.symbol, ZERO) + part
    by_sector: dict[str | None, Decimal] = {}
    for sym, value in by_symbol.items():
        sector = (sectors or {}).get(sym)
        by_sector[sector] = by_sector.get(sector, ZERO) + value

    dividends = [tx for tx in in_window if tx.type is TransactionType.DIVIDEND]
    gross = sum((tx.gross for tx in dividends), ZERO)
    dividend_tax = sum((tx.taxes for tx in dividends), ZERO)
    window_days = [p.day for p in window]
    return Performance(
        start=s_day,
        end=e_day,
        series=tuple(
            PerformancePoint(p.day, p.value, p.holdings_value, p.cash, p.flow, p.daily_return, c)
            for p, c in zip(window, cumulative, strict=True)
        ),
        start_value=v0,
        end_value=v1,
        net_flows=net,
        pnl=pnl,
        twr=twr,
        twr_annualised=annualise(twr, span),
        mwr=xirr(investor),
        modified_dietz=dietz,
        realised_pnl=sum((s.gain for s in steps if s.gain is not None), ZERO),
        unrealised_pnl=window[-1].holdings_value - window[-1].cost_basis,
        dividends_gross=gross,
        dividends_net=sum((tx.gross - tx.taxes - tx.fees for tx in dividends), ZERO),
        dividend_tax=dividend_tax,
        fees=sum(
            (tx.fees + (tx.amount if tx.type is TransactionType.FEE else ZERO) for tx in in_window),
            ZERO,
        ),
        taxes=sum((tx.taxes for tx in in_window), ZERO),
        monthly=period_returns(window_days, returns, monthly=True),
        yearly=period_returns(window_days, returns, monthly=False),
        by_position=_contributions(by_symbol, base),
        by_sector=_contributions(by_sector, base),
        other_pnl=other,
        benchmark=(
            benchmark_performance(
                benchmark,
                window_days,
                code=benchmark_code,
                before=s_day - timedelta(days=1),
            )
            if benchmark is not None
            else None
        ),
    )
