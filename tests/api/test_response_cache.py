"""The response cache: repeated public queries come from memory until their data changes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx

from api.response_cache import cacheable_document
from tests.conftest import CountingQuoteStore

QUERY = 'query Cached { quote(symbol: "PSO") { symbol last change } }'


async def post(client: httpx.AsyncClient, query: str) -> httpx.Response:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    return response


async def test_a_repeated_query_is_served_from_the_cache(client: httpx.AsyncClient) -> None:
    first = await post(client, QUERY)
    second = await post(client, QUERY)
    assert "x-cache" not in first.headers
    assert second.headers["x-cache"] == "hit"
    assert second.content == first.content


async def test_a_tick_to_a_symbol_in_the_answer_invalidates_it(
    client: httpx.AsyncClient, quote_store: CountingQuoteStore
) -> None:
    query = 'query Tick { quotes(symbols: ["FFC", "EFERT"]) { symbol last } }'
    await post(client, query)
    assert (await post(client, query)).headers.get("x-cache") == "hit"
    [ffc] = await quote_store.get_many(["FFC"])
    assert ffc is not None
    ticked = replace(ffc, last=ffc.last + Decimal("0.01"))
    await quote_store.put_many([ticked])
    fresh = await post(client, query)
    assert "x-cache" not in fresh.headers
    assert fresh.json()["data"]["quotes"][0]["last"] == float(ticked.last)
    await quote_store.put_many([ffc])


async def test_charts_and_market_status_are_never_cached(client: httpx.AsyncClient) -> None:
    for query in (
        '{ index(code: "KSE30") { code chart(interval: D1, limit: 2) { candles { close } } } }',
        "{ marketStatus { state } }",
    ):
        await post(client, query)
        assert "x-cache" not in (await post(client, query)).headers


def test_only_queries_of_listed_root_fields_qualify() -> None:
    assert cacheable_document("{ quotes(symbols: []) { symbol } sectors { code } }", None)
    assert not cacheable_document('{ quote(symbol: "A") { symbol } marketStatus { state } }', None)
    assert not cacheable_document("{ ...F } fragment F on Query { sectors { code } }", None)
    assert not cacheable_document("mutation { quote }", None)
    assert not cacheable_document("{ broken", None)
    two = "query A { sectors { code } } query B { marketStatus { state } }"
    assert cacheable_document(two, "A") and not cacheable_document(two, "B")
