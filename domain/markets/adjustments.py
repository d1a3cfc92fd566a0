"""Back-adjustment of price history for corporate actions (PSX.md sections 3 and 6).

A bar before an ex-date is multiplied by the product of the price factors of every action
that goes ex after it; volumes are divided by the share-count factors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from domain.markets.bars import Candle
from domain.markets.instruments import CorporateAction, CorporateActionKind

_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Adjustment:
    """How one action scales history before its ex-date."""

    ex_date: date
    price_factor: Decimal
    volume_factor: Decimal


def adjustment_for(action: CorporateAction, close_before: Decimal | None) -> Adjustment:
    """The factors of one action, given the last close before its ex-date.

    Cash dividend: (P - D) / P. Bonus of X%: 1 / (1 + X/100), volume × (1 + X/100).
    Split of r new per old: 1 / r, volume × r. Right of X% at S: theoretical ex-rights price
    (P + r·S) / (1 + r) over P, with r = X/100, volume unchanged.
    """
    one = Decimal(1)
    if action.kind is CorporateActionKind.CASH_DIVIDEND:
        if close_before is None or close_before <= action.value:
            return Adjustment(action.ex_date, one, one)
        return Adjustment(action.ex_date, (close_before - action.value) / close_before, one)
    if action.kind is CorporateActionKind.BONUS:
        ratio = one + action.value / 100
        return Adjustment(action.ex_date, one / ratio, ratio)
    if action.kind is CorporateActionKind.SPLIT:
        return Adjustment(action.ex_date, one / action.value, action.value)
    # A right: only an adjustment when the subscription price is below the market.
    r = action.value / 100
    if close_before is None or action.price is None or action.price >= close_before:
        return Adjustment(action.ex_date, one, one)
    terp = (close_before + r * action.price) / (one + r)
    return Adjustment(action.ex_date, terp / close_before, one)


def price_factors(
    days: Sequence[date] | NDArray[np.datetime64],
    closes: Sequence[float] | NDArray[np.float64],
    actions: Sequence[CorporateAction],
) -> np.ndarray:
    """Back-adjustment factor of each bar: the product of the factors of later ex-dates.

    `days` are the bars' trading days, ascending, and `closes` their raw closes; an action
    whose ex-date falls after the last bar scales every bar.
    """
    return back_adjustment(days, closes, actions)[0]


def back_adjustment(
    days: Sequence[date] | NDArray[np.datetime64],
    closes: Sequence[float] | NDArray[np.float64],
    actions: Sequence[CorporateAction],
) -> tuple[np.ndarray, np.ndarray]:
    """The back-adjustment factors of each bar's prices and of its volume: the products of
    the price and of the share-count factors of later ex-dates (`price_factors` is the
    first), as `adjust` applies them to candles."""
    prices = np.ones(len(days))
    volumes = np.ones(len(days))
    stamps = np.array(days, dtype="datetime64[D]")
    for action in actions:
        at = int(np.searchsorted(stamps, np.datetime64(action.ex_date)))
        if at == 0:
            continue
        adjustment = adjustment_for(action, Decimal(str(closes[at - 1])))
        prices[:at] *= float(adjustment.price_factor)
        volumes[:at] *= float(adjustment.volume_factor)
    return prices, volumes


def adjustments(
    actions: Sequence[CorporateAction], close_before: Mapping[date, Decimal]
) -> list[Adjustment]:
    """Factors for each action; `close_before` maps an ex-date to the last close before it."""
    return [adjustment_for(a, close_before.get(a.ex_date)) for a in actions]


def adjust(
    candles: Sequence[Candle], days: Sequence[date], adj: Sequence[Adjustment]
) -> list[Candle]:
    """Apply adjustments to candles; `days[i]` is the trading day of `candles[i]`."""
    if not adj:
        return list(candles)
    ordered = sorted(adj, key=lambda a: a.ex_date, reverse=True)
    out: list[Candle] = [None] * len(candles)  # type: ignore[list-item]
    price_f = Decimal(1)
    volume_f = Decimal(1)
    k = 0
    # Walk from the newest bar back, picking up each action once its ex-date is passed.
    for i in range(len(candles) - 1, -1, -1):
        while k < len(ordered) and ordered[k].ex_date > days[i]:
            price_f *= ordered[k].price_factor
            volume_f *= ordered[k].volume_factor
            k += 1
        c = candles[i]
        if price_f == 1 and volume_f == 1:
            out[i] = c
            continue
        out[i] = replace(
            c,
            open=(c.open * price_f).quantize(_PLACES),
            high=(c.high * price_f).quantize(_PLACES),
            low=(c.low * price_f).quantize(_PLACES),
            close=(c.close * price_f).quantize(_PLACES),
            volume=int(c.volume * volume_f),
        )
    return out
