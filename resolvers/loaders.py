"""Per-request DataLoaders: each batches one tick's keys into one call to its store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from domain.markets.instruments import Instrument, Sector
from domain.markets.quotes import PriceRange, QuoteState

if TYPE_CHECKING:
    from resolvers.context import Services

K = TypeVar("K")
V = TypeVar("V")

# Told each batch's loader name and size (api/observability.py sets it per request: metrics).
batch_observer: ContextVar[Callable[[str, int], None] | None] = ContextVar(
    "psx_batch_observer", default=None
)


def _observed(
    name: str, load: Callable[[Sequence[K]], Awaitable[list[V]]]
) -> Callable[[Sequence[K]], Awaitable[list[V]]]:
    async def observed(keys: Sequence[K]) -> list[V]:
        observe = batch_observer.get()
        if observe is not None:
            observe(name, len(keys))
        return await load(keys)

    return observed


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
        instruments_by_symbol=DataLoader(
            load_fn=_observed("instruments_by_symbol", instruments_by_symbol)
        ),
        instruments_by_id=DataLoader(load_fn=_observed("instruments_by_id", instruments_by_id)),
        sectors_by_code=DataLoader(load_fn=_observed("sectors_by_code", sectors_by_code)),
        quotes_by_symbol=DataLoader(load_fn=_observed("quotes_by_symbol", quotes_by_symbol)),
        ranges_by_instrument=DataLoader(
            load_fn=_observed("ranges_by_instrument", ranges_by_instrument)
        ),
    )
