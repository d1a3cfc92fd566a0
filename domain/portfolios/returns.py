"""Return measures (PSX.md section 7): time-weighted, modified Dietz and money-weighted (XIRR).

Returns are rates, so floats; the values and flows they come from are Decimal.

- TWR: the product of (1 + daily return) less 1, daily returns with flows at the open.
  Annualised as (1 + R)^(365 / days) - 1 only when the period exceeds a year (a shorter
  period's rate is not stretched).
- Modified Dietz: (V1 - V0 - ΣCF) / (V0 + Σ w·CF). V0 is the value at the close before the
  period's first session, V1 at the close of its last; a flow at the open of day d weighs
  w = (T - (d - start)) / T with T = the period's calendar days counted inclusively, so a
  flow on the first day weighs 1 and one on the last day 1/T.
- XIRR: the rate r solving Σ CF_i / (1 + r)^((t_i - t_0) / 365) = 0, CF signed as the investor
  sees them (money put in negative, money taken out and the final value positive), found by
  Newton's method with a bisection fallback over a bracket of rates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

DAYS_PER_YEAR = 365
_BRACKET = (-0.999999, -0.99, -0.9, -0.5, 0.0, 0.5, 1.0, 3.0, 10.0, 100.0, 1e4, 1e6)


def chain(returns: Iterable[float | None]) -> float:
    """Compound daily returns: Π(1 + r) - 1, a missing return counting as 0."""
    growth = 1.0
    for r in returns:
        if r is not None:
            growth *= 1.0 + r
    return growth - 1.0


def annualise(total: float, days: int) -> float | None:
    """A period's return as an annual rate, (1 + R)^(365 / days) - 1; None up to a year."""
    if days <= DAYS_PER_YEAR or total <= -1:
        return None
    return float((1.0 + total) ** (DAYS_PER_YEAR / days) - 1.0)


def dietz_base(
    start_value: Decimal, flows: Sequence[tuple[date, Decimal]], start: date, end: date
) -> Decimal:
    """The modified Dietz capital base: V0 + Σ w·CF with the weights of `modified_dietz`."""
    span = Decimal((end - start).days + 1)
    weighted = sum((cf * (span - (d - start).days) / span for d, cf in flows), Decimal(0))
    return start_value + weighted


def modified_dietz(
    start_value: Decimal,
    end_value: Decimal,
    flows: Sequence[tuple[date, Decimal]],
    start: date,
    end: date,
) -> float | None:
    """The modified Dietz return of a period; None when its capital base is not positive.

    Args:
        start_value: value at the close before `start` (0 for a portfolio opened in it).
        end_value: value at the close of `end`.
        flows: external flows (in > 0) at the open of their day, each within [start, end].
        start: first day of the period.
        end: last day of the period.
    """
    net = sum((cf for _, cf in flows), Decimal(0))
    base = dietz_base(start_value, flows, start, end)
    if base <= 0:
        return None
    return float((end_value - start_value - net) / base)


def _npv(rate: float, amounts: FloatArray, years: FloatArray) -> float:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return float(np.sum(amounts * np.exp(-years * math.log1p(rate))))


def _npv_slope(rate: float, amounts: FloatArray, years: FloatArray) -> float:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return float(np.sum(-years * amounts * np.exp(-(years + 1.0) * math.log1p(rate))))


def _bisect(amounts: FloatArray, years: FloatArray, tolerance: float) -> float | None:
    values = [(r, _npv(r, amounts, years)) for r in _BRACKET]
    for (lo, f_lo), (hi, f_hi) in pairwise(values):
        if not (math.isfinite(f_lo) and math.isfinite(f_hi)):
            continue
        if f_lo == 0:
            return lo
        if f_lo * f_hi > 0:
            continue
        for _ in range(300):
            mid = (lo + hi) / 2
            f_mid = _npv(mid, amounts, years)
            if f_mid == 0 or (hi - lo) / 2 < tolerance * (1 + abs(mid)):
                return mid
            if f_lo * f_mid < 0:
                hi = mid
            else:
                lo, f_lo = mid, f_mid
        return (lo + hi) / 2
    return None


def xirr(
    cashflows: Sequence[tuple[date, Decimal | float]],
    *,
    guess: float = 0.1,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> float | None:
    """The annual money-weighted return of dated cash flows, as a spreadsheet's XIRR.

    Args:
        cashflows: (day, amount) as the investor sees them: negative in, positive out.
        guess: Newton's starting rate.
        tolerance: relative change in the rate at which the search stops.
        max_iterations: Newton steps before falling back to bisection.

    Returns:
        The rate, or None without both a negative and a positive flow or without a root.
    """
    flows = [(d, float(a)) for d, a in cashflows if a != 0]
    if not any(a > 0 for _, a in flows) or not any(a < 0 for _, a in flows):
        return None
    first = min(d for d, _ in flows)
    amounts = np.array([a for _, a in flows], dtype=np.float64)
    years = np.array([(d - first).days / DAYS_PER_YEAR for d, _ in flows], dtype=np.float64)
    scale = float(np.abs(amounts).sum())
    rate = guess
    for _ in range(max_iterations):
        value = _npv(rate, amounts, years)
        slope = _npv_slope(rate, amounts, years)
        if not (math.isfinite(value) and math.isfinite(slope)) or slope == 0:
            break
        step = value / slope
        nxt = rate - step
        if not math.isfinite(nxt) or nxt <= -1:
            break
        if abs(nxt - rate) <= tolerance * (1 + abs(rate)):
            if abs(_npv(nxt, amounts, years)) <= 1e-6 * scale:
                return nxt
            break
        rate = nxt
    return _bisect(amounts, years, tolerance)


@dataclass(frozen=True, slots=True)
class PeriodReturn:
    """The compounded return of a calendar month (`month` 1-12) or year (`month` None)."""

    year: int
    month: int | None
    value: float


def period_returns(
    days: Sequence[date], returns: Sequence[float | None], *, monthly: bool
) -> tuple[PeriodReturn, ...]:
    """Daily returns compounded by calendar month or year, oldest first."""
    groups: dict[tuple[int, int | None], list[float | None]] = {}
    for day, r in zip(days, returns, strict=True):
        groups.setdefault((day.year, day.month if monthly else None), []).append(r)
    return tuple(PeriodReturn(y, m, chain(rs)) for (y, m), rs in groups.items())
