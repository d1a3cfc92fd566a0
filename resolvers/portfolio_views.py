"""A portfolio as one request sees it, and the process's cache of replayed ledgers.

Sibling fields (positions, summary, performance, risk) share one read of the ledger and one
replay; across requests, ledgers and replays are cached by (portfolio, ledger version,
policy). The version is bumped in the transaction of every write, so a cached entry is never
stale; a committed write leaves its new ledger replayed in the cache.

Every ledger change stores its replay with the new version (`portfolio_books`), so a
process that has not replayed the ledger reads it back instead of reading and replaying the
ledger's rows: the holdings alone where they are all that is needed (positions, summary,
allocation), the whole replay (the entries, the sales, the state after each) for the
transactions, performance and reports.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from db.repos import portfolio_books as books_repo
from db.repos import portfolios as repo
from domain.portfolios.books import (
    Outline,
    decode_holdings,
    decode_replay,
    outline_of,
)
from domain.portfolios.holdings import Book
from domain.portfolios.ledger import PortfolioPolicy, Transaction, symbols_of
from domain.portfolios.lots import replay
from domain.portfolios.positions import PriceQuote, Valuation, value_book
from domain.portfolios.records import Portfolio
from resolvers.context import Context
from resolvers.lru import Lru

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


def book_loader(
    ctx: Context, *, with_replay: bool = False
) -> DataLoader[uuid.UUID, books_repo.StoredBook | None]:
    """A loader of stored books by portfolio id (the holdings, or with the replay too): the
    portfolios of one request in one query."""

    async def load(ids: Sequence[uuid.UUID]) -> list[books_repo.StoredBook | None]:
        async with ctx.services.database.read.connect() as conn:
            found = await books_repo.books(conn, ids, with_replay=with_replay)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


@dataclass(slots=True)
class _Replayed:
    ledger: Sequence[Transaction]
    book: Book | None = None


_Key = tuple[uuid.UUID, int, PortfolioPolicy]

# Ledgers and their replays by (portfolio, ledger version, policy): a version changes with
# every write in the writing transaction, so an entry is never stale. Bounded by count and by
# entries held: a replayed entry with its step and share of the lots is about 1.1 kB; one read
# back from its stored book keeps its stored row (about 1.4 kB) and, once looked at, the
# entry and step made of it (2.4 kB in all), so 75,000 entries keep the cache under 180 MB
# however large the ledgers.
REPLAY_CACHE_SIZE = 64
REPLAY_CACHE_ENTRIES = 75_000
_REPLAYS: Lru[_Key, _Replayed] = Lru(
    REPLAY_CACHE_SIZE, weight=lambda r: len(r.ledger), most=REPLAY_CACHE_ENTRIES
)
# Stored holdings read back, by the same key (small: no ledger, sales or trail).
HOLDINGS_CACHE_SIZE = 256
_HOLDINGS: Lru[_Key, Book] = Lru(HOLDINGS_CACHE_SIZE)


class Settled:
    """A ledger as a change leaves it (stored entries, with ids), replayed once: stored as
    the portfolio's book inside the change's transaction, cached once it commits."""

    def __init__(
        self, portfolio: Portfolio, ledger: Sequence[Transaction], *, path: str = "input"
    ) -> None:
        """Raises DomainError when the ledger does not replay (fields under `path`)."""
        self.portfolio = portfolio
        self.ledger = sorted(ledger, key=lambda tx: (tx.trade_date, tx.id or 0))
        self.book = replay(self.ledger, portfolio.policy, path=path)

    async def store(self, conn: AsyncConnection) -> None:
        """Write the book for the portfolio's (new) ledger version."""
        await books_repo.store_replay(conn, self.portfolio, self.ledger, self.book)

    def remember(self) -> None:
        """Cache the committed ledger and its replay under the portfolio's ledger version."""
        p = self.portfolio
        _REPLAYS.put((p.id, p.ledger_version, p.policy), _Replayed(self.ledger, self.book))


def clear_replay_cache() -> None:
    """Forget every cached ledger, replay and stored book read back (they would be read,
    and the ledgers replayed, again)."""
    _REPLAYS.clear()
    _HOLDINGS.clear()
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
        books: DataLoader[uuid.UUID, books_repo.StoredBook | None] | None = None,
        replays: DataLoader[uuid.UUID, books_repo.StoredBook | None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.portfolio = portfolio
        self._loader = ledgers or ledger_loader(ctx)
        self._books = books or book_loader(ctx)
        self._replays = replays or book_loader(ctx, with_replay=True)
        self._key = (portfolio.id, portfolio.ledger_version, portfolio.policy)
        self._replayed = Once(self._load)
        self._book = Once(self._make_book)
        self._holdings = Once(self._make_holdings)
        self._valuation: dict[bool, Once[Valuation]] = {}

    @property
    def replay_key(self) -> tuple[uuid.UUID, int, PortfolioPolicy]:
        """What the ledger's replay depends on: the portfolio, its ledger version, its rules."""
        return self._key

    async def ledger(self) -> Sequence[Transaction]:
        """The ledger in stored order."""
        return (await self._replayed.get()).ledger

    async def _load(self) -> _Replayed:
        hit = _REPLAYS.get(self._key)
        if hit is None:
            hit = await self._stored_replay() or _Replayed(
                await self._loader.load(self.portfolio.id)
            )
            _REPLAYS.put(self._key, hit)
        return hit

    async def _current(
        self, loader: DataLoader[uuid.UUID, books_repo.StoredBook | None]
    ) -> books_repo.StoredBook | None:
        """The portfolio's stored book if it is of the portfolio's current ledger version."""
        stored = await loader.load(self.portfolio.id)
        if stored is None or stored.ledger_version != self.portfolio.ledger_version:
            return None
        return stored

    def _stored_holdings(self, stored: books_repo.StoredBook) -> Book | None:
        """The holdings of a current stored book, decoded once per process."""
        found = _HOLDINGS.get(self._key)
        if found is None:
            found = decode_holdings(stored.holdings, self.portfolio.policy.cost_method)
            if found is not None:
                _HOLDINGS.put(self._key, found)
        return found

    async def _stored_replay(self) -> _Replayed | None:
        """The replay stored with the portfolio's current ledger version, if there is one."""
        stored = await self._current(self._replays)
        if stored is None or stored.ledger is None:
            return None
        holdings = self._stored_holdings(stored)
        found = None if holdings is None else decode_replay(stored.ledger, holdings)
        return None if found is None else _Replayed(*found)

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

    async def outline(self) -> Outline:
        """The ledger's symbols and first trade date, from the stored holdings when the
        ledger is neither replayed here nor loaded yet (so that its readers can start their
        queries while it loads)."""
        if _REPLAYS.get(self._key) is None:
            stored = await self._current(self._books)
            found = None if stored is None else outline_of(stored.holdings)
            if found is not None:
                return found
        ledger = await self.ledger()
        first = min((tx.trade_date for tx in ledger), default=None)
        return Outline(tuple(symbols_of(ledger)), first)

    async def holdings(self) -> Book:
        """The replayed holdings and totals; its `disposals` and `trail` may be empty (the
        stored book's), so whatever needs them takes `book()`."""
        return await self._holdings.get()

    async def _make_holdings(self) -> Book:
        replayed = _REPLAYS.get(self._key)
        if replayed is not None and replayed.book is not None:
            return replayed.book
        found = _HOLDINGS.get(self._key)
        if found is None:
            stored = await self._current(self._books)
            found = None if stored is None else self._stored_holdings(stored)
        return found if found is not None else await self.book()

    async def _make_valuation(self, include_closed: bool) -> Valuation:
        book = await self.holdings()
        symbols = [h.symbol for h in book.open_holdings]
        quotes = await self.ctx.loaders.quotes_by_symbol.load_many(symbols)
        prices = {
            s: PriceQuote(q.last, q.prev_close)
            for s, q in zip(symbols, quotes, strict=True)
            if q is not None
        }
        return value_book(book, prices, include_closed=include_closed)
