"""Screener use cases: run a screen, list the fields, save and recall screens, refresh."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from db import screener
from db.repos import screening as repo
from domain.accounts.roles import ENTITLEMENTS
from domain.errors import DomainError, ErrorCode
from domain.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.screening.fields import ScreenField
from domain.screening.filters import (
    Condition,
    SavedScreen,
    ScreenFilter,
    SortKey,
    check_filter,
    check_sort,
    filter_from_json,
    filter_to_json,
    sort_from_json,
    sort_to_json,
)
from domain.screening.snapshots import Snapshot
from resolvers.accounts import require_user
from resolvers.context import Context

MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class ScreenPage:
    """One page of screen results and the day the snapshot is as of."""

    page: Page[Snapshot]
    as_of: date | None


async def _check_codes(ctx: Context, f: ScreenFilter, path: str) -> None:
    """Unknown sector or index codes are errors, not empty results."""
    ref = await ctx.services.reference.get()
    groups: list[tuple[str, Sequence[Condition]]] = [(f"{path}.conditions", f.conditions)]
    groups += [(f"{path}.anyOf[{g}].conditions", group) for g, group in enumerate(f.any_of)]
    for prefix, conditions in groups:
        for i, c in enumerate(conditions):
            where = f"{prefix}[{i}].values"
            if c.field is ScreenField.SECTOR:
                unknown = [v for v in c.codes if v not in ref.sector_by_code]
                if unknown:
                    raise DomainError(
                        ErrorCode.NOT_FOUND, f"Unknown sector code '{unknown[0]}'.", where
                    )
            if c.field is ScreenField.INDEX:
                unknown = [v for v in c.codes if v not in ref.index_by_code]
                if unknown:
                    raise DomainError(
                        ErrorCode.UNKNOWN_INDEX, f"Unknown index '{unknown[0]}'.", where
                    )


async def screen(
    ctx: Context,
    *,
    where: ScreenFilter | None,
    sort: Sequence[SortKey] | None,
    saved_id: uuid.UUID | None,
    first: int | None,
    after: str | None,
) -> ScreenPage:
    """Instruments of the snapshot matching a filter (or a saved screen), sorted and paged.

    Raises:
        DomainError: naming the bad condition, sort key, cursor or page size; NOT_FOUND for a
            saved screen that is not the user's.
    """
    if saved_id is not None:
        if where is not None or sort:
            raise DomainError(
                ErrorCode.INVALID, "Give a saved screen or a filter, not both.", "savedScreen"
            )
        saved = await _saved(ctx, saved_id, "savedScreen")
        where, sort = filter_from_json(saved.filter), sort_from_json(saved.sort)
    checked = check_filter(where or ScreenFilter())
    await _check_codes(ctx, checked, "filter")
    keys = check_sort(sort)
    size = page_size(first)
    offset = 0 if after is None else decode_cursor(after) + 1
    result = await repo.screen(
        ctx.services.database.read, where=checked, sort=keys, offset=offset, limit=size
    )
    page = Page(
        items=result.rows,
        cursors=tuple(encode_cursor(offset + i) for i in range(len(result.rows))),
        total=result.total,
        has_next=offset + size < result.total,
        has_previous=offset > 0,
    )
    return ScreenPage(page, result.as_of)


async def _saved(ctx: Context, screen_id: uuid.UUID, field: str) -> SavedScreen:
    user = require_user(ctx)
    found = await repo.saved_screen(
        ctx.services.database.read, user_id=user.user_id, screen_id=screen_id
    )
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such saved screen.", field)
    return found


async def save_screen(
    ctx: Context, *, name: str, where: ScreenFilter, sort: Sequence[SortKey] | None
) -> SavedScreen:
    """Save (or replace, by name) one of the user's screens; the plan caps how many.

    Raises:
        DomainError: for a bad name or filter, or the plan's cap.
    """
    user = require_user(ctx)
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        raise DomainError(ErrorCode.INVALID, f"A name of 1 to {MAX_NAME} characters.", "name")
    checked = check_filter(where)
    await _check_codes(ctx, checked, "filter")
    keys = check_sort(sort)
    cap = ENTITLEMENTS[user.role].max_saved_screens
    async with ctx.services.database.primary.begin() as conn:
        saved, created = await repo.save_screen(
            conn,
            user_id=user.user_id,
            name=clean,
            filter_json=filter_to_json(checked),
            sort_json=sort_to_json(keys),
        )
        # Counted after the write, inside the transaction: a refusal rolls the insert back.
        if created and await repo.count_saved_screens(conn, user.user_id) > cap:
            raise DomainError(
                ErrorCode.TOO_LARGE, f"Your plan allows {cap} saved screens; delete one first."
            )
    return saved


async def saved_screens(ctx: Context) -> list[SavedScreen]:
    """The user's saved screens by name."""
    user = require_user(ctx)
    return await repo.saved_screens(ctx.services.database.read, user_id=user.user_id)


async def delete_saved_screen(ctx: Context, screen_id: uuid.UUID) -> None:
    """Delete one of the user's saved screens.

    Raises:
        DomainError: NOT_FOUND, also for another user's screen.
    """
    user = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        if not await repo.delete_saved_screen(conn, user_id=user.user_id, screen_id=screen_id):
            raise DomainError(ErrorCode.NOT_FOUND, "No such saved screen.", "id")


async def refresh_screener(ctx: Context) -> int:
    """Rebuild the snapshot now (administrators); the number of instruments in it."""
    return await screener.refresh_screener(ctx.services.database.primary)
