"""Per-request DataLoaders: each batches one tick's keys into one call to its store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.markets.instruments import Instrument, Sector
from domain.markets.quotes import PriceRange, QuoteState

if TYPE_CHECKING:
    from resolvers.context import Services


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request, named after what they load."""

    instruments_by_symbol: DataLoader[str, Instrument | None]
    instruments_by_id: DataLoader[int, Instrument | None]
    sectors_by_code: DataLoader[str, Sector | None]
    quotes_by_symbol: DataLoader[str, QuoteState | None]
    ranges_by_instrument: DataLoader[int, PriceRange | None]


def make_loaders(services: Services, seen_versions: dict[str, int]) -> Loaders:
    """Loaders bound to the services of this process.

    Every quote read is recorded in `seen_versions` (-1 for none) for the response cache.
    """

    async def instruments_by_symbol(symbols: Sequence[str]) -> list[Instrument | None]:
        ref = await services.reference.get()
        return [ref.instrument_by_symbol.get(s) for s in symbols]

    async def instruments_by_id(ids: Sequence[int]) -> list[Instrument | None]:
        ref = await services.reference.get()
        return [ref.instrument_by_id.get(i) for i in ids]

    async def sectors_by_code(codes: Sequence[str]) -> list[Sector | None]:
        ref = await services.reference.get()
        return [ref.sector_by_code.get(c) for c in codes]

    async def quotes_by_symbol(symbols: Sequence[str]) -> list[QuoteState | None]:
        quotes = await services.quotes.get_many(symbols)
        for symbol, q in zip(symbols, quotes, strict=True):
            seen_versions[symbol] = -1 if q is None else q.version
        return quotes

    async def ranges_by_instrument(ids: Sequence[int]) -> list[PriceRange | None]:
        return await services.ranges.get_many(ids)

    return Loaders(
        instruments_by_symbol=DataLoader(load_fn=instruments_by_symbol),
        instruments_by_id=DataLoader(load_fn=instruments_by_id),
        sectors_by_code=DataLoader(load_fn=sectors_by_code),
        quotes_by_symbol=DataLoader(load_fn=quotes_by_symbol),
        ranges_by_instrument=DataLoader(load_fn=ranges_by_instrument),
    )
