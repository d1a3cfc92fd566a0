"""The process's cache of replayed ledgers stays within its count and its entries, dropping
the least recently used first, and keeps the newest even when it alone is over."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType
from resolvers.lru import Lru
from resolvers.portfolio_views import _Replayed

POLICY = PortfolioPolicy()


def _ledger(entries: int) -> list[Transaction]:
    buy = TransactionInput(
        TransactionType.BUY, date(2025, 3, 3), symbol="HUBC", quantity=1, price=Decimal("100")
    )
    return [build_transaction(buy, POLICY)] * entries


def _key() -> tuple[uuid.UUID, int, PortfolioPolicy]:
    return (uuid.uuid4(), 1, POLICY)


def _cache(size: int, entries: int) -> Lru[tuple[uuid.UUID, int, PortfolioPolicy], _Replayed]:
    """A cache weighed as the process's replay cache is: by the entries of each ledger."""
    return Lru(size, weight=lambda r: len(r.ledger), most=entries)


def test_the_cache_keeps_within_its_count_and_entries() -> None:
    cache = _cache(size=3, entries=95)
    keys = [_key() for _ in range(4)]
    for k in keys:
        cache.put(k, _Replayed(_ledger(10)))
    assert cache.get(keys[0]) is None and cache.held == 30
    assert cache.get(keys[1]) is not None  # now the most recently used
    big = _key()
    cache.put(big, _Replayed(_ledger(80)))
    # 80 fits within 95 beside one of the others: the most recently used.
    assert [cache.get(k) is not None for k in keys[1:]] == [True, False, False]
    assert cache.get(big) is not None and cache.held == 90


def test_the_newest_stays_alone_over_the_bound_and_replacing_counts_once() -> None:
    cache = _cache(size=3, entries=100)
    small, huge = _key(), _key()
    cache.put(small, _Replayed(_ledger(10)))
    cache.put(huge, _Replayed(_ledger(500)))
    assert cache.get(small) is None and cache.get(huge) is not None and cache.held == 500
    cache.put(huge, _Replayed(_ledger(20)))
    assert cache.held == 20
    cache.clear()
    assert cache.held == 0 and cache.get(huge) is None


def test_a_false_value_is_kept_apart_from_a_missing_one() -> None:
    flags: Lru[str, bool] = Lru(2)
    flags.put("still", False)
    assert flags.get("still") is False and flags.get("unknown") is None
