"""Subscription fan-out bench: N WebSocket subscribers while a feed publishes R ticks/s.

It starts, on this machine only:
- a server: `psx-analytics serve --no-feed` (one process) with REDIS_URL;
- an ingester: `psx-analytics ingest --feed simulator --flat --rate R` publishing through Redis;
- `--client-procs` processes holding the N graphql-transport-ws connections between them, each
  subscribed to `quotes` of 10 symbols drawn from the demo universe.

Every quote carries `publishedAt` (the ingester's wall clock when it stored and published the
trade) and `trades` (the symbol's trade count this session, +1 per trade). Clients record
`receive time - publishedAt` (the server and clients share this machine's clock) and count
sequence gaps per symbol. Gaps that the server reports as conflation (its /metrics counter)
are subtracted; what is left is lost. The server's RSS and CPU are read from /proc.

    python -m bench.fanout --subscribers 2000 --rate 50 --duration 20
    python -m bench.fanout --sweep-subscribers 500,1000,2000,3000 --rate 50
    python -m bench.fanout --subscribers 2000 --sweep-rate 25,50,100,200

Needs PostgreSQL (DATABASE_URL, default a `psx_bench` database on 127.0.0.1, seeded on first
use) and Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import websockets

from bench import wsclient

ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
QUERY = (
    "subscription Q($symbols: [String!]!) "
    "{ quotes(symbols: $symbols) { symbol last volume trades publishedAt } }"
)
SYMBOLS_PER_CLIENT = 10
TARGET_P99_MS = 100.0


@dataclass(frozen=True, slots=True)
class ClientResult:
    """What one client process measured."""

    latencies_ms: list[float]
    received: int
    gaps: int
    connected: int
    errors: int
    cpu_pct: float


def _percentile(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def _client(
    url: str,
    symbols: list[str],
    start_at: float,
    stop_at: float,
    out: dict[str, Any],
) -> None:
    last_trades: dict[str, int] = {}
    try:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], max_queue=None, ping_interval=None
        ) as ws:  # type: ignore[list-item]
            await ws.send('{"type":"connection_init"}')
            await ws.recv()
            payload = {"query": QUERY, "variables": {"symbols": symbols}}
            await ws.send(
                orjson.dumps({"type": "subscribe", "id": "1", "payload": payload}).decode()
            )
            out["connected"] += 1
            while True:
                timeout = stop_at - time.time()
                if timeout <= 0:
                    return
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout)
                except TimeoutError:
                    return
                now = time.time()
                message = orjson.loads(raw)
                if message.get("type") != "next":
                    if message.get("type") == "ping":
                        await ws.send('{"type":"pong"}')
                    continue
                quote = message["payload"]["data"]["quotes"]
                trades = quote["trades"]
                previous = last_trades.get(quote["symbol"])
                last_trades[quote["symbol"]] = trades
                if now < start_at:
                    continue
                out["received"] += 1
                if previous is not None and trades > previous + 1:
                    out["gaps"] += trades - previous - 1
                published = quote["publishedAt"]
                if published:
                    sent = datetime.fromisoformat(published).timestamp()
                    out["latencies"].append((now - sent) * 1000)
    except Exception as exc:
        out["errors"] += 1
        out.setdefault("first_error", repr(exc))


def _client_process(
    url: str,
    symbol_sets: list[list[str]],
    start_at: float,
    stop_at: float,
    conn: Any,
    client: str = "raw",
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def one(symbols: list[str], out: dict[str, Any]) -> Any:
        if client == "websockets":
            return _client(url, symbols, start_at, stop_at, out)
        return wsclient.subscribe(host, port, parts.path, QUERY, symbols, start_at, stop_at, out)

    async def cpu_at(when: float, out: dict[str, Any], key: str) -> None:
        await asyncio.sleep(max(0.0, when - time.time()))
        out[key] = time.process_time()

    async def main() -> ClientResult:
        out: dict[str, Any] = {
            "latencies": [],
            "received": 0,
            "gaps": 0,
            "connected": 0,
            "errors": 0,
        }
        tasks = [
            asyncio.create_task(cpu_at(start_at, out, "cpu_start")),
            asyncio.create_task(cpu_at(stop_at, out, "cpu_stop")),
        ]
        for symbols in symbol_sets:
            tasks.append(asyncio.create_task(one(symbols, out)))
            await asyncio.sleep(0.002)  # ramp: ~500 connections/s per process
        await asyncio.gather(*tasks)
        if "first_error" in out:
            print("client error:", out["first_error"], file=sys.stderr)
        cpu = (out["cpu_stop"] - out["cpu_start"]) / (stop_at - start_at) * 100
        return ClientResult(
            out["latencies"], out["received"], out["gaps"], out["connected"], out["errors"], cpu
        )

    conn.send(asdict(asyncio.run(main())))
    conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ALLOWED_HOSTS:
        raise SystemExit(f"refusing {url}: the bench only targets this machine")


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_ready(base: str, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("the server did not become ready; see bench/logs")


def _universe() -> list[str]:
    root = Path(__file__).resolve().parent.parent
    lines = (root / "domain" / "demo" / "universe.csv").read_text().splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line]


def run_once(
    url: str,
    server_pid: int,
    subscribers: int,
    client_procs: int,
    warmup: float,
    duration: float,
    seed: int,
    client: str = "raw",
) -> dict[str, Any]:
    """One measurement: connect N subscribers, warm up, measure, aggregate."""
    rng = random.Random(seed)
    universe = _universe()
    sets = [rng.sample(universe, SYMBOLS_PER_CLIENT) for _ in range(subscribers)]
    ramp = subscribers / (500 * client_procs) + 2
    start_at = time.time() + ramp + warmup
    stop_at = start_at + duration
    base = url.replace("ws://", "http://").rsplit("/graphql", 1)[0]
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for i in range(client_procs):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_client_process,
            args=(url, sets[i::client_procs], start_at, stop_at, child, client),
        )
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    time.sleep(max(0.0, start_at - time.time()))
    metrics_before = httpx.get(base + "/metrics", timeout=5).text
    cpu_before = _proc_cpu_seconds(server_pid)
    time.sleep(max(0.0, stop_at - time.time()))
    cpu_after = _proc_cpu_seconds(server_pid)
    metrics_after = httpx.get(base + "/metrics", timeout=5).text
    rss = _proc_rss_mb(server_pid)
    results = [ClientResult(**p.recv()) for p in pipes]
    for proc in procs:
        proc.join(30)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    conflated = _metric(metrics_after, "psx_hub_messages_conflated_total") - _metric(
        metrics_before, "psx_hub_messages_conflated_total"
    )
    gaps = sum(r.gaps for r in results)
    received = sum(r.received for r in results)
    p99 = _percentile(latencies, 99)
    return {
        "subscribers": subscribers,
        "connected": sum(r.connected for r in results),
        "client_errors": sum(r.errors for r in results),
        "messages": received,
        "messages_per_s": round(received / duration),
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p95_ms": round(_percentile(latencies, 95), 1),
        "p99_ms": round(p99, 1),
        "gaps": gaps,
        "conflated": int(conflated),
        "lost": max(0, gaps - int(conflated)),
        "server_rss_mb": round(rss, 1),
        "server_cpu_pct": round((cpu_after - cpu_before) / duration * 100, 1),
        "clients_cpu_pct": round(sum(r.cpu_pct for r in results), 1),
        "meets_target": p99 < TARGET_P99_MS and gaps == 0,
    }


def _ensure_bench_database() -> None:
    """Create the default bench database when it does not exist (the server seeds it)."""
    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'psx_bench'"):
                await conn.execute('CREATE DATABASE "psx_bench"')
        finally:
            await conn.close()

    asyncio.run(create())


@contextlib.contextmanager
def _stack(rate: float) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = dict(os.environ)
    if "DATABASE_URL" not in env:
        _ensure_bench_database()
        env["DATABASE_URL"] = "postgresql+asyncpg://postgres@127.0.0.1:5432/psx_bench"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env["PSX_FEED_RATE"] = str(rate)
    env["PSX_WS_STUCK_AFTER"] = "30"
    # The bench's N clients are anonymous and share one IP, so one rate-limit bucket: the
    # fan-out is measured without it (PSX_RATE_LIMIT=on measures the metering as well).
    env.setdefault("PSX_RATE_LIMIT", "off")
    logs = Path(__file__).resolve().parent / "logs"
    logs.mkdir(exist_ok=True)
    exe = [sys.executable, "-m", "api.cli"]
    with _process(
        [*exe, "serve", "--no-feed", "--port", str(port)], env, logs / "server.log"
    ) as server:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        ingest = [*exe, "ingest", "--feed", "simulator", "--flat", "--rate", str(rate)]
        with _process(ingest, env, logs / "ingest.log"):
            time.sleep(3)
            yield f"ws://127.0.0.1:{port}/graphql", server.pid


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run the configurations, print a table (or JSON lines)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subscribers", type=int, default=2000)
    p.add_argument("--rate", type=float, default=50.0, help="ticks per second, market-wide")
    p.add_argument("--sweep-subscribers", default=None, help="comma-separated N values")
    p.add_argument("--sweep-rate", default=None, help="comma-separated R values")
    p.add_argument("--client-procs", type=int, default=2)
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--client",
        choices=("raw", "websockets"),
        default="raw",
        help="raw: the lean asyncio.Protocol client (bench/wsclient.py); websockets: the library",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    runs: list[tuple[int, float]]
    if args.sweep_rate:
        runs = [(args.subscribers, float(r)) for r in args.sweep_rate.split(",")]
    elif args.sweep_subscribers:
        runs = [(int(n), args.rate) for n in args.sweep_subscribers.split(",")]
    else:
        runs = [(args.subscribers, args.rate)]
    for n, rate in runs:
        with _stack(rate) as (url, pid):
            _check_loopback(url)
            result = run_once(
                url, pid, n, args.client_procs, args.warmup, args.duration, args.seed, args.client
            )
        result["rate"] = rate
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"N={n:>5} R={rate:>5.0f}/s  msgs/s={result['messages_per_s']:>6}  "
                f"p50={result['p50_ms']:>7.1f} p95={result['p95_ms']:>7.1f} "
                f"p99={result['p99_ms']:>7.1f} ms  gaps={result['gaps']} "
                f"conflated={result['conflated']} lost={result['lost']}  "
                f"rss={result['server_rss_mb']} MB cpu={result['server_cpu_pct']}% "
                f"clients={result['clients_cpu_pct']}%  "
                f"connected={result['connected']}/{n} errors={result['client_errors']}  "
                f"{'OK' if result['meets_target'] else 'MISS'}"
            )


if __name__ == "__main__":
    main()
