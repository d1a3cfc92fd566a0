"""What the CSV imports share: skipping blank records and checking a header of named columns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def non_blank(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The records that hold anything.

    Spreadsheets pad with empty lines and rows of bare commas; neither is data.
    """
    return (record for record in reader if any(cell.strip() for cell in record))


def header_columns(
    header: Sequence[str],
    *,
    required: Sequence[str],
    optional: Sequence[str],
    error: type[ValueError],
) -> list[str]:
    """The header's column names (trimmed, lower case), in the file's order.

    Raises:
        error: for an unknown, repeated or missing column, naming it.
    """
    columns = [cell.strip().lower() for cell in header]
    known = set(required) | set(optional)
    unknown = [c for c in columns if c not in known]
    if unknown:
        allowed = ", ".join((*required, *optional))
        raise error(f"unknown column(s): {', '.join(unknown)} (allowed: {allowed})")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise error(f"repeated column(s): {', '.join(repeated)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise error(f"missing required column(s): {', '.join(missing)}")
    return columns
