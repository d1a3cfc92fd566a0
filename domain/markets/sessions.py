"""PSX trading sessions and market state (PSX.md section 1, "Sessions, time zone, calendar").

The calendar is data: `default_sessions` gives the regular schedule for a day, the database
keeps the sessions actually held (holidays removed, Ramadan timings applied), and
`market_status` reads whichever sessions it is handed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

PKT = timezone(timedelta(hours=5), "PKT")


class MarketState(enum.StrEnum):
    """Where the regular market is in its day."""

    PRE_OPEN = "PRE_OPEN"
    OPEN = "OPEN"
    BREAK = "BREAK"
    CLOSED = "CLOSED"
    HALTED = "HALTED"


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """Local (PKT) wall-clock times of one continuous session."""

    pre_open: time
    open: time
    close: time


@dataclass(frozen=True, slots=True)
class TradingSession:
    """One continuous trading session on one day, as instants."""

    day: date
    number: int
    pre_open_at: datetime
    open_at: datetime
    close_at: datetime

    def contains(self, instant: datetime) -> bool:
        """True when `instant` is inside the continuous session [open, close)."""
        return self.open_at <= instant < self.close_at


MON_THU = (SessionTimes(time(9, 15), time(9, 32), time(15, 30)),)
FRIDAY = (
    SessionTimes(time(9, 0), time(9, 17), time(12, 0)),
    SessionTimes(time(14, 15), time(14, 32), time(16, 30)),
)


def _at(day: date, wall: time) -> datetime:
    return datetime.combine(day, wall, tzinfo=PKT)


def sessions_from_times(day: date, times: Sequence[SessionTimes]) -> list[TradingSession]:
    """Build the instants of a day's sessions from wall-clock times."""
    return [
        TradingSession(
            day=day,
            number=i + 1,
            pre_open_at=_at(day, t.pre_open),
            open_at=_at(day, t.open),
            close_at=_at(day, t.close),
        )
        for i, t in enumerate(times)
    ]


def default_sessions(day: date, holidays: frozenset[date] = frozenset()) -> list[TradingSession]:
    """The regular schedule: Mon-Thu one session, Friday two, none on weekends or holidays."""
    weekday = day.weekday()
    if weekday >= 5 or day in holidays:
        return []
    return sessions_from_times(day, FRIDAY if weekday == 4 else MON_THU)


def trading_days(start: date, end: date, holidays: frozenset[date]) -> list[date]:
    """Days in [start, end] on which the regular market opens."""
    days: list[date] = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(frozen=True, slots=True)
class MarketStatus:
    """The market's state at an instant, with the session in force or coming next."""

    state: MarketState
    as_of: datetime
    current: TradingSession | None
    next: TradingSession | None


def market_status(
    now: datetime, sessions: Iterable[TradingSession], *, halted: bool = False
) -> MarketStatus:
    """The state of the market at `now` given the known sessions around it.

    `sessions` must include today's sessions and at least the next trading day's.
    """
    ordered = sorted(sessions, key=lambda s: s.open_at)
    current = next((s for s in ordered if s.pre_open_at <= now < s.close_at), None)
    upcoming = next((s for s in ordered if s.pre_open_at > now), None)
    if current is not None:
        if halted:
            state = MarketState.HALTED
        elif now < current.open_at:
            state = MarketState.PRE_OPEN
        else:
            state = MarketState.OPEN
        return MarketStatus(state=state, as_of=now, current=current, next=upcoming)
    earlier_today = any(s.day == now.astimezone(PKT).date() and s.close_at <= now for s in ordered)
    later_today = upcoming is not None and upcoming.day == now.astimezone(PKT).date()
    state = MarketState.BREAK if earlier_today and later_today else MarketState.CLOSED
    return MarketStatus(state=state, as_of=now, current=None, next=upcoming)
