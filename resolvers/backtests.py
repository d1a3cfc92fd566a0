"""Backtest use cases: run a strategy over symbols or a screen and store the run; read runs.

A run reads each symbol's back-adjusted daily bars from `from` to `to`, plus enough bars
before `from` that the strategy's indicators are warm on the first session (`warmup_bars`),
and KSE100 as the benchmark. The plan bounds symbols × bars (warm-up included); anonymous
users may not run backtests. The engine runs in a worker process, off the event loop: one
worker, started on first use and reused, so heavy runs queue behind each other rather than
stall the API. The run is stored in one transaction and returned as stored.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import multiprocessing
import signal
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from db.repos import backtest_bars as bars_repo
from db.repos import backtests as repo
from db.repos.backtests import BacktestRun, EncodedResult, RunDetails
from domain.accounts.roles import ENTITLEMENTS
from domain.analytics.indicators import IndicatorRequest, compute
from domain.backtests import engine
from domain.backtests.engine import MAX_SYMBOLS, BacktestSettings, validate_settings
from domain.backtests.strategies import Operand, OperandKind, Rule, Strategy, validate_strategy
from domain.errors import DomainError, ErrorCode
from domain.markets.charts import trading_day_of
from domain.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.screening.filters import ScreenFilter
from resolvers import screening
from resolvers.accounts import require_user
from resolvers.context import Context

__all__ = [
    "BacktestCommand",
    "BacktestRun",
    "RunDetails",
    "backtest",
    "backtests",
    "run_backtest",
    "shutdown_pool",
    "warmup_bars",
]

MAX_NAME = 80
BENCHMARK = "KSE100"
DEFAULT_SPAN = timedelta(days=365)
# Long enough for the slowest indicator at its largest parameters (TEMA or STOCHRSI at 1000).
PROBE_BARS = 4096


@dataclass(frozen=True, slots=True)
class BacktestCommand:
    """A run as asked for.

    Exactly one of `symbols` and `screen` (the first 100 instruments of a screen, in its
    default order) names what is traded; `start`/`end` default to the year up to today;
    `settings` carries no range (`start`/`end` are set here); `request` is the input as the
    client gave it, stored with the run.
    """

    strategy: Strategy
    settings: BacktestSettings = field(default_factory=BacktestSettings)
    symbols: Sequence[str] | None = None
    screen: ScreenFilter | None = None
    start: date | None = None
    end: date | None = None
    name: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)


# --- warm-up ----------------------------------------------------------------------------


def _operands(rule: Rule, path: str) -> Iterator[tuple[Operand, str]]:
    for i, condition in enumerate(rule.conditions):
        yield condition.left, f"{path}.conditions[{i}].left"
        yield condition.right, f"{path}.conditions[{i}].right"
    for j, nested in enumerate(rule.rules):
        yield from _operands(nested, f"{path}.rules[{j}]")


@functools.cache
def _probe() -> tuple[pl.DataFrame, pl.Series]:
    """A random walk of daily bars (and a benchmark) to measure indicators' look-backs on."""
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, PROBE_BARS)))
    start = datetime(2000, 1, 3, 4, 32, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "ts": [start + timedelta(days=i) for i in range(PROBE_BARS)],
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.integers(1_000, 100_000, PROBE_BARS).astype(np.float64),
        }
    )
    bench = pl.Series("benchmark", 1000 * np.exp(np.cumsum(rng.normal(0, 0.01, PROBE_BARS))))
    return frame, bench


def _lookback(request: IndicatorRequest, path: str) -> int:
    """Bars before an indicator's first value (all its lines defined).

    Raises:
        DomainError: an invalid parameter, at the operand's path (`...left.period`), the way
            the engine reports it.
    """
    frame, bench = _probe()
    try:
        (result,) = compute([request], frame, benchmark_close=bench)
    except DomainError as error:
        rest = (error.field or "").removeprefix("indicators[0]")
        raise DomainError(error.code, error.message, path + rest) from None
    first = 0
    for values in result.outputs.values():
        defined = next((i for i, v in enumerate(values) if v is not None), len(values))
        first = max(first, defined)
    return first


def warmup_bars(strategy: Strategy) -> int:
    """Bars to read before the first session so the strategy's indicators are warm on it.

    Twice the longest look-back of its indicators (TA-Lib's count of bars before the first
    value: 29 for SMA(30)), so that recursive averages (EMA, Wilder's RSI, ATR, ADX) have
    forgotten their seed, plus one bar so a crossing can show on the first session.

    Raises:
        DomainError: an invalid indicator parameter, at the operand's camelCase path.
    """
    operands = list(_operands(strategy.entry, "strategy.entry"))
    if strategy.exit is not None:
        operands += list(_operands(strategy.exit, "strategy.exit"))
    longest = 0
    seen: set[IndicatorRequest] = set()
    for operand, path in operands:
        if operand.kind is not OperandKind.INDICATOR or operand.indicator is None:
            continue
        request = IndicatorRequest(operand.indicator, operand.params)
        if request not in seen:
            seen.add(request)
            longest = max(longest, _lookback(request, path))
    return 2 * longest + 1


# --- the worker -------------------------------------------------------------------------

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: a fresh interpreter, never a fork of a process running threads and loops.
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_ignore_interrupts
            )
        return _pool


def _ignore_interrupts() -> None:
    # Ctrl+C reaches the whole process group: the server shuts the worker down itself, so the
    # worker must not die mid-run with a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def shutdown_pool() -> None:
    """Stop the backtest worker (at exit, app shutdown, tests); the next run starts another."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pool)


def _simulate(
    bars: dict[str, pl.DataFrame],
    benchmark: pl.DataFrame | None,
    strategy: Strategy,
    settings: BacktestSettings,
) -> EncodedResult:
    """In the worker: run the engine and encode its result (small to send back, ready to store)."""
    result = engine.run_backtest(bars, strategy, settings, benchmark=benchmark)
    return repo.encode_result(result)


async def _in_worker(
    bars: dict[str, pl.DataFrame],
    benchmark: pl.DataFrame | None,
    strategy: Strategy,
    settings: BacktestSettings,
) -> EncodedResult:
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(
            _executor(), _simulate, bars, benchmark, strategy, settings
        )
    except BrokenProcessPool:
        # The worker died (killed, out of memory): the next run starts a new one.
        shutdown_pool()
        raise


# --- use cases --------------------------------------------------------------------------


def _relocated(error: DomainError, old: str, new: str) -> DomainError:
    field_ = error.field or ""
    if field_ == old or field_.startswith((f"{old}.", f"{old}[")):
        return DomainError(error.code, error.message, new + field_[len(old) :])
    return error


async def _symbols(ctx: Context, cmd: BacktestCommand) -> tuple[list[str], list[int], str]:
    """The symbols traded, their instrument ids, and the input path that named them."""
    if (cmd.symbols is None) == (cmd.screen is None):
        raise DomainError(ErrorCode.INVALID, "Give symbols or a screen, not both.", "symbols")
    ref = await ctx.services.reference.get()
    if cmd.symbols is not None:
        if not cmd.symbols:
            raise DomainError(ErrorCode.INVALID, "Name at least one symbol.", "symbols")
        if len(cmd.symbols) > MAX_SYMBOLS:
            raise DomainError(
                ErrorCode.TOO_LARGE,
                f"A backtest trades at most {MAX_SYMBOLS} symbols.",
                "symbols",
            )
        symbols: list[str] = []
        ids: list[int] = []
        for i, given in enumerate(cmd.symbols):
            symbol = given.strip().upper()
            instrument = ref.instrument_by_symbol.get(symbol)
            if instrument is None:
                raise DomainError(
                    ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{given}'.", f"symbols[{i}]"
                )
            if symbol in symbols:
                raise DomainError(ErrorCode.INVALID, f"{symbol} is listed twice.", f"symbols[{i}]")
            symbols.append(symbol)
            ids.append(instrument.id)
        return symbols, ids, "symbols"
    try:
        found = await screening.screen(
            ctx, where=cmd.screen, sort=None, saved_id=None, first=MAX_SYMBOLS, after=None
        )
    except DomainError as error:
        raise _relocated(error, "filter", "screen") from None
    if not found.page.items:
        raise DomainError(ErrorCode.INVALID, "The screen matches no instrument.", "screen")
    rows = found.page.items
    return [s.symbol for s in rows], [s.instrument_id for s in rows], "screen"


def _range(ctx: Context, cmd: BacktestCommand) -> tuple[date, date, date]:
    """The first and last day asked for, and today."""
    today = trading_day_of(ctx.services.clock())
    end = cmd.end or today
    start = cmd.start or end - DEFAULT_SPAN
    if start > end:
        raise DomainError(ErrorCode.INVALID, "The range ends before it starts.", "to")
    if start > today:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "The range starts after today.", "from")
    return start, end, today


def _name(cmd: BacktestCommand, symbols: Sequence[str], start: date, end: date) -> str:
    if cmd.name is not None:
        name = " ".join(cmd.name.split())
        if not name or len(name) > MAX_NAME:
            raise DomainError(ErrorCode.INVALID, f"A name of 1 to {MAX_NAME} characters.", "name")
        return name
    what = symbols[0] if len(symbols) == 1 else f"{len(symbols)} symbols"
    return f"{what}, {start.isoformat()} to {end.isoformat()}"


def _too_large(cap: int, needed: int, path: str) -> DomainError:
    return DomainError(
        ErrorCode.TOO_LARGE,
        f"Your plan runs backtests of up to {cap:,} bars (symbols × sessions, warm-up "
        f"included); this one needs {needed:,}: use fewer symbols or a shorter range.",
        path,
    )


async def run_backtest(ctx: Context, cmd: BacktestCommand) -> BacktestRun:
    """Run a strategy over the command's symbols and range, store the run and return it.

    Raises:
        DomainError: at the camelCase input path: an invalid strategy, indicator parameter,
            setting, range or name; unknown or repeated symbols; a screen that matches
            nothing; TOO_LARGE for more than 100 symbols or more bars than the plan runs;
            NOT_FOUND for a symbol without bars in the range.
    """
    user = require_user(ctx)
    validate_strategy(cmd.strategy)
    warmup = warmup_bars(cmd.strategy)
    start, end, today = _range(ctx, cmd)
    settings = replace(cmd.settings, start=start, end=end)
    validate_settings(settings)
    symbols, ids, path = await _symbols(ctx, cmd)
    name = _name(cmd, symbols, start, end)
    database = ctx.services.database
    cap = ENTITLEMENTS[user.role].max_backtest_bars
    # The calendar bounds the run before any bar is read; the bars read bound it exactly.
    sessions = await bars_repo.count_sessions(
        database.read, first_day=start, last_day=min(end, today)
    )
    if len(symbols) * (sessions + warmup) > cap:
        raise _too_large(cap, len(symbols) * (sessions + warmup), path)
    started = time.perf_counter()
    frames, benchmark = await asyncio.gather(
        bars_repo.daily_frames(
            database.read, instrument_ids=ids, first_day=start, last_day=end, warmup=warmup
        ),
        # Generous: about 1.5 calendar days a session, and holidays.
        bars_repo.benchmark_frame(
            database.read,
            code=BENCHMARK,
            first_day=start - timedelta(days=2 * warmup + 31),
            last_day=end,
        ),
    )
    read = sum(f.height for f in frames.values())
    if read > cap:
        raise _too_large(cap, read, path)
    bars: dict[str, pl.DataFrame] = {}
    for i, (symbol, instrument_id) in enumerate(zip(symbols, ids, strict=True)):
        frame = frames.get(instrument_id)
        if frame is None:
            where = f"symbols[{i}]" if path == "symbols" else path
            raise DomainError(ErrorCode.NOT_FOUND, f"{symbol} has no bars in the range.", where)
        bars[symbol] = frame
    try:
        encoded = await _in_worker(bars, benchmark, cmd.strategy, settings)
    except DomainError as error:
        raise _relocated(error, "symbols", path) from None
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    async with database.primary.begin() as conn:
        return await repo.store_run(
            conn,
            user_id=user.user_id,
            name=name,
            symbols=symbols,
            request=cmd.request,
            result=encoded,
            bars=read,
            elapsed_ms=elapsed_ms,
        )


async def backtest(ctx: Context, backtest_id: uuid.UUID) -> BacktestRun | None:
    """One of the user's runs (None for an unknown id or another user's run)."""
    user = require_user(ctx)
    return await repo.get_run(
        ctx.services.database.read, user_id=user.user_id, backtest_id=backtest_id
    )


async def backtests(
    ctx: Context, *, first: int | None, after: str | None, details: bool = True
) -> Page[BacktestRun]:
    """A page of the user's runs, newest first; `details=False` leaves out curves and trades.

    Raises:
        DomainError: a bad cursor or page size.
    """
    user = require_user(ctx)
    size = page_size(first)
    offset = 0 if after is None else decode_cursor(after) + 1
    runs, total = await repo.list_runs(
        ctx.services.database.read,
        user_id=user.user_id,
        offset=offset,
        limit=size,
        details=details,
    )
    return Page(
        items=tuple(runs),
        cursors=tuple(encode_cursor(offset + i) for i in range(len(runs))),
        total=total,
        has_next=offset + size < total,
        has_previous=offset > 0,
    )
