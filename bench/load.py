"""HTTP load generator for GraphQL operations, closed or open workload model.

Run `python -m bench.load --help`; bench/README.md explains the figures.
"""

# Deferred annotations: array and multiprocessing Queue are not subscriptable at runtime in 3.11.
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import queue
import ssl
import sys
import time
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, TypedDict
from urllib.parse import urlsplit

import httpx

from bench.operations import DEFAULT_SYMBOL, OPERATIONS, Operation, build_operations

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

# httpcore runs `import sniffio` on every pooled request; when sniffio is not installed each
# failed import rescans sys.path, which cost ~20% of the generator's CPU. A None entry makes
# the import fail at once, and httpcore then assumes asyncio, which is what runs here.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

Mode = Literal["closed", "open"]

# Workplace policy: the generator may only ever be pointed at this machine.
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ACCEPT = "application/graphql-response+json, application/json"
PERCENTILES = (50, 95, 99)
# Spawned workers need time to import httpx and meet at the barrier before the clock starts.
PROC_STARTUP_GRACE = 60.0
ERROR_DETAIL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """What a single process runs for one operation."""

    url: str
    body: bytes
    mode: Mode
    concurrency: int  # closed model: workers in this process
    rate: float  # open model: arrivals per second in this process
    phase: float  # open model: offset of this process's first arrival, in seconds
    max_inflight: int
    warmup: float
    duration: float
    max_requests: int
    timeout: float


class ProcResult(TypedDict):
    """Raw measurements from one process; a plain dict so it pickles across spawn."""

    latencies: array[float]  # seconds
    completed: int
    errors: int
    dropped: int
    body_bytes: int
    wire_bytes: int
    elapsed: float
    max_lag: float
    first_error: str | None
    failure: str | None


@dataclass(frozen=True, slots=True)
class Summary:
    """Merged figures for one operation; field names are the --json keys."""

    op: str
    mode: Mode
    concurrency: int | None
    rate: float | None
    max_inflight: int | None
    client_procs: int
    warmup_s: float
    duration_s: float
    elapsed_s: float
    completed: int
    errors: int
    dropped: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    mean_bytes: float | None
    mean_wire_bytes: float | None
    max_start_lag_ms: float | None
    first_error: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of one request."""

    error: str | None
    body_bytes: int
    wire_bytes: int


class Recorder:
    """Accumulates measurements for requests started inside the measurement window."""

    def __init__(self, window_start: float) -> None:
        self.window_start = window_start
        self.sent = 0
        self.latencies: array[float] = array("d")
        self.errors = 0
        self.dropped = 0
        self.body_bytes = 0
        self.wire_bytes = 0
        self.last_done = window_start
        self.max_lag = 0.0
        self.first_error: str | None = None

    def record(self, started: float, outcome: Outcome, done: float) -> None:
        """Count a finished request; `started` is the scheduled start in the open model."""
        if started < self.window_start:
            return
        self.latencies.append(done - started)
        self.body_bytes += outcome.body_bytes
        self.wire_bytes += outcome.wire_bytes
        self.last_done = max(self.last_done, done)
        if outcome.error is not None:
            self.errors += 1
            if self.first_error is None:
                self.first_error = outcome.error

    def drop(self, scheduled: float) -> None:
        """Count an arrival that could not start because the in-flight cap was reached."""
        if scheduled >= self.window_start:
            self.dropped += 1

    def lag(self, scheduled: float, actual: float) -> None:
        """Track how late the generator starts requests, which hints it is the bottleneck."""
        if scheduled >= self.window_start:
            self.max_lag = max(self.max_lag, actual - scheduled)

    def result(self, duration: float) -> ProcResult:
        """Package the measurements for merging."""
        completed = len(self.latencies)
        # Up to the last completion, so a tail drained after the window (or an early stop
        # at --max-requests) is reflected in the achieved rate.
        elapsed = self.last_done - self.window_start if completed else duration
        return ProcResult(
            latencies=self.latencies,
            completed=completed,
            errors=self.errors,
            dropped=self.dropped,
            body_bytes=self.body_bytes,
            wire_bytes=self.wire_bytes,
            elapsed=elapsed,
            max_lag=self.max_lag,
            first_error=self.first_error,
            failure=None,
        )


def failed_result(message: str) -> ProcResult:
    """A result standing in for a worker process that produced no measurements."""
    return ProcResult(
        latencies=array("d"),
        completed=0,
        errors=0,
        dropped=0,
        body_bytes=0,
        wire_bytes=0,
        elapsed=0.0,
        max_lag=0.0,
        first_error=None,
        failure=message,
    )


def response_error(status: int, content: bytes) -> str | None:
    """Describe why a response counts as an error, or None if it is a success."""
    # Substring test first so successful bodies are never parsed in the hot loop.
    if b'"errors"' in content:
        try:
            parsed: object = json.loads(content)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("errors"):
            detail = json.dumps(parsed["errors"])[:ERROR_DETAIL_CHARS]
            return f"HTTP {status} with errors: {detail}"
    if status != 200:
        return f"HTTP {status}: {content[:ERROR_DETAIL_CHARS].decode(errors='replace')}"
    return None


async def send(client: httpx.AsyncClient, cfg: LoadConfig) -> Outcome:
    """POST the operation once and classify the response."""
    try:
        # httpx timeouts are per phase; this bounds the whole request so runs always end.
        async with asyncio.timeout(cfg.timeout):
            response = await client.post(cfg.url, content=cfg.body)
    except (httpx.HTTPError, TimeoutError) as exc:
        return Outcome(f"{type(exc).__name__}: {exc}", 0, 0)
    content = response.content
    return Outcome(
        response_error(response.status_code, content),
        len(content),
        response.num_bytes_downloaded,
    )


class Lanes:
    """A pool of single-connection clients, each an HTTP/1.1 keep-alive connection.

    httpcore rescans its whole pool (quadratic in size, with a select() per idle
    connection) on every request; with hundreds of connections that made the generator
    the bottleneck, so each client here holds exactly one connection instead.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        # One shared context: building one per client costs tens of milliseconds each.
        self._ssl = ssl.create_default_context()
        self._idle: list[httpx.AsyncClient] = []
        self._all: list[httpx.AsyncClient] = []

    def acquire(self) -> httpx.AsyncClient:
        """An idle client, or a new one; callers bound how many are in use at once."""
        if self._idle:
            # LIFO keeps reusing warm connections and lets surplus ones expire.
            return self._idle.pop()
        transport = httpx.AsyncHTTPTransport(
            verify=self._ssl,
            http1=True,
            http2=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        # trust_env=False keeps proxy variables from routing loopback traffic elsewhere.
        client = httpx.AsyncClient(
            transport=transport,
            headers={"Accept": ACCEPT, "Content-Type": "application/json"},
            timeout=self._timeout,
            trust_env=False,
            follow_redirects=False,
        )
        self._all.append(client)
        return client

    def release(self, client: httpx.AsyncClient) -> None:
        """Return a client whose request has finished."""
        self._idle.append(client)

    async def aclose(self) -> None:
        """Close every connection opened."""
        for client in self._all:
            await client.aclose()


async def run_closed(lanes: Lanes, cfg: LoadConfig, rec: Recorder) -> None:
    """Closed model: each worker sends its next request as soon as the previous returns."""
    end = rec.window_start + cfg.duration

    async def worker(client: httpx.AsyncClient) -> None:
        while rec.sent < cfg.max_requests:
            started = time.perf_counter()
            if started >= end:
                return
            rec.sent += 1
            outcome = await send(client, cfg)
            rec.record(started, outcome, time.perf_counter())

    async with asyncio.TaskGroup() as group:
        for _ in range(cfg.concurrency):
            group.create_task(worker(lanes.acquire()))


async def run_open(lanes: Lanes, cfg: LoadConfig, rec: Recorder, t0: float) -> None:
    """Open model: requests start on a fixed schedule whether or not earlier ones finished."""
    end = rec.window_start + cfg.duration
    first = t0 + cfg.phase
    interval = 1.0 / cfg.rate
    inflight: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        rec.lag(scheduled, time.perf_counter())
        client = lanes.acquire()
        try:
            outcome = await send(client, cfg)
        finally:
            lanes.release(client)
        # Measured from the scheduled start so a stalled server cannot hide queueing delay
        # (coordinated omission).
        rec.record(scheduled, outcome, time.perf_counter())

    index = 0
    while rec.sent < cfg.max_requests:
        # Multiply rather than accumulate so the schedule does not drift.
        scheduled = first + index * interval
        if scheduled >= end:
            break
        index += 1
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(inflight) >= cfg.max_inflight:
            rec.drop(scheduled)
            continue
        rec.sent += 1
        task = asyncio.create_task(one(scheduled))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
    if inflight:
        await asyncio.gather(*inflight)


async def run_load(cfg: LoadConfig, barrier: Barrier | None = None) -> ProcResult:
    """Run one operation in this process's event loop and return its raw measurements."""
    lanes = Lanes(cfg.timeout)
    try:
        # One unmeasured request first, so lazy imports and the first connect happen before
        # the clock starts instead of bunching up the first scheduled arrivals.
        client = lanes.acquire()
        await send(client, cfg)
        lanes.release(client)
        if barrier is not None:
            await asyncio.to_thread(barrier.wait, PROC_STARTUP_GRACE)
        t0 = time.perf_counter()
        rec = Recorder(t0 + cfg.warmup)
        if cfg.mode == "closed":
            await run_closed(lanes, cfg, rec)
        else:
            await run_open(lanes, cfg, rec, t0)
    finally:
        await lanes.aclose()
    return rec.result(cfg.duration)


def proc_main(cfg: LoadConfig, barrier: Barrier, results: Queue[ProcResult]) -> None:
    """Entry point of a --client-procs worker process."""
    try:
        result = asyncio.run(run_load(cfg, barrier))
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group; the parent reports it once.
        return
    except Exception as exc:  # reported to the parent instead of leaving it waiting
        barrier.abort()
        result = failed_result(f"{type(exc).__name__}: {exc}")
    results.put(result)


def run_procs(cfgs: Sequence[LoadConfig], wait: float) -> list[ProcResult]:
    """Run one config per spawned process and collect their results from a queue."""
    ctx = multiprocessing.get_context("spawn")
    results: Queue[ProcResult] = ctx.Queue()
    barrier = ctx.Barrier(len(cfgs))
    procs = [
        ctx.Process(target=proc_main, args=(cfg, barrier, results), daemon=True) for cfg in cfgs
    ]
    for proc in procs:
        proc.start()
    collected: list[ProcResult] = []
    deadline = time.monotonic() + wait
    try:
        # Drain the queue before joining: a child blocks on exit until its data is read.
        while len(collected) < len(procs):
            try:
                collected.append(results.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                collected.append(failed_result("worker process sent no result in time"))
                break
    finally:
        # Anything short of a full set of results means we are bailing out: do not wait.
        grace = 5.0 if len(collected) == len(procs) else 0.0
        for proc in procs:
            proc.join(timeout=grace)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return collected


def split(total: int, parts: int) -> list[int]:
    """Divide `total` into `parts` near-equal integers."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def process_configs(args: argparse.Namespace, body: bytes) -> list[LoadConfig]:
    """One LoadConfig per client process, with concurrency, rate and caps divided among them."""
    mode: Mode = args.mode
    width = args.concurrency if mode == "closed" else args.max_inflight
    procs = max(1, min(args.client_procs, width))
    concurrency = split(args.concurrency, procs)
    inflight = split(args.max_inflight, procs)
    budget = split(args.max_requests, procs)
    rate = args.rate or 0.0
    return [
        LoadConfig(
            url=args.url,
            body=body,
            mode=mode,
            concurrency=concurrency[i],
            rate=rate / procs,
            # Interleave the processes' schedules so the combined arrivals stay evenly spaced.
            phase=i / rate if rate else 0.0,
            max_inflight=inflight[i],
            warmup=args.warmup,
            duration=args.duration,
            max_requests=budget[i],
            timeout=args.timeout,
        )
        for i in range(procs)
    ]


def nearest_rank(sorted_values: Sequence[float], pct: int) -> float:
    """Nearest-rank percentile: the smallest sample with at least pct% of samples <= it."""
    rank = max(1, -(-pct * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def ms(seconds: float) -> float:
    """Seconds to milliseconds, rounded for output."""
    return round(seconds * 1000.0, 3)


def summarize(op: str, args: argparse.Namespace, results: Sequence[ProcResult]) -> Summary:
    """Merge per-process results into the figures for one operation."""
    mode: Mode = args.mode
    samples = sorted(value for result in results for value in result["latencies"])
    completed = len(samples)
    elapsed = max((r["elapsed"] for r in results if r["failure"] is None), default=0.0)
    body_bytes = sum(r["body_bytes"] for r in results)
    wire_bytes = sum(r["wire_bytes"] for r in results)
    pcts = {pct: ms(nearest_rank(samples, pct)) if samples else None for pct in PERCENTILES}
    failures = [r["failure"] for r in results if r["failure"] is not None]
    first_error = next((r["first_error"] for r in results if r["first_error"]), None)
    return Summary(
        op=op,
        mode=mode,
        concurrency=args.concurrency if mode == "closed" else None,
        rate=args.rate if mode == "open" else None,
        max_inflight=args.max_inflight if mode == "open" else None,
        client_procs=len(results),
        warmup_s=args.warmup,
        duration_s=args.duration,
        elapsed_s=round(elapsed, 3),
        completed=completed,
        # A crashed worker process counts as one error so the run cannot look clean.
        errors=sum(r["errors"] for r in results) + len(failures),
        dropped=sum(r["dropped"] for r in results),
        rps=round(completed / elapsed, 2) if elapsed > 0 else 0.0,
        p50_ms=pcts[50],
        p95_ms=pcts[95],
        p99_ms=pcts[99],
        max_ms=ms(samples[-1]) if samples else None,
        mean_ms=ms(sum(samples) / completed) if samples else None,
        mean_bytes=round(body_bytes / completed, 1) if completed else None,
        mean_wire_bytes=round(wire_bytes / completed, 1) if completed else None,
        max_start_lag_ms=ms(max(r["max_lag"] for r in results)) if mode == "open" else None,
        first_error=failures[0] if failures else first_error,
    )


HEADER = (
    f"{'op':<10} {'mode':<6} {'load':>8} {'done':>8} {'err':>6} {'drop':>6} {'req/s':>9} "
    f"{'p50ms':>8} {'p95ms':>8} {'p99ms':>8} {'maxms':>8} {'bytes':>9}"
)


def format_row(s: Summary) -> str:
    """One human-readable line matching HEADER."""

    def num(value: float | None, width: int, digits: int) -> str:
        return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"

    load = f"c={s.concurrency}" if s.mode == "closed" else f"r={s.rate:g}"
    drop = f"{s.dropped:>6}" if s.mode == "open" else f"{'-':>6}"
    return (
        f"{s.op:<10} {s.mode:<6} {load:>8} {s.completed:>8} {s.errors:>6} {drop} "
        f"{s.rps:>9.1f} {num(s.p50_ms, 8, 2)} {num(s.p95_ms, 8, 2)} {num(s.p99_ms, 8, 2)} "
        f"{num(s.max_ms, 8, 2)} {num(s.mean_bytes, 9, 0)}"
    )


def preflight(url: str, op: Operation, body: bytes, timeout: float) -> tuple[bool, str | None]:
    """Send one request before the run: (server reachable, problem with the response)."""
    headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
    with httpx.Client(headers=headers, timeout=timeout, trust_env=False) as client:
        try:
            response = client.post(url, content=body)
        except httpx.HTTPError as exc:
            # Only a failed connect means there is no server; a slow one is still worth loading.
            reachable = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            return reachable, f"{op.name}: first request failed: {type(exc).__name__}: {exc}"
    problem = response_error(response.status_code, response.content)
    return True, None if problem is None else f"{op.name}: first response: {problem}"


def loopback_error(url: str) -> str | None:
    """Why `url` is not an allowed target, or None if it is."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return f"URL scheme must be http or https, got {parts.scheme!r}"
    try:
        # Check httpx's own parse too, since that is what the client will connect to.
        hosts = {parts.hostname, httpx.URL(url).host}
    except (httpx.InvalidURL, ValueError) as exc:
        return f"invalid URL: {exc}"
    if not hosts <= ALLOWED_HOSTS:
        return f"refusing non-loopback host {parts.hostname!r}; allowed: 127.0.0.1, localhost, ::1"
    return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and validate the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="HTTP load generator for GraphQL operations (loopback targets only).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--url", default="http://127.0.0.1:8000/graphql", help="host must be loopback")
    add(
        "--op",
        action="append",
        required=True,
        metavar="NAME",
        help=f"operation, repeatable: all, {', '.join(OPERATIONS)}",
    )
    add("--mode", choices=("closed", "open"), default="closed", help="workload model")
    add("--concurrency", type=int, default=16, metavar="N", help="closed: concurrent workers")
    add("--rate", type=float, metavar="R", help="open: arrivals per second (required)")
    add("--max-inflight", type=int, default=256, metavar="N", help="open: in-flight cap")
    add("--duration", type=float, default=20.0, metavar="S", help="measured seconds per op")
    add("--warmup", type=float, default=3.0, metavar="S", help="unmeasured seconds before")
    add("--max-requests", type=int, default=1_000_000, metavar="N", help="cap per op")
    add("--timeout", type=float, default=10.0, metavar="S", help="whole-request timeout")
    add("--client-procs", type=int, default=1, metavar="K", help="generator processes")
    add("--symbol", default=DEFAULT_SYMBOL, help="symbol for quote1 and the chart ops")
    add("--json", action="store_true", help="print one JSON object per op instead of a table")
    args = parser.parse_args(argv)

    if (problem := loopback_error(args.url)) is not None:
        parser.error(problem)
    unknown = [name for name in args.op if name != "all" and name not in OPERATIONS]
    if unknown:
        parser.error(f"unknown --op {', '.join(unknown)}; choose from all, {', '.join(OPERATIONS)}")
    if args.mode == "open" and (args.rate is None or args.rate <= 0):
        parser.error("--mode open needs --rate > 0")
    for flag in ("concurrency", "max_inflight", "max_requests", "client_procs"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")
    for flag in ("duration", "timeout"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag} must be positive")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def run_operation(op: Operation, args: argparse.Namespace) -> Summary | None:
    """Preflight, then load one operation; None if the server could not be reached."""
    body = op.body()
    reachable, problem = preflight(args.url, op, body, args.timeout)
    if problem is not None:
        print(problem, file=sys.stderr)
    if not reachable:
        return None
    cfgs = process_configs(args, body)
    load = f"c={args.concurrency}" if args.mode == "closed" else f"r={args.rate:g}/s"
    print(
        f"running {op.name}: {args.mode} {load}, {len(cfgs)} proc(s), "
        f"{args.warmup:g}s warm-up + {args.duration:g}s",
        file=sys.stderr,
    )
    if len(cfgs) == 1:
        results = [asyncio.run(run_load(cfgs[0]))]
    else:
        wait = PROC_STARTUP_GRACE + args.warmup + args.duration + args.timeout
        results = run_procs(cfgs, wait)
    summary = summarize(op.name, args, results)
    # The preflight already showed the server's errors; only surface ones it did not see.
    if summary.first_error is not None and problem is None:
        print(
            f"{op.name}: {summary.errors} error(s), first: {summary.first_error}", file=sys.stderr
        )
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """Run each requested operation in turn; exit status 1 if any had errors."""
    args = parse_args(argv)
    operations = build_operations(symbol=args.symbol)
    names = [n for name in args.op for n in (operations if name == "all" else [name])]
    status = 0
    for index, name in enumerate(names):
        summary = run_operation(operations[name], args)
        if summary is None:
            return 2
        if summary.errors:
            status = 1
        if args.json:
            print(json.dumps(asdict(summary)), flush=True)
        else:
            if index == 0:
                print(HEADER)
            print(format_row(summary), flush=True)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
