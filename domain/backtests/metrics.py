"""Backtest statistics with backtesting.py's definitions (backtesting/_stats.py, PSX.md §6).

With r the day-to-day returns of the equity curve (r[0] undefined), D the sessions per year
and g the geometric mean of 1 + r over all bars, r[0] counted as 0 as backtesting.py does:

- annual return = (1 + g)^D - 1; annual volatility = sqrt((var(r) + (1 + g)²)^D - (1 + g)^(2D))
  with var over the defined returns (ddof 1);
- Sharpe = (annual return - rf) / annual volatility;
  Sortino = (annual return - rf) / (sqrt(mean(min(r, 0)²)) · sqrt(D));
  Calmar = annual return / |max drawdown|;
- drawdown = 1 - equity / running peak; an episode runs from a bar at the peak to the next bar
  at a new peak (or the last bar); its duration is counted in bars and in calendar days, its
  depth is its deepest drawdown;
- trades: win rate over net P&L > 0; best, worst, the geometric average trade and the
  expectancy (arithmetic mean) over returns; profit factor = Σ positive returns / |Σ negative
  returns|; SQN = sqrt(N) · mean(P&L) / std(P&L); Kelly = W - (1 - W) / (avg win / avg loss);
- alpha and beta against a benchmark: beta = cov / var of the daily log returns of the equity
  and the benchmark; alpha = return - rf - beta · (benchmark return - rf), in percent, as
  backtesting.py defines it (with the benchmark in place of the traded instrument).

Two choices differ from backtesting.py on purpose. D is measured from the calendar of the bars
(`sessions_per_year`): PSX trades about 245-250 sessions a year, not 252. CAGR uses calendar
years (days / 365.25), where backtesting.py divides calendar days by D.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

PSX_SESSIONS_PER_YEAR = 248.0
# Below about half a year of bars a measured session rate is mostly noise.
MIN_MEASURED_SPAN_DAYS = 180
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class Metrics:
    """A backtest's summary; percents are percents (12.5 = 12.5%), None when undefined."""

    start: datetime
    end: datetime
    duration_days: int
    sessions: int
    sessions_per_year: float
    equity_final: Decimal
    equity_peak: Decimal
    total_return_pct: float
    buy_and_hold_return_pct: float | None
    annual_return_pct: float | None
    cagr_pct: float | None
    annual_volatility_pct: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown_pct: float
    avg_drawdown_pct: float | None
    max_drawdown_bars: int
    max_drawdown_days: int
    avg_drawdown_bars: float | None
    avg_drawdown_days: float | None
    trades: int
    win_rate_pct: float | None
    best_trade_pct: float | None
    worst_trade_pct: float | None
    avg_trade_pct: float | None
    max_trade_bars: int | None
    avg_trade_bars: float | None
    profit_factor: float | None
    expectancy_pct: float | None
    sqn: float | None
    kelly: float | None
    exposure_time_pct: float
    total_costs: Decimal
    total_tax: Decimal
    benchmark_return_pct: float | None
    alpha_pct: float | None
    beta: float | None


@dataclass(frozen=True, slots=True)
class Drawdowns:
    """Drawdown per bar (a fraction, 0 at a peak) and its episodes."""

    drawdown: FloatArray
    depths: FloatArray
    bars: IntArray
    days: IntArray


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def sessions_per_year(days: IntArray) -> float:
    """Sessions a year measured from a calendar (days since the epoch, ascending).

    The bars' count over the calendar years they span; under half a year of bars, PSX's usual
    248 sessions.
    """
    if days.shape[0] < 2:
        return PSX_SESSIONS_PER_YEAR
    span = int(days[-1] - days[0])
    if span < MIN_MEASURED_SPAN_DAYS:
        return PSX_SESSIONS_PER_YEAR
    return float((days.shape[0] - 1) / (span / DAYS_PER_YEAR))


def drawdowns(equity: FloatArray, days: IntArray) -> Drawdowns:
    """Drawdowns of an equity curve, its episodes measured in bars and calendar days."""
    dd = 1.0 - equity / np.maximum.accumulate(equity)
    # Peaks are where the drawdown is 0; the last bar closes an episode still open.
    marks = np.unique(np.r_[np.flatnonzero(dd == 0), dd.shape[0] - 1])
    prev, ends = marks[:-1], marks[1:]
    keep = ends > prev + 1
    prev, ends = prev[keep], ends[keep]
    depths = np.array([dd[a : b + 1].max() for a, b in zip(prev, ends, strict=True)])
    return Drawdowns(
        drawdown=dd,
        depths=depths.astype(np.float64),
        bars=(ends - prev).astype(np.int64),
        days=(days[ends] - days[prev]).astype(np.int64),
    )


def geometric_mean(returns: FloatArray) -> float:
    """Geometric mean of returns, missing ones counted as 0; 0 if any return is -100% or less."""
    growth = np.nan_to_num(returns, nan=0.0) + 1.0
    if growth.shape[0] == 0 or np.any(growth <= 0):
        return 0.0
    return float(np.exp(np.log(growth).sum() / growth.shape[0]) - 1.0)


@dataclass(frozen=True, slots=True)
class Annualised:
    """Annual return, volatility and the risk-adjusted ratios (fractions, not percents)."""

    annual_return: float
    annual_volatility: float
    sharpe: float
    sortino: float


def annualised(equity: FloatArray, per_year: float, risk_free: float) -> Annualised:
    """backtesting.py's annual return, volatility, Sharpe and Sortino of an equity curve."""
    returns = np.full(equity.shape[0], np.nan)
    returns[1:] = equity[1:] / equity[:-1] - 1.0
    defined = returns[1:]
    g = geometric_mean(returns)
    annual = (1.0 + g) ** per_year - 1.0
    var = float(np.var(defined, ddof=1)) if defined.shape[0] > 1 else math.nan
    vol = math.sqrt(max((var + (1.0 + g) ** 2) ** per_year - (1.0 + g) ** (2 * per_year), 0.0))
    downside = (
        math.sqrt(float(np.mean(np.minimum(defined, 0.0) ** 2))) if defined.shape[0] else math.nan
    )
    sharpe = (annual - risk_free) / vol if vol > 0 else math.nan
    sortino = (annual - risk_free) / (downside * math.sqrt(per_year)) if downside > 0 else math.nan
    return Annualised(annual, vol, sharpe, sortino)


def alpha_beta(
    equity: FloatArray, benchmark: FloatArray, risk_free: float
) -> tuple[float | None, float | None]:
    """Jensen's alpha (percent) and beta of the equity against a benchmark on the same bars."""
    ok = np.isfinite(benchmark) & (benchmark > 0)
    if ok.sum() < 3:
        return None, None
    eq, bm = equity[ok], benchmark[ok]
    er = np.log(eq[1:] / eq[:-1])
    br = np.log(bm[1:] / bm[:-1])
    cov = np.cov(er, br)
    if cov[1, 1] == 0:
        return None, None
    beta = float(cov[0, 1] / cov[1, 1])
    total = (eq[-1] / eq[0] - 1.0) * 100
    bench = (bm[-1] / bm[0] - 1.0) * 100
    alpha = total - risk_free * 100 - beta * (bench - risk_free * 100)
    return _finite(alpha), _finite(beta)


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Trade statistics (returns as fractions)."""

    count: int
    win_rate: float | None
    best: float | None
    worst: float | None
    average: float | None
    expectancy: float | None
    profit_factor: float | None
    sqn: float | None
    kelly: float | None
    max_bars: int | None
    avg_bars: float | None


def trade_stats(pnl: FloatArray, returns: FloatArray, bars: IntArray) -> TradeStats:
    """backtesting.py's trade statistics from net P&L, returns (fractions) and bars held."""
    n = pnl.shape[0]
    if n == 0:
        return TradeStats(0, None, None, None, None, None, None, None, None, None, None)
    win_rate = float((pnl > 0).mean())
    losses = abs(float(returns[returns < 0].sum()))
    profit_factor = float(returns[returns > 0].sum()) / losses if losses else math.nan
    std = float(np.std(pnl, ddof=1)) if n > 1 else math.nan
    sqn = math.sqrt(n) * float(pnl.mean()) / std if std > 0 else math.nan
    wins, lost = pnl[pnl > 0], pnl[pnl < 0]
    kelly = (
        win_rate - (1 - win_rate) / (float(wins.mean()) / -float(lost.mean()))
        if wins.shape[0] and lost.shape[0]
        else math.nan
    )
    return TradeStats(
        count=n,
        win_rate=win_rate,
        best=float(returns.max()),
        worst=float(returns.min()),
        average=geometric_mean(returns),
        expectancy=float(returns.mean()),
        profit_factor=_finite(profit_factor),
        sqn=_finite(sqn),
        kelly=_finite(kelly),
        max_bars=int(bars.max()),
        avg_bars=float(bars.mean()),
    )


def _pct(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value * 100


def summarise(
    *,
    ts: tuple[datetime, datetime],
    days: IntArray,
    equity: FloatArray,
    initial_cash: Decimal,
    equity_final: Decimal,
    equity_peak: Decimal,
    trade_pnl: FloatArray,
    trade_returns: FloatArray,
    trade_bars: IntArray,
    exposed: NDArray[np.bool_],
    per_year: float,
    risk_free_rate_pct: float,
    buy_and_hold_pct: float | None,
    benchmark: FloatArray | None,
    total_costs: Decimal,
    total_tax: Decimal,
) -> Metrics:
    """The metrics of a run from its equity curve (rupees per bar) and its closed trades.

    Args:
        ts: the first and last bar's instant.
        days: each bar's trading day, days since the epoch.
        equity: equity at each bar's close.
        initial_cash: the starting capital, the base of total return and CAGR.
        equity_final: the last equity, exact.
        equity_peak: the highest equity, exact.
        trade_pnl: each closed trade's net P&L in rupees.
        trade_returns: each trade's net return, a fraction.
        trade_bars: bars each trade was held.
        exposed: per bar, whether any position was held during it.
        per_year: sessions a year for annualising.
        risk_free_rate_pct: annual risk-free rate in percent.
        buy_and_hold_pct: the equal-weight buy-and-hold return of the symbols, percent.
        benchmark: the benchmark's close on each bar (NaN where missing), or None.
        total_costs: trading costs paid.
        total_tax: capital-gains tax charged.
    """
    rf = risk_free_rate_pct / 100
    base = float(initial_cash)
    total = float(equity_final) / base - 1.0
    duration = int(days[-1] - days[0])
    years = duration / DAYS_PER_YEAR
    cagr = (float(equity_final) / base) ** (1 / years) - 1 if years > 0 and total > -1 else None
    ann = annualised(equity, per_year, rf) if equity.shape[0] > 1 else None
    dd = drawdowns(equity, days)
    max_dd = float(np.nan_to_num(dd.drawdown.max()))
    trades = trade_stats(trade_pnl, trade_returns, trade_bars)
    bench_pct = alpha = beta = None
    if benchmark is not None:
        ok = np.flatnonzero(np.isfinite(benchmark))
        if ok.shape[0] >= 2:
            bench_pct = (benchmark[ok[-1]] / benchmark[ok[0]] - 1.0) * 100
        alpha, beta = alpha_beta(equity, benchmark, rf)
    calmar = ann.annual_return / max_dd if ann is not None and max_dd > 0 else None
    return Metrics(
        start=ts[0],
        end=ts[1],
        duration_days=duration,
        sessions=int(equity.shape[0]),
        sessions_per_year=per_year,
        equity_final=equity_final,
        equity_peak=equity_peak,
        total_return_pct=total * 100,
        buy_and_hold_return_pct=buy_and_hold_pct,
        annual_return_pct=_pct(ann.annual_return) if ann else None,
        cagr_pct=_pct(cagr),
        annual_volatility_pct=_pct(ann.annual_volatility) if ann else None,
        sharpe=_finite(ann.sharpe) if ann else None,
        sortino=_finite(ann.sortino) if ann else None,
        calmar=_finite(calmar) if calmar is not None else None,
        max_drawdown_pct=-max_dd * 100 if max_dd else 0.0,
        avg_drawdown_pct=-float(dd.depths.mean()) * 100 if dd.depths.shape[0] else None,
        max_drawdown_bars=int(dd.bars.max()) if dd.bars.shape[0] else 0,
        max_drawdown_days=int(dd.days.max()) if dd.days.shape[0] else 0,
        avg_drawdown_bars=float(dd.bars.mean()) if dd.bars.shape[0] else None,
        avg_drawdown_days=float(dd.days.mean()) if dd.days.shape[0] else None,
        trades=trades.count,
        win_rate_pct=_pct(trades.win_rate),
        best_trade_pct=_pct(trades.best),
        worst_trade_pct=_pct(trades.worst),
        avg_trade_pct=_pct(trades.average),
        max_trade_bars=trades.max_bars,
        avg_trade_bars=trades.avg_bars,
        profit_factor=trades.profit_factor,
        expectancy_pct=_pct(trades.expectancy),
        sqn=trades.sqn,
        kelly=trades.kelly,
        exposure_time_pct=float(exposed.mean()) * 100 if exposed.shape[0] else 0.0,
        total_costs=total_costs,
        total_tax=total_tax,
        benchmark_return_pct=bench_pct,
        alpha_pct=alpha,
        beta=beta,
    )
