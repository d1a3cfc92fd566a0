"""The screener through GraphQL: typed filters over the snapshot, paging, saved screens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos.screening import all_snapshots
from domain.screening.fields import ScreenField
from domain.screening.filters import Condition, ScreenOperator, matches
from domain.screening.snapshots import Snapshot
from tests.api.conftest import Api
from tests.api.test_profiles import login, signed_in
from tests.conftest import GraphQLClient

SCREEN = """
query S($f: ScreenFilterInput, $s: [ScreenSortInput!], $first: Int, $after: String, $id: UUID) {
  screen(filter: $f, sort: $s, first: $first, after: $after, savedScreen: $id) {
    totalCount asOf pageInfo { hasNextPage endCursor }
    nodes { symbol sector indices pe roe marketCap rsi14 perf3m priceVsSma50 dividendYield }
  }
}
"""

FIVE = {
    "conditions": [
        {"field": "MARKET_CAP", "operator": "GT", "value": 2e10},
        {"field": "PE", "operator": "BETWEEN", "min": 3, "max": 12},
        {"field": "RSI14", "operator": "LT", "value": 70},
        {"field": "ROE", "operator": "GTE", "value": 10},
        {"field": "INDEX", "operator": "IN", "values": ["KSE100"]},
    ]
}


def _value(s: Snapshot, field: ScreenField) -> Any:
    if field is ScreenField.SECTOR:
        return s.sector
    if field is ScreenField.INDEX:
        return s.index_codes
    return s.values[field]


def _expected(rows: list[Snapshot], conditions: list[Condition]) -> list[Snapshot]:
    return [s for s in rows if all(matches(c, _value(s, c.field)) for c in conditions)]


async def test_five_conditions_select_exactly_the_matching_rows_largest_first(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    body = await gql(SCREEN, {"f": FIVE, "first": 100})
    assert "errors" not in body, body
    got = body["data"]["screen"]
    rows = await all_snapshots(engine)
    wanted = _expected(
        rows,
        [
            Condition(ScreenField.MARKET_CAP, ScreenOperator.GT, value=2e10),
            Condition(ScreenField.PE, ScreenOperator.BETWEEN, low=3, high=12),
            Condition(ScreenField.RSI14, ScreenOperator.LT, value=70),
            Condition(ScreenField.ROE, ScreenOperator.GTE, value=10),
            Condition(ScreenField.INDEX, ScreenOperator.IN, codes=("KSE100",)),
        ],
    )
    assert 3 <= len(wanted) < len(rows)  # the demo market gives the filter something to do
    wanted.sort(key=lambda s: -(s.values[ScreenField.MARKET_CAP] or 0))
    assert [n["symbol"] for n in got["nodes"]] == [s.symbol for s in wanted]
    assert got["totalCount"] == len(wanted)
    assert got["asOf"] == "2026-11-19"
    for node in got["nodes"]:
        assert 3 <= node["pe"] <= 12 and node["roe"] >= 10 and "KSE100" in node["indices"]


async def test_or_groups_and_sector_codes_combine_with_the_conditions(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    f = {
        "conditions": [{"field": "SECTOR", "operator": "NOT_IN", "values": ["0807"]}],
        "anyOf": [
            {
                "conditions": [
                    {"field": "DIVIDEND_YIELD", "operator": "GT", "value": 8},
                    {"field": "PERF_3M", "operator": "LT", "value": -10},
                ]
            }
        ],
    }
    sort = [{"field": "PE", "direction": "ASC"}]
    body = await gql(SCREEN, {"f": f, "s": sort, "first": 100})
    assert "errors" not in body, body
    rows = await all_snapshots(engine)
    wanted = [
        s
        for s in rows
        if s.sector != "0807"
        and (
            matches(
                Condition(ScreenField.DIVIDEND_YIELD, ScreenOperator.GT, value=8),
                s.values[ScreenField.DIVIDEND_YIELD],
            )
            or matches(
                Condition(ScreenField.PERF_3M, ScreenOperator.LT, value=-10),
                s.values[ScreenField.PERF_3M],
            )
        )
    ]
    assert wanted
    # Ascending P/E, unknown P/E last, ties by symbol.
    wanted.sort(
        key=lambda s: (s.values[ScreenField.PE] is None, s.values[ScreenField.PE] or 0, s.symbol)
    )
    assert [n["symbol"] for n in body["data"]["screen"]["nodes"]] == [s.symbol for s in wanted]


async def test_pages_cover_every_match_once(gql: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    total = None
    while True:
        body = await gql(SCREEN, {"f": {"conditions": []}, "first": 30, "after": after})
        page = body["data"]["screen"]
        total = page["totalCount"]
        seen += [n["symbol"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total == 104 and len(seen) == 104 and len(set(seen)) == 104


@pytest.mark.parametrize(
    ("condition", "field", "code"),
    [
        (
            {"field": "PE", "operator": "IN", "values": ["1"]},
            "filter.conditions[0].operator",
            "INVALID",
        ),
        ({"field": "PE", "operator": "BETWEEN", "min": 9}, "filter.conditions[0].max", "INVALID"),
        (
            {"field": "SECTOR", "operator": "IN", "values": ["9999"]},
            "filter.conditions[0].values",
            "NOT_FOUND",
        ),
        (
            {"field": "INDEX", "operator": "IN", "values": ["NOPE"]},
            "filter.conditions[0].values",
            "UNKNOWN_INDEX",
        ),
    ],
)
async def test_bad_conditions_are_errors_naming_them(
    gql: GraphQLClient, condition: dict[str, Any], field: str, code: str
) -> None:
    body = await gql(SCREEN, {"f": {"conditions": [condition]}})
    assert body["data"] is None
    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["code"]) == (field, code)


async def test_unknown_fields_and_operators_are_rejected_before_running(gql: GraphQLClient) -> None:
    for condition in (
        {"field": "PEG", "operator": "GT", "value": 1},
        {"field": "PE", "operator": "LIKE", "value": 1},
    ):
        body = await gql(SCREEN, {"f": {"conditions": [condition]}})
        assert body["data"] is None
        assert (
            "ScreenField" in body["errors"][0]["message"]
            or "ScreenOperator" in body["errors"][0]["message"]
        )


async def test_screen_fields_describe_every_field(gql: GraphQLClient) -> None:
    body = await gql("{ screenFields { field group description operators } }")
    fields = {f["field"]: f for f in body["data"]["screenFields"]}
    assert set(fields) == {f.value for f in ScreenField}
    assert fields["SECTOR"]["operators"] == ["EQ", "IN", "NE", "NOT_IN"]
    assert "BETWEEN" in fields["PE"]["operators"] and fields["PE"]["group"] == "FUNDAMENTAL"
    assert all(f["description"] for f in fields.values())


SAVE = """
mutation S($i: SaveScreenInput!) {
  saveScreen(input: $i) { screen { id name filter sort } errors { field code message } }
}
"""


async def _saved_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM saved_screens")) or 0)


async def test_saved_screens_belong_to_their_owner(api: Api, engine: AsyncEngine) -> None:
    before = await _saved_count(engine)
    anonymous = await api(SAVE, {"i": {"name": "Value", "filter": FIVE}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _saved_count(engine) == before
    _, owner = await signed_in(api)
    token = owner["accessToken"]
    saved = (await api(SAVE, {"i": {"name": "  Value  picks ", "filter": FIVE}}, token=token))[
        "data"
    ]["saveScreen"]
    assert saved["errors"] == []
    screen_id = saved["screen"]["id"]
    assert saved["screen"]["name"] == "Value picks"
    assert saved["screen"]["sort"] == [{"field": "MARKET_CAP", "direction": "DESC"}]
    direct = await api(SCREEN, {"f": FIVE, "first": 100})
    again = await api(SCREEN, {"id": screen_id, "first": 100}, token=token)
    assert again["data"]["screen"]["nodes"] == direct["data"]["screen"]["nodes"]
    # Saving under the same name replaces the filter, keeping the id.
    narrower = {"conditions": [*FIVE["conditions"], {"field": "PE", "operator": "LT", "value": 6}]}
    replaced = (await api(SAVE, {"i": {"name": "Value picks", "filter": narrower}}, token=token))[
        "data"
    ]["saveScreen"]
    assert replaced["screen"]["id"] == screen_id
    listed = await api("{ savedScreens { id name } }", token=token)
    assert listed["data"]["savedScreens"] == [{"id": screen_id, "name": "Value picks"}]
    # Another user sees nothing of it.
    _, other = await signed_in(api)
    theirs = await api(SCREEN, {"id": screen_id}, token=other["accessToken"])
    assert theirs["data"] is None and theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api("{ savedScreens { id } }", token=other["accessToken"]))["data"][
        "savedScreens"
    ] == []
    delete = "mutation D($id: UUID!) { deleteScreen(id: $id) { deletedId errors { code } } }"
    refused = await api(delete, {"id": screen_id}, token=other["accessToken"])
    assert refused["data"]["deleteScreen"] == {"deletedId": None, "errors": [{"code": "NOT_FOUND"}]}
    done = await api(delete, {"id": screen_id}, token=token)
    assert done["data"]["deleteScreen"] == {"deletedId": screen_id, "errors": []}
    assert await _saved_count(engine) == before


async def test_the_plan_caps_saved_screens_and_a_refusal_writes_nothing(
    api: Api, engine: AsyncEngine
) -> None:
    _, user = await signed_in(api)
    token = user["accessToken"]
    for n in range(10):  # the USER plan's cap
        body = await api(SAVE, {"i": {"name": f"s{n}", "filter": FIVE}}, token=token)
        assert body["data"]["saveScreen"]["errors"] == []
    before = await _saved_count(engine)
    over = (await api(SAVE, {"i": {"name": "one more", "filter": FIVE}}, token=token))["data"][
        "saveScreen"
    ]
    assert over["screen"] is None and over["errors"][0]["code"] == "TOO_LARGE"
    assert await _saved_count(engine) == before
    bad = (await api(SAVE, {"i": {"name": "", "filter": FIVE}}, token=token))["data"]["saveScreen"]
    assert bad["errors"] == [
        {"field": "input.name", "code": "INVALID", "message": "A name of 1 to 80 characters."}
    ]


async def test_only_administrators_refresh_the_snapshot(api: Api, engine: AsyncEngine) -> None:
    email, user = await signed_in(api)
    refused = await api("mutation { refreshScreener }", token=user["accessToken"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'ADMIN' WHERE email = :e"), {"e": email})
    admin = await login(api, email)
    body = await api("mutation { refreshScreener }", token=admin["tokens"]["accessToken"])
    assert body["data"]["refreshScreener"] == 104
