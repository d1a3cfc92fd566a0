"""In-process caches of slow-changing data, reloaded when the data changes.

Reference data (sectors, instruments, indices, members) is small and read on every request,
so each process keeps a snapshot and swaps it whole. A change bumps `data_versions`; every
process checks the version at most every `check_every` seconds, and the writing process
reloads at once through `invalidate()`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import markets as repo
from domain.markets.quotes import PriceRange
from domain.markets.reference import ReferenceData


class ReferenceCache:
    """The current `ReferenceData` snapshot of this process."""

    def __init__(self, engine: AsyncEngine, *, check_every: float = 5.0) -> None:
        self._engine = engine
        self._check_every = check_every
        self._data: ReferenceData | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self.loads = 0

    async def get(self) -> ReferenceData:
        """The snapshot, reloaded first if it is missing or another process changed it."""
        data = self._data
        if data is not None and time.monotonic() - self._checked < self._check_every:
            return data
        async with self._lock:
            if self._data is not None and time.monotonic() - self._checked < self._check_every:
                return self._data
            if (
                self._data is None
                or await repo.reference_version(self._engine) != self._data.version
            ):
                self._data = await repo.load_reference(self._engine)
                self.loads += 1
            self._checked = time.monotonic()
            return self._data

    def invalidate(self) -> None:
        """Drop the snapshot; the next `get` reloads it."""
        self._data = None


class RangeCache:
    """52-week high and low of every instrument, from daily bars, refreshed each minute.

    The live session's high and low are folded in by the caller, so a new high shows at once.
    """

    def __init__(
        self, engine: AsyncEngine, *, ttl: float = 60.0, today: Callable[[], date]
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._today = today
        self._ranges: dict[int, PriceRange] = {}
        self._loaded = -1e9
        self._lock = asyncio.Lock()
        self.epoch = 0

    async def get_many(self, instrument_ids: Sequence[int]) -> list[PriceRange | None]:
        """Ranges aligned to `instrument_ids`."""
        if time.monotonic() - self._loaded > self._ttl:
            async with self._lock:
                if time.monotonic() - self._loaded > self._ttl:
                    since = self._today() - timedelta(days=365)
                    self._ranges = await repo.ranges_since(
                        self._engine, instrument_ids=None, since=since
                    )
                    self._loaded = time.monotonic()
                    self.epoch += 1
        return [self._ranges.get(i) for i in instrument_ids]

    def invalidate(self) -> None:
        """Reload on the next read."""
        self._loaded = -1e9
