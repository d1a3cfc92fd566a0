"""Alert storage: users' alerts, fired events, and the daily history indicator and pattern
alerts are evaluated on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.alerts.rules import (
    AVERAGE_VOLUME_DAYS,
    Alert,
    AlertCondition,
    AlertEvent,
    AlertRepeat,
    Firing,
    SymbolHistory,
)
from domain.analytics.patterns import PatternKind

_COLUMNS = (
    "id, user_id, symbol, condition, threshold, period, pattern, repeat, cooldown_seconds,"
    " active, last_fired_at, created_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM alerts"  # noqa: S608 - constant columns
_INSERT = f"""
INSERT INTO alerts (user_id, symbol, condition, threshold, period, pattern, repeat,
                    cooldown_seconds)
VALUES (:u, :s, :c, :t, :p, :pt, :r, :cd) RETURNING {_COLUMNS}
"""  # noqa: S608 - constant columns


def _alert(r: Row[Any]) -> Alert:
    return Alert(
        id=r.id,
        user_id=r.user_id,
        symbol=r.symbol,
        condition=AlertCondition(r.condition),
        threshold=r.threshold,
        period=r.period,
        pattern=None if r.pattern is None else PatternKind(r.pattern),
        repeat=AlertRepeat(r.repeat),
        cooldown=timedelta(seconds=r.cooldown_seconds),
        active=r.active,
        last_fired_at=r.last_fired_at,
        created_at=r.created_at,
    )


async def bump_alerts_version(conn: AsyncConnection) -> None:
    """Tell every alert engine to reload (inside the caller's transaction)."""
    await conn.execute(text("UPDATE data_versions SET version = version + 1 WHERE name = 'alerts'"))


async def alerts_version(engine: AsyncEngine) -> int:
    """The current version of the alert set."""
    async with engine.connect() as conn:
        value = await conn.scalar(text("SELECT version FROM data_versions WHERE name = 'alerts'"))
    return int(value or 0)


async def count_alerts(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    """How many alerts the user has (active or not)."""
    value = await conn.scalar(
        text("SELECT count(*) FROM alerts WHERE user_id = :u"), {"u": user_id}
    )
    return int(value or 0)


async def create_alert(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID,
    symbol: str,
    condition: AlertCondition,
    threshold: Decimal | None,
    period: int | None,
    pattern: PatternKind | None,
    repeat: AlertRepeat,
    cooldown_seconds: int,
) -> Alert:
    """Store a new active alert."""
    row = (
        await conn.execute(
            text(_INSERT),
            {
                "u": user_id,
                "s": symbol,
                "c": condition.value,
                "t": threshold,
                "p": period,
                "pt": None if pattern is None else pattern.value,
                "r": repeat.value,
                "cd": cooldown_seconds,
            },
        )
    ).one()
    await bump_alerts_version(conn)
    return _alert(row)


async def alert_for_update(
    conn: AsyncConnection, alert_id: uuid.UUID, user_id: uuid.UUID
) -> Alert | None:
    """The user's alert (None for someone else's), locked until the transaction ends."""
    row = (
        await conn.execute(
            text(f"{_SELECT} WHERE id = :id AND user_id = :u FOR UPDATE"),
            {"id": alert_id, "u": user_id},
        )
    ).one_or_none()
    return None if row is None else _alert(row)


async def save_alert(conn: AsyncConnection, alert: Alert) -> None:
    """Write an alert's changeable fields."""
    await conn.execute(
        text(
            "UPDATE alerts SET threshold = :t, period = :p, repeat = :r, cooldown_seconds = :cd,"
            " active = :a, last_fired_at = :f WHERE id = :id"
        ),
        {
            "id": alert.id,
            "t": alert.threshold,
            "p": alert.period,
            "r": alert.repeat.value,
            "cd": int(alert.cooldown.total_seconds()),
            "a": alert.active,
            "f": alert.last_fired_at,
        },
    )
    await bump_alerts_version(conn)


async def delete_alert(conn: AsyncConnection, alert_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Delete the user's alert; False when it is not theirs or does not exist."""
    result = await conn.execute(
        text("DELETE FROM alerts WHERE id = :id AND user_id = :u"), {"id": alert_id, "u": user_id}
    )
    if result.rowcount:
        await bump_alerts_version(conn)
    return bool(result.rowcount)


async def alerts_of(engine: AsyncEngine, user_id: uuid.UUID) -> list[Alert]:
    """The user's alerts, newest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(f"{_SELECT} WHERE user_id = :u ORDER BY created_at DESC, id"),
            {"u": user_id},
        )
        return [_alert(r) for r in rows]


async def active_alerts(engine: AsyncEngine) -> list[Alert]:
    """Every active alert (the engine indexes them by symbol)."""
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"{_SELECT} WHERE active"))
        return [_alert(r) for r in rows]


async def record_firings(conn: AsyncConnection, firings: Sequence[Firing]) -> list[AlertEvent]:
    """Store fired alerts, mark them fired (ONCE alerts switch off); returns the events."""
    events = []
    for f in firings:
        row = (
            await conn.execute(
                text(
                    "INSERT INTO alert_events (alert_id, user_id, symbol, condition, value, price,"
                    " message, fired_at) VALUES (:a, :u, :s, :c, :v, :p, :m, :t) RETURNING id"
                ),
                {
                    "a": f.alert.id,
                    "u": f.alert.user_id,
                    "s": f.alert.symbol,
                    "c": f.alert.condition.value,
                    "v": f.value,
                    "p": f.price,
                    "m": f.message,
                    "t": f.at,
                },
            )
        ).one()
        await conn.execute(
            text(
                "UPDATE alerts SET last_fired_at = :t, active = active AND repeat <> 'ONCE'"
                " WHERE id = :id"
            ),
            {"t": f.at, "id": f.alert.id},
        )
        events.append(
            AlertEvent(
                row.id,
                f.alert.id,
                f.alert.user_id,
                f.alert.symbol,
                f.alert.condition,
                f.value,
                f.price,
                f.message,
                f.at,
            )
        )
    return events


async def alert_events(
    engine: AsyncEngine, *, user_id: uuid.UUID, limit: int, before_id: int | None
) -> list[AlertEvent]:
    """The user's fired alerts, newest first, paged by id."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, alert_id, user_id, symbol, condition, value, price, message, fired_at"
                " FROM alert_events WHERE user_id = :u"
                " AND (CAST(:b AS bigint) IS NULL OR id < :b) ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "b": before_id, "n": limit},
        )
        return [
            AlertEvent(
                r.id,
                r.alert_id,
                r.user_id,
                r.symbol,
                AlertCondition(r.condition),
                r.value,
                r.price,
                r.message,
                r.fired_at,
            )
            for r in rows
        ]


async def symbol_histories(
    engine: AsyncEngine, *, symbols: Sequence[str], before: date, days: int
) -> dict[str, SymbolHistory]:
    """Daily closes (oldest first) and the 20-day average volume before `before`."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                SELECT i.symbol, h.closes, h.avg_volume
                  FROM instruments i
                  CROSS JOIN LATERAL (
                    SELECT array_agg(close ORDER BY day) AS closes,
                           (SELECT avg(volume) FROM (
                               SELECT volume FROM daily_bars d2
                                WHERE d2.instrument_id = i.id AND d2.day < :before
                                ORDER BY d2.day DESC LIMIT :vol_days) v) AS avg_volume
                      FROM (SELECT day, close FROM daily_bars d
                             WHERE d.instrument_id = i.id AND d.day < :before
                             ORDER BY d.day DESC LIMIT :days) last_days
                  ) h
                 WHERE i.symbol = ANY(:symbols)
                """
            ),
            {
                "symbols": list(symbols),
                "before": before,
                "days": days,
                "vol_days": AVERAGE_VOLUME_DAYS,
            },
        )
        return {r.symbol: SymbolHistory(tuple(r.closes or ()), r.avg_volume) for r in rows}


_BAR_SCHEMA = pl.Schema(
    {
        "instrument_id": pl.Int64(),
        "day": pl.Date(),
        **dict.fromkeys(("open", "high", "low", "close", "volume"), pl.Float64()),
    }
)


async def recent_daily_frames(
    engine: AsyncEngine, *, symbols: Sequence[str], last_day: date, bars: int
) -> dict[str, pl.DataFrame]:
    """Each symbol's last `bars` daily bars up to `last_day` (oldest first), in one statement.

    Frames have `instrument_id`, `day` and Float64 `open`, `high`, `low`, `close`, `volume`
    (indicator math); symbols without bars are left out.
    """
    sql = text(
        """
        SELECT i.symbol, i.id AS instrument_id, b.day, b.open::float8, b.high::float8,
               b.low::float8, b.close::float8, b.volume::float8
          FROM instruments i
          CROSS JOIN LATERAL (
            SELECT day, open, high, low, close, volume FROM daily_bars d
             WHERE d.instrument_id = i.id AND d.day <= :last
             ORDER BY d.day DESC LIMIT :n
          ) b
         WHERE i.symbol = ANY(:symbols)
         ORDER BY i.symbol, b.day
        """
    )
    params = {"symbols": list(symbols), "last": last_day, "n": bars}
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, params)).all()
    by_symbol: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_symbol.setdefault(r[0], []).append(tuple(r)[1:])
    return {
        symbol: pl.DataFrame(values, schema=_BAR_SCHEMA, orient="row")
        for symbol, values in by_symbol.items()
    }
