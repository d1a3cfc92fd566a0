"""The OHLCV CSV format read by `psx-analytics import bars CSV`.

One bar per row, comma-separated, UTF-8 (a byte-order mark is allowed). The first row is a
header naming the columns, in any order; names are case-insensitive.

Required columns:

- `symbol`: the PSX symbol, e.g. `HUBC` (upper-cased on import).
- `date`: the trading day, ISO `YYYY-MM-DD`, in Pakistan time.
- `open`, `high`, `low`, `close`: prices in rupees, positive and on the 0.01 tick, with
  `low <= open, close <= high`.
- `volume`: shares traded, a whole number `>= 0`.

Optional columns:

- `time`: `HH:MM` (24-hour; `9:32` also accepted) in Asia/Karachi (PKT, UTC+5). A row with
  a time is the 1-minute bar that starts at that minute; a row without one (no column, or an
  empty cell) is the daily bar of `date`.
- `turnover`: traded value in rupees, `>= 0`.
- `trades`: number of trades, a whole number `>= 0`.

Numbers may carry thousands separators if the cell is quoted (`"1,250,000"`). Blank lines are
skipped. An unknown or missing column rejects the whole file; a bad row is reported with its
line number and reason, and the other rows are still imported.

Example:

    symbol,date,time,open,high,low,close,volume
    HUBC,2025-09-26,,220.00,224.50,219.10,222.31,8123456
    HUBC,2025-09-26,09:32,220.00,220.40,219.80,220.25,152000
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from domain.csv_headers import header_columns, non_blank
from domain.markets.closing_files import Rejection, bar_problem, parse_number, parse_volume
from domain.markets.prices import TICK
from domain.markets.sessions import PKT

REQUIRED_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")
OPTIONAL_COLUMNS = ("time", "turnover", "trades")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HH_MM = re.compile(r"(\d{1,2}):(\d{2})")


class BarCsvError(ValueError):
    """The file as a whole cannot be read: no header, or unknown or missing columns."""


@dataclass(frozen=True, slots=True)
class BarRow:
    """One bar from the CSV; `minute` is None for a daily bar, else the UTC minute start."""

    line_no: int
    symbol: str
    day: date
    minute: datetime | None
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    turnover: Decimal | None
    trades: int | None


def parse_bar_csv(text: str) -> tuple[list[BarRow], list[Rejection]]:
    """Parse an OHLCV CSV (format in the module docstring) into bars and rejected rows.

    Args:
        text: The decoded file.

    Returns:
        The valid bars and the rejected rows, each in file order; line numbers are 1-based
        and count the header.

    Raises:
        BarCsvError: The header is absent, names an unknown column, repeats a column or lacks
            a required one.
    """
    lines = text.removeprefix("\ufeff").splitlines()
    reader = csv.reader(lines)
    header = next(non_blank(reader), None)
    if header is None:
        raise BarCsvError("empty file: a header row is required")
    columns = header_columns(
        header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, error=BarCsvError
    )

    rows: list[BarRow] = []
    rejections: list[Rejection] = []
    for record in non_blank(reader):
        line_no = reader.line_num
        line = lines[line_no - 1]
        if len(record) != len(columns):
            reason = f"wrong field count: expected {len(columns)}, got {len(record)}"
            rejections.append(Rejection(line_no, reason, line))
            continue
        row_or_reason = _parse_row(line_no, dict(zip(columns, record, strict=True)))
        if isinstance(row_or_reason, str):
            rejections.append(Rejection(line_no, row_or_reason, line))
        else:
            rows.append(row_or_reason)
    return rows, rejections


def _parse_row(line_no: int, cells: dict[str, str]) -> BarRow | str:
    symbol = cells["symbol"].strip().upper()
    if not symbol:
        return "empty symbol"
    raw_day = cells["date"].strip()
    try:
        if not _ISO_DATE.fullmatch(raw_day):
            raise ValueError
        day = date.fromisoformat(raw_day)
    except ValueError:
        return f"bad date: {raw_day!r} (expected YYYY-MM-DD)"
    minute: datetime | None = None
    raw_time = cells.get("time", "").strip()
    if raw_time:
        match = _HH_MM.fullmatch(raw_time)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            return f"bad time: {raw_time!r} (expected HH:MM)"
        local = datetime.combine(day, time(int(match.group(1)), int(match.group(2))), PKT)
        minute = local.astimezone(UTC)

    prices: dict[str, Decimal] = {}
    for field in ("open", "high", "low", "close"):
        try:
            prices[field] = parse_number(cells[field])
        except ValueError:
            return f"bad number: {field} {cells[field].strip()!r}"
    try:
        volume = parse_volume(cells["volume"])
    except ValueError as exc:
        return str(exc)
    turnover: Decimal | None = None
    raw_turnover = cells.get("turnover", "").strip()
    if raw_turnover:
        try:
            turnover = parse_number(raw_turnover)
        except ValueError:
            return f"bad number: turnover {raw_turnover!r}"
        if turnover < 0:
            return f"negative turnover: {turnover}"
    trades: int | None = None
    raw_trades = cells.get("trades", "").strip()
    if raw_trades:
        try:
            trades = parse_volume(raw_trades)
        except ValueError:
            return f"bad number: trades {raw_trades!r} (expected a whole number >= 0)"

    problem = bar_problem(prices["open"], prices["high"], prices["low"], prices["close"])
    if problem is not None:
        return problem
    return BarRow(
        line_no=line_no,
        symbol=symbol,
        day=day,
        minute=minute,
        open=prices["open"].quantize(TICK),
        high=prices["high"].quantize(TICK),
        low=prices["low"].quantize(TICK),
        close=prices["close"].quantize(TICK),
        volume=volume,
        turnover=turnover,
        trades=trades,
    )
