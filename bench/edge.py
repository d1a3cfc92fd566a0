"""The cost of the HTTP edge (api/edge.py) on a `quote` query: persisted vs sent in full.

    python -m bench.edge                 # 2,000 requests per variant
    python -m bench.edge --requests 5000

The app runs in process over httpx's ASGI transport (no sockets: what is measured is the
server's work plus httpx's), on a local PostgreSQL database `psx_bench_edge` (DATABASE_URL
overrides it) seeded with one year of demo data on first use; quotes live in the in-process
store. Variants, each after 200 unmeasured requests:

- `POST full, no edge`: the response cache and strawberry alone, as before the edge;
- `POST full`: the same body through the edge;
- `POST hash`: the APQ hash only (the edge looks the text up and forwards the full request);
- `GET full` / `GET hash`: the same by GET (never response-cached: each one executes, and gets
  Cache-Control and an ETag);
- `GET hash, 304`: with If-None-Match, answered 304 without a body.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from datetime import date, datetime
from datetime import time as clock
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from api.app import create_app
from api.graphql import GraphQLApp
from api.response_cache import ResponseCache
from api.settings import Environment, Settings
from bench.databases import bench_services
from bench.operations import QUOTE1_QUERY
from domain.markets.sessions import PKT
from schema import build_schema

DATABASE = "psx_bench_edge"
END = date(2026, 11, 19)
NOW = datetime.combine(END, clock(12, 0), PKT)
HASH = hashlib.sha256(QUOTE1_QUERY.encode()).hexdigest()
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}
VARIABLES = {"s": "OGDC"}
ACCEPT = {"accept": "application/graphql-response+json, application/json;q=0.9"}


def _percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


async def _time(
    http: httpx.AsyncClient, requests: int, method: str, expect: int, **kwargs: Any
) -> list[float]:
    samples = []
    for n in range(requests + 200):
        started = time.perf_counter()
        response = await http.request(method, "/graphql", **kwargs)
        took = time.perf_counter() - started
        if response.status_code != expect or (expect == 200 and "errors" in response.json()):
            raise SystemExit(f"{method} failed ({response.status_code}): {response.text[:300]}")
        if n >= 200:
            samples.append(took)
    return samples


async def main(requests: int) -> None:
    """Print p50/p95 per variant and the edge's overhead."""
    services = await bench_services(DATABASE, years=1, end=END, now=NOW)
    engine = services.database.primary
    settings = Settings(environment=Environment.TEST)
    app = create_app(settings, services=services)
    bare = Starlette(
        routes=[
            Route(
                "/graphql",
                ResponseCache(GraphQLApp(build_schema(), graphiql=False, settings=settings)),
                methods=["GET", "POST"],
            )
        ]
    )
    bare.state.services = services
    full = {"query": QUOTE1_QUERY, "variables": VARIABLES, "operationName": "Quote1"}
    hashed = {"extensions": EXTENSIONS, "variables": VARIABLES, "operationName": "Quote1"}
    get_hash = {
        "extensions": json.dumps(EXTENSIONS),
        "variables": json.dumps(VARIABLES),
        "operationName": "Quote1",
    }
    get_full = {**get_hash, "query": QUOTE1_QUERY}
    get_full.pop("extensions")
    try:
        bare_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare), base_url="http://bench"
        )
        edge_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        )
        async with bare_http, edge_http:
            await edge_http.post("/graphql", json={**full, "extensions": EXTENSIONS})
            etag_response = await edge_http.get("/graphql", params=get_hash, headers=ACCEPT)
            etag = etag_response.headers["etag"]
            variants: list[tuple[str, httpx.AsyncClient, str, int, dict[str, Any]]] = [
                ("POST full, no edge", bare_http, "POST", 200, {"json": full}),
                ("POST full", edge_http, "POST", 200, {"json": full}),
                ("POST hash", edge_http, "POST", 200, {"json": hashed}),
                ("GET full", edge_http, "GET", 200, {"params": get_full}),
                ("GET hash", edge_http, "GET", 200, {"params": get_hash}),
                ("GET hash, 304", edge_http, "GET", 304, {"params": get_hash}),
            ]
            results: dict[str, float] = {}
            for label, http, method, expect, kwargs in variants:
                headers = dict(ACCEPT)
                if expect == 304:
                    headers["if-none-match"] = etag
                samples = await _time(http, requests, method, expect, headers=headers, **kwargs)
                p50, p95 = _percentile(samples, 50) * 1e6, _percentile(samples, 95) * 1e6
                results[label] = p50
                print(f"{label:<20} p50 {p50:7.0f} µs  p95 {p95:7.0f} µs  ({requests} requests)")
            base = results["POST full, no edge"]
            print(
                f"edge overhead on a full POST: {results['POST full'] - base:+.0f} µs; "
                f"hash-only POST vs full POST: {results['POST hash'] - results['POST full']:+.0f}"
                f" µs; hash GET vs full GET: {results['GET hash'] - results['GET full']:+.0f} µs"
            )
    finally:
        await app.state.persisted.store.close()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured per variant")
    asyncio.run(main(parser.parse_args().requests))
