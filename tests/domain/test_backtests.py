"""The backtest engine on tiny hand-made markets: every fill, charge and equity worked by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from domain.analytics.indicators import IndicatorKind, IndicatorParams, IndicatorRequest, compute
from domain.backtests.calendars import tax_years
from domain.backtests.engine import BacktestSettings, FillTiming, run_backtest, simulate
from domain.backtests.results import BacktestResult, ExitReason, FillReason, TaxCharge
from domain.backtests.strategies import (
    Condition,
    Operand,
    Operator,
    PriceField,
    Rule,
    Signals,
    Sizing,
    SizingKind,
    Strategy,
)
from domain.errors import DomainError
from domain.markets.costs import PSX_COSTS, CostBreakdown, Side, tax_year

D = Decimal
# Monday 6 Jan 2025, 09:32 PKT: daily candles open at the first session.
T0 = datetime(2025, 1, 6, 4, 32, tzinfo=UTC)
CLOSE = Operand.price(PriceField.CLOSE)
# The rules are not read by `simulate`: the tests hand it the signals.
ANY = Strategy(entry=Rule(conditions=(Condition(CLOSE, Operator.ABOVE, Operand.constant(0)),)))
FREE = BacktestSettings(initial_cash=D(10_000), costs=False)

Row = tuple[float, float, float, float]  # open, high, low, close


def sessions(n: int, first: datetime = T0) -> list[datetime]:
    """n weekday sessions from `first`."""
    out: list[datetime] = []
    day = first
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def bars(
    rows: list[Row], *, ts: list[datetime] | None = None, volume: list[float] | None = None
) -> pl.DataFrame:
    """A symbol's daily bars from (open, high, low, close) rows."""
    n = len(rows)
    return pl.DataFrame(
        {
            "ts": ts or sessions(n),
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
            "volume": volume or [10_000.0] * n,
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )


def flat(*closes: float) -> list[Row]:
    """Bars that open, trade and close at one price."""
    return [(c, c, c, c) for c in closes]


def signals(n: int, entry: tuple[int, ...] = (), exit: tuple[int, ...] = ()) -> Signals:
    e = np.zeros(n, dtype=np.bool_)
    x = np.zeros(n, dtype=np.bool_)
    e[list(entry)] = True
    x[list(exit)] = True
    return Signals(e, x)


def one(
    rows: list[Row],
    sig: Signals,
    settings: BacktestSettings = FREE,
    strategy: Strategy = ANY,
    *,
    ts: list[datetime] | None = None,
    volume: list[float] | None = None,
) -> BacktestResult:
    frame = bars(rows, ts=ts, volume=volume)
    return simulate({"AAA": frame}, {"AAA": sig}, strategy, settings)


def equities(result: BacktestResult) -> list[Decimal]:
    return [p.equity for p in result.equity]


def test_signal_on_bar_t_fills_at_next_open_with_hand_computed_costs_and_equity() -> None:
    rows = [
        (100.0, 101.0, 99.0, 100.5),
        (101.0, 102.0, 100.0, 101.5),
        (102.0, 103.0, 101.0, 102.5),
        (103.0, 104.0, 102.0, 103.5),
        (104.0, 105.0, 103.0, 104.5),
    ]
    result = one(rows, signals(5, entry=(0,), exit=(2,)), replace(FREE, costs=True))
    buy, sell = result.fills
    # All equity (10,000) at 101.00: 99 shares cost 9,999 + 18.36 > 10,000, so 98 shares:
    # 9,898 × 0.15% = 14.847 → 14.85; SST 1.93; CVT 0.99; CDC 0.392 → 0.39; fees 0.20.
    assert (buy.ts, buy.side, buy.quantity, buy.price) == (sessions(5)[1], Side.BUY, 98, D("101"))
    assert buy.costs == CostBreakdown(D("14.85"), D("1.93"), D("0.99"), D("0.39"), D("0.20"))
    # The exit signal on bar 2 sells at bar 3's open: 98 × 103 = 10,094; 15.141 → 15.14;
    # SST 1.97; CDC 0.39; fees 0.20.
    assert (sell.ts, sell.side, sell.quantity, sell.price) == (
        sessions(5)[3],
        Side.SELL,
        98,
        D(103),
    )
    assert sell.costs == CostBreakdown(D("15.14"), D("1.97"), D("0.00"), D("0.39"), D("0.20"))
    # Cash 10,000 - 9,898 - 18.36 = 83.64, marked at 101.5 and 102.5; then 83.64 + 10,094 - 17.70.
    assert equities(result) == [
        D("10000.00"),
        D("10030.64"),
        D("10128.64"),
        D("10159.94"),
        D("10159.94"),
    ]
    assert [p.cash for p in result.equity][1] == D("83.64")
    (trade,) = result.trades
    assert (trade.entry_price, trade.exit_price, trade.quantity) == (D(101), D(103), 98)
    assert (trade.gross_pnl, trade.costs, trade.net_pnl) == (D("196.00"), D("36.06"), D("159.94"))
    assert trade.return_pct == pytest.approx(159.94 / (9898 + 18.36) * 100)
    assert (trade.bars_held, trade.exit_reason) == (2, ExitReason.SIGNAL)
    assert result.metrics.total_costs == D("36.06")
    assert result.metrics.exposure_time_pct == pytest.approx(60.0)


def test_close_fill_trades_at_the_signal_bars_close() -> None:
    rows = [(100.0, 101.0, 99.0, 100.0), (101.0, 103.0, 100.0, 102.0), *flat(104.0, 105.0)]
    result = one(rows, signals(4, entry=(0,), exit=(1,)), replace(FREE, fill=FillTiming.CLOSE))
    buy, sell = result.fills
    assert (buy.ts, buy.price, buy.quantity) == (sessions(4)[0], D(100), 100)
    assert (sell.ts, sell.price, sell.quantity) == (sessions(4)[1], D(102), 100)
    assert equities(result) == [D("10000.00"), D("10200.00"), D("10200.00"), D("10200.00")]


def test_changing_future_bars_does_not_change_past_trades() -> None:
    rng = np.random.default_rng(3)
    closes = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300))), 2)
    rows = [(c, c * 1.01, c * 0.99, c) for c in closes.tolist()]
    cut = 200
    changed = rows[:cut] + [(r[0] * 1.3, r[1] * 1.3, r[2] * 1.3, r[3] * 1.3) for r in rows[cut:]]
    level = float(np.median(closes))
    strategy = Strategy(
        entry=Rule(conditions=(Condition(CLOSE, Operator.CROSSES_ABOVE, Operand.constant(level)),)),
        exit=Rule(conditions=(Condition(CLOSE, Operator.CROSSES_BELOW, Operand.constant(level)),)),
    )
    settings = BacktestSettings(initial_cash=D(100_000), sessions_per_year=248)
    base = run_backtest({"AAA": bars(rows)}, strategy, settings)
    other = run_backtest({"AAA": bars(changed)}, strategy, settings)
    before = sessions(300)[cut]
    past = [f for f in base.fills if f.ts < before]
    assert len(past) >= 6  # the walk crosses the level a few times before the cut
    assert [f for f in other.fills if f.ts < before] == past
    assert equities(other)[:cut] == equities(base)[:cut]
    # A signal on bar t trades on bar t+1: each fill follows a bar where the close crossed.
    above = closes > level
    for fill in past:
        t = sessions(300).index(fill.ts)
        assert above[t - 1] != above[t - 2]
        assert fill.price == D(str(rows[t][0])).quantize(D("0.01"))


@pytest.mark.parametrize(("ldcp", "limit_up", "later"), [(100.0, 110.0, 112.0), (5.0, 6.0, 6.5)])
def test_buy_at_a_limit_up_open_waits_for_the_next_bar(
    ldcp: float, limit_up: float, later: float
) -> None:
    # Band = ldcp ± max(10%, Rs 1): 110.00 above 100, 6.00 above 5 (the Rs 1 floor).
    rows = [*flat(ldcp), *flat(limit_up), (later, later, later, later), *flat(later)]
    result = one(rows, signals(4, entry=(0,)))
    (buy, sell) = result.fills
    assert (buy.ts, buy.price, buy.quantity) == (
        sessions(4)[2],
        D(str(later)),
        int(10_000 // later),
    )
    assert equities(result)[1] == D("10000.00")
    assert sell.reason is FillReason.END


def test_sell_at_a_limit_down_open_waits_for_the_next_bar() -> None:
    # Bought 100 at 100; the exit order meets a 90.00 open, the lower limit of 100: no sale.
    rows = [*flat(100.0, 100.0), *flat(90.0), (85.0, 86.0, 84.0, 85.0), *flat(85.0)]
    result = one(rows, signals(5, entry=(0,), exit=(1,)))
    buy, sell = result.fills
    assert (buy.ts, buy.price) == (sessions(5)[1], D(100))
    assert (sell.ts, sell.price, sell.reason) == (sessions(5)[3], D(85), FillReason.EXIT)
    assert result.trades[0].net_pnl == D("-1500.00")


def test_exit_signal_cancels_an_entry_still_waiting() -> None:
    rows = [*flat(100.0), *flat(110.0), *flat(111.0, 112.0)]
    result = one(rows, signals(4, entry=(0,), exit=(1,)))
    assert result.fills == ()
    assert result.trades == ()


def test_slippage_moves_against_the_trader_and_stays_in_the_band() -> None:
    # Buy at 109.99 + 3 ticks = 110.02, clamped to the upper limit 110.00 of 100;
    # sell at 94.51 - 3 ticks = 94.48, clamped to the lower limit 94.50 of 105.
    rows = [*flat(100.0), (109.99, 110.0, 104.0, 105.0), (94.51, 96.0, 94.5, 95.0), *flat(95.0)]
    result = one(rows, signals(4, entry=(0,), exit=(1,)), replace(FREE, slippage_ticks=3))
    buy, sell = result.fills
    assert (buy.price, buy.quantity) == (D("110.00"), 90)
    assert sell.price == D("94.50")
    # Without the band: 2 ticks each way.
    free = one(rows, signals(4, entry=(0,), exit=(1,)), replace(FREE, slippage_ticks=2))
    assert [f.price for f in free.fills] == [D("110.00"), D("94.50")]
    small = [*flat(100.0), (101.0, 102.0, 100.0, 101.0), *flat(101.0, 101.0)]
    slip = one(small, signals(4, entry=(0,), exit=(1,)), replace(FREE, slippage_ticks=2))
    assert [f.price for f in slip.fills] == [D("101.02"), D("100.98")]


def test_no_fill_on_a_bar_without_volume() -> None:
    rows = flat(100.0, 101.0, 102.0, 103.0)
    result = one(rows, signals(4, entry=(0,)), volume=[1000.0, 0.0, 1000.0, 1000.0])
    assert (result.fills[0].ts, result.fills[0].price) == (sessions(4)[2], D(102))


def test_buys_whole_shares_sized_down_so_cash_pays_the_costs() -> None:
    rows = flat(100.0, 100.0, 100.0)
    result = one(rows, signals(3, entry=(0,)), replace(FREE, costs=True))
    buy = result.fills[0]
    # 100 shares would cost 10,000 + 18.55; 99 cost 9,900 + 18.37.
    assert buy.quantity == 99
    assert buy.costs.total == D("18.37")
    assert result.equity[1].cash == D("81.63")


def test_cash_never_goes_negative_when_entries_compete_for_it() -> None:
    rows = flat(100.0, 100.0, 100.0)
    strategy = replace(ANY, sizing=Sizing(SizingKind.PERCENT_OF_EQUITY, percent=D(50)))
    frames = {s: bars(rows) for s in ("AAA", "BBB", "CCC")}
    sig = {s: signals(3, entry=(0,)) for s in frames}
    result = simulate(frames, sig, strategy, replace(FREE, costs=True))
    bought = {f.symbol: f.quantity for f in result.fills if f.side is Side.BUY}
    # 50% of 10,000 each, costs on top: AAA buys 50 for 5,000 + 9.28; BBB gets what the
    # 4,990.72 left pays for with costs (49 for 4,909.10); CCC finds 81.62, not a share.
    assert bought["AAA"] == 50
    assert bought["BBB"] == 49
    assert result.equity[1].cash == D("81.62")
    assert "CCC" not in bought
    assert all(p.cash >= 0 for p in result.equity)
    assert all(isinstance(f.quantity, int) and f.quantity > 0 for f in result.fills)


@pytest.mark.parametrize(
    ("rows", "reason", "price", "at"),
    [
        # The low reaches the 95.00 stop (5% under 100): sold at the stop.
        ([*flat(100.0), (100.0, 101.0, 99.0, 100.0), (98.0, 99.0, 94.0, 96.0)], "STOP_LOSS", 95, 2),
        # The open gapped under the stop: sold at the open.
        ([*flat(100.0), (100.0, 101.0, 99.0, 100.0), (93.0, 94.0, 92.0, 93.0)], "STOP_LOSS", 93, 2),
        # The entry bar itself trades down through the stop after the open.
        ([*flat(100.0), (100.0, 100.0, 94.0, 96.0), *flat(96.0)], "STOP_LOSS", 95, 1),
        # The high reaches the 110.00 take-profit.
        (
            [*flat(100.0), (100.0, 101.0, 99.0, 104.0), (105.0, 111.0, 104.0, 108.0)],
            "TAKE_PROFIT",
            110,
            2,
        ),
        # The open gapped above the take-profit: sold at the open.
        (
            [*flat(100.0), (100.0, 105.0, 99.0, 104.0), (112.0, 113.0, 111.0, 112.0)],
            "TAKE_PROFIT",
            112,
            2,
        ),
        # One bar reaches both: the stop is assumed first.
        (
            [*flat(100.0), (100.0, 101.0, 99.0, 100.0), (100.0, 111.0, 94.0, 100.0)],
            "STOP_LOSS",
            95,
            2,
        ),
    ],
)
def test_stop_loss_and_take_profit(rows: list[Row], reason: str, price: int, at: int) -> None:
    strategy = replace(ANY, stop_loss_pct=D(5), take_profit_pct=D(10))
    rows = [*rows, *flat(rows[-1][3])]
    result = one(rows, signals(len(rows), entry=(0,)), strategy=strategy)
    buy, sell = result.fills
    assert (buy.price, buy.quantity) == (D(100), 100)
    assert (sell.ts, sell.price, sell.reason.value) == (sessions(len(rows))[at], D(price), reason)
    assert result.trades[0].exit_reason.value == reason
    assert result.trades[0].net_pnl == D(100 * (price - 100))


def test_stop_at_the_lower_limit_waits_for_the_next_open() -> None:
    # The stop of 91.00 (9% under 100) is met only at 90.00, the lower limit: locked.
    rows = [*flat(100.0, 100.0), (90.0, 90.0, 90.0, 90.0), (88.0, 89.0, 87.0, 88.0), *flat(88.0)]
    strategy = replace(ANY, stop_loss_pct=D(9))
    result = one(rows, signals(5, entry=(0,)), strategy=strategy)
    sell = result.fills[1]
    assert (sell.ts, sell.price, sell.reason) == (sessions(5)[3], D(88), FillReason.STOP_LOSS)


def test_equal_weight_rebalances_held_positions_to_one_nth() -> None:
    a = bars([*flat(50.0), (50.0, 55.0, 50.0, 55.0), (58.0, 60.0, 58.0, 60.0), *flat(60.0, 60.0)])
    b = bars(flat(20.0, 20.0, 20.0, 20.0, 20.0))
    strategy = replace(ANY, sizing=Sizing(SizingKind.EQUAL_WEIGHT, rebalance_every=2))
    result = simulate(
        {"AAA": a, "BBB": b}, {"AAA": signals(5, (0,)), "BBB": signals(5, (0,))}, strategy, FREE
    )
    ts = sessions(5)
    got = [(f.ts, f.symbol, f.side, f.quantity, f.price, f.reason) for f in result.fills]
    # Bar 1: 5,000 each: 100 AAA at 50, 250 BBB at 20. Bar 2 closes at 6,000 + 5,000: the
    # rebalance aims at 5,500 each, filled at bar 3's open: sell 9 AAA at 60, buy 25 BBB.
    assert got == [
        (ts[1], "AAA", Side.BUY, 100, D(50), FillReason.ENTRY),
        (ts[1], "BBB", Side.BUY, 250, D(20), FillReason.ENTRY),
        (ts[3], "AAA", Side.SELL, 9, D(60), FillReason.REBALANCE),
        (ts[3], "BBB", Side.BUY, 25, D(20), FillReason.REBALANCE),
        (ts[4], "AAA", Side.SELL, 91, D(60), FillReason.END),
        (ts[4], "BBB", Side.SELL, 275, D(20), FillReason.END),
    ]
    assert [p.cash for p in result.equity][3] == D("40.00")
    assert equities(result) == [D(10_000), D(10_500), D(11_000), D(11_000), D(11_000)]
    trade_a = next(t for t in result.trades if t.symbol == "AAA")
    assert (trade_a.quantity, trade_a.gross_pnl, trade_a.exit_price) == (100, D(1000), D(60))


def test_fixed_amount_buys_that_many_rupees() -> None:
    strategy = replace(ANY, sizing=Sizing(SizingKind.FIXED_AMOUNT, amount=D(2_500)))
    result = one(flat(30.0, 30.0, 31.0), signals(3, entry=(0,)), strategy=strategy)
    assert result.fills[0].quantity == 83  # 2,500 / 30


def test_capital_gains_tax_nets_within_the_tax_year() -> None:
    days = [date(2025, 6, d) for d in (23, 24, 25, 26, 27, 30)] + [
        date(2025, 7, d) for d in (1, 2, 3)
    ]
    ts = [datetime(d.year, d.month, d.day, 4, 32, tzinfo=UTC) for d in days]
    rows = [
        *flat(100.0),
        (100.0, 115.0, 100.0, 115.0),  # buy 100 at 100
        (120.0, 120.0, 100.0, 100.0),  # sell at 120: +2,000
        (100.0, 100.0, 97.0, 97.0),  # buy 100 at 100
        (95.0, 100.0, 95.0, 100.0),  # sell at 95: -500; FY2025 nets +1,500
        *flat(100.0),  # 30 Jun: 15% of 1,500 = 225 is charged at the close
        (100.0, 105.0, 100.0, 105.0),  # 1 Jul: buy 100 at 100
        *flat(105.0, 110.0),  # sold at the end at 110: +1,000 in FY2026
    ]
    strategy = replace(ANY, sizing=Sizing(SizingKind.FIXED_AMOUNT, amount=D(10_000)))
    settings = replace(FREE, capital_gains_tax_pct=D(15))
    result = one(rows, signals(9, entry=(0, 2, 5), exit=(1, 3)), settings, strategy, ts=ts)
    assert result.taxes == (
        TaxCharge(2025, ts[5], D("1500.00"), D("225.00")),
        TaxCharge(2026, ts[8], D("1000.00"), D("150.00")),
    )
    assert result.equity[5].equity == D("11275.00")
    assert result.metrics.equity_final == D("12125.00")
    assert result.metrics.total_tax == D("375.00")


def test_final_equity_is_cash_plus_net_pnl_less_tax() -> None:
    rng = np.random.default_rng(11)
    frames, sig = {}, {}
    for k in range(3):
        closes = np.round(50 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, 400))), 2)
        rows = [(c, c * 1.01, c * 0.99, c) for c in closes.tolist()]
        frames[f"S{k}"] = bars(rows)
        sig[f"S{k}"] = Signals(rng.random(400) < 0.05, rng.random(400) < 0.05)
    strategy = replace(ANY, stop_loss_pct=D(4), take_profit_pct=D(8))
    settings = BacktestSettings(
        initial_cash=D(500_000), slippage_ticks=1, capital_gains_tax_pct=D(15)
    )
    result = simulate(frames, sig, strategy, settings)
    net = sum((t.net_pnl for t in result.trades), D(0))
    assert len(result.trades) > 20
    assert result.metrics.equity_final == D(500_000) + net - result.metrics.total_tax
    assert result.equity[-1].cash == result.metrics.equity_final
    assert sum((f.costs.total for f in result.fills), D(0)) == result.metrics.total_costs
    assert all(p.cash >= 0 for p in result.equity)
    for f in result.fills:
        if f.side is Side.BUY:
            assert f.costs == PSX_COSTS.costs(Side.BUY, f.quantity, f.price)


def test_a_day_without_a_bar_keeps_the_order_waiting_and_marks_the_last_close() -> None:
    ts = sessions(5)
    a = bars(flat(10.0, 10.0, 10.0, 10.0, 10.0))
    b = bars(flat(20.0, 21.0, 23.0, 24.0), ts=[ts[0], ts[1], ts[3], ts[4]])
    sig = {"AAA": signals(5), "BBB": signals(4, entry=(0,))}
    strategy = replace(ANY, sizing=Sizing(SizingKind.FIXED_AMOUNT, amount=D(2_100)))
    result = simulate({"AAA": a, "BBB": b}, sig, strategy, FREE)
    assert (result.fills[0].ts, result.fills[0].price, result.fills[0].quantity) == (
        ts[1],
        D(21),
        100,
    )
    # BBB did not trade on session 2: marked at its close of session 1.
    assert result.equity[2].equity == D(10_000)
    assert result.equity[3].equity == D(10_200)


def test_bars_before_start_warm_up_and_set_the_first_band() -> None:
    rows = flat(100.0, 100.0, 110.0, 111.0, 112.0)
    settings = replace(FREE, start=sessions(5)[2].date())
    result = one(rows, signals(5, entry=(1, 2)), settings)
    assert [p.ts for p in result.equity] == sessions(5)[2:]
    # The entry of session 1 is before the range; session 2's buys at 111 on session 3.
    assert (result.fills[0].ts, result.fills[0].price) == (sessions(5)[3], D(111))


def test_end_cuts_the_bars_and_closes_positions_at_the_last_close() -> None:
    rows = flat(100.0, 101.0, 102.0, 150.0)
    result = one(rows, signals(4, entry=(0,)), replace(FREE, end=sessions(4)[2].date()))
    assert len(result.equity) == 3
    assert result.fills[-1].price == D(102)
    assert result.trades[0].exit_reason is ExitReason.END


def test_benchmark_return_and_beta() -> None:
    closes = [100.0, 102.0, 101.0, 104.0, 103.0, 106.0]
    index = pl.DataFrame(
        {"ts": sessions(6), "close": [1000.0, 1010.0, 1000.0, 1030.0, 1020.0, 1050.0]},
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )
    result = simulate(
        {"AAA": bars(flat(*closes))}, {"AAA": signals(6, entry=(0,))}, ANY, FREE, benchmark=index
    )
    eq = np.array([float(e) for e in equities(result)])
    bm = index.get_column("close").to_numpy()
    er, br = np.diff(np.log(eq)), np.diff(np.log(bm))
    assert result.metrics.benchmark_return_pct == pytest.approx(5.0)
    assert result.metrics.beta == pytest.approx(np.cov(er, br)[0, 1] / np.var(br, ddof=1))
    assert result.metrics.buy_and_hold_return_pct == pytest.approx(6.0)


def test_beta_operands_read_the_benchmark_aligned_by_day() -> None:
    rng = np.random.default_rng(2)
    ts = sessions(80)
    closes = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 80))), 2)
    level = np.round(1000 * np.exp(np.cumsum(rng.normal(0, 0.01, 80))), 2)
    # The index misses session 40 and is given out of order: the symbol's bar sees null.
    index = pl.DataFrame(
        {"ts": ts[:40] + ts[41:], "close": [*level[:40].tolist(), *level[41:].tolist()]},
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    ).reverse()
    beta = Operand.of(IndicatorKind.BETA, IndicatorParams(period=10))
    strategy = Strategy(
        entry=Rule(conditions=(Condition(beta, Operator.ABOVE, Operand.constant(0.0)),))
    )
    frame = bars([(c, c, c, c) for c in closes.tolist()])
    result = run_backtest({"AAA": frame}, strategy, FREE, benchmark=index)
    aligned = pl.Series([*level[:40].tolist(), None, *level[41:].tolist()], dtype=pl.Float64)
    (expected,) = compute(
        [IndicatorRequest(IndicatorKind.BETA, IndicatorParams(period=10))],
        frame,
        benchmark_close=aligned,
    )
    first = next(i for i, v in enumerate(expected.outputs["value"]) if v is not None and v > 0)
    assert result.fills[0].ts == ts[first + 1]
    assert result.metrics.benchmark_return_pct == pytest.approx((level[-1] / level[0] - 1) * 100)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (BacktestSettings(initial_cash=D(0)), "settings.initialCash"),
        (BacktestSettings(initial_cash=D("10.001")), "settings.initialCash"),
        (BacktestSettings(slippage_ticks=-1), "settings.slippageTicks"),
        (BacktestSettings(capital_gains_tax_pct=D(101)), "settings.capitalGainsTaxPct"),
        (BacktestSettings(start=date(2025, 2, 1), end=date(2025, 1, 1)), "settings.end"),
        (BacktestSettings(risk_free_rate_pct=100.0), "settings.riskFreeRatePct"),
    ],
)
def test_invalid_settings_name_their_field(settings: BacktestSettings, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        simulate({"AAA": bars(flat(1.0, 2.0))}, {"AAA": signals(2)}, ANY, settings)
    assert raised.value.field == field


def test_symbols_are_required_and_must_trade_in_the_range() -> None:
    with pytest.raises(DomainError) as raised:
        run_backtest({}, ANY, FREE)
    assert raised.value.field == "symbols"
    late = replace(FREE, start=date(2030, 1, 1))
    with pytest.raises(DomainError) as raised:
        simulate({"AAA": bars(flat(1.0, 2.0))}, {"AAA": signals(2)}, ANY, late)
    assert (raised.value.field, raised.value.code.value) == ("symbols", "NOT_FOUND")


def test_tax_years_of_a_calendar_match_the_tax_year_rule() -> None:
    numbers = np.arange(19_500, 20_400, dtype=np.int64)
    expected = [tax_year(date(1970, 1, 1) + timedelta(days=int(d))) for d in numbers]
    assert tax_years(numbers).tolist() == expected
