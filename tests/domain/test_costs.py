"""PSX trading costs and taxes against contract-note arithmetic done by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.markets.costs import (
    PSX_COSTS,
    CommissionSchedule,
    CostBreakdown,
    CostModel,
    Side,
    capital_gains_tax,
    dividend_per_share,
    dividend_withholding,
    net_gains_by_tax_year,
    tax_year,
)

D = Decimal


def test_large_buy_pays_the_percentage_commission_and_cvt() -> None:
    # 1,000 × Rs 250 = 250,000: 0.15% = 375.00 beats 0.03 × 1,000 = 30; SST 13% = 48.75;
    # CVT 0.01% = 25.00; CDC 0.004 × 1,000 = 4.00; fees 0.002% = 5.00.
    costs = PSX_COSTS.costs(Side.BUY, 1000, D("250.00"))
    assert costs == CostBreakdown(D("375.00"), D("48.75"), D("25.00"), D("4.00"), D("5.00"))
    assert costs.total == D("457.75")


def test_sell_pays_no_cvt() -> None:
    costs = PSX_COSTS.costs(Side.SELL, 1000, D("250.00"))
    assert costs.cvt == 0
    assert costs.total == D("432.75")


def test_per_share_minimum_binds_on_cheap_shares() -> None:
    # 10,000 × Rs 15 = 150,000: 0.15% = 225 < 0.03 × 10,000 = 300 (the minimum binds below
    # Rs 20 a share); SST 39.00; CVT 15.00; CDC 40.00; fees 3.00.
    costs = PSX_COSTS.costs(Side.BUY, 10_000, D("15.00"))
    assert costs == CostBreakdown(D("300.00"), D("39.00"), D("15.00"), D("40.00"), D("3.00"))
    assert costs.total == D("397.00")


def test_each_component_is_rounded_to_the_paisa_on_its_own() -> None:
    # 7 × 33.33 = 233.31: 0.15% = 0.349965 → 0.35 (> 0.21); SST 0.0455 → 0.05 (half up);
    # CVT 0.023331 → 0.02; CDC 0.028 → 0.03; fees 0.0046662 → 0.00.
    costs = PSX_COSTS.costs(Side.BUY, 7, D("33.33"))
    assert costs == CostBreakdown(D("0.35"), D("0.05"), D("0.02"), D("0.03"), D("0.00"))
    assert costs.total == D("0.45")


def test_commission_is_capped_at_two_and_a_half_percent() -> None:
    # 1,000 × Rs 1.00: 0.03 a share = 30 would be 3% of 1,000; the cap is 25.00.
    costs = PSX_COSTS.costs(Side.BUY, 1000, D("1.00"))
    assert costs.commission == D("25.00")
    assert costs.sales_tax == D("3.25")
    assert costs.total == D("25.00") + D("3.25") + D("0.10") + D("4.00") + D("0.02")


def test_schedule_and_cdc_rate_are_configurable() -> None:
    # An older schedule: 0.25% or Rs 0.05 a share; CDC at 0.005.
    model = CostModel(
        commission=CommissionSchedule(rate=D("0.0025"), per_share=D("0.05")),
        cdc_per_share=D("0.005"),
    )
    costs = model.costs(Side.SELL, 400, D("12.00"))
    # 4,800: 0.25% = 12.00 < 0.05 × 400 = 20.00; SST 2.60; CDC 2.00; fees 0.096 → 0.10.
    assert costs == CostBreakdown(D("20.00"), D("2.60"), D("0.00"), D("2.00"), D("0.10"))


def test_dividend_per_share_is_a_percent_of_face_value() -> None:
    assert dividend_per_share(D("35")) == D("3.50")
    assert dividend_per_share(D("10"), face_value=D("5")) == D("0.50")


@pytest.mark.parametrize(
    ("filer", "rate", "withheld"),
    [(True, None, D("525.00")), (False, None, D("1050.00")), (True, D("7.5"), D("262.50"))],
)
def test_dividend_withholding(filer: bool, rate: Decimal | None, withheld: Decimal) -> None:
    assert dividend_withholding(D("3500.00"), filer=filer, rate_pct=rate) == withheld


def test_tax_year_runs_july_to_june_named_by_its_end() -> None:
    assert tax_year(date(2024, 6, 30)) == 2024
    assert tax_year(date(2024, 7, 1)) == 2025
    assert tax_year(date(2025, 6, 30)) == 2025


def test_losses_net_within_a_tax_year_only() -> None:
    net = net_gains_by_tax_year(
        [
            (date(2024, 8, 1), D("1000.00")),
            (date(2025, 3, 1), D("-400.00")),
            (date(2025, 7, 2), D("-50.00")),
        ]
    )
    assert net == {2025: D("600.00"), 2026: D("-50.00")}
    assert capital_gains_tax(net[2025]) == D("90.00")
    assert capital_gains_tax(net[2026]) == 0
    assert capital_gains_tax(D("1000.03"), D("15")) == D("150.00")
