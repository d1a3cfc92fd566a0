"""Latency of `runBacktest` through the API: an SMA(10/30) crossover over 10 years of daily bars.

    python -m bench.backtests                     # 1 symbol and 100 symbols
    python -m bench.backtests --runs 40 --full    # also select the equity curve and trades

The app runs in process over httpx's ASGI transport, on a local PostgreSQL database
`psx_bench_backtests` (DATABASE_URL overrides it) holding `seed_demo(years=10)`, created,
migrated and seeded on first use, as tests/conftest.py builds the test database, then
analysed so the planner has statistics (autovacuum would gather them on a live server). A
PREMIUM account runs the backtests (100 symbols × 10 years is past a USER's 50,000 bars).

Each figure is the wall time of the whole HTTP request (validation, reading the bars, the
engine in its worker process, storing the run, the response), after two unmeasured runs (the
first starts the worker process). `elapsedMs` is the server's own time for reading the bars
and running the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from bench.databases import database_url, prepare
from db.cache import MemoryQuoteStore
from db.engine import Database, make_engine
from db.reference import RangeCache, ReferenceCache
from domain.markets.sessions import PKT
from resolvers.backtests import shutdown_pool
from resolvers.context import Services

DATABASE = "psx_bench_backtests"
END = date(2026, 11, 19)
NOW = datetime.combine(END, clock(16, 0), PKT)
YEARS = 10
PASSWORD = "bench passphrase long enough"  # noqa: S105 - a throw-away bench account

SUMMARY = "id bars elapsedMs metrics { totalReturnPct sharpe maxDrawdownPct trades }"
FULL = (
    SUMMARY + " equityCurve { ts equity cash exposurePct drawdownPct }"
    " trades { symbol entryTs exitTs entryPrice exitPrice quantity netPnl exitReason }"
)
RUN = (
    "mutation R($i: RunBacktestInput!) {{ runBacktest(input: $i) "
    "{{ backtest {{ {fields} }} errors {{ field message code }} }} }}"
)


def sma(period: int) -> dict[str, Any]:
    """An SMA operand."""
    return {"kind": "INDICATOR", "indicator": {"kind": "SMA", "period": period}}


STRATEGY = {
    "entry": {"conditions": [{"left": sma(10), "operator": "CROSSES_ABOVE", "right": sma(30)}]},
    "exit": {"conditions": [{"left": sma(10), "operator": "CROSSES_BELOW", "right": sma(30)}]},
}


async def _premium_token(http: httpx.AsyncClient, engine: AsyncEngine) -> str:
    email = f"bench.{uuid.uuid4().hex[:8]}@example.pk"
    register = "mutation R($i: RegisterInput!) { register(input: $i) { tokens { accessToken } } }"
    given = {"email": email, "password": PASSWORD, "displayName": "Bench"}
    await http.post("/graphql", json={"query": register, "variables": {"i": given}})
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'PREMIUM' WHERE email = :e"), {"e": email})
    login = (
        "mutation L($e: String!, $p: String!) "
        "{ login(email: $e, password: $p) { tokens { accessToken } } }"
    )
    body = await http.post(
        "/graphql", json={"query": login, "variables": {"e": email, "p": PASSWORD}}
    )
    token: str = body.json()["data"]["login"]["tokens"]["accessToken"]
    return token


def _percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


async def _measure(
    http: httpx.AsyncClient, token: str, symbols: list[str], runs: int, fields: str
) -> tuple[list[float], list[int], dict[str, Any]]:
    given = {
        "symbols": symbols,
        "from": (END - timedelta(days=YEARS * 365)).isoformat(),
        "to": END.isoformat(),
        "strategy": STRATEGY,
    }
    body = {"query": RUN.format(fields=fields), "variables": {"i": given}}
    headers = {"authorization": f"Bearer {token}"}
    wall: list[float] = []
    server: list[int] = []
    last: dict[str, Any] = {}
    for n in range(runs + 2):
        started = time.perf_counter()
        response = await http.post("/graphql", json=body, headers=headers)
        took = time.perf_counter() - started
        payload = response.json()
        result = (payload.get("data") or {}).get("runBacktest") or {}
        if response.status_code != 200 or "errors" in payload or result.get("errors"):
            raise SystemExit(f"runBacktest failed: {response.text[:500]}")
        last = result["backtest"]
        if n >= 2:
            wall.append(took)
            server.append(last["elapsedMs"])
    return wall, server, last


async def main(runs: int, full: bool) -> None:
    """Print p50/p95 for 1 and 100 symbols."""
    engine = make_engine(await database_url(DATABASE))
    await prepare(engine, years=YEARS, end=END)
    services = Services(
        database=Database(primary=engine, read=engine),
        quotes=MemoryQuoteStore(),
        reference=ReferenceCache(engine),
        ranges=RangeCache(engine, today=lambda: END),
        clock=lambda: NOW,
    )
    app = create_app(Settings(environment=Environment.TEST), services=services)
    ref = await services.reference.get()
    universe = sorted(ref.instrument_by_symbol)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            token = await _premium_token(http, engine)
            for label, symbols, n in (
                ("1 symbol", ["OGDC"], runs),
                ("100 symbols", universe[:100], max(runs // 3, 5)),
            ):
                for name, fields in (("summary", SUMMARY), *((("full", FULL),) if full else ())):
                    wall, server, last = await _measure(http, token, symbols, n, fields)
                    print(
                        f"runBacktest SMA(10/30), 10 years daily, {label} ({name}): "
                        f"p50 {_percentile(wall, 50) * 1000:.1f} ms, "
                        f"p95 {_percentile(wall, 95) * 1000:.1f} ms over {len(wall)} runs; "
                        f"server load+engine p50 {statistics.median(server):.0f} ms; "
                        f"{last['bars']:,} bars, {last['metrics']['trades']} trades"
                    )
    finally:
        shutdown_pool()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="measured runs of 1 symbol")
    parser.add_argument("--full", action="store_true", help="also select curve and trades")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.full))
