"""Market data through the GraphQL API: normal answers and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import NOW, CountingQuoteStore, GraphQLClient

QUOTE_FIELDS = """
    symbol last open high low prevClose change changePercent volume turnover trades vwap
    upperLimit lowerLimit high52w low52w marketCap updatedAt dataSource
    instrument { symbol name sharesOutstanding freeFloatPct sector { code name } }
"""

FIFTY = [
    "OGDC",
    "PPL",
    "MARI",
    "POL",
    "PSO",
    "APL",
    "SNGP",
    "SSGC",
    "ATRL",
    "NRL",
    "PRL",
    "CNERGY",
    "HBL",
    "UBL",
    "MCB",
    "MEBL",
    "BAFL",
    "BAHL",
    "NBP",
    "ABL",
    "AKBL",
    "HMB",
    "FABL",
    "BOP",
    "BIPL",
    "FFC",
    "EFERT",
    "FATIMA",
    "LUCK",
    "DGKC",
    "MLCF",
    "FCCL",
    "CHCC",
    "KOHC",
    "PIOC",
    "HUBC",
    "KAPCO",
    "KEL",
    "SYS",
    "TRG",
    "PTC",
    "AIRLINK",
    "ENGROH",
    "INDU",
    "HCAR",
    "PSMC",
    "MTL",
    "THALL",
    "NESTLE",
    "SEARL",
]


def codes(result: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [
        (e.get("extensions", {}).get("code"), e.get("extensions", {}).get("field"))
        for e in result.get("errors", [])
    ]


async def test_quote_reports_session_figures_consistently(gql: GraphQLClient) -> None:
    result = await gql(f'{{ quote(symbol: "ogdc") {{ {QUOTE_FIELDS} }} }}')
    assert "errors" not in result
    q = result["data"]["quote"]
    assert q["symbol"] == "OGDC"
    assert q["instrument"]["sector"] == {"code": "0820", "name": "OIL & GAS EXPLORATION COMPANIES"}
    last, prev = Decimal(str(q["last"])), Decimal(str(q["prevClose"]))
    assert Decimal(str(q["change"])) == last - prev
    assert q["low"] <= q["last"] <= q["high"]
    assert q["lowerLimit"] <= q["low"] and q["high"] <= q["upperLimit"]
    band = max(prev * Decimal("0.10"), Decimal(1))
    assert Decimal(str(q["upperLimit"])) == (prev + band).quantize(Decimal("0.01"))
    assert q["low52w"] <= q["low"] and q["high"] <= q["high52w"]
    assert q["marketCap"] == pytest.approx(q["last"] * q["instrument"]["sharesOutstanding"])
    assert q["vwap"] == pytest.approx(q["turnover"] / q["volume"], rel=1e-6)
    assert q["dataSource"] == "SIMULATED"


async def test_quote_of_unknown_symbol_is_an_error_naming_it(gql: GraphQLClient) -> None:
    result = await gql('{ quote(symbol: "NOPE") { symbol } }')
    assert result["data"] == {"quote": None}
    assert codes(result) == [("UNKNOWN_SYMBOL", "symbol")]
    assert "NOPE" in result["errors"][0]["message"]


async def test_quotes_keep_order_and_flag_unknown_symbols_in_place(gql: GraphQLClient) -> None:
    result = await gql(
        "query($s: [String!]!) { quotes(symbols: $s) { symbol } }",
        {"s": ["HUBC", "XXXX", "ogdc", "YYYY"]},
    )
    assert [q and q["symbol"] for q in result["data"]["quotes"]] == ["HUBC", None, "OGDC", None]
    assert [e["path"] for e in result["errors"]] == [["quotes", 1], ["quotes", 3]]
    assert [e["extensions"]["symbol"] for e in result["errors"]] == ["XXXX", "YYYY"]
    assert codes(result) == [("UNKNOWN_SYMBOL", "symbols"), ("UNKNOWN_SYMBOL", "symbols")]


async def test_quotes_over_the_maximum_are_refused(gql: GraphQLClient) -> None:
    result = await gql(
        "query($s: [String!]!) { quotes(symbols: $s) { symbol } }", {"s": ["OGDC"] * 201}
    )
    assert result["data"] is None
    assert codes(result) == [("TOO_LARGE", "symbols")]


async def test_quotes_of_fifty_batch_into_one_store_read_and_no_sql(
    gql: GraphQLClient, engine: AsyncEngine, quote_store: CountingQuoteStore
) -> None:
    await gql('{ quote(symbol: "OGDC") { symbol high52w } }')  # warm the in-process caches
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    reads_before = quote_store.reads
    try:
        result = await gql(
            f"query Warm($s: [String!]!) {{ quotes(symbols: $s) {{ {QUOTE_FIELDS} }} }}",
            {"s": FIFTY},
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert "errors" not in result
    assert [q["symbol"] for q in result["data"]["quotes"]] == FIFTY
    assert quote_store.reads - reads_before == 1
    assert statements == []


async def test_quotes_with_cold_caches_make_one_query_per_entity_type(
    gql: GraphQLClient, engine: AsyncEngine, services: Any
) -> None:
    services.reference.invalidate()
    services.ranges.invalidate()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(" ".join(args[2].split()))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        result = await gql(
            f"query Cold($s: [String!]!) {{ quotes(symbols: $s) {{ {QUOTE_FIELDS} }} }}",
            {"s": FIFTY},
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert "errors" not in result
    # The reference snapshot (version, sectors, instruments, indices, members), then the
    # 52-week ranges of every instrument at once: nothing per symbol.
    assert len(statements) == 6, statements
    assert len([s for s in statements if "daily_bars" in s]) == 1


async def test_instrument_lookup_and_null_for_unknown(gql: GraphQLClient) -> None:
    result = await gql(
        '{ a: instrument(symbol: "HUBC") { symbol name indices sector { code } kind }'
        '  b: instrument(symbol: "ZZZZ") { symbol } }'
    )
    assert result["data"]["b"] is None
    a = result["data"]["a"]
    assert a["symbol"] == "HUBC" and a["sector"]["code"] == "0824" and a["kind"] == "EQUITY"
    assert "KSE100" in a["indices"]


async def test_instruments_pages_through_the_universe(gql: GraphQLClient) -> None:
    query = """query($after: String) { instruments(first: 40, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { symbol } } }"""
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = (await gql(query, {"after": after}))["data"]["instruments"]
        seen += [n["symbol"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] == len(set(seen))
    assert seen == sorted(seen)
    assert page["totalCount"] >= 90


async def test_instruments_search_is_typo_tolerant(gql: GraphQLClient) -> None:
    query = "query($q: String!) { instruments(search: $q, first: 5) { nodes { symbol } } }"
    by_prefix = await gql(query, {"q": "OGD"})
    assert by_prefix["data"]["instruments"]["nodes"][0]["symbol"] == "OGDC"
    by_name = await gql(query, {"q": "hub power"})
    assert by_name["data"]["instruments"]["nodes"][0]["symbol"] == "HUBC"
    typo = await gql(query, {"q": "Lucky Cemnt"})
    assert "LUCK" in [n["symbol"] for n in typo["data"]["instruments"]["nodes"]]
    hostile = await gql(query, {"q": "'; DROP TABLE instruments; -- %_\\"})
    assert "errors" not in hostile


async def test_instruments_filter_by_sector_and_index(gql: GraphQLClient) -> None:
    result = await gql(
        '{ banks: instruments(sector: "0807", first: 100) { nodes { sector { code } } }'
        '  kse30: instruments(index: "kse30", first: 100) { totalCount } }'
    )
    assert {n["sector"]["code"] for n in result["data"]["banks"]["nodes"]} == {"0807"}
    assert result["data"]["kse30"]["totalCount"] == 30


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ('sector: "9999"', ("NOT_FOUND", "sector")),
        ('index: "NOPE"', ("UNKNOWN_INDEX", "index")),
        ("first: 101", ("OUT_OF_RANGE", "first")),
        ("first: 0", ("OUT_OF_RANGE", "first")),
        ('after: "garbage"', ("INVALID", "after")),
    ],
)
async def test_instruments_bad_arguments_are_named(
    gql: GraphQLClient, args: str, expected: tuple[str, str]
) -> None:
    result = await gql(f"{{ instruments({args}) {{ totalCount }} }}")
    assert codes(result) == [expected]


async def test_market_status_reads_the_calendar(gql: GraphQLClient) -> None:
    result = await gql(
        "{ marketStatus { state timeZone dataSource currentSession { number openAt closeAt }"
        " nextSession { day } } }"
    )
    status = result["data"]["marketStatus"]
    assert status["state"] == "OPEN"  # Thursday 12:00 PKT
    assert status["timeZone"] == "Asia/Karachi"
    assert status["currentSession"]["openAt"] == "2026-11-19T04:32:00+00:00"
    assert status["nextSession"]["day"] == "2026-11-20"


def iso(t: datetime) -> str:
    return t.isoformat()


async def test_daily_chart_candles_are_ordered_and_consistent(gql: GraphQLClient) -> None:
    result = await gql(
        'query($f: DateTime!, $t: DateTime!) { chart(symbol: "OGDC", interval: D1, from: $f,'
        " to: $t, limit: 5000) { symbol interval adjusted dataSource"
        " candles { ts open high low close volume } } }",
        {"f": iso(NOW - timedelta(days=365)), "t": iso(NOW)},
    )
    chart = result["data"]["chart"]
    candles = chart["candles"]
    assert 230 <= len(candles) <= 255
    assert [c["ts"] for c in candles] == sorted(c["ts"] for c in candles)
    for c in candles:
        assert c["low"] <= min(c["open"], c["close"]) <= max(c["open"], c["close"]) <= c["high"]
    # Daily candles open at the session's start: 09:32 PKT Mon-Thu, 09:17 on Fridays.
    assert {c["ts"][11:16] for c in candles} <= {"04:32", "04:17"}


async def test_weekly_candles_roll_up_the_daily_ones(gql: GraphQLClient) -> None:
    query = """query($i: Interval!, $f: DateTime!, $t: DateTime!) {
        chart(symbol: "HUBC", interval: $i, from: $f, to: $t) { candles { ts high low volume } } }"""
    span = {"f": iso(NOW - timedelta(days=120)), "t": iso(NOW)}
    daily = (await gql(query, {"i": "D1", **span}))["data"]["chart"]["candles"]
    weekly = (await gql(query, {"i": "W1", **span}))["data"]["chart"]["candles"]
    monthly = (await gql(query, {"i": "MN1", **span}))["data"]["chart"]["candles"]
    assert sum(c["volume"] for c in weekly) == sum(c["volume"] for c in daily)
    assert sum(c["volume"] for c in monthly) == sum(c["volume"] for c in daily)
    assert max(c["high"] for c in weekly) == max(c["high"] for c in daily)
    assert 16 <= len(weekly) <= 19 and 4 <= len(monthly) <= 5


async def test_intraday_candles_align_to_session_open(gql: GraphQLClient) -> None:
    query = """query($i: Interval!, $f: DateTime!, $t: DateTime!) {
        chart(symbol: "OGDC", interval: $i, from: $f, to: $t, limit: 10000) {
        candles { ts volume } } }"""
    midnight = NOW.replace(hour=0, minute=0)
    span = {"f": iso(midnight - timedelta(days=10)), "t": iso(midnight)}
    m1 = (await gql(query, {"i": "M1", **span}))["data"]["chart"]["candles"]
    h1 = (await gql(query, {"i": "H1", **span}))["data"]["chart"]["candles"]
    m30 = (await gql(query, {"i": "M30", **span}))["data"]["chart"]["candles"]
    assert m1 and h1
    assert sum(c["volume"] for c in m1) == sum(c["volume"] for c in h1)
    assert sum(c["volume"] for c in m30) == sum(c["volume"] for c in h1)
    # Hourly buckets start at :32 (Mon-Thu, Fri afternoon) or :17 (Friday morning).
    assert {c["ts"][14:16] for c in h1} <= {"32", "17"}


async def test_a_candle_is_listed_when_it_opens_in_range_and_is_complete(
    gql: GraphQLClient,
) -> None:
    query = """query($i: Interval!, $f: DateTime!, $t: DateTime!) {
        chart(symbol: "OGDC", interval: $i, from: $f, to: $t, limit: 10000) {
        candles { ts volume } } }"""
    # 10:00 to 12:00 on a Thursday: H1 candles open at 10:32 and 11:32 (09:32 opened earlier)
    day = NOW.replace(hour=10, minute=0)
    for interval in ("H1", "M30"):
        got = (await gql(query, {"i": interval, "f": iso(day), "t": iso(NOW)}))["data"]["chart"]
        width = 60 if interval == "H1" else 30
        last = got["candles"][-1]
        opened = datetime.fromisoformat(last["ts"])
        minutes = (
            await gql(
                query,
                {"i": "M1", "f": iso(opened), "t": iso(opened + timedelta(minutes=width))},
            )
        )["data"]["chart"]["candles"]
        assert last["volume"] == sum(m["volume"] for m in minutes)
        assert datetime.fromisoformat(got["candles"][0]["ts"]) >= day


async def test_daily_chart_agrees_with_minute_bars(gql: GraphQLClient) -> None:
    query = """query($i: Interval!, $f: DateTime!, $t: DateTime!) {
        chart(symbol: "MCB", interval: $i, from: $f, to: $t, limit: 5000) {
        candles { ts open high low close volume } } }"""
    day_start = NOW.replace(hour=0, minute=0) - timedelta(days=1)
    span = {"f": iso(day_start), "t": iso(day_start + timedelta(days=1))}
    daily = (await gql(query, {"i": "D1", **span}))["data"]["chart"]["candles"]
    minutes = (await gql(query, {"i": "M1", **span}))["data"]["chart"]["candles"]
    assert len(daily) == 1 and minutes
    d = daily[0]
    assert d["open"] == minutes[0]["open"] and d["close"] == minutes[-1]["close"]
    assert d["high"] == max(m["high"] for m in minutes)
    assert d["low"] == min(m["low"] for m in minutes)
    assert d["volume"] == sum(m["volume"] for m in minutes)


async def test_limit_keeps_the_newest_candles(gql: GraphQLClient) -> None:
    result = await gql(
        '{ all: chart(symbol: "PPL", interval: D1) { candles { ts } }'
        '  few: chart(symbol: "PPL", interval: D1, limit: 3) { candles { ts } } }'
    )
    assert result["data"]["few"]["candles"] == result["data"]["all"]["candles"][-3:]


async def test_adjusted_chart_scales_history_before_an_ex_date(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    from sqlalchemy import text

    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT i.symbol, a.ex_date FROM corporate_actions a JOIN instruments i"
                    " ON i.id = a.instrument_id WHERE a.kind = 'CASH_DIVIDEND'"
                    " AND a.ex_date > :since ORDER BY a.ex_date DESC LIMIT 1"
                ),
                {"since": (NOW - timedelta(days=300)).date()},
            )
        ).one()
    query = """query($s: String!, $a: Boolean!, $f: DateTime!, $t: DateTime!) {
        chart(symbol: $s, interval: D1, from: $f, to: $t, adjusted: $a, limit: 5000) {
        adjusted candles { ts close } } }"""
    span = {"f": iso(NOW - timedelta(days=360)), "t": iso(NOW)}
    raw = (await gql(query, {"s": row.symbol, "a": False, **span}))["data"]["chart"]
    adj = (await gql(query, {"s": row.symbol, "a": True, **span}))["data"]["chart"]
    assert adj["adjusted"] is True and len(raw["candles"]) == len(adj["candles"])
    ex = row.ex_date.isoformat()
    before = [(r, a) for r, a in zip(raw["candles"], adj["candles"], strict=True) if r["ts"] < ex]
    after = [(r, a) for r, a in zip(raw["candles"], adj["candles"], strict=True) if r["ts"] > ex]
    assert all(a["close"] < r["close"] for r, a in before)
    assert all(a["close"] == r["close"] for r, a in after)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ('symbol: "NOPE", interval: D1', ("UNKNOWN_SYMBOL", "symbol")),
        (
            'symbol: "OGDC", interval: D1, from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z"',
            ("OUT_OF_RANGE", "from"),
        ),
        (
            'symbol: "OGDC", interval: M1, from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z"',
            ("TOO_LARGE", "from"),
        ),
        ('symbol: "OGDC", interval: D1, limit: 10001', ("OUT_OF_RANGE", "limit")),
        ('symbol: "OGDC", interval: D1, limit: 0', ("OUT_OF_RANGE", "limit")),
    ],
)
async def test_chart_bad_arguments_are_named(
    gql: GraphQLClient, args: str, expected: tuple[str, str]
) -> None:
    result = await gql(f"{{ chart({args}) {{ symbol }} }}")
    assert result["data"] is None
    assert codes(result) == [expected]


async def test_unknown_interval_is_a_validation_error(client: Any) -> None:
    response = await client.post(
        "/graphql", json={"query": '{ chart(symbol: "OGDC", interval: M7) { symbol } }'}
    )
    body = response.json()
    assert "M7" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None


async def test_indices_levels_follow_their_members(gql: GraphQLClient) -> None:
    result = await gql(
        "{ indices { code level previousClose change changePercent"
        " constituents { symbol weight pointContribution } } }"
    )
    by_code = {i["code"]: i for i in result["data"]["indices"]}
    assert set(by_code) >= {"KSE100", "KSE30", "KMI30", "ALLSHR"}
    kse = by_code["KSE100"]
    assert len(kse["constituents"]) == 100 or len(kse["constituents"]) >= 80
    assert sum(c["weight"] for c in kse["constituents"]) == pytest.approx(100, abs=0.01)
    assert sum(c["pointContribution"] for c in kse["constituents"]) == pytest.approx(
        kse["change"], abs=0.05
    )
    assert kse["level"] - kse["previousClose"] == pytest.approx(kse["change"], abs=0.02)
    assert 100_000 < kse["level"] < 250_000
    assert max(c["weight"] for c in by_code["KMI30"]["constituents"]) <= 12.5


async def test_index_by_code_with_its_chart(gql: GraphQLClient) -> None:
    result = await gql(
        '{ index(code: "kse100") { code chart(interval: D1, limit: 10) { candles { close } } }'
        '  missing: index(code: "NOPE") { code } }'
    )
    assert result["data"]["missing"] is None
    assert result["data"]["index"]["code"] == "KSE100"
    assert len(result["data"]["index"]["chart"]["candles"]) == 10


async def test_sectors_summarise_breadth_and_size(gql: GraphQLClient) -> None:
    result = await gql(
        "{ sectors { code name changePercent advancers decliners unchanged volume turnover"
        " marketCap instrumentCount } }"
    )
    sectors = result["data"]["sectors"]
    assert len(sectors) >= 15
    for s in sectors:
        assert s["advancers"] + s["decliners"] + s["unchanged"] == s["instrumentCount"]
        assert s["marketCap"] > 0


async def test_heatmap_groups_by_sector_and_by_index(gql: GraphQLClient) -> None:
    result = await gql(
        "{ all: heatmap { key weight tiles { symbol weight changePercent } }"
        '  kmi: heatmap(groupBy: INDEX, index: "KMI30") { tiles { symbol } } }'
    )
    groups = result["data"]["all"]
    assert [g["weight"] for g in groups] == sorted((g["weight"] for g in groups), reverse=True)
    for g in groups:
        assert g["weight"] == pytest.approx(sum(t["weight"] for t in g["tiles"]))
    assert sum(len(g["tiles"]) for g in result["data"]["kmi"]) == 30


async def test_heatmap_by_index_needs_an_index(gql: GraphQLClient) -> None:
    result = await gql("{ heatmap(groupBy: INDEX) { key } }")
    assert codes(result) == [("INVALID", "index")]
