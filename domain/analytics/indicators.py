"""Technical indicators over a candle frame: what each takes, validation, and dispatch.

The numbers are TA-Lib's (the kernels in `domain.analytics.ta`); this module resolves a
request's parameters (defaults, ranges, parameters an indicator does not take), computes the
series over a frame of candles, and shapes them as one value per candle with None where the
indicator is warming up or undefined. VWAP, VOLATILITY and BETA are not TA-Lib's:

- VWAP: Σ turnover / Σ volume (typical price × volume where the frame has no turnover), from
  the start of each Pakistan-time day on intraday candles, over the last `period` candles on
  daily ones.
- VOLATILITY: the sample standard deviation of the last `period` log returns, annualised by
  √periods_per_year.
- BETA: the slope of the symbol's returns on the benchmark's over the last `period` returns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl

from domain.analytics import ta
from domain.analytics.ta import FloatArray
from domain.errors import DomainError, ErrorCode

MAX_PERIOD = 1000
EXCHANGE_ZONE = "Asia/Karachi"


class IndicatorKind(enum.StrEnum):
    """The indicators `compute` offers."""

    SMA = "SMA"
    EMA = "EMA"
    WMA = "WMA"
    DEMA = "DEMA"
    TEMA = "TEMA"
    BBANDS = "BBANDS"
    RSI = "RSI"
    MACD = "MACD"
    STOCH = "STOCH"
    STOCHRSI = "STOCHRSI"
    ADX = "ADX"
    CCI = "CCI"
    ROC = "ROC"
    MOM = "MOM"
    WILLR = "WILLR"
    ATR = "ATR"
    NATR = "NATR"
    OBV = "OBV"
    AD = "AD"
    ADOSC = "ADOSC"
    MFI = "MFI"
    VWAP = "VWAP"
    SAR = "SAR"
    AROON = "AROON"
    VOLATILITY = "VOLATILITY"
    BETA = "BETA"


@dataclass(frozen=True, slots=True)
class IndicatorParams:
    """Requested parameters; None takes the indicator's default."""

    period: int | None = None
    fast_period: int | None = None
    slow_period: int | None = None
    signal_period: int | None = None
    std_dev: float | None = None
    k_period: int | None = None
    d_period: int | None = None
    acceleration: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class IndicatorRequest:
    """One indicator and its parameters."""

    kind: IndicatorKind
    params: IndicatorParams = IndicatorParams()


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """An indicator's output lines, one value per frame row (None while undefined).

    `params` holds every parameter the indicator was computed with, defaults included, by
    camelCase name; `outputs` maps each line ("value", or e.g. "macd"/"signal"/"histogram")
    to its values.
    """

    kind: IndicatorKind
    label: str
    params: dict[str, float]
    outputs: dict[str, list[float | None]]


@dataclass(frozen=True, slots=True)
class _Param:
    """A parameter an indicator takes: its IndicatorParams field, name, default and range."""

    field: str
    name: str
    default: float
    minimum: float
    maximum: float
    integer: bool = True

    def check(self, value: float, path: str) -> None:
        """Raises DomainError when the value is outside what the indicator accepts."""
        if self.integer:
            if value != int(value):
                raise DomainError(ErrorCode.INVALID, f"{self.name} must be a whole number.", path)
            if not self.minimum <= value <= self.maximum:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{self.name} must be between {self.minimum:g} and {self.maximum:g}.",
                    path,
                )
        elif not self.minimum < value <= self.maximum:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"{self.name} must be greater than {self.minimum:g} and at most {self.maximum:g}.",
                path,
            )


def _period(default: int, minimum: int, field: str = "period", name: str = "period") -> _Param:
    return _Param(field, name, default, minimum, MAX_PERIOD)


@dataclass(frozen=True, slots=True)
class _Bars:
    """The frame's columns as the kernels take them, and the context of the request."""

    frame: pl.DataFrame
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    benchmark: FloatArray | None
    intraday: bool
    periods_per_year: float

    def traded_value(self) -> FloatArray:
        """Turnover where the frame has it, else typical price × volume."""
        if "turnover" in self.frame.columns:
            return _column(self.frame, "turnover")
        return (self.high + self.low + self.close) / 3.0 * self.volume

    def sessions(self) -> FloatArray:
        """Each candle's trading day in Pakistan time, as a number (days since 1970)."""
        ts = self.frame["ts"]
        if isinstance(ts.dtype, pl.Datetime) and ts.dtype.time_zone is None:
            ts = ts.dt.replace_time_zone("UTC")
        days = ts.dt.convert_time_zone(EXCHANGE_ZONE).dt.date().to_physical()
        return days.cast(pl.Float64).to_numpy()


Series = FloatArray | tuple[FloatArray, ...]
# A kernel call: the bars and the resolved parameters in the spec's order (ints for periods).
Kernel = Callable[[_Bars, tuple[Any, ...]], Series]


def _close(kernel: Callable[..., Series]) -> Kernel:
    return lambda b, a: kernel(b.close, *a)


def _hlc(kernel: Callable[..., Series]) -> Kernel:
    return lambda b, a: kernel(b.high, b.low, b.close, *a)


def _hlcv(kernel: Callable[..., Series]) -> Kernel:
    return lambda b, a: kernel(b.high, b.low, b.close, b.volume, *a)


def _vwap(bars: _Bars, args: tuple[Any, ...]) -> Series:
    value = bars.traded_value()
    if bars.intraday:
        return ta.session_vwap(value, bars.volume, bars.sessions())
    return ta.vwap(value, bars.volume, *args)


def _beta(bars: _Bars, args: tuple[Any, ...]) -> Series:
    if bars.benchmark is None:  # validation refuses BETA without a benchmark
        raise ValueError("BETA needs benchmark closes.")
    return ta.beta(bars.close, bars.benchmark, *args)


@dataclass(frozen=True, slots=True)
class _Spec:
    params: tuple[_Param, ...]
    kernel: Kernel
    outputs: tuple[str, ...] = ("value",)


def _fast(default: int) -> _Param:
    return _period(default, 2, "fast_period", "fastPeriod")


def _slow(default: int) -> _Param:
    return _period(default, 2, "slow_period", "slowPeriod")


_PERIOD_30 = (_period(30, 2),)
_K = {d: _period(d, 1, "k_period", "kPeriod") for d in (3, 5)}
_D = _period(3, 1, "d_period", "dPeriod")
_STEPS = (
    _Param("acceleration", "acceleration", 0.02, 0.0, 1.0, integer=False),
    _Param("maximum", "maximum", 0.2, 0.0, 1.0, integer=False),
)

_SPECS: dict[IndicatorKind, _Spec] = {
    IndicatorKind.SMA: _Spec(_PERIOD_30, _close(ta.sma)),
    IndicatorKind.EMA: _Spec(_PERIOD_30, _close(ta.ema)),
    IndicatorKind.WMA: _Spec(_PERIOD_30, _close(ta.wma)),
    IndicatorKind.DEMA: _Spec(_PERIOD_30, _close(ta.dema)),
    IndicatorKind.TEMA: _Spec(_PERIOD_30, _close(ta.tema)),
    IndicatorKind.BBANDS: _Spec(
        # TA-Lib 0.8 defaults to Bollinger's own 20 periods (0.4 had 5).
        (_period(20, 2), _Param("std_dev", "stdDev", 2.0, 0.0, 10.0, integer=False)),
        lambda b, a: ta.bbands(b.close, a[0], a[1], a[1]),
        ("upper", "middle", "lower"),
    ),
    IndicatorKind.RSI: _Spec((_period(14, 2),), _close(ta.rsi)),
    IndicatorKind.MACD: _Spec(
        (_fast(12), _slow(26), _period(9, 1, "signal_period", "signalPeriod")),
        _close(ta.macd),
        ("macd", "signal", "histogram"),
    ),
    IndicatorKind.STOCH: _Spec((_period(5, 1), _K[3], _D), _hlc(ta.stoch), ("k", "d")),
    IndicatorKind.STOCHRSI: _Spec((_period(14, 2), _K[5], _D), _close(ta.stochrsi), ("k", "d")),
    IndicatorKind.ADX: _Spec((_period(14, 2),), _hlc(ta.dmi), ("adx", "plusDi", "minusDi")),
    IndicatorKind.CCI: _Spec((_period(14, 2),), _hlc(ta.cci)),
    IndicatorKind.ROC: _Spec((_period(10, 1),), _close(ta.roc)),
    IndicatorKind.MOM: _Spec((_period(10, 1),), _close(ta.mom)),
    IndicatorKind.WILLR: _Spec((_period(14, 2),), _hlc(ta.willr)),
    IndicatorKind.ATR: _Spec((_period(14, 1),), _hlc(ta.atr)),
    IndicatorKind.NATR: _Spec((_period(14, 1),), _hlc(ta.natr)),
    IndicatorKind.OBV: _Spec((), lambda b, _: ta.obv(b.close, b.volume)),
    IndicatorKind.AD: _Spec((), _hlcv(ta.ad)),
    IndicatorKind.ADOSC: _Spec((_fast(3), _slow(10)), _hlcv(ta.adosc)),
    IndicatorKind.MFI: _Spec((_period(14, 2),), _hlcv(ta.mfi)),
    IndicatorKind.VWAP: _Spec((_period(20, 1),), _vwap),
    IndicatorKind.SAR: _Spec(_STEPS, lambda b, a: ta.sar(b.high, b.low, *a)),
    IndicatorKind.AROON: _Spec(
        (_period(14, 2),), lambda b, a: ta.aroon(b.high, b.low, *a), ("down", "up")
    ),
    IndicatorKind.VOLATILITY: _Spec(
        (_period(20, 2),), lambda b, a: ta.volatility(b.close, a[0], b.periods_per_year)
    ),
    # One return has no variance to regress on, so BETA starts at 2 where TA-Lib allows 1.
    IndicatorKind.BETA: _Spec((_period(60, 2),), _beta),
}

_CAMEL = {
    "period": "period",
    "fast_period": "fastPeriod",
    "slow_period": "slowPeriod",
    "signal_period": "signalPeriod",
    "std_dev": "stdDev",
    "k_period": "kPeriod",
    "d_period": "dPeriod",
    "acceleration": "acceleration",
    "maximum": "maximum",
}


def _takes(kind: IndicatorKind, params: tuple[_Param, ...]) -> str:
    names = [p.name for p in params]
    if not names:
        return f"{kind} takes no parameters"
    if len(names) == 1:
        return f"{kind} takes only {names[0]}"
    return f"{kind} takes {', '.join(names[:-1])} and {names[-1]}"


def _params_of(kind: IndicatorKind, intraday: bool) -> tuple[_Param, ...]:
    # Intraday VWAP is anchored to the session, so it has no look-back to choose.
    if kind is IndicatorKind.VWAP and intraday:
        return ()
    return _SPECS[kind].params


def _resolve(
    index: int, request: IndicatorRequest, *, intraday: bool, has_benchmark: bool
) -> dict[str, float]:
    """The request's parameters with defaults filled in, validated.

    Raises:
        DomainError: naming `indicators[index].param` (or the request, for BETA without a
            benchmark).
    """
    kind = request.kind
    spec = _params_of(kind, intraday)
    taken = {p.field for p in spec}
    for field in fields(IndicatorParams):
        if getattr(request.params, field.name) is not None and field.name not in taken:
            name = _CAMEL[field.name]
            reason = _takes(kind, spec)
            if kind is IndicatorKind.VWAP and intraday:
                reason += " on intraday candles, where it restarts each day"
            raise DomainError(
                ErrorCode.INVALID,
                f"{kind} does not take {name}: {reason}.",
                f"indicators[{index}].{name}",
            )
    resolved: dict[str, float] = {}
    for param in spec:
        given = getattr(request.params, param.field)
        value = param.default if given is None else given
        param.check(value, f"indicators[{index}].{param.name}")
        resolved[param.name] = float(value)
    if kind in (IndicatorKind.MACD, IndicatorKind.ADOSC):
        fast, slow = resolved["fastPeriod"], resolved["slowPeriod"]
        if fast >= slow:
            raise DomainError(
                ErrorCode.INVALID,
                f"fastPeriod must be less than slowPeriod ({slow:g}).",
                f"indicators[{index}].fastPeriod",
            )
    if kind is IndicatorKind.SAR:
        acceleration, maximum = resolved["acceleration"], resolved["maximum"]
        if acceleration > maximum:
            raise DomainError(
                ErrorCode.INVALID,
                f"acceleration must not exceed maximum ({maximum:g}).",
                f"indicators[{index}].acceleration",
            )
    if kind is IndicatorKind.BETA and not has_benchmark:
        raise DomainError(
            ErrorCode.UNSUPPORTED,
            "BETA needs a benchmark to measure against, and none is available here.",
            f"indicators[{index}]",
        )
    return resolved


def _label(kind: IndicatorKind, spec: tuple[_Param, ...], params: dict[str, float]) -> str:
    if not spec:
        return str(kind)
    shown = (str(int(params[p.name])) if p.integer else f"{params[p.name]:g}" for p in spec)
    return f"{kind}({','.join(shown)})"


def _values(series: FloatArray) -> list[float | None]:
    """The series as a list, None wherever it is NaN (or infinite)."""
    values: list[float | None] = series.tolist()
    for i in np.flatnonzero(~np.isfinite(series)).tolist():
        values[i] = None
    return values


def _column(frame: pl.DataFrame, name: str) -> FloatArray:
    return frame[name].cast(pl.Float64).to_numpy()


def compute(
    requests: Sequence[IndicatorRequest],
    frame: pl.DataFrame,
    *,
    benchmark_close: pl.Series | None = None,
    intraday: bool = False,
    periods_per_year: float = 248.0,
) -> list[IndicatorResult]:
    """Indicator series over a frame of candles, in the order requested.

    Every request is validated before anything is computed.

    Args:
        requests: The indicators and their parameters.
        frame: Candles oldest first: ts (Datetime, UTC), open, high, low, close, volume
            (Float64), and optionally turnover (the traded value, for VWAP).
        benchmark_close: The benchmark's closes aligned to the frame's rows (null where it
            has no candle), which BETA needs.
        intraday: True for intraday candles (VWAP then restarts each Pakistan-time day).
        periods_per_year: Candles in a year, to annualise VOLATILITY.

    Returns:
        One result per request, each output line with one value per frame row.

    Raises:
        DomainError: naming `indicators[i].param` for a parameter the indicator does not take
            or out of its range, and `indicators[i]` for BETA without a benchmark.
    """
    has_benchmark = benchmark_close is not None
    resolved = [
        _resolve(i, r, intraday=intraday, has_benchmark=has_benchmark)
        for i, r in enumerate(requests)
    ]
    if not periods_per_year > 0:
        raise ValueError("periods_per_year must be positive.")
    benchmark = None
    if benchmark_close is not None:
        if len(benchmark_close) != frame.height:
            raise ValueError("benchmark_close must have one value per frame row.")
        benchmark = benchmark_close.cast(pl.Float64).to_numpy()
    bars = _Bars(
        frame,
        high=_column(frame, "high"),
        low=_column(frame, "low"),
        close=_column(frame, "close"),
        volume=_column(frame, "volume"),
        benchmark=benchmark,
        intraday=intraday,
        periods_per_year=periods_per_year,
    )
    results = []
    for request, params in zip(requests, resolved, strict=True):
        spec = _SPECS[request.kind]
        taken = _params_of(request.kind, intraday)
        args = tuple(int(params[p.name]) if p.integer else params[p.name] for p in taken)
        series = spec.kernel(bars, args)
        lines = series if isinstance(series, tuple) else (series,)
        results.append(
            IndicatorResult(
                kind=request.kind,
                label=_label(request.kind, taken, params),
                params=params,
                outputs={
                    name: _values(line) for name, line in zip(spec.outputs, lines, strict=True)
                },
            )
        )
    return results
