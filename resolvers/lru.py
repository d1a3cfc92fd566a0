"""A least-recently-used map for the process's caches of derived values."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """Values by key, the least recently used dropped first beyond `size` entries or, given
    `weight`, beyond `most` in total weight. The newest entry stays even when it alone is
    over: it is about to be used."""

    def __init__(
        self, size: int, *, weight: Callable[[V], int] | None = None, most: int = 0
    ) -> None:
        self.size = size
        self.most = most
        self._weight = weight
        self._items: OrderedDict[K, V] = OrderedDict()
        self.held = 0  # the total weight of the entries kept

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The value under `key` (now the most recently used), or None."""
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key`, dropping the least recently used beyond the bounds."""
        previous = self._items.pop(key, None)
        if previous is not None and self._weight is not None:
            self.held -= self._weight(previous)
        self._items[key] = value
        if self._weight is not None:
            self.held += self._weight(value)
        while len(self._items) > 1 and (
            len(self._items) > self.size or (self._weight is not None and self.held > self.most)
        ):
            _, gone = self._items.popitem(last=False)
            if self._weight is not None:
                self.held -= self._weight(gone)

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()
        self.held = 0
