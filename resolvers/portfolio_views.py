"""A portfolio as one request sees it, and the process's cache of replayed ledgers.

Sibling fields (positions, summary, performance, risk) share one read of the ledger and one
replay; across requests, ledgers and replays are cached by (portfolio, ledger version,
policy). The version is bumped in the transaction of every write, so a cached entry is never
stale; a committed write leaves its new ledger replayed in the cache.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

from db.repos import portfolios as repo
from domain.portfolios.holdings import Book
from domain.portfolios.ledger import PortfolioPolicy, Transaction
from domain.portfolios.lots import replay
from domain.portfolios.positions import PriceQuote, Valuation, value_book
from domain.portfolios.records import Portfolio
from resolvers.context import Context

T = TypeVar("T")


class Once(Generic[T]):
    """A value computed at most once however many sibling fields await it concurrently."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._task: asyncio.Future[T] | None = None

    async def get(self) -> T:
        """The value (computed on the first call)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._make())
        return await self._task


def ledger_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Transaction]]:
    """A loader of ledgers by portfolio id: the portfolios of one request in one query."""

    async def load(ids: Sequence[uuid.UUID]) -> list[list[Transaction]]:
        async with ctx.services.database.read.connect() as conn:
            found = await repo.ledgers(conn, ids)
        return [found[i] for i in ids]

    return DataLoader(load_fn=load)


@dataclass(slots=True)
class _Replayed:
    ledger: list[Transaction]
    book: Book | None = None


# Ledgers and their replays by (portfolio, ledger version, policy): a version changes with
# every write in the writing transaction, so an entry is never stale; the bound keeps memory
# to a few dozen large ledgers per process.
_REPLAYS: OrderedDict[tuple[uuid.UUID, int, PortfolioPolicy], _Replayed] = OrderedDict()
REPLAY_CACHE_SIZE = 64


def _cached(key: tuple[uuid.UUID, int, PortfolioPolicy]) -> _Replayed | None:
    hit = _REPLAYS.get(key)
    if hit is not None:
        _REPLAYS.move_to_end(key)
    return hit


def _remember(key: tuple[uuid.UUID, int, PortfolioPolicy], value: _Replayed) -> None:
    _REPLAYS[key] = value
    _REPLAYS.move_to_end(key)
    while len(_REPLAYS) > REPLAY_CACHE_SIZE:
        _REPLAYS.popitem(last=False)


def remember_ledger(portfolio: Portfolio, ledger: Sequence[Transaction]) -> None:
    """Cache a committed ledger (stored entries, with ids) and its replay under the
    portfolio's current ledger version."""
    ordered = sorted(ledger, key=lambda tx: (tx.trade_date, tx.id or 0))
    book = replay(ordered, portfolio.policy)
    _remember((portfolio.id, portfolio.ledger_version, portfolio.policy), _Replayed(ordered, book))


def clear_replay_cache() -> None:
    """Forget every cached ledger and replay (they would be read and replayed again)."""
    _REPLAYS.clear()
    for clear in _ON_CLEAR:
        clear()


# Caches derived from replays register here to be cleared with them.
_ON_CLEAR: list[Callable[[], None]] = []


def on_clear(clear: Callable[[], None]) -> None:
    """Clear a derived cache whenever `clear_replay_cache` runs."""
    _ON_CLEAR.append(clear)


class PortfolioView:
    """One portfolio as a request sees it: the ledger, the book and the valuation, each read
    or computed once and shared by the fields that need them."""

    def __init__(
        self,
        ctx: Context,
        portfolio: Portfolio,
        ledgers: DataLoader[uuid.UUID, list[Transaction]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.portfolio = portfolio
        self._loader = ledgers or ledger_loader(ctx)
        self._key = (portfolio.id, portfolio.ledger_version, portfolio.policy)
        self._replayed = Once(self._load)
        self._book = Once(self._make_book)
        self._valuation: dict[bool, Once[Valuation]] = {}

    @property
    def replay_key(self) -> tuple[uuid.UUID, int, PortfolioPolicy]:
        """What the ledger's replay depends on: the portfolio, its ledger version, its rules."""
        return self._key

    async def ledger(self) -> list[Transaction]:
        """The ledger in stored order."""
        return (await self._replayed.get()).ledger

    async def _load(self) -> _Replayed:
        hit = _cached(self._key)
        if hit is None:
            hit = _Replayed(await self._loader.load(self.portfolio.id))
            _remember(self._key, hit)
        return hit

    async def book(self) -> Book:
        """The ledger replayed."""
        return await self._book.get()

    async def valuation(self, *, include_closed: bool = False) -> Valuation:
        """The holdings valued at the latest quotes (unpriced ones at cost)."""
        once = self._valuation.get(include_closed)
        if once is None:
            once = self._valuation[include_closed] = Once(
                lambda: self._make_valuation(include_closed)
            )
        return await once.get()

    async def _make_book(self) -> Book:
        replayed = await self._replayed.get()
        if replayed.book is None:
            replayed.book = replay(replayed.ledger, self.portfolio.policy)
        return replayed.book

    async def _make_valuation(self, include_closed: bool) -> Valuation:
        book = await self.book()
        symbols = [h.symbol for h in book.open_holdings]
        quotes = await self.ctx.loaders.quotes_by_symbol.load_many(symbols)
        prices = {
            s: PriceQuote(q.last, q.prev_close)
            for s, q in zip(symbols, quotes, strict=True)
            if q is not None
        }
        return value_book(book, prices, include_closed=include_closed)
