"""Pakistani trading costs and taxes on listed shares (PSX.md section 3).

Per side of a trade, each component rounded to the paisa on its own, as a broker's contract
note shows them:

- commission: the larger of 0.15% of the value and Rs 0.03 a share (PSX regulation 4.29,
  Oct 2019), never more than 2.5% of the value;
- Sindh sales tax: 13% of the commission (the rate is reset in provincial budgets);
- capital value tax: 0.01% of the value, on purchases only;
- CDC handling: Rs 0.004 a share on each delivery in or out. CDC's tariff is quoted at
  Rs 0.004-0.005; 0.004 is the suggested default in PSX.md and the figure discount brokers
  pass on, and the field is configurable for a broker that charges 0.005;
- PSX and SECP levies: about 0.002% of the value.

Taxes: dividends are withheld at 15% for filers and 30% for non-filers (s.150); capital gains
on shares bought from 1 Jul 2024 are taxed at 15% for filers, on the net gain of the tax year
(1 Jul-30 Jun, losses netted within the year), the way NCCPL computes it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
_ZERO = Decimal("0.00")
_HUNDRED = Decimal(100)


class Side(enum.StrEnum):
    """The side of a fill."""

    BUY = "BUY"
    SELL = "SELL"


def to_paisa(amount: Decimal) -> Decimal:
    """Round an amount of rupees to the paisa, half up."""
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CommissionSchedule:
    """A broker's commission: the larger of a rate on value and a per-share minimum, capped."""

    rate: Decimal = Decimal("0.0015")
    per_share: Decimal = Decimal("0.03")
    cap_rate: Decimal = Decimal("0.025")

    def commission(self, quantity: int, value: Decimal) -> Decimal:
        """The commission on a fill of `quantity` shares worth `value`, rounded to the paisa."""
        raw = max(self.rate * value, self.per_share * quantity)
        return to_paisa(min(raw, self.cap_rate * value))


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The charges on one fill, each rounded to the paisa."""

    commission: Decimal
    sales_tax: Decimal
    cvt: Decimal
    cdc: Decimal
    fees: Decimal

    @property
    def total(self) -> Decimal:
        """Everything charged on the fill."""
        return self.commission + self.sales_tax + self.cvt + self.cdc + self.fees


NO_COSTS = CostBreakdown(_ZERO, _ZERO, _ZERO, _ZERO, _ZERO)


@dataclass(frozen=True, slots=True)
class CostModel:
    """The PSX retail cost schedule, per side; the defaults are PSX.md's suggested model."""

    commission: CommissionSchedule = CommissionSchedule()
    sales_tax_rate: Decimal = Decimal("0.13")
    cvt_rate: Decimal = Decimal("0.0001")
    cdc_per_share: Decimal = Decimal("0.004")
    fee_rate: Decimal = Decimal("0.00002")

    def costs(self, side: Side, quantity: int, price: Decimal) -> CostBreakdown:
        """The charges on buying or selling `quantity` shares at `price`.

        Args:
            side: BUY pays capital value tax; SELL does not.
            quantity: whole shares, positive.
            price: the fill price in rupees.

        Returns:
            Each component rounded to the paisa; their sum is `total`.
        """
        value = price * quantity
        commission = self.commission.commission(quantity, value)
        return CostBreakdown(
            commission=commission,
            sales_tax=to_paisa(self.sales_tax_rate * commission),
            cvt=to_paisa(self.cvt_rate * value) if side is Side.BUY else _ZERO,
            cdc=to_paisa(self.cdc_per_share * quantity),
            fees=to_paisa(self.fee_rate * value),
        )


PSX_COSTS = CostModel()

DIVIDEND_WHT_FILER = Decimal("15")
DIVIDEND_WHT_NON_FILER = Decimal("30")
CGT_FILER = Decimal("15")
FACE_VALUE = Decimal("10")


def dividend_per_share(percent_of_face: Decimal, face_value: Decimal = FACE_VALUE) -> Decimal:
    """Cash per share of a dividend declared as a percentage of face value (usually Rs 10)."""
    return percent_of_face / _HUNDRED * face_value


def dividend_withholding(
    gross: Decimal, *, filer: bool = True, rate_pct: Decimal | None = None
) -> Decimal:
    """Tax withheld from a cash dividend (s.150): 15% for filers, 30% for non-filers.

    Args:
        gross: the dividend before tax, in rupees.
        filer: whether the holder is on the active taxpayers list.
        rate_pct: a rate in percent overriding the filer rule (7.5 for IPP pass-through
            dividends, 25 where the payer is tax-exempt or loss-shielded).
    """
    if rate_pct is None:
        rate_pct = DIVIDEND_WHT_FILER if filer else DIVIDEND_WHT_NON_FILER
    return to_paisa(gross * rate_pct / _HUNDRED)


def tax_year(day: date) -> int:
    """The Pakistani tax year of a day, named by its last year: 1 Jul 2024-30 Jun 2025 is 2025."""
    return day.year + 1 if day.month >= 7 else day.year


def net_gains_by_tax_year(realised: Iterable[tuple[date, Decimal]]) -> dict[int, Decimal]:
    """Realised gains (negative for losses) netted within each tax year."""
    net: dict[int, Decimal] = {}
    for day, gain in realised:
        year = tax_year(day)
        net[year] = net.get(year, _ZERO) + gain
    return net


def capital_gains_tax(net_gain: Decimal, rate_pct: Decimal = CGT_FILER) -> Decimal:
    """Tax on a tax year's net realised gain; a net loss owes nothing (and is not carried)."""
    if net_gain <= 0:
        return _ZERO
    return to_paisa(net_gain * rate_pct / _HUNDRED)
