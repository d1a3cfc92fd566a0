"""Risk of a portfolio's daily returns, by empyrical's and quantstats' definitions (PSX.md §7).

With r the daily returns, n the sessions per year (PSX trades about 245-250 sessions a year;
the default is 248, a parameter, not empyrical's 252) and rf the annual risk-free rate (the
SBP policy rate by the caller's setting), converted per session as (1 + rf)^(1/n) - 1 the way
quantstats does:

- annual volatility = std(r, ddof=1) · √n;
- Sharpe = mean(r - rf) / std(r - rf, ddof=1) · √n;
- Sortino = mean(r - rf) · n / downside, downside = sqrt(mean(min(r - rf, 0)²)) · √n;
- drawdown on wealth Π(1 + r) from a starting 1 (counted, as empyrical does, so a loss on the
  first day is a drawdown): max drawdown = min(wealth / running peak - 1); an episode runs
  from its peak to the session back at that peak (or the last session), counted in sessions
  and calendar days;
- beta = cov(r - rf, b - rf) / var(b - rf), alpha = (1 + mean((r - rf) - β(b - rf)))^n - 1,
  on the sessions where both returns exist;
- historical VaR = the (1 - c) percentile of r (linear interpolation, numpy's default);
  historical CVaR = the mean of the k + 1 smallest returns, k = int((N - 1)(1 - c));
- parametric VaR = mean + z · std with z the normal (1 - c) quantile (quantstats'
  `norm.ppf(1 - c, mean, std)`); parametric CVaR = mean - std · φ(z) / (1 - c), the normal
  expected shortfall;
- an h-day figure is the 1-day figure × √h. VaR and CVaR are returns (negative: a loss);
  their amounts are the loss in rupees at the portfolio's value.

Concentration and liquidity are in `domain.portfolios.exposures`.

Ratios with no spread (one return, or all equal) are None rather than infinite.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import NormalDist
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from domain.backtests.metrics import PSX_SESSIONS_PER_YEAR
from domain.markets.costs import to_paisa
from domain.portfolios.exposures import (
    PARTICIPATION,
    Concentration,
    Liquidity,
    concentration,
    liquidity,
)
from domain.portfolios.performance import Performance
from domain.portfolios.positions import Valuation

# Adjusted closes by symbol and day, as Decimal or float: correlations work in floats.
Levels = Mapping[str, Mapping[date, Decimal | float]]

FloatArray = NDArray[np.float64]
SESSIONS_PER_YEAR = PSX_SESSIONS_PER_YEAR
CONFIDENCES = (0.95, 0.99)
HORIZONS = (1, 10)
_NORMAL = NormalDist()


def _array(returns: Sequence[float] | FloatArray) -> FloatArray:
    return np.asarray(returns, dtype=np.float64)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def per_session_rate(annual: float, periods: float = SESSIONS_PER_YEAR) -> float:
    """An annual rate as a per-session one: (1 + annual)^(1 / periods) - 1."""
    return float((1.0 + annual) ** (1.0 / periods) - 1.0)


def annual_volatility(
    returns: Sequence[float] | FloatArray, periods: float = SESSIONS_PER_YEAR
) -> float | None:
    """std(r, ddof=1) · √periods; None with fewer than two returns."""
    r = _array(returns)
    if r.shape[0] < 2:
        return None
    return float(np.std(r, ddof=1) * math.sqrt(periods))


def sharpe_ratio(
    returns: Sequence[float] | FloatArray,
    risk_free: float = 0.0,
    periods: float = SESSIONS_PER_YEAR,
) -> float | None:
    """The annualised Sharpe ratio with an annual risk-free rate; None without spread."""
    excess = _array(returns) - per_session_rate(risk_free, periods)
    if excess.shape[0] < 2:
        return None
    std = float(np.std(excess, ddof=1))
    if std == 0 or not math.isfinite(std):
        return None
    return _finite(float(np.mean(excess)) / std * math.sqrt(periods))


def downside_risk(
    returns: Sequence[float] | FloatArray,
    risk_free: float = 0.0,
    periods: float = SESSIONS_PER_YEAR,
) -> float | None:
    """Annualised downside deviation below the risk-free rate; None without returns."""
    excess = _array(returns) - per_session_rate(risk_free, periods)
    if excess.shape[0] == 0:
        return None
    return float(math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2))) * math.sqrt(periods))


def sortino_ratio(
    returns: Sequence[float] | FloatArray,
    risk_free: float = 0.0,
    periods: float = SESSIONS_PER_YEAR,
) -> float | None:
    """The annualised Sortino ratio; None when no return falls below the risk-free rate."""
    down = downside_risk(returns, risk_free, periods)
    if down is None or down == 0:
        return None
    excess = _array(returns) - per_session_rate(risk_free, periods)
    return _finite(float(np.mean(excess)) * periods / down)


@dataclass(frozen=True, slots=True)
class DrawdownStats:
    """The deepest drawdown (a negative fraction) and the longest time under water.

    `peak`, `trough`, `recovery` are sessions (None for the starting point before the first
    session, or no recovery yet); durations run from the peak to the recovery or, still
    under water, to the last session.
    """

    max_drawdown: float
    peak: date | None
    trough: date | None
    recovery: date | None
    duration_sessions: int
    duration_days: int | None
    longest_sessions: int
    longest_days: int | None


def drawdown_stats(
    returns: Sequence[float] | FloatArray, days: Sequence[date] | None = None
) -> DrawdownStats | None:
    """Drawdowns of the wealth Π(1 + r) from 1; `days` are the returns' sessions.

    The starting point stands at the first session's date for calendar durations.
    """
    r = _array(returns)
    if r.shape[0] == 0:
        return None
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + r)))
    peak_level = np.maximum.accumulate(wealth)
    dd = wealth / peak_level - 1.0
    at = list(days) if days is not None else None

    def day(i: int) -> date | None:
        return at[i - 1] if at is not None and i > 0 else None

    def span(a: int, b: int) -> int | None:
        if at is None:
            return None
        return (at[max(b - 1, 0)] - at[max(a - 1, 0)]).days

    last = wealth.shape[0] - 1
    longest, longest_days = 0, span(0, 0)
    underwater = np.flatnonzero(dd < 0)
    if underwater.shape[0] == 0:
        return DrawdownStats(0.0, None, None, None, 0, span(0, 0), 0, span(0, 0))
    # Runs of consecutive sessions under water, each from the peak before it to the session
    # after it (back at the peak) or to the last session.
    breaks = np.flatnonzero(np.diff(underwater) > 1)
    for a, b in zip(
        np.r_[underwater[0], underwater[breaks + 1]],
        np.r_[underwater[breaks], underwater[-1]],
        strict=True,
    ):
        start, stop = int(a) - 1, min(int(b) + 1, last)
        if stop - start > longest:
            longest, longest_days = stop - start, span(start, stop)
    trough = int(np.argmin(dd))
    peak = int(np.flatnonzero(dd[: trough + 1] == 0)[-1])
    back = np.flatnonzero(dd[trough:] == 0)
    recovery = trough + int(back[0]) if back.shape[0] else None
    end = recovery if recovery is not None else last
    return DrawdownStats(
        max_drawdown=float(dd[trough]),
        peak=day(peak),
        trough=day(trough),
        recovery=day(recovery) if recovery is not None else None,
        duration_sessions=end - peak,
        duration_days=span(peak, end),
        longest_sessions=longest,
        longest_days=longest_days,
    )


def alpha_beta(
    returns: Sequence[float] | FloatArray,
    benchmark: Sequence[float] | FloatArray,
    risk_free: float = 0.0,
    periods: float = SESSIONS_PER_YEAR,
) -> tuple[float | None, float | None]:
    """(annualised alpha, beta) of aligned daily returns against a benchmark's."""
    rf = per_session_rate(risk_free, periods)
    r = _array(returns) - rf
    b = _array(benchmark) - rf
    if r.shape[0] < 2 or r.shape[0] != b.shape[0]:
        return None, None
    b_dev = b - b.mean()
    var = float(np.mean(b_dev**2))
    if var == 0:
        return None, None
    beta = float(np.mean(b_dev * (r - r.mean())) / var)
    alpha = (1.0 + float(np.mean(r - beta * b))) ** periods - 1.0
    return _finite(alpha), _finite(beta)


@dataclass(frozen=True, slots=True)
class Correlation:
    """Correlations of the holdings' daily returns on their common sessions."""

    symbols: tuple[str, ...]
    matrix: tuple[tuple[float | None, ...], ...]
    sessions: int


def correlation_matrix(closes: Levels, days: Sequence[date] | None = None) -> Correlation:
    """Pearson correlations of daily returns (pass adjusted closes: a split is no return).

    Returns are taken between consecutive sessions where every symbol has a close (within
    `days` when given); a pair without spread, or fewer than three returns, is None.
    """
    return correlation_of(
        {
            s: (list(series), np.fromiter(map(float, series.values()), np.float64, len(series)))
            for s, series in closes.items()
        },
        days,
    )


_Day = TypeVar("_Day", date, int)


def correlation_of(
    series: Mapping[str, tuple[Sequence[_Day], FloatArray]], days: Sequence[_Day] | None = None
) -> Correlation:
    """`correlation_matrix` of closes given as each symbol's days (dates, or their ordinals)
    and levels (floats)."""
    symbols = tuple(sorted(series))
    # Holdings priced on the same days (the usual case) share one alignment.
    shared = symbols and all(series[s][0] == series[symbols[0]][0] for s in symbols[1:])
    if shared:
        common = set(series[symbols[0]][0])
    else:
        common = set.intersection(*(set(series[s][0]) for s in symbols)) if symbols else set()
    if days is not None:
        common &= set(days)
    ordered = sorted(common)
    n = len(symbols)
    empty = tuple(tuple(1.0 if i == j else None for j in range(n)) for i in range(n))
    if len(ordered) < 4:
        return Correlation(symbols, empty, max(len(ordered) - 1, 0))

    def at(on: Sequence[_Day]) -> npt.NDArray[np.intp]:
        where = dict(zip(on, range(len(on)), strict=True))
        return np.fromiter(map(where.__getitem__, ordered), np.intp, len(ordered))

    if shared:
        aligned = np.array([series[s][1] for s in symbols])[:, at(series[symbols[0]][0])]
    else:
        aligned = np.array([series[s][1][at(series[s][0])] for s in symbols])
    rets = aligned[:, 1:] / aligned[:, :-1] - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(rets) if n > 1 else np.ones((1, 1))
    spread = (np.std(rets, axis=1) > 0).tolist()
    matrix = tuple(
        tuple(1.0 if i == j and spread[i] else _finite(v) for j, v in enumerate(row))
        for i, row in enumerate(np.atleast_2d(corr).tolist())
    )
    return Correlation(symbols, matrix, rets.shape[1])


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence is a fraction between 0 and 1")


def historical_var(returns: Sequence[float] | FloatArray, confidence: float = 0.95) -> float:
    """The (1 - confidence) percentile of the returns (empyrical's `value_at_risk`)."""
    _check_confidence(confidence)
    return float(np.percentile(_array(returns), 100 * (1 - confidence)))


def historical_cvar(returns: Sequence[float] | FloatArray, confidence: float = 0.95) -> float:
    """The mean of the worst returns (empyrical's `conditional_value_at_risk`)."""
    _check_confidence(confidence)
    r = _array(returns)
    k = int((r.shape[0] - 1) * (1 - confidence))
    return float(np.mean(np.partition(r, k)[: k + 1]))


def parametric_var(returns: Sequence[float] | FloatArray, confidence: float = 0.95) -> float:
    """mean + z · std (ddof 1), z the normal (1 - confidence) quantile (quantstats)."""
    _check_confidence(confidence)
    r = _array(returns)
    z = _NORMAL.inv_cdf(1 - confidence)
    return float(np.mean(r) + z * np.std(r, ddof=1))


def parametric_cvar(returns: Sequence[float] | FloatArray, confidence: float = 0.95) -> float:
    """The normal expected shortfall: mean - std · φ(z) / (1 - confidence)."""
    _check_confidence(confidence)
    r = _array(returns)
    z = _NORMAL.inv_cdf(1 - confidence)
    return float(np.mean(r) - np.std(r, ddof=1) * _NORMAL.pdf(z) / (1 - confidence))


class VarMethod(enum.StrEnum):
    """How a value at risk is estimated."""

    HISTORICAL = "HISTORICAL"
    PARAMETRIC = "PARAMETRIC"


@dataclass(frozen=True, slots=True)
class ValueAtRisk:
    """VaR and CVaR at one confidence and horizon: returns, and losses in rupees (> 0)."""

    method: VarMethod
    confidence: float
    horizon_days: int
    var: float
    cvar: float
    var_amount: Decimal
    cvar_amount: Decimal


def _loss(value: Decimal, rate: float) -> Decimal:
    return to_paisa(value * Decimal(repr(-rate)))


def value_at_risk(
    returns: Sequence[float] | FloatArray,
    value: Decimal,
    *,
    confidences: Sequence[float] = CONFIDENCES,
    horizons: Sequence[int] = HORIZONS,
) -> tuple[ValueAtRisk, ...]:
    """Historical and parametric VaR/CVaR for each confidence and horizon (√h scaling).

    Needs at least two returns; fewer give an empty table.
    """
    r = _array(returns)
    if r.shape[0] < 2:
        return ()
    rows: list[ValueAtRisk] = []
    for method, var_f, cvar_f in (
        (VarMethod.HISTORICAL, historical_var, historical_cvar),
        (VarMethod.PARAMETRIC, parametric_var, parametric_cvar),
    ):
        for c in confidences:
            one_var, one_cvar = var_f(r, c), cvar_f(r, c)
            for h in horizons:
                scale = math.sqrt(h)
                v, cv = one_var * scale, one_cvar * scale
                rows.append(ValueAtRisk(method, c, h, v, cv, _loss(value, v), _loss(value, cv)))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class RiskReport:
    """The risk of a portfolio over a performance window."""

    sessions: int
    periods_per_year: float
    risk_free_rate: float
    annual_volatility: float | None
    sharpe: float | None
    sortino: float | None
    drawdown: DrawdownStats | None
    alpha: float | None
    beta: float | None
    correlation: Correlation
    value_at_risk: tuple[ValueAtRisk, ...]
    concentration: Concentration | None
    liquidity: Liquidity


def risk_report(
    perf: Performance,
    valuation: Valuation,
    *,
    risk_free_rate: float,
    closes: Levels | None = None,
    correlation: Correlation | None = None,
    average_volumes: Mapping[str, float | None],
    sectors: Mapping[str, str] | None = None,
    periods: float = SESSIONS_PER_YEAR,
    participation: float = PARTICIPATION,
) -> RiskReport:
    """Every risk figure of a portfolio.

    Args:
        perf: the window's performance (its daily returns and benchmark).
        valuation: the holdings now (weights, quantities, value for the VaR amounts).
        risk_free_rate: annual, a fraction (the SBP policy rate setting).
        closes: adjusted daily closes of the holdings, for their correlations.
        correlation: the holdings' correlations already computed (`correlation_matrix` of
            those closes on the sessions with a return), instead of `closes`.
        average_volumes: average daily volume by symbol.
        sectors: symbol → sector code.
        periods: sessions per year for annualising.
        participation: the share of daily volume a sale may take.
    """
    pairs = [(p.day, p.daily_return) for p in perf.series if p.daily_return is not None]
    days = [d for d, _ in pairs]
    returns = np.array([r for _, r in pairs], dtype=np.float64)
    alpha = beta = None
    if perf.benchmark is not None:
        bench = {b.day: b.daily_return for b in perf.benchmark.series}
        mine: list[float] = []
        theirs: list[float] = []
        for d, r in pairs:
            b = bench.get(d)
            if b is not None:
                mine.append(r)
                theirs.append(b)
        alpha, beta = alpha_beta(mine, theirs, risk_free_rate, periods)
    held = {p.symbol: p for p in valuation.positions if p.quantity > 0}
    values = {
        s: p.market_value if p.market_value is not None else p.cost_basis for s, p in held.items()
    }
    return RiskReport(
        sessions=int(returns.shape[0]),
        periods_per_year=periods,
        risk_free_rate=risk_free_rate,
        annual_volatility=annual_volatility(returns, periods),
        sharpe=sharpe_ratio(returns, risk_free_rate, periods),
        sortino=sortino_ratio(returns, risk_free_rate, periods),
        drawdown=drawdown_stats(returns, days),
        alpha=alpha,
        beta=beta,
        correlation=(
            correlation
            if correlation is not None
            else correlation_matrix(
                {s: c for s, c in (closes or {}).items() if s in held}, days or None
            )
        ),
        value_at_risk=value_at_risk(returns, valuation.total_value),
        concentration=concentration(values, sectors),
        liquidity=liquidity(
            {s: p.quantity for s, p in held.items()}, average_volumes, participation=participation
        ),
    )
