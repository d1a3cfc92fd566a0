"""Invariants of the generated demo market."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from domain.demo.actions import adjusted_ldcp, apply_adjustment
from domain.demo.generate import DemoDataset, generate_demo
from domain.demo.holidays import PK_HOLIDAYS
from domain.demo.indices import cap_factors
from domain.demo.paths import circuit_band
from domain.demo.universe import INDICES, UNIVERSE
from domain.markets.instruments import CorporateActionKind, InstrumentKind
from domain.markets.prices import circuit_limits
from domain.markets.sessions import PKT, default_sessions, trading_days

END = date(2026, 11, 22)  # a Sunday: the data must stop on Friday 20 November
MINUTE_SESSIONS = 8
TARGETS = {index.code: index.target_level for index in INDICES}


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return generate_demo(seed=7, end=END, years=2, minute_sessions=MINUTE_SESSIONS)


def _rupees(paisa: int) -> Decimal:
    return Decimal(paisa) / 100


def _pairs(frame: pl.DataFrame) -> Iterator[tuple[str, date, dict[str, int], dict[str, int]]]:
    """Consecutive daily bars of each symbol: (symbol, day, previous bar, bar)."""
    for (symbol,), bars in frame.sort("symbol", "day").group_by("symbol", maintain_order=True):
        rows = bars.to_dicts()
        for prev, row in itertools.pairwise(rows):
            yield str(symbol), row["day"], prev, row


def test_same_seed_gives_same_data_and_another_seed_does_not() -> None:
    first = generate_demo(seed=3, end=END, years=1, minute_sessions=1)
    again = generate_demo(seed=3, end=END, years=1, minute_sessions=1)
    other = generate_demo(seed=4, end=END, years=1, minute_sessions=1)

    for name in ("daily_bars", "minute_bars", "corporate_actions", "index_daily"):
        assert getattr(first, name).equals(getattr(again, name)), name
    assert first.divisors == again.divisors
    assert not first.daily_bars.equals(other.daily_bars)


def test_daily_bars_cover_every_trading_day_of_every_instrument(demo: DemoDataset) -> None:
    days = demo.daily_bars.filter(pl.col("symbol") == "OGDC")["day"].to_list()

    assert days[-1] == date(2026, 11, 20)
    assert days == trading_days(days[0], days[-1], frozenset(PK_HOLIDAYS))
    assert 470 <= len(days) <= 500
    assert demo.daily_bars.height == len(days) * len(UNIVERSE)
    assert demo.daily_bars.group_by("symbol").len()["len"].unique().to_list() == [len(days)]
    assert demo.instruments["listed_on"].unique().to_list() == [days[0]]


def test_prices_are_positive_and_ohlc_consistent(demo: DemoDataset) -> None:
    bars = demo.daily_bars

    assert bars.schema["close"] == pl.Int64
    assert bars.filter(pl.col("low") < 1).height == 0
    assert bars.filter(pl.col("high") < pl.max_horizontal("open", "close")).height == 0
    assert bars.filter(pl.col("low") > pl.min_horizontal("open", "close")).height == 0
    assert bars.filter(pl.col("volume") < 1).height == 0
    assert bars.filter((pl.col("trades") < 1) | (pl.col("trades") > pl.col("volume"))).height == 0
    outside = bars.filter(
        (pl.col("turnover") < pl.col("low") * pl.col("volume"))
        | (pl.col("turnover") > pl.col("high") * pl.col("volume"))
    )
    assert outside.height == 0


def test_every_day_stays_inside_the_band_of_the_adjusted_previous_close(
    demo: DemoDataset,
) -> None:
    actions = {
        (row["symbol"], row["ex_date"]): row for row in demo.corporate_actions.iter_rows(named=True)
    }
    checked = limit_days = 0
    for symbol, day, prev, row in _pairs(demo.daily_bars):
        ldcp = prev["close"]
        action = actions.get((symbol, day))
        if action is not None:
            price = None if action["price"] is None else Decimal(action["price"])
            ldcp = adjusted_ldcp(
                ldcp, CorporateActionKind(action["kind"]), Decimal(action["value"]), price
            )
        lower, upper = circuit_limits(_rupees(ldcp))
        for field in ("open", "high", "low", "close"):
            assert lower <= _rupees(row[field]) <= upper, (symbol, day, field)
        limit_days += _rupees(row["close"]) in (lower, upper)
        checked += 1

    assert checked > 40_000
    assert limit_days > 0  # occasional limit hits


def test_last_closes_land_near_the_universe_prices(demo: DemoDataset) -> None:
    last = demo.daily_bars.group_by("symbol").agg(pl.col("close").sort_by("day").last())
    closes = dict(last.iter_rows())

    for item in UNIVERSE:
        assert abs(_rupees(closes[item.symbol]) / item.price - 1) < Decimal("0.03"), item.symbol


def test_vectorised_band_matches_circuit_limits() -> None:
    refs = np.concatenate([np.arange(1, 5000), np.arange(5000, 2_000_000, 997)]).astype(np.int64)

    lower, upper = circuit_band(refs)

    for ref, lo, hi in zip(refs.tolist(), lower.tolist(), upper.tolist(), strict=True):
        assert circuit_limits(_rupees(ref)) == (_rupees(lo), _rupees(hi)), ref


@pytest.mark.parametrize(
    ("kind", "value", "price", "a", "b", "c"),
    [
        (CorporateActionKind.CASH_DIVIDEND, Decimal("7.50"), None, 1, -750, 1),
        (CorporateActionKind.BONUS, Decimal(800), None, 100, 0, 900),
        (CorporateActionKind.BONUS, Decimal(15), None, 100, 0, 115),
        (CorporateActionKind.SPLIT, Decimal(5), None, 1, 0, 5),
        (CorporateActionKind.RIGHT, Decimal(25), Decimal("12.50"), 100, 25 * 1250, 125),
    ],
)
def test_vectorised_adjustment_matches_adjusted_ldcp(
    kind: CorporateActionKind, value: Decimal, price: Decimal | None, a: int, b: int, c: int
) -> None:
    prev = np.arange(1, 60_000, 7, dtype=np.int64)
    ones = np.ones_like(prev)

    adjusted = apply_adjustment(prev, a * ones, b * ones, c * ones)

    expected = [adjusted_ldcp(p, kind, value, price) for p in prev.tolist()]
    assert adjusted.tolist() == expected


def test_corporate_actions_cover_every_kind(demo: DemoDataset) -> None:
    actions = demo.corporate_actions
    kinds = set(actions["kind"].to_list())

    assert kinds == {k.value for k in CorporateActionKind}
    assert actions.filter(pl.col("kind") == "RIGHT")["price"].null_count() == 0
    assert (
        actions.filter(pl.col("kind") != "RIGHT")["price"].null_count()
        == actions.filter(pl.col("kind") != "RIGHT").height
    )
    payers = actions.filter(pl.col("kind") == "CASH_DIVIDEND")["symbol"].n_unique()
    assert payers > 60
    mari = actions.filter((pl.col("symbol") == "MARI") & (pl.col("kind") == "BONUS"))
    assert mari["value"].to_list() == ["800"]


def test_dividend_ex_dates_open_near_the_previous_close_less_the_dividend(
    demo: DemoDataset,
) -> None:
    dividends = {
        (row["symbol"], row["ex_date"]): Decimal(row["value"])
        for row in demo.corporate_actions.filter(pl.col("kind") == "CASH_DIVIDEND").iter_rows(
            named=True
        )
    }
    gaps = [
        float((_rupees(row["open"]) - _rupees(prev["close"])) / dividends[(symbol, day)])
        for symbol, day, prev, row in _pairs(demo.daily_bars)
        if (symbol, day) in dividends
    ]

    assert len(gaps) > 100
    # The open moves about one dividend below the unadjusted close, on average.
    assert -1.5 < float(np.mean(gaps)) < -0.5


def test_bonus_ex_date_trades_far_below_the_unadjusted_band(demo: DemoDataset) -> None:
    ex_date = (
        demo.corporate_actions.filter(pl.col("symbol") == "MARI", pl.col("kind") == "BONUS")
        .get_column("ex_date")
        .item()
    )
    mari = demo.daily_bars.filter(pl.col("symbol") == "MARI").sort("day")
    position = mari["day"].to_list().index(ex_date)
    prev_close, close = mari["close"][position - 1], mari["close"][position]

    lower, _ = circuit_limits(_rupees(prev_close))
    assert _rupees(close) < lower
    assert 0.08 < close / prev_close < 0.14


def _pkt_day(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone("Asia/Karachi").dt.date()


def test_minute_bars_aggregate_exactly_to_daily_bars(demo: DemoDataset) -> None:
    minutes = demo.minute_bars.sort("symbol", "ts")
    rolled = minutes.group_by("symbol", _pkt_day("ts").alias("day")).agg(
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
        pl.col("turnover").sum(),
        pl.col("trades").sum(),
    )
    days = sorted(set(rolled["day"].to_list()))
    daily = demo.daily_bars.filter(pl.col("day").is_in(days))

    assert len(days) == MINUTE_SESSIONS
    assert days[-1] == date(2026, 11, 20)
    assert rolled.height == daily.height
    assert rolled.sort("symbol", "day").equals(daily.select(rolled.columns).sort("symbol", "day"))


def test_minute_bars_are_consistent_and_inside_the_sessions(demo: DemoDataset) -> None:
    minutes = demo.minute_bars

    assert minutes.schema["ts"] == pl.Datetime("us", "UTC")
    assert minutes.filter(pl.col("volume") < 1).height == 0
    assert minutes.filter(pl.col("high") < pl.max_horizontal("open", "close")).height == 0
    assert minutes.filter(pl.col("low") > pl.min_horizontal("open", "close")).height == 0
    assert minutes.filter(pl.col("ts").dt.second() != 0).height == 0
    n_symbols = len(UNIVERSE)
    for ts, count in minutes.group_by("ts").len().iter_rows():
        day = ts.astimezone(PKT).date()
        sessions = default_sessions(day, frozenset(PK_HOLIDAYS))
        assert any(s.contains(ts) for s in sessions), ts
        if ts == sessions[0].open_at or ts == sessions[-1].close_at - timedelta(minutes=1):
            assert count == n_symbols  # the opening and closing minutes always trade


def test_minute_volume_is_u_shaped(demo: DemoDataset) -> None:
    local = demo.minute_bars.filter(pl.col("ts").dt.weekday() <= 4)  # Mon-Thu, one session
    by_minute = (
        local.with_columns(
            minute=(pl.col("ts").dt.hour().cast(pl.Int32) * 60 + pl.col("ts").dt.minute())
        )
        .group_by("minute")
        .agg(pl.col("trades").sum())
        .sort("minute")
    )
    trades = by_minute["trades"].to_numpy()

    assert trades[:10].mean() > 1.5 * np.median(trades)
    assert trades[-10:].mean() > 1.5 * np.median(trades)


def test_index_levels_end_near_their_targets(demo: DemoDataset) -> None:
    last = demo.index_daily.group_by("code").agg(pl.col("close").sort_by("day").last())

    for code, close in last.iter_rows():
        assert abs(_rupees(close) / TARGETS[code] - 1) < Decimal("0.01"), code


def _last_weights(demo: DemoDataset, code: str) -> dict[str, float]:
    last_day = demo.daily_bars["day"].max()
    closes = dict(
        demo.daily_bars.filter(pl.col("day") == last_day).select("symbol", "close").rows()
    )
    info = {row["symbol"]: row for row in demo.instruments.iter_rows(named=True)}
    members = demo.constituents.filter(pl.col("index_code") == code)
    caps = {
        symbol: float(
            closes[symbol]
            * info[symbol]["shares_outstanding"]
            * Decimal(info[symbol]["free_float_pct"])
            * Decimal(factor)
        )
        for _, symbol, factor in members.iter_rows()
    }
    total = sum(caps.values())
    return {symbol: cap / total for symbol, cap in caps.items()}


def test_kmi30_weights_are_capped_at_12_percent(demo: DemoDataset) -> None:
    weights = _last_weights(demo, "KMI30")
    factors = demo.constituents.filter(pl.col("index_code") == "KMI30")["cap_factor"]

    assert len(weights) == 30
    assert max(weights.values()) <= 0.12
    assert any(Decimal(f) < 1 for f in factors)  # the cap binds for the largest names


def test_cap_factors_hold_every_weight_at_the_cap() -> None:
    caps = np.array([50.0, 30.0, 10.0, 5.0, 5.0] + [1.0] * 20)

    factors = cap_factors(caps, Decimal("0.12"))

    capped = caps * np.array([float(f) for f in factors])
    weights = capped / capped.sum()
    assert weights.max() <= 0.12
    assert weights[:3] == pytest.approx([0.12] * 3, abs=1e-4)
    assert factors[3:] == [Decimal(1)] * 22


def test_divisor_reproduces_the_last_level(demo: DemoDataset) -> None:
    last_day = demo.daily_bars["day"].max()
    closes = dict(
        demo.daily_bars.filter(pl.col("day") == last_day).select("symbol", "close").rows()
    )
    info = {row["symbol"]: row for row in demo.instruments.iter_rows(named=True)}
    levels = dict(demo.index_daily.filter(pl.col("day") == last_day).select("code", "close").rows())

    for code, divisor in demo.divisors.items():
        members = demo.constituents.filter(pl.col("index_code") == code)
        value = sum(
            _rupees(closes[symbol])
            * info[symbol]["shares_outstanding"]
            * Decimal(info[symbol]["free_float_pct"])
            * Decimal(factor)
            for _, symbol, factor in members.iter_rows()
        )
        assert abs(value / divisor / _rupees(levels[code]) - 1) < Decimal("0.0001"), code


def test_index_bars_are_consistent_and_minutes_roll_up_to_days(demo: DemoDataset) -> None:
    daily = demo.index_daily
    minutes = demo.index_minute

    assert daily.filter(pl.col("high") < pl.max_horizontal("open", "close")).height == 0
    assert daily.filter(pl.col("low") > pl.min_horizontal("open", "close")).height == 0
    assert minutes.filter(pl.col("high") < pl.max_horizontal("open", "close")).height == 0
    rolled = (
        minutes.sort("code", "ts")
        .group_by("code", _pkt_day("ts").alias("day"))
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            pl.col("volume").sum(),
            pl.col("turnover").sum(),
        )
    )
    days = rolled["day"].unique().to_list()
    expected = daily.filter(pl.col("day").is_in(days)).select(rolled.columns)
    assert rolled.sort("code", "day").equals(expected.sort("code", "day"))
    per_day = minutes.group_by("code", _pkt_day("ts").alias("day")).len()
    assert per_day.filter(~pl.col("len").is_in([358, 281])).height == 0


def test_index_history_is_continuous(demo: DemoDataset) -> None:
    kse = demo.index_daily.filter(pl.col("code") == "KSE100").sort("day")
    moves = (kse["close"] / kse["close"].shift(1)).drop_nulls().to_numpy()

    assert np.abs(np.log(moves)).max() < 0.08  # no jump on bonus, split or dividend days


def test_constituents_follow_the_index_rules(demo: DemoDataset) -> None:
    members = {
        code: set(frame["symbol"].to_list())
        for (code,), frame in demo.constituents.group_by("index_code")
    }
    kinds = {item.symbol: item for item in UNIVERSE}
    equities = {s for s, item in kinds.items() if item.kind is InstrumentKind.EQUITY}

    assert len(members["KSE100"]) == 100
    assert members["KSE100"] <= equities
    assert len(members["KSE30"]) == 30
    assert members["KSE30"] <= members["KSE100"]
    assert members["ALLSHR"] == equities
    assert len(members["KMI30"]) == 30
    banned = {"0812", "0832"}
    for symbol in members["KMI30"]:
        assert kinds[symbol].sector_code not in banned, symbol
        assert kinds[symbol].sector_code != "0807" or symbol in {"MEBL", "BIPL"}, symbol
    kse100_sectors = {kinds[s].sector_code for s in members["KSE100"]}
    assert kse100_sectors == {kinds[s].sector_code for s in equities}


def test_daily_turnover_of_free_float_is_plausible(demo: DemoDataset) -> None:
    shares = demo.instruments.select(
        "symbol",
        (pl.col("shares_outstanding") * pl.col("free_float_pct").cast(pl.Float64)).alias("ff"),
    )
    rates = (
        demo.daily_bars.join(shares, on="symbol")
        .group_by("symbol")
        .agg((pl.col("volume") / pl.col("ff")).median().alias("rate"))
    )

    assert rates["rate"].min() > 0.0002
    assert rates["rate"].max() < 0.02


def test_minute_timestamps_are_minute_starts_in_utc(demo: DemoDataset) -> None:
    first = demo.minute_bars.filter(pl.col("symbol") == "OGDC").sort("ts")["ts"][0]

    assert first.tzinfo is not None
    assert first.utcoffset() == timedelta(0)
    local = first.astimezone(PKT)
    assert (local.hour, local.minute) in {(9, 32), (9, 17)}
    assert first == datetime.combine(local.date(), local.time(), PKT).astimezone(UTC)
