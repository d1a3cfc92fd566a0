"""Backtests' stored runs.

A run is stored as JSON: the request as given, and the engine's metrics, equity curve (one
array per column), trades and taxes, with money as decimal strings and instants in ISO 8601,
so what is read back is exactly what the engine produced.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.backtests.metrics import Metrics
from domain.backtests.results import BacktestResult, EquityPoint, ExitReason, TaxCharge, Trade
from domain.markets.sessions import PKT

_DECIMAL_METRICS = frozenset({"equity_final", "equity_peak", "total_costs", "total_tax"})
_INSTANT_METRICS = frozenset({"start", "end"})


@dataclass(frozen=True, slots=True)
class EncodedResult:
    """A run's results as the JSON documents stored with it."""

    metrics: str
    equity: str
    trades: str
    taxes: str
    first_day: date
    last_day: date


def _dumps(value: Any) -> str:
    # Decimals as their exact digits; datetimes natively in ISO 8601.
    return orjson.dumps(value, default=str).decode()


def _row(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def encode_result(result: BacktestResult) -> EncodedResult:
    """The stored form of an engine result.

    Raises:
        ValueError: a result without sessions (the engine never returns one).
    """
    points = result.equity
    if not points:
        raise ValueError("a backtest result has at least one session")
    equity = {
        "ts": [p.ts for p in points],
        "equity": [str(p.equity) for p in points],
        "cash": [str(p.cash) for p in points],
        "exposure_pct": [p.exposure_pct for p in points],
        "drawdown_pct": [p.drawdown_pct for p in points],
    }
    return EncodedResult(
        metrics=_dumps(_row(result.metrics)),
        equity=_dumps(equity),
        trades=_dumps([_row(t) for t in result.trades]),
        taxes=_dumps([_row(t) for t in result.taxes]),
        first_day=points[0].ts.astimezone(PKT).date(),
        last_day=points[-1].ts.astimezone(PKT).date(),
    )


@dataclass(frozen=True)
class RunDetails:
    """A run's equity curve, trades and taxes, decoded from their stored JSON when first read."""

    equity_json: str = field(repr=False)
    trades_json: str = field(repr=False)
    taxes_json: str = field(repr=False)

    @functools.cached_property
    def equity(self) -> tuple[EquityPoint, ...]:
        """The book at every session's close."""
        return _equity(orjson.loads(self.equity_json))

    @functools.cached_property
    def trades(self) -> tuple[Trade, ...]:
        """Closed trades in the order they closed."""
        return tuple(_trade(t) for t in orjson.loads(self.trades_json))

    @functools.cached_property
    def taxes(self) -> tuple[TaxCharge, ...]:
        """Capital-gains tax charges."""
        return tuple(_tax(t) for t in orjson.loads(self.taxes_json))


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """A stored run; `details` is None when it was read without them.

    `first_day` and `last_day` are the first and last sessions simulated; `request` is the
    strategy and settings as given; `bars` counts the daily bars the engine read (warm-up
    included); `elapsed_ms` the time spent loading them and running the engine.
    """

    id: uuid.UUID
    name: str
    created_at: datetime
    symbols: tuple[str, ...]
    first_day: date
    last_day: date
    request: dict[str, Any]
    metrics: Metrics
    details: RunDetails | None
    bars: int
    elapsed_ms: int


def _metrics(doc: dict[str, Any]) -> Metrics:
    values = dict(doc)
    for name in _DECIMAL_METRICS:
        values[name] = Decimal(values[name])
    for name in _INSTANT_METRICS:
        values[name] = datetime.fromisoformat(values[name])
    return Metrics(**values)


def _equity(doc: dict[str, Any]) -> tuple[EquityPoint, ...]:
    # Equity and cash repeat while the book is flat: one Decimal per distinct string.
    money: dict[str, Decimal] = {}

    def dec(s: str) -> Decimal:
        value = money.get(s)
        if value is None:
            value = money[s] = Decimal(s)
        return value

    return tuple(
        EquityPoint(datetime.fromisoformat(ts), dec(e), dec(c), x, d)
        for ts, e, c, x, d in zip(
            doc["ts"],
            doc["equity"],
            doc["cash"],
            doc["exposure_pct"],
            doc["drawdown_pct"],
            strict=True,
        )
    )


def _trade(doc: dict[str, Any]) -> Trade:
    return Trade(
        symbol=doc["symbol"],
        entry_ts=datetime.fromisoformat(doc["entry_ts"]),
        exit_ts=datetime.fromisoformat(doc["exit_ts"]),
        entry_price=Decimal(doc["entry_price"]),
        exit_price=Decimal(doc["exit_price"]),
        quantity=doc["quantity"],
        gross_pnl=Decimal(doc["gross_pnl"]),
        costs=Decimal(doc["costs"]),
        net_pnl=Decimal(doc["net_pnl"]),
        return_pct=doc["return_pct"],
        bars_held=doc["bars_held"],
        exit_reason=ExitReason(doc["exit_reason"]),
    )


def _tax(doc: dict[str, Any]) -> TaxCharge:
    return TaxCharge(
        tax_year=doc["tax_year"],
        ts=datetime.fromisoformat(doc["ts"]),
        net_gain=Decimal(doc["net_gain"]),
        tax=Decimal(doc["tax"]),
    )


def _run(r: Any, *, details: bool) -> BacktestRun:
    return BacktestRun(
        id=r.id,
        name=r.name,
        created_at=r.created_at,
        symbols=tuple(r.symbols),
        first_day=r.first_day,
        last_day=r.last_day,
        request=orjson.loads(r.request),
        metrics=_metrics(orjson.loads(r.metrics)),
        details=RunDetails(r.equity, r.trades, r.taxes) if details else None,
        bars=r.bars,
        elapsed_ms=r.elapsed_ms,
    )


_INSERT = text(
    """
    INSERT INTO backtests (user_id, name, symbols, first_day, last_day, request, metrics,
                           equity, trades, taxes, bars, elapsed_ms)
    VALUES (:user_id, :name, CAST(:symbols AS text[]), :first, :last, CAST(:request AS jsonb),
            CAST(:metrics AS jsonb), CAST(:equity AS jsonb), CAST(:trades AS jsonb),
            CAST(:taxes AS jsonb), :bars, :elapsed_ms)
    RETURNING id, created_at
    """
)
_ONE = text(
    """
    SELECT id, name, created_at, symbols, first_day, last_day, request::text AS request,
           metrics::text AS metrics, bars, elapsed_ms, equity::text AS equity,
           trades::text AS trades, taxes::text AS taxes
      FROM backtests WHERE id = :id AND user_id = :user_id
    """
)
_LIST = text(
    """
    SELECT id, name, created_at, symbols, first_day, last_day, request::text AS request,
           metrics::text AS metrics, bars, elapsed_ms
      FROM backtests WHERE user_id = :user_id
     ORDER BY created_at DESC, id DESC OFFSET :offset LIMIT :limit
    """
)
_LIST_DETAILS = text(
    """
    SELECT id, name, created_at, symbols, first_day, last_day, request::text AS request,
           metrics::text AS metrics, bars, elapsed_ms, equity::text AS equity,
           trades::text AS trades, taxes::text AS taxes
      FROM backtests WHERE user_id = :user_id
     ORDER BY created_at DESC, id DESC OFFSET :offset LIMIT :limit
    """
)
_COUNT = text("SELECT count(*) FROM backtests WHERE user_id = :user_id")


async def store_run(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID,
    name: str,
    symbols: Sequence[str],
    request: Mapping[str, Any],
    result: EncodedResult,
    bars: int,
    elapsed_ms: int,
) -> BacktestRun:
    """Insert a run for a user; the stored run as every later read sees it."""
    stored = _dumps(request)
    params = {
        "user_id": user_id,
        "name": name,
        "symbols": list(symbols),
        "first": result.first_day,
        "last": result.last_day,
        "request": stored,
        "metrics": result.metrics,
        "equity": result.equity,
        "trades": result.trades,
        "taxes": result.taxes,
        "bars": bars,
        "elapsed_ms": elapsed_ms,
    }
    row = (await conn.execute(_INSERT, params)).one()
    # Built from the very documents stored: what a later read returns, without reading back.
    return BacktestRun(
        id=row.id,
        name=name,
        created_at=row.created_at,
        symbols=tuple(symbols),
        first_day=result.first_day,
        last_day=result.last_day,
        request=orjson.loads(stored),
        metrics=_metrics(orjson.loads(result.metrics)),
        details=RunDetails(result.equity, result.trades, result.taxes),
        bars=bars,
        elapsed_ms=elapsed_ms,
    )


async def get_run(
    engine: AsyncEngine, *, user_id: uuid.UUID, backtest_id: uuid.UUID
) -> BacktestRun | None:
    """One of the user's runs with its details (None for an unknown id or another user's)."""
    async with engine.connect() as conn:
        row = (await conn.execute(_ONE, {"id": backtest_id, "user_id": user_id})).first()
    return None if row is None else _run(row, details=True)


async def list_runs(
    engine: AsyncEngine, *, user_id: uuid.UUID, offset: int, limit: int, details: bool
) -> tuple[list[BacktestRun], int]:
    """A page of the user's runs, newest first, and how many they have in all."""
    sql = _LIST_DETAILS if details else _LIST
    params = {"user_id": user_id, "offset": offset, "limit": limit}
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, params)).all()
        total = int(await conn.scalar(_COUNT, {"user_id": user_id}) or 0)
    return [_run(r, details=details) for r in rows], total
