"""Backtests through GraphQL: stored runs equal the engine's on the same bars, fills after signals,
symbols from a list or a screen, typed errors, owners only, the plan's bound."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import talib
import talib.abstract
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import backtest_bars as bars_repo
from db.repos.markets import load_reference
from domain.analytics.indicators import IndicatorKind, IndicatorParams
from domain.backtests.engine import BacktestSettings, run_backtest
from domain.backtests.metrics import Metrics
from domain.backtests.results import BacktestResult
from domain.backtests.strategies import (
    Condition,
    Operand,
    Operator,
    PriceField,
    Rule,
    Sizing,
    SizingKind,
    Strategy,
)
from resolvers.backtests import BENCHMARK, shutdown_pool, warmup_bars
from schema.analytics.technical import IndicatorInput
from tests.api.conftest import Api
from tests.api.test_profiles import login, signed_in
from tests.conftest import DEMO_END, NOW

FRAGMENT = """
fragment Run on Backtest {
  id name symbols from to bars elapsedMs strategy settings
  metrics {
    start end durationDays sessions sessionsPerYear equityFinal equityPeak totalReturnPct
    buyAndHoldReturnPct annualReturnPct cagrPct annualVolatilityPct sharpe sortino calmar
    maxDrawdownPct avgDrawdownPct maxDrawdownBars maxDrawdownDays avgDrawdownBars
    avgDrawdownDays trades winRatePct bestTradePct worstTradePct avgTradePct maxTradeBars
    avgTradeBars profitFactor expectancyPct sqn kelly exposureTimePct totalCosts totalTax
    benchmarkReturnPct alphaPct beta
  }
  equityCurve { ts equity cash exposurePct drawdownPct }
  trades {
    symbol entryTs exitTs entryPrice exitPrice quantity grossPnl costs netPnl returnPct
    barsHeld exitReason
  }
  taxes { taxYear ts netGain tax }
}
"""
RUN = (
    "mutation R($i: RunBacktestInput!) {"
    " runBacktest(input: $i) { backtest { ...Run } errors { field message code } } }" + FRAGMENT
)
ONE = "query B($id: UUID!) { backtest(id: $id) { ...Run } }" + FRAGMENT
LIST = """
query L($first: Int, $after: String) {
  backtests(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes { id name symbols }
  }
}
"""

START = date(2025, 1, 2)


def sma(period: int) -> dict[str, Any]:
    return {"kind": "INDICATOR", "indicator": {"kind": "SMA", "period": period}}


SMA_CROSS = {
    "entry": {"conditions": [{"left": sma(10), "operator": "CROSSES_ABOVE", "right": sma(30)}]},
    "exit": {"conditions": [{"left": sma(10), "operator": "CROSSES_BELOW", "right": sma(30)}]},
}
FAST = Operand.of(IndicatorKind.SMA, IndicatorParams(period=10))
SLOW = Operand.of(IndicatorKind.SMA, IndicatorParams(period=30))
DOMAIN_CROSS = Strategy(
    entry=Rule(conditions=(Condition(FAST, Operator.CROSSES_ABOVE, SLOW),)),
    exit=Rule(conditions=(Condition(FAST, Operator.CROSSES_BELOW, SLOW),)),
)


@pytest.fixture(scope="module", autouse=True)
def _worker() -> Iterator[None]:
    """The engine's worker process ends with this module's tests."""
    yield
    shutdown_pool()


async def _stored(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM backtests")) or 0)


async def _token(api: Api) -> str:
    _, tokens = await signed_in(api)
    token: str = tokens["accessToken"]
    return token


async def _run(api: Api, token: str | None, given: dict[str, Any]) -> dict[str, Any]:
    body = await api(RUN, {"i": given}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["runBacktest"]
    return payload


async def _engine_run(
    engine: AsyncEngine,
    symbols: list[str],
    strategy: Strategy,
    settings: BacktestSettings,
) -> tuple[BacktestResult, int]:
    """The engine on the bars the API reads (the same repo calls), and how many bars."""
    assert settings.start is not None and settings.end is not None
    ref = await load_reference(engine)
    ids = [ref.instrument_by_symbol[s].id for s in symbols]
    warmup = warmup_bars(strategy)
    frames = await bars_repo.daily_frames(
        engine, instrument_ids=ids, first_day=settings.start, last_day=settings.end, warmup=warmup
    )
    benchmark = await bars_repo.benchmark_frame(
        engine,
        code=BENCHMARK,
        first_day=settings.start - timedelta(days=2 * warmup + 31),
        last_day=settings.end,
    )
    bars = {s: frames[i] for s, i in zip(symbols, ids, strict=True)}
    result = run_backtest(bars, strategy, settings, benchmark=benchmark)
    return result, sum(f.height for f in bars.values())


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, Decimal):
        return Decimal(got) == want and got == str(want)
    if isinstance(want, datetime):
        return datetime.fromisoformat(got) == want
    if hasattr(want, "value"):  # an enum
        return bool(got == want.value)
    return bool(got == want)


def assert_equals_engine(run: dict[str, Any], result: BacktestResult) -> None:
    """Every metric, equity point, trade and tax as the engine computed it, exactly."""
    for f in dataclasses.fields(Metrics):
        got, want = run["metrics"][_camel(f.name)], getattr(result.metrics, f.name)
        assert _same(got, want), (f.name, got, want)
    assert len(run["equityCurve"]) == len(result.equity)
    for point, want in zip(run["equityCurve"], result.equity, strict=True):
        for f in dataclasses.fields(want):
            assert _same(point[_camel(f.name)], getattr(want, f.name)), (f.name, point, want)
    assert len(run["trades"]) == len(result.trades)
    for trade, want in zip(run["trades"], result.trades, strict=True):
        for f in dataclasses.fields(want):
            assert _same(trade[_camel(f.name)], getattr(want, f.name)), (f.name, trade, want)
    assert len(run["taxes"]) == len(result.taxes)
    for tax, want in zip(run["taxes"], result.taxes, strict=True):
        for f in dataclasses.fields(want):
            assert _same(tax[_camel(f.name)], getattr(want, f.name)), (f.name, tax, want)


async def _quiet_symbol(engine: AsyncEngine) -> str:
    """A symbol without corporate actions in the demo history (raw prices = adjusted)."""
    sql = text(
        "SELECT symbol FROM instruments i WHERE NOT EXISTS"
        " (SELECT 1 FROM corporate_actions a WHERE a.instrument_id = i.id)"
        " AND EXISTS (SELECT 1 FROM daily_bars b WHERE b.instrument_id = i.id)"
        " ORDER BY symbol LIMIT 1"
    )
    async with engine.connect() as conn:
        symbol = await conn.scalar(sql)
    assert symbol is not None
    return str(symbol)


async def test_sma_crossover_run_stores_exactly_what_the_engine_computes_on_the_same_bars(
    api: Api, engine: AsyncEngine
) -> None:
    token = await _token(api)
    given = {
        "symbols": ["ogdc"],
        "from": START.isoformat(),
        "to": DEMO_END.isoformat(),
        "strategy": SMA_CROSS,
        "settings": {"capitalGainsTaxPct": "15", "riskFreeRatePct": 10.5},
    }
    payload = await _run(api, token, given)
    assert payload["errors"] == []
    run = payload["backtest"]
    settings = BacktestSettings(
        capital_gains_tax_pct=Decimal(15), risk_free_rate_pct=10.5, start=START, end=DEMO_END
    )
    result, bars = await _engine_run(engine, ["OGDC"], DOMAIN_CROSS, settings)
    assert len(result.trades) >= 3 and result.taxes  # the run has something to compare
    assert_equals_engine(run, result)
    assert run["symbols"] == ["OGDC"] and run["bars"] == bars
    assert (run["from"], run["to"]) == ("2025-01-02", "2026-11-19")
    assert run["name"] == "OGDC, 2025-01-02 to 2026-11-19"
    # The input as given, with the defaults it took.
    defaulted = {"kind": "INDICATOR", "output": "value"}
    assert run["strategy"] == {
        side: {
            "combinator": "AND",
            "rules": [],
            "conditions": [
                {
                    "left": {**defaulted, "indicator": {"kind": "SMA", "period": 10}},
                    "operator": "CROSSES_ABOVE" if side == "entry" else "CROSSES_BELOW",
                    "right": {**defaulted, "indicator": {"kind": "SMA", "period": 30}},
                }
            ],
        }
        for side in ("entry", "exit")
    }
    assert run["settings"] == {
        "initialCash": "1000000",
        "fill": "NEXT_OPEN",
        "slippageTicks": 0,
        "costs": True,
        "capitalGainsTaxPct": "15",
        "riskFreeRatePct": 10.5,
    }
    # Read back later: the same run, as stored.
    again = await api(ONE, {"id": run["id"]}, token=token)
    assert again["data"]["backtest"] == run


async def test_entries_and_exits_fill_at_the_open_of_the_bar_after_the_crossing(
    api: Api, engine: AsyncEngine
) -> None:
    symbol = await _quiet_symbol(engine)
    token = await _token(api)
    given = {"symbols": [symbol], "from": START.isoformat(), "strategy": SMA_CROSS}
    payload = await _run(api, token, given)
    assert payload["errors"] == []
    trades = payload["backtest"]["trades"]
    chart = await api(
        """query C($s: String!, $f: DateTime!, $t: DateTime!) {
             chart(symbol: $s, interval: D1, from: $f, to: $t, limit: 5000) {
               candles { ts open close } } }""",
        {"s": symbol, "f": "2024-01-01T00:00:00Z", "t": (NOW + timedelta(days=1)).isoformat()},
    )
    candles = chart["data"]["chart"]["candles"]
    ts = [datetime.fromisoformat(c["ts"]) for c in candles]
    close = np.array([c["close"] for c in candles])
    fast, slow = talib.SMA(close, 10), talib.SMA(close, 30)
    above = fast > slow
    below = fast < slow
    # TA-Lib's SMAs on the chart's closes: a crossing on bar t is a signal, traded on t + 1.
    first = next(i for i, t in enumerate(ts) if t.date() >= START)
    ups = [i for i in range(max(first, 31), len(ts) - 1) if above[i] and not above[i - 1]]
    downs = [i for i in range(max(first, 31), len(ts) - 1) if below[i] and not below[i - 1]]
    entries, exits = [], []
    holding = False
    for i in sorted(ups + downs):
        if i in ups and not holding:
            entries.append(i + 1)
            holding = True
        elif i in downs and holding:
            exits.append(i + 1)
            holding = False
    assert len(entries) >= 3
    assert [datetime.fromisoformat(t["entryTs"]) for t in trades] == [ts[i] for i in entries]
    signal_exits = [t for t in trades if t["exitReason"] == "SIGNAL"]
    assert [datetime.fromisoformat(t["exitTs"]) for t in signal_exits] == [ts[i] for i in exits]
    for trade, i in zip(trades, entries, strict=True):
        assert Decimal(trade["entryPrice"]) == Decimal(str(candles[i]["open"])).quantize(
            Decimal("0.0001")
        )


async def test_equal_weight_over_five_symbols_trades_them_together(
    api: Api, engine: AsyncEngine
) -> None:
    symbols = ["OGDC", "HUBC", "LUCK", "MCB", "ENGROH"]
    token = await _token(api)
    strategy = {**SMA_CROSS, "sizing": {"kind": "EQUAL_WEIGHT", "rebalanceEvery": 20}}
    given = {"symbols": symbols, "from": START.isoformat(), "strategy": strategy}
    payload = await _run(api, token, given)
    assert payload["errors"] == []
    run = payload["backtest"]
    settings = BacktestSettings(start=START, end=DEMO_END)
    domain = dataclasses.replace(
        DOMAIN_CROSS, sizing=Sizing(SizingKind.EQUAL_WEIGHT, rebalance_every=20)
    )
    result, bars = await _engine_run(engine, symbols, domain, settings)
    assert_equals_engine(run, result)
    assert run["symbols"] == symbols and run["bars"] == bars
    assert {t["symbol"] for t in run["trades"]} == set(symbols)


async def test_a_screen_selects_the_symbols_in_its_order(api: Api) -> None:
    banks = {"conditions": [{"field": "SECTOR", "operator": "IN", "values": ["0807"]}]}
    token = await _token(api)
    payload = await _run(api, token, {"screen": banks, "from": "2026-01-01", "strategy": SMA_CROSS})
    assert payload["errors"] == []
    listed = await api(
        "query S($f: ScreenFilterInput) { screen(filter: $f, first: 100) { nodes { symbol } } }",
        {"f": banks},
    )
    symbols = [n["symbol"] for n in listed["data"]["screen"]["nodes"]]
    run = payload["backtest"]
    assert len(symbols) >= 5 and run["symbols"] == symbols
    assert {t["symbol"] for t in run["trades"]} <= set(symbols)
    # The first session simulated is the first of the range the calendar has.
    assert run["from"] == run["equityCurve"][0]["ts"][:10] >= "2026-01-01"


NESTED_BAD_PERIOD = {
    "entry": {
        "combinator": "OR",
        "conditions": [{"left": sma(10), "operator": "CROSSES_ABOVE", "right": sma(30)}],
        "rules": [
            {
                "conditions": [
                    {
                        "left": {"kind": "PRICE", "priceField": "CLOSE"},
                        "operator": "ABOVE",
                        "right": {"kind": "INDICATOR", "indicator": {"kind": "EMA", "period": 1}},
                    }
                ]
            }
        ],
    }
}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"strategy": NESTED_BAD_PERIOD},
            {
                "field": "input.strategy.entry.rules[0].conditions[0].right.indicator.period",
                "message": "period must be between 2 and 1000.",
                "code": "OUT_OF_RANGE",
            },
        ),
        (
            {"strategy": {**SMA_CROSS, "stopLossPct": "150"}},
            {
                "field": "input.strategy.stopLossPct",
                "message": "The stop-loss is a percent between 0 and 100.",
                "code": "OUT_OF_RANGE",
            },
        ),
        (
            {"symbols": ["OGDC", "NOPE"]},
            {
                "field": "input.symbols[1]",
                "message": "Unknown symbol 'NOPE'.",
                "code": "UNKNOWN_SYMBOL",
            },
        ),
        (
            {"symbols": ["OGDC", "ogdc"]},
            {"field": "input.symbols[1]", "message": "OGDC is listed twice.", "code": "INVALID"},
        ),
        (
            {"screen": {"conditions": [{"field": "SECTOR", "operator": "IN", "values": ["9"]}]}},
            {
                "field": "input.screen.conditions[0].values",
                "message": "Unknown sector code '9'.",
                "code": "NOT_FOUND",
            },
        ),
        (
            {"from": "2026-06-01", "to": "2026-05-01"},
            {"field": "input.to", "message": "The range ends before it starts.", "code": "INVALID"},
        ),
        (
            {"settings": {"slippageTicks": 101}},
            {
                "field": "input.settings.slippageTicks",
                "message": "Slippage runs from 0 to 100 ticks.",
                "code": "OUT_OF_RANGE",
            },
        ),
    ],
)
async def test_invalid_runs_name_the_input_at_fault_and_store_nothing(
    api: Api, engine: AsyncEngine, change: dict[str, Any], error: dict[str, Any]
) -> None:
    token = await _token(api)
    before = await _stored(engine)
    given: dict[str, Any] = {"symbols": ["OGDC"], "strategy": SMA_CROSS, **change}
    if "screen" in change:
        del given["symbols"]
    payload = await _run(api, token, given)
    assert payload == {"backtest": None, "errors": [error]}
    assert await _stored(engine) == before


async def test_more_symbols_than_a_backtest_trades_is_too_large(
    api: Api, engine: AsyncEngine
) -> None:
    ref = await load_reference(engine)
    symbols = sorted(ref.instrument_by_symbol)[:101]
    token = await _token(api)
    payload = await _run(api, token, {"symbols": symbols, "strategy": SMA_CROSS})
    assert payload == {
        "backtest": None,
        "errors": [
            {
                "field": "input.symbols",
                "message": "A backtest trades at most 100 symbols.",
                "code": "TOO_LARGE",
            }
        ],
    }


async def test_the_plan_bounds_symbols_times_bars_and_a_refusal_stores_nothing(
    api: Api, engine: AsyncEngine
) -> None:
    ref = await load_reference(engine)
    symbols = sorted(ref.instrument_by_symbol)[:100]
    email, tokens = await signed_in(api)
    # 100 symbols × (500 sessions + 59 bars of warm-up, 2 × 29 + 1) = 55,900 bars; a USER
    # runs 50,000.
    given = {"symbols": symbols, "from": "2024-11-20", "strategy": SMA_CROSS}
    before = await _stored(engine)
    payload = await _run(api, tokens["accessToken"], given)
    assert payload == {
        "backtest": None,
        "errors": [
            {
                "field": "input.symbols",
                "message": (
                    "Your plan runs backtests of up to 50,000 bars (symbols × sessions, warm-up "
                    "included); this one needs 55,900: use fewer symbols or a shorter range."
                ),
                "code": "TOO_LARGE",
            }
        ],
    }
    assert await _stored(engine) == before
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'PREMIUM' WHERE email = :e"), {"e": email})
    premium = (await login(api, email))["tokens"]["accessToken"]
    allowed = await _run(api, premium, given)
    assert allowed["errors"] == []
    # Warm-up reaches before the first bar: every bar the demo has, 500 a symbol.
    assert allowed["backtest"]["bars"] == 100 * 500
    assert await _stored(engine) == before + 1


async def test_anonymous_runs_are_refused_and_store_nothing(api: Api, engine: AsyncEngine) -> None:
    before = await _stored(engine)
    body = await api(RUN, {"i": {"symbols": ["OGDC"], "strategy": SMA_CROSS}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _stored(engine) == before
    listed = await api(LIST)
    assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_runs_are_their_owners_only(api: Api) -> None:
    owner = await _token(api)
    payload = await _run(
        api, owner, {"symbols": ["HUBC"], "from": "2026-06-01", "strategy": SMA_CROSS}
    )
    run_id = payload["backtest"]["id"]
    other = await _token(api)
    theirs = await api(ONE, {"id": run_id}, token=other)
    assert theirs == {"data": {"backtest": None}}
    listed = await api(LIST, token=other)
    assert listed["data"]["backtests"]["totalCount"] == 0
    assert listed["data"]["backtests"]["nodes"] == []
    unknown = await api(ONE, {"id": "00000000-0000-4000-8000-000000000000"}, token=owner)
    assert unknown == {"data": {"backtest": None}}
    mine = await api(LIST, token=owner)
    assert [n["id"] for n in mine["data"]["backtests"]["nodes"]] == [run_id]


async def test_backtests_page_newest_first(api: Api) -> None:
    token = await _token(api)
    names = [f"run {n}" for n in range(3)]
    for name in names:
        given = {"name": name, "symbols": ["PPL"], "from": "2026-09-01", "strategy": SMA_CROSS}
        assert (await _run(api, token, given))["errors"] == []
    first = (await api(LIST, {"first": 2}, token=token))["data"]["backtests"]
    assert [n["name"] for n in first["nodes"]] == ["run 2", "run 1"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    after = first["pageInfo"]["endCursor"]
    rest = (await api(LIST, {"first": 2, "after": after}, token=token))["data"]["backtests"]
    assert [n["name"] for n in rest["nodes"]] == ["run 0"]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    # A list that asks for the curves and trades reads them with the page.
    detailed = await api(
        "{ backtests(first: 1) { nodes { id equityCurve { equity } trades { symbol } } } }",
        token=token,
    )
    [node] = detailed["data"]["backtests"]["nodes"]
    alone = await api(ONE, {"id": node["id"]}, token=token)
    assert [p["equity"] for p in alone["data"]["backtest"]["equityCurve"]] == [
        p["equity"] for p in node["equityCurve"]
    ]


async def test_bars_are_back_adjusted_as_the_adjusted_chart_shows_them(
    api: Api, engine: AsyncEngine
) -> None:
    # MARI's 800% bonus (ex 22 Dec 2025) divides earlier prices by 9; dividends scale a little.
    ref = await load_reference(engine)
    mari = ref.instrument_by_symbol["MARI"].id
    frames = await bars_repo.daily_frames(
        engine, instrument_ids=[mari], first_day=date(2025, 6, 2), last_day=DEMO_END, warmup=20
    )
    frame = frames[mari]
    chart = await api(
        """query C($f: DateTime!, $t: DateTime!) {
             chart(symbol: "MARI", interval: D1, from: $f, to: $t, limit: 5000, adjusted: true) {
               candles { ts open high low close volume } } }""",
        {"f": "2024-01-01T00:00:00Z", "t": (NOW + timedelta(days=1)).isoformat()},
    )
    candles = {datetime.fromisoformat(c["ts"]): c for c in chart["data"]["chart"]["candles"]}
    rows = frame.to_dicts()
    # 20 bars of warm-up before the first day, then every session to the end.
    assert rows[20]["ts"].date() == date(2025, 6, 2) and rows[-1]["ts"].date() == DEMO_END
    for row in rows:
        candle = candles[row["ts"]]
        for column in ("open", "high", "low", "close"):
            assert row[column] == pytest.approx(candle[column], rel=1e-6, abs=1e-4)
        # Volumes scale by the share counts, as the chart's (whole shares there).
        assert row["volume"] == pytest.approx(candle["volume"], abs=1.0)
    raw = await api(
        """query C($f: DateTime!, $t: DateTime!) {
             chart(symbol: "MARI", interval: D1, from: $f, to: $t, limit: 5000) {
               candles { ts close volume turnover } } }""",
        {"f": "2024-01-01T00:00:00Z", "t": (NOW + timedelta(days=1)).isoformat()},
    )
    traded = {datetime.fromisoformat(c["ts"]): c for c in raw["data"]["chart"]["candles"]}
    assert rows[0]["close"] < traded[rows[0]["ts"]]["close"] / 8.5  # the bonus shows
    first = traded[rows[0]["ts"]]
    assert rows[0]["volume"] == pytest.approx(first["volume"] * 9, rel=1e-9)  # the bonus's 9
    for row in rows:
        # VWAP (turnover over volume) is adjusted like the prices.
        candle = traded[row["ts"]]
        scale = row["close"] / candle["close"]
        vwap = candle["turnover"] / candle["volume"]
        assert row["turnover"] / row["volume"] == pytest.approx(vwap * scale, rel=1e-9)
    after = [r for r in rows if r["ts"].date() >= date(2025, 12, 22)]
    assert after and all(r["volume"] == traded[r["ts"]]["volume"] for r in after)


@pytest.mark.parametrize(
    ("indicator", "function", "params"),
    [
        ({"kind": "SMA", "period": 30}, "SMA", {"timeperiod": 30}),
        ({"kind": "TEMA", "period": 20}, "TEMA", {"timeperiod": 20}),
        ({"kind": "MACD"}, "MACD", {}),
        ({"kind": "ADX", "period": 14}, "ADX", {"timeperiod": 14}),
    ],
)
def test_warm_up_is_twice_the_ta_lib_lookback_plus_one(
    indicator: dict[str, Any], function: str, params: dict[str, int]
) -> None:
    request = IndicatorInput(**{_snake(k): v for k, v in indicator.items()}).to_domain()
    operand = Operand.of(request.kind, request.params)
    price = Operand.price(PriceField.CLOSE)
    strategy = Strategy(entry=Rule(conditions=(Condition(price, Operator.ABOVE, operand),)))
    lookback = talib.abstract.Function(function, **params).lookback
    assert warmup_bars(strategy) == 2 * lookback + 1


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
