"""Pure rules of the live path: tick validation, quotes after trades, bars, halts, simulation."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from domain.markets.bars import Candle, MinuteBars, bucket_start
from domain.markets.halts import HaltMonitor
from domain.markets.prices import circuit_limits, is_on_tick
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT, default_sessions
from domain.markets.simulation import (
    SimulatedMarket,
    SimulationSettings,
    intraday_seasonality,
    liquidity_weights,
)
from domain.markets.ticks import Tick, TickRejection, apply_tick, check_tick

FRIDAY = datetime(2026, 11, 20, tzinfo=PKT).date()
SESSIONS = default_sessions(FRIDAY)
AT = datetime(2026, 11, 20, 10, 0, tzinfo=PKT)
D = Decimal


def state(last: str = "100.00", *, at: datetime | None = None, seq: int = 0) -> QuoteState:
    price = D(last)
    return QuoteState(
        symbol="OGDC",
        last=price,
        open=price,
        high=price,
        low=price,
        prev_close=D("100.00"),
        volume=1000,
        turnover=price * 1000,
        trades=10,
        updated_at=at or datetime(2026, 11, 19, 15, 30, tzinfo=PKT),
        seq=seq,
    )


def tick(price: str, *, at: datetime = AT, seq: int = 1, volume: int = 500) -> Tick:
    return Tick("OGDC", D(price), volume, at, seq)


@pytest.mark.parametrize(
    ("t", "current", "reason"),
    [
        (tick("100.50"), None, TickRejection.UNKNOWN_SYMBOL),
        (tick("100.50", volume=0), state(), TickRejection.BAD_VOLUME),
        (tick("100.505"), state(), TickRejection.OFF_TICK),
        (tick("110.01"), state(), TickRejection.OUTSIDE_LIMITS),
        (tick("89.99"), state(), TickRejection.OUTSIDE_LIMITS),
        (tick("100.50", at=AT.replace(hour=13)), state(), TickRejection.OUTSIDE_SESSION),
        (tick("100.50", seq=4), state(at=AT, seq=4), TickRejection.DUPLICATE),
        (
            tick("100.50", seq=9),
            state(at=AT + timedelta(seconds=1), seq=3),
            TickRejection.OUT_OF_ORDER,
        ),
        (tick("100.50", seq=3), state(at=AT, seq=4), TickRejection.OUT_OF_ORDER),
    ],
)
def test_check_tick_names_the_rule_broken(
    t: Tick, current: QuoteState | None, reason: TickRejection
) -> None:
    assert check_tick(t, current, SESSIONS) is reason


def test_check_tick_accepts_the_band_edges_and_refuses_during_a_halt() -> None:
    lower, upper = circuit_limits(D("100.00"))
    assert (lower, upper) == (D("90.00"), D("110.00"))
    assert check_tick(tick("110.00"), state(), SESSIONS) is None
    assert check_tick(tick("90.00"), state(), SESSIONS) is None
    assert check_tick(tick("100.00"), state(), SESSIONS, halted=True) is TickRejection.HALTED


def test_first_trade_of_a_day_opens_a_session_with_the_last_price_as_ldcp() -> None:
    yesterday = state("104.00")
    after = apply_tick(yesterday, tick("105.10", volume=300))
    assert after.prev_close == D("104.00")
    assert (after.open, after.high, after.low, after.last) == (D("105.10"),) * 4
    assert (after.volume, after.trades, after.turnover) == (300, 1, D("31530.00"))
    # the band for today's trades is now around 104.00
    assert check_tick(tick("114.41", seq=2, at=AT + timedelta(seconds=1)), after, SESSIONS) is (
        TickRejection.OUTSIDE_LIMITS
    )


def test_later_trades_accumulate_the_session() -> None:
    first = apply_tick(state(), tick("101.00", volume=100))
    second = apply_tick(first, tick("99.50", volume=200, seq=2, at=AT + timedelta(seconds=5)))
    assert (second.open, second.high, second.low, second.last) == (
        D("101.00"),
        D("101.00"),
        D("99.50"),
        D("99.50"),
    )
    assert second.volume == 300
    assert second.turnover == D("101.00") * 100 + D("99.50") * 200
    assert second.trades == 2
    assert second.seq == 2


def test_minute_bars_close_when_the_minute_turns() -> None:
    bars = MinuteBars()
    bars.add("OGDC", AT + timedelta(seconds=5), D("100.00"), 100)
    forming, closed = bars.add("OGDC", AT + timedelta(seconds=50), D("101.00"), 50)
    assert closed is None
    assert forming == Candle(
        AT, D("100.00"), D("101.00"), D("100.00"), D("101.00"), 150, D("10000.00") + D("5050.00"), 2
    )
    forming, closed = bars.add("OGDC", AT + timedelta(seconds=61), D("99.00"), 10)
    assert closed is not None and closed.ts == AT and closed.close == D("101.00")
    assert forming.ts == AT + timedelta(minutes=1)
    assert bars.close_before(AT + timedelta(minutes=2)) == [("OGDC", forming)]
    assert bars.forming() == []


def test_buckets_align_to_the_session_open() -> None:
    open_at = SESSIONS[0].open_at  # 09:17 on a Friday
    assert bucket_start(open_at + timedelta(minutes=7), 5, open_at) == open_at + timedelta(
        minutes=5
    )
    assert bucket_start(open_at + timedelta(minutes=59), 60, open_at) == open_at
    assert bucket_start(open_at + timedelta(minutes=60), 60, open_at) == open_at + timedelta(
        hours=1
    )


def test_halt_after_five_minutes_beyond_five_percent_for_sixty_five_minutes() -> None:
    monitor = HaltMonitor()
    close = AT.replace(hour=15, minute=30)
    start = AT
    for minute in range(5):
        assert monitor.observe(start + timedelta(minutes=minute), D("-5.2"), close) is None
    halt = monitor.observe(start + timedelta(minutes=5), D("-5.4"), close)
    assert halt is not None
    assert halt.resumes_at - halt.started_at == timedelta(minutes=65)
    assert "down" in halt.reason
    assert monitor.halted(start + timedelta(minutes=30))
    assert not monitor.halted(halt.resumes_at)


def test_no_halt_when_the_move_comes_back_or_near_the_close() -> None:
    monitor = HaltMonitor()
    close = AT.replace(hour=15, minute=30)
    monitor.observe(AT, D("5.5"), close)
    monitor.observe(AT + timedelta(minutes=3), D("4.9"), close)  # back inside: the count resets
    assert monitor.observe(AT + timedelta(minutes=6), D("5.5"), close) is None
    late = close - timedelta(minutes=70)
    fresh = HaltMonitor()
    fresh.observe(late, D("6"), close)
    assert fresh.observe(late + timedelta(minutes=6), D("6"), close) is None


def test_simulated_trades_are_on_the_tick_inside_the_band_and_in_order() -> None:
    market = SimulatedMarket(random.Random(3), SimulationSettings(trades_per_second=50))
    quotes = {"OGDC": state("100.00"), "KEL": replace(state("5.10"), symbol="KEL")}
    weights = liquidity_weights(quotes)
    now = SESSIONS[0].open_at + timedelta(minutes=30)
    ticks = []
    for _ in range(50):
        now += timedelta(seconds=1)
        batch = market.step(now, timedelta(seconds=1), SESSIONS[0], quotes, weights)
        for t in batch:
            quotes[t.symbol] = apply_tick(quotes[t.symbol], t)
        ticks += batch
    assert 1500 < len(ticks) < 3500
    assert all(is_on_tick(t.price) and t.volume > 0 for t in ticks)
    for symbol in quotes:
        mine = [t for t in ticks if t.symbol == symbol]
        assert [t.seq for t in mine] == list(range(1, len(mine) + 1))
        assert all(a.at <= b.at for a, b in pairwise(mine))
        lower, upper = circuit_limits(D("5.10") if symbol == "KEL" else D("100.00"))
        assert all(lower <= t.price <= upper for t in mine)


def test_trading_is_busier_at_the_open_and_close_than_at_midday() -> None:
    s = SESSIONS[0]
    mid = s.open_at + (s.close_at - s.open_at) / 2
    assert intraday_seasonality(s.open_at, s) > 2 * intraday_seasonality(mid, s)
    assert intraday_seasonality(s.close_at, s) > 2 * intraday_seasonality(mid, s)
