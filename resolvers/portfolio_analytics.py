"""A portfolio's performance, risk and allocation, and applying market corporate actions.

Performance and risk read, for the portfolio's symbols only, the daily closes as traded from
the session before the window to its end in one statement (the ledger's own entitlement
entries carry the corporate actions), with the trading calendar and the benchmark's levels
alongside; risk also reads back-adjusted closes and volumes (correlations, liquidity) in one
binary COPY. Nothing read depends on other users' data.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from db.repos import markets as market_repo
from db.repos import portfolio_bars as bars_repo
from domain.errors import DomainError, ErrorCode
from domain.markets.adjustments import price_factors
from domain.markets.instruments import CorporateAction, Instrument
from domain.portfolios.corporate_actions import pending_entries
from domain.portfolios.exposures import average_volume
from domain.portfolios.ledger import Transaction, symbols_of
from domain.portfolios.performance import DEFAULT_BENCHMARK, Performance, performance
from domain.portfolios.records import Portfolio
from domain.portfolios.risk import (
    Correlation,
    FloatArray,
    RiskReport,
    correlation_of,
    risk_report,
    value_at_risk,
)
from domain.portfolios.valuation import CloseSeries
from resolvers.context import Context
from resolvers.lru import Lru
from resolvers.portfolio_views import PortfolioView, on_clear
from resolvers.portfolios import LedgerChange, change_ledger, exchange_today, portfolio

_EPOCH = date(1970, 1, 1).toordinal()
# Windows (the performance with the closes and volumes it was computed from) by their every
# input (ledger version, window, the bars' digests, benchmark, sectors), and the correlations
# of a window's holdings: memoised, never stale, since a change to any input is another key.
# A window found by its digests is not read out of the database again.
PERFORMANCE_CACHE_SIZE = 64
SERIES_CACHE_SIZE = 1024
_WINDOWS: Lru[Hashable, _Window] = Lru(PERFORMANCE_CACHE_SIZE)
_CORRELATIONS: Lru[Hashable, Correlation] = Lru(PERFORMANCE_CACHE_SIZE)
# Per (portfolio version, window, benchmark, day) computed here: whether to ask the bars'
# digests first (True: they held still last time) or read the bars at once (False: they had
# changed, as the day's bar does at every flush of a session; unknown: never computed here).
_ASKED: Lru[Hashable, bool] = Lru(PERFORMANCE_CACHE_SIZE)
# Instruments' close series by (instrument, bars' digest, first day): market data, shared by
# every portfolio holding them; about 20 kB each.
_SERIES: Lru[Hashable, CloseSeries] = Lru(SERIES_CACHE_SIZE)
on_clear(_WINDOWS.clear)
on_clear(_SERIES.clear)
on_clear(_ASKED.clear)
on_clear(_CORRELATIONS.clear)


class PerformanceRange(enum.StrEnum):
    """A window ending today."""

    M1 = "M1"
    M3 = "M3"
    M6 = "M6"
    YTD = "YTD"
    Y1 = "Y1"
    Y3 = "Y3"
    Y5 = "Y5"
    ALL = "ALL"


_MONTHS = {
    PerformanceRange.M1: 1,
    PerformanceRange.M3: 3,
    PerformanceRange.M6: 6,
    PerformanceRange.Y1: 12,
    PerformanceRange.Y3: 36,
    PerformanceRange.Y5: 60,
}


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)


def range_start(window: PerformanceRange, today: date) -> date | None:
    """The first day of a window ending `today` (the day after the same date a period
    back); None for ALL."""
    if window is PerformanceRange.ALL:
        return None
    if window is PerformanceRange.YTD:
        return date(today.year, 1, 1)
    return _months_back(today, _MONTHS[window]) + timedelta(days=1)


class AllocationKey(enum.StrEnum):
    """What an allocation groups holdings by."""

    SECTOR = "SECTOR"
    INSTRUMENT = "INSTRUMENT"


@dataclass(frozen=True, slots=True)
class AllocationSlice:
    """A share of the portfolio's value: a sector, an instrument, or cash (key None,
    `cash` true). Unpriced holdings count at cost."""

    key: str | None
    name: str
    value: Decimal
    weight: float
    cash: bool = False


@dataclass(frozen=True, slots=True)
class _Window:
    key: Hashable
    perf: Performance
    closes: Mapping[str, CloseSeries]
    volumes: Mapping[str, list[int]]


async def _window(
    view: PortfolioView, window: PerformanceRange, benchmark: str | None
) -> _Window | None:
    ctx = view.ctx
    ref = await ctx.services.reference.get()
    code = (benchmark or DEFAULT_BENCHMARK).strip().upper()
    if code not in ref.index_by_code:
        raise DomainError(ErrorCode.UNKNOWN_INDEX, f"Unknown index '{code}'.", "benchmark")
    today = exchange_today(ctx)
    asked = (view.replay_key, window, code, today)
    steady = _ASKED.get(asked)
    # A window not computed here, or whose bars were changing, needs the replay: it is read
    # (a ledger not replayed here, back from its stored book) while the outline is.
    replayed = None if steady else asyncio.ensure_future(view.book())
    try:
        outline = await view.outline()
    except BaseException:
        if replayed is not None:
            replayed.cancel()
        raise
    if outline.first_trade is None:
        if replayed is not None:
            await replayed
        return None
    start = range_start(window, today)
    first_trade = outline.first_trade
    opens_inside = start is None or start <= first_trade
    # The opening value is the close of the session before the window (two weeks cover it).
    read_from = first_trade if start is None or opens_inside else start - timedelta(days=14)
    symbols = outline.symbols
    ids = [ref.instrument_by_symbol[s].id for s in symbols if s in ref.instrument_by_symbol]
    engine = ctx.services.database.read
    bars: Mapping[int, bars_repo.WindowBars] | None = None
    if replayed is None:
        calendar, levels, digests = await asyncio.gather(
            bars_repo.sessions_between(engine, first_day=read_from, last_day=today),
            bars_repo.index_levels(engine, code=code, first_day=read_from, last_day=today),
            bars_repo.window_digests(
                engine, instrument_ids=ids, first_day=read_from, last_day=today
            ),
        )
    else:
        # Its bars are read at once, while the replay is decoded.
        calendar, levels, read, _ = await asyncio.gather(
            bars_repo.sessions_between(engine, first_day=read_from, last_day=today),
            bars_repo.index_levels(engine, code=code, first_day=read_from, last_day=today),
            bars_repo.window_bars(engine, instrument_ids=ids, first_day=read_from, last_day=today),
            replayed,
        )
        digests = {i: b.digest for i, b in read.items()}
        bars = read
    days = [d for d in calendar if start is None or d >= start]
    before = [d for d in calendar if start is not None and d < start]
    if before and not opens_inside:
        days.insert(0, before[-1])
    sectors = {
        s: ref.instrument_by_symbol[s].sector_code for s in symbols if s in ref.instrument_by_symbol
    }

    # `performance` is a pure function of these: the same inputs give the same result (the
    # bars by their digest: a changed close or a new bar is a different key).
    def key_of(bar_digests: Mapping[int, str]) -> Hashable:
        return (
            view.replay_key,
            start,
            today,
            code,
            tuple(days),
            tuple(sorted(bar_digests.items())),
            tuple(sorted((levels or {}).items())),
            tuple(sorted(sectors.items())),
        )

    found = _WINDOWS.get(key_of(digests))
    if found is not None:
        if bars is not None:
            _ASKED.put(asked, True)  # read for nothing: the bars held still
        return found
    if bars is None:
        _ASKED.put(asked, False)  # the digests were asked for nothing: the bars moved
        bars = await bars_repo.window_bars(
            engine, instrument_ids=ids, first_day=read_from, last_day=today
        )
    by_id = ref.instrument_by_id
    first = days[0] if days else None
    closes = {by_id[i].symbol: _series(i, b, first) for i, b in bars.items()}
    volumes = {by_id[i].symbol: b.volumes for i, b in bars.items()}
    perf = performance(
        await view.ledger(),
        view.portfolio.policy,
        closes,
        days=days,
        start=start,
        end=today,
        benchmark=levels or {},
        benchmark_code=code,
        sectors=sectors,
        book=await view.book(),
    )
    if perf is None:
        return None
    # Keyed by the bars read (a bar written since the digests were read is another key).
    key = key_of({i: b.digest for i, b in bars.items()})
    found = _Window(key, perf, closes, volumes)
    _WINDOWS.put(key, found)
    if steady is None:
        _ASKED.put(asked, True)
    return found


def _earliest(window: PerformanceRange, today: date, first_trade: date | None) -> date:
    """A day before every close a window's valuation reads (its first session less the
    fortnight a carried close may come from)."""
    start = range_start(window, today)
    first = first_trade or today
    opening = first if start is None else max(start, first)
    return opening - timedelta(days=15)


def _series(instrument_id: int, bars: bars_repo.WindowBars, first: date | None) -> CloseSeries:
    """An instrument's window of closes from `first` on, the same object for the same bars
    (by digest) and first day."""
    key = (instrument_id, bars.digest, first)
    found = _SERIES.get(key)
    if found is None:
        found = bars.closes if first is None else bars.closes.from_day(first)
        _SERIES.put(key, found)
    return found


async def portfolio_performance(
    view: PortfolioView, window: PerformanceRange, benchmark: str | None
) -> Performance | None:
    """The portfolio's performance over a window ending today; None before its first entry.

    Raises:
        DomainError: UNKNOWN_INDEX on "benchmark".
    """
    found = await _window(view, window, benchmark)
    return None if found is None else found.perf


async def portfolio_risk(
    view: PortfolioView,
    window: PerformanceRange,
    *,
    confidence: float,
    risk_free_rate: float | None = None,
    benchmark: str | None = None,
) -> RiskReport | None:
    """The risk of the portfolio's daily returns over a window, with VaR at one confidence.

    The risk-free rate defaults to the server's SBP policy rate setting (PSX_SBP_POLICY_RATE).

    Raises:
        DomainError: OUT_OF_RANGE on "confidence" outside (0.5, 1) or "riskFreeRate" outside
            [0, 1); UNKNOWN_INDEX on "benchmark".
    """
    if not 0.5 < confidence < 1:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, "The confidence is a fraction in (0.5, 1).", "confidence"
        )
    if risk_free_rate is None:
        risk_free_rate = view.ctx.services.risk_free_rate
    if not 0 <= risk_free_rate < 1:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, "The risk-free rate is a fraction in [0, 1).", "riskFreeRate"
        )
    ctx = view.ctx
    ref = await ctx.services.reference.get()
    outline = await view.outline()
    known = [s for s in outline.symbols if s in ref.instrument_by_symbol]
    found, valuation, actions = await asyncio.gather(
        _window(view, window, benchmark),
        view.valuation(),
        # Only actions inside the window move its adjusted closes.
        bars_repo.corporate_actions_between(
            ctx.services.database.read,
            instrument_ids=[ref.instrument_by_symbol[s].id for s in known],
            after=_earliest(window, exchange_today(ctx), outline.first_trade),
            until=exchange_today(ctx),
        ),
    )
    if found is None:
        return None
    held = [p.symbol for p in valuation.positions if p.quantity > 0]
    ids = [ref.instrument_by_symbol[s].id for s in held if s in ref.instrument_by_symbol]
    volumes = {
        ref.instrument_by_id[i].symbol: average_volume(
            found.volumes.get(ref.instrument_by_id[i].symbol, [])
        )
        for i in ids
    }
    # The holdings' correlations depend on the window, the holdings and the actions inside.
    inside_key = (found.key, tuple(ids), tuple(a.id for i in ids for a in actions.get(i, [])))
    correlation = _CORRELATIONS.get(inside_key)
    if correlation is None:
        correlation = _correlation(found, ids, actions, ref.instrument_by_id, found.perf)
        _CORRELATIONS.put(inside_key, correlation)
    sectors = {
        s: ref.instrument_by_symbol[s].sector_code for s in held if s in ref.instrument_by_symbol
    }
    report = risk_report(
        found.perf,
        valuation,
        risk_free_rate=risk_free_rate,
        correlation=correlation,
        average_volumes=volumes,
        sectors=sectors,
    )
    returns = np.array(
        [p.daily_return for p in found.perf.series if p.daily_return is not None],
        dtype=np.float64,
    )
    return replace(
        report,
        value_at_risk=value_at_risk(returns, valuation.total_value, confidences=(confidence,)),
    )


def _correlation(
    found: _Window,
    ids: Sequence[int],
    actions: Mapping[int, Sequence[CorporateAction]],
    by_id: Mapping[int, Instrument],
    perf: Performance,
) -> Correlation:
    """The correlations of the holdings' daily returns over the window's sessions, on
    closes back-adjusted for the corporate actions inside it."""
    adjusted: dict[str, tuple[Sequence[int], FloatArray]] = {}
    for instrument_id in ids:
        symbol = by_id[instrument_id].symbol
        raw = found.closes.get(symbol)
        if not raw:
            continue
        ordinals = raw.ordinals
        levels = raw.levels()
        # Back-adjusted to the last close, as the charts' factors do: a split is no return.
        first, last = int(ordinals[0]), int(ordinals[-1])
        inside = [
            a for a in actions.get(instrument_id, []) if first < a.ex_date.toordinal() <= last
        ]
        if inside:
            # Ordinals to datetime64 in one array operation (not a date object at a time).
            factors = price_factors((ordinals - _EPOCH).astype("datetime64[D]"), levels, inside)
            levels = levels * (factors / factors[-1])
        adjusted[symbol] = (ordinals.tolist(), levels)
    sessions = [p.day.toordinal() for p in perf.series if p.daily_return is not None]
    return correlation_of(adjusted, sessions or None)


async def allocation(view: PortfolioView, by: AllocationKey) -> list[AllocationSlice]:
    """The portfolio's value by sector or by instrument, largest first, cash last."""
    valuation = await view.valuation()
    ref = await view.ctx.services.reference.get()
    total = valuation.total_value
    groups: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for p in valuation.positions:
        if p.quantity <= 0:
            continue
        value = p.market_value if p.market_value is not None else p.cost_basis
        instrument = ref.instrument_by_symbol.get(p.symbol)
        if by is AllocationKey.INSTRUMENT:
            key, name = p.symbol, instrument.name if instrument else p.symbol
        else:
            key = instrument.sector_code if instrument else "UNKNOWN"
            sector = ref.sector_by_code.get(key)
            name = sector.name if sector else key
        groups[key] = groups.get(key, Decimal(0)) + value
        names[key] = name

    def weight(value: Decimal) -> float:
        return float(value / total) if total > 0 else 0.0

    out = [
        AllocationSlice(k, names[k], v, weight(v))
        for k, v in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    if valuation.cash is not None:
        out.append(AllocationSlice(None, "Cash", valuation.cash, weight(valuation.cash), True))
    return out


async def apply_corporate_actions(ctx: Context, portfolio_id: uuid.UUID) -> LedgerChange:
    """Add the entries of market corporate actions gone ex by today that the ledger lacks.

    Each action lands at most once (the ledger's action ids, and a unique index in the
    database); applying again adds nothing.

    Raises:
        DomainError: NOT_FOUND for another user's portfolio.
    """
    today = exchange_today(ctx)
    ref = await ctx.services.reference.get()
    view = await _owned(ctx, portfolio_id)
    symbols = symbols_of(await view.ledger())
    instruments = [ref.instrument_by_symbol[s] for s in symbols if s in ref.instrument_by_symbol]
    actions = await market_repo.corporate_actions(
        ctx.services.database.read, instrument_ids=[i.id for i in instruments]
    )
    by_id = {i.id: i.symbol for i in instruments}
    every = [a for series in actions.values() for a in series]

    def edit(
        p: Portfolio, ledger: list[Transaction], _holidays: frozenset[date]
    ) -> tuple[list[Transaction], list[int]]:
        return pending_entries(ledger, every, by_id, p.policy, as_of=today), []

    return await change_ledger(ctx, portfolio_id, edit)


async def _owned(ctx: Context, portfolio_id: uuid.UUID) -> PortfolioView:
    found = await portfolio(ctx, portfolio_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such portfolio.", "portfolioId")
    return found
