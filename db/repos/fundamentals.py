"""Reads and writes of financial statements.

Reads take an engine and keyword arguments, make one batched statement (`= ANY(:ids)`) for
any number of instruments, and return domain statements keyed by instrument id, newest
first. Writes are idempotent upserts: a statement already stored with the same figures is
left alone (and counted unchanged), so importing a file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.imports import ImportSummary
from domain.fundamentals.csv import StatementRow
from domain.fundamentals.ratios import ANNUALS_NEEDED, QUARTERS_NEEDED
from domain.fundamentals.statements import FinancialStatement, PeriodKind
from domain.markets.closing_files import Rejection
from domain.markets.instruments import DataSource

CHUNK = 2000

# Column, SQL array type of the upsert's unnest.
_FIGURES: tuple[tuple[str, str], ...] = (
    ("period", "text"),
    ("fiscal_year", "smallint"),
    ("fiscal_quarter", "smallint"),
    ("period_end", "date"),
    ("published_on", "date"),
    ("revenue", "numeric"),
    ("gross_profit", "numeric"),
    ("operating_profit", "numeric"),
    ("ebitda", "numeric"),
    ("net_income", "numeric"),
    ("eps", "numeric"),
    ("total_assets", "numeric"),
    ("total_equity", "numeric"),
    ("total_debt", "numeric"),
    ("cash", "numeric"),
    ("current_assets", "numeric"),
    ("current_liabilities", "numeric"),
    ("operating_cash_flow", "numeric"),
    ("dividends_per_share", "numeric"),
    ("book_value_per_share", "numeric"),
    ("shares", "bigint"),
    ("data_source", "text"),
)
_KEY = ("period", "fiscal_year", "fiscal_quarter")
_NAMES = [name for name, _ in _FIGURES]
_COLUMNS = ", ".join(_NAMES)
_CHANGING = [name for name in _NAMES if name not in _KEY]

_UPSERT = text(
    f"""
    INSERT INTO financial_statements (instrument_id, {_COLUMNS})
    SELECT * FROM unnest(CAST(:instrument_id AS integer[]), {
        ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _FIGURES)
    })
    ON CONFLICT ON CONSTRAINT uq_financial_statements_period DO UPDATE
       SET {", ".join(f"{name} = EXCLUDED.{name}" for name in _CHANGING)}, updated_at = now()
     WHERE ({", ".join(f"financial_statements.{name}" for name in _CHANGING)})
           IS DISTINCT FROM ({", ".join(f"EXCLUDED.{name}" for name in _CHANGING)})
    RETURNING (xmax = 0) AS inserted
    """  # noqa: S608 - columns come from a fixed tuple
)
# The newest statements per instrument and period kind, numbered from 1.
_RANKED = f"""
    SELECT instrument_id, {_COLUMNS}, row_number() OVER (
           PARTITION BY instrument_id, period
           ORDER BY fiscal_year DESC, fiscal_quarter DESC NULLS LAST) AS n
      FROM financial_statements WHERE instrument_id = ANY(:ids)
"""  # noqa: S608 - constant columns
_LATEST = text(
    f"""
    SELECT instrument_id, {_COLUMNS} FROM ({_RANKED}) s
     WHERE n <= CASE period WHEN 'QUARTERLY' THEN CAST(:quarters AS integer)
                                ELSE CAST(:annuals AS integer) END
     ORDER BY instrument_id, period_end DESC, period
    """  # noqa: S608 - constant columns
)
_OF_PERIOD = text(
    f"""
    SELECT instrument_id, {_COLUMNS} FROM ({_RANKED}) s
     WHERE period = :period AND n <= CAST(:limit AS integer)
     ORDER BY instrument_id, n
    """  # noqa: S608 - constant columns
)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What an upsert did: rows inserted, rows updated, rows already equal."""

    inserted: int
    updated: int
    unchanged: int


def _statement(row: Any) -> FinancialStatement:
    return FinancialStatement(
        period=PeriodKind(row.period),
        fiscal_year=row.fiscal_year,
        fiscal_quarter=row.fiscal_quarter,
        period_end=row.period_end,
        published_on=row.published_on,
        revenue=row.revenue,
        gross_profit=row.gross_profit,
        operating_profit=row.operating_profit,
        ebitda=row.ebitda,
        net_income=row.net_income,
        eps=row.eps,
        total_assets=row.total_assets,
        total_equity=row.total_equity,
        total_debt=row.total_debt,
        cash=row.cash,
        current_assets=row.current_assets,
        current_liabilities=row.current_liabilities,
        operating_cash_flow=row.operating_cash_flow,
        dividends_per_share=row.dividends_per_share,
        book_value_per_share=row.book_value_per_share,
        shares=row.shares,
        data_source=DataSource(row.data_source),
    )


def _grouped(ids: Sequence[int], rows: Sequence[Any]) -> dict[int, list[FinancialStatement]]:
    out: dict[int, list[FinancialStatement]] = {i: [] for i in ids}
    for row in rows:
        out[row.instrument_id].append(_statement(row))
    return out


async def latest_statements(
    engine: AsyncEngine,
    *,
    instrument_ids: Sequence[int],
    quarters: int = QUARTERS_NEEDED,
    annuals: int = ANNUALS_NEEDED,
) -> dict[int, list[FinancialStatement]]:
    """The newest statements of many instruments in one query: what their ratios need.

    Pass every instrument id to get the whole universe (a screener does), then hand the
    result to `domain.fundamentals.ratios.ratios_by_key`.

    Args:
        engine: The database.
        instrument_ids: Instruments to read.
        quarters: The newest quarterly statements to read per instrument.
        annuals: The newest annual statements to read per instrument.

    Returns:
        Every id asked for, mapped to its statements newest first (an empty list when it has
        none).
    """
    ids = sorted(set(instrument_ids))
    async with engine.connect() as conn:
        params = {"ids": ids, "quarters": quarters, "annuals": annuals}
        rows = (await conn.execute(_LATEST, params)).all()
    return _grouped(ids, rows)


async def statements(
    engine: AsyncEngine, *, instrument_ids: Sequence[int], period: PeriodKind, limit: int
) -> dict[int, list[FinancialStatement]]:
    """The newest `limit` statements of one period kind for each of many instruments.

    Returns:
        Every id asked for, mapped to its statements newest first.
    """
    ids = sorted(set(instrument_ids))
    async with engine.connect() as conn:
        params = {"ids": ids, "period": period.value, "limit": limit}
        rows = (await conn.execute(_OF_PERIOD, params)).all()
    return _grouped(ids, rows)


async def upsert_statements(
    conn: AsyncConnection, rows: Sequence[tuple[int, FinancialStatement]]
) -> UpsertCounts:
    """Insert or update statements keyed by (instrument id, period, fiscal year, quarter).

    Args:
        conn: A connection inside the caller's transaction.
        rows: (instrument id, statement) pairs, each key at most once.

    Returns:
        How many rows were inserted, updated (a figure changed) and left as they were.
    """
    inserted = updated = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params: dict[str, list[object]] = {"instrument_id": [i for i, _ in chunk]}
        for name in _NAMES:
            params[name] = [getattr(s, name) for _, s in chunk]
        params["period"] = [s.period.value for _, s in chunk]
        params["data_source"] = [s.data_source.value for _, s in chunk]
        written = [r.inserted for r in await conn.execute(_UPSERT, params)]
        inserted += sum(written)
        updated += len(written) - sum(written)
    return UpsertCounts(inserted, updated, len(rows) - inserted - updated)


async def import_statement_rows(
    engine: AsyncEngine, rows: Sequence[StatementRow], rejections: Sequence[Rejection]
) -> ImportSummary:
    """Upsert the statements of one parsed fundamentals CSV, in one transaction.

    Rows of symbols that do not exist are rejected with their line number; the rest are
    imported.

    Returns:
        The counts of the file, with every rejection's reason.
    """
    summary = ImportSummary(read=len(rows) + len(rejections))
    summary.reject(rejections)
    async with engine.begin() as conn:
        known = await conn.execute(
            text("SELECT symbol, id FROM instruments WHERE symbol = ANY(:s)"),
            {"s": sorted({r.symbol for r in rows})},
        )
        ids = {r.symbol: r.id for r in known}
        summary.reject(
            [
                Rejection(r.line_no, f"unknown symbol {r.symbol}", r.symbol)
                for r in rows
                if r.symbol not in ids
            ]
        )
        counts = await upsert_statements(
            conn, [(ids[r.symbol], r.statement) for r in rows if r.symbol in ids]
        )
    summary.inserted, summary.updated, summary.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    return summary
