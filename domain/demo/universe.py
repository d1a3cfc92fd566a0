"""The demo universe: PSX sectors, about 100 real symbols and the four headline indices.

Names, sectors and share counts follow PSX.md section 1 ("Demo universe"); values marked there
as approximate are demo data, not truth. Prices are approximate closes at the END of the demo
period (late 2025 / 2026 level): the generator walks each series back from them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from domain.markets.instruments import InstrumentKind, Sector
from domain.markets.sectors import OFFICIAL_SECTORS

SECTORS: tuple[Sector, ...] = OFFICIAL_SECTORS


@dataclass(frozen=True, slots=True)
class DemoInstrument:
    """One demo security; `shares_outstanding` is the count at the end of the demo period."""

    symbol: str
    name: str
    sector_code: str
    kind: InstrumentKind
    shares_outstanding: int
    free_float_pct: Decimal
    face_value: Decimal
    price: Decimal

    @property
    def free_float_cap(self) -> Decimal:
        """Free-float market capitalisation in rupees at the end price."""
        return self.price * self.shares_outstanding * self.free_float_pct


@dataclass(frozen=True, slots=True)
class DemoIndex:
    """An index of the demo: members and the level it should reach on the last day."""

    code: str
    name: str
    base_value: Decimal
    shariah: bool
    target_level: Decimal
    members: tuple[str, ...]


def _load_universe() -> tuple[DemoInstrument, ...]:
    # The table ships inside the package so the domain stays free of other I/O.
    text = resources.files("domain.demo").joinpath("universe.csv").read_text(encoding="utf-8")
    return tuple(
        DemoInstrument(
            symbol=row["symbol"],
            name=row["name"],
            sector_code=row["sector_code"],
            kind=InstrumentKind(row["kind"]),
            shares_outstanding=int(Decimal(row["shares_millions"]) * 1_000_000),
            free_float_pct=Decimal(row["free_float_pct"]),
            face_value=Decimal(row["face_value"]),
            price=Decimal(row["price"]),
        )
        for row in csv.DictReader(io.StringIO(text))
    )


UNIVERSE: tuple[DemoInstrument, ...] = _load_universe()

KSE100_TARGET = Decimal(165_000)

# A plausible Shariah-compliant basket: no conventional banks (MEBL and BIPL are Islamic),
# no insurance, no tobacco. The real KMI-30 is screened by its Shariah board; this is demo data.
KMI30_MEMBERS: tuple[str, ...] = (
    "OGDC", "PPL", "MARI", "POL", "PSO", "APL", "SNGP", "MEBL", "BIPL", "FFC",
    "EFERT", "FATIMA", "LUCK", "DGKC", "MLCF", "FCCL", "CHCC", "KOHC", "HUBC", "SYS",
    "ENGROH", "INDU", "SEARL", "EPCL", "LCI", "ATRL", "ILP", "ISL", "PAEL", "AIRLINK",
)  # fmt: skip


def equities() -> tuple[DemoInstrument, ...]:
    """The universe without ETFs, REITs and funds: what the share indices draw from."""
    return tuple(i for i in UNIVERSE if i.kind is InstrumentKind.EQUITY)


def _by_free_float_cap(items: tuple[DemoInstrument, ...]) -> list[DemoInstrument]:
    return sorted(items, key=lambda i: (-i.free_float_cap, i.symbol))


def kse100_members(size: int = 100) -> tuple[str, ...]:
    """KSE-100 composition: the largest free-float cap of each sector, then the largest rest.

    Args:
        size: Number of members.

    Returns:
        Symbols ordered by free-float capitalisation, largest first.
    """
    ranked = _by_free_float_cap(equities())
    chosen: dict[str, DemoInstrument] = {}
    for item in ranked:
        chosen.setdefault(item.sector_code, item)
    picked = {i.symbol for i in chosen.values()}
    for item in ranked:
        if len(picked) >= size:
            break
        picked.add(item.symbol)
    return tuple(i.symbol for i in ranked if i.symbol in picked)


def _build_indices() -> tuple[DemoIndex, ...]:
    ranked = [i.symbol for i in _by_free_float_cap(equities())]
    return (
        DemoIndex(
            code="KSE100",
            name="KSE-100 Index",
            base_value=Decimal(1000),
            shariah=False,
            target_level=KSE100_TARGET,
            members=kse100_members(),
        ),
        DemoIndex(
            code="KSE30",
            name="KSE-30 Index",
            base_value=Decimal(10000),
            shariah=False,
            target_level=KSE100_TARGET * Decimal("0.30"),
            members=tuple(ranked[:30]),
        ),
        DemoIndex(
            code="KMI30",
            name="KMI-30 Index",
            base_value=Decimal(10000),
            shariah=True,
            target_level=KSE100_TARGET * Decimal("1.42"),
            members=KMI30_MEMBERS,
        ),
        DemoIndex(
            code="ALLSHR",
            name="KSE All Share Index",
            base_value=Decimal(1000),
            shariah=False,
            target_level=KSE100_TARGET * Decimal("0.62"),
            members=tuple(ranked),
        ),
    )


INDICES: tuple[DemoIndex, ...] = _build_indices()
