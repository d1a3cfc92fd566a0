"""Daily price paths of the demo, in whole paisa.

Returns come from a market factor (whose drift follows the KSE-100's rough history), sector
factors and fat-tailed idiosyncratic noise, clipped to the ±10% circuit band. The path is walked
BACK from each instrument's end price, so the last close lands on it without rescaling, then
replayed forward in integers: each close is clipped to the band of the adjusted previous close,
so rounding can never leave the band.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from domain.demo.actions import IntArray, PlannedAction, apply_adjustment
from domain.demo.universe import DemoInstrument
from domain.markets.instruments import CorporateActionKind, InstrumentKind

FloatArray = npt.NDArray[np.float64]

# Approximate KSE-100 closes: the market factor's drift interpolates them (log-linearly), so
# the demo index rises through 2023-2025 the way the real one did. Flat outside the table.
_MARKET_ANCHORS: tuple[tuple[date, int], ...] = (
    (date(2018, 12, 31), 37_067),
    (date(2019, 8, 15), 29_000),
    (date(2020, 1, 15), 43_000),
    (date(2020, 3, 25), 28_500),
    (date(2020, 12, 31), 43_755),
    (date(2021, 6, 15), 48_000),
    (date(2021, 12, 31), 44_596),
    (date(2022, 12, 30), 40_420),
    (date(2023, 6, 30), 41_453),
    (date(2023, 12, 29), 62_451),
    (date(2024, 6, 28), 78_445),
    (date(2024, 12, 31), 115_127),
    (date(2025, 6, 30), 125_627),
    (date(2025, 9, 30), 165_494),
    (date(2025, 12, 26), 172_400),
    (date(2026, 6, 30), 168_000),
    (date(2027, 12, 31), 178_000),
)
_MARKET_SIGMA = 0.010
_SECTOR_SIGMA = 0.007
_UP = math.log(1.10)
_DOWN = math.log(0.90)


def circuit_band(ref: IntArray) -> tuple[IntArray, IntArray]:
    """Vectorised `domain.markets.prices.circuit_limits` in paisa.

    ±10% rounded half up to the tick, or ±Rs 1 below Rs 10; the lower limit is at least 1.

    Args:
        ref: Reference prices (adjusted previous closes) in paisa.

    Returns:
        Lower and upper limits in paisa.
    """
    wide = ref >= 1000
    upper = np.where(wide, ref + (ref + 5) // 10, ref + 100)
    lower = np.where(wide, ref - (ref + 4) // 10, ref - 100)
    return np.maximum(lower, 1), upper


@dataclass(frozen=True, slots=True)
class RealizedAction:
    """A corporate action with its amounts fixed: see `DemoDataset.corporate_actions`."""

    day: int
    symbol: int
    kind: CorporateActionKind
    value: Decimal
    price: Decimal | None
    description: str


@dataclass(frozen=True, slots=True)
class DailyPaths:
    """Daily bars as (day, instrument) integer arrays, plus what later stages need."""

    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    ref: IntArray
    volume: IntArray
    turnover: IntArray
    trades: IntArray
    sigma: FloatArray
    share_factor: FloatArray
    actions: tuple[RealizedAction, ...]


def _t4(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    # Student t with 4 degrees of freedom, scaled to unit variance: fat tails give limit hits.
    out: FloatArray = rng.standard_t(4, size=shape) / math.sqrt(2.0)
    return out


def _market_drift(days: list[date]) -> FloatArray:
    anchor_days = np.array([d.toordinal() for d, _ in _MARKET_ANCHORS], dtype=np.float64)
    anchor_logs = np.log(np.array([v for _, v in _MARKET_ANCHORS], dtype=np.float64))
    ordinals = np.array([d.toordinal() for d in days], dtype=np.float64)
    level = np.interp(ordinals, anchor_days, anchor_logs)
    # Moves are measured from the adjusted previous close, so they are total returns already.
    drift: FloatArray = np.diff(level, prepend=level[0])
    return drift


def _mean_reverting(shocks: FloatArray, persistence: FloatArray) -> FloatArray:
    """Daily increments of AR(1) levels driven by `shocks` (columns are independent series).

    Pure random walks drift apart by several hundred percent over six years; mean reversion
    keeps the daily volatility and bounds how far a name wanders from the market.
    """
    level = np.empty_like(shocks)
    level[0] = shocks[0] / np.sqrt(1.0 - persistence**2)
    for t in range(1, len(shocks)):
        level[t] = persistence * level[t - 1] + shocks[t]
    steps: FloatArray = np.diff(level, axis=0, prepend=level[:1])
    steps[0] = shocks[0]
    return steps


def _returns(
    rng: np.random.Generator, days: list[date], universe: tuple[DemoInstrument, ...]
) -> tuple[FloatArray, FloatArray]:
    n_days, n_sym = len(days), len(universe)
    kinds = [item.kind for item in universe]
    etf = np.array([k is InstrumentKind.ETF for k in kinds])
    reit = np.array([k is InstrumentKind.REIT for k in kinds])
    equity = ~(etf | reit)
    sigma = np.where(
        etf,
        rng.uniform(0.008, 0.011, n_sym),
        np.where(reit, rng.uniform(0.010, 0.014, n_sym), rng.uniform(0.015, 0.035, n_sym)),
    )
    beta = np.where(
        etf,
        rng.uniform(0.95, 1.05, n_sym),
        np.where(reit, rng.uniform(0.3, 0.6, n_sym), rng.uniform(0.7, 1.3, n_sym)),
    )
    sector_sigma = np.where(equity, _SECTOR_SIGMA, 0.0)
    idio = np.sqrt(np.maximum(sigma**2 - (beta * _MARKET_SIGMA) ** 2 - sector_sigma**2, 0.003**2))
    drift = rng.normal(0.0, 0.06, n_sym) / 245
    codes = sorted({item.sector_code for item in universe})
    sector_of = np.array([codes.index(item.sector_code) for item in universe])

    # One AR(1) run for the market, the sectors and the instruments together.
    persistence = np.concatenate(
        [np.full(1, 0.98), np.full(len(codes), 0.997), np.full(n_sym, 0.995)]
    )
    scale = np.concatenate([np.full(1, _MARKET_SIGMA), np.ones(len(codes)), idio])
    steps = _mean_reverting(_t4(rng, (n_days, 1 + len(codes) + n_sym)) * scale, persistence)
    market = _market_drift(days) + steps[:, 0]
    sectors = steps[:, 1 : 1 + len(codes)][:, sector_of] * sector_sigma
    noise = steps[:, 1 + len(codes) :]
    returns = np.clip(beta * market[:, None] + sectors + noise + drift, _DOWN, _UP)
    return returns, sigma


def _split_factor_after(plan: list[PlannedAction]) -> dict[int, list[tuple[int, int]]]:
    splits: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p in plan:
        if p.kind is CorporateActionKind.SPLIT:
            splits[p.symbol].append((p.day, p.ratio))
    return splits


def generate_daily(
    rng: np.random.Generator,
    days: list[date],
    universe: tuple[DemoInstrument, ...],
    plan: list[PlannedAction],
) -> DailyPaths:
    """Daily OHLCV bars for every instrument and trading day.

    Args:
        rng: The generator's random source.
        days: Trading days, ascending.
        universe: The instruments; each path ends at its `price`.
        plan: Corporate actions on the calendar (see `plan_actions`).

    Returns:
        Integer arrays indexed [day, instrument].
    """
    n_days, n_sym = len(days), len(universe)
    returns, sigma = _returns(rng, days, universe)
    growth = np.exp(returns)

    a = np.ones((n_days, n_sym), dtype=np.int64)
    b = np.zeros((n_days, n_sym), dtype=np.int64)
    c = np.ones((n_days, n_sym), dtype=np.int64)
    factor = np.ones((n_days, n_sym))
    priced: dict[int, list[PlannedAction]] = defaultdict(list)
    realized: list[RealizedAction] = []
    for p in plan:
        factor[p.day, p.symbol] = p.share_factor
        if p.kind is CorporateActionKind.BONUS:
            a[p.day, p.symbol], c[p.day, p.symbol] = 100, 100 + p.ratio
        elif p.kind is CorporateActionKind.SPLIT:
            c[p.day, p.symbol] = p.ratio
        elif p.kind is CorporateActionKind.RIGHT:
            a[p.day, p.symbol], c[p.day, p.symbol] = 100, 100 + p.ratio
        if p.kind in (CorporateActionKind.CASH_DIVIDEND, CorporateActionKind.RIGHT):
            priced[p.day].append(p)
        else:
            realized.append(RealizedAction(p.day, p.symbol, p.kind, Decimal(p.ratio), None, p.note))
    splits = _split_factor_after(plan)

    # Walk back from the end price: undo the day's move, then undo the ex-date adjustment.
    path = np.empty((n_days, n_sym))
    path[-1] = [float(item.price) * 100 for item in universe]
    for t in range(n_days - 1, 0, -1):
        adjusted = path[t] / growth[t]
        for p in priced.get(t, ()):
            i, item = p.symbol, universe[p.symbol]
            if p.kind is CorporateActionKind.RIGHT:
                sub = max(Decimal(round(p.size * adjusted[i] / 50)) / 2, Decimal(1))
                b[t, i] = p.ratio * int(sub * 100)
                realized.append(
                    RealizedAction(t, i, p.kind, Decimal(p.ratio), sub, f"{p.note} at Rs {sub}")
                )
                continue
            # Dividends are declared as a percent of face value (PSX convention); the face
            # value before a split was larger by the split ratio.
            face = item.face_value * math.prod(r for d, r in splits.get(i, ()) if d > t)
            pct = 5 * round(p.size * adjusted[i] / (float(face) * 100) * 20)
            amount = (Decimal(pct) / 100 * face).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if amount <= 0 or amount * 100 > Decimal(adjusted[i] * 0.25):
                continue
            b[t, i] = -int(amount * 100)
            realized.append(
                RealizedAction(
                    t, i, p.kind, amount, None, f"{pct}% cash dividend (Rs {amount} per share)"
                )
            )
        path[t - 1] = np.maximum((adjusted * c[t] - b[t]) / a[t], 1.0)

    # Replay forward in paisa, clipping each close into the band of the adjusted last close.
    target = np.maximum(np.rint(path), 1).astype(np.int64)
    close = np.empty((n_days, n_sym), dtype=np.int64)
    ref = np.empty((n_days, n_sym), dtype=np.int64)
    ref[0] = np.maximum(np.rint(path[0] / growth[0]), 1).astype(np.int64)
    lo, hi = circuit_band(ref[0])
    close[0] = np.clip(target[0], lo, hi)
    for t in range(1, n_days):
        ref[t] = apply_adjustment(close[t - 1], a[t], b[t], c[t])
        lo, hi = circuit_band(ref[t])
        close[t] = np.clip(target[t], lo, hi)

    lo, hi = circuit_band(ref)
    move = np.log(close / ref)
    gap = 0.3 * move + rng.normal(0.0, 0.35, close.shape) * sigma
    open_ = np.clip(np.rint(ref * np.exp(gap)).astype(np.int64), lo, hi)
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    wick_up = np.abs(rng.normal(0.0, 0.6, close.shape)) * sigma
    wick_down = np.abs(rng.normal(0.0, 0.6, close.shape)) * sigma
    high = np.clip(np.ceil(top * np.exp(wick_up)).astype(np.int64), top, hi)
    low = np.clip(np.floor(bottom * np.exp(-wick_down)).astype(np.int64), lo, bottom)

    # Shares before later bonuses, splits and rights: the end count over their factors.
    later = np.cumprod(factor[::-1], axis=0)[::-1]
    share_factor = factor / later
    free_float = np.array(
        [item.shares_outstanding * float(item.free_float_pct) for item in universe]
    )
    base_rate = np.exp(rng.uniform(math.log(0.001), math.log(0.006), n_sym))
    z = move / sigma
    rate = base_rate * np.exp(rng.normal(0.0, 0.5, close.shape)) * (1.0 + 0.5 * z**2)
    volume = np.maximum(
        np.rint(free_float * share_factor * np.clip(rate, 0.0003, 0.03)), 100
    ).astype(np.int64)
    ticket = np.exp(rng.uniform(math.log(3e6), math.log(15e6), n_sym))  # paisa per trade
    trades = np.rint(volume * close / ticket * np.exp(rng.normal(0.0, 0.25, close.shape)))
    trades = np.clip(trades.astype(np.int64), 2, volume)
    vwap = np.clip((high + low + close) / 3 * np.exp(rng.normal(0.0, 0.1, close.shape) * sigma),
                   low, high)  # fmt: skip
    turnover = np.clip(np.rint(volume * vwap).astype(np.int64), volume * low, volume * high)

    realized.sort(key=lambda r: (r.day, r.symbol))
    return DailyPaths(
        open=open_,
        high=high,
        low=low,
        close=close,
        ref=ref,
        volume=volume,
        turnover=turnover,
        trades=trades,
        sigma=sigma,
        share_factor=share_factor,
        actions=tuple(realized),
    )
