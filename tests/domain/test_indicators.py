"""Technical indicators: every output line against TA-Lib, the non-TA-Lib ones against numpy
references, and the validation rules with the field and code each names."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import talib

from domain.analytics import ta
from domain.analytics.indicators import (
    IndicatorKind,
    IndicatorParams,
    IndicatorRequest,
    IndicatorResult,
    compute,
)
from domain.errors import DomainError, ErrorCode

K = IndicatorKind
P = IndicatorParams
Array = np.ndarray
T0 = datetime(2016, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Bars:
    """OHLCV as numpy arrays (for TA-Lib) and as the frame `compute` reads."""

    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    benchmark: Array

    def frame(self) -> pl.DataFrame:
        ts = [T0 + timedelta(days=i) for i in range(len(self.close))]
        return pl.DataFrame(
            {
                "ts": ts,
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            },
            schema={
                "ts": pl.Datetime("us", "UTC"),
                **dict.fromkeys(("open", "high", "low", "close", "volume"), pl.Float64),
            },
        )

    def scaled(self, factor: float) -> Bars:
        return Bars(
            self.open * factor,
            self.high * factor,
            self.low * factor,
            self.close * factor,
            self.volume,
            self.benchmark * factor,
        )


def random_walk(n: int = 2500, seed: int = 20261119) -> Bars:
    """A geometric random walk with consistent OHLC and positive volume."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.02, n)))
    open_ = np.concatenate(([100.0], close[:-1] * np.exp(rng.normal(0, 0.005, n - 1))))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.01, n)))
    volume = rng.integers(1_000, 500_000, n).astype(np.float64)
    index = 50_000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.011, n)))
    return Bars(open_, high, low, close, volume, index)


def real_shaped(n: int = 2000, seed: int = 7) -> Bars:
    """A penny stock on the 0.01 tick: trends, mean reversion, gaps, suspensions (flat bars
    without volume, one long enough for Wilder's averages to decay), unchanged closes."""
    rng = np.random.default_rng(seed)
    trend = np.repeat(rng.normal(0.0, 0.003, n // 100 + 1), 100)[:n]
    level, swing = math.log(8.0), 0.0
    closes = np.empty(n)
    for t in range(n):
        swing = 0.85 * swing + 0.012 * rng.standard_t(4)
        level += trend[t] + (rng.choice([-0.08, 0.08]) if rng.random() < 0.01 else 0.0)
        closes[t] = max(0.01, round(math.exp(level + swing), 2))
    opens = np.concatenate(([closes[0]], closes[:-1]))
    opens = np.maximum(0.01, np.round(opens * np.exp(rng.normal(0, 0.004, n)), 2))
    high = np.round(np.maximum(opens, closes) + np.abs(rng.normal(0, 0.05, n)), 2)
    low = np.maximum(0.01, np.round(np.minimum(opens, closes) - np.abs(rng.normal(0, 0.05, n)), 2))
    volume = np.round(rng.lognormal(11, 1.2, n))
    halted = rng.random(n) < 0.03
    for start, stop in ((400, 430), (1200, 1330), (1700, 1703)):
        halted[start:stop] = True
    for t in np.flatnonzero(halted):
        if t == 0:
            continue
        opens[t] = high[t] = low[t] = closes[t] = closes[t - 1]
        volume[t] = 0.0
    index = 40_000.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.009, n)))
    index[1200:1330] = index[1199]  # a market-wide halt: no benchmark variance
    return Bars(opens, high, low, closes, volume, index)


SERIES = {
    "random-walk": random_walk(),
    "real-shaped": real_shaped(),
    # TA-Lib's zero tests are scale-free: a stock quoted in tiny units reads the same.
    "tiny-units": real_shaped().scaled(2.0**-40),
}

Reference = Callable[[Bars], dict[str, Array]]


def one(line: Array) -> dict[str, Array]:
    return {"value": line}


CASES: list[tuple[IndicatorRequest, Reference]] = [
    (IndicatorRequest(K.SMA), lambda b: one(talib.SMA(b.close, 30))),
    (IndicatorRequest(K.SMA, P(period=7)), lambda b: one(talib.SMA(b.close, 7))),
    (IndicatorRequest(K.EMA), lambda b: one(talib.EMA(b.close, 30))),
    (IndicatorRequest(K.EMA, P(period=12)), lambda b: one(talib.EMA(b.close, 12))),
    (IndicatorRequest(K.WMA), lambda b: one(talib.WMA(b.close, 30))),
    (IndicatorRequest(K.WMA, P(period=9)), lambda b: one(talib.WMA(b.close, 9))),
    (IndicatorRequest(K.DEMA), lambda b: one(talib.DEMA(b.close, 30))),
    (IndicatorRequest(K.DEMA, P(period=10)), lambda b: one(talib.DEMA(b.close, 10))),
    (IndicatorRequest(K.TEMA), lambda b: one(talib.TEMA(b.close, 30))),
    (IndicatorRequest(K.TEMA, P(period=8)), lambda b: one(talib.TEMA(b.close, 8))),
    (
        IndicatorRequest(K.BBANDS),
        lambda b: dict(zip(("upper", "middle", "lower"), talib.BBANDS(b.close), strict=True)),
    ),
    (
        IndicatorRequest(K.BBANDS, P(period=5, std_dev=1.5)),
        lambda b: dict(
            zip(("upper", "middle", "lower"), talib.BBANDS(b.close, 5, 1.5, 1.5), strict=True)
        ),
    ),
    (IndicatorRequest(K.RSI), lambda b: one(talib.RSI(b.close, 14))),
    (IndicatorRequest(K.RSI, P(period=5)), lambda b: one(talib.RSI(b.close, 5))),
    (
        IndicatorRequest(K.MACD),
        lambda b: dict(zip(("macd", "signal", "histogram"), talib.MACD(b.close), strict=True)),
    ),
    (
        IndicatorRequest(K.MACD, P(fast_period=5, slow_period=35, signal_period=5)),
        lambda b: dict(
            zip(("macd", "signal", "histogram"), talib.MACD(b.close, 5, 35, 5), strict=True)
        ),
    ),
    (
        IndicatorRequest(K.STOCH),
        lambda b: dict(zip(("k", "d"), talib.STOCH(b.high, b.low, b.close), strict=True)),
    ),
    (
        IndicatorRequest(K.STOCH, P(period=14, k_period=1, d_period=5)),
        lambda b: dict(
            zip(("k", "d"), talib.STOCH(b.high, b.low, b.close, 14, 1, 0, 5, 0), strict=True)
        ),
    ),
    (
        IndicatorRequest(K.STOCHRSI),
        lambda b: dict(zip(("k", "d"), talib.STOCHRSI(b.close), strict=True)),
    ),
    (
        IndicatorRequest(K.STOCHRSI, P(period=9, k_period=3, d_period=2)),
        lambda b: dict(zip(("k", "d"), talib.STOCHRSI(b.close, 9, 3, 2), strict=True)),
    ),
    (
        IndicatorRequest(K.ADX),
        lambda b: {
            "adx": talib.ADX(b.high, b.low, b.close, 14),
            "plusDi": talib.PLUS_DI(b.high, b.low, b.close, 14),
            "minusDi": talib.MINUS_DI(b.high, b.low, b.close, 14),
        },
    ),
    (
        IndicatorRequest(K.ADX, P(period=5)),
        lambda b: {
            "adx": talib.ADX(b.high, b.low, b.close, 5),
            "plusDi": talib.PLUS_DI(b.high, b.low, b.close, 5),
            "minusDi": talib.MINUS_DI(b.high, b.low, b.close, 5),
        },
    ),
    (IndicatorRequest(K.CCI), lambda b: one(talib.CCI(b.high, b.low, b.close, 14))),
    (IndicatorRequest(K.CCI, P(period=20)), lambda b: one(talib.CCI(b.high, b.low, b.close, 20))),
    (IndicatorRequest(K.ROC), lambda b: one(talib.ROC(b.close, 10))),
    (IndicatorRequest(K.ROC, P(period=1)), lambda b: one(talib.ROC(b.close, 1))),
    (IndicatorRequest(K.MOM), lambda b: one(talib.MOM(b.close, 10))),
    (IndicatorRequest(K.MOM, P(period=3)), lambda b: one(talib.MOM(b.close, 3))),
    (IndicatorRequest(K.WILLR), lambda b: one(talib.WILLR(b.high, b.low, b.close, 14))),
    (
        IndicatorRequest(K.WILLR, P(period=5)),
        lambda b: one(talib.WILLR(b.high, b.low, b.close, 5)),
    ),
    (IndicatorRequest(K.ATR), lambda b: one(talib.ATR(b.high, b.low, b.close, 14))),
    (IndicatorRequest(K.ATR, P(period=1)), lambda b: one(talib.ATR(b.high, b.low, b.close, 1))),
    (IndicatorRequest(K.ATR, P(period=5)), lambda b: one(talib.ATR(b.high, b.low, b.close, 5))),
    (IndicatorRequest(K.NATR), lambda b: one(talib.NATR(b.high, b.low, b.close, 14))),
    (IndicatorRequest(K.NATR, P(period=7)), lambda b: one(talib.NATR(b.high, b.low, b.close, 7))),
    (IndicatorRequest(K.OBV), lambda b: one(talib.OBV(b.close, b.volume))),
    (IndicatorRequest(K.AD), lambda b: one(talib.AD(b.high, b.low, b.close, b.volume))),
    (
        IndicatorRequest(K.ADOSC),
        lambda b: one(talib.ADOSC(b.high, b.low, b.close, b.volume, 3, 10)),
    ),
    (
        IndicatorRequest(K.ADOSC, P(fast_period=5, slow_period=20)),
        lambda b: one(talib.ADOSC(b.high, b.low, b.close, b.volume, 5, 20)),
    ),
    (IndicatorRequest(K.MFI), lambda b: one(talib.MFI(b.high, b.low, b.close, b.volume, 14))),
    (
        IndicatorRequest(K.MFI, P(period=5)),
        lambda b: one(talib.MFI(b.high, b.low, b.close, b.volume, 5)),
    ),
    (IndicatorRequest(K.SAR), lambda b: one(talib.SAR(b.high, b.low, 0.02, 0.2))),
    (
        IndicatorRequest(K.SAR, P(acceleration=0.05, maximum=0.3)),
        lambda b: one(talib.SAR(b.high, b.low, 0.05, 0.3)),
    ),
    (
        IndicatorRequest(K.AROON),
        lambda b: dict(zip(("down", "up"), talib.AROON(b.high, b.low, 14), strict=True)),
    ),
    (
        IndicatorRequest(K.AROON, P(period=25)),
        lambda b: dict(zip(("down", "up"), talib.AROON(b.high, b.low, 25), strict=True)),
    ),
    # TA-Lib regresses its second input on its first: the benchmark goes first.
    (IndicatorRequest(K.BETA), lambda b: one(talib.BETA(b.benchmark, b.close, 60))),
    (IndicatorRequest(K.BETA, P(period=5)), lambda b: one(talib.BETA(b.benchmark, b.close, 5))),
]


def as_array(values: list[float | None]) -> Array:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def assert_matches(values: list[float | None], reference: Array, what: str) -> None:
    """The same warm-up (None exactly where the reference is NaN) and values within 1e-6."""
    got = as_array(values)
    assert len(got) == len(reference), what
    assert np.array_equal(np.isnan(got), np.isnan(reference)), what
    ok = ~np.isnan(reference)
    # atol covers lines that cross zero (MACD histogram, ADOSC) and exact zeros that TA-Lib's
    # running sums leave as rounding residue (MFI over an emptied window).
    np.testing.assert_allclose(got[ok], reference[ok], rtol=1e-6, atol=1e-9, err_msg=what)


def compute_one(request: IndicatorRequest, bars: Bars) -> IndicatorResult:
    (result,) = compute([request], bars.frame(), benchmark_close=pl.Series(bars.benchmark))
    return result


def case_id(case: tuple[IndicatorRequest, Reference]) -> str:
    request = case[0]
    given = {k: v for k, v in vars_of(request.params).items() if v is not None}
    return f"{request.kind}{given or ''}"


def vars_of(params: IndicatorParams) -> dict[str, object]:
    return {name: getattr(params, name) for name in IndicatorParams.__dataclass_fields__}


@pytest.mark.parametrize("series", list(SERIES))
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_indicator_line_matches_ta_lib(
    series: str, case: tuple[IndicatorRequest, Reference]
) -> None:
    request, reference = case
    bars = SERIES[series]
    result = compute_one(request, bars)
    expected = reference(bars)
    assert list(result.outputs) == list(expected)
    for line, values in result.outputs.items():
        assert_matches(values, expected[line], f"{series} {result.label} {line}")


def test_every_kind_is_covered_by_a_reference() -> None:
    covered = {request.kind for request, _ in CASES}
    assert set(IndicatorKind) - covered == {K.VWAP, K.VOLATILITY}  # numpy references below


def test_outputs_are_floats_or_none_one_per_row() -> None:
    bars = SERIES["real-shaped"]
    requests = [IndicatorRequest(kind) for kind in IndicatorKind]
    results = compute(requests, bars.frame(), benchmark_close=pl.Series(bars.benchmark))
    assert [r.kind for r in results] == list(IndicatorKind)
    for result in results:
        for values in result.outputs.values():
            assert len(values) == len(bars.close)
            assert all(v is None or (isinstance(v, float) and math.isfinite(v)) for v in values)


def test_a_frame_shorter_than_the_warm_up_gives_only_none() -> None:
    bars = Bars(*(array[:12] for array in vars(SERIES["random-walk"]).values()))
    results = compute(
        [IndicatorRequest(K.SMA), IndicatorRequest(K.MACD), IndicatorRequest(K.ADX)],
        bars.frame(),
    )
    for result in results:
        assert all(values == [None] * 12 for values in result.outputs.values())
    empty = compute([IndicatorRequest(K.RSI)], bars.frame().head(0))
    assert empty[0].outputs == {"value": []}


@pytest.mark.parametrize(
    ("request_", "label", "params"),
    [
        (IndicatorRequest(K.RSI), "RSI(14)", {"period": 14}),
        (
            IndicatorRequest(K.MACD),
            "MACD(12,26,9)",
            {"fastPeriod": 12, "slowPeriod": 26, "signalPeriod": 9},
        ),
        (
            IndicatorRequest(K.BBANDS, P(period=10, std_dev=1.5)),
            "BBANDS(10,1.5)",
            {"period": 10, "stdDev": 1.5},
        ),
        (IndicatorRequest(K.BBANDS), "BBANDS(20,2)", {"period": 20, "stdDev": 2}),
        (IndicatorRequest(K.STOCH), "STOCH(5,3,3)", {"period": 5, "kPeriod": 3, "dPeriod": 3}),
        (
            IndicatorRequest(K.STOCHRSI, P(d_period=2)),
            "STOCHRSI(14,5,2)",
            {"period": 14, "kPeriod": 5, "dPeriod": 2},
        ),
        (IndicatorRequest(K.SAR), "SAR(0.02,0.2)", {"acceleration": 0.02, "maximum": 0.2}),
        (IndicatorRequest(K.ADOSC), "ADOSC(3,10)", {"fastPeriod": 3, "slowPeriod": 10}),
        (IndicatorRequest(K.OBV), "OBV", {}),
        (IndicatorRequest(K.VWAP), "VWAP(20)", {"period": 20}),
        (IndicatorRequest(K.VOLATILITY), "VOLATILITY(20)", {"period": 20}),
        (IndicatorRequest(K.BETA), "BETA(60)", {"period": 60}),
    ],
)
def test_results_carry_a_label_and_the_resolved_parameters_in_order(
    request_: IndicatorRequest, label: str, params: dict[str, float]
) -> None:
    result = compute_one(request_, SERIES["random-walk"])
    assert result.label == label
    assert result.params == params
    assert list(result.params) == list(params)
    assert all(isinstance(v, float) for v in result.params.values())


# --- VWAP, VOLATILITY and BETA against numpy ------------------------------------------------


def minute_frame(ts: list[datetime], price: list[float], volume: list[float]) -> pl.DataFrame:
    p = np.array(price)
    return pl.DataFrame(
        {
            "ts": ts,
            "open": p,
            "high": p + 0.5,
            "low": p - 0.5,
            "close": p,
            "volume": volume,
            "turnover": p * np.array(volume) * 1.001,  # traded a touch above the close
        },
        schema={
            "ts": pl.Datetime("us", "UTC"),
            **dict.fromkeys(("open", "high", "low", "close", "volume", "turnover"), pl.Float64),
        },
    )


def test_intraday_vwap_restarts_each_pakistan_day() -> None:
    # Pakistan is UTC+5: 18:59 UTC is still the 18th there, 19:00 UTC is already the 19th.
    ts = [
        datetime(2026, 11, 18, 4, 32, tzinfo=UTC),
        datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 18, 18, 59, tzinfo=UTC),
        datetime(2026, 11, 18, 19, 0, tzinfo=UTC),
        datetime(2026, 11, 19, 4, 32, tzinfo=UTC),
        datetime(2026, 11, 19, 4, 33, tzinfo=UTC),
        datetime(2026, 11, 20, 4, 32, tzinfo=UTC),
    ]
    price = [100.0, 102.0, 101.0, 110.0, 112.0, 108.0, 99.0]
    volume = [1_000.0, 3_000.0, 2_000.0, 0.0, 500.0, 1_500.0, 700.0]
    frame = minute_frame(ts, price, volume)
    (result,) = compute([IndicatorRequest(K.VWAP)], frame, intraday=True)
    turnover = frame["turnover"].to_numpy()
    day = [0, 0, 0, 1, 1, 1, 2]
    expected: list[float | None] = []
    for i in range(len(ts)):
        same = [j for j in range(i + 1) if day[j] == day[i]]
        traded = sum(volume[j] for j in same)
        expected.append(sum(turnover[j] for j in same) / traded if traded else None)
    assert expected[3] is None  # the 19th has traded nothing yet
    assert result.label == "VWAP"
    assert result.params == {}
    assert_matches(result.outputs["value"], as_array(expected), "intraday VWAP")


def test_daily_vwap_is_rolling_over_the_period() -> None:
    rng = np.random.default_rng(3)
    n = 40
    price = list(100 + np.cumsum(rng.normal(0, 1, n)))
    volume = list(rng.integers(0, 3, n) * 1_000.0)
    volume[20:24] = [0.0] * 4
    ts = [T0 + timedelta(days=i) for i in range(n)]
    frame = minute_frame(ts, price, volume)
    (result,) = compute([IndicatorRequest(K.VWAP, P(period=3))], frame)
    turnover, traded = frame["turnover"].to_numpy(), np.array(volume)
    expected: list[float | None] = [None, None]
    for t in range(2, n):
        window = slice(t - 2, t + 1)
        total = traded[window].sum()
        expected.append(turnover[window].sum() / total if total else None)
    assert expected[22] is None and expected[23] is None  # three bars without a trade
    assert_matches(result.outputs["value"], as_array(expected), "VWAP(3)")


def test_vwap_falls_back_to_the_typical_price_without_turnover() -> None:
    bars = SERIES["random-walk"]
    (result,) = compute([IndicatorRequest(K.VWAP, P(period=5))], bars.frame())
    typical = (bars.high + bars.low + bars.close) / 3 * bars.volume
    expected = np.full(len(typical), np.nan)
    for t in range(4, len(typical)):
        expected[t] = typical[t - 4 : t + 1].sum() / bars.volume[t - 4 : t + 1].sum()
    assert_matches(result.outputs["value"], expected, "VWAP(5)")


@pytest.mark.parametrize(("period", "per_year"), [(20, 248.0), (5, 52.0)])
def test_volatility_is_the_annualised_sample_deviation_of_log_returns(
    period: int, per_year: float
) -> None:
    bars = SERIES["real-shaped"]
    (result,) = compute(
        [IndicatorRequest(K.VOLATILITY, P(period=period))],
        bars.frame(),
        periods_per_year=per_year,
    )
    returns = np.log(bars.close[1:] / bars.close[:-1])
    expected = np.full(len(bars.close), np.nan)
    for t in range(period, len(bars.close)):
        expected[t] = returns[t - period : t].std(ddof=1) * math.sqrt(per_year)
    assert_matches(result.outputs["value"], expected, "VOLATILITY")
    flat = result.outputs["value"][1200 + period + 1]
    assert flat == 0.0  # a suspension: no returns, no volatility


def numpy_beta(stock: Array, index: Array, n: int) -> Array:
    x, y = index[1:] / index[:-1] - 1, stock[1:] / stock[:-1] - 1
    out = np.full(len(stock), np.nan)
    for t in range(n, len(stock)):
        xs, ys = x[t - n : t], y[t - n : t]
        var = xs.var(ddof=1)
        out[t] = np.cov(ys, xs, ddof=1)[0, 1] / var if var > 0 else 0.0
    return out


def test_beta_is_the_stocks_slope_on_the_benchmark() -> None:
    rng = np.random.default_rng(11)
    index_returns = rng.normal(0.0005, 0.01, 300)
    index = 40_000 * np.cumprod(np.concatenate(([1.0], 1 + index_returns)))
    stock = 50 * np.cumprod(np.concatenate(([1.0], 1 + 2 * index_returns)))  # twice the moves
    bars = Bars(stock, stock, stock, stock, np.ones(len(stock)), index)
    values = as_array(compute_one(IndicatorRequest(K.BETA, P(period=30)), bars).outputs["value"])
    np.testing.assert_allclose(values[30:], 2.0, rtol=1e-9)
    np.testing.assert_allclose(talib.BETA(index, stock, 30)[30:], 2.0, rtol=1e-9)
    np.testing.assert_allclose(talib.BETA(stock, index, 30)[30:], 0.5, rtol=1e-9)


@pytest.mark.parametrize("series", ["random-walk", "real-shaped"])
def test_beta_matches_a_numpy_regression(series: str) -> None:
    bars = SERIES[series]
    result = compute_one(IndicatorRequest(K.BETA), bars)
    assert_matches(result.outputs["value"], numpy_beta(bars.close, bars.benchmark, 60), "BETA")


def test_beta_is_none_in_windows_touching_a_missing_benchmark_close() -> None:
    bars = SERIES["random-walk"]
    benchmark = pl.Series(bars.benchmark).scatter([500, 900], None)
    (result,) = compute(
        [IndicatorRequest(K.BETA, P(period=20))], bars.frame(), benchmark_close=benchmark
    )
    values = result.outputs["value"]
    missing = {t for gap in (500, 900) for t in range(gap, gap + 21)}
    assert {t for t, v in enumerate(values) if v is None} == set(range(20)) | missing
    expected = numpy_beta(bars.close, bars.benchmark, 20)
    kept = [t for t in range(20, len(values)) if t not in missing]
    np.testing.assert_allclose(as_array(values)[kept], expected[kept], rtol=1e-6)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "field", "code", "message"),
    [
        (
            [IndicatorRequest(K.RSI, P(std_dev=2.0))],
            "indicators[0].stdDev",
            ErrorCode.INVALID,
            "RSI does not take stdDev: RSI takes only period.",
        ),
        (
            [IndicatorRequest(K.OBV, P(period=5))],
            "indicators[0].period",
            ErrorCode.INVALID,
            "OBV does not take period: OBV takes no parameters.",
        ),
        (
            [IndicatorRequest(K.VWAP, P(std_dev=1.0))],
            "indicators[0].stdDev",
            ErrorCode.INVALID,
            "VWAP does not take stdDev: VWAP takes only period.",
        ),
        (
            [IndicatorRequest(K.RSI), IndicatorRequest(K.MACD, P(period=9))],
            "indicators[1].period",
            ErrorCode.INVALID,
            "MACD does not take period: MACD takes fastPeriod, slowPeriod and signalPeriod.",
        ),
        (
            [IndicatorRequest(K.RSI, P(period=1))],
            "indicators[0].period",
            ErrorCode.OUT_OF_RANGE,
            "period must be between 2 and 1000.",
        ),
        (
            [IndicatorRequest(K.SMA, P(period=1))],
            "indicators[0].period",
            ErrorCode.OUT_OF_RANGE,
            "period must be between 2 and 1000.",
        ),
        (
            [IndicatorRequest(K.SMA, P(period=1001))],
            "indicators[0].period",
            ErrorCode.OUT_OF_RANGE,
            "period must be between 2 and 1000.",
        ),
        (
            [IndicatorRequest(K.MOM, P(period=0))],
            "indicators[0].period",
            ErrorCode.OUT_OF_RANGE,
            "period must be between 1 and 1000.",
        ),
        (
            [IndicatorRequest(K.ROC, P(period=-3))],
            "indicators[0].period",
            ErrorCode.OUT_OF_RANGE,
            "period must be between 1 and 1000.",
        ),
        (
            [IndicatorRequest(K.MACD, P(signal_period=0))],
            "indicators[0].signalPeriod",
            ErrorCode.OUT_OF_RANGE,
            "signalPeriod must be between 1 and 1000.",
        ),
        (
            [IndicatorRequest(K.STOCH, P(k_period=0))],
            "indicators[0].kPeriod",
            ErrorCode.OUT_OF_RANGE,
            "kPeriod must be between 1 and 1000.",
        ),
        (
            [IndicatorRequest(K.STOCHRSI, P(d_period=1001))],
            "indicators[0].dPeriod",
            ErrorCode.OUT_OF_RANGE,
            "dPeriod must be between 1 and 1000.",
        ),
        (
            [IndicatorRequest(K.MACD, P(fast_period=30))],
            "indicators[0].fastPeriod",
            ErrorCode.INVALID,
            "fastPeriod must be less than slowPeriod (26).",
        ),
        (
            [IndicatorRequest(K.MACD, P(fast_period=20, slow_period=20))],
            "indicators[0].fastPeriod",
            ErrorCode.INVALID,
            "fastPeriod must be less than slowPeriod (20).",
        ),
        (
            [IndicatorRequest(K.ADOSC, P(fast_period=10, slow_period=3))],
            "indicators[0].fastPeriod",
            ErrorCode.INVALID,
            "fastPeriod must be less than slowPeriod (3).",
        ),
        (
            [IndicatorRequest(K.BBANDS, P(std_dev=0.0))],
            "indicators[0].stdDev",
            ErrorCode.OUT_OF_RANGE,
            "stdDev must be greater than 0 and at most 10.",
        ),
        (
            [IndicatorRequest(K.BBANDS, P(std_dev=10.5))],
            "indicators[0].stdDev",
            ErrorCode.OUT_OF_RANGE,
            "stdDev must be greater than 0 and at most 10.",
        ),
        (
            [IndicatorRequest(K.SAR, P(acceleration=0.0))],
            "indicators[0].acceleration",
            ErrorCode.OUT_OF_RANGE,
            "acceleration must be greater than 0 and at most 1.",
        ),
        (
            [IndicatorRequest(K.SAR, P(maximum=1.5))],
            "indicators[0].maximum",
            ErrorCode.OUT_OF_RANGE,
            "maximum must be greater than 0 and at most 1.",
        ),
        (
            [IndicatorRequest(K.SAR, P(acceleration=0.3))],
            "indicators[0].acceleration",
            ErrorCode.INVALID,
            "acceleration must not exceed maximum (0.2).",
        ),
        (
            [IndicatorRequest(K.RSI), IndicatorRequest(K.SMA), IndicatorRequest(K.BETA)],
            "indicators[2]",
            ErrorCode.UNSUPPORTED,
            "BETA needs a benchmark to measure against, and none is available here.",
        ),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    requests: list[IndicatorRequest], field: str, code: ErrorCode, message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        compute(requests, SERIES["random-walk"].frame())
    assert (caught.value.field, caught.value.code, caught.value.message) == (field, code, message)


def test_intraday_vwap_takes_no_period() -> None:
    frame = SERIES["random-walk"].frame()
    with pytest.raises(DomainError) as caught:
        compute([IndicatorRequest(K.VWAP, P(period=20))], frame, intraday=True)
    assert (caught.value.field, caught.value.code) == ("indicators[0].period", ErrorCode.INVALID)
    assert caught.value.message == (
        "VWAP does not take period: VWAP takes no parameters on intraday candles,"
        " where it restarts each day."
    )


@pytest.mark.parametrize(
    "request_",
    [
        IndicatorRequest(K.SMA, P(period=1000)),
        IndicatorRequest(K.MOM, P(period=1)),
        IndicatorRequest(K.BBANDS, P(std_dev=10.0)),
        IndicatorRequest(K.SAR, P(acceleration=1.0, maximum=1.0)),
        IndicatorRequest(K.STOCH, P(period=1, k_period=1, d_period=1)),
        IndicatorRequest(K.MACD, P(fast_period=2, slow_period=3, signal_period=1)),
    ],
)
def test_limits_themselves_are_accepted(request_: IndicatorRequest) -> None:
    (result,) = compute([request_], SERIES["random-walk"].frame())
    assert all(len(values) == 2500 for values in result.outputs.values())


# --- kernels -----------------------------------------------------------------------------------


def test_kernels_skip_leading_nan_as_ta_lib_does() -> None:
    close = SERIES["random-walk"].close.copy()
    close[:9] = np.nan
    pairs = {
        "ema": (ta.ema(close, 10), talib.EMA(close, 10)),
        "rsi": (ta.rsi(close, 14), talib.RSI(close, 14)),
        "stochrsi k": (ta.stochrsi(close)[0], talib.STOCHRSI(close)[0]),
        "macd signal": (ta.macd(close)[1], talib.MACD(close)[1]),
        "ema of rsi": (ta.ema(ta.rsi(close, 14), 9), talib.EMA(talib.RSI(close, 14), 9)),
    }
    for name, (got, expected) in pairs.items():
        assert np.array_equal(np.isnan(got), np.isnan(expected)), name
        ok = ~np.isnan(expected)
        np.testing.assert_allclose(got[ok], expected[ok], rtol=1e-9, err_msg=name)


def test_kernels_refuse_a_period_ta_lib_refuses() -> None:
    close = SERIES["random-walk"].close
    with pytest.raises(ValueError, match="at least 2"):
        ta.rsi(close, 1)
    with pytest.raises(ValueError, match="same length"):
        ta.obv(close, close[:-1])
