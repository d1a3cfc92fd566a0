"""Replay files: stored trades or 1-minute bars turned into ticks on coming trading days.

Two inputs, told apart by their header:
- a tick CSV `symbol,ts,price,volume` (`ts` ISO 8601 with an offset, or PKT when it has none);
- the OHLCV CSV of `import bars` with a `time` column (1-minute bars). Each bar becomes four
  trades inside its minute: the open at :00, the low and the high at :20 and :40 (the high
  first on a falling bar), the close at :59, with the volume split in four.

A replay is shifted onto the trading days the caller gives (the days after the stored data),
keeping each trade's time of day, so replayed trades never clash with stored history.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from domain.markets.bar_csv import BarRow, parse_bar_csv
from domain.markets.closing_files import Rejection
from domain.markets.prices import is_on_tick
from domain.markets.sessions import PKT
from domain.markets.ticks import Tick

TICK_COLUMNS = ("symbol", "ts", "price", "volume")


class ReplayFileError(ValueError):
    """The file is neither a tick CSV nor a bar CSV with 1-minute rows."""


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade read from a file, before it is placed on a replay day."""

    symbol: str
    at: datetime
    price: Decimal
    volume: int


def parse_replay(text: str) -> tuple[list[Trade], list[Rejection]]:
    """Trades of a replay file in time order, and the rows refused (with reasons).

    Raises:
        ReplayFileError: when the header fits neither format or no minute bars are present.
    """
    header = next(csv.reader(io.StringIO(text)), [])
    names = [h.strip().lower() for h in header]
    if sorted(names) == sorted(TICK_COLUMNS):
        trades, rejections = _parse_ticks(text, names)
    else:
        rows, rejections = parse_bar_csv(text)
        minutes = [r for r in rows if r.minute is not None]
        if not minutes:
            raise ReplayFileError(
                "a replay needs a tick CSV (symbol,ts,price,volume) or 1-minute bars "
                "(an OHLCV CSV with a time column)"
            )
        trades = [t for r in minutes for t in trades_of_bar(r)]
    trades.sort(key=lambda t: t.at)
    return trades, rejections


def _parse_ticks(text: str, names: list[str]) -> tuple[list[Trade], list[Rejection]]:
    trades: list[Trade] = []
    rejections: list[Rejection] = []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        line = ",".join(cells)
        row = dict(zip(names, (c.strip() for c in cells), strict=False))
        try:
            at = datetime.fromisoformat(row["ts"])
            price = Decimal(row["price"])
            volume = int(row["volume"])
        except (KeyError, ValueError, InvalidOperation):
            rejections.append(Rejection(line_no, "unreadable ts, price or volume", line))
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=PKT)
        if price <= 0 or not is_on_tick(price):
            rejections.append(Rejection(line_no, f"price {price} is not on the 0.01 tick", line))
        elif volume <= 0:
            rejections.append(Rejection(line_no, f"volume {volume} is not positive", line))
        else:
            trades.append(Trade(row["symbol"].upper(), at, price, volume))
    return trades, rejections


def trades_of_bar(bar: BarRow) -> list[Trade]:
    """Four trades that reproduce a 1-minute bar's open, high, low, close and volume."""
    assert bar.minute is not None  # noqa: S101 - callers pass minute rows
    start = bar.minute
    rising = bar.close >= bar.open
    middle = (bar.low, bar.high) if rising else (bar.high, bar.low)
    prices = (bar.open, *middle, bar.close)
    offsets = (0, 20, 40, 59)
    share, rest = divmod(bar.volume, 4)
    volumes = [share, share, share, share + rest]
    return [
        Trade(bar.symbol, start + timedelta(seconds=s), p, v)
        for s, p, v in zip(offsets, prices, volumes, strict=True)
        if v > 0
    ]


def onto_days(trades: Sequence[Trade], days: Sequence[date]) -> list[Tick]:
    """Place the file's trading days on `days` in order, keeping times of day; number them.

    Raises:
        ReplayFileError: when the file holds more days than `days` offers.
    """
    file_days = sorted({t.at.astimezone(PKT).date() for t in trades})
    if len(file_days) > len(days):
        raise ReplayFileError(f"the file spans {len(file_days)} days; only {len(days)} ahead")
    shift = {d: days[i] - d for i, d in enumerate(file_days)}
    seq: dict[str, int] = {}
    ticks = []
    for t in trades:
        local = t.at.astimezone(PKT)
        seq[t.symbol] = seq.get(t.symbol, 0) + 1
        at = (local + shift[local.date()]).astimezone(t.at.tzinfo)
        ticks.append(Tick(t.symbol, t.price, t.volume, at, seq[t.symbol]))
    return ticks
