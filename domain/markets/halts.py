"""The index-based market halt (PSX.md section 1, "Price limits and halts").

Trading stops for the whole market when the KSE-30 trades 5% or more away from its previous
close for 5 consecutive minutes, except in the last 75 minutes before the close. The halt
lasts 60 minutes and ends with a 5-minute pre-open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

HALT_INDEX = "KSE30"
HALT_MOVE_PCT = Decimal(5)
HALT_AFTER = timedelta(minutes=5)
HALT_FOR = timedelta(minutes=60)
RESUME_PRE_OPEN = timedelta(minutes=5)
NO_HALT_BEFORE_CLOSE = timedelta(minutes=75)


@dataclass(frozen=True, slots=True)
class Halt:
    """A market halt: trading resumes (after a pre-open) at `resumes_at`."""

    started_at: datetime
    resumes_at: datetime
    reason: str

    def active(self, now: datetime) -> bool:
        """True while trading is suspended (the resumption pre-open included)."""
        return self.started_at <= now < self.resumes_at


class HaltMonitor:
    """Watches the halt index's move and says when the market halts.

    Feed it the index's percent change whenever it is recomputed; it is pure state, no clock.
    """

    def __init__(self) -> None:
        self._beyond_since: datetime | None = None
        self.halt: Halt | None = None

    def halted(self, now: datetime) -> bool:
        """True while a halt is in force at `now`."""
        return self.halt is not None and self.halt.active(now)

    def observe(self, now: datetime, change_pct: Decimal, session_close: datetime) -> Halt | None:
        """Record the index's move at `now`; returns a halt when this observation starts one."""
        if self.halted(now):
            return None
        if abs(change_pct) < HALT_MOVE_PCT:
            self._beyond_since = None
            return None
        if self._beyond_since is None:
            self._beyond_since = now
        if now - self._beyond_since < HALT_AFTER or session_close - now <= NO_HALT_BEFORE_CLOSE:
            return None
        direction = "up" if change_pct > 0 else "down"
        self.halt = Halt(
            started_at=now,
            resumes_at=now + HALT_FOR + RESUME_PRE_OPEN,
            reason=f"{HALT_INDEX} {direction} {abs(change_pct):.2f}% for 5 minutes",
        )
        self._beyond_since = None
        return self.halt

    def new_day(self) -> None:
        """Forget yesterday's move; a halt never carries over the close."""
        self._beyond_since = None
        self.halt = None
