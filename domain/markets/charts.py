"""Chart requests: validation and the aggregation of daily candles into weeks and months."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.errors import DomainError, ErrorCode
from domain.markets.bars import MAX_RANGE, Candle, Interval
from domain.markets.sessions import PKT

DEFAULT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """A validated request for candles in [start, end)."""

    interval: Interval
    start: datetime
    end: datetime
    limit: int
    adjusted: bool


def default_lookback(interval: Interval) -> timedelta:
    """How far back a chart goes when `from` is not given."""
    if interval.intraday:
        return timedelta(days=7 if interval.minutes < 15 else 60)
    return {
        Interval.D1: timedelta(days=366),
        Interval.W1: timedelta(days=366 * 5),
    }.get(interval, timedelta(days=366 * 20))


def chart_request(
    *,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    adjusted: bool,
    now: datetime,
    max_limit: int,
) -> ChartRequest:
    """Check a chart's arguments and fill in defaults.

    Raises:
        DomainError: naming the argument (`from`, `to` or `limit`) that is wrong.
    """
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise DomainError(ErrorCode.INVALID, f"`{name}` must carry a time zone offset.", name)
    end = end or now
    start = start or end - default_lookback(interval)
    if start >= end:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "`from` must be earlier than `to`.", "from")
    widest = MAX_RANGE[interval]
    if end - start > widest:
        raise DomainError(
            ErrorCode.TOO_LARGE,
            f"The range is too large for {interval.value}: at most {widest.days} days.",
            "from",
        )
    if limit is None:
        limit = min(DEFAULT_LIMIT, max_limit)
    if limit < 1 or limit > max_limit:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, f"`limit` must be between 1 and {max_limit}.", "limit"
        )
    return ChartRequest(interval=interval, start=start, end=end, limit=limit, adjusted=adjusted)


def _period_key(day: date, interval: Interval) -> date:
    if interval is Interval.W1:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def aggregate_daily(
    candles: Sequence[Candle], days: Sequence[date], interval: Interval
) -> list[Candle]:
    """Roll daily candles up into weekly (Monday-based) or monthly candles.

    A period's candle opens at the first session of the period it holds.
    """
    if interval is Interval.D1:
        return list(candles)
    out: list[Candle] = []
    key: date | None = None
    for candle, day in zip(candles, days, strict=True):
        k = _period_key(day, interval)
        if k != key or not out:
            out.append(candle)
            key = k
            continue
        last = out[-1]
        out[-1] = Candle(
            ts=last.ts,
            open=last.open,
            high=max(last.high, candle.high),
            low=min(last.low, candle.low),
            close=candle.close,
            volume=last.volume + candle.volume,
            turnover=last.turnover + candle.turnover,
            trades=last.trades + candle.trades,
        )
    return out


def trading_day_of(instant: datetime) -> date:
    """The PKT calendar day of an instant."""
    return instant.astimezone(PKT).date()
