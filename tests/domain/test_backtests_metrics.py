"""Backtest metrics against backtesting.py's formulas written out in numpy, and by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from domain.backtests.metrics import (
    PSX_SESSIONS_PER_YEAR,
    Metrics,
    drawdowns,
    sessions_per_year,
    summarise,
)

EQUITY = np.array([100.0, 110.0, 99.0, 99.0, 120.0, 108.0, 130.0])
DAYS = np.array([0, 1, 2, 3, 6, 7, 8], dtype=np.int64) + 20_000  # a weekend after day 3
PNL = np.array([100.0, -50.0, 30.0])
RETURNS = np.array([0.10, -0.05, 0.03])
BARS = np.array([3, 2, 5], dtype=np.int64)


def metrics(
    benchmark: np.ndarray | None = None, per_year: float = 248.0, rf_pct: float = 0.0
) -> Metrics:
    return summarise(
        ts=(datetime(2024, 10, 4, tzinfo=UTC), datetime(2024, 10, 12, tzinfo=UTC)),
        days=DAYS,
        equity=EQUITY,
        initial_cash=Decimal(100),
        equity_final=Decimal(130),
        equity_peak=Decimal(130),
        trade_pnl=PNL,
        trade_returns=RETURNS,
        trade_bars=BARS,
        exposed=np.array([False, True, True, True, False, True, True]),
        per_year=per_year,
        risk_free_rate_pct=rf_pct,
        buy_and_hold_pct=12.0,
        benchmark=benchmark,
        total_costs=Decimal("1.50"),
        total_tax=Decimal(0),
    )


def test_annualised_figures_follow_backtesting_py() -> None:
    rf = 0.05
    m = metrics(per_year=248.0, rf_pct=5.0)
    r = EQUITY[1:] / EQUITY[:-1] - 1
    # backtesting.py: the first (undefined) return counts as 0 in the geometric mean.
    g = math.exp(np.log(np.r_[1.0, 1 + r]).sum() / 7) - 1
    annual = (1 + g) ** 248 - 1
    var = r.var(ddof=1)
    vol = math.sqrt((var + (1 + g) ** 2) ** 248 - (1 + g) ** (2 * 248))
    downside = math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * math.sqrt(248)
    assert m.annual_return_pct == pytest.approx(annual * 100)
    assert m.annual_volatility_pct == pytest.approx(vol * 100)
    assert m.sharpe == pytest.approx((annual - rf) / vol)
    assert m.sortino == pytest.approx((annual - rf) / downside)
    assert m.calmar == pytest.approx(annual / 0.10)
    assert m.total_return_pct == pytest.approx(30.0)
    # Calendar years: 8 days over 365.25.
    assert m.cagr_pct == pytest.approx((1.3 ** (365.25 / 8) - 1) * 100)


def test_drawdowns_by_hand() -> None:
    # Peaks at bars 0, 1, 4, 6; episodes 1→4 (3 bars, 5 days, -10%) and 4→6 (2 bars, 2 days,
    # -10%).
    dd = drawdowns(EQUITY, DAYS)
    assert dd.drawdown.tolist() == pytest.approx([0, 0, 0.1, 0.1, 0, 0.1, 0])
    assert dd.bars.tolist() == [3, 2]
    assert dd.days.tolist() == [5, 2]
    m = metrics()
    assert m.max_drawdown_pct == pytest.approx(-10.0)
    assert m.avg_drawdown_pct == pytest.approx(-10.0)
    assert (m.max_drawdown_bars, m.max_drawdown_days) == (3, 5)
    assert (m.avg_drawdown_bars, m.avg_drawdown_days) == (2.5, 3.5)


def test_an_open_drawdown_ends_at_the_last_bar() -> None:
    dd = drawdowns(np.array([10.0, 12.0, 9.0, 11.0]), np.arange(4, dtype=np.int64))
    assert dd.bars.tolist() == [2]
    assert dd.depths.tolist() == pytest.approx([0.25])


def test_trade_statistics_by_hand() -> None:
    m = metrics()
    assert m.trades == 3
    assert m.win_rate_pct == pytest.approx(200 / 3)
    assert m.best_trade_pct == pytest.approx(10.0)
    assert m.worst_trade_pct == pytest.approx(-5.0)
    assert m.avg_trade_pct == pytest.approx(((1.10 * 0.95 * 1.03) ** (1 / 3) - 1) * 100)
    assert m.expectancy_pct == pytest.approx((0.10 - 0.05 + 0.03) / 3 * 100)
    assert m.profit_factor == pytest.approx(0.13 / 0.05)
    assert m.sqn == pytest.approx(math.sqrt(3) * PNL.mean() / PNL.std(ddof=1))
    assert m.kelly == pytest.approx(2 / 3 - (1 / 3) / (65 / 50))
    assert m.max_trade_bars == 5
    assert m.avg_trade_bars == pytest.approx(10 / 3)
    assert m.exposure_time_pct == pytest.approx(500 / 7)


def test_alpha_and_beta_against_a_benchmark() -> None:
    bench = np.array([1000.0, 1040.0, 1000.0, 1010.0, 1090.0, 1050.0, 1100.0])
    m = metrics(benchmark=bench, rf_pct=2.0)
    er, br = np.diff(np.log(EQUITY)), np.diff(np.log(bench))
    beta = np.cov(er, br)[0, 1] / np.var(br, ddof=1)
    assert m.beta == pytest.approx(beta)
    assert m.benchmark_return_pct == pytest.approx(10.0)
    assert m.alpha_pct == pytest.approx(30.0 - 2.0 - beta * (10.0 - 2.0))


def test_no_trades_leave_trade_statistics_undefined() -> None:
    m = summarise(
        ts=(datetime(2024, 1, 1, tzinfo=UTC),) * 2,
        days=np.array([0, 1], dtype=np.int64),
        equity=np.array([100.0, 100.0]),
        initial_cash=Decimal(100),
        equity_final=Decimal(100),
        equity_peak=Decimal(100),
        trade_pnl=np.zeros(0),
        trade_returns=np.zeros(0),
        trade_bars=np.zeros(0, dtype=np.int64),
        exposed=np.zeros(2, dtype=np.bool_),
        per_year=248.0,
        risk_free_rate_pct=0.0,
        buy_and_hold_pct=None,
        benchmark=None,
        total_costs=Decimal(0),
        total_tax=Decimal(0),
    )
    assert (m.trades, m.win_rate_pct, m.sqn, m.profit_factor) == (0, None, None, None)
    assert (m.sharpe, m.sortino, m.calmar, m.max_drawdown_pct) == (None, None, None, 0.0)


def test_sessions_per_year_are_measured_from_the_calendar() -> None:
    # Weekdays of 2023 and 2024 less 16 holidays a year: about 245 sessions a year.
    day = date(2023, 1, 2)
    weekdays = []
    while day <= date(2024, 12, 31):
        if day.weekday() < 5:
            weekdays.append(day)
        day += timedelta(days=1)
    holidays = set(weekdays[5::16][:32])
    kept = [d for d in weekdays if d not in holidays]
    numbers = np.array([(d - date(1970, 1, 1)).days for d in kept], dtype=np.int64)
    span = (kept[-1] - kept[0]).days / 365.25
    assert sessions_per_year(numbers) == pytest.approx((len(kept) - 1) / span)
    assert 240 < sessions_per_year(numbers) < 250
    # Under half a year of bars, PSX's usual rate.
    assert sessions_per_year(numbers[:100]) == PSX_SESSIONS_PER_YEAR
