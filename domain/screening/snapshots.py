"""The screener's per-instrument snapshot, computed from daily bars.

Price fields (price, change, volume, gap) are the last session's as traded. Technical
fields read back-adjusted history (dividends, bonuses, splits, rights: the same factors as
`chart(adjusted: true)`), so a bonus issue is no crash in the 1-year performance. Windows:
1W/1M/3M/6M/1Y compare with the last close on or before 7/30/91/182/365 days before the
snapshot day, YTD with the last close of the previous calendar year; the 52-week range
covers the sessions of the last 365 days; averages are of the last N sessions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from domain.analytics import ta
from domain.fundamentals.ratios import Ratios, compute_ratios
from domain.fundamentals.statements import FinancialStatement
from domain.markets.adjustments import price_factors
from domain.markets.instruments import CorporateAction, Instrument
from domain.screening.fields import ScreenField

PERFORMANCE_DAYS = {
    ScreenField.PERF_1W: 7,
    ScreenField.PERF_1M: 30,
    ScreenField.PERF_3M: 91,
    ScreenField.PERF_6M: 182,
    ScreenField.PERF_1Y: 365,
}
AVERAGE_VOLUME_SESSIONS = 30
YEAR_SESSIONS = 248  # PSX sessions in a year, for annualising volatility
MIN_RETURNS = 60  # fewer aligned daily returns than this: no beta or volatility
BAR_COLUMNS = ("instrument_id", "day", "open", "high", "low", "close", "volume", "turnover")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One instrument's row: codes, the day it is as of, and every numeric field."""

    instrument_id: int
    symbol: str
    as_of: date
    sector: str
    index_codes: tuple[str, ...]
    values: Mapping[ScreenField, float | None]


def _pct(now: float, then: float | None) -> float | None:
    if then is None or not math.isfinite(then) or then <= 0:
        return None
    return (now / then - 1.0) * 100.0


def _last(x: np.ndarray) -> float | None:
    return None if len(x) == 0 or not math.isfinite(float(x[-1])) else float(x[-1])


def _close_on_or_before(days: np.ndarray, closes: np.ndarray, day: date) -> float | None:
    at = int(np.searchsorted(days, np.datetime64(day), side="right"))
    return None if at == 0 else float(closes[at - 1])


def _returns_by_day(days: np.ndarray, closes: np.ndarray) -> dict[np.datetime64, float]:
    r = closes[1:] / closes[:-1] - 1.0
    return dict(zip(days[1:], r, strict=True))


def technicals(
    days: Sequence[date],
    bars: Mapping[str, np.ndarray],
    factors: np.ndarray,
    benchmark: Mapping[np.datetime64, float],
) -> dict[ScreenField, float | None]:
    """The technical and trading fields of one instrument from its daily bars (oldest first).

    `bars` holds raw open/high/low/close/volume/turnover arrays; `benchmark` maps a day to the
    index's daily return.
    """
    n = len(days)
    out: dict[ScreenField, float | None] = {}
    d = np.array(days, dtype="datetime64[D]")
    close, volume = bars["close"], bars["volume"]
    last_day = days[-1]
    price = float(close[-1])
    out[ScreenField.PRICE] = price
    out[ScreenField.VOLUME] = float(volume[-1])
    out[ScreenField.TURNOVER] = float(bars["turnover"][-1])
    prev = float(close[-2]) * float(factors[-2]) / float(factors[-1]) if n > 1 else None
    out[ScreenField.CHANGE_PERCENT] = _pct(price, prev)
    out[ScreenField.GAP] = _pct(float(bars["open"][-1]), prev)
    recent = volume[-AVERAGE_VOLUME_SESSIONS:]
    average = float(recent.mean())
    out[ScreenField.AVERAGE_VOLUME] = average
    out[ScreenField.RELATIVE_VOLUME] = float(volume[-1]) / average if average > 0 else None

    # Adjusted to the last bar's terms: the last adjusted close equals the last raw close.
    scale = factors / factors[-1]
    a_close, a_high, a_low = close * scale, bars["high"] * scale, bars["low"] * scale
    for field, back in PERFORMANCE_DAYS.items():
        # Too short a history for the window: unknown, not the return since the first bar.
        start = last_day - timedelta(days=back)
        covered = d[0] <= np.datetime64(start)
        out[field] = _pct(price, _close_on_or_before(d, a_close, start)) if covered else None
    year_end = _close_on_or_before(d, a_close, date(last_day.year - 1, 12, 31))
    out[ScreenField.PERF_YTD] = _pct(price, year_end)
    out[ScreenField.RSI14] = _last(ta.rsi(a_close, 14))
    for field, vs, period in (
        (ScreenField.SMA20, ScreenField.PRICE_VS_SMA20, 20),
        (ScreenField.SMA50, ScreenField.PRICE_VS_SMA50, 50),
        (ScreenField.SMA200, ScreenField.PRICE_VS_SMA200, 200),
    ):
        sma = float(a_close[-period:].mean()) if n >= period else None
        out[field] = sma
        out[vs] = _pct(price, sma)
    window = d > np.datetime64(last_day - timedelta(days=365))
    high, low = float(a_high[window].max()), float(a_low[window].min())
    out[ScreenField.HIGH_52W] = high
    out[ScreenField.LOW_52W] = low
    out[ScreenField.FROM_52W_HIGH] = _pct(price, high)
    out[ScreenField.FROM_52W_LOW] = _pct(price, low)
    atr = _last(ta.atr(a_high, a_low, a_close, 14))
    out[ScreenField.ATR_PERCENT] = None if atr is None else atr / price * 100.0
    year = d[window]
    own = _returns_by_day(year, a_close[window]) if len(year) > 1 else {}
    out[ScreenField.VOLATILITY] = (
        float(np.log1p(np.array(list(own.values()))).std(ddof=1) * math.sqrt(YEAR_SESSIONS) * 100)
        if len(own) >= MIN_RETURNS
        else None
    )
    common = [k for k in own if k in benchmark]
    if len(common) >= MIN_RETURNS:
        x = np.array([benchmark[k] for k in common])
        y = np.array([own[k] for k in common])
        var = float(x.var(ddof=1))
        out[ScreenField.BETA] = float(np.cov(y, x, ddof=1)[0, 1]) / var if var > 0 else None
    else:
        out[ScreenField.BETA] = None
    return out


def snapshots(
    bars: pl.DataFrame,
    *,
    instruments: Sequence[Instrument],
    memberships: Mapping[int, Sequence[str]],
    actions: Mapping[int, Sequence[CorporateAction]],
    benchmark: pl.DataFrame | None,
    statements: Mapping[int, Sequence[FinancialStatement]],
) -> list[Snapshot]:
    """Every instrument's snapshot from its daily bars (`BAR_COLUMNS`, any order).

    `benchmark` has `day` and `close` of KSE100 (None: no beta); `statements` each
    instrument's latest financial statements, whose ratios are taken at its last close.
    Instruments without bars are left out.
    """
    bench_returns: dict[np.datetime64, float] = {}
    if benchmark is not None and benchmark.height > 1:
        bench_days = benchmark["day"].to_numpy().astype("datetime64[D]")
        bench_returns = _returns_by_day(bench_days, benchmark["close"].to_numpy().astype(float))
    by_id = {i.id: i for i in instruments}
    out: list[Snapshot] = []
    for (instrument_id,), group in bars.sort("instrument_id", "day").group_by(
        "instrument_id", maintain_order=True
    ):
        inst = by_id.get(int(instrument_id))
        if inst is None:
            continue
        days = group["day"].to_list()
        arrays = {c: group[c].to_numpy().astype(float) for c in BAR_COLUMNS[2:]}
        factors = price_factors(days, arrays["close"].tolist(), actions.get(inst.id, ()))
        values = technicals(days, arrays, factors, bench_returns)
        price = values[ScreenField.PRICE] or 0.0
        values[ScreenField.MARKET_CAP] = price * inst.shares_outstanding
        values[ScreenField.FREE_FLOAT] = float(inst.free_float_pct) * 100.0
        ratios = compute_ratios(
            statements.get(inst.id, ()),
            price=Decimal(str(round(price, 2))),
            shares_outstanding=inst.shares_outstanding,
        )
        values.update(ratio_fields(ratios))
        out.append(
            Snapshot(
                instrument_id=inst.id,
                symbol=inst.symbol,
                as_of=days[-1],
                sector=inst.sector_code,
                index_codes=tuple(memberships.get(inst.id, ())),
                values=values,
            )
        )
    return out


def _percent(x: float | None) -> float | None:
    return None if x is None else x * 100.0


def ratio_fields(r: Ratios) -> dict[ScreenField, float | None]:
    """The fundamental fields of a company's ratios (rates as percent, multiples as they are)."""
    return {
        ScreenField.PE: r.pe,
        ScreenField.PB: r.pb,
        ScreenField.PS: r.ps,
        ScreenField.EV_EBITDA: r.ev_ebitda,
        ScreenField.EPS: None if r.trailing is None else float(r.trailing.eps),
        ScreenField.DIVIDEND_YIELD: _percent(r.dividend_yield),
        ScreenField.PAYOUT_RATIO: _percent(r.payout_ratio),
        ScreenField.ROE: _percent(r.roe),
        ScreenField.ROA: _percent(r.roa),
        ScreenField.NET_MARGIN: _percent(r.net_margin),
        ScreenField.GROSS_MARGIN: _percent(r.gross_margin),
        ScreenField.DEBT_TO_EQUITY: r.debt_to_equity,
        ScreenField.CURRENT_RATIO: r.current_ratio,
        ScreenField.EPS_GROWTH_YOY: _percent(r.eps_growth_yoy),
        ScreenField.REVENUE_GROWTH_YOY: _percent(r.revenue_growth_yoy),
        ScreenField.EPS_CAGR_3Y: _percent(r.eps_cagr_3y),
        ScreenField.REVENUE_CAGR_3Y: _percent(r.revenue_cagr_3y),
    }
