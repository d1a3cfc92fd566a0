"""Fundamentals through the GraphQL API against the seeded demo database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import CountingQuoteStore, GraphQLClient

STATEMENT_FIELDS = """
    period fiscalYear fiscalQuarter periodEnd publishedOn revenue grossProfit operatingProfit
    ebitda netIncome eps totalAssets totalEquity totalDebt cash currentAssets
    currentLiabilities operatingCashFlow dividendsPerShare bookValuePerShare shares dataSource
"""
RATIO_FIELDS = """
    price shares marketCap enterpriseValue balanceSheetDate bookValuePerShare
    trailing { basis periodEnd revenue netIncome eps ebitda dividendsPerShare }
    pe pb ps evEbitda dividendYield payoutRatio roe roa netMargin grossMargin debtToEquity
    currentRatio epsGrowthYoy revenueGrowthYoy epsCagr3y revenueCagr3y
"""
QUERY = f"""
query F($symbol: String!) {{
  fundamentals(symbol: $symbol) {{
    symbol currency dataSource
    annual: statements(period: ANNUAL, first: 4) {{ {STATEMENT_FIELDS} }}
    quarterly: statements(period: QUARTERLY, first: 8) {{ {STATEMENT_FIELDS} }}
    ratios {{ {RATIO_FIELDS} }}
  }}
}}
"""
COLUMNS = {
    "revenue": "revenue",
    "grossProfit": "gross_profit",
    "operatingProfit": "operating_profit",
    "ebitda": "ebitda",
    "netIncome": "net_income",
    "eps": "eps",
    "totalAssets": "total_assets",
    "totalEquity": "total_equity",
    "totalDebt": "total_debt",
    "cash": "cash",
    "currentAssets": "current_assets",
    "currentLiabilities": "current_liabilities",
    "operatingCashFlow": "operating_cash_flow",
    "dividendsPerShare": "dividends_per_share",
    "bookValuePerShare": "book_value_per_share",
}


def codes(result: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [
        (e.get("extensions", {}).get("code"), e.get("extensions", {}).get("field"))
        for e in result.get("errors", [])
    ]


async def _rows(engine: AsyncEngine, symbol: str, period: str) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT s.* FROM financial_statements s JOIN instruments i"
                " ON i.id = s.instrument_id WHERE i.symbol = :symbol AND s.period = :period"
                " ORDER BY s.fiscal_year DESC, s.fiscal_quarter DESC"
            ),
            {"symbol": symbol, "period": period},
        )
        return list(result.all())


async def _shares_outstanding(engine: AsyncEngine, symbol: str) -> int:
    async with engine.connect() as conn:
        value = await conn.scalar(
            text("SELECT shares_outstanding FROM instruments WHERE symbol = :s"), {"s": symbol}
        )
    return int(value)


async def _price(quotes: CountingQuoteStore, symbol: str) -> Decimal:
    [state] = await quotes.get_many([symbol])
    assert state is not None
    return Decimal(state.last)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def test_statements_are_the_stored_rows_newest_first(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    result = await gql(QUERY, {"symbol": "ogdc"})

    assert "errors" not in result
    f = result["data"]["fundamentals"]
    assert (f["symbol"], f["currency"], f["dataSource"]) == ("OGDC", "PKR", "SIMULATED")
    for alias, period, count in (("annual", "ANNUAL", 4), ("quarterly", "QUARTERLY", 8)):
        rows = (await _rows(engine, "OGDC", period))[:count]
        got = f[alias]
        assert len(got) == count
        assert [(s["fiscalYear"], s["fiscalQuarter"]) for s in got] == [
            (r.fiscal_year, r.fiscal_quarter) for r in rows
        ]
        for s, r in zip(got, rows, strict=True):
            assert s["period"] == period
            assert s["periodEnd"] == r.period_end.isoformat()
            assert s["publishedOn"] == r.published_on.isoformat()
            assert s["shares"] == r.shares
            assert s["dataSource"] == "SIMULATED"
            for field, column in COLUMNS.items():
                assert _money(s[field]) == getattr(r, column), field


async def test_ratios_are_computed_from_the_same_rows_at_the_quote_price(
    gql: GraphQLClient, engine: AsyncEngine, quote_store: CountingQuoteStore
) -> None:
    result = await gql(QUERY, {"symbol": "OGDC"})
    r = result["data"]["fundamentals"]["ratios"]
    quarters = await _rows(engine, "OGDC", "QUARTERLY")
    years = await _rows(engine, "OGDC", "ANNUAL")
    price = await _price(quote_store, "OGDC")
    shares = await _shares_outstanding(engine, "OGDC")
    last4, prior4 = quarters[:4], quarters[4:8]
    # The demo's quarters run without gaps, so the TTM is the four newest.
    index = [q.fiscal_year * 4 + q.fiscal_quarter for q in quarters[:8]]
    assert index == [index[0] - n for n in range(8)]

    def ttm(column: str, rows: list[Any] = last4) -> Decimal:
        return sum((getattr(q, column) for q in rows), Decimal(0))

    newest = quarters[0] if quarters[0].period_end > years[0].period_end else years[0]
    market_cap = price * shares
    ev = market_cap + newest.total_debt - newest.cash
    then = next(y for y in years if y.fiscal_year == years[0].fiscal_year - 3)
    expected = {
        "pe": price / ttm("eps"),
        "pb": price / newest.book_value_per_share,
        "ps": market_cap / ttm("revenue"),
        "evEbitda": ev / ttm("ebitda"),
        "dividendYield": ttm("dividends_per_share") / price,
        "payoutRatio": ttm("dividends_per_share") / ttm("eps"),
        "roe": ttm("net_income") / newest.total_equity,
        "roa": ttm("net_income") / newest.total_assets,
        "netMargin": ttm("net_income") / ttm("revenue"),
        "grossMargin": ttm("gross_profit") / ttm("revenue"),
        "debtToEquity": newest.total_debt / newest.total_equity,
        "currentRatio": newest.current_assets / newest.current_liabilities,
        "epsGrowthYoy": ttm("eps") / ttm("eps", prior4) - 1,
        "revenueGrowthYoy": ttm("revenue") / ttm("revenue", prior4) - 1,
        "epsCagr3y": (years[0].eps / then.eps) ** (Decimal(1) / 3) - 1,
        "revenueCagr3y": (years[0].revenue / then.revenue) ** (Decimal(1) / 3) - 1,
    }
    assert {k: r[k] for k in expected} == {
        k: pytest.approx(float(v), abs=1e-6) for k, v in expected.items()
    }
    assert r["price"] == float(price)
    assert r["shares"] == shares
    assert r["marketCap"] == pytest.approx(float(market_cap))
    assert r["enterpriseValue"] == pytest.approx(float(ev))
    assert r["balanceSheetDate"] == newest.period_end.isoformat()
    assert Decimal(r["bookValuePerShare"]) == newest.book_value_per_share
    t = r["trailing"]
    assert t["basis"] == "QUARTERS"
    assert t["periodEnd"] == last4[0].period_end.isoformat()
    assert Decimal(t["eps"]) == ttm("eps")
    assert Decimal(t["netIncome"]) == ttm("net_income")
    assert Decimal(t["dividendsPerShare"]) == ttm("dividends_per_share")
    # A PSX-like large cap: single-digit-to-teens P/E at the demo's last price.
    assert 3 <= r["pe"] <= 15


async def test_a_bank_reports_no_gross_profit_or_current_ratio(gql: GraphQLClient) -> None:
    result = await gql(QUERY, {"symbol": "HBL"})

    f = result["data"]["fundamentals"]
    assert {s["periodEnd"][5:] for s in f["annual"]} == {"12-31"}  # December years
    assert all(s["grossProfit"] is None and s["currentAssets"] is None for s in f["quarterly"])
    r = f["ratios"]
    assert (r["grossMargin"], r["currentRatio"], r["evEbitda"]) == (None, None, None)
    assert r["pe"] is not None and r["roe"] is not None and r["debtToEquity"] is not None


async def test_a_loss_maker_has_no_pe_or_payout(gql: GraphQLClient) -> None:
    result = await gql(QUERY, {"symbol": "WTL"})

    r = result["data"]["fundamentals"]["ratios"]
    assert Decimal(r["trailing"]["eps"]) < 0
    assert (r["pe"], r["payoutRatio"], r["epsGrowthYoy"]) == (None, None, None)
    assert r["pb"] is not None and r["roe"] < 0


async def test_an_etf_has_no_statements_and_no_ratios(gql: GraphQLClient) -> None:
    result = await gql(QUERY, {"symbol": "MZNPETF"})

    f = result["data"]["fundamentals"]
    assert (f["annual"], f["quarterly"], f["dataSource"]) == ([], [], None)
    assert f["ratios"]["price"] is not None
    assert f["ratios"]["trailing"] is None
    assert all(
        v is None for k, v in f["ratios"].items() if k not in ("price", "shares", "marketCap")
    )


async def test_unknown_symbol_is_an_error_naming_it(gql: GraphQLClient) -> None:
    result = await gql(QUERY, {"symbol": "NOPE"})

    assert result["data"] is None
    assert codes(result) == [("UNKNOWN_SYMBOL", "symbol")]
    assert "NOPE" in result["errors"][0]["message"]


@pytest.mark.parametrize("first", [0, 41])
async def test_statement_count_out_of_range_is_refused(gql: GraphQLClient, first: int) -> None:
    result = await gql(
        'query($n: Int) { fundamentals(symbol: "OGDC") { statements(first: $n) { fiscalYear } } }',
        {"n": first},
    )

    assert result["data"] is None
    assert codes(result) == [("OUT_OF_RANGE", "first")]
