"""The `patterns` query: candlestick signals equal TA-Lib's on the symbol's own candles."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import talib

from domain.analytics.patterns import CANDLESTICK_FUNCTIONS, PatternKind
from tests.conftest import NOW, GraphQLClient

QUERY = """
query P($s: String!, $f: DateTime!, $t: DateTime!, $k: [PatternKind!]) {
  chart(symbol: $s, interval: D1, from: $f, to: $t, limit: 5000) {
    candles { ts open high low close }
  }
  patterns(symbol: $s, interval: D1, from: $f, to: $t, limit: 5000, kinds: $k) {
    symbol interval candleCount
    matches { kind direction signal confidence level start end candles { ts } }
  }
}
"""
SPAN = {"f": (NOW - timedelta(days=700)).isoformat(), "t": NOW.isoformat()}


async def test_candlestick_matches_equal_ta_lib_on_the_charted_candles(gql: GraphQLClient) -> None:
    body = await gql(QUERY, {"s": "LUCK", **SPAN, "k": None})
    assert "errors" not in body, body
    candles = body["data"]["chart"]["candles"]
    result = body["data"]["patterns"]
    assert result["candleCount"] == len(candles) > 400
    ohlc = [
        np.array([c[k] for c in candles], dtype=float) for k in ("open", "high", "low", "close")
    ]
    index = {c["ts"]: i for i, c in enumerate(candles)}
    found = 0
    for kind, function in CANDLESTICK_FUNCTIONS.items():
        expected = getattr(talib, function)(*ohlc)
        got = np.zeros(len(candles), dtype=int)
        for m in result["matches"]:
            if m["kind"] == kind.value:
                got[index[m["end"]]] = m["signal"]
                assert m["confidence"] is None
                assert [c["ts"] for c in m["candles"]][-1] == m["end"]
                assert m["candles"][0]["ts"] == m["start"]
        assert np.array_equal(got, expected), kind
        found += int(np.count_nonzero(expected))
    assert found > 100  # two years of candles hold plenty of candlestick signals
    chart_kinds = {m["kind"] for m in result["matches"]} - {k.value for k in CANDLESTICK_FUNCTIONS}
    assert {"SUPPORT", "RESISTANCE", "NEW_52_WEEK_HIGH"} & chart_kinds
    assert all(m["level"] is not None for m in result["matches"] if m["kind"] in chart_kinds)


async def test_kinds_limit_the_search(gql: GraphQLClient) -> None:
    body = await gql(
        QUERY, {"s": "OGDC", **SPAN, "k": ["ENGULFING", "GOLDEN_CROSS", "DEATH_CROSS"]}
    )
    kinds = {m["kind"] for m in body["data"]["patterns"]["matches"]}
    assert kinds and kinds <= {"ENGULFING", "GOLDEN_CROSS", "DEATH_CROSS"}
    for m in body["data"]["patterns"]["matches"]:
        if m["kind"] == "ENGULFING":
            assert len(m["candles"]) == 2
            assert m["direction"] == ("BULLISH" if m["signal"] > 0 else "BEARISH")


async def test_an_unknown_symbol_is_an_error_naming_it(gql: GraphQLClient) -> None:
    body = await gql(
        QUERY.replace("chart(symbol: $s", 'c: chart(symbol: "OGDC"'),
        {"s": "NOPE", **SPAN, "k": None},
    )
    assert body["data"] is None
    extensions = dict(body["errors"][0]["extensions"])
    extensions.pop("requestId", None)  # present when the request went through the middleware
    assert extensions == {"code": "UNKNOWN_SYMBOL", "field": "symbol"}


def test_every_candlestick_kind_has_its_ta_lib_function() -> None:
    assert all(hasattr(talib, f) for f in CANDLESTICK_FUNCTIONS.values())
    assert sum(1 for k in PatternKind if k.candlestick) >= 20
