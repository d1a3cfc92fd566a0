"""Settlement dates of PSX trades (PSX.md section 1): T+2 until 6 Feb 2026, T+1 from 9 Feb 2026.

The lag is counted in trading days (weekends and market holidays skipped) and chosen by the
trade date, so trades of Friday 6 Feb 2026 (T+2) and Monday 9 Feb 2026 (T+1) both settle on
Tuesday 10 Feb.
"""

from __future__ import annotations

from datetime import date, timedelta

T1_FROM = date(2026, 2, 9)
# (first trade date, settlement lag in trading days), oldest first: the cycle is a setting of
# the market that changes on a date, not a constant.
SETTLEMENT_CYCLES: tuple[tuple[date, int], ...] = ((date.min, 2), (T1_FROM, 1))


def settlement_lag(trade_date: date) -> int:
    """Trading days from trade to settlement: 2 up to 6 Feb 2026, 1 from 9 Feb 2026."""
    lag = SETTLEMENT_CYCLES[0][1]
    for first, days in SETTLEMENT_CYCLES:
        if trade_date >= first:
            lag = days
    return lag


def is_trading_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """Whether the regular market can open on `day`: a weekday that is not a holiday."""
    return day.weekday() < 5 and day not in holidays


def settlement_date(trade_date: date, holidays: frozenset[date] = frozenset()) -> date:
    """The day a trade settles: its settlement lag in trading days after the trade date.

    Args:
        trade_date: the day the trade was done.
        holidays: market holidays (weekends are always skipped).
    """
    day = trade_date
    left = settlement_lag(trade_date)
    while left:
        day += timedelta(days=1)
        if is_trading_day(day, holidays):
            left -= 1
    return day
