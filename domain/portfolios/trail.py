"""A replayed ledger's trail in columns: what valuing it at every session reads of each step,
as int64 arrays, so a valuation need not walk a `Step` object a step.

The columns exist only where every amount they hold is exact in them: prices of trades and
the costs of holdings whole paisa (a cost of no more than two decimals), shares and paisa
within int64, and the steps in date order. Otherwise `trail_columns` is None and the trail
is walked in Decimal.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import overload

import numpy as np
import numpy.typing as npt

from domain.portfolios.holdings import Step
from domain.portfolios.ledger import TransactionType

Int64s = npt.NDArray[np.int64]
# Whole paisa in int64 without overflow: amounts below 2^62 paisa (about Rs 4.6e16).
BOUND = 2**62
# Entries whose price is a trade's (the holding is priced by it until a close comes).
PRICED = frozenset({TransactionType.BUY, TransactionType.SELL, TransactionType.RIGHT})
# `TrailColumns.price` of an entry that is not a trade.
NO_PRICE = -1


def whole_paisa(amount: Decimal) -> int | None:
    """The amount in paisa when it is a whole number of them, else None."""
    scaled = amount.scaleb(2)
    whole = int(scaled)
    return whole if whole == scaled else None


@dataclass(frozen=True, slots=True)
class TrailColumns:
    """A trail's steps as columns (element i is step i).

    `day` is the trade date's ordinal (never decreasing), `symbol` an index into `symbols`
    (-1: none), `price` the trade price in paisa of a BUY, SELL or RIGHT (NO_PRICE for any
    other entry), `quantity` and `cost` (paisa) the symbol's holding just after the step,
    `flow` its flow in paisa and `flow_places` the decimals that flow is written with (0 to
    2), so that sums of flows are the Decimals the trail's own would add up to. `cash` and
    `costs` are the steps' cash and cost as the Decimals of the trail itself (read one at a
    time, where a result keeps them).
    """

    symbols: tuple[str, ...]
    day: Int64s
    symbol: Int64s
    price: Int64s
    quantity: Int64s
    cost: Int64s
    flow: Int64s
    flow_places: Int64s
    cash: Sequence[Decimal]
    costs: Sequence[Decimal]

    def __len__(self) -> int:
        return len(self.day)


class ColumnarTrail(Sequence[Step]):
    """A trail that carries its columns (None where the trail has none), such as a stored
    replay read back: its steps may be made only when looked at."""

    __slots__ = ()

    @property
    @abstractmethod
    def columns(self) -> TrailColumns | None:
        """The trail's columns, if it has them."""


class StepTrail(ColumnarTrail):
    """A replay's steps, held as made; their columns are made once, when first asked for
    (a valuation of the same replay, or storing it, does not walk the steps again)."""

    __slots__ = ("_columns", "_made", "_steps")

    def __init__(self, steps: Sequence[Step]) -> None:
        self._steps = tuple(steps)
        self._columns: TrailColumns | None = None
        self._made = False

    @property
    def columns(self) -> TrailColumns | None:
        if not self._made:
            self._columns = columns_of(self._steps)
            self._made = True
        return self._columns

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Step]: ...

    def __getitem__(self, index: int | slice) -> Step | Sequence[Step]:
        return self._steps[index]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return self._steps == tuple(other)

    def __hash__(self) -> int:
        return hash(self._steps)

    def __repr__(self) -> str:
        return f"StepTrail({self._steps!r})"


def trail_columns(trail: Sequence[Step]) -> TrailColumns | None:
    """The columns of a trail: its own when it carries them, else made from its steps; None
    when an amount is not exact in them."""
    if isinstance(trail, ColumnarTrail):
        return trail.columns
    return columns_of(trail)


def columns_of(trail: Sequence[Step]) -> TrailColumns | None:
    """The columns made from the steps; None when an amount is not exact in them or the
    steps are not in date order."""
    symbols = tuple(sorted({s.transaction.symbol for s in trail if s.transaction.symbol}))
    index = {sym: j for j, sym in enumerate(symbols)}
    days: list[int] = []
    held: list[int] = []
    prices: list[int] = []
    quantities: list[int] = []
    costs: list[int] = []
    flows: list[int] = []
    places: list[int] = []
    for step in trail:
        tx = step.transaction
        days.append(tx.trade_date.toordinal())
        held.append(-1 if tx.symbol is None else index[tx.symbol])
        if tx.type in PRICED:
            price = whole_paisa(tx.price)
            if price is None or not 0 <= price < BOUND:
                return None
            prices.append(price)
        else:
            prices.append(NO_PRICE)
        cost = whole_paisa(step.cost)
        exponent = step.cost.as_tuple().exponent
        if cost is None or not isinstance(exponent, int) or exponent < -2:
            return None
        if not 0 <= step.quantity < BOUND or not -BOUND < cost < BOUND:
            return None
        flow = whole_paisa(step.flow)
        written = step.flow.as_tuple().exponent
        if flow is None or not isinstance(written, int) or not -2 <= written <= 0:
            return None
        if not -BOUND < flow < BOUND:
            return None
        quantities.append(step.quantity)
        costs.append(cost)
        flows.append(flow)
        places.append(-written)
    day = np.array(days, np.int64)
    if len(day) > 1 and bool(np.any(day[1:] < day[:-1])):
        return None
    # Any sum of flows stays within int64.
    if sum(map(abs, flows)) >= BOUND:
        return None
    return TrailColumns(
        symbols,
        day,
        np.array(held, np.int64),
        np.array(prices, np.int64),
        np.array(quantities, np.int64),
        np.array(costs, np.int64),
        np.array(flows, np.int64),
        np.array(places, np.int64),
        [s.cash for s in trail],
        [s.cost for s in trail],
    )


def steps_between(trail: Sequence[Step], after: date, until: date) -> Sequence[Step]:
    """The steps of transactions traded in (after, until], in trail order; only those are
    made where the trail carries its columns."""
    columns = trail.columns if isinstance(trail, ColumnarTrail) else None
    if columns is None:
        return [s for s in trail if after < s.transaction.trade_date <= until]
    lo = int(np.searchsorted(columns.day, after.toordinal(), side="right"))
    hi = int(np.searchsorted(columns.day, until.toordinal(), side="right"))
    return trail[lo:hi]
