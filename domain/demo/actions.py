"""Corporate actions of the demo: the schedule, and how an ex-date adjusts the previous close.

On an ex-date the previous close (LDCP) is adjusted before the day trades, and the circuit band
of that day is computed from the ADJUSTED previous close:

- cash dividend: ``ldcp - dividend``;
- bonus of ``b`` percent: ``ldcp * 100 / (100 + b)``;
- split into ``n`` new shares per old: ``ldcp / n``;
- right of ``r`` percent at subscription price ``s``: ``(100 * ldcp + r * s) / (100 + r)``
  (the theoretical ex-right price).

Each result is rounded half up to the tick (one paisa) and never goes under one tick. In paisa
every rule is ``(ldcp * a + b) / c`` with integers ``a``, ``b``, ``c``, which is how the
generator applies them to whole arrays at once.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from domain.demo.universe import DemoInstrument
from domain.markets.instruments import CorporateActionKind, InstrumentKind

IntArray = npt.NDArray[np.int64]

_PAISA = Decimal(100)


def adjusted_ldcp(
    prev_close: int, kind: CorporateActionKind, value: Decimal, price: Decimal | None = None
) -> int:
    """The previous close adjusted for an ex-date, in paisa.

    Args:
        prev_close: The last day's closing price in paisa.
        kind: The corporate action going ex.
        value: Rs per share for a dividend, percent for a bonus or right, new shares per old
            share for a split.
        price: Subscription price of a right, in rupees.

    Returns:
        The adjusted previous close in paisa, at least one paisa.
    """
    prev = Decimal(prev_close)
    if kind is CorporateActionKind.CASH_DIVIDEND:
        adjusted = prev - value * _PAISA
    elif kind is CorporateActionKind.BONUS:
        adjusted = prev * 100 / (100 + value)
    elif kind is CorporateActionKind.SPLIT:
        adjusted = prev / value
    else:
        if price is None:
            raise ValueError("a right needs its subscription price")
        adjusted = (prev * 100 + value * price * _PAISA) / (100 + value)
    return max(int(adjusted.quantize(Decimal(1), rounding=ROUND_HALF_UP)), 1)


def apply_adjustment(prev_close: IntArray, a: IntArray, b: IntArray, c: IntArray) -> IntArray:
    """Vectorised `adjusted_ldcp`: ``round_half_up((prev * a + b) / c)``, at least one paisa."""
    adjusted: IntArray = np.maximum((2 * (prev_close * a + b) + c) // (2 * c), 1)
    return adjusted


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action placed on the calendar before prices exist.

    `ratio` is the percent of a bonus or right, or new shares per old of a split. `size` is, for
    a dividend, the fraction of the price to pay out and, for a right, the subscription price
    as a fraction of the price; the amounts are fixed once the price path is known.
    """

    day: int
    symbol: int
    kind: CorporateActionKind
    ratio: int
    size: float
    note: str

    @property
    def share_factor(self) -> float:
        """How many shares there are after the ex-date per share before it."""
        if self.kind in (CorporateActionKind.BONUS, CorporateActionKind.RIGHT):
            return (100 + self.ratio) / 100
        if self.kind is CorporateActionKind.SPLIT:
            return float(self.ratio)
        return 1.0


@dataclass(frozen=True, slots=True)
class Scripted:
    """A real-world action replayed in the demo; when its real date is outside the window it
    is placed at `fallback` (a fraction of the window) so every window shows each kind."""

    symbol: str
    kind: CorporateActionKind
    ratio: int
    ex_date: date
    fallback: float
    note: str


SCRIPTED: tuple[Scripted, ...] = (
    # Book closure opened 19 Sep 2024 (T+2 then), so the shares went ex two sessions earlier.
    Scripted(
        "MARI", CorporateActionKind.BONUS, 800, date(2024, 9, 17), 0.55, "800% bonus (8 for 1)"
    ),
    # Face value Rs 10 -> Rs 2; trading resumed on 28 Apr 2025 at a fifth of the last close.
    Scripted(
        "LUCK", CorporateActionKind.SPLIT, 5, date(2025, 4, 28), 0.75, "Split 5 for 1 (Rs 10 -> 2)"
    ),
)

_BONUS_CANDIDATES = ("SEARL", "ILP", "CPHL", "AGP", "HINOON", "PAEL", "AIRLINK", "SAZEW", "TGL")
_RIGHT_CANDIDATES = ("UNITY", "BOP", "AKBL", "PIBTL", "ASTL", "TPLP", "FFL")
# Loss-makers and names that rarely pay in cash.
_NO_DIVIDEND = frozenset(
    {"KEL", "WTL", "TELE", "CNERGY", "PIBTL", "TPLP", "UNITY", "PTC", "SSGC", "FFL", "ASTL",
     "PSMC", "AVN", "GATM", "BOP", "DHPL", "PTL", "TRG", "NETSOL"}
)  # fmt: skip
# Banks, fertilisers and E&Ps pay quarterly; the rest once or twice a year.
_QUARTERLY_SECTORS = frozenset({"0807", "0809", "0820"})
_MONTHS = {4: (2, 5, 8, 10), 2: (3, 9), 1: (9,)}


def _day_on_or_after(days: list[date], when: date) -> int | None:
    index = bisect.bisect_left(days, when)
    return index if index < len(days) else None


def plan_actions(
    rng: np.random.Generator, days: list[date], universe: tuple[DemoInstrument, ...]
) -> list[PlannedAction]:
    """Place the corporate actions of the window on trading days.

    Args:
        rng: The generator's random source.
        days: Trading days of the window, ascending.
        universe: The instruments, in the generator's order.

    Returns:
        At most one action per instrument and day, never on the first day (its previous close
        is not in the data).
    """
    symbols = {item.symbol: n for n, item in enumerate(universe)}
    last = len(days) - 1
    taken: set[tuple[int, int]] = set()
    plan: list[PlannedAction] = []

    def place(
        day: int, symbol: int, kind: CorporateActionKind, ratio: int, size: float, note: str
    ) -> None:
        # A second action on the same day would need a combined adjustment; skip it instead.
        day = min(max(day, 1), last)
        if (day, symbol) in taken:
            return
        taken.add((day, symbol))
        plan.append(PlannedAction(day, symbol, kind, ratio, size, note))

    for event in SCRIPTED:
        found = _day_on_or_after(days, event.ex_date)
        if event.ex_date < days[0] or found is None or found == 0:
            found = round(event.fallback * last)
        place(found, symbols[event.symbol], event.kind, event.ratio, 0.0, event.note)

    for name in rng.choice(_BONUS_CANDIDATES, size=4, replace=False):
        pct = int(rng.choice([10, 15, 20, 25]))
        place(int(rng.integers(1, last + 1)), symbols[str(name)], CorporateActionKind.BONUS, pct,
              0.0, f"{pct}% bonus")  # fmt: skip
    for name in rng.choice(_RIGHT_CANDIDATES, size=2, replace=False):
        pct = int(rng.choice([10, 20, 25, 35, 50]))
        place(int(rng.integers(1, last + 1)), symbols[str(name)], CorporateActionKind.RIGHT, pct,
              float(rng.uniform(0.55, 0.9)), f"{pct}% right")  # fmt: skip

    for n, item in enumerate(universe):
        if item.kind not in (InstrumentKind.EQUITY, InstrumentKind.REIT):
            continue
        if item.symbol in _NO_DIVIDEND:
            continue
        if item.kind is InstrumentKind.REIT or item.sector_code in _QUARTERLY_SECTORS:
            per_year = 4
        else:
            per_year = int(rng.choice([1, 2, 2, 4]))
        annual_yield = (
            rng.uniform(0.04, 0.12)
            if item.kind is InstrumentKind.REIT
            else (rng.uniform(0.02, 0.10))
        )
        month_shift = int(rng.integers(0, 2))
        for year in range(days[0].year, days[-1].year + 1):
            for month in _MONTHS[per_year]:
                when = date(year, month + month_shift, int(rng.integers(1, 29)))
                found = _day_on_or_after(days, when)
                if when < days[0] or found is None or found == 0:
                    continue
                size = annual_yield / per_year * rng.uniform(0.7, 1.3)
                place(found, n, CorporateActionKind.CASH_DIVIDEND, 0, float(size), "")
    plan.sort(key=lambda p: (p.day, p.symbol))
    return plan
