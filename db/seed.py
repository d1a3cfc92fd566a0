"""Writing the demo data set (domain/demo) into PostgreSQL, fast and in one transaction.

Bars go in with COPY from CSV text that polars formats from integer paisa, so no float
ever touches a price on the way in.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.news_imports import write_demo_news
from db.repos.fundamentals import upsert_statements
from db.repos.markets import bump_reference_version
from db.screener import refresh_screener
from domain.demo.fundamentals import demo_statements
from domain.demo.generate import DemoDataset, generate_demo
from domain.demo.holidays import PK_HOLIDAYS
from domain.demo.news import demo_news
from domain.demo.universe import INDICES, SECTORS
from domain.markets.sessions import default_sessions

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]

MARKET_TABLES = (
    "financial_statements",
    "index_minute_bars",
    "index_daily_bars",
    "index_constituents",
    "indices",
    "corporate_actions",
    "hourly_bars",
    "minute_bars",
    "daily_bars",
    "instruments",
    "trading_sessions",
    "market_holidays",
    "sectors",
)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What a seed wrote."""

    instruments: int
    daily_bars: int
    minute_bars: int
    index_bars: int
    corporate_actions: int
    sessions: int
    seconds: float
    financial_statements: int = 0


def _price(col: str, scale: int = 100) -> pl.Expr:
    """Exact decimal text of an integer in 1/scale units (paisa → "123.45")."""
    digits = len(str(scale)) - 1
    c = pl.col(col)
    return pl.format(
        "{}.{}",
        (c // scale).cast(pl.Utf8),
        (c % scale).cast(pl.Utf8).str.zfill(digits),
    ).alias(col)


async def _copy(conn: AsyncConnection, table: str, frame: pl.DataFrame) -> int:
    if frame.height == 0:
        return 0
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    buf.seek(0)
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_to_table(table, source=buf, columns=frame.columns, format="csv")
    return frame.height


async def has_market_data(engine: AsyncEngine) -> bool:
    """True when any instrument exists."""
    async with engine.connect() as conn:
        return bool(await conn.scalar(text("SELECT EXISTS (SELECT 1 FROM instruments)")))


async def has_real_data(engine: AsyncEngine) -> bool:
    """True when any instrument carries data that is not simulated."""
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                text("SELECT EXISTS (SELECT 1 FROM instruments WHERE data_source <> 'SIMULATED')")
            )
        )


async def seed_demo(
    engine: AsyncEngine,
    *,
    seed: int,
    end: date,
    years: int = 6,
    minute_sessions: int = 20,
    progress: Progress | None = None,
) -> SeedSummary:
    """Replace all market data with the deterministic demo data set.

    Everything is written in one transaction: a failure leaves the previous data intact. The
    screener snapshot is then rebuilt from the committed data.
    """
    started = time.perf_counter()
    step = progress or (lambda _msg, _n: None)
    data = generate_demo(seed=seed, end=end, years=years, minute_sessions=minute_sessions)
    step("generated", 0)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(MARKET_TABLES)} CASCADE"))
        sessions = await _write_reference(conn, data, end)
        step("reference", sessions)
        counts = await _write_bars(conn, data, step)
        statements = await _write_statements(conn, data, seed)
        step("financial statements", statements)
        articles, events = demo_news(data, demo_statements(data, seed=seed), seed=seed)
        step("news articles", await write_demo_news(conn, articles, events))
        await bump_reference_version(conn)
    # Derived data, rebuilt from what was just committed (it reads through new connections).
    screened = await refresh_screener(engine)
    step("screener snapshot", screened)
    summary = SeedSummary(
        instruments=data.instruments.height,
        daily_bars=counts["daily"],
        minute_bars=counts["minute"],
        index_bars=counts["index"],
        corporate_actions=data.corporate_actions.height,
        sessions=sessions,
        seconds=round(time.perf_counter() - started, 2),
        financial_statements=statements,
    )
    log.info("demo data seeded: %s", summary)
    return summary


async def _write_reference(conn: AsyncConnection, data: DemoDataset, end: date) -> int:
    await conn.execute(
        text("INSERT INTO sectors (code, name) VALUES (:code, :name)"),
        [{"code": s.code, "name": s.name} for s in SECTORS],
    )
    await conn.execute(
        text("INSERT INTO market_holidays (day, name) VALUES (:day, :name)"),
        [{"day": d, "name": n} for d, n in sorted(PK_HOLIDAYS.items())],
    )
    first_day = data.daily_bars["day"].min()
    assert isinstance(first_day, date)  # noqa: S101 - a non-empty frame of dates
    holidays = frozenset(PK_HOLIDAYS)
    rows: list[dict[str, object]] = []
    day = first_day
    # The schedule runs a year past the data so that "next session" always has an answer.
    while day <= end + timedelta(days=400):
        rows.extend(
            {
                "day": s.day,
                "number": s.number,
                "pre": s.pre_open_at,
                "open": s.open_at,
                "close": s.close_at,
            }
            for s in default_sessions(day, holidays)
        )
        day += timedelta(days=1)
    await conn.execute(
        text(
            "INSERT INTO trading_sessions (day, number, pre_open_at, open_at, close_at)"
            " VALUES (:day, :number, :pre, :open, :close)"
        ),
        rows,
    )
    inst = data.instruments.with_columns(
        pl.col("free_float_pct").cast(pl.Utf8), pl.col("face_value").cast(pl.Utf8)
    )
    await conn.execute(
        text(
            "INSERT INTO instruments (symbol, name, sector_code, kind, shares_outstanding,"
            " free_float_pct, face_value, listed_on, data_source)"
            " VALUES (:symbol, :name, :sector_code, :kind, :shares_outstanding,"
            " CAST(:free_float_pct AS numeric), CAST(:face_value AS numeric), :listed_on,"
            " 'SIMULATED')"
        ),
        inst.select(
            "symbol",
            "name",
            "sector_code",
            "kind",
            "shares_outstanding",
            "free_float_pct",
            "face_value",
            "listed_on",
        ).to_dicts(),
    )
    await conn.execute(
        text(
            "INSERT INTO indices (code, name, base_value, base_date, divisor, shariah)"
            " VALUES (:code, :name, :base, :base_date, CAST(:divisor AS numeric), :shariah)"
        ),
        [
            {
                "code": x.code,
                "name": x.name,
                "base": x.base_value,
                "base_date": first_day,
                "divisor": str(data.divisors[x.code]),
                "shariah": x.shariah,
            }
            for x in INDICES
        ],
    )
    await conn.execute(
        text(
            "INSERT INTO index_constituents (index_id, instrument_id, cap_factor)"
            " SELECT x.id, i.id, CAST(:cap AS numeric) FROM indices x, instruments i"
            " WHERE x.code = :code AND i.symbol = :symbol"
        ),
        [
            {"code": r["index_code"], "symbol": r["symbol"], "cap": str(r["cap_factor"])}
            for r in data.constituents.to_dicts()
        ],
    )
    if data.corporate_actions.height:
        await conn.execute(
            text(
                "INSERT INTO corporate_actions (instrument_id, kind, ex_date, value, price,"
                " description) SELECT i.id, :kind, :ex_date, CAST(:value AS numeric),"
                " CAST(:price AS numeric), :description FROM instruments i"
                " WHERE i.symbol = :symbol"
            ),
            data.corporate_actions.to_dicts(),
        )
    return len(rows)


async def _write_statements(conn: AsyncConnection, data: DemoDataset, seed: int) -> int:
    ids = {r.symbol: r.id for r in await conn.execute(text("SELECT symbol, id FROM instruments"))}
    rows = [
        (ids[symbol], statement)
        for symbol, statements in demo_statements(data, seed=seed).items()
        for statement in statements
    ]
    return (await upsert_statements(conn, rows)).inserted


async def _ids(conn: AsyncConnection, sql: str) -> pl.DataFrame:
    rows = (await conn.execute(text(sql))).all()
    return pl.DataFrame({"key": [r[0] for r in rows], "id": [r[1] for r in rows]})


async def _write_bars(conn: AsyncConnection, data: DemoDataset, step: Progress) -> dict[str, int]:
    symbols = (await _ids(conn, "SELECT symbol, id FROM instruments")).rename(
        {"key": "symbol", "id": "instrument_id"}
    )
    codes = (await _ids(conn, "SELECT code, id FROM indices")).rename(
        {"key": "code", "id": "index_id"}
    )
    prices = ("open", "high", "low", "close")
    daily = (
        data.daily_bars.join(symbols, on="symbol")
        .sort("instrument_id", "day")
        .with_columns(pl.col("close").shift(1).over("instrument_id").alias("prev_close"))
    )
    first, last = daily["day"].min(), daily["day"].max()
    minute_days = data.minute_bars["ts"].dt.date()
    for table, lo, hi in (
        ("daily_bars", first, last),
        ("minute_bars", minute_days.min(), minute_days.max()),
    ):
        if lo is not None:
            await conn.execute(
                text("SELECT psx_ensure_partitions(CAST(:t AS regclass), :lo, :hi)"),
                {"t": table, "lo": lo, "hi": hi},
            )
    n_daily = await _copy(
        conn,
        "daily_bars",
        daily.select(
            "instrument_id",
            "day",
            *(_price(p) for p in prices),
            "volume",
            _price("turnover"),
            "trades",
            pl.when(pl.col("prev_close").is_null())
            .then(pl.lit(None, pl.Utf8))
            .otherwise(_price("prev_close"))
            .alias("prev_close"),
        ),
    )
    step("daily bars", n_daily)
    n_minute = await _copy(
        conn,
        "minute_bars",
        data.minute_bars.join(symbols, on="symbol").select(
            "instrument_id",
            "ts",
            *(_price(p) for p in prices),
            "volume",
            _price("turnover"),
            "trades",
        ),
    )
    step("minute bars", n_minute)
    if minute_days.min() is not None:
        await conn.execute(
            text("SELECT psx_refresh_hourly((SELECT array_agg(id) FROM instruments), :lo, :hi)"),
            {"lo": minute_days.min(), "hi": minute_days.max()},
        )
    n_index = 0
    for table, frame, key in (
        ("index_daily_bars", data.index_daily, "day"),
        ("index_minute_bars", data.index_minute, "ts"),
    ):
        n_index += await _copy(
            conn,
            table,
            frame.join(codes, on="code").select(
                "index_id",
                key,
                *(_price(p) for p in prices),
                "volume",
                _price("turnover"),
            ),
        )
    step("index bars", n_index)
    return {"daily": n_daily, "minute": n_minute, "index": n_index}
