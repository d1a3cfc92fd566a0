"""Probes: /healthz (the process answers) and /readyz (what it needs answers, each in time).

/readyz checks PostgreSQL, the quote store (Redis when configured) and the feed, each within
`CHECK_TIMEOUT` seconds, and answers per-check JSON:

- `ok` (200): everything answers;
- `degraded` (200): PostgreSQL answers but Redis does not, or a live feed stopped; the API
  keeps serving market data from PostgreSQL (the stores fail open), so it stays in rotation;
- `down` (503): PostgreSQL does not answer;
- `draining` (503): the server is shutting down (set first, so the balancer moves away).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

CHECK_TIMEOUT = 1.0


async def healthz(_request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def _timed(check: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await check()
    except TimeoutError:
        return {"status": "error", "error": f"no answer within {CHECK_TIMEOUT:g} s"}
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


def _feed(live: Any) -> dict[str, Any]:
    feed = getattr(live, "feed", None)
    if feed is None:
        return {"status": "off"}
    task = getattr(live, "_task", None)
    if task is not None and task.done():
        # A replay ends by design; any other feed that stopped leaves no live data.
        name = str(getattr(feed, "name", ""))
        return {"status": "finished" if name == "replay" else "stopped", "feed": name}
    return {"status": "ok", "feed": str(getattr(feed, "name", ""))}


async def readyz(request: Request) -> JSONResponse:
    """Readiness: PostgreSQL, the quote store and the feed; 503 when not ready or draining."""
    state = request.app.state
    if getattr(state, "draining", False):
        return JSONResponse({"status": "draining", "checks": {}}, status_code=503)
    services = state.services

    async def postgres() -> None:
        async with services.database.read.connect() as conn:
            await conn.execute(text("SELECT 1"))

    store_name = "redis" if type(services.quotes).__name__.startswith("Redis") else "quotes"
    db, store = await asyncio.gather(_timed(postgres), _timed(services.quotes.count))
    checks = {"postgres": db, store_name: store, "feed": _feed(getattr(state, "live", None))}
    if db["status"] != "ok":
        status = "down"
    elif store["status"] != "ok" or checks["feed"]["status"] == "stopped":
        status = "degraded"
    else:
        status = "ok"
    return JSONResponse(
        {"status": status, "checks": checks}, status_code=503 if status == "down" else 200
    )
