"""Portfolios through GraphQL: the ledger's figures by hand, refusals that write nothing,
owners only for every field and mutation, the plan's cap, corporate actions once."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.portfolios.risk import SESSIONS_PER_YEAR
from resolvers.portfolio_views import clear_replay_cache
from tests.api.conftest import Api
from tests.api.test_profiles import signed_in
from tests.conftest import DEMO_END

D = Decimal
ERRORS = "errors { field message code }"
CREATE = f"""
mutation C($i: CreatePortfolioInput!) {{
  createPortfolio(input: $i) {{ portfolio {{ id name costMethod tracksCash filer baseCurrency }} {ERRORS} }}
}}
"""
LEDGER = f"portfolio {{ id }} added {{ id type tradeDate settlementDate symbol quantity price fees taxes note corporateActionId }} deletedIds {ERRORS}"
RECORD = f"""
mutation R($p: UUID!, $i: RecordTransactionInput!) {{
  recordTransaction(portfolioId: $p, input: $i) {{ {LEDGER} }}
}}
"""
DELETE_TX = f"""
mutation D($p: UUID!, $t: ID!) {{ deleteTransaction(portfolioId: $p, transactionId: $t) {{ {LEDGER} }} }}
"""
POSITIONS = """
query P($id: UUID!) {
  portfolio(id: $id) {
    name
    positions { symbol quantity averageCost costBasis price marketValue unrealisedPnl realisedPnl
                dividends weight lots { acquired quantity cost } }
    summary { totalValue holdingsValue cash costBasis realisedPnl unpriced }
  }
}
"""


async def _token(api: Api) -> str:
    _, tokens = await signed_in(api)
    token: str = tokens["accessToken"]
    return token


async def _call(api: Api, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = await api(query, variables, token=token)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _create(api: Api, token: str, name: str = "Main", **extra: Any) -> str:
    data = await _call(api, CREATE, {"i": {"name": name, **extra}}, token)
    assert data["createPortfolio"]["errors"] == [], data
    portfolio_id: str = data["createPortfolio"]["portfolio"]["id"]
    return portfolio_id


async def _record(api: Api, token: str, portfolio_id: str, **entry: Any) -> dict[str, Any]:
    data = await _call(api, RECORD, {"p": portfolio_id, "i": entry}, token)
    result: dict[str, Any] = data["recordTransaction"]
    return result


async def _rows(engine: AsyncEngine, portfolio_id: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT type, trade_date, symbol, quantity, price, fees, taxes"
                " FROM portfolio_transactions WHERE portfolio_id = :p ORDER BY id"
            ),
            {"p": uuid.UUID(portfolio_id)},
        )
        return [tuple(r) for r in rows]


async def _close(engine: AsyncEngine, symbol: str, day: date) -> Decimal:
    async with engine.connect() as conn:
        value: Decimal = await conn.scalar(
            text(
                "SELECT b.close FROM daily_bars b JOIN instruments i ON i.id = b.instrument_id"
                " WHERE i.symbol = :s AND b.day <= :d ORDER BY b.day DESC LIMIT 1"
            ),
            {"s": symbol, "d": day},
        )
    return value


async def _hubc_statement(api: Api, token: str, portfolio_id: str) -> None:
    """The fixture statement's trades (tests/fixtures/portfolios.py), without cash."""
    for entry in (
        {
            "type": "BUY",
            "tradeDate": "2025-01-06",
            "symbol": "HUBC",
            "quantity": 100,
            "price": "120.00",
        },
        {
            "type": "BUY",
            "tradeDate": "2025-02-03",
            "symbol": "hubc",
            "quantity": 200,
            "price": "135.50",
        },
        {
            "type": "SELL",
            "tradeDate": "2025-03-10",
            "symbol": "HUBC",
            "quantity": 150,
            "price": "150.00",
        },
    ):
        assert (await _record(api, token, portfolio_id, **entry))["errors"] == []


async def test_positions_carry_the_statements_costs_and_fifo_gain(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    data = await _call(api, POSITIONS, {"id": portfolio_id}, token)
    [hubc] = data["portfolio"]["positions"]
    # FIFO: the 150 sold take lot 1 (12,022.18) and 50 of lot 2 (27,149.98 × 50/200 = 6,787.50).
    assert hubc["quantity"] == 150
    assert D(hubc["costBasis"]) == D("27149.98") - D("6787.50")
    assert D(hubc["realisedPnl"]) == D("22460.81") - D("12022.18") - D("6787.50")
    assert hubc["lots"] == [{"acquired": "2025-02-03", "quantity": 150, "cost": "20362.48"}]
    last = await _close(engine, "HUBC", DEMO_END)
    assert D(str(hubc["price"])) == last
    assert D(hubc["marketValue"]) == (last * 150).quantize(D("0.01"))
    assert D(hubc["unrealisedPnl"]) == D(hubc["marketValue"]) - D("20362.48")
    assert hubc["weight"] == pytest.approx(1.0)
    summary = data["portfolio"]["summary"]
    assert summary["cash"] is None and summary["unpriced"] == []
    assert D(summary["totalValue"]) == D(hubc["marketValue"])
    rows = await _rows(engine, portfolio_id)
    assert rows[1] == ("BUY", date(2025, 2, 3), "HUBC", 200, D("135.5000"), D("41.99"), D("7.99"))


async def test_a_sell_beyond_the_holding_is_refused_and_nothing_is_written(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    before = await _rows(engine, portfolio_id)
    book = await _stored_book(engine, portfolio_id, "b.ledger_version")
    refused = await _record(
        api,
        token,
        portfolio_id,
        type="SELL",
        tradeDate="2025-03-11",
        symbol="HUBC",
        quantity=151,
        price="150.00",
    )
    assert refused == {
        "portfolio": None,
        "added": [],
        "deletedIds": [],
        "errors": [
            {
                "field": "input.quantity",
                "message": "Cannot sell 151 HUBC on 2025-03-11: 150 held.",
                "code": "INVALID",
            }
        ],
    }
    # A SELL dated before the second purchase breaks the ledger too, though 150 are held now.
    early = await _record(
        api,
        token,
        portfolio_id,
        type="SELL",
        tradeDate="2025-01-07",
        symbol="HUBC",
        quantity=101,
        price="121.00",
    )
    assert [e["field"] for e in early["errors"]] == ["input.quantity"]
    assert await _rows(engine, portfolio_id) == before
    # Neither the ledger version nor the stored book moved.
    assert await _stored_book(engine, portfolio_id, "b.ledger_version") == book == (True, book[1])


async def test_deleting_the_purchase_a_later_sale_needs_is_refused(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    listing = await _call(
        api,
        "query T($id: UUID!) { portfolio(id: $id) { transactions { nodes { id type } } } }",
        {"id": portfolio_id},
        token,
    )
    nodes = listing["portfolio"]["transactions"]["nodes"]
    assert [n["type"] for n in nodes] == ["SELL", "BUY", "BUY"]  # newest first
    second_buy = nodes[1]["id"]
    refused = (await _call(api, DELETE_TX, {"p": portfolio_id, "t": second_buy}, token))[
        "deleteTransaction"
    ]
    assert refused["errors"] == [
        {
            "field": "transactionId",
            "message": "Deleting it would break the ledger: Cannot sell 150 HUBC on 2025-03-10: 100 held.",
            "code": "INVALID",
        }
    ]
    assert len(await _rows(engine, portfolio_id)) == 3
    sale = nodes[0]["id"]
    done = (await _call(api, DELETE_TX, {"p": portfolio_id, "t": sale}, token))["deleteTransaction"]
    assert (done["errors"], done["deletedIds"]) == ([], [sale])
    assert [r[0] for r in await _rows(engine, portfolio_id)] == ["BUY", "BUY"]


async def test_transactions_page_and_filter_newest_first(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    assert (
        await _record(
            api,
            token,
            portfolio_id,
            type="BUY",
            tradeDate="2025-04-08",
            symbol="OGDC",
            quantity=10,
            price="200.00",
        )
    )["errors"] == []
    query = """
    query T($id: UUID!, $after: String, $s: String, $t: TransactionType, $f: Date, $to: Date) {
      portfolio(id: $id) {
        transactions(first: 2, after: $after, symbol: $s, type: $t, from: $f, to: $to) {
          totalCount pageInfo { hasNextPage endCursor } nodes { tradeDate symbol type }
        }
      }
    }
    """
    page = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]["transactions"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"]
    assert [n["tradeDate"] for n in page["nodes"]] == ["2025-04-08", "2025-03-10"]
    rest = (
        await _call(api, query, {"id": portfolio_id, "after": page["pageInfo"]["endCursor"]}, token)
    )["portfolio"]["transactions"]
    assert [n["tradeDate"] for n in rest["nodes"]] == ["2025-02-03", "2025-01-06"]
    assert not rest["pageInfo"]["hasNextPage"]
    buys = (
        await _call(
            api,
            query,
            {"id": portfolio_id, "s": "hubc", "t": "BUY", "f": "2025-01-07", "to": "2025-12-31"},
            token,
        )
    )["portfolio"]["transactions"]
    assert buys["totalCount"] == 1 and buys["nodes"][0]["tradeDate"] == "2025-02-03"


async def test_create_rename_delete_with_names_unique_per_owner_and_the_plans_cap(
    api: Api,
) -> None:
    token = await _token(api)
    first = await _create(api, token, "Main", costMethod="AVERAGE", tracksCash=True, filer=False)
    taken = await _call(api, CREATE, {"i": {"name": " Main "}}, token)
    assert taken["createPortfolio"]["errors"] == [
        {
            "field": "input.name",
            "message": "You already have a portfolio of that name.",
            "code": "INVALID",
        }
    ]
    usd = await _call(api, CREATE, {"i": {"name": "Dollars", "baseCurrency": "USD"}}, token)
    assert [e["field"] for e in usd["createPortfolio"]["errors"]] == ["input.baseCurrency"]
    await _create(api, token, "Second")
    # The USER tier keeps two portfolios.
    capped = await _call(api, CREATE, {"i": {"name": "Third"}}, token)
    assert capped["createPortfolio"]["errors"] == [
        {
            "field": None,
            "message": "Your plan allows 2 portfolios; delete one first.",
            "code": "TOO_LARGE",
        }
    ]
    rename = """
    mutation N($p: UUID!, $n: String!) {
      renamePortfolio(portfolioId: $p, input: {name: $n}) { portfolio { name } errors { field code } }
    }
    """
    assert (await _call(api, rename, {"p": first, "n": "Second"}, token))["renamePortfolio"][
        "errors"
    ] == [{"field": "input.name", "code": "INVALID"}]
    renamed = await _call(api, rename, {"p": first, "n": "  Long term "}, token)
    assert renamed["renamePortfolio"] == {"portfolio": {"name": "Long term"}, "errors": []}
    listed = await _call(api, "{ portfolios { name costMethod tracksCash filer } }", {}, token)
    assert listed["portfolios"] == [
        {"name": "Long term", "costMethod": "AVERAGE", "tracksCash": True, "filer": False},
        {"name": "Second", "costMethod": "FIFO", "tracksCash": False, "filer": True},
    ]
    delete = (
        "mutation X($p: UUID!) { deletePortfolio(portfolioId: $p) { deletedId errors { code } } }"
    )
    assert (await _call(api, delete, {"p": first}, token))["deletePortfolio"] == {
        "deletedId": first,
        "errors": [],
    }
    assert len((await _call(api, "{ portfolios { id } }", {}, token))["portfolios"]) == 1


async def test_cash_portfolios_refuse_spending_cash_they_lack(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token, tracksCash=True)
    short = await _record(
        api,
        token,
        portfolio_id,
        type="BUY",
        tradeDate="2025-01-06",
        symbol="HUBC",
        quantity=100,
        price="120.00",
    )
    assert [(e["field"], e["code"]) for e in short["errors"]] == [("input.quantity", "INVALID")]
    assert await _rows(engine, portfolio_id) == []
    assert (
        await _record(
            api, token, portfolio_id, type="DEPOSIT", tradeDate="2025-01-02", amount="50000"
        )
    )["errors"] == []
    assert (
        await _record(
            api,
            token,
            portfolio_id,
            type="BUY",
            tradeDate="2025-01-06",
            symbol="HUBC",
            quantity=100,
            price="120.00",
        )
    )["errors"] == []
    data = await _call(api, POSITIONS, {"id": portfolio_id}, token)
    assert D(data["portfolio"]["summary"]["cash"]) == D("50000.00") - D("12022.18")


async def test_unknown_symbols_and_bad_fields_are_named(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    unknown = await _record(
        api,
        token,
        portfolio_id,
        type="BUY",
        tradeDate="2025-01-06",
        symbol="NOPE",
        quantity=1,
        price="1.00",
    )
    assert unknown["errors"] == [
        {"field": "input.symbol", "message": "Unknown symbol 'NOPE'.", "code": "UNKNOWN_SYMBOL"}
    ]
    sunday = await _record(
        api,
        token,
        portfolio_id,
        type="BUY",
        tradeDate="2025-01-05",
        symbol="HUBC",
        quantity=1,
        price="1.00",
    )
    assert [e["field"] for e in sunday["errors"]] == ["input.tradeDate"]
    future = await _record(
        api,
        token,
        portfolio_id,
        type="BUY",
        tradeDate="2026-11-20",
        symbol="HUBC",
        quantity=1,
        price="1.00",
    )
    assert [(e["field"], e["code"]) for e in future["errors"]] == [
        ("input.tradeDate", "OUT_OF_RANGE")
    ]


async def test_add_update_and_remove_position_keep_the_history(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    add = f"""
    mutation A($p: UUID!, $i: AddPositionInput!) {{ addPosition(portfolioId: $p, input: $i) {{ {LEDGER} }} }}
    """
    opening = (
        await _call(
            api,
            add,
            {
                "p": portfolio_id,
                "i": {
                    "symbol": "OGDC",
                    "quantity": 1000,
                    "price": "180.00",
                    "tradeDate": "2025-06-02",
                    "openingBalance": True,
                },
            },
            token,
        )
    )["addPosition"]
    assert opening["errors"] == []
    assert [(a["type"], a["fees"], a["taxes"], a["note"]) for a in opening["added"]] == [
        ("BUY", "0.00", "0.00", "Opening balance")
    ]
    update = f"""
    mutation U($p: UUID!, $i: UpdatePositionInput!) {{ updatePosition(portfolioId: $p, input: $i) {{ {LEDGER} }} }}
    """
    more = (
        await _call(
            api,
            update,
            {
                "p": portfolio_id,
                "i": {
                    "symbol": "OGDC",
                    "quantity": 1200,
                    "costBasis": "220000",
                    "tradeDate": "2025-06-03",
                },
            },
            token,
        )
    )["updatePosition"]
    # 200 more shares carrying the extra Rs 40,000: a charge-free BUY at Rs 200.00.
    assert [(a["type"], a["quantity"], a["price"], a["note"]) for a in more["added"]] == [
        ("BUY", 200, "200.00", "Adjustment")
    ]
    fewer = (
        await _call(
            api,
            update,
            {
                "p": portfolio_id,
                "i": {"symbol": "OGDC", "quantity": 600, "tradeDate": "2025-06-04"},
            },
            token,
        )
    )["updatePosition"]
    # Fewer shares at the average cost (220,000 / 1,200 = 183.33): no gain to speak of.
    assert [(a["type"], a["quantity"], a["price"]) for a in fewer["added"]] == [
        ("SELL", 600, "183.33")
    ]
    remove = f"""
    mutation X($p: UUID!, $i: RemovePositionInput!) {{ removePosition(portfolioId: $p, input: $i) {{ {LEDGER} }} }}
    """
    sold = (
        await _call(
            api,
            remove,
            {
                "p": portfolio_id,
                "i": {"symbol": "OGDC", "price": "250.00", "tradeDate": "2025-07-01"},
            },
            token,
        )
    )["removePosition"]
    assert [(a["type"], a["quantity"], a["price"]) for a in sold["added"]] == [
        ("SELL", 600, "250.00")
    ]
    data = await _call(api, POSITIONS, {"id": portfolio_id}, token)
    assert data["portfolio"]["positions"] == []
    assert [r[0] for r in await _rows(engine, portfolio_id)] == ["BUY", "BUY", "SELL", "SELL"]
    gone = (
        await _call(
            api, remove, {"p": portfolio_id, "i": {"symbol": "OGDC", "deleteEntries": True}}, token
        )
    )["removePosition"]
    assert gone["errors"] == [] and len(gone["deletedIds"]) == 4
    assert await _rows(engine, portfolio_id) == []


async def test_corporate_actions_are_applied_once(api: Api, engine: AsyncEngine) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    assert (
        await _record(
            api,
            token,
            portfolio_id,
            type="BUY",
            tradeDate="2024-12-02",
            symbol="PAEL",
            quantity=1000,
            price="30.00",
        )
    )["errors"] == []
    apply = f"mutation A($p: UUID!) {{ applyCorporateActions(portfolioId: $p) {{ {LEDGER} }} }}"
    first = (await _call(api, apply, {"p": portfolio_id}, token))["applyCorporateActions"]
    added = first["added"]
    # Demo PAEL: a 10% bonus ex 2024-12-31, then Rs 0.50 a share ex 2025-02-10 on 1,100 shares.
    assert [(a["type"], a["tradeDate"], a["quantity"]) for a in added[:2]] == [
        ("BONUS", "2024-12-31", 100),
        ("DIVIDEND", "2025-02-10", 1100),
    ]
    assert added[1]["price"] == "0.5000" and added[1]["taxes"] == "82.50"  # 15% of Rs 550
    assert all(a["corporateActionId"] is not None for a in added)
    again = (await _call(api, apply, {"p": portfolio_id}, token))["applyCorporateActions"]
    assert (again["added"], again["errors"]) == ([], [])
    assert len(await _rows(engine, portfolio_id)) == 1 + len(added)


async def test_performance_and_risk_of_a_holding_follow_its_closes(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    assert (
        await _record(
            api,
            token,
            portfolio_id,
            type="BUY",
            tradeDate="2025-01-06",
            symbol="HUBC",
            quantity=100,
            price="120.00",
        )
    )["errors"] == []
    query = """
    query P($id: UUID!) {
      portfolio(id: $id) {
        performance(range: Y1) {
          start end startValue endValue netFlows pnl twr
          series { day value dailyReturn }
          benchmark { code totalReturn }
        }
        risk(range: Y1, confidence: 0.99) {
          sessions riskFreeRate annualVolatility beta
          valueAtRisk { method confidence horizonDays }
          concentration { largestSymbol largestWeight }
        }
        allocation(by: SECTOR) { key value weight cash }
      }
    }
    """
    data = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]
    perf = data["performance"]
    assert perf["end"] == "2026-11-19" and perf["start"] > "2025-11-19"
    assert perf["netFlows"] == "0.00" and perf["benchmark"]["code"] == "KSE100"
    # No flows in the window: TWR is the holding's close-to-close change.
    opening = await _close(engine, "HUBC", date(2025, 11, 19))
    closing = await _close(engine, "HUBC", DEMO_END)
    assert D(perf["startValue"]) == (opening * 100).quantize(D("0.01"))
    assert D(perf["endValue"]) == (closing * 100).quantize(D("0.01"))
    assert perf["twr"] == pytest.approx(float(closing / opening) - 1, rel=1e-9)
    risk = data["risk"]
    returns = np.array([p["dailyReturn"] for p in perf["series"] if p["dailyReturn"] is not None])
    assert risk["sessions"] == len(returns)
    assert risk["riskFreeRate"] == pytest.approx(0.105)
    assert risk["annualVolatility"] == pytest.approx(
        np.std(returns, ddof=1) * np.sqrt(SESSIONS_PER_YEAR), rel=1e-9
    )
    assert {(v["method"], v["confidence"]) for v in risk["valueAtRisk"]} == {
        ("HISTORICAL", 0.99),
        ("PARAMETRIC", 0.99),
    }
    assert risk["concentration"] == {"largestSymbol": "HUBC", "largestWeight": 1.0}
    [slice_] = data["allocation"]
    assert slice_["weight"] == 1.0 and not slice_["cash"]
    assert D(slice_["value"]) == D(perf["endValue"])


async def test_an_empty_portfolio_has_no_performance_or_risk(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    query = """
    query P($id: UUID!) { portfolio(id: $id) {
      performance(range: ALL) { twr } risk { sharpe } allocation(by: INSTRUMENT) { key }
      positions { symbol } } }
    """
    assert (await _call(api, query, {"id": portfolio_id}, token))["portfolio"] == {
        "performance": None,
        "risk": None,
        "allocation": [],
        "positions": [],
    }


OWNER_QUERIES = [
    "positions { symbol }",
    "summary { totalValue }",
    "transactions { totalCount }",
    "performance(range: ALL) { twr }",
    "risk(range: ALL) { sharpe }",
    "allocation(by: SECTOR) { key }",
    "name",
]


async def test_another_users_portfolio_is_null_for_every_field_and_listed_nowhere(
    api: Api,
) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    await _hubc_statement(api, owner, portfolio_id)
    for selection in OWNER_QUERIES:
        query = f"query Q($id: UUID!) {{ portfolio(id: $id) {{ {selection} }} }}"
        assert (await _call(api, query, {"id": portfolio_id}, other)) == {"portfolio": None}
        assert (await _call(api, query, {"id": portfolio_id}, owner))["portfolio"] is not None
    assert (await _call(api, "{ portfolios { id } }", {}, other)) == {"portfolios": []}


OWNER_MUTATIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "renamePortfolio",
        'mutation M($p: UUID!) { renamePortfolio(portfolioId: $p, input: {name: "Mine"}) { errors { field code } } }',
        {},
    ),
    (
        "deletePortfolio",
        "mutation M($p: UUID!) { deletePortfolio(portfolioId: $p) { errors { field code } } }",
        {},
    ),
    (
        "recordTransaction",
        'mutation M($p: UUID!) { recordTransaction(portfolioId: $p, input: {type: SELL, tradeDate: "2025-04-08", symbol: "HUBC", quantity: 150, price: "1.00"}) { errors { field code } } }',
        {},
    ),
    (
        "deleteTransaction",
        "mutation M($p: UUID!, $t: ID!) { deleteTransaction(portfolioId: $p, transactionId: $t) { errors { field code } } }",
        {"t": "LAST"},
    ),
    (
        "addPosition",
        'mutation M($p: UUID!) { addPosition(portfolioId: $p, input: {symbol: "OGDC", quantity: 1, price: "1.00", tradeDate: "2025-04-08"}) { errors { field code } } }',
        {},
    ),
    (
        "updatePosition",
        'mutation M($p: UUID!) { updatePosition(portfolioId: $p, input: {symbol: "HUBC", quantity: 1}) { errors { field code } } }',
        {},
    ),
    (
        "removePosition",
        'mutation M($p: UUID!) { removePosition(portfolioId: $p, input: {symbol: "HUBC", deleteEntries: true}) { errors { field code } } }',
        {},
    ),
    (
        "importTransactions",
        'mutation M($p: UUID!) { importTransactions(portfolioId: $p, csv: "date,type,symbol,quantity,price\\n2025-04-08,SELL,HUBC,150,1.00\\n") { errors { field code } } }',
        {},
    ),
    (
        "applyCorporateActions",
        "mutation M($p: UUID!) { applyCorporateActions(portfolioId: $p) { errors { field code } } }",
        {},
    ),
]


@pytest.mark.parametrize(
    ("name", "mutation", "extra"), OWNER_MUTATIONS, ids=[m[0] for m in OWNER_MUTATIONS]
)
async def test_another_users_portfolio_is_not_found_for_every_mutation_and_unchanged(
    api: Api, engine: AsyncEngine, name: str, mutation: str, extra: dict[str, Any]
) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    await _hubc_statement(api, owner, portfolio_id)
    before = await _rows(engine, portfolio_id)
    variables: dict[str, Any] = {"p": portfolio_id}
    if extra.get("t") == "LAST":
        async with engine.connect() as conn:
            variables["t"] = str(
                await conn.scalar(
                    text("SELECT max(id) FROM portfolio_transactions WHERE portfolio_id = :p"),
                    {"p": uuid.UUID(portfolio_id)},
                )
            )
    result = (await _call(api, mutation, variables, other))[name]
    assert result["errors"] == [{"field": "portfolioId", "code": "NOT_FOUND"}]
    assert await _rows(engine, portfolio_id) == before
    owned = await _call(
        api, "query Q($id: UUID!) { portfolio(id: $id) { name } }", {"id": portfolio_id}, owner
    )
    assert owned == {"portfolio": {"name": "Main"}}


async def test_signed_out_callers_are_refused_before_anything_runs(api: Api) -> None:
    body = await api("{ portfolios { id } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    created = await api(CREATE, {"i": {"name": "Anon"}})
    assert created["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


WATCH = "watchlist { id name symbols } errors { field message code }"


async def test_watchlists_keep_symbols_in_order_for_their_owner_only(api: Api) -> None:
    owner, other = await _token(api), await _token(api)
    create = f"mutation C($i: CreateWatchlistInput!) {{ createWatchlist(input: $i) {{ {WATCH} }} }}"
    made = (
        await _call(api, create, {"i": {"name": "Banks", "symbols": ["mcb", "HBL", "MCB"]}}, owner)
    )["createWatchlist"]
    assert made["errors"] == [] and made["watchlist"]["symbols"] == ["MCB", "HBL"]
    watchlist_id = made["watchlist"]["id"]
    bad = (await _call(api, create, {"i": {"name": "X", "symbols": ["HBL", "NOPE"]}}, owner))[
        "createWatchlist"
    ]
    assert bad["errors"] == [
        {"field": "input.symbols[1]", "message": "Unknown symbol 'NOPE'.", "code": "UNKNOWN_SYMBOL"}
    ]
    add = f"mutation A($w: UUID!, $s: [String!]!) {{ addToWatchlist(watchlistId: $w, symbols: $s) {{ {WATCH} }} }}"
    remove = f"mutation R($w: UUID!, $s: [String!]!) {{ removeFromWatchlist(watchlistId: $w, symbols: $s) {{ {WATCH} }} }}"
    added = (await _call(api, add, {"w": watchlist_id, "s": ["UBL", "HBL"]}, owner))[
        "addToWatchlist"
    ]
    assert added["watchlist"]["symbols"] == ["MCB", "HBL", "UBL"]
    for mutation, name in ((add, "addToWatchlist"), (remove, "removeFromWatchlist")):
        theirs = (await _call(api, mutation, {"w": watchlist_id, "s": ["MCB"]}, other))[name]
        assert theirs == {
            "watchlist": None,
            "errors": [
                {"field": "watchlistId", "message": "No such watchlist.", "code": "NOT_FOUND"}
            ],
        }
    assert (await _call(api, "{ watchlists { id } }", {}, other)) == {"watchlists": []}
    removed = (await _call(api, remove, {"w": watchlist_id, "s": ["mcb"]}, owner))[
        "removeFromWatchlist"
    ]
    assert removed["watchlist"]["symbols"] == ["HBL", "UBL"]
    mine = await _call(api, "{ watchlists { name symbols } }", {}, owner)
    assert mine == {"watchlists": [{"name": "Banks", "symbols": ["HBL", "UBL"]}]}


IMPORT = f"mutation I($p: UUID!, $c: String!) {{ importTransactions(portfolioId: $p, csv: $c) {{ {LEDGER} }} }}"


async def test_an_import_is_all_or_nothing_with_errors_by_line(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    bad = (
        "date,type,symbol,quantity,price\n"
        "2025-01-06,BUY,HUBC,100,120.00\n"
        "2025-01-07,BUY,NOPE,1,1.00\n"
        "2025-01-08,BUY,HUBC,-3,1.00\n"
    )
    refused = (await _call(api, IMPORT, {"p": portfolio_id, "c": bad}, token))["importTransactions"]
    assert refused["added"] == [] and refused["portfolio"] is None
    assert refused["errors"] == [
        {
            "field": "csv[3].symbol",
            "message": "Line 3: Unknown symbol 'NOPE'.",
            "code": "UNKNOWN_SYMBOL",
        },
        {
            "field": "csv[4].quantity",
            "message": "Line 4: quantity is a whole number of shares.",
            "code": "INVALID",
        },
    ]
    oversold = "date,type,symbol,quantity,price\n2025-01-06,BUY,HUBC,100,120.00\n2025-01-07,SELL,HUBC,101,121.00\n"
    broken = (await _call(api, IMPORT, {"p": portfolio_id, "c": oversold}, token))[
        "importTransactions"
    ]
    assert [(e["field"], e["code"]) for e in broken["errors"]] == [("csv[3].quantity", "INVALID")]
    assert await _rows(engine, portfolio_id) == []
    good = (
        "date,type,symbol,quantity,price,note\n"
        "2025-01-06,BUY,HUBC,100,120.00,from the broker\n"
        "2025-02-03,BUY,HUBC,200,135.50,\n"
        "2025-03-10,SELL,HUBC,150,150.00,\n"
    )
    done = (await _call(api, IMPORT, {"p": portfolio_id, "c": good}, token))["importTransactions"]
    assert done["errors"] == [] and [a["type"] for a in done["added"]] == ["BUY", "BUY", "SELL"]
    assert done["added"][0]["note"] == "from the broker"
    # The same trades typed in one by one give the same rows (charges from the cost model).
    other = await _token(api)
    typed_id = await _create(api, other)
    await _hubc_statement(api, other, typed_id)
    assert await _rows(engine, portfolio_id) == await _rows(engine, typed_id)


async def test_positions_follow_every_write_though_replays_are_cached(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    query = "query P($id: UUID!) { portfolio(id: $id) { positions { symbol quantity } } }"
    first = await _call(api, query, {"id": portfolio_id}, token)
    assert first["portfolio"]["positions"] == [{"symbol": "HUBC", "quantity": 150}]
    again = await _call(api, query, {"id": portfolio_id}, token)
    assert again == first
    sold = await _record(
        api,
        token,
        portfolio_id,
        type="SELL",
        tradeDate="2025-03-12",
        symbol="HUBC",
        quantity=50,
        price="150.00",
    )
    assert sold["errors"] == []
    after = await _call(api, query, {"id": portfolio_id}, token)
    assert after["portfolio"]["positions"] == [{"symbol": "HUBC", "quantity": 100}]
    deleted = (
        await _call(api, DELETE_TX, {"p": portfolio_id, "t": sold["added"][0]["id"]}, token)
    )["deleteTransaction"]
    assert deleted["errors"] == []
    assert await _call(api, query, {"id": portfolio_id}, token) == first


async def test_a_cost_correction_alone_sells_at_the_average_and_buys_back_at_the_new_cost(
    api: Api,
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)  # 150 HUBC at a cost of 20,362.48
    update = f"""
    mutation U($p: UUID!, $i: UpdatePositionInput!) {{ updatePosition(portfolioId: $p, input: $i) {{ {LEDGER} }} }}
    """
    fixed = (
        await _call(
            api,
            update,
            {
                "p": portfolio_id,
                "i": {"symbol": "HUBC", "costBasis": "18000", "tradeDate": "2025-03-11"},
            },
            token,
        )
    )["updatePosition"]
    # 20,362.48 / 150 = 135.7499 → 135.75; 18,000 / 150 = 120.00.
    assert [(a["type"], a["quantity"], a["price"], a["fees"]) for a in fixed["added"]] == [
        ("SELL", 150, "135.75", "0.00"),
        ("BUY", 150, "120.00", "0.00"),
    ]
    data = await _call(api, POSITIONS, {"id": portfolio_id}, token)
    [hubc] = data["portfolio"]["positions"]
    assert (hubc["quantity"], hubc["costBasis"]) == (150, "18000.00")
    # The correction's sale realises the rounding only: 150 × 135.75 − 20,362.48 = 0.02.
    assert D(hubc["realisedPnl"]) == D("22460.81") - D("12022.18") - D("6787.50") + D("0.02")
    same = (
        await _call(
            api, update, {"p": portfolio_id, "i": {"symbol": "HUBC", "quantity": 150}}, token
        )
    )["updatePosition"]
    assert same["errors"] == [
        {"field": "input", "message": "The holding is already so.", "code": "INVALID"}
    ]


async def test_a_write_leaves_the_same_ledger_in_the_cache_as_the_database_holds(
    api: Api,
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    for entry in (
        {
            "type": "DIVIDEND",
            "tradeDate": "2025-04-14",
            "symbol": "HUBC",
            "quantity": 150,
            "price": "4",
        },
        {"type": "SPLIT", "tradeDate": "2025-06-16", "symbol": "HUBC", "ratio": "2"},
    ):
        assert (await _record(api, token, portfolio_id, **entry))["errors"] == []
    query = """
    query T($id: UUID!) { portfolio(id: $id) {
      transactions { nodes { id type tradeDate settlementDate symbol quantity price amount ratio
                             fees taxes note corporateActionId } }
      positions { symbol quantity costBasis realisedPnl dividends lots { acquired quantity cost } } } }
    """
    warm = await _call(api, query, {"id": portfolio_id}, token)
    clear_replay_cache()
    cold = await _call(api, query, {"id": portfolio_id}, token)
    assert warm == cold
    assert warm["portfolio"]["positions"][0]["quantity"] == 300


async def test_risk_correlates_returns_of_closes_adjusted_for_a_bonus(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    for symbol in ("HUBC", "MARI"):
        assert (
            await _record(
                api,
                token,
                portfolio_id,
                type="BUY",
                tradeDate="2025-06-02",
                symbol=symbol,
                quantity=100,
                price="100.00",
            )
        )["errors"] == []
    query = """
    query R($id: UUID!) { portfolio(id: $id) {
      performance(range: Y1) { series { day dailyReturn } }
      risk(range: Y1) { correlation { symbols matrix sessions } } } }
    """
    data = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]
    days = [
        date.fromisoformat(p["day"])
        for p in data["performance"]["series"]
        if p["dailyReturn"] is not None
    ]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT i.symbol, b.day, b.close FROM daily_bars b JOIN instruments i"
                    " ON i.id = b.instrument_id WHERE i.symbol IN ('HUBC', 'MARI')"
                    " AND b.day BETWEEN :a AND :b ORDER BY b.day"
                ),
                {"a": days[0] - timedelta(days=10), "b": days[-1]},
            )
        ).all()
        actions = (
            await conn.execute(
                text(
                    "SELECT i.symbol, c.kind, c.ex_date, c.value FROM corporate_actions c"
                    " JOIN instruments i ON i.id = c.instrument_id"
                    " WHERE i.symbol IN ('HUBC', 'MARI') AND c.ex_date > :a AND c.ex_date <= :b"
                ),
                {"a": days[0], "b": days[-1]},
            )
        ).all()
    raw: dict[str, dict[date, float]] = {"HUBC": {}, "MARI": {}}
    for r in rows:
        raw[r.symbol][r.day] = float(r.close)
    closes = {s: dict(series) for s, series in raw.items()}
    kinds = set()
    for a in actions:
        before = max(d for d in raw[a.symbol] if d < a.ex_date)
        # Back-adjustment: a bonus of X% divides earlier prices by 1 + X/100, a cash dividend
        # D scales them by (P - D) / P, P the last close before the ex-date.
        if a.kind == "BONUS":
            factor = 1 / (1 + float(a.value) / 100)
        else:
            assert a.kind == "CASH_DIVIDEND"
            factor = (raw[a.symbol][before] - float(a.value)) / raw[a.symbol][before]
        kinds.add(a.kind)
        for d in closes[a.symbol]:
            if d < a.ex_date:
                closes[a.symbol][d] *= factor
    assert "BONUS" in kinds  # MARI's 800% bonus, ex 22 Dec 2025
    window = set(days)
    closes = {s: {d: c for d, c in series.items() if d in window} for s, series in closes.items()}
    common = sorted(set(closes["HUBC"]) & set(closes["MARI"]))
    levels = np.array([[closes[s][d] for d in common] for s in ("HUBC", "MARI")])
    returns = levels[:, 1:] / levels[:, :-1] - 1
    expected = float(np.corrcoef(returns)[0, 1])
    correlation = data["risk"]["correlation"]
    assert correlation["symbols"] == ["HUBC", "MARI"]
    assert correlation["sessions"] == len(common) - 1
    assert correlation["matrix"][0][1] == pytest.approx(expected, abs=1e-9)
    plain = np.array([[raw[s][d] for d in common] for s in ("HUBC", "MARI")])
    unadjusted = float(np.corrcoef(plain[:, 1:] / plain[:, :-1] - 1)[0, 1])
    assert abs(unadjusted - expected) > 0.01  # the bonus would have shown as a crash


async def test_performance_follows_a_close_corrected_inside_its_window(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    entry = {"type": "BUY", "tradeDate": "2025-06-02", "symbol": "HUBC", "quantity": 100}
    assert (await _record(api, token, portfolio_id, price="100.00", **entry))["errors"] == []
    query = """
    query P($id: UUID!) { portfolio(id: $id) { performance(range: Y1) {
      end endValue series { day value } } } }
    """
    before = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]["performance"]
    last = date.fromisoformat(before["end"])
    day = date.fromisoformat(before["series"][-5]["day"])
    fix = text(
        "UPDATE daily_bars SET close = close + :d WHERE day = :day"
        " AND instrument_id = (SELECT id FROM instruments WHERE symbol = 'HUBC')"
    )
    async with engine.begin() as conn:
        await conn.execute(fix, {"d": Decimal(1), "day": day})
    try:
        after = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]["performance"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(fix, {"d": Decimal(-1), "day": day})
    moved = {p["day"]: Decimal(p["value"]) for p in after["series"]}
    was = {p["day"]: Decimal(p["value"]) for p in before["series"]}
    assert moved[day.isoformat()] == was[day.isoformat()] + 100
    assert moved[last.isoformat()] == was[last.isoformat()]
    again = (await _call(api, query, {"id": portfolio_id}, token))["portfolio"]["performance"]
    assert again == before


async def _stored_book(engine: AsyncEngine, portfolio_id: str, column: str) -> tuple[Any, Any]:
    """Whether the portfolio's stored book is of its current ledger version, and `column`
    (an expression over the book's row)."""
    sql = text(
        f"SELECT b.ledger_version = p.ledger_version, {column} FROM portfolio_books b"
        " JOIN portfolios p ON p.id = b.portfolio_id WHERE b.portfolio_id = :p"
    )
    async with engine.connect() as conn:
        row = (await conn.execute(sql, {"p": portfolio_id})).one()
    return row[0], row[1]


async def test_positions_come_from_the_book_stored_with_the_current_ledger_version(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    query = """
    query P($id: UUID!) { portfolio(id: $id) {
      positions { symbol quantity costBasis realisedPnl lots { acquired quantity cost } }
      summary { costBasis realisedPnl } } }
    """
    truth = await _call(api, query, {"id": portfolio_id}, token)
    current, shares = await _stored_book(engine, portfolio_id, "holdings -> 'holdings' -> 0 ->> 1")
    assert current and int(shares) == truth["portfolio"]["positions"][0]["quantity"]

    # A process that has not replayed the ledger values the stored holdings...
    tamper = text(
        "UPDATE portfolio_books SET ledger_version = ledger_version + :v,"
        " holdings = jsonb_set(holdings, '{holdings,0,1}', to_jsonb(CAST(:q AS int))) WHERE portfolio_id = :p"
    )
    async with engine.begin() as conn:
        await conn.execute(tamper, {"v": 0, "q": 7, "p": portfolio_id})
    clear_replay_cache()
    read = await _call(api, query, {"id": portfolio_id}, token)
    assert read["portfolio"]["positions"][0]["quantity"] == 7
    # ...but only those of the portfolio's current ledger version.
    async with engine.begin() as conn:
        await conn.execute(tamper, {"v": -1, "q": 7, "p": portfolio_id})
    clear_replay_cache()
    assert await _call(api, query, {"id": portfolio_id}, token) == truth

    # The next change stores the book of its own version again.
    entry = {"type": "SELL", "tradeDate": "2025-07-01", "symbol": "HUBC", "quantity": 10}
    assert (await _record(api, token, portfolio_id, price="120.00", **entry))["errors"] == []
    clear_replay_cache()
    after = await _call(api, query, {"id": portfolio_id}, token)
    shares = truth["portfolio"]["positions"][0]["quantity"] - 10
    assert after["portfolio"]["positions"][0]["quantity"] == shares
    assert (await _stored_book(engine, portfolio_id, "1"))[0] is True


async def test_an_import_stores_the_book_of_its_ledger_version(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    csv = "date,type,symbol,quantity,price\n2025-06-02,BUY,HUBC,100,100.00\n2025-06-03,BUY,MARI,5,600.00\n"
    imported = await _call(
        api,
        "mutation I($p: UUID!, $c: String!) { importTransactions(portfolioId: $p, csv: $c)"
        " { errors { message } } }",
        {"p": portfolio_id, "c": csv},
        token,
    )
    assert imported["importTransactions"]["errors"] == []
    current, symbols = await _stored_book(
        engine, portfolio_id, "jsonb_array_length(holdings -> 'holdings')"
    )
    assert current and symbols == 2


async def test_the_ledger_is_read_from_the_replay_stored_with_its_version(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    query = """
    query T($id: UUID!) { portfolio(id: $id) {
      transactions { nodes { id type tradeDate symbol quantity price fees taxes note } }
      performance(range: ALL) { realisedPnl endValue } } }
    """
    truth = await _call(api, query, {"id": portfolio_id}, token)
    clear_replay_cache()
    assert await _call(api, query, {"id": portfolio_id}, token) == truth
    tamper = text(
        "UPDATE portfolio_books SET ledger_version = ledger_version + :v,"
        " ledger = convert_to(jsonb_set(convert_from(ledger, 'UTF8')::jsonb, '{ledger,0,10}',"
        " to_jsonb(CAST(:n AS text)))::text, 'UTF8')"
        " WHERE portfolio_id = :p"
    )
    async with engine.begin() as conn:
        await conn.execute(tamper, {"v": 0, "n": "read from the stored replay", "p": portfolio_id})
    clear_replay_cache()
    read = await _call(api, query, {"id": portfolio_id}, token)
    notes = [n["note"] for n in read["portfolio"]["transactions"]["nodes"]]
    assert notes[-1] == "read from the stored replay"
    async with engine.begin() as conn:
        await conn.execute(tamper, {"v": -1, "n": "stale", "p": portfolio_id})
    clear_replay_cache()
    assert await _call(api, query, {"id": portfolio_id}, token) == truth
