"""Data retention: what would go (`plan_retention`) and removing it (`apply_retention`).

1-minute bars are rolled into daily bars first (days that have no daily bar get one made from
their minutes; existing daily bars, which come from the closing files, are kept as they are),
then go by whole monthly partitions where a partition lies entirely before the cut-off (a
`DROP TABLE`, no row-by-row delete), TimescaleDB chunks where the table is a hypertable, and
row deletes for the rest. Hourly bars are the rollup of the minutes and are kept. Each kind
runs in a transaction of its own, without the statement timeout of ordinary requests.

News articles that go leave a copy in an external search index: with `search_outbox` (an
OpenSearch SEARCH_URL, `db.search.uses_outbox`) each removed article gets a `delete` row in
`search_outbox` in the transaction that removes it, which the search worker drains as a delete.

The audit log is append-only (a trigger refuses updates and deletes); retention is its one
exception: the trigger lets a transaction that has set `psx.retention` delete rows past the
cut-off it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.retention import RetentionKind, cutoff


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What retention removed (or, in a dry run, would remove) of one kind."""

    kind: RetentionKind
    cutoff: datetime
    rows: int  # rows removed, partitions' rows included
    partitions: tuple[str, ...] = ()  # whole partitions (or chunks) dropped
    rolled_days: int = 0  # (instrument or index, day) daily bars made from 1-minute bars
    skipped: str | None = None  # why nothing was done (the table does not exist, say)


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    column: str
    where: str = "TRUE"  # rows that may go at all
    roll_into: str | None = None  # the daily table 1-minute bars are rolled into
    key: str = "instrument_id"


_TABLES: Mapping[RetentionKind, _Table] = {
    RetentionKind.MINUTE_BARS: _Table("minute_bars", "ts", roll_into="daily_bars"),
    RetentionKind.INDEX_MINUTE_BARS: _Table(
        "index_minute_bars", "ts", roll_into="index_daily_bars", key="index_id"
    ),
    RetentionKind.AUDIT_EVENTS: _Table("audit_events", "at"),
    RetentionKind.ALERT_EVENTS: _Table("alert_events", "fired_at"),
    RetentionKind.MAIL_OUTBOX: _Table("mail_outbox", "sent_at", where="sent_at IS NOT NULL"),
    RetentionKind.NEWS: _Table("news_articles", "published_at"),
    RetentionKind.SEARCH_OUTBOX: _Table("search_outbox", "enqueued_at"),
}


async def plan_retention(
    engine: AsyncEngine, policy: Mapping[RetentionKind, int | None], *, now: datetime
) -> list[RetentionResult]:
    """What `apply_retention` would remove now, changing nothing."""
    return await _run(engine, policy, now=now, dry_run=True)


async def apply_retention(
    engine: AsyncEngine,
    policy: Mapping[RetentionKind, int | None],
    *,
    now: datetime,
    search_outbox: bool = False,
) -> list[RetentionResult]:
    """Remove what the policy says has aged out; one transaction per kind.

    With `search_outbox`, each news article removed is queued for deletion from the search
    index in the same transaction.
    """
    return await _run(engine, policy, now=now, dry_run=False, search_outbox=search_outbox)


async def _run(
    engine: AsyncEngine,
    policy: Mapping[RetentionKind, int | None],
    *,
    now: datetime,
    dry_run: bool,
    search_outbox: bool = False,
) -> list[RetentionResult]:
    results: list[RetentionResult] = []
    for kind, table in _TABLES.items():
        days = policy.get(kind)
        if days is None:
            continue
        before = cutoff(now, days)
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL statement_timeout = 0"))
            outbox = search_outbox and kind is RetentionKind.NEWS
            result = await _one(conn, kind, table, before, dry_run=dry_run, outbox=outbox)
            if dry_run:
                await conn.rollback()
        results.append(result)
    return results


async def _one(
    conn: AsyncConnection,
    kind: RetentionKind,
    table: _Table,
    before: datetime,
    *,
    dry_run: bool,
    outbox: bool = False,
) -> RetentionResult:
    exists = await conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table.name})
    if not exists:
        return RetentionResult(kind, before, 0, skipped=f"no table {table.name}")
    rolled = 0
    if table.roll_into is not None:
        rolled = await _roll(conn, table, before, dry_run=dry_run)
    partitions, in_partitions = await _old_partitions(conn, table, before)
    old = f"{table.column} < :before AND ({table.where})"
    params = {"before": before}
    if dry_run:
        rows = await conn.scalar(text(f"SELECT count(*) FROM {table.name} WHERE {old}"), params)  # noqa: S608 - names are ours
        return RetentionResult(kind, before, int(rows or 0), tuple(partitions), rolled)
    if kind is RetentionKind.AUDIT_EVENTS:
        # The append-only trigger lets this transaction, and only rows before the cut-off, go.
        await conn.execute(
            text("SELECT set_config('psx.retention', :before, true)"),
            {"before": before.isoformat()},
        )
    if await _hypertable(conn, table.name):
        dropped = (
            await conn.execute(
                text("SELECT drop_chunks(CAST(:t AS regclass), older_than => :before)"),
                {"t": table.name, "before": before},
            )
        ).scalars()
        return RetentionResult(kind, before, 0, tuple(str(c) for c in dropped), rolled)
    for name in partitions:
        await conn.execute(text(f'DROP TABLE "{name}"'))
    delete = f"DELETE FROM {table.name} WHERE {old}"  # noqa: S608 - names are ours
    if outbox:
        # One `delete` row per removed id (the inserted rows count the deleted ones).
        delete = (
            f"WITH gone AS ({delete} RETURNING id)"  # noqa: S608 - names are ours
            " INSERT INTO search_outbox (article_id, op) SELECT id, 'delete' FROM gone"
        )
    deleted = await conn.execute(text(delete), params)
    return RetentionResult(
        kind, before, in_partitions + deleted.rowcount, tuple(partitions), rolled
    )


async def _roll(conn: AsyncConnection, table: _Table, before: datetime, *, dry_run: bool) -> int:
    """Make the daily bars that the 1-minute bars before `before` have and the daily table
    lacks (PSX days: the date in Asia/Karachi)."""
    daily, key = table.roll_into, table.key
    missing = f"""
        SELECT m.{key}, (m.ts AT TIME ZONE 'Asia/Karachi')::date AS day,
               (array_agg(m.open ORDER BY m.ts))[1] AS open, max(m.high) AS high,
               min(m.low) AS low, (array_agg(m.close ORDER BY m.ts DESC))[1] AS close,
               sum(m.volume) AS volume, sum(m.turnover) AS turnover, sum(m.trades) AS trades
          FROM {table.name} m
         WHERE m.ts < :before
           AND NOT EXISTS (
               SELECT 1 FROM {daily} d
                WHERE d.{key} = m.{key} AND d.day = (m.ts AT TIME ZONE 'Asia/Karachi')::date)
         GROUP BY 1, 2
    """  # noqa: S608 - names are ours
    if dry_run:
        count = await conn.scalar(text(f"SELECT count(*) FROM ({missing}) x"), {"before": before})  # noqa: S608
        return int(count or 0)
    days = (
        "SELECT min((ts AT TIME ZONE 'Asia/Karachi')::date),"  # noqa: S608 - names are ours
        f" max((ts AT TIME ZONE 'Asia/Karachi')::date) FROM {table.name} WHERE ts < :before"
    )
    span = (await conn.execute(text(days), {"before": before})).one()
    if span[0] is None:
        return 0
    await conn.execute(
        text("SELECT psx_ensure_partitions(CAST(:t AS regclass), :lo, :hi)"),
        {"t": daily, "lo": span[0], "hi": span[1]},
    )
    insert = (
        f"INSERT INTO {daily} ({key}, day, open, high, low, close, volume, turnover, trades)"  # noqa: S608 - names are ours
        f" SELECT * FROM ({missing}) x"
    )
    inserted = await conn.execute(text(insert), {"before": before})
    return inserted.rowcount


async def _old_partitions(
    conn: AsyncConnection, table: _Table, before: datetime
) -> tuple[list[str], int]:
    """Partitions of `table` whose range ends by `before`, and the rows they hold."""
    found = (
        await conn.execute(
            text(
                """
                SELECT c.relname,
                       CAST(substring(pg_get_expr(c.relpartbound, c.oid)
                                      FROM 'TO \\(''([^'']+)''\\)') AS timestamptz) <= :before
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = CAST(:t AS regclass)
                """
            ),
            {"t": table.name, "before": before},
        )
    ).all()
    names: list[str] = []
    rows = 0
    for name, ends in found:
        if ends:  # (the DEFAULT partition has no bound: its old rows are deleted one by one)
            names.append(str(name))
            rows += int(await conn.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)  # noqa: S608
    return names, rows


async def _hypertable(conn: AsyncConnection, name: str) -> bool:
    has_timescale = await conn.scalar(
        text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
    )
    if not has_timescale:
        return False
    found = await conn.scalar(
        text("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = :t"),
        {"t": name},
    )
    return found is not None


@dataclass(slots=True)
class RetentionReport:
    """The results of one run, for the CLI and the server's log."""

    dry_run: bool
    results: list[RetentionResult] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per kind."""
        verb = "would remove" if self.dry_run else "removed"
        out = []
        for r in self.results:
            if r.skipped:
                out.append(f"{r.kind.value}: skipped ({r.skipped})")
                continue
            extra = f", {len(r.partitions)} whole partitions" if r.partitions else ""
            rolled = f", {r.rolled_days} daily bars made from minutes" if r.rolled_days else ""
            out.append(
                f"{r.kind.value}: {verb} {r.rows} rows before {r.cutoff.isoformat()}{extra}{rolled}"
            )
        return out
