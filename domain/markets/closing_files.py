"""The PSX daily closing file `closing11.lis` (PSX.md section 2, `/download/mkt_summary`).

DPS serves one archive per trading day at `/download/mkt_summary/{YYYY-MM-DD}.Z`. Despite the
suffix, the body is usually a ZIP or gzip archive, so the format is read from the magic bytes;
true Unix `compress` (LZW) bodies are decoded too. Inside is `closing11.lis`, one pipe-delimited
row per symbol with CRLF line endings:

    31DEC2021|OGDC|0820|Oil & Gas Dev.|84.20|87.30|84.15|86.20|3368560|84.94|||

Fields: date (`%d%b%Y`), symbol, four-digit sector code, short name, open, high, low, close,
volume, previous close (LDCP), then empty trailing fields. The parser never raises on a bad
row: it returns the good rows and a `Rejection` for each bad one, so an import can report what
it skipped.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.markets.prices import TICK, is_on_tick

# A closing file is about 100 KB; anything near this size is not one (or is a zip bomb).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024

DEFAULT_MEMBER = "closing11.lis"
DID_NOT_TRADE = "did not trade"

_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"
_LZW_MAGIC = b"\x1f\x9d"

_FIELDS = 10
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_DATE = re.compile(r"(\d{1,2})([A-Za-z]{3})(\d{4})")
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_SECTOR = re.compile(r"\d{4}")
_ZERO = Decimal(0)


class ClosingFileError(ValueError):
    """The archive cannot be opened: corrupt, unsupported or too large."""


@dataclass(frozen=True, slots=True)
class ClosingRow:
    """One symbol's day from the closing file; prices are quantized to the 0.01 tick."""

    line_no: int
    day: date
    symbol: str
    sector_code: str
    name: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    ldcp: Decimal | None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported, with its 1-based line number and why."""

    line_no: int
    reason: str
    line: str


# --- archives ---------------------------------------------------------------------------------


def unpack_closing_archive(data: bytes, name: str = "") -> list[tuple[str, bytes]]:
    """Unpack a downloaded closing archive into its text members.

    The format is detected from the magic bytes, not from the name: ZIP yields the members
    whose names end in `.lis` (all members when none does), gzip and Unix compress (`.Z`, LZW)
    yield the one decompressed stream, and anything else is taken as the plain text file.

    Args:
        data: The downloaded bytes.
        name: The archive's file name, used to name a member whose archive stores no name.

    Returns:
        `(member name, bytes)` pairs in archive order.

    Raises:
        ClosingFileError: The archive is corrupt or unpacks to more than `MAX_UNPACKED_BYTES`.
    """
    if data.startswith(_ZIP_MAGIC):
        return _unzip(data)
    if data.startswith(_GZIP_MAGIC):
        member = _gzip_member_name(data) or _strip_suffix(name, (".gz", ".z")) or DEFAULT_MEMBER
        return [(member, _gunzip(data))]
    if data.startswith(_LZW_MAGIC):
        return [(_strip_suffix(name, (".z",)) or DEFAULT_MEMBER, _unlzw(data))]
    if len(data) > MAX_UNPACKED_BYTES:
        raise ClosingFileError(f"file is larger than {MAX_UNPACKED_BYTES} bytes")
    return [(name or DEFAULT_MEMBER, data)]


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    base = name.rsplit("/", 1)[-1]
    for suffix in suffixes:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def _unzip(data: bytes) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            wanted = [info for info in files if info.filename.lower().endswith(".lis")] or files
            members: list[tuple[str, bytes]] = []
            total = 0
            for info in wanted:
                with archive.open(info) as stream:
                    body = stream.read(MAX_UNPACKED_BYTES + 1 - total)
                total += len(body)
                if total > MAX_UNPACKED_BYTES:
                    raise ClosingFileError(f"ZIP unpacks to more than {MAX_UNPACKED_BYTES} bytes")
                members.append((info.filename, body))
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as exc:
        raise ClosingFileError(f"corrupt or unsupported ZIP archive: {exc}") from exc
    if not members:
        raise ClosingFileError("ZIP archive holds no files")
    return members


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            body = stream.read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ClosingFileError(f"corrupt gzip archive: {exc}") from exc
    if len(body) > MAX_UNPACKED_BYTES:
        raise ClosingFileError(f"gzip unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    return body


def _gzip_member_name(data: bytes) -> str:
    """The original file name stored in a gzip header (RFC 1952 FNAME), or ""."""
    if len(data) < 10:
        return ""
    flags = data[3]
    pos = 10
    if flags & 0x04:  # FEXTRA: two-byte little-endian length, then the field
        if len(data) < pos + 2:
            return ""
        pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
    if not flags & 0x08:  # FNAME absent
        return ""
    end = data.find(b"\x00", pos)
    if end < 0:
        return ""
    return data[pos:end].decode("latin-1").rsplit("/", 1)[-1]


def _unlzw(data: bytes) -> bytes:
    """Decode a Unix `compress` (.Z) stream, following gzip's `unlzw.c`.

    Codes are packed LSB first, starting at 9 bits and widening up to the header's maximum.
    In block mode code 256 clears the table. The encoder writes codes in groups of eight, so
    a group is n_bits bytes; when the width changes or the table is cleared, the rest of the
    current group is padding and is skipped.
    """
    if len(data) < 3:
        raise ClosingFileError("truncated Unix compress (.Z) header")
    max_bits = data[2] & 0x1F
    block_mode = bool(data[2] & 0x80)
    if not 9 <= max_bits <= 16:
        raise ClosingFileError(f"corrupt Unix compress (.Z) header: {max_bits}-bit codes")
    max_entries = 1 << max_bits
    singles = [bytes((i,)) for i in range(256)]
    # In block mode entry 256 is the CLEAR code; a placeholder keeps len(table) == next code.
    table = [*singles, b""] if block_mode else list(singles)
    n_bits = 9
    max_code = (1 << n_bits) - 1
    in_group = 0
    pos = 3 * 8
    end = len(data) * 8
    out = bytearray()
    prev = b""
    while pos + n_bits <= end:
        # len(table) is the next free code. Widening is checked as unlzw.c does it, so a
        # 9-bit stream also moves to 10-bit codes once its table is full.
        if len(table) > max_code:
            pos += (-in_group % 8) * n_bits
            n_bits += 1
            max_code = max_entries if n_bits == max_bits else (1 << n_bits) - 1
            in_group = 0
            continue
        byte = pos >> 3
        chunk = int.from_bytes(data[byte : byte + 3], "little")
        code = (chunk >> (pos & 7)) & ((1 << n_bits) - 1)
        pos += n_bits
        in_group += 1
        if not prev:
            if code >= 256:
                raise ClosingFileError("corrupt Unix compress (.Z) data: bad first code")
            prev = singles[code]
            out += prev
            continue
        if block_mode and code == 256:
            pos += (-in_group % 8) * n_bits
            n_bits = 9
            max_code = (1 << n_bits) - 1
            in_group = 0
            # Like unlzw.c, the next code after CLEAR writes a dummy entry at 256.
            table = list(singles)
            continue
        if code < len(table):
            entry = table[code]
        elif code == len(table):  # the cScSc case: the code being defined right now
            entry = prev + prev[:1]
        else:
            raise ClosingFileError("corrupt Unix compress (.Z) data: code out of range")
        out += entry
        if len(out) > MAX_UNPACKED_BYTES:
            raise ClosingFileError(f".Z unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        if len(table) < max_entries:
            table.append(prev + entry[:1])
        prev = entry
    return bytes(out)


def decode_closing_bytes(data: bytes) -> str:
    """Decode a closing file: UTF-8 (BOM allowed), else Windows-1252, else Latin-1.

    Args:
        data: The unpacked member's bytes.

    Returns:
        The text; Latin-1 accepts any byte, so this never fails.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --- rows -------------------------------------------------------------------------------------


def parse_number(text: str) -> Decimal:
    """Parse a plain decimal number, allowing thousands separators (`1,234.50`).

    Args:
        text: The field, surrounding blanks allowed.

    Returns:
        The value; exponents, NaN and infinities are refused.

    Raises:
        ValueError: The text is not such a number.
    """
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"bad number {text.strip()!r}")
    return Decimal(cleaned.replace(",", ""))


def bar_problem(open_: Decimal, high: Decimal, low: Decimal, close: Decimal) -> str | None:
    """Why four prices are not a valid PSX bar, or None when they are.

    Every price must be positive and on the 0.01 tick, high at least low, and open and close
    inside [low, high].
    """
    for field, price in (("open", open_), ("high", high), ("low", low), ("close", close)):
        if price <= 0:
            return f"non-positive price: {field} {price}"
        if not is_on_tick(price):
            return f"price off the 0.01 tick: {field} {price}"
    if high < low:
        return f"high below low: high {high} < low {low}"
    for field, price in (("open", open_), ("close", close)):
        if not low <= price <= high:
            return f"{field} outside low-high: {field} {price} not in [{low}, {high}]"
    return None


def parse_volume(text: str) -> int:
    """Parse a share count: a whole, non-negative number (`1,250,000` and `500.00` allowed).

    Args:
        text: The field, surrounding blanks allowed.

    Returns:
        The count.

    Raises:
        ValueError: The text is not a whole non-negative number; the message is the reason.
    """
    try:
        value = parse_number(text)
    except ValueError:
        raise ValueError(f"bad number: volume {text.strip()!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"bad number: volume {text.strip()!r} is not a whole number")
    if value < 0:
        raise ValueError(f"negative volume: {value}")
    return int(value)


def _parse_day(text: str) -> date | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    month = _MONTHS.get(match.group(2).upper())
    if month is None:
        return None
    try:
        return date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None


def parse_closing_file(text: str) -> tuple[list[ClosingRow], list[Rejection]]:
    """Parse the text of `closing11.lis` into rows and rejections; never raises on a bad row.

    A file holds one trading day: the date most rows carry is the file's date, and a row with
    another date is rejected. A row with zero open, high and low and zero volume is the
    exchange listing a symbol that did not trade; it is rejected with the reason
    `DID_NOT_TRADE` so that it is counted but not stored. An empty or zero previous close (a
    new listing) is `ldcp=None`.

    Args:
        text: The decoded file (see `decode_closing_bytes`), CRLF or LF line endings.

    Returns:
        The valid rows and the rejected rows, each in file order.
    """
    rejections: list[Rejection] = []
    dated: list[tuple[int, str, date, list[str]]] = []
    for line_no, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.rstrip("\r")
        # A DOS end-of-file mark (Ctrl-Z) on the last line counts as blank.
        if not line.strip(" \t\x1a"):
            continue
        fields = line.split("|")
        if len(fields) < _FIELDS or any(f.strip() for f in fields[_FIELDS:]):
            reason = f"wrong field count: expected {_FIELDS}, got {len(fields)}"
            rejections.append(Rejection(line_no, reason, line))
            continue
        day = _parse_day(fields[0])
        if day is None:
            rejections.append(Rejection(line_no, f"bad date: {fields[0].strip()!r}", line))
            continue
        dated.append((line_no, line, day, fields))

    rows: list[ClosingRow] = []
    if dated:
        file_day = Counter(day for _, _, day, _ in dated).most_common(1)[0][0]
        for line_no, line, day, fields in dated:
            if day != file_day:
                reason = f"date {day.isoformat()} differs from the file's date {file_day}"
                rejections.append(Rejection(line_no, reason, line))
                continue
            row_or_reason = _parse_row(line_no, day, fields)
            if isinstance(row_or_reason, str):
                rejections.append(Rejection(line_no, row_or_reason, line))
            else:
                rows.append(row_or_reason)
    rejections.sort(key=lambda r: r.line_no)
    return rows, rejections


def _parse_row(line_no: int, day: date, fields: list[str]) -> ClosingRow | str:
    symbol = fields[1].strip().upper()
    if not symbol:
        return "empty symbol"
    sector_code = fields[2].strip()
    if not _SECTOR.fullmatch(sector_code):
        return f"bad sector code: {sector_code!r} is not 4 digits"
    prices: dict[str, Decimal] = {}
    for field, raw in zip(("open", "high", "low", "close"), fields[4:8], strict=True):
        try:
            prices[field] = parse_number(raw)
        except ValueError:
            return f"bad number: {field} {raw.strip()!r}"
    try:
        volume = parse_volume(fields[8])
    except ValueError as exc:
        return str(exc)
    ldcp: Decimal | None = None
    if fields[9].strip():
        try:
            ldcp = parse_number(fields[9])
        except ValueError:
            return f"bad number: ldcp {fields[9].strip()!r}"
    if volume == 0 and prices["open"] == prices["high"] == prices["low"] == _ZERO:
        return DID_NOT_TRADE
    problem = bar_problem(prices["open"], prices["high"], prices["low"], prices["close"])
    if problem is not None:
        return problem
    if ldcp is not None:
        if ldcp < 0 or not is_on_tick(ldcp):
            return f"bad previous close: ldcp {ldcp}"
        ldcp = ldcp.quantize(TICK) if ldcp else None
    return ClosingRow(
        line_no=line_no,
        day=day,
        symbol=symbol,
        sector_code=sector_code,
        name=fields[3].strip(),
        open=prices["open"].quantize(TICK),
        high=prices["high"].quantize(TICK),
        low=prices["low"].quantize(TICK),
        close=prices["close"].quantize(TICK),
        volume=volume,
        ldcp=ldcp,
    )
