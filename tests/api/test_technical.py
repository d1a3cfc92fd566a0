"""The `technical` query: indicators over real candles, checked against TA-Lib."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import talib

from tests.conftest import NOW, GraphQLClient


def iso(d: object) -> str:
    return d.isoformat()  # type: ignore[attr-defined]


QUERY = """
query T($s: String!, $f: DateTime!, $t: DateTime!, $i: [IndicatorInput!]!) {
  technical(symbol: $s, interval: D1, from: $f, to: $t, indicators: $i, limit: 5000) {
    chart { candles { close high low } }
    series { kind label output values parameters { name value } }
  }
}
"""


async def test_indicators_match_ta_lib_on_the_symbols_candles(gql: GraphQLClient) -> None:
    span = {"f": iso(NOW - timedelta(days=700)), "t": iso(NOW)}
    indicators = [
        {"kind": "RSI"},
        {"kind": "MACD"},
        {"kind": "BBANDS", "period": 10, "stdDev": 1.5},
        {"kind": "ATR"},
    ]
    body = await gql(QUERY, {"s": "LUCK", **span, "i": indicators})
    assert "errors" not in body, body
    data = body["data"]["technical"]
    close = np.array([c["close"] for c in data["chart"]["candles"]])
    high = np.array([c["high"] for c in data["chart"]["candles"]])
    low = np.array([c["low"] for c in data["chart"]["candles"]])
    series = {(s["kind"], s["output"]): s for s in data["series"]}
    macd, signal, hist = talib.MACD(close)
    upper, middle, lower = talib.BBANDS(close, timeperiod=10, nbdevup=1.5, nbdevdn=1.5)
    expected = {
        ("RSI", "value"): talib.RSI(close),
        ("MACD", "macd"): macd,
        ("MACD", "signal"): signal,
        ("MACD", "histogram"): hist,
        ("BBANDS", "upper"): upper,
        ("BBANDS", "middle"): middle,
        ("BBANDS", "lower"): lower,
        ("ATR", "value"): talib.ATR(high, low, close),
    }
    assert set(series) == set(expected)
    for key, reference in expected.items():
        values = series[key]["values"]
        assert len(values) == len(close)
        got = np.array([np.nan if v is None else v for v in values])
        assert np.array_equal(np.isnan(got), np.isnan(reference)), key
        ok = ~np.isnan(reference)
        assert np.allclose(got[ok], reference[ok], rtol=1e-6, atol=1e-9), key
    assert series[("MACD", "macd")]["label"] == "MACD(12,26,9)"
    assert {p["name"]: p["value"] for p in series[("BBANDS", "upper")]["parameters"]} == {
        "period": 10,
        "stdDev": 1.5,
    }


@pytest.mark.parametrize(
    ("indicator", "field"),
    [
        ({"kind": "RSI", "period": 0}, "indicators[0].period"),
        ({"kind": "MACD", "fastPeriod": 30, "slowPeriod": 10}, "indicators[0].fastPeriod"),
        ({"kind": "RSI", "stdDev": 2.0}, "indicators[0].stdDev"),
    ],
)
async def test_bad_indicator_parameters_are_errors_naming_them(
    gql: GraphQLClient, indicator: dict[str, object], field: str
) -> None:
    span = {"f": iso(NOW - timedelta(days=100)), "t": iso(NOW)}
    body = await gql(QUERY, {"s": "OGDC", **span, "i": [indicator]})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["field"] == field
    assert body["errors"][0]["extensions"]["code"] in {"INVALID", "OUT_OF_RANGE"}


async def test_beta_is_against_kse100(gql: GraphQLClient) -> None:
    span = {"f": iso(NOW - timedelta(days=400)), "t": iso(NOW)}
    body = await gql(QUERY, {"s": "OGDC", **span, "i": [{"kind": "BETA", "period": 60}]})
    assert "errors" not in body, body
    values = body["data"]["technical"]["series"][0]["values"]
    tail = [v for v in values[-50:] if v is not None]
    assert len(tail) == 50
    assert all(-1 < v < 4 for v in tail)  # a KSE100 member: a plausible beta
