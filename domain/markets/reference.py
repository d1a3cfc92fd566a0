"""A snapshot of the market's reference data, held in memory and swapped whole on change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.markets.instruments import Index, IndexConstituent, Instrument, Sector


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """Sectors, instruments, indices and index membership, indexed for look-ups."""

    version: int
    sectors: tuple[Sector, ...]
    instruments: tuple[Instrument, ...]
    indices: tuple[Index, ...]
    constituents: tuple[IndexConstituent, ...]
    sector_by_code: dict[str, Sector] = field(init=False)
    instrument_by_symbol: dict[str, Instrument] = field(init=False)
    instrument_by_id: dict[int, Instrument] = field(init=False)
    index_by_code: dict[str, Index] = field(init=False)
    members_by_index: dict[int, tuple[IndexConstituent, ...]] = field(init=False)
    indices_by_instrument: dict[int, tuple[Index, ...]] = field(init=False)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        setter(self, "sector_by_code", {s.code: s for s in self.sectors})
        setter(self, "instrument_by_symbol", {i.symbol: i for i in self.instruments})
        setter(self, "instrument_by_id", {i.id: i for i in self.instruments})
        setter(self, "index_by_code", {i.code: i for i in self.indices})
        index_by_id = {i.id: i for i in self.indices}
        members: dict[int, list[IndexConstituent]] = {}
        of_instrument: dict[int, list[Index]] = {}
        for c in self.constituents:
            members.setdefault(c.index_id, []).append(c)
            of_instrument.setdefault(c.instrument_id, []).append(index_by_id[c.index_id])
        setter(self, "members_by_index", {k: tuple(v) for k, v in members.items()})
        setter(self, "indices_by_instrument", {k: tuple(v) for k, v in of_instrument.items()})

    def instruments_in_sector(self, code: str) -> Iterable[Instrument]:
        """Instruments of one sector, in symbol order."""
        return (i for i in self.instruments if i.sector_code == code)

    def normalise_symbol(self, symbol: str) -> str:
        """Symbols are case-insensitive on input and upper case in storage."""
        return symbol.strip().upper()
