"""Symbols' daily bars on one shared calendar, as the simulation loop reads them.

A symbol's bars are keyed by trading day: the PKT date of an aware `ts` (daily candles open at
the first session, 09:32 PKT), the date of a naive one. The run's calendar is the union of the
symbols' days in range; on a day a symbol did not trade it has no bar (no fills, no signal)
and its position is marked at its last close.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl
from numpy.typing import NDArray

from domain.backtests.strategies import Signals
from domain.errors import DomainError, ErrorCode

PKT_ZONE = "Asia/Karachi"
COLUMNS = ("open", "high", "low", "close", "volume")
_EPOCH = date(1970, 1, 1)
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - _EPOCH).days


def trading_days(ts: pl.Series) -> pl.Series:
    """The trading day of each bar instant."""
    dtype = ts.dtype
    if not isinstance(dtype, pl.Datetime):
        msg = f"ts must be a Datetime column, not {dtype}"
        raise TypeError(msg)
    if dtype.time_zone is not None:
        return ts.dt.convert_time_zone(PKT_ZONE).dt.date()
    return ts.dt.date()


@dataclass(frozen=True, slots=True)
class SymbolBars:
    """One symbol's bars sorted by time, up to the run's end.

    `frame` is what signals are compiled on; the arrays are its columns.
    """

    frame: pl.DataFrame
    days: IntArray
    ts: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


def symbol_bars(frame: pl.DataFrame, end: date | None) -> SymbolBars:
    """Sort a symbol's bars and cut them at `end` (inclusive).

    Raises:
        ValueError: two bars on one trading day.
    """
    ordered = frame.sort("ts")
    ts = ordered.get_column("ts")
    days = trading_days(ts).cast(pl.Int64).to_numpy()
    if end is not None:
        keep = int(np.searchsorted(days, day_number(end), side="right"))
        ordered, days, ts = ordered.head(keep), days[:keep], ts.head(keep)
    if days.shape[0] > 1 and not bool(np.all(np.diff(days) > 0)):
        msg = "bars must hold one row per trading day"
        raise ValueError(msg)
    values = ordered.select(pl.col(c).cast(pl.Float64).fill_null(np.nan) for c in COLUMNS)
    matrix = values.to_numpy()
    return SymbolBars(
        frame=ordered,
        days=days,
        ts=ts.dt.cast_time_unit("us").to_physical().to_numpy(),
        open=np.ascontiguousarray(matrix[:, 0]),
        high=np.ascontiguousarray(matrix[:, 1]),
        low=np.ascontiguousarray(matrix[:, 2]),
        close=np.ascontiguousarray(matrix[:, 3]),
        volume=np.ascontiguousarray(matrix[:, 4]),
    )


@dataclass(slots=True)
class Book:
    """The symbols' bars on the run's calendar (T sessions): lists for the loop, arrays to mark.

    `prev_close` is each bar's previous close in the symbol's own history (bars before the
    range included), which sets the day's circuit band. `entries[t]` and `exits[t]` list the
    symbols with a signal on session t (sessions without one are absent).
    """

    symbols: list[str]
    days: IntArray
    ts: list[datetime]
    open: list[list[float]]
    high: list[list[float]]
    low: list[list[float]]
    close: list[list[float]]
    volume: list[list[float]]
    prev_close: list[list[float]]
    has_bar: list[list[bool]]
    entries: dict[int, list[int]]
    exits: dict[int, list[int]]
    mark_paisa: IntArray
    first_close: list[float]
    last_close: list[float]


def _scatter(values: FloatArray, at: IntArray, n: int) -> list[float]:
    out = np.full(n, np.nan)
    out[at] = values
    listed: list[float] = out.tolist()
    return listed


def _by_session(flags: BoolArray) -> dict[int, list[int]]:
    """The symbols (rows) flagged on each session (column) that has any."""
    sessions, symbols = np.nonzero(flags.T)
    out: dict[int, list[int]] = {}
    for t, s in zip(sessions.tolist(), symbols.tolist(), strict=True):
        out.setdefault(t, []).append(s)
    return out


def tax_years(days: IntArray) -> IntArray:
    """The Pakistani tax year (named by its end) of each day number."""
    stamps = days.astype("datetime64[D]")
    months = stamps.astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    return (year + (month >= 7)).astype(np.int64)


def build_book(
    bars: Mapping[str, SymbolBars], signals: Mapping[str, Signals], start: date | None
) -> Book:
    """Lay the symbols' bars from `start` on the union of their trading days.

    Raises:
        DomainError: a symbol without a bar in the range ("symbols").
        ValueError: signals not aligned to their symbol's bars.
    """
    symbols = sorted(bars)
    first = day_number(start) if start is not None else None
    offsets: dict[str, int] = {}
    for symbol in symbols:
        b, sig = bars[symbol], signals[symbol]
        if sig.entry.shape[0] != b.days.shape[0] or sig.exit.shape[0] != b.days.shape[0]:
            msg = f"signals of {symbol} do not match its bars"
            raise ValueError(msg)
        offset = int(np.searchsorted(b.days, first)) if first is not None else 0
        if offset == b.days.shape[0]:
            raise DomainError(ErrorCode.NOT_FOUND, f"{symbol} has no bars in the range.", "symbols")
        offsets[symbol] = offset
    days = np.unique(np.concatenate([bars[s].days[offsets[s] :] for s in symbols]))
    n, count = days.shape[0], len(symbols)
    ts = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    has = np.zeros((count, n), dtype=np.bool_)
    entry = np.zeros((count, n), dtype=np.bool_)
    exit_ = np.zeros((count, n), dtype=np.bool_)
    mark = np.zeros((count, n), dtype=np.int64)
    book = Book(
        symbols=symbols,
        days=days,
        ts=[],
        open=[],
        high=[],
        low=[],
        close=[],
        volume=[],
        prev_close=[],
        has_bar=[],
        entries={},
        exits={},
        mark_paisa=mark,
        first_close=[],
        last_close=[],
    )
    for s, symbol in enumerate(symbols):
        b, sig, k = bars[symbol], signals[symbol], offsets[symbol]
        at = np.searchsorted(days, b.days[k:])
        np.minimum.at(ts, at, b.ts[k:])
        has[s, at] = True
        entry[s, at] = sig.entry[k:]
        exit_[s, at] = sig.exit[k:]
        prev = np.r_[np.nan, b.close[:-1]]
        book.open.append(_scatter(b.open[k:], at, n))
        book.high.append(_scatter(b.high[k:], at, n))
        book.low.append(_scatter(b.low[k:], at, n))
        book.close.append(_scatter(b.close[k:], at, n))
        book.volume.append(_scatter(b.volume[k:], at, n))
        book.prev_close.append(_scatter(prev[k:], at, n))
        # Marked at the last close seen, also on days the symbol did not trade.
        last = np.where(has[s], np.arange(n), -1)
        np.maximum.accumulate(last, out=last)
        closes = np.full(n, np.nan)
        closes[at] = b.close[k:]
        marked = np.where(last >= 0, closes[np.maximum(last, 0)], 0.0)
        mark[s] = np.rint(marked * 100).astype(np.int64)
        book.first_close.append(float(b.close[k]))
        book.last_close.append(float(b.close[-1]))
        book.has_bar.append(has[s].tolist())
    zone = next(iter(bars.values())).frame.schema["ts"]
    tz = zone.time_zone if isinstance(zone, pl.Datetime) else None
    book.ts = pl.Series(ts).cast(pl.Datetime("us", tz)).to_list()
    book.entries = _by_session(entry & ~exit_)
    book.exits = _by_session(exit_)
    return book


def benchmark_on(frame: pl.DataFrame, days: IntArray) -> FloatArray:
    """An index's close on each calendar day, carried over days it lacks (NaN before it starts)."""
    ordered = frame.sort("ts")
    bench_days = trading_days(ordered.get_column("ts")).cast(pl.Int64).to_numpy()
    closes = ordered.get_column("close").cast(pl.Float64).fill_null(np.nan).to_numpy()
    at = np.searchsorted(bench_days, days, side="right") - 1
    return np.where(at >= 0, closes[np.maximum(at, 0)], np.nan).astype(np.float64)


def benchmark_series(frame: pl.DataFrame, bars: SymbolBars) -> pl.Series:
    """An index's closes on a symbol's bars (null where the index has no bar that day)."""
    bench = pl.DataFrame(
        {
            "day": trading_days(frame.get_column("ts")).cast(pl.Int64),
            "close": frame.get_column("close").cast(pl.Float64),
        }
    ).unique("day", keep="last")
    joined = pl.DataFrame({"day": bars.days}).join(
        bench, on="day", how="left", maintain_order="left"
    )
    return joined.get_column("close").alias("benchmark")
