"""What the holdings are exposed to: concentration by holding and sector, and liquidity.

- weights are of the holdings' value (cash aside); HHI = Σ w² (1 for one holding, 1/N for N
  equal ones), `effective_holdings` = 1 / HHI;
- days to liquidate = quantity / (participation × average daily volume), selling at most 20%
  of a session's volume by default; the portfolio takes as long as its slowest holding, the
  holdings sold alongside each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

PARTICIPATION = 0.2
AVERAGE_VOLUME_SESSIONS = 20


@dataclass(frozen=True, slots=True)
class SectorWeight:
    """A sector's share of the holdings' value (None: sector not known)."""

    sector: str | None
    value: Decimal
    weight: float


@dataclass(frozen=True, slots=True)
class Concentration:
    """How concentrated the holdings are, by weight of the holdings' value (cash aside).

    HHI = Σ w² (1 for one holding, 1/N for N equal ones); `effective_holdings` = 1 / HHI.
    """

    largest_symbol: str
    largest_weight: float
    hhi: float
    effective_holdings: float
    sectors: tuple[SectorWeight, ...]


def concentration(
    market_values: Mapping[str, Decimal], sectors: Mapping[str, str] | None = None
) -> Concentration | None:
    """Largest weight, HHI and sector weights; None without positive holdings."""
    held = {s: v for s, v in market_values.items() if v > 0}
    total = sum(held.values(), Decimal(0))
    if total <= 0:
        return None
    weights = {s: float(v / total) for s, v in held.items()}
    largest = max(sorted(weights), key=lambda s: weights[s])
    hhi = sum(w * w for w in weights.values())
    by_sector: dict[str | None, Decimal] = {}
    for s, v in held.items():
        key = (sectors or {}).get(s)
        by_sector[key] = by_sector.get(key, Decimal(0)) + v
    rows = sorted(
        (SectorWeight(k, v, float(v / total)) for k, v in by_sector.items()),
        key=lambda w: (-w.value, w.sector or ""),
    )
    return Concentration(largest, weights[largest], hhi, 1.0 / hhi, tuple(rows))


def average_volume(
    volumes: Sequence[float], sessions: int = AVERAGE_VOLUME_SESSIONS
) -> float | None:
    """The mean volume of the last `sessions` sessions (oldest first); None without any."""
    recent = list(volumes)[-sessions:]
    return float(np.mean(recent)) if recent else None


@dataclass(frozen=True, slots=True)
class LiquidityRow:
    """Sessions needed to sell a holding trading `participation` of its average volume."""

    symbol: str
    quantity: int
    average_volume: float | None
    days_to_liquidate: float | None


@dataclass(frozen=True, slots=True)
class Liquidity:
    """Per holding, and for the portfolio: the slowest holding, sold alongside the rest
    (None when a holding's volume is unknown or zero)."""

    participation: float
    rows: tuple[LiquidityRow, ...]
    days_to_liquidate: float | None


def liquidity(
    quantities: Mapping[str, int],
    average_volumes: Mapping[str, float | None],
    *,
    participation: float = PARTICIPATION,
) -> Liquidity:
    """Days to liquidate each holding at `participation` (20%) of its average daily volume."""
    if not 0 < participation <= 1:
        raise ValueError("participation is a fraction in (0, 1]")
    rows = []
    for sym in sorted(quantities):
        qty = quantities[sym]
        adv = average_volumes.get(sym)
        days = qty / (participation * adv) if adv else None
        rows.append(LiquidityRow(sym, qty, adv, days))
    known = [r.days_to_liquidate for r in rows]
    worst = None if not rows or any(d is None for d in known) else max(d or 0.0 for d in known)
    return Liquidity(participation, tuple(rows), worst)
