"""The cost of cost-based rate limiting (api/ratelimit.py): the limiter alone and at the edge.

    python -m bench.ratelimit                  # 2,000 samples per variant
    python -m bench.ratelimit --requests 5000

Prints p50/p99 in milliseconds of:
- the limiter's reserve + refund round trip (two EVALSHA calls) against real Redis
  (REDIS_URL, default redis://127.0.0.1:6379/14), both awaited and as requests do it (the
  refund sent in the background, off the response's path), with the app's pipelined client
  (db/redis_wire.py) and with redis-py's, and the in-process buckets;
- a whole request through the app (edge, strawberry, a `quote` query by GET, which is never
  response-cached, so each one executes and is charged) with the limiter off, on with
  in-process buckets and on with Redis buckets, with leases (the default: most operations
  are paid from points leased ahead) and without (a round trip per operation). Buckets are
  sized so nothing is throttled.

The app runs in process over httpx's ASGI transport, on the local database `psx_bench`
(DATABASE_URL overrides it) seeded with one year of demo data on first use. Variants are
interleaved in rounds of 100 requests so that a noisy neighbour hits them all alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from typing import Any

import httpx
from redis.asyncio import Redis
from starlette.responses import Response

from api.app import create_app
from api.ratelimit import MemoryBuckets, RateLimiter, RedisBuckets, Tier
from api.settings import Environment, Settings
from bench.databases import bench_services
from bench.operations import QUOTE1_QUERY
from db.redis_wire import WireRedis
from domain.accounts.roles import Role
from domain.accounts.users import Client
from domain.markets.sessions import PKT

DATABASE = "psx_bench"
END = date(2026, 11, 19)
NOW = datetime.combine(END, clock(12, 0), PKT)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
HUGE = "USER=1000000000:1000000"
ROUND = 100


@dataclass
class _Context:
    user: Any = None
    client: Client = field(
        default_factory=lambda: Client(ip=f"198.51.100.{uuid.uuid4().int % 250}")
    )
    response: Response = field(default_factory=Response)


def _percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def _line(label: str, samples: Sequence[float]) -> str:
    p50, p99 = _percentile(samples, 50) * 1000, _percentile(samples, 99) * 1000
    return f"{label:<38} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   (n={len(samples)})"


async def _limiter(limiter: RateLimiter, samples: int, *, blocking: bool) -> list[float]:
    context = _Context()
    out = []
    for n in range(samples + 200):
        started = time.perf_counter()
        throttle = await limiter.reserve(context, 40)
        await limiter.refund(context, 30, None if blocking else throttle)
        took = time.perf_counter() - started
        if not throttle.allowed:
            raise SystemExit("the bench bucket ran dry")
        if n >= 200:
            out.append(took)
    return out


async def main(requests: int) -> None:
    """Print the limiter's round trip and the edge with the limiter off and on."""
    tiers = {role: Tier(role.value, 1_000_000_000, 1_000_000) for role in Role}
    for name, redis in (
        ("wire", WireRedis.from_url(REDIS_URL)),
        ("redis-py", Redis.from_url(REDIS_URL)),
    ):
        remote = RateLimiter(RedisBuckets(redis, prefix="bench-rl:"), tiers)
        both = await _limiter(remote, requests, blocking=True)
        print(_line(f"reserve+refund, {name}, both awaited", both))
        on_path = await _limiter(remote, requests, blocking=False)
        await remote.drain()
        print(_line(f"reserve+refund, {name}, refund in bg", on_path))
        await redis.aclose()
    local = RateLimiter(MemoryBuckets(), tiers)
    print(_line("reserve+refund, in-process", await _limiter(local, requests, blocking=True)))

    services = await bench_services(DATABASE, years=1, end=END, now=NOW)
    engine = services.database.primary
    variants = {
        "edge, limiter off": Settings(environment=Environment.TEST, rate_limit=False),
        "edge, limiter off, REDIS_URL set": Settings(
            environment=Environment.TEST, rate_limit=False, redis_url=REDIS_URL
        ),
        "edge, limiter on (in-process)": Settings(
            environment=Environment.TEST, rate_limit=True, rate_limit_tiers=HUGE
        ),
        "edge, limiter on (Redis)": Settings(
            environment=Environment.TEST,
            rate_limit=True,
            rate_limit_tiers=HUGE,
            redis_url=REDIS_URL,
        ),
        "edge, limiter on (Redis, no leases)": Settings(
            environment=Environment.TEST,
            rate_limit=True,
            rate_limit_tiers=HUGE,
            redis_url=REDIS_URL,
            rate_limit_lease=0,
        ),
    }
    params = {"query": QUOTE1_QUERY, "variables": json.dumps({"s": "OGDC"})}
    clients = {
        label: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, services=services)),
            base_url="http://bench",
        )
        for label, settings in variants.items()
    }
    samples: dict[str, list[float]] = {label: [] for label in variants}
    try:
        for http in clients.values():  # warm up
            for _ in range(200):
                await http.get("/graphql", params=params)
        for _ in range(max(1, requests // ROUND)):
            for label, http in clients.items():
                for _ in range(ROUND):
                    started = time.perf_counter()
                    response = await http.get("/graphql", params=params)
                    samples[label].append(time.perf_counter() - started)
                    if response.status_code != 200 or "errors" in response.json():
                        raise SystemExit(f"{label}: {response.status_code} {response.text[:300]}")
    finally:
        for http in clients.values():
            await http.aclose()
        await engine.dispose()
    for label, values in samples.items():
        print(_line(label, values))
    off = _percentile(samples["edge, limiter off"], 50)
    for label in list(variants)[1:]:
        extra = (_percentile(samples[label], 50) - off) * 1000
        print(f"{label:<38} adds {extra:+.3f} ms at p50")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
