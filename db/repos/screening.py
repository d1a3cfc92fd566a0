"""The screener's storage: history in for the snapshot, the snapshot out, screens, saved screens.

A screen is one statement over `screen_snapshots`: the typed filter becomes a WHERE clause of
bound parameters (column names come from the field enum, never from input), sorted with
unknown values last and the symbol as the final tie-break, with the total count alongside.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.models.screening import SavedScreenRow, screen_snapshots
from domain.screening.fields import NUMERIC_FIELDS, ScreenField
from domain.screening.filters import (
    Condition,
    SavedScreen,
    ScreenFilter,
    ScreenOperator,
    SortDirection,
    SortKey,
)
from domain.screening.snapshots import Snapshot

T = screen_snapshots.c


async def daily_history(engine: AsyncEngine, *, since: date) -> pl.DataFrame:
    """Every instrument's daily bars from `since` on, as the snapshot's frame."""
    sql = text(
        "SELECT instrument_id, day, open::float8 AS open, high::float8 AS high,"
        " low::float8 AS low, close::float8 AS close, volume::float8 AS volume,"
        " turnover::float8 AS turnover FROM daily_bars WHERE day >= :since"
        " ORDER BY instrument_id, day"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, {"since": since})).all()
    schema = {
        "instrument_id": pl.Int64,
        "day": pl.Date,
        **dict.fromkeys(("open", "high", "low", "close", "volume", "turnover"), pl.Float64),
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


async def index_history(engine: AsyncEngine, *, index_id: int, since: date) -> pl.DataFrame:
    """An index's daily closes from `since` on (`day`, `close`)."""
    sql = text(
        "SELECT day, close::float8 AS close FROM index_daily_bars"
        " WHERE index_id = :id AND day >= :since ORDER BY day"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, {"id": index_id, "since": since})).all()
    return pl.DataFrame(
        [tuple(r) for r in rows], schema={"day": pl.Date, "close": pl.Float64}, orient="row"
    )


async def replace_snapshots(conn: AsyncConnection, rows: Sequence[Snapshot]) -> int:
    """Replace the whole snapshot (inside the caller's transaction); the count written."""
    await conn.execute(delete(screen_snapshots))
    if rows:
        await conn.execute(
            insert(screen_snapshots),
            [
                {
                    "instrument_id": s.instrument_id,
                    "symbol": s.symbol,
                    "as_of": s.as_of,
                    "sector": s.sector,
                    "index_codes": list(s.index_codes),
                    **{f.column: s.values.get(f) for f in NUMERIC_FIELDS},
                }
                for s in rows
            ],
        )
    return len(rows)


def _condition(c: Condition) -> ColumnElement[bool]:
    if c.field is ScreenField.INDEX:
        overlap: ColumnElement[bool] = T.index_codes.overlap(cast(list(c.codes), ARRAY(Text)))
        return (
            not_(overlap) if c.operator in (ScreenOperator.NE, ScreenOperator.NOT_IN) else overlap
        )
    column = T[c.field.column]
    if c.field is ScreenField.SECTOR:
        hit = column.in_(list(c.codes))
        return not_(hit) if c.operator in (ScreenOperator.NE, ScreenOperator.NOT_IN) else hit
    if c.operator is ScreenOperator.BETWEEN:
        return column.between(c.low, c.high)
    # A NULL (unknown) value satisfies no comparison: SQL's three-valued logic does that.
    return {
        ScreenOperator.GT: column > c.value,
        ScreenOperator.GTE: column >= c.value,
        ScreenOperator.LT: column < c.value,
        ScreenOperator.LTE: column <= c.value,
        ScreenOperator.EQ: column == c.value,
        ScreenOperator.NE: and_(column.is_not(None), column != c.value),
    }[c.operator]


def _where(f: ScreenFilter) -> ColumnElement[bool]:
    terms = [_condition(c) for c in f.conditions]
    terms += [or_(*(_condition(c) for c in group)) for group in f.any_of]
    return and_(true(), *terms)


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """One page of a screen: the rows, and how many instruments matched in all."""

    rows: tuple[Snapshot, ...]
    total: int
    as_of: date | None


async def screen(
    engine: AsyncEngine,
    *,
    where: ScreenFilter,
    sort: Sequence[SortKey],
    offset: int,
    limit: int,
) -> ScreenResult:
    """Instruments matching a checked filter, sorted, one page of them."""
    order = []
    for key in sort:
        column = T[key.field.column]
        order.append(
            column.asc().nulls_last()
            if key.direction is SortDirection.ASC
            else column.desc().nulls_last()
        )
    stmt = (
        select(screen_snapshots, func.count().over().label("total_count"))
        .where(_where(where))
        .order_by(*order, T.symbol)
        .offset(offset)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(stmt)]
        if rows:
            total = int(rows[0]["total_count"])  # the window count: one statement
        else:
            total = int(
                (
                    await conn.execute(
                        select(func.count()).select_from(screen_snapshots).where(_where(where))
                    )
                ).scalar_one()
            )
        as_of = (await conn.execute(select(func.max(T.as_of)))).scalar_one()
    return ScreenResult(tuple(_snapshot(r) for r in rows), total, as_of)


def _snapshot(r: dict[str, Any]) -> Snapshot:
    return Snapshot(
        instrument_id=r["instrument_id"],
        symbol=r["symbol"],
        as_of=r["as_of"],
        sector=r["sector"],
        index_codes=tuple(r["index_codes"]),
        values={f: r[f.column] for f in NUMERIC_FIELDS},
    )


async def all_snapshots(engine: AsyncEngine) -> list[Snapshot]:
    """The whole snapshot, by symbol (for checks and tools)."""
    stmt = select(screen_snapshots).order_by(T.symbol)
    async with engine.connect() as conn:
        return [_snapshot(dict(r._mapping)) for r in await conn.execute(stmt)]


_SAVED = (
    SavedScreenRow.id,
    SavedScreenRow.name,
    SavedScreenRow.filter,
    SavedScreenRow.sort,
    SavedScreenRow.created_at,
    SavedScreenRow.updated_at,
)


def _saved(r: Any) -> SavedScreen:
    return SavedScreen(r.id, r.name, r.filter, r.sort, r.created_at, r.updated_at)


async def count_saved_screens(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    """How many screens a user has saved."""
    stmt = select(func.count()).select_from(SavedScreenRow).where(SavedScreenRow.user_id == user_id)
    return int((await conn.execute(stmt)).scalar_one())


async def save_screen(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID,
    name: str,
    filter_json: dict[str, Any],
    sort_json: list[Any],
) -> tuple[SavedScreen, bool]:
    """Create the user's screen of that name, or replace its filter; (screen, created)."""
    existing = (
        await conn.execute(
            select(SavedScreenRow.id)
            .where(SavedScreenRow.user_id == user_id, SavedScreenRow.name == name)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if existing is None:
        added = insert(SavedScreenRow).values(
            user_id=user_id, name=name, filter=filter_json, sort=sort_json
        )
        row = (await conn.execute(added.returning(*_SAVED))).one()
    else:
        changed = (
            update(SavedScreenRow)
            .where(SavedScreenRow.id == existing)
            .values(filter=filter_json, sort=sort_json, updated_at=func.now())
        )
        row = (await conn.execute(changed.returning(*_SAVED))).one()
    return _saved(row), existing is None


async def saved_screens(engine: AsyncEngine, *, user_id: uuid.UUID) -> list[SavedScreen]:
    """A user's saved screens by name."""
    stmt = select(*_SAVED).where(SavedScreenRow.user_id == user_id).order_by(SavedScreenRow.name)
    async with engine.connect() as conn:
        return [_saved(r) for r in await conn.execute(stmt)]


async def saved_screen(
    engine: AsyncEngine, *, user_id: uuid.UUID, screen_id: uuid.UUID
) -> SavedScreen | None:
    """One of the user's saved screens (None for another user's)."""
    stmt = select(*_SAVED).where(SavedScreenRow.user_id == user_id, SavedScreenRow.id == screen_id)
    async with engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    return None if row is None else _saved(row)


async def delete_saved_screen(
    conn: AsyncConnection, *, user_id: uuid.UUID, screen_id: uuid.UUID
) -> bool:
    """Delete one of the user's saved screens; False when there was none."""
    stmt = delete(SavedScreenRow).where(
        SavedScreenRow.user_id == user_id, SavedScreenRow.id == screen_id
    )
    result = await conn.execute(stmt)
    return bool(result.rowcount)
