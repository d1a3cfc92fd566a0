"""Alert rules: indicators against TA-Lib, crossings, once and cooldown."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
import talib

from domain.alerts.rules import (
    Alert,
    AlertCondition,
    AlertRepeat,
    SymbolHistory,
    check_alert_input,
    evaluate,
    rsi,
    sma,
)
from domain.errors import DomainError
from domain.markets.quotes import QuoteState

D = Decimal
T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def walk(n: int, seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    price, out = 100.0, []
    for _ in range(n):
        price = max(1.0, price * (1 + rng.gauss(0, 0.02)))
        out.append(D(f"{price:.2f}"))
    return out


@pytest.mark.parametrize(("period", "seed"), [(14, 1), (9, 2), (30, 3), (2, 4)])
def test_rsi_matches_ta_lib(period: int, seed: int) -> None:
    closes = walk(120, seed)
    expected = talib.RSI(np.array([float(c) for c in closes]), timeperiod=period)
    for n in range(period + 1, len(closes) + 1):
        ours = rsi(closes[: n - 1], closes[n - 1], period)
        assert ours is not None
        assert float(ours) == pytest.approx(expected[n - 1], abs=1e-9)
    assert rsi(closes[: period - 1], closes[period - 1], period) is None


@pytest.mark.parametrize("period", [2, 20, 50])
def test_sma_matches_ta_lib_with_the_live_price_as_todays_close(period: int) -> None:
    closes = walk(80, 7)
    expected = talib.SMA(np.array([float(c) for c in closes]), timeperiod=period)
    for n in range(period, len(closes) + 1):
        ours = sma(closes[: n - 1], closes[n - 1], period)
        assert ours is not None
        assert float(ours) == pytest.approx(expected[n - 1], abs=1e-9)


def quote(last: str, *, at: datetime = T0, volume: int = 1000, prev: str = "100.00") -> QuoteState:
    p = D(last)
    return QuoteState("OGDC", p, p, p, p, D(prev), volume, p * volume, 1, at)


def alert(condition: AlertCondition, threshold: str | None, **kw: object) -> Alert:
    base = Alert(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        symbol="OGDC",
        condition=condition,
        threshold=None if threshold is None else D(threshold),
        period=None,
        repeat=AlertRepeat.ONCE,
        cooldown=timedelta(0),
        active=True,
        last_fired_at=None,
        created_at=T0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_level_fires_on_the_crossing_not_while_it_stays_past() -> None:
    a = alert(AlertCondition.PRICE_ABOVE, "101.00")
    assert evaluate(a, quote("100.50"), quote("100.99"), None) is None
    fired = evaluate(a, quote("100.99"), quote("101.00"), None)
    assert fired is not None and fired.value == D("101.00")
    assert evaluate(a, quote("101.00"), quote("101.50"), None) is None  # already past


def test_once_fires_once_and_cooldown_rearms_after_the_pause() -> None:
    once = alert(AlertCondition.PRICE_BELOW, "99.00", last_fired_at=T0, active=False)
    assert evaluate(once, quote("99.50"), quote("98.00"), None) is None
    cool = alert(
        AlertCondition.PRICE_BELOW,
        "99.00",
        repeat=AlertRepeat.COOLDOWN,
        cooldown=timedelta(minutes=5),
        last_fired_at=T0,
    )
    soon = T0 + timedelta(minutes=4)
    later = T0 + timedelta(minutes=6)
    assert evaluate(cool, quote("99.50", at=soon), quote("98.00", at=soon), None) is None
    assert evaluate(cool, quote("99.50", at=later), quote("98.00", at=later), None) is not None


def test_change_percent_volume_and_sma_conditions() -> None:
    change = alert(AlertCondition.CHANGE_PERCENT_ABOVE, "2")
    assert evaluate(change, quote("101.90"), quote("102.00"), None) is not None
    history = SymbolHistory(closes=tuple(D("100.00") for _ in range(30)), average_volume=D(500))
    volume = alert(AlertCondition.VOLUME_ABOVE_AVERAGE, "3")
    assert evaluate(volume, quote("100", volume=1400), quote("100", volume=1500), history)
    assert evaluate(volume, None, quote("100", volume=1499), history) is None
    cross = alert(AlertCondition.CROSSES_ABOVE_SMA, None, period=20)
    fired = evaluate(cross, quote("99.90"), quote("100.40"), history)
    assert fired is not None
    assert fired.value == (D("100.00") * 19 + D("100.40")) / 20
    assert evaluate(cross, quote("100.40"), quote("100.60"), history) is None


@pytest.mark.parametrize(
    ("condition", "threshold", "period", "field"),
    [
        (AlertCondition.PRICE_ABOVE, None, None, "threshold"),
        (AlertCondition.PRICE_ABOVE, D("10.005"), None, "threshold"),
        (AlertCondition.RSI_ABOVE, D("100"), None, "threshold"),
        (AlertCondition.CROSSES_ABOVE_SMA, D("10"), None, "threshold"),
        (AlertCondition.CROSSES_ABOVE_SMA, None, 500, "period"),
        (AlertCondition.PRICE_BELOW, D("10"), 5, "period"),
    ],
)
def test_bad_alert_input_names_the_field(
    condition: AlertCondition, threshold: Decimal | None, period: int | None, field: str
) -> None:
    with pytest.raises(DomainError) as err:
        check_alert_input(condition, threshold, period)
    assert err.value.field == field
