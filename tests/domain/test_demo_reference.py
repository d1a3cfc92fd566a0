"""The demo's reference data: sectors, universe, indices and holidays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.demo.holidays import PK_HOLIDAYS
from domain.demo.universe import INDICES, SECTORS, UNIVERSE, equities
from domain.markets.instruments import InstrumentKind


def test_sectors_are_the_official_codes_without_0817() -> None:
    codes = [s.code for s in SECTORS]

    assert codes == [f"08{n:02d}" for n in range(1, 40) if n != 17]
    assert {s.code: s.name for s in SECTORS}["0820"] == "OIL & GAS EXPLORATION COMPANIES"


def test_universe_has_about_100_symbols_in_known_sectors() -> None:
    codes = {s.code for s in SECTORS}
    symbols = [i.symbol for i in UNIVERSE]

    assert 95 <= len(UNIVERSE) <= 110
    assert len(set(symbols)) == len(symbols)
    assert all(i.sector_code in codes for i in UNIVERSE)
    assert len({i.sector_code for i in UNIVERSE}) >= 25


def test_universe_values_follow_psx_md() -> None:
    by_symbol = {i.symbol: i for i in UNIVERSE}

    assert by_symbol["OGDC"].shares_outstanding == 4_300_900_000
    assert by_symbol["OGDC"].free_float_pct == Decimal("0.15")
    assert by_symbol["FFC"].shares_outstanding == 1_423_000_000
    assert by_symbol["HUBC"].price == Decimal("222.31")
    assert by_symbol["DCR"].kind is InstrumentKind.REIT
    for etf in ("MZNPETF", "NBPGETF"):
        assert by_symbol[etf].kind is InstrumentKind.ETF
        assert Decimal(10) <= by_symbol[etf].price <= Decimal(30)
    for item in equities():
        assert Decimal("0.10") <= item.free_float_pct <= Decimal("0.60"), item.symbol
        assert item.price > 0


def test_index_targets_follow_the_kse100_ratios() -> None:
    targets = {i.code: i.target_level for i in INDICES}

    assert targets["KSE100"] == Decimal(165_000)
    assert targets["ALLSHR"] == Decimal("0.62") * 165_000
    assert targets["KSE30"] == Decimal("0.30") * 165_000
    assert targets["KMI30"] == Decimal("1.42") * 165_000
    assert [i.shariah for i in INDICES] == [i.code == "KMI30" for i in INDICES]


def test_holidays_hold_fixed_and_lunar_days() -> None:
    assert PK_HOLIDAYS[date(2025, 8, 14)] == "Independence Day"
    assert PK_HOLIDAYS[date(2019, 12, 25)] == "Quaid-e-Azam Day"
    assert "Eid ul Adha" in PK_HOLIDAYS[date(2024, 6, 17)]
    assert date(2019, 11, 9) not in PK_HOLIDAYS  # Iqbal Day was not observed then
    assert date(2023, 11, 9) in PK_HOLIDAYS
    years = {d.year for d in PK_HOLIDAYS}
    assert years == set(range(2019, 2028))
    for year in years:
        names = " ".join(n for d, n in PK_HOLIDAYS.items() if d.year == year)
        for name in ("Eid ul Fitr", "Eid ul Adha", "Ashura", "Eid Milad-un-Nabi", "Kashmir"):
            assert name in names, (year, name)
