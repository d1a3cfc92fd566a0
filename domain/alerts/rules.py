"""Alert conditions and their evaluation on a trade.

Levels are compared with the new quote; crossings (of a level or a moving average) need the
quote before the trade. Indicator conditions use daily closes up to yesterday plus the live
price as today's close, the way a live chart shows them: a simple moving average
(sum of the last N-1 closes and the price, over N) and Wilder's RSI (TA-Lib's convention:
seeded with the mean gain and loss of the first N changes, then smoothed by (N-1)/N).
PATTERN alerts are not evaluated per trade: they watch the daily candle, and fire when a
session closes on a candle that completes their candlestick or chart pattern
(`pattern_firings`, with `domain.analytics.patterns.detect`).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import polars as pl

from domain.analytics.patterns import PatternDirection, PatternKind, PatternMatch, detect
from domain.errors import DomainError, ErrorCode
from domain.markets.adjustments import price_factors
from domain.markets.instruments import CorporateAction
from domain.markets.prices import to_tick
from domain.markets.quotes import QuoteState


class AlertCondition(enum.StrEnum):
    """What an alert watches."""

    PRICE_ABOVE = "PRICE_ABOVE"
    PRICE_BELOW = "PRICE_BELOW"
    CHANGE_PERCENT_ABOVE = "CHANGE_PERCENT_ABOVE"
    CHANGE_PERCENT_BELOW = "CHANGE_PERCENT_BELOW"
    VOLUME_ABOVE_AVERAGE = "VOLUME_ABOVE_AVERAGE"
    CROSSES_ABOVE_SMA = "CROSSES_ABOVE_SMA"
    CROSSES_BELOW_SMA = "CROSSES_BELOW_SMA"
    RSI_ABOVE = "RSI_ABOVE"
    RSI_BELOW = "RSI_BELOW"
    PATTERN = "PATTERN"


class AlertRepeat(enum.StrEnum):
    """ONCE: the alert switches off when it fires; COOLDOWN: it rearms after a pause."""

    ONCE = "ONCE"
    COOLDOWN = "COOLDOWN"


UPWARD = {
    AlertCondition.PRICE_ABOVE,
    AlertCondition.CHANGE_PERCENT_ABOVE,
    AlertCondition.VOLUME_ABOVE_AVERAGE,
    AlertCondition.RSI_ABOVE,
}
SMA_CONDITIONS = {AlertCondition.CROSSES_ABOVE_SMA, AlertCondition.CROSSES_BELOW_SMA}
RSI_CONDITIONS = {AlertCondition.RSI_ABOVE, AlertCondition.RSI_BELOW}
DEFAULT_PERIOD = {**dict.fromkeys(SMA_CONDITIONS, 20), **dict.fromkeys(RSI_CONDITIONS, 14)}
MAX_PERIOD = 200
AVERAGE_VOLUME_DAYS = 20
MIN_COOLDOWN = timedelta(seconds=60)
# Daily bars a PATTERN alert is evaluated on: a 52-week window (248 sessions) before today's
# candle, and more than the 200 sessions a golden or death cross needs.
PATTERN_BARS = 300
PATTERN_BARS_PER_YEAR = 248


@dataclass(frozen=True, slots=True)
class Alert:
    """A user's alert on one symbol."""

    id: uuid.UUID
    user_id: uuid.UUID
    symbol: str
    condition: AlertCondition
    threshold: Decimal | None
    period: int | None
    pattern: PatternKind | None
    repeat: AlertRepeat
    cooldown: timedelta
    active: bool
    last_fired_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SymbolHistory:
    """Daily history an indicator alert needs: closes up to yesterday, oldest first."""

    closes: tuple[Decimal, ...]
    average_volume: Decimal | None


@dataclass(frozen=True, slots=True)
class Firing:
    """An alert that fired: the value that crossed and a sentence for people."""

    alert: Alert
    value: Decimal
    price: Decimal
    at: datetime
    message: str


def check_alert_input(
    condition: AlertCondition,
    threshold: Decimal | None,
    period: int | None,
    *,
    pattern: PatternKind | None,
) -> tuple[Decimal | None, int | None]:
    """The threshold and period an alert stores, validated.

    PATTERN alerts name a pattern and take neither a threshold nor a period; no other
    condition takes a pattern.

    Raises:
        DomainError: naming `pattern`, `threshold` or `period`.
    """
    if condition is AlertCondition.PATTERN:
        if pattern is None:
            raise DomainError(
                ErrorCode.INVALID, "Pattern alerts need the pattern to watch for.", "pattern"
            )
        if threshold is not None:
            raise DomainError(ErrorCode.INVALID, "Pattern alerts take no threshold.", "threshold")
        if period is not None:
            raise DomainError(ErrorCode.INVALID, "Pattern alerts take no period.", "period")
        return None, None
    if pattern is not None:
        raise DomainError(ErrorCode.INVALID, "Only PATTERN alerts take a pattern.", "pattern")
    if condition in SMA_CONDITIONS:
        if threshold is not None:
            raise DomainError(
                ErrorCode.INVALID,
                "Moving-average crossings take a period, not a threshold.",
                "threshold",
            )
    elif threshold is None:
        raise DomainError(ErrorCode.INVALID, "This condition needs a threshold.", "threshold")
    if (
        condition in (AlertCondition.PRICE_ABOVE, AlertCondition.PRICE_BELOW)
        and threshold is not None
        and (threshold <= 0 or threshold != threshold.quantize(Decimal("0.01")))
    ):
        raise DomainError(
            ErrorCode.INVALID, "Price levels are positive, on the 0.01 tick.", "threshold"
        )
    if (
        condition is AlertCondition.VOLUME_ABOVE_AVERAGE
        and threshold is not None
        and threshold <= 0
    ):
        raise DomainError(ErrorCode.INVALID, "The volume multiple must be positive.", "threshold")
    if condition in RSI_CONDITIONS and threshold is not None and not 0 < threshold < 100:
        raise DomainError(ErrorCode.INVALID, "RSI levels lie between 0 and 100.", "threshold")
    if condition in DEFAULT_PERIOD:
        chosen = DEFAULT_PERIOD[condition] if period is None else period
        if not 2 <= chosen <= MAX_PERIOD:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"Periods run from 2 to {MAX_PERIOD} days.", "period"
            )
        return threshold, chosen
    if period is not None:
        raise DomainError(ErrorCode.INVALID, "Only indicator conditions take a period.", "period")
    return threshold, None


def sma(closes: Sequence[Decimal], price: Decimal, period: int) -> Decimal | None:
    """The N-day simple moving average with `price` as today's close."""
    if len(closes) < period - 1:
        return None
    window = [*closes[len(closes) - (period - 1) :], price] if period > 1 else [price]
    return sum(window, Decimal(0)) / period


def rsi(closes: Sequence[Decimal], price: Decimal, period: int) -> Decimal | None:
    """Wilder's RSI with `price` as today's close (TA-Lib seeding), 0 to 100."""
    series = [*closes, price]
    if len(series) <= period:
        return None
    changes = [b - a for a, b in pairwise(series)]
    gain = sum((c for c in changes[:period] if c > 0), Decimal(0)) / period
    loss = sum((-c for c in changes[:period] if c < 0), Decimal(0)) / period
    for c in changes[period:]:
        gain = (gain * (period - 1) + max(c, Decimal(0))) / period
        loss = (loss * (period - 1) + max(-c, Decimal(0))) / period
    if loss == 0:
        return Decimal(100) if gain > 0 else Decimal(50)
    return 100 - 100 / (1 + gain / loss)


def _armed(alert: Alert, at: datetime) -> bool:
    if not alert.active:
        return False
    if alert.last_fired_at is None:
        return True
    return alert.repeat is AlertRepeat.COOLDOWN and at - alert.last_fired_at >= alert.cooldown


def _value(alert: Alert, quote: QuoteState, history: SymbolHistory | None) -> Decimal | None:
    c = alert.condition
    if c in (AlertCondition.PRICE_ABOVE, AlertCondition.PRICE_BELOW):
        return quote.last
    if c in (AlertCondition.CHANGE_PERCENT_ABOVE, AlertCondition.CHANGE_PERCENT_BELOW):
        return quote.change_percent
    if history is None:
        return None
    if c is AlertCondition.VOLUME_ABOVE_AVERAGE:
        if not history.average_volume:
            return None
        return Decimal(quote.volume) / history.average_volume
    assert alert.period is not None  # noqa: S101 - validated on input
    if c in SMA_CONDITIONS:
        return sma(history.closes, quote.last, alert.period)
    return rsi(history.closes, quote.last, alert.period)


def evaluate(
    alert: Alert, before: QuoteState | None, after: QuoteState, history: SymbolHistory | None
) -> Firing | None:
    """The firing this trade causes, if any.

    Level conditions fire when the value is past the threshold and was not before the trade
    (or there was no earlier quote), so an alert set beyond the level waits for a crossing.
    PATTERN alerts never fire on a trade (see `pattern_firings`).
    """
    if alert.condition is AlertCondition.PATTERN or not _armed(alert, after.updated_at):
        return None
    value = _value(alert, after, history)
    if value is None:
        return None
    c = alert.condition
    if c in SMA_CONDITIONS:
        if before is None:
            return None
        prior = sma(history.closes if history else (), before.last, alert.period or 20)
        if prior is None:
            return None
        above = c is AlertCondition.CROSSES_ABOVE_SMA
        crossed = (
            (before.last <= prior and after.last > value)
            if above
            else (before.last >= prior and after.last < value)
        )
        if not crossed:
            return None
        side = "above" if above else "below"
        text = f"{after.symbol} crossed {side} its {alert.period}-day average ({value:.2f})"
        return Firing(alert, value, after.last, after.updated_at, text)
    assert alert.threshold is not None  # noqa: S101 - validated on input
    upward = c in UPWARD
    now_past = value >= alert.threshold if upward else value <= alert.threshold
    if not now_past:
        return None
    prior_value = _value(alert, before, history) if before is not None else None
    if prior_value is not None and (
        prior_value >= alert.threshold if upward else prior_value <= alert.threshold
    ):
        return None  # already past before this trade: not a new event
    label = c.value.replace("_", " ").lower()
    text = f"{after.symbol} {label} {alert.threshold}: now {value:.2f} at {after.last}"
    return Firing(alert, value, after.last, after.updated_at, text)


def _pattern_text(symbol: str, match: PatternMatch, day: date, close: Decimal) -> str:
    side = "" if match.direction is PatternDirection.NEUTRAL else f"{match.direction.lower()} "
    return f"{symbol}: {side}{match.kind} on the daily candle of {day.isoformat()} (close {close})"


def pattern_firings(
    alerts: Sequence[Alert],
    bars: pl.DataFrame,
    *,
    day: date,
    at: datetime,
    actions: Sequence[CorporateAction] = (),
) -> list[Firing]:
    """The PATTERN alerts of one symbol that the session's daily candle sets off.

    An armed alert fires when its pattern has a match completing on the last bar, and that
    bar is `day`'s candle: a pattern that completed on an earlier candle was that day's news,
    and a symbol that did not trade today has no candle to complete one. History before an
    ex-date is back-adjusted first, so a dividend's drop in price is not read as a gap or a
    breakdown.

    Args:
        alerts: Alerts of the symbol; those that are not armed PATTERN alerts are skipped.
        bars: The symbol's daily bars, oldest first: `day` (Date) and Float64 `open`, `high`,
            `low`, `close` (other columns are ignored), ending with the session's candle.
        day: The trading day whose session just closed.
        at: When the session closed: the firings' time, and the instant the cooldown rule
            is applied at (so a second evaluation of the same candle fires nothing).
        actions: The symbol's corporate actions (those after `day` are ignored).

    Returns:
        One firing per alert set off: the match's signal as the value, the candle's close as
        the price.
    """
    armed = [
        a
        for a in alerts
        if a.condition is AlertCondition.PATTERN and a.pattern is not None and _armed(a, at)
    ]
    if not armed or bars.height == 0 or bars.get_column("day")[-1] != day:
        return []
    frame = bars
    relevant = [x for x in actions if x.ex_date <= day]
    if relevant:
        factors = pl.Series(
            price_factors(
                bars.get_column("day").to_list(), bars.get_column("close").to_list(), relevant
            )
        )
        frame = bars.with_columns(pl.col(c) * factors for c in ("open", "high", "low", "close"))
    last = frame.height - 1
    kinds = {a.pattern for a in armed if a.pattern is not None}
    completing: dict[PatternKind, PatternMatch] = {}
    for m in detect(frame, kinds, bars_per_year=PATTERN_BARS_PER_YEAR):
        if m.end == last:
            completing.setdefault(m.kind, m)
    # The raw close (stored on the 0.01 tick): the price the user saw, never an adjusted one.
    close = to_tick(float(bars.get_column("close")[-1]))
    out = []
    for a in armed:
        match = completing.get(a.pattern) if a.pattern is not None else None
        if match is not None:
            text = _pattern_text(a.symbol, match, day, close)
            out.append(Firing(a, Decimal(match.signal), close, at, text))
    return out


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A stored firing, as its owner sees it."""

    id: int
    alert_id: uuid.UUID
    user_id: uuid.UUID
    symbol: str
    condition: AlertCondition
    value: Decimal
    price: Decimal
    message: str
    fired_at: datetime
