"""Pure market rules: ticks, circuit limits, sessions and state, paging, adjustments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode
from domain.markets.adjustments import adjust, adjustment_for
from domain.markets.bars import Candle, Interval
from domain.markets.charts import aggregate_daily, chart_request
from domain.markets.instruments import CorporateAction, CorporateActionKind
from domain.markets.prices import circuit_limits, is_on_tick, to_tick
from domain.markets.sessions import PKT, MarketState, default_sessions, market_status
from domain.pagination import decode_cursor, encode_cursor, page_of

D = Decimal


@pytest.mark.parametrize(
    ("ldcp", "lower", "upper"),
    [
        (D("222.31"), D("200.08"), D("244.54")),  # 10% band, rounded to the tick
        (D("7.08"), D("6.08"), D("8.08")),  # Rs 1 floor binds below Rs 10
        (D("0.50"), D("0.01"), D("1.50")),  # the lower limit never goes under one tick
        (D("10.00"), D("9.00"), D("11.00")),
    ],
)
def test_circuit_limits(ldcp: Decimal, lower: Decimal, upper: Decimal) -> None:
    assert circuit_limits(ldcp) == (lower, upper)


def test_tick_rounding_and_check() -> None:
    assert to_tick("10.005") == D("10.01")
    assert is_on_tick(D("10.01")) and not is_on_tick(D("10.011"))


def test_sessions_follow_the_weekly_schedule() -> None:
    thursday, friday, saturday = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)
    assert [(s.open_at.time(), s.close_at.time()) for s in default_sessions(thursday)] == [
        (datetime(1, 1, 1, 9, 32).time(), datetime(1, 1, 1, 15, 30).time())
    ]
    assert [s.open_at.strftime("%H:%M") for s in default_sessions(friday)] == ["09:17", "14:32"]
    assert default_sessions(saturday) == []
    assert default_sessions(thursday, frozenset({thursday})) == []


@pytest.mark.parametrize(
    ("local", "state"),
    [
        ((2026, 11, 20, 9, 5), MarketState.PRE_OPEN),
        ((2026, 11, 20, 10, 0), MarketState.OPEN),
        ((2026, 11, 20, 13, 0), MarketState.BREAK),
        ((2026, 11, 20, 14, 20), MarketState.PRE_OPEN),
        ((2026, 11, 20, 17, 0), MarketState.CLOSED),
        ((2026, 11, 21, 11, 0), MarketState.CLOSED),
    ],
)
def test_market_state_through_a_friday(local: tuple[int, ...], state: MarketState) -> None:
    now = datetime(*local, tzinfo=PKT)
    sessions = [s for d in range(19, 25) for s in default_sessions(date(2026, 11, d))]
    status = market_status(now, sessions)
    assert status.state is state
    assert status.next is not None and status.next.open_at > now


def test_halt_overrides_open() -> None:
    now = datetime(2026, 11, 19, 11, 0, tzinfo=PKT)
    status = market_status(now, default_sessions(date(2026, 11, 19)), halted=True)
    assert status.state is MarketState.HALTED


def test_pages_and_cursors() -> None:
    items = list(range(45))
    first = page_of(items, first=20, after=None)
    assert first.items == tuple(range(20)) and first.has_next and not first.has_previous
    second = page_of(items, first=20, after=first.cursors[-1])
    assert second.items[0] == 20 and second.has_previous
    last = page_of(items, first=20, after=second.cursors[-1])
    assert last.items == tuple(range(40, 45)) and not last.has_next
    assert decode_cursor(encode_cursor(7)) == 7
    with pytest.raises(DomainError) as bad:
        decode_cursor("not-a-cursor")
    assert bad.value.code is ErrorCode.INVALID and bad.value.field == "after"


def _candle(day: date, o: str, h: str, low: str, c: str, v: int) -> Candle:
    ts = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return Candle(ts, D(o), D(h), D(low), D(c), v, D(v) * D(c), 1)


def test_dividend_and_bonus_adjust_only_earlier_bars() -> None:
    days = [date(2026, 3, d) for d in (2, 3, 4, 5)]
    candles = [_candle(d, "100", "101", "99", "100", 1000) for d in days]
    dividend = CorporateAction(1, 1, CorporateActionKind.CASH_DIVIDEND, days[2], D("5"), None, "")
    bonus = CorporateAction(2, 1, CorporateActionKind.BONUS, days[3], D("25"), None, "")
    adj = [adjustment_for(dividend, D("100")), adjustment_for(bonus, D("95"))]
    assert adj[0].price_factor == D("0.95") and adj[1].price_factor == D("0.8")
    out = adjust(candles, days, adj)
    assert [c.close for c in out] == [D("76.0000"), D("76.0000"), D("80.0000"), D("100")]
    assert [c.volume for c in out] == [1250, 1250, 1250, 1000]


def test_right_issue_uses_theoretical_ex_rights_price() -> None:
    right = CorporateAction(1, 1, CorporateActionKind.RIGHT, date(2026, 1, 5), D("20"), D("10"), "")
    # TERP = (50 + 0.2 × 10) / 1.2 = 43.333…, factor = TERP / 50.
    assert adjustment_for(right, D("50")).price_factor == (D(52) / D("1.2")) / D(50)


def test_weekly_and_monthly_roll_ups() -> None:
    days = [date(2026, 3, 27), date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)]
    candles = [
        _candle(days[0], "10", "11", "9", "10", 1),
        _candle(days[1], "10", "12", "9", "11", 2),
        _candle(days[2], "11", "13", "10", "12", 3),
        _candle(days[3], "12", "12", "8", "9", 4),
    ]
    weekly = aggregate_daily(candles, days, Interval.W1)
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in weekly] == [
        (D(10), D(11), D(9), D(10), 1),
        (D(10), D(13), D(8), D(9), 9),
    ]
    monthly = aggregate_daily(candles, days, Interval.MN1)
    assert [c.volume for c in monthly] == [6, 4]


def test_chart_request_defaults_and_errors() -> None:
    now = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    req = chart_request(
        interval=Interval.D1,
        start=None,
        end=None,
        limit=None,
        adjusted=False,
        now=now,
        max_limit=10_000,
    )
    assert req.end == now and req.start == now - timedelta(days=366) and req.limit == 1000
    with pytest.raises(DomainError) as naive:
        chart_request(
            interval=Interval.D1,
            start=datetime(2026, 1, 1),
            end=None,
            limit=None,
            adjusted=False,
            now=now,
            max_limit=10_000,
        )
    assert naive.value.field == "from"
