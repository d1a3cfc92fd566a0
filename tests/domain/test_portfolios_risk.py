"""Risk metrics against numpy formulas, hand-computed fixtures and empyrical (the reference)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import empyrical
import numpy as np
import pytest
from scipy import stats

from domain.portfolios.exposures import average_volume, concentration, liquidity
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.performance import performance
from domain.portfolios.positions import PriceQuote, value_book
from domain.portfolios.risk import (
    SESSIONS_PER_YEAR,
    VarMethod,
    alpha_beta,
    annual_volatility,
    correlation_matrix,
    downside_risk,
    drawdown_stats,
    historical_cvar,
    historical_var,
    parametric_cvar,
    parametric_var,
    per_session_rate,
    risk_report,
    sharpe_ratio,
    sortino_ratio,
    value_at_risk,
)

D = Decimal
N = 248
SBP = 0.105  # SBP policy rate, Dec 2025 (PSX.md §1)
RNG = np.random.default_rng(20251219)
RETURNS = RNG.normal(0.0006, 0.012, 500)
BENCH = 0.7 * RETURNS + RNG.normal(0.0002, 0.006, 500)


def test_sessions_per_year_default_is_psx_248() -> None:
    assert SESSIONS_PER_YEAR == 248


def test_volatility_sharpe_sortino_follow_the_numpy_formulas() -> None:
    rf = (1 + SBP) ** (1 / N) - 1
    assert per_session_rate(SBP, N) == pytest.approx(rf)
    excess = RETURNS - rf
    assert annual_volatility(RETURNS, N) == pytest.approx(np.std(RETURNS, ddof=1) * math.sqrt(N))
    assert sharpe_ratio(RETURNS, SBP, N) == pytest.approx(
        excess.mean() / excess.std(ddof=1) * math.sqrt(N)
    )
    down = math.sqrt(np.mean(np.minimum(excess, 0) ** 2)) * math.sqrt(N)
    assert downside_risk(RETURNS, SBP, N) == pytest.approx(down)
    assert sortino_ratio(RETURNS, SBP, N) == pytest.approx(excess.mean() * N / down)


def test_ratios_match_empyrical() -> None:
    rf = per_session_rate(SBP, N)
    assert annual_volatility(RETURNS, N) == pytest.approx(
        empyrical.annual_volatility(RETURNS, annualization=N), rel=1e-12
    )
    assert sharpe_ratio(RETURNS, SBP, N) == pytest.approx(
        empyrical.sharpe_ratio(RETURNS, risk_free=rf, annualization=N), rel=1e-12
    )
    assert sortino_ratio(RETURNS, SBP, N) == pytest.approx(
        empyrical.sortino_ratio(RETURNS, required_return=rf, annualization=N), rel=1e-12
    )
    assert downside_risk(RETURNS, SBP, N) == pytest.approx(
        empyrical.downside_risk(RETURNS, required_return=rf, annualization=N), rel=1e-12
    )
    alpha, beta = alpha_beta(RETURNS, BENCH, SBP, N)
    ref_alpha, ref_beta = empyrical.alpha_beta(RETURNS, BENCH, risk_free=rf, annualization=N)
    assert beta == pytest.approx(ref_beta, rel=1e-12)
    assert alpha == pytest.approx(ref_alpha, rel=1e-10)


def test_drawdown_and_var_match_empyrical() -> None:
    dd = drawdown_stats(RETURNS)
    assert dd is not None
    assert dd.max_drawdown == pytest.approx(empyrical.max_drawdown(RETURNS), rel=1e-12)
    for c in (0.95, 0.99):
        assert historical_var(RETURNS, c) == pytest.approx(
            empyrical.value_at_risk(RETURNS, cutoff=1 - c), rel=1e-12
        )
        assert historical_cvar(RETURNS, c) == pytest.approx(
            empyrical.conditional_value_at_risk(RETURNS, cutoff=1 - c), rel=1e-12
        )


def test_a_first_day_loss_is_a_drawdown_as_empyrical_counts_it() -> None:
    returns = np.array([-0.1, 0.05])
    dd = drawdown_stats(returns, [date(2025, 3, 3), date(2025, 3, 4)])
    assert dd is not None
    assert dd.max_drawdown == pytest.approx(-0.1)
    assert dd.max_drawdown == pytest.approx(empyrical.max_drawdown(returns))
    # Peak: the starting point (no session); not recovered: two sessions under water.
    assert (dd.peak, dd.trough, dd.recovery, dd.duration_sessions) == (
        None,
        date(2025, 3, 3),
        None,
        2,
    )


def test_parametric_var_is_quantstats_normal_quantile() -> None:
    mu, sd = RETURNS.mean(), RETURNS.std(ddof=1)
    for c in (0.95, 0.99):
        assert parametric_var(RETURNS, c) == pytest.approx(stats.norm.ppf(1 - c, mu, sd), rel=1e-9)
        z = stats.norm.ppf(1 - c)
        assert parametric_cvar(RETURNS, c) == pytest.approx(
            mu - sd * stats.norm.pdf(z) / (1 - c), rel=1e-9
        )
    # At 95%: z = -1.6449, φ(z)/0.05 = 2.0627.
    assert parametric_var([0.01, -0.01], 0.95) == pytest.approx(
        -1.644854 * math.sqrt(2) * 0.01, rel=1e-6
    )
    assert parametric_cvar([0.01, -0.01], 0.95) == pytest.approx(
        -2.062713 * math.sqrt(2) * 0.01, rel=1e-6
    )


def test_historical_var_by_hand() -> None:
    # Twenty returns -10%, -9%, ..., +9%: the 5th percentile interpolates between -10% and -9%
    # at 0.95 of the way (index 19 × 0.05 = 0.95): -9.05%; CVaR: int(19 × 0.05) = 0 → the
    # single worst, -10%.
    r = np.arange(-10, 10) / 100
    assert historical_var(r, 0.95) == pytest.approx(-0.0905)
    assert historical_cvar(r, 0.95) == pytest.approx(-0.10)
    # At 99%, the 1st percentile: -10% + 0.19 × 1% = -9.81%.
    assert historical_var(r, 0.99) == pytest.approx(-0.0981)


def test_var_table_scales_by_root_h_and_prices_the_loss() -> None:
    table = value_at_risk(RETURNS, D("1000000.00"))
    assert len(table) == 8
    by_key = {(v.method, v.confidence, v.horizon_days): v for v in table}
    for method in VarMethod:
        for c in (0.95, 0.99):
            one, ten = by_key[(method, c, 1)], by_key[(method, c, 10)]
            assert ten.var == pytest.approx(one.var * math.sqrt(10))
            assert ten.cvar == pytest.approx(one.cvar * math.sqrt(10))
            assert one.cvar <= one.var < 0
            assert one.var_amount == D(repr(-one.var * 1_000_000)).quantize(D("0.01"))
    hist = by_key[(VarMethod.HISTORICAL, 0.99, 1)]
    assert hist.var == pytest.approx(historical_var(RETURNS, 0.99))
    assert value_at_risk([0.01], D(100)) == ()


def test_drawdown_durations_by_hand() -> None:
    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(5)]
    # Wealth 1, 1.1, 0.88, 0.924, 1.1088, 0.99792: -20% from the peak of day 1, back above it
    # on day 4 (three sessions), then -10% still open at the end.
    dd = drawdown_stats([0.1, -0.2, 0.05, 0.2, -0.1], days)
    assert dd is not None
    assert dd.max_drawdown == pytest.approx(-0.2)
    assert (dd.peak, dd.trough, dd.recovery) == (days[0], days[1], days[3])
    assert (dd.duration_sessions, dd.duration_days) == (3, 3)
    assert (dd.longest_sessions, dd.longest_days) == (3, 3)
    flat = drawdown_stats([0.01, 0.02])
    assert flat is not None
    assert (flat.max_drawdown, flat.duration_sessions, flat.peak) == (0.0, 0, None)


def test_undefined_ratios_are_none() -> None:
    assert sharpe_ratio([0.01, 0.01, 0.01]) is None
    assert sharpe_ratio([0.01]) is None
    assert sortino_ratio([0.01, 0.02]) is None  # nothing below the risk-free rate of 0
    assert annual_volatility([0.01]) is None
    assert alpha_beta([0.01, 0.02], [0.01, 0.01]) == (None, None)
    assert drawdown_stats([]) is None


def test_correlation_matrix_matches_numpy() -> None:
    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(30)]
    a = 100 * np.cumprod(1 + RETURNS[:30])
    b = 50 * np.cumprod(1 + BENCH[:30])
    closes = {
        "AAA": {d: D(repr(round(float(x), 4))) for d, x in zip(days, a, strict=True)},
        "BBB": {d: D(repr(round(float(x), 4))) for d, x in zip(days, b, strict=True)},
        "FLAT": dict.fromkeys(days, D("10")),
    }
    corr = correlation_matrix(closes)
    assert corr.symbols == ("AAA", "BBB", "FLAT")
    assert corr.sessions == 29
    ra = np.array([float(closes["AAA"][d]) for d in days])
    rb = np.array([float(closes["BBB"][d]) for d in days])
    expected = np.corrcoef(ra[1:] / ra[:-1] - 1, rb[1:] / rb[:-1] - 1)[0, 1]
    assert corr.matrix[0][0] == 1.0
    assert corr.matrix[0][1] == pytest.approx(expected)
    assert corr.matrix[1][0] == pytest.approx(expected)
    assert corr.matrix[2] == (None, None, None)
    # Only sessions where every symbol closed count.
    gappy = correlation_matrix(
        {"AAA": closes["AAA"], "BBB": {d: closes["BBB"][d] for d in days[:3]}}
    )
    assert gappy.matrix == ((1.0, None), (None, 1.0))


def test_concentration_by_hand() -> None:
    c = concentration(
        {"OGDC": D("50000"), "HUBC": D("30000"), "PSO": D("20000"), "GONE": D("0")},
        {"OGDC": "0820", "HUBC": "0824"},
    )
    assert c is not None
    # Weights 0.5, 0.3, 0.2: HHI 0.25 + 0.09 + 0.04 = 0.38, 2.63 effective holdings.
    assert (c.largest_symbol, c.largest_weight) == ("OGDC", 0.5)
    assert c.hhi == pytest.approx(0.38)
    assert c.effective_holdings == pytest.approx(1 / 0.38)
    assert [(s.sector, s.value, s.weight) for s in c.sectors] == [
        ("0820", D("50000"), 0.5),
        ("0824", D("30000"), 0.3),
        (None, D("20000"), 0.2),
    ]
    assert concentration({}) is None


def test_liquidity_at_20_percent_of_average_volume() -> None:
    # 20-session average of 20,000 shares: 20% is 4,000 a day; 10,000 shares take 2.5 days.
    assert average_volume([1_000_000] * 5 + [20_000] * 20) == 20_000
    assert average_volume([]) is None
    liq = liquidity({"HUBC": 10_000, "PSO": 1_000}, {"HUBC": 20_000.0, "PSO": 50_000.0})
    assert [(r.symbol, r.days_to_liquidate) for r in liq.rows] == [("HUBC", 2.5), ("PSO", 0.1)]
    assert liq.days_to_liquidate == 2.5
    unknown = liquidity({"HUBC": 10_000, "ILLQ": 5}, {"HUBC": 20_000.0, "ILLQ": 0.0})
    assert unknown.rows[1].days_to_liquidate is None
    assert unknown.days_to_liquidate is None
    assert (
        liquidity({"HUBC": 10_000}, {"HUBC": 20_000.0}, participation=0.1).days_to_liquidate == 5.0
    )


def test_risk_report_of_a_portfolio() -> None:
    policy = PortfolioPolicy(tracks_cash=True)
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(200)]
    days = [d for d in days if d.weekday() < 5]
    px_a = 100 * np.cumprod(1 + RETURNS[: len(days)])
    px_b = 40 * np.cumprod(1 + BENCH[: len(days)])
    closes = {
        "AAA": {d: D(repr(float(x))).quantize(D("0.01")) for d, x in zip(days, px_a, strict=True)},
        "BBB": {d: D(repr(float(x))).quantize(D("0.01")) for d, x in zip(days, px_b, strict=True)},
    }
    kse = {
        d: D(repr(float(x))).quantize(D("0.01"))
        for d, x in zip(days, 100_000 * np.cumprod(1 + BENCH[: len(days)]), strict=True)
    }
    start = days[0]

    def entry(kind: TransactionType, **kw: object):  # type: ignore[no-untyped-def]
        return build_transaction(TransactionInput(kind, start, **kw), policy)  # type: ignore[arg-type]

    ledger = [
        entry(TransactionType.DEPOSIT, amount=D("100000")),
        entry(TransactionType.BUY, symbol="AAA", quantity=500, price=closes["AAA"][start]),
        entry(TransactionType.BUY, symbol="BBB", quantity=800, price=closes["BBB"][start]),
    ]
    perf = performance(ledger, policy, closes, benchmark=kse)
    assert perf is not None
    last = days[-1]
    valuation = value_book(
        replay(ledger, policy), {s: PriceQuote(c[last]) for s, c in closes.items()}
    )
    report = risk_report(
        perf,
        valuation,
        risk_free_rate=SBP,
        closes=closes,
        average_volumes={"AAA": 10_000.0, "BBB": 2_000.0},
        sectors={"AAA": "0804", "BBB": "0807"},
    )
    returns = np.array([p.daily_return for p in perf.series])
    assert report.sessions == len(days)
    assert report.sharpe == pytest.approx(sharpe_ratio(returns, SBP))
    assert report.sortino == pytest.approx(sortino_ratio(returns, SBP))
    assert report.annual_volatility == pytest.approx(annual_volatility(returns))
    bench = np.array(
        [b.daily_return if b.daily_return is not None else np.nan for b in perf.benchmark.series]
    )  # type: ignore[union-attr]
    ok = ~np.isnan(bench)
    assert report.beta == pytest.approx(alpha_beta(returns[ok], bench[ok], SBP)[1])
    assert report.drawdown is not None
    assert report.drawdown.max_drawdown == pytest.approx(empyrical.max_drawdown(returns))
    assert report.correlation.symbols == ("AAA", "BBB")
    assert len(report.value_at_risk) == 8
    assert report.value_at_risk[0].var_amount == D(
        repr(-report.value_at_risk[0].var * float(valuation.total_value))
    ).quantize(D("0.01"))
    assert report.concentration is not None
    assert report.concentration.largest_weight == pytest.approx(
        max(float(p.market_value or 0) for p in valuation.positions)
        / float(valuation.holdings_value)
    )
    # 800 BBB at 20% of 2,000 a day: 2 days, the slowest.
    assert report.liquidity.days_to_liquidate == 2.0


def test_correlations_are_taken_over_the_days_every_holding_has() -> None:
    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(30)]
    a = 100 * np.cumprod(1 + RETURNS[:30])
    b = 50 * np.cumprod(1 + BENCH[:30])
    gaps = {3, 4, 17}
    closes = {
        "AAA": {d: D(repr(round(float(x), 4))) for d, x in zip(days, a, strict=True)},
        "BBB": {
            d: D(repr(round(float(x), 4)))
            for i, (d, x) in enumerate(zip(days, b, strict=True))
            if i not in gaps
        },
    }
    corr = correlation_matrix(closes, days[1:])
    kept = [d for i, d in enumerate(days) if i not in gaps and i >= 1]
    ra = np.array([float(closes["AAA"][d]) for d in kept])
    rb = np.array([float(closes["BBB"][d]) for d in kept])
    expected = np.corrcoef(ra[1:] / ra[:-1] - 1, rb[1:] / rb[:-1] - 1)[0, 1]
    assert corr.sessions == len(kept) - 1
    assert corr.matrix[0][1] == pytest.approx(expected)
