"""Latency of a portfolio's fields through the API: 50 positions, 2,000 transactions, 5 years.

    python -m bench.portfolios                 # positions, performance(Y1), risk(Y1)
    python -m bench.portfolios --runs 60 --others 40

The app runs in process over httpx's ASGI transport, on a local PostgreSQL database
`psx_bench_portfolios` (DATABASE_URL overrides it) holding `seed_demo(years=5)`, created,
migrated, seeded and analysed on first use, with quotes primed from the last session.

The portfolio is imported through `importTransactions` (timed once): for 50 symbols, a first
purchase in the first months and then 39 more trades each (purchases and sales of part of
the holding), dated on sessions spread over the 5 years at that day's close, 2,000 lines in
all. `--others` more users' portfolios of the same size are stored first, so the figures
show that a portfolio's reads do not grow with other users' data (every read is by
portfolio id, on the (portfolio_id, trade_date) index).

Each figure is the wall time of the whole HTTP request after two unmeasured ones, "warm"
with the process's caches as a second look finds them (the ledger replayed once per ledger
version; a window's performance computed once for the same ledger version, window, bars and
benchmark, found again by the bars' digests), "live" the same but with one holding's last
close moved by a tick before every request (as the live feed's flushes move the day's bar in
a session: the window is computed again from the replay in memory), "cold" with the caches
cleared before every request, as a process that has not served the portfolio since its last
change finds it: positions value the holdings stored with the ledger version
(`portfolio_books`), performance and risk read the stored replay back, read the window's
bars and compute it all. The collector is set as `psx-analytics serve` sets it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
import uuid
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from bench.databases import bench_services
from db.repos import portfolios as repo
from domain.markets.sessions import PKT
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, TransactionType
from resolvers.portfolio_views import clear_replay_cache

DATABASE = "psx_bench_portfolios"
END = date(2026, 11, 19)
NOW = datetime.combine(END, clock(16, 0), PKT)
YEARS = 5
SYMBOLS = 50
TRADES_PER_SYMBOL = 40
PASSWORD = "bench passphrase long enough"  # noqa: S105 - a throw-away bench account
HEADER = "date,type,symbol,quantity,price"

QUERIES = {
    "positions": (
        "query P($id: UUID!) { portfolio(id: $id) { positions { symbol quantity averageCost"
        " costBasis price marketValue unrealisedPnl realisedPnl weight dayChange } } }"
    ),
    "performance(Y1)": (
        "query P($id: UUID!) { portfolio(id: $id) { performance(range: Y1) { twr mwr"
        " modifiedDietz pnl realisedPnl unrealisedPnl series { day value dailyReturn }"
        " byPosition { key pnl } benchmark { totalReturn } } } }"
    ),
    "risk(Y1)": (
        "query P($id: UUID!) { portfolio(id: $id) { risk(range: Y1) { sessions annualVolatility"
        " sharpe sortino alpha beta drawdown { maxDrawdown } valueAtRisk { method var varAmount }"
        " concentration { hhi } liquidity { daysToLiquidate } correlation { symbols } } } }"
    ),
}


async def _closes(engine: AsyncEngine, symbols: list[str]) -> dict[str, dict[date, Decimal]]:
    sql = text(
        "SELECT i.symbol, b.day, b.close FROM daily_bars b JOIN instruments i"
        " ON i.id = b.instrument_id WHERE i.symbol = ANY(:s)"
    )
    out: dict[str, dict[date, Decimal]] = {s: {} for s in symbols}
    async with engine.connect() as conn:
        for r in await conn.execute(sql, {"s": symbols}):
            out[r.symbol][r.day] = r.close
    return out


def statement(
    closes: dict[str, dict[date, Decimal]], seed: int
) -> list[tuple[date, str, str, int, Decimal]]:
    """2,000 valid trades: per symbol a first purchase, then purchases and partial sales."""
    rng = random.Random(seed)
    rows: list[tuple[date, str, str, int, Decimal]] = []
    for symbol, series in closes.items():
        days = sorted(series)
        picks = sorted(rng.sample(range(len(days) // 10, len(days)), TRADES_PER_SYMBOL - 1))
        held = 1000
        rows.append((days[rng.randrange(len(days) // 10)], "BUY", symbol, held, Decimal(0)))
        for i in picks:
            if rng.random() < 0.45 and held > 100:
                qty = rng.randrange(1, held // 2)
                held -= qty
                rows.append((days[i], "SELL", symbol, qty, Decimal(0)))
            else:
                qty = rng.randrange(50, 500)
                held += qty
                rows.append((days[i], "BUY", symbol, qty, Decimal(0)))
    return [(d, k, s, q, closes[s][d].quantize(Decimal("0.01"))) for d, k, s, q, _ in rows]


def as_csv(rows: list[tuple[date, str, str, int, Decimal]]) -> str:
    """The statement as the import's CSV."""
    lines = [HEADER, *(f"{d.isoformat()},{k},{s},{q},{p}" for d, k, s, q, p in rows)]
    return "\n".join(lines) + "\n"


async def _others(
    engine: AsyncEngine, rows: list[tuple[date, str, str, int, Decimal]], n: int
) -> None:
    """Store `n` other users' portfolios of the same size straight through the repository."""
    async with engine.connect() as conn:
        have = int(
            await conn.scalar(text("SELECT count(*) FROM portfolios WHERE name = 'Other'")) or 0
        )
    if have >= n:
        return
    policy = PortfolioPolicy()
    entries = [
        build_transaction(
            TransactionInput(TransactionType(k), d, symbol=s, quantity=q, price=p), policy
        )
        for d, k, s, q, p in rows
    ]
    async with engine.begin() as conn:
        for i in range(have, n):
            user_id = await conn.scalar(
                text("INSERT INTO users (display_name) VALUES (:n) RETURNING id"),
                {"n": f"Other {i}"},
            )
            created = await repo.create_portfolio(
                conn, user_id=user_id, name="Other", policy=policy
            )
            await repo.add_transactions(conn, created.id, entries)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE portfolios, portfolio_transactions"))


async def _token(http: httpx.AsyncClient) -> str:
    email = f"bench.{uuid.uuid4().hex[:8]}@example.pk"
    register = "mutation R($i: RegisterInput!) { register(input: $i) { tokens { accessToken } } }"
    given = {"email": email, "password": PASSWORD, "displayName": "Bench"}
    body = await http.post("/graphql", json={"query": register, "variables": {"i": given}})
    token: str = body.json()["data"]["register"]["tokens"]["accessToken"]
    return token


async def _post(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    payload = response.json()
    if response.status_code != 200 or "errors" in payload:
        raise SystemExit(f"request failed: {response.text[:500]}")
    return payload["data"]


_TICK = text(
    "UPDATE daily_bars SET close = CASE WHEN close < high THEN close + 0.01 ELSE low END"
    " WHERE instrument_id = :i AND day = (SELECT max(day) FROM daily_bars WHERE instrument_id = :i)"
)


async def _tick(engine: AsyncEngine, instrument_id: int) -> None:
    """Move one holding's last close by a tick, as the live feed's flushes move the day's bar
    during a session."""
    async with engine.begin() as conn:
        await conn.execute(_TICK, {"i": instrument_id})


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


RECORD = (
    "mutation R($p: UUID!, $i: RecordTransactionInput!)"
    " { recordTransaction(portfolioId: $p, input: $i) { added { id } errors { message } } }"
)
DELETE = (
    "mutation D($p: UUID!, $t: ID!) { deleteTransaction(portfolioId: $p, transactionId: $t)"
    " { errors { message } } }"
)


async def _writes(
    http: httpx.AsyncClient, token: str, portfolio_id: str, symbol: str, day: date
) -> None:
    """Time recording one purchase in the 2,000-entry ledger and deleting it again (each
    replays the ledger and stores its book), 20 of each."""
    entry = {"type": "BUY", "tradeDate": day.isoformat(), "symbol": symbol, "quantity": 1}
    recorded: list[float] = []
    deleted: list[float] = []
    for _ in range(22):
        started = time.perf_counter()
        data = await _post(
            http, token, RECORD, {"p": portfolio_id, "i": {**entry, "price": "100.00"}}
        )
        recorded.append(time.perf_counter() - started)
        added = data["recordTransaction"]["added"][0]["id"]
        started = time.perf_counter()
        await _post(http, token, DELETE, {"p": portfolio_id, "t": added})
        deleted.append(time.perf_counter() - started)
    for name, wall in (("recordTransaction", recorded[2:]), ("deleteTransaction", deleted[2:])):
        print(
            f"{name} (2,000 entries): p50 {_percentile(wall, 50) * 1000:.1f} ms, "
            f"p95 {_percentile(wall, 95) * 1000:.1f} ms over {len(wall)} runs"
        )


async def main(runs: int, others: int) -> None:
    """Print p50/p95 of positions, performance(Y1) and risk(Y1)."""
    services = await bench_services(DATABASE, years=YEARS, end=END, now=NOW)
    engine = services.database.primary
    ref = await services.reference.get()
    symbols = sorted(ref.instrument_by_symbol)[:SYMBOLS]
    rows = statement(await _closes(engine, symbols), seed=11)
    await _others(engine, rows, others)
    app = create_app(Settings(environment=Environment.TEST), services=services)
    # As `psx-analytics serve` does once its services are up (api.app's lifespan): what
    # start-up made is kept out of the collector's sweeps, which run less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            token = await _token(http)
            created = await _post(
                http,
                token,
                'mutation { createPortfolio(input: {name: "Bench"}) { portfolio { id } } }',
                {},
            )
            portfolio_id = created["createPortfolio"]["portfolio"]["id"]
            started = time.perf_counter()
            imported = await _post(
                http,
                token,
                "mutation I($p: UUID!, $c: String!) { importTransactions(portfolioId: $p, csv: $c)"
                " { added { id } errors { field message } } }",
                {"p": portfolio_id, "c": as_csv(rows)},
            )
            took = time.perf_counter() - started
            result = imported["importTransactions"]
            if result["errors"]:
                raise SystemExit(f"import refused: {result['errors'][:3]}")
            print(
                f"importTransactions: {len(result['added']):,} lines in {took * 1000:.0f} ms "
                f"({others} other users' portfolios of {len(rows):,} entries stored)"
            )
            await _writes(http, token, portfolio_id, symbols[0], rows[-1][0])
            for name, label in ((n, m) for n in QUERIES for m in ("warm", "live", "cold")):
                query = QUERIES[name]
                wall: list[float] = []
                for n in range(runs + 2):
                    if label == "cold":
                        clear_replay_cache()
                    elif label == "live":
                        await _tick(engine, ref.instrument_by_symbol[symbols[0]].id)
                    started = time.perf_counter()
                    await _post(http, token, query, {"id": portfolio_id})
                    if n >= 2:
                        wall.append(time.perf_counter() - started)
                print(
                    f"{name} ({label}): p50 {_percentile(wall, 50) * 1000:.1f} ms, "
                    f"p95 {_percentile(wall, 95) * 1000:.1f} ms, "
                    f"mean {statistics.mean(wall) * 1000:.1f} ms over {len(wall)} runs"
                )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="measured requests per field")
    parser.add_argument("--others", type=int, default=20, help="other users' portfolios")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.others))
