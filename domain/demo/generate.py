"""Deterministic demo market data for PSX Analytics: bars, corporate actions and indices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from domain.demo.actions import IntArray, plan_actions
from domain.demo.holidays import PK_HOLIDAYS
from domain.demo.indices import IndexDaily, cap_factors, compute_index
from domain.demo.intraday import MinuteDay, generate_minutes
from domain.demo.paths import DailyPaths, generate_daily
from domain.demo.universe import INDICES, UNIVERSE
from domain.markets.sessions import trading_days

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_KMI_CAP = Decimal("0.12")
_TS = pl.Datetime("us", "UTC")
_BAR_COLUMNS = ("open", "high", "low", "close", "volume", "turnover")


@dataclass(frozen=True, slots=True)
class DemoDataset:
    """Demo market data as polars frames.

    Units: prices are Int64 PAISA (Rs 0.01, the PSX tick), so a loader writing NUMERIC rupees
    divides by 100; index levels are Int64 HUNDREDTHS of a point (divide by 100 as well);
    turnover is paisa; volume and trades are counts. Decimal quantities that are not prices
    (corporate action values, cap factors, free float, face value) are exact decimal strings.
    Days are PKT trading days; minute `ts` is the minute's START instant in UTC.

    Frames:
        daily_bars: symbol, day, open, high, low, close, volume, turnover, trades.
        minute_bars: symbol, ts, open, high, low, close, volume, turnover, trades, for the last
            `minute_sessions` days. Minutes without trades have no row; the first and last
            minute of each day always exist, and a day's minutes aggregate exactly to its daily
            bar (first open, last close, max high, min low, sums of the rest).
        corporate_actions: symbol, kind (CASH_DIVIDEND | BONUS | SPLIT | RIGHT), ex_date,
            value (Rs per share for a dividend, percent for a bonus or right, new shares per
            old for a split), price (a right's subscription price in Rs, else null),
            description.
        constituents: index_code, symbol, cap_factor.
        index_daily: code, day, open, high, low, close, volume, turnover (sums over members).
        index_minute: code, ts, open, high, low, close, volume, turnover: one row per session
            minute; a member without a bar that minute counts at its last close.
        instruments: symbol, name, sector_code, kind, shares_outstanding, free_float_pct,
            face_value, listed_on (the first day of data).

    Circuit band: each day's open, high, low and close lie inside
    `domain.markets.prices.circuit_limits` of the ADJUSTED previous close. On an ex-date the
    previous close is adjusted first (`domain.demo.actions.adjusted_ldcp`): dividend
    subtracted, bonus and split divided by their share factor, right replaced by the
    theoretical ex-right price; on other days it is the previous close itself.

    Indices: ``level = Σ(close_rs × shares × free_float_pct × cap_factor) / divisor``.
    `shares_outstanding` is the count at the END; before a bonus, split or right the count in
    force was that divided by the share factor (1 + percent/100, or the split ratio). The
    divisor is rebased on every ex-date so the level is continuous (total return: dividends
    too). `divisors` holds the divisor in force on the last day, in rupee units, so the formula
    above with the last closes in rupees gives the last level in points.
    """

    daily_bars: pl.DataFrame
    minute_bars: pl.DataFrame
    corporate_actions: pl.DataFrame
    constituents: pl.DataFrame
    index_daily: pl.DataFrame
    index_minute: pl.DataFrame
    divisors: dict[str, Decimal]
    instruments: pl.DataFrame


def _window(end: date, years: int) -> list[date]:
    try:
        start = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - years, day=28)
    return trading_days(start + timedelta(days=1), end, frozenset(PK_HOLIDAYS))


def _dates(days: list[date]) -> pl.Series:
    ordinals = np.array([d.toordinal() - _EPOCH_ORDINAL for d in days], dtype=np.int32)
    return pl.Series("day", ordinals).cast(pl.Date)


def _symbols(positions: IntArray) -> pl.Series:
    names = pl.Series("symbol", [item.symbol for item in UNIVERSE], dtype=pl.String)
    return names.gather(positions)


def _daily_frame(daily: DailyPaths, days: list[date]) -> pl.DataFrame:
    n_days, n_sym = daily.close.shape
    # Instrument-major: each symbol's days in order.
    columns = {name: getattr(daily, name).T.reshape(-1) for name in (*_BAR_COLUMNS, "trades")}
    return pl.DataFrame(
        [
            _symbols(np.repeat(np.arange(n_sym), n_days)),
            _dates(days).gather(np.tile(np.arange(n_days), n_sym)),
            *(pl.Series(name, values, dtype=pl.Int64) for name, values in columns.items()),
        ]
    )


def _bar_schema(key: str, *, with_trades: bool = True) -> pl.Schema:
    names = (*_BAR_COLUMNS, "trades") if with_trades else _BAR_COLUMNS
    return pl.Schema([(key, pl.String()), ("ts", _TS), *((n, pl.Int64()) for n in names)])


def _minute_frame(minutes: dict[int, MinuteDay]) -> pl.DataFrame:
    parts = []
    for day in minutes.values():
        symbol, minute = np.nonzero(day.traded)
        parts.append(
            pl.DataFrame(
                [
                    _symbols(symbol),
                    pl.Series("ts", day.ts[minute]).cast(pl.Datetime("us")),
                    *(
                        pl.Series(name, getattr(day, name)[symbol, minute], dtype=pl.Int64)
                        for name in (*_BAR_COLUMNS, "trades")
                    ),
                ]
            )
        )
    if not parts:
        return pl.DataFrame(schema=_bar_schema("symbol"))
    frame = pl.concat(parts).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
    return frame.sort("symbol", "ts")


def _actions_frame(daily: DailyPaths, days: list[date]) -> pl.DataFrame:
    actions = daily.actions
    return pl.DataFrame(
        {
            "symbol": [UNIVERSE[a.symbol].symbol for a in actions],
            "kind": [a.kind.value for a in actions],
            "ex_date": [days[a.day] for a in actions],
            "value": [str(a.value) for a in actions],
            "price": [None if a.price is None else str(a.price) for a in actions],
            "description": [a.description for a in actions],
        },
        schema={
            "symbol": pl.String,
            "kind": pl.String,
            "ex_date": pl.Date,
            "value": pl.String,
            "price": pl.String,
            "description": pl.String,
        },
    ).sort("symbol", "ex_date")


def _index_frames(
    results: dict[str, IndexDaily], days: list[date], minutes: dict[int, MinuteDay]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    daily_parts = []
    minute_parts = []
    for code, result in results.items():
        daily_parts.append(
            pl.DataFrame(
                [
                    pl.Series("code", [code] * len(days), dtype=pl.String),
                    _dates(days),
                    *(
                        pl.Series(name, getattr(result, name), dtype=pl.Int64)
                        for name in _BAR_COLUMNS
                    ),
                ]
            )
        )
        for t, bars in result.minutes.items():
            ts = minutes[t].ts
            minute_parts.append(
                pl.DataFrame(
                    [
                        pl.Series("code", [code] * len(ts), dtype=pl.String),
                        pl.Series("ts", ts).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
                        *(
                            pl.Series(name, values, dtype=pl.Int64)
                            for name, values in zip(_BAR_COLUMNS, bars, strict=True)
                        ),
                    ]
                )
            )
    index_minute = (
        pl.concat(minute_parts).sort("code", "ts")
        if minute_parts
        else pl.DataFrame(schema=_bar_schema("code", with_trades=False))
    )
    return pl.concat(daily_parts), index_minute


def _instruments_frame(first_day: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "symbol": [i.symbol for i in UNIVERSE],
            "name": [i.name for i in UNIVERSE],
            "sector_code": [i.sector_code for i in UNIVERSE],
            "kind": [i.kind.value for i in UNIVERSE],
            "shares_outstanding": [i.shares_outstanding for i in UNIVERSE],
            "free_float_pct": [str(i.free_float_pct) for i in UNIVERSE],
            "face_value": [str(i.face_value) for i in UNIVERSE],
            "listed_on": [first_day] * len(UNIVERSE),
        },
        schema={
            "symbol": pl.String,
            "name": pl.String,
            "sector_code": pl.String,
            "kind": pl.String,
            "shares_outstanding": pl.Int64,
            "free_float_pct": pl.String,
            "face_value": pl.String,
            "listed_on": pl.Date,
        },
    )


def generate_demo(
    *, seed: int, end: date, years: int = 6, minute_sessions: int = 20
) -> DemoDataset:
    """Generate the demo market: deterministic for a given seed and end date.

    Args:
        seed: Seed of `numpy.random.default_rng`.
        end: Last day to include; the data ends on the last trading day on or before it.
        years: Length of the daily history.
        minute_sessions: How many of the last trading days also get one-minute bars.

    Returns:
        The dataset; see `DemoDataset` for units and conventions.

    Raises:
        ValueError: When `years` < 1, `minute_sessions` < 0 or the window has no trading day.
    """
    if years < 1 or minute_sessions < 0:
        raise ValueError("years must be at least 1 and minute_sessions not negative")
    days = _window(end, years)
    if len(days) < 2:
        raise ValueError("the window holds fewer than two trading days")
    rng = np.random.default_rng(seed)
    plan = plan_actions(rng, days, UNIVERSE)
    daily = generate_daily(rng, days, UNIVERSE, plan)

    minutes: dict[int, MinuteDay] = {}
    for t in range(max(len(days) - minute_sessions, 0), len(days)):
        day = generate_minutes(
            rng,
            days[t],
            open_=daily.open[t],
            close=daily.close[t],
            ref=daily.ref[t],
            sigma=daily.sigma,
            volume=daily.volume[t],
            trades=daily.trades[t],
        )
        # The daily bar of a minute day is the aggregate of its minutes.
        daily.high[t] = day.day_high
        daily.low[t] = day.day_low
        daily.turnover[t] = day.turnover.sum(axis=1)
        minutes[t] = day

    position = {item.symbol: n for n, item in enumerate(UNIVERSE)}
    end_shares = np.array([float(i.shares_outstanding * i.free_float_pct) for i in UNIVERSE])
    last_cap = end_shares * daily.close[-1]
    constituents: list[tuple[str, str, str]] = []
    results: dict[str, IndexDaily] = {}
    divisors: dict[str, Decimal] = {}
    for index in INDICES:
        members = [position[s] for s in index.members]
        factors = (
            cap_factors(last_cap[members], _KMI_CAP)
            if index.code == "KMI30"
            else [Decimal(1)] * len(members)
        )
        weights = np.zeros(len(UNIVERSE))
        weights[members] = end_shares[members] * np.array([float(f) for f in factors])
        result = compute_index(weights, daily, float(index.target_level), minutes)
        results[index.code] = result
        divisors[index.code] = Decimal(f"{result.divisor[-1] / 100:.6f}")
        constituents.extend(
            (index.code, symbol, str(f)) for symbol, f in zip(index.members, factors, strict=True)
        )

    index_daily, index_minute = _index_frames(results, days, minutes)
    return DemoDataset(
        daily_bars=_daily_frame(daily, days),
        minute_bars=_minute_frame(minutes),
        corporate_actions=_actions_frame(daily, days),
        constituents=pl.DataFrame(
            constituents, schema=["index_code", "symbol", "cap_factor"], orient="row"
        ),
        index_daily=index_daily,
        index_minute=index_minute,
        divisors=divisors,
        instruments=_instruments_frame(days[0]),
    )
