"""The demo database a bench script runs against: its own, seeded once, reused after."""

from __future__ import annotations

import os
from datetime import date, datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.cache import MemoryQuoteStore
from db.engine import Database, make_engine
from db.migrate import migrate
from db.quotes import prime_quotes
from db.reference import RangeCache, ReferenceCache
from db.seed import seed_demo
from resolvers.context import Services

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
END = date(2026, 11, 19)


async def database_url(name: str) -> str:
    """DATABASE_URL when set, else the local database `name` (created when missing)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def prepare(engine: AsyncEngine, *, years: int, end: date = END) -> None:
    """Migrate; seed `years` of demo data ending `end` unless they are there already."""
    await migrate(engine)
    async with engine.connect() as conn:
        span = (await conn.execute(text("SELECT min(day), max(day) FROM daily_bars"))).one()
    if span[0] is None or span[1] != end or (end - span[0]).days < years * 365 - 7:
        print(f"seeding {years} years of demo data (a few seconds)")
        await seed_demo(engine, seed=7, end=end, years=years, minute_sessions=1)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))


async def bench_services(name: str, *, years: int, end: date, now: datetime) -> Services:
    """Services over the prepared database `name`: quotes primed in process, a fixed clock."""
    engine = make_engine(await database_url(name))
    await prepare(engine, years=years, end=end)
    quotes = MemoryQuoteStore()
    await prime_quotes(engine, quotes)
    return Services(
        database=Database(primary=engine, read=engine),
        quotes=quotes,
        reference=ReferenceCache(engine),
        ranges=RangeCache(engine, today=lambda: end),
        clock=lambda: now,
    )
