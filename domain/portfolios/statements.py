"""Broker-statement CSV: transactions imported all or nothing, every error named by its line.

The format (README, "Portfolios"): UTF-8, comma-separated, a header line naming the columns
in any order, one transaction a line; blank lines are skipped.

    date,type,symbol,quantity,price,amount,ratio,fees,taxes,settlement_date,note
    2025-01-06,BUY,HUBC,100,120.00,,,,,,first lot
    2025-04-14,DIVIDEND,HUBC,150,4.00,,,,,,

- `date` (YYYY-MM-DD, the trade or ex-date) and `type` (BUY, SELL, DIVIDEND, BONUS, RIGHT,
  SPLIT, DEPOSIT, WITHDRAWAL, FEE) are required; the other columns are optional and an empty
  cell means "not given", so the defaults of `domain.portfolios.inputs` apply (the PSX cost
  model's fees and taxes, the settlement cycle, the dividend withholding).
- `quantity` is a whole number; `price`, `amount`, `ratio`, `fees`, `taxes` are decimals with
  a point and no thousands separators.

Errors name the mutation argument, the file's line (the header is line 1) and the column:
`csv[3].price`, with the message starting "Line 3:".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.csv_headers import header_columns
from domain.errors import DomainError, ErrorCode
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType, ledger_order
from domain.portfolios.lots import LotBook

REQUIRED = ("date", "type")
OPTIONAL = (
    "symbol",
    "quantity",
    "price",
    "amount",
    "ratio",
    "fees",
    "taxes",
    "settlement_date",
    "note",
)
MAX_LINES = 5_000
MAX_BYTES = 1_000_000
MAX_ERRORS = 50

_INT = re.compile(r"[0-9]+")
_DEC = re.compile(r"[0-9]+(\.[0-9]+)?")
_CAMEL = {"settlement_date": "settlementDate", "date": "tradeDate"}


class _HeaderError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One validated line: its number in the file and the ledger entry it gives."""

    line: int
    entry: Transaction


def _error(arg: str, line: int, column: str | None, message: str, code: ErrorCode) -> DomainError:
    field = f"{arg}[{line}]" if column is None else f"{arg}[{line}].{column}"
    return DomainError(code, f"Line {line}: {message}", field)


def _cell(row: dict[str, str], name: str) -> str | None:
    value = row.get(name, "").strip()
    return value or None


def _parse_row(row: dict[str, str], line: int, arg: str) -> TransactionInput:
    def fail(column: str, message: str) -> DomainError:
        return _error(arg, line, _CAMEL.get(column, column), message, ErrorCode.INVALID)

    raw_type = (_cell(row, "type") or "").upper()
    try:
        kind = TransactionType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in TransactionType)
        raise fail("type", f"type is one of {allowed}.") from None

    def day(column: str) -> date | None:
        value = _cell(row, column)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise fail(column, f"{column} is a date as YYYY-MM-DD.") from None

    def decimal(column: str) -> Decimal | None:
        value = _cell(row, column)
        if value is None:
            return None
        if not _DEC.fullmatch(value):
            raise fail(column, f"{column} is a number such as 1234.50 (no separators).")
        try:
            return Decimal(value)
        except InvalidOperation:
            raise fail(column, f"{column} is not a number.") from None

    trade_date = day("date")
    if trade_date is None:
        raise fail("date", "date is required.")
    quantity_cell = _cell(row, "quantity")
    if quantity_cell is not None and not _INT.fullmatch(quantity_cell):
        raise fail("quantity", "quantity is a whole number of shares.")
    return TransactionInput(
        type=kind,
        trade_date=trade_date,
        symbol=_cell(row, "symbol"),
        quantity=None if quantity_cell is None else int(quantity_cell),
        price=decimal("price"),
        amount=decimal("amount"),
        ratio=decimal("ratio"),
        fees=decimal("fees"),
        taxes=decimal("taxes"),
        settlement_date=day("settlement_date"),
        note=_cell(row, "note"),
    )


def parse_statement(
    text: str,
    policy: PortfolioPolicy,
    *,
    today: date,
    holidays: frozenset[date] = frozenset(),
    arg: str = "csv",
) -> tuple[list[StatementLine], list[DomainError]]:
    """Parse and validate every line of a statement.

    Args:
        text: the file's contents.
        policy: the portfolio's rules (defaults, cash).
        today: the exchange's date; later trade dates are refused.
        holidays: market holidays.
        arg: the mutation argument the errors name.

    Returns:
        The valid lines and the errors of the others (at most MAX_ERRORS): the caller writes
        nothing unless the errors are empty.
    """
    if len(text.encode()) > MAX_BYTES:
        return [], [DomainError(ErrorCode.TOO_LARGE, "The file is over 1 MB.", arg)]
    reader = csv.reader(io.StringIO(text))
    records = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if not records:
        return [], [DomainError(ErrorCode.INVALID, "The file is empty.", arg)]
    (header_line, header), body = records[0], records[1:]
    try:
        columns = header_columns(header, required=REQUIRED, optional=OPTIONAL, error=_HeaderError)
    except _HeaderError as exc:
        return [], [_error(arg, header_line, None, f"{exc}.", ErrorCode.INVALID)]
    if not body:
        return [], [DomainError(ErrorCode.INVALID, "The file has no transactions.", arg)]
    if len(body) > MAX_LINES:
        return [], [
            DomainError(ErrorCode.TOO_LARGE, f"At most {MAX_LINES:,} transactions a file.", arg)
        ]
    lines: list[StatementLine] = []
    errors: list[DomainError] = []
    for line, record in body:
        if len(record) != len(columns):
            errors.append(
                _error(
                    arg,
                    line,
                    None,
                    f"{len(record)} cells where the header has {len(columns)}.",
                    ErrorCode.INVALID,
                )
            )
        else:
            row = dict(zip(columns, record, strict=True))
            try:
                inp = _parse_row(row, line, arg)
                entry = build_transaction(
                    inp, policy, today=today, holidays=holidays, path=f"{arg}[{line}]"
                )
                lines.append(StatementLine(line, entry))
            except DomainError as err:
                errors.append(_prefixed(err, line))
        if len(errors) >= MAX_ERRORS:
            break
    return lines, errors


def _prefixed(err: DomainError, line: int) -> DomainError:
    prefix = f"Line {line}: "
    if err.message.startswith(prefix):
        return err
    return DomainError(err.code, prefix + err.message, err.field)


def check_with_ledger(
    ledger: Sequence[Transaction],
    lines: Sequence[StatementLine],
    policy: PortfolioPolicy,
    *,
    arg: str = "csv",
) -> DomainError | None:
    """Replay the ledger with the imported lines; the first error, named by its line.

    A SELL beyond the holding names the SELL's line; cash below zero at a day's end names
    the last imported line of that day (or the argument when none was imported that day).
    """
    # Imported entries carry their line as a negative id, so an error can name it.
    marked = [replace(s.entry, id=-s.line) for s in lines]
    book = LotBook(policy, path=arg)
    day: date | None = None
    last_line: int | None = None

    def at(tx_line: int | None, err: DomainError) -> DomainError:
        if tx_line is None:
            return DomainError(err.code, err.message, arg)
        column = (err.field or "").rsplit(".", 1)[-1]
        return _error(arg, tx_line, column, err.message, err.code)

    for tx in ledger_order([*ledger, *marked]):
        if day is not None and tx.trade_date != day:
            try:
                book.close_day(day)
            except DomainError as err:
                return at(last_line, err)
            last_line = None
        line = -tx.id if tx.id is not None and tx.id < 0 else None
        try:
            book.apply(tx)
        except DomainError as err:
            return at(line, err)
        if line is not None:
            last_line = line
        day = tx.trade_date
    if day is not None:
        try:
            book.close_day(day)
        except DomainError as err:
            return at(last_line, err)
    return None
