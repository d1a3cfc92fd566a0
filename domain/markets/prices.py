"""PSX price rules: the 0.01 tick and the circuit breaker band (PSX.md section 1)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TICK = Decimal("0.01")
LIMIT_PCT = Decimal("0.10")
LIMIT_FLOOR = Decimal("1.00")


def to_tick(price: Decimal | float | str) -> Decimal:
    """Round a price to the PSX tick (Rs 0.01), half up."""
    return Decimal(str(price)).quantize(TICK, rounding=ROUND_HALF_UP)


def is_on_tick(price: Decimal) -> bool:
    """True when the price is a whole number of ticks."""
    return price == price.quantize(TICK)


def circuit_limits(ldcp: Decimal) -> tuple[Decimal, Decimal]:
    """Lower and upper circuit prices around the last day's closing price.

    ±10% or Rs 1, whichever is larger; the lower limit never goes under one tick.
    """
    band = max(ldcp * LIMIT_PCT, LIMIT_FLOOR)
    upper = to_tick(ldcp + band)
    lower = max(to_tick(ldcp - band), TICK)
    return lower, upper
