"""Importing market data files: PSX daily closing files and OHLCV CSVs.

Imports are idempotent upserts: a bar that is already stored with the same values is left
alone and counted as unchanged, so importing a file twice changes nothing. Each file is one
transaction: a failure leaves nothing of it behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos.bars import UPSERT_DAILY, UPSERT_MINUTE, ensure_partitions, refresh_hourly
from db.repos.markets import bump_reference_version
from domain.markets.bar_csv import BarRow
from domain.markets.closing_files import ClosingRow, Rejection
from domain.markets.sectors import OFFICIAL_SECTORS

CHUNK = 5000
Progress = Callable[[int], None]


@dataclass(slots=True)
class ImportSummary:
    """Counts of one import, with the reasons rows were rejected."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_instruments: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    def reject(self, rejections: Sequence[Rejection]) -> None:
        """Count rejected rows, keeping a few for the report."""
        self.rejected += len(rejections)
        for r in rejections:
            self.reasons[r.reason] += 1
        self.examples.extend(rejections[: max(0, 10 - len(self.examples))])


async def _ensure_instruments(
    conn: AsyncConnection, rows: Sequence[tuple[str, str, str]], source: str
) -> tuple[dict[str, int], int]:
    """Ids for (symbol, name, sector) triples, creating unknown sectors and instruments."""
    codes = sorted({sector for _, _, sector in rows if sector})
    official = {s.code: s.name for s in OFFICIAL_SECTORS}
    await conn.execute(
        text(
            "INSERT INTO sectors (code, name) SELECT c, n FROM unnest(CAST(:codes AS text[]),"
            " CAST(:names AS text[])) AS t(c, n) ON CONFLICT (code) DO NOTHING"
        ),
        {"codes": codes, "names": [official.get(c, f"SECTOR {c}") for c in codes]},
    )
    unique = {symbol: (name, sector) for symbol, name, sector in rows}
    symbols = sorted(unique)
    created = await conn.execute(
        text(
            "INSERT INTO instruments (symbol, name, sector_code, shares_outstanding,"
            " free_float_pct, data_source)"
            " SELECT s, n, c, 0, 0, :source FROM unnest(CAST(:symbols AS text[]),"
            " CAST(:names AS text[]), CAST(:sectors AS text[])) AS t(s, n, c)"
            " ON CONFLICT (symbol) DO NOTHING RETURNING id"
        ),
        {
            "symbols": symbols,
            "names": [unique[s][0] for s in symbols],
            "sectors": [unique[s][1] or "0818" for s in symbols],
            "source": source,
        },
    )
    new = len(created.all())
    await conn.execute(
        text(
            "UPDATE instruments SET data_source = :source, updated_at = now()"
            " WHERE symbol = ANY(:symbols) AND data_source <> :source"
        ),
        {"symbols": symbols, "source": source},
    )
    ids = await conn.execute(
        text("SELECT symbol, id FROM instruments WHERE symbol = ANY(:symbols)"),
        {"symbols": symbols},
    )
    return {r.symbol: r.id for r in ids}, new


# Partitioned tables cannot return xmax, so new keys are told from those already stored.
_EXISTING = {
    "daily_bars": text(
        "SELECT b.instrument_id, b.day AS key FROM daily_bars b JOIN unnest("
        "CAST(:ids AS integer[]), CAST(:keys AS date[])) AS k(i, d)"
        " ON b.instrument_id = k.i AND b.day = k.d"
    ),
    "minute_bars": text(
        "SELECT b.instrument_id, b.ts AS key FROM minute_bars b JOIN unnest("
        "CAST(:ids AS integer[]), CAST(:keys AS timestamptz[])) AS k(i, t)"
        " ON b.instrument_id = k.i AND b.ts = k.t"
    ),
}


def estimated_turnover(high: Decimal, low: Decimal, close: Decimal, volume: int) -> Decimal:
    """Value traded when a source gives none: volume × typical price (H+L+C)/3, to the paisa."""
    return (volume * (high + low + close) / 3).quantize(Decimal("0.01"))


async def _upsert(
    conn: AsyncConnection,
    summary: ImportSummary,
    table: str,
    params: dict[str, object],
    keys: Sequence[object],
) -> None:
    """Run one chunk's upsert and count what it inserted, updated and left alone."""
    existing = await conn.execute(_EXISTING[table], {"ids": params["ids"], "keys": list(keys)})
    before = {(r.instrument_id, r.key) for r in existing}
    statement = UPSERT_DAILY if table == "daily_bars" else UPSERT_MINUTE
    written = [(r.instrument_id, r.key) for r in await conn.execute(statement, params)]
    inserted = sum(1 for k in written if k not in before)
    summary.inserted += inserted
    summary.updated += len(written) - inserted
    summary.unchanged += len(keys) - len(written)


async def import_closing_rows(
    engine: AsyncEngine,
    rows: Sequence[ClosingRow],
    rejections: Sequence[Rejection],
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Upsert the daily bars of one closing file, creating instruments it introduces."""
    summary = ImportSummary(read=len(rows) + len(rejections))
    summary.reject(rejections)
    async with engine.begin() as conn:
        ids, summary.new_instruments = await _ensure_instruments(
            conn, [(r.symbol, r.name, r.sector_code) for r in rows], "PSX_CLOSING"
        )
        await ensure_partitions(conn, "daily_bars", [r.day for r in rows])
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            days = [r.day for r in chunk]
            params = _bar_params(chunk, ids)
            params.update({"days": days, "p": [r.ldcp for r in chunk]})
            await _upsert(conn, summary, "daily_bars", params, days)
            if progress:
                progress(len(chunk))
        if summary.new_instruments:
            await bump_reference_version(conn)
    return summary


async def import_bar_rows(
    engine: AsyncEngine,
    rows: Sequence[BarRow],
    rejections: Sequence[Rejection],
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Upsert daily and 1-minute bars from a parsed CSV; unknown symbols are rejected."""
    summary = ImportSummary(read=len(rows) + len(rejections))
    summary.reject(rejections)
    async with engine.begin() as conn:
        known = await conn.execute(
            text("SELECT symbol, id FROM instruments WHERE symbol = ANY(:s)"),
            {"s": sorted({r.symbol for r in rows})},
        )
        ids = {r.symbol: r.id for r in known}
        unknown = [
            Rejection(r.line_no, f"unknown symbol {r.symbol}", r.symbol)
            for r in rows
            if r.symbol not in ids
        ]
        summary.reject(unknown)
        good = [r for r in rows if r.symbol in ids]
        daily = [r for r in good if r.minute is None]
        minute = [r for r in good if r.minute is not None]
        await ensure_partitions(conn, "daily_bars", [r.day for r in daily])
        await ensure_partitions(conn, "minute_bars", [r.day for r in minute])
        for batch, is_daily in ((daily, True), (minute, False)):
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                params = _bar_params(chunk, ids)
                if is_daily:
                    days = [r.day for r in chunk]
                    params.update({"days": days, "p": [None for _ in chunk]})
                    await _upsert(conn, summary, "daily_bars", params, days)
                else:
                    stamps = [_minute(r) for r in chunk]
                    params["ts"] = stamps
                    await _upsert(conn, summary, "minute_bars", params, stamps)
                if progress:
                    progress(len(chunk))
        await refresh_hourly(conn, [ids[r.symbol] for r in minute], [r.day for r in minute])
        await conn.execute(
            text(
                "UPDATE instruments SET data_source = 'CSV' WHERE id = ANY(:ids)"
                " AND data_source = 'SIMULATED'"
            ),
            {"ids": sorted({ids[r.symbol] for r in good})},
        )
    return summary


def _bar_params(chunk: Sequence[ClosingRow | BarRow], ids: dict[str, int]) -> dict[str, object]:
    """The columns every bar upsert sends; turnover is estimated where the source has none."""

    def turnover(r: ClosingRow | BarRow) -> Decimal:
        given = getattr(r, "turnover", None)
        return given if given is not None else estimated_turnover(r.high, r.low, r.close, r.volume)

    return {
        "ids": [ids[r.symbol] for r in chunk],
        "o": [r.open for r in chunk],
        "h": [r.high for r in chunk],
        "l": [r.low for r in chunk],
        "c": [r.close for r in chunk],
        "v": [r.volume for r in chunk],
        "t": [turnover(r) for r in chunk],
        "n": [getattr(r, "trades", None) or 0 for r in chunk],
    }


def _minute(row: BarRow) -> datetime:
    assert row.minute is not None  # noqa: S101 - filtered by the caller
    return row.minute
