"""The economic calendar: scheduled releases, policy meetings, auctions and company dates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.news.articles import DataSource
from domain.news.calendar import (
    CalendarFilter,
    EconomicEvent,
    EventCategory,
    Importance,
    NewEconomicEvent,
)

_COLS = (
    "title",
    "country",
    "category",
    "scheduled_at",
    "importance",
    "previous",
    "forecast",
    "actual",
    "unit",
    "symbol",
    "data_source",
)
_TYPES = {
    "scheduled_at": "timestamptz[]",
    **dict.fromkeys(("previous", "forecast", "actual"), "numeric[]"),
}
_UNNESTED = ", ".join(f"CAST(:{c} AS {_TYPES.get(c, 'text[]')})" for c in _COLS)
_INSERT = text(
    f"INSERT INTO economic_events ({', '.join(_COLS)})"  # noqa: S608 - fixed names
    f" SELECT * FROM unnest({_UNNESTED})"
    " ON CONFLICT ON CONSTRAINT uq_economic_events_event DO UPDATE SET"
    " importance = EXCLUDED.importance, previous = EXCLUDED.previous,"
    " forecast = EXCLUDED.forecast, actual = EXCLUDED.actual, unit = EXCLUDED.unit"
)


def _event(r: RowMapping) -> EconomicEvent:
    return EconomicEvent(
        id=int(r["id"]),
        title=r["title"],
        category=EventCategory(r["category"]),
        scheduled_at=r["scheduled_at"],
        importance=Importance(r["importance"]),
        country=r["country"],
        previous=r["previous"],
        forecast=r["forecast"],
        actual=r["actual"],
        unit=r["unit"],
        symbol=r["symbol"],
        data_source=DataSource(r["data_source"]),
    )


async def add_events(conn: AsyncConnection, events: Sequence[NewEconomicEvent]) -> None:
    """Insert events; an event already stored (same country, category, title, time) is updated."""
    if not events:
        return
    values: dict[str, list[Any]] = {c: [] for c in _COLS}
    for e in events:
        for c in _COLS:
            v = getattr(e, c)
            values[c].append(v.value if c in ("category", "importance", "data_source") else v)
    await conn.execute(_INSERT, values)


async def list_events(
    conn: AsyncConnection, f: CalendarFilter, *, limit: int
) -> list[EconomicEvent]:
    """Events matching `f`, soonest first, at most `limit`."""
    where: list[str] = []
    params: dict[str, Any] = {"n": limit}
    if f.scheduled_from is not None:
        where.append("scheduled_at >= :lo")
        params["lo"] = f.scheduled_from
    if f.scheduled_to is not None:
        where.append("scheduled_at < :hi")
        params["hi"] = f.scheduled_to
    if f.countries:
        where.append("lower(country) = ANY(:countries)")
        params["countries"] = [c.lower() for c in f.countries]
    if f.importance:
        where.append("importance = ANY(:importance)")
        params["importance"] = [i.value for i in f.importance]
    if f.categories:
        where.append("category = ANY(:categories)")
        params["categories"] = [c.value for c in f.categories]
    if f.symbols:
        where.append("symbol = ANY(:symbols)")
        params["symbols"] = [s.upper() for s in f.symbols]
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    sql = f"SELECT * FROM economic_events{cond} ORDER BY scheduled_at, id LIMIT :n"  # noqa: S608
    rows = (await conn.execute(text(sql), params)).mappings()
    return [_event(r) for r in rows]
