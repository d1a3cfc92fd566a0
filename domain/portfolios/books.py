"""A replayed ledger as plain JSON values, to store beside the ledger and read back.

Two parts, read apart:

- the holdings (`encode_holdings`): what valuing them needs, every symbol the ledger touched
  with its shares, cost, open lots, realised gains and dividends, and the book's totals;
- the replay (`encode_replay`): the ledger itself with the sales matched against lots and
  the state after each entry, what performance and reports walk.

Money is written as decimal strings and days as ordinals, so everything reads back exactly
as the replay left it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, overload

import numpy as np

from domain.portfolios.holdings import Book, Disposal, Holding, Lot, LotMatch, Step
from domain.portfolios.ledger import CostMethod, Transaction, TransactionType
from domain.portfolios.trail import ColumnarTrail, TrailColumns, trail_columns

# Bumped whenever the layout changes: a stored book of another format is ignored.
FORMAT = 4
_day = date.fromordinal

_T = TypeVar("_T")

_TOTALS = ("net_invested", "realised", "dividends_gross", "dividend_tax", "fees", "taxes")


def encode_holdings(book: Book) -> dict[str, Any]:
    """The book's holdings and totals as JSON values, with the ledger's first trade date
    (from the book's trail)."""
    return {
        "format": FORMAT,
        "method": book.method.value,
        "first_trade": book.trail[0].transaction.trade_date.toordinal() if book.trail else None,
        "cash": None if book.cash is None else str(book.cash),
        **{name: str(getattr(book, name)) for name in _TOTALS},
        "holdings": [
            [
                h.symbol,
                h.quantity,
                str(h.cost),
                str(h.realised),
                str(h.dividends),
                str(h.dividend_tax),
                [
                    [lot.acquired.toordinal(), lot.quantity, str(lot.cost), lot.transaction_id]
                    for lot in h.lots
                ],
            ]
            for h in book.holdings
        ],
    }


@dataclass(frozen=True, slots=True)
class Outline:
    """What a window over the ledger needs to know before reading it: the symbols it
    mentions (sorted) and its first trade date (None: no entries)."""

    symbols: tuple[str, ...]
    first_trade: date | None


def outline_of(data: Mapping[str, Any]) -> Outline | None:
    """The outline of the ledger whose holdings `encode_holdings` wrote; None when written
    in another format."""
    if data.get("format") != FORMAT:
        return None
    first = data.get("first_trade")
    return Outline(
        tuple(sorted(h[0] for h in data["holdings"])), None if first is None else _day(first)
    )


def decode_holdings(data: Mapping[str, Any], method: CostMethod) -> Book | None:
    """The book `encode_holdings` wrote, without sales or trail; None when it was written in
    another format or for another cost method (the ledger is replayed then)."""
    if data.get("format") != FORMAT or data.get("method") != method.value:
        return None
    holdings = tuple(
        Holding(
            symbol=symbol,
            quantity=quantity,
            cost=Decimal(cost),
            lots=tuple(
                Lot(symbol, _day(acquired), shares, Decimal(paid), tx_id)
                for acquired, shares, paid, tx_id in lots
            ),
            realised=Decimal(realised),
            dividends=Decimal(dividends),
            dividend_tax=Decimal(dividend_tax),
        )
        for symbol, quantity, cost, realised, dividends, dividend_tax, lots in data["holdings"]
    )
    cash = data["cash"]
    return Book(
        method=method,
        holdings=holdings,
        cash=None if cash is None else Decimal(cash),
        net_invested=Decimal(data["net_invested"]),
        disposals=(),
        realised=Decimal(data["realised"]),
        dividends_gross=Decimal(data["dividends_gross"]),
        dividend_tax=Decimal(data["dividend_tax"]),
        fees=Decimal(data["fees"]),
        taxes=Decimal(data["taxes"]),
    )


_TYPES = {t.value: t for t in TransactionType}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def encode_replay(ledger: Sequence[Transaction], book: Book) -> dict[str, Any]:
    """The ledger (in stored order), the book's sales and its trail as JSON values; the
    trail names its entries by their place in `ledger`."""
    where = {id(tx): i for i, tx in enumerate(ledger)}
    return {
        "format": FORMAT,
        "method": book.method.value,
        "ledger": [
            [
                tx.type.value,
                tx.trade_date.toordinal(),
                tx.settlement_date.toordinal(),
                tx.symbol,
                tx.quantity,
                str(tx.price),
                str(tx.amount),
                _money(tx.ratio),
                str(tx.fees),
                str(tx.taxes),
                tx.note,
                tx.corporate_action_id,
                tx.id,
            ]
            for tx in ledger
        ],
        "disposals": [
            [
                d.symbol,
                d.trade_date.toordinal(),
                d.quantity,
                str(d.proceeds),
                str(d.cost),
                d.transaction_id,
                [
                    [m.acquired.toordinal(), m.quantity, str(m.cost), m.transaction_id]
                    for m in d.matches
                ],
            ]
            for d in book.disposals
        ],
        "trail": [
            [
                where[id(s.transaction)],
                s.quantity,
                str(s.cost),
                str(s.cash),
                str(s.flow),
                _money(s.gain),
            ]
            for s in book.trail
        ],
        "columns": _encode_columns(trail_columns(book.trail)),
    }


def _encode_columns(columns: TrailColumns | None) -> dict[str, Any] | None:
    if columns is None:
        return None
    return {
        "symbols": list(columns.symbols),
        **{name: getattr(columns, name).tolist() for name in _COLUMNS},
    }


# The trail's integer columns, stored as lists; the Decimal ones are read off its rows.
_COLUMNS = ("day", "symbol", "price", "quantity", "cost", "flow", "flow_places")
# Where a stored trail row keeps each amount.
_COST, _CASH = 2, 3


def decode_replay(
    data: Mapping[str, Any], holdings: Book
) -> tuple[Sequence[Transaction], Book] | None:
    """The ledger and the whole book `encode_replay` wrote, completing `holdings` (what
    `decode_holdings` read of the same version); None when written in another format or
    for another cost method. Entries, steps and sales are made when first looked at; a
    valuation reads the trail's columns instead."""
    if data.get("format") != FORMAT or data.get("method") != holdings.method.value:
        return None
    ledger = _StoredLedger(data["ledger"])
    trail = _StoredTrail(data["trail"], ledger, data.get("columns"))
    return ledger, replace(holdings, disposals=_Disposals(data["disposals"]), trail=trail)


def _transaction(row: Sequence[Any]) -> Transaction:
    (
        kind,
        traded,
        settled,
        symbol,
        quantity,
        price,
        amount,
        ratio,
        fees,
        taxes,
        note,
        action,
        tx_id,
    ) = row
    return Transaction(
        _TYPES[kind],
        _day(traded),
        _day(settled),
        symbol,
        quantity,
        Decimal(price),
        Decimal(amount),
        None if ratio is None else Decimal(ratio),
        Decimal(fees),
        Decimal(taxes),
        note,
        action,
        tx_id,
    )


class _Lazy(Sequence[_T]):
    """Stored rows made into objects when first looked at, each once."""

    __slots__ = ("_made", "_rows")

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows
        self._made: list[_T | None] = [None] * len(rows)

    @abstractmethod
    def _make(self, row: Any) -> _T:
        """The object a stored row holds."""

    def _at(self, i: int) -> _T:
        made = self._made[i]
        if made is None:
            made = self._made[i] = self._make(self._rows[i])
        return made

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | Sequence[_T]:
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self._rows)))]
        return self._at(range(len(self._rows))[index])

    def __iter__(self) -> Iterator[_T]:
        return map(self._at, range(len(self._rows)))

    def __len__(self) -> int:
        return len(self._rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class _StoredLedger(_Lazy[Transaction]):
    """A stored ledger, its entries made when first looked at."""

    __slots__ = ()

    def _make(self, row: Any) -> Transaction:
        return _transaction(row)


class _StoredTrail(_Lazy[Step], ColumnarTrail):
    """A stored trail, its steps made when first looked at, with the columns stored beside
    it (their Decimal amounts read off its rows)."""

    __slots__ = ("_columns", "_ledger")

    def __init__(
        self, rows: Sequence[Any], ledger: _StoredLedger, columns: Mapping[str, Any] | None
    ) -> None:
        super().__init__(rows)
        self._ledger = ledger
        self._columns = None if columns is None else _decode_columns(rows, columns)

    @property
    def columns(self) -> TrailColumns | None:
        return self._columns

    def _make(self, row: Any) -> Step:
        at, quantity, cost, cash, flow, gain = row
        return Step(
            self._ledger._at(at),
            quantity,
            Decimal(cost),
            Decimal(cash),
            Decimal(flow),
            None if gain is None else Decimal(gain),
        )


def _decode_columns(rows: Sequence[Any], data: Mapping[str, Any]) -> TrailColumns:
    arrays = {name: np.array(data[name], np.int64) for name in _COLUMNS}
    return TrailColumns(
        symbols=tuple(data["symbols"]),
        cash=_Amounts(rows, _CASH),
        costs=_Amounts(rows, _COST),
        **arrays,
    )


class _Amounts(_Lazy[Decimal]):
    """One amount of every stored trail row, read when looked at."""

    __slots__ = ("_place",)

    def __init__(self, rows: Sequence[Any], place: int) -> None:
        super().__init__(rows)
        self._place = place

    def _make(self, row: Any) -> Decimal:
        return Decimal(row[self._place])


class _Disposals(_Lazy[Disposal]):
    """Stored sales, made when first looked at (performance reads the trail's gains; only
    reports go through every sale's lots)."""

    __slots__ = ()

    def _make(self, row: Any) -> Disposal:
        symbol, traded, quantity, proceeds, cost, tx_id, matches = row
        return Disposal(
            symbol,
            _day(traded),
            quantity,
            Decimal(proceeds),
            Decimal(cost),
            tuple(
                LotMatch(_day(acquired), shares, Decimal(paid), lot_tx)
                for acquired, shares, paid, lot_tx in matches
            ),
            tx_id,
        )
