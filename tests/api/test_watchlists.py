"""Watchlists through GraphQL: rename and delete by their owner only, the plan's caps on how
many watchlists a user keeps and how many symbols one holds; refusals write nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.roles import ENTITLEMENTS, Role
from tests.api.conftest import Api
from tests.api.test_portfolios import _call, _token
from tests.api.test_profiles import login, signed_in

WATCH = "watchlist { id name symbols } errors { field message code }"
CREATE = f"mutation C($i: CreateWatchlistInput!) {{ createWatchlist(input: $i) {{ {WATCH} }} }}"
RENAME = (
    "mutation R($w: UUID!, $n: String!) "
    f"{{ renameWatchlist(watchlistId: $w, input: {{name: $n}}) {{ {WATCH} }} }}"
)
DELETE = (
    "mutation D($w: UUID!) "
    "{ deleteWatchlist(watchlistId: $w) { deletedId errors { field message code } } }"
)
ADD = f"mutation A($w: UUID!, $s: [String!]!) {{ addToWatchlist(watchlistId: $w, symbols: $s) {{ {WATCH} }} }}"
REMOVE = f"mutation R($w: UUID!, $s: [String!]!) {{ removeFromWatchlist(watchlistId: $w, symbols: $s) {{ {WATCH} }} }}"
MINE = "{ watchlists { id name symbols } }"
USER = ENTITLEMENTS[Role.USER]


async def _create(api: Api, token: str, name: str, symbols: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = (
        await _call(api, CREATE, {"i": {"name": name, "symbols": symbols}}, token)
    )["createWatchlist"]
    return result


async def _symbols(engine: AsyncEngine, n: int) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT symbol FROM instruments ORDER BY symbol LIMIT :n"), {"n": n}
        )
        return [r.symbol for r in rows]


async def _items(engine: AsyncEngine, watchlist_id: str) -> int:
    async with engine.connect() as conn:
        count: int = await conn.scalar(
            text("SELECT count(*) FROM watchlist_items WHERE watchlist_id = :w"),
            {"w": uuid.UUID(watchlist_id)},
        )
    return count


async def test_rename_and_delete_keep_names_unique_and_take_the_symbols_with_them(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    banks = (await _create(api, token, "Banks", ["MCB", "HBL"]))["watchlist"]
    await _create(api, token, "Energy", ["HUBC"])

    renamed = await _call(api, RENAME, {"w": banks["id"], "n": "  Lenders "}, token)
    assert renamed["renameWatchlist"] == {
        "watchlist": {"id": banks["id"], "name": "Lenders", "symbols": ["MCB", "HBL"]},
        "errors": [],
    }
    taken = (await _call(api, RENAME, {"w": banks["id"], "n": "Energy"}, token))["renameWatchlist"]
    assert taken == {
        "watchlist": None,
        "errors": [
            {
                "field": "input.name",
                "message": "You already have a watchlist of that name.",
                "code": "INVALID",
            }
        ],
    }
    empty = (await _call(api, RENAME, {"w": banks["id"], "n": "  "}, token))["renameWatchlist"]
    assert [e["field"] for e in empty["errors"]] == ["input.name"]

    deleted = (await _call(api, DELETE, {"w": banks["id"]}, token))["deleteWatchlist"]
    assert deleted == {"deletedId": banks["id"], "errors": []}
    assert await _items(engine, banks["id"]) == 0
    mine = await _call(api, MINE, {}, token)
    assert [w["name"] for w in mine["watchlists"]] == ["Energy"]
    again = (await _call(api, DELETE, {"w": banks["id"]}, token))["deleteWatchlist"]
    assert again == {
        "deletedId": None,
        "errors": [{"field": "watchlistId", "message": "No such watchlist.", "code": "NOT_FOUND"}],
    }


OWNER_MUTATIONS = [
    ("renameWatchlist", RENAME, {"n": "Theirs"}),
    ("deleteWatchlist", DELETE, {}),
    ("addToWatchlist", ADD, {"s": ["OGDC"]}),
    ("removeFromWatchlist", REMOVE, {"s": ["MCB"]}),
]


async def test_another_users_watchlist_is_the_same_not_found_as_no_watchlist_and_unchanged(
    api: Api,
) -> None:
    owner, other = await _token(api), await _token(api)
    made = (await _create(api, owner, "Banks", ["MCB", "HBL"]))["watchlist"]
    for name, mutation, extra in OWNER_MUTATIONS:
        theirs = (await _call(api, mutation, {"w": made["id"], **extra}, other))[name]
        nowhere = (await _call(api, mutation, {"w": str(uuid.uuid4()), **extra}, other))[name]
        assert theirs == nowhere, name
        assert theirs["errors"] == [
            {"field": "watchlistId", "message": "No such watchlist.", "code": "NOT_FOUND"}
        ], name
    assert (await _call(api, MINE, {}, other)) == {"watchlists": []}
    assert (await _call(api, MINE, {}, owner)) == {
        "watchlists": [{"id": made["id"], "name": "Banks", "symbols": ["MCB", "HBL"]}]
    }


async def test_the_plan_caps_how_many_watchlists_a_user_keeps(api: Api) -> None:
    token = await _token(api)
    made = [
        (await _create(api, token, f"List {n}", []))["watchlist"]["id"]
        for n in range(USER.max_watchlists)
    ]
    refused = await _create(api, token, "One more", ["HBL"])
    assert refused == {
        "watchlist": None,
        "errors": [
            {
                "field": None,
                "message": f"Your plan allows {USER.max_watchlists} watchlists; delete one first.",
                "code": "TOO_LARGE",
            }
        ],
    }
    assert len((await _call(api, MINE, {}, token))["watchlists"]) == USER.max_watchlists
    assert (await _call(api, DELETE, {"w": made[0]}, token))["deleteWatchlist"]["errors"] == []
    assert (await _create(api, token, "One more", ["HBL"]))["errors"] == []


async def test_the_plan_caps_the_symbols_on_a_watchlist_and_a_higher_plan_holds_more(
    api: Api, engine: AsyncEngine
) -> None:
    cap = USER.max_watchlist_symbols
    symbols = await _symbols(engine, cap + 1)
    assert len(symbols) == cap + 1
    email, tokens = await signed_in(api)
    token = tokens["accessToken"]
    too_many = await _create(api, token, "All", symbols)
    message = f"Your plan allows {cap} symbols on a watchlist."
    assert too_many == {
        "watchlist": None,
        "errors": [{"field": "input.symbols", "message": message, "code": "TOO_LARGE"}],
    }
    assert (await _call(api, MINE, {}, token)) == {"watchlists": []}
    full = (await _create(api, token, "All", symbols[:cap]))["watchlist"]
    assert len(full["symbols"]) == cap
    # Symbols already on it do not count twice.
    same = (await _call(api, ADD, {"w": full["id"], "s": symbols[:2]}, token))["addToWatchlist"]
    assert same["errors"] == []
    refused = (await _call(api, ADD, {"w": full["id"], "s": symbols[cap:]}, token))[
        "addToWatchlist"
    ]
    assert refused == {
        "watchlist": None,
        "errors": [{"field": "symbols", "message": message, "code": "TOO_LARGE"}],
    }
    assert await _items(engine, full["id"]) == cap

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'PREMIUM' WHERE email = :e"), {"e": email})
    premium = (await login(api, email))["tokens"]["accessToken"]
    added = (await _call(api, ADD, {"w": full["id"], "s": symbols[cap:]}, premium))[
        "addToWatchlist"
    ]
    assert added["errors"] == [] and added["watchlist"]["symbols"] == symbols
