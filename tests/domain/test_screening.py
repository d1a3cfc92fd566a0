"""Screener fields, filters and the snapshot maths, against hand-computed references."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
import talib

from domain.errors import DomainError, ErrorCode
from domain.markets.instruments import (
    CorporateAction,
    CorporateActionKind,
    Instrument,
    InstrumentKind,
    ListingStatus,
)
from domain.screening.fields import NUMERIC_FIELDS, ScreenField
from domain.screening.filters import (
    Condition,
    ScreenFilter,
    ScreenOperator,
    SortDirection,
    SortKey,
    check_filter,
    check_sort,
    filter_from_json,
    filter_to_json,
    matches,
    sort_from_json,
    sort_to_json,
)
from domain.screening.snapshots import snapshots

F, Op = ScreenField, ScreenOperator


def _error(f: ScreenFilter) -> DomainError:
    with pytest.raises(DomainError) as info:
        check_filter(f)
    return info.value


def test_every_numeric_field_has_a_column_and_text_fields_are_codes() -> None:
    assert len({f.column for f in NUMERIC_FIELDS}) == len(NUMERIC_FIELDS)
    assert F.SECTOR.textual and F.INDEX.textual and not F.PE.textual


@pytest.mark.parametrize(
    ("condition", "field", "code"),
    [
        (Condition(F.PE, Op.IN, codes=("X",)), "filter.conditions[0].operator", ErrorCode.INVALID),
        (Condition(F.SECTOR, Op.GT, value=1), "filter.conditions[0].operator", ErrorCode.INVALID),
        (Condition(F.PE, Op.GT), "filter.conditions[0].value", ErrorCode.INVALID),
        (Condition(F.PE, Op.GT, value=math.nan), "filter.conditions[0].value", ErrorCode.INVALID),
        (Condition(F.PE, Op.BETWEEN, low=5), "filter.conditions[0].max", ErrorCode.INVALID),
        (Condition(F.PE, Op.BETWEEN, low=9, high=5), "filter.conditions[0].min", ErrorCode.INVALID),
        (
            Condition(F.PE, Op.BETWEEN, value=1, low=1, high=2),
            "filter.conditions[0].value",
            ErrorCode.INVALID,
        ),
        (
            Condition(F.PE, Op.LT, value=1, codes=("A",)),
            "filter.conditions[0].values",
            ErrorCode.INVALID,
        ),
        (Condition(F.SECTOR, Op.IN), "filter.conditions[0].values", ErrorCode.INVALID),
        (
            Condition(F.SECTOR, Op.EQ, codes=("0804", "0807")),
            "filter.conditions[0].values",
            ErrorCode.INVALID,
        ),
        (
            Condition(F.INDEX, Op.IN, value=3, codes=("KSE100",)),
            "filter.conditions[0].value",
            ErrorCode.INVALID,
        ),
    ],
)
def test_bad_conditions_are_errors_naming_the_part(
    condition: Condition, field: str, code: ErrorCode
) -> None:
    err = _error(ScreenFilter((condition,)))
    assert (err.field, err.code) == (field, code)


def test_conditions_in_or_groups_are_named_by_their_group() -> None:
    good = Condition(F.PE, Op.LT, value=10)
    err = _error(ScreenFilter((good,), ((good,), (good, Condition(F.ROE, Op.GT)))))
    assert err.field == "filter.anyOf[1].conditions[1].value"
    assert _error(ScreenFilter((), ((),))).field == "filter.anyOf[0]"
    assert _error(ScreenFilter((good,) * 31)).code is ErrorCode.TOO_LARGE


def test_codes_are_normalised() -> None:
    checked = check_filter(
        ScreenFilter((Condition(F.INDEX, Op.IN, codes=(" kse100", "KSE100", "kmi30")),))
    )
    assert checked.conditions[0].codes == ("KSE100", "KMI30")


def test_sort_keys_are_checked() -> None:
    assert check_sort(None) == (SortKey(F.MARKET_CAP, SortDirection.DESC),)
    with pytest.raises(DomainError) as info:
        check_sort([SortKey(F.PE), SortKey(F.PE)])
    assert info.value.field == "sort[1]"
    with pytest.raises(DomainError) as info:
        check_sort([SortKey(F.INDEX)])
    assert info.value.field == "sort[0].field"


def test_matches_treats_unknown_values_as_no_match() -> None:
    assert not matches(Condition(F.PE, Op.LT, value=10), None)
    assert not matches(Condition(F.PE, Op.NE, value=10), None)
    assert matches(Condition(F.PE, Op.BETWEEN, low=5, high=10), 10.0)
    assert matches(Condition(F.INDEX, Op.IN, codes=("KMI30",)), ("KSE100", "KMI30"))
    assert matches(Condition(F.INDEX, Op.NOT_IN, codes=("KMI30",)), ("KSE100",))
    assert not matches(Condition(F.SECTOR, Op.NE, codes=("0804",)), "0804")


def test_filters_and_sorts_round_trip_through_json() -> None:
    f = check_filter(
        ScreenFilter(
            (
                Condition(F.PE, Op.BETWEEN, low=2, high=9.5),
                Condition(F.SECTOR, Op.IN, codes=("0804",)),
            ),
            ((Condition(F.RSI14, Op.LT, value=30), Condition(F.PERF_1M, Op.LTE, value=-10)),),
        )
    )
    assert filter_from_json(filter_to_json(f)) == f
    keys = (SortKey(F.ROE, SortDirection.ASC), SortKey(F.PE))
    assert sort_from_json(sort_to_json(keys)) == keys


# The snapshot maths: two instruments over ~420 calendar days of weekday sessions.


def _sessions(end: date, count: int) -> list[date]:
    days: list[date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def _instrument(i: int, symbol: str) -> Instrument:
    return Instrument(
        id=i,
        symbol=symbol,
        name=symbol,
        sector_code="0804",
        kind=InstrumentKind.EQUITY,
        shares_outstanding=1_000_000,
        free_float_pct=Decimal("0.25"),
        face_value=Decimal(10),
        lot_size=1,
        listing_status=ListingStatus.LISTED,
        listed_on=None,
    )


END = date(2026, 11, 19)
DAYS = _sessions(END, 240)


def _frame(instrument_id: int, close: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    spread = np.abs(rng.normal(0, 0.01, len(close))) * close
    open_ = close * (1 + rng.normal(0, 0.005, len(close)))
    return pl.DataFrame(
        {
            "instrument_id": [instrument_id] * len(close),
            "day": DAYS,
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.integers(1_000, 100_000, len(close)).astype(float),
            "turnover": close * 50_000.0,
        }
    )


def test_snapshot_fields_match_their_definitions() -> None:
    rng = np.random.default_rng(11)
    index = 1000 * np.cumprod(1 + rng.normal(0, 0.01, len(DAYS)))
    index_returns = index[1:] / index[:-1] - 1
    own = 1.5 * index_returns + rng.normal(0, 0.005, len(index_returns))
    close = np.concatenate([[100.0], 100 * np.cumprod(1 + own)])
    bars = _frame(1, close, rng)
    benchmark = pl.DataFrame({"day": DAYS, "close": index})
    [row] = snapshots(
        bars,
        instruments=[_instrument(1, "AAA")],
        memberships={1: ("KSE100",)},
        actions={},
        benchmark=benchmark,
        statements={},
    )
    v = row.values
    assert (row.symbol, row.as_of, row.index_codes, row.sector) == ("AAA", END, ("KSE100",), "0804")
    assert v[F.PRICE] == pytest.approx(close[-1])
    assert v[F.MARKET_CAP] == pytest.approx(close[-1] * 1_000_000)
    assert v[F.FREE_FLOAT] == pytest.approx(25.0)
    assert v[F.PE] is None and v[F.ROE] is None  # no statements: unknown, never zero
    assert v[F.CHANGE_PERCENT] == pytest.approx((close[-1] / close[-2] - 1) * 100)
    opens, highs, lows = (bars[c].to_numpy() for c in ("open", "high", "low"))
    assert v[F.GAP] == pytest.approx((opens[-1] / close[-2] - 1) * 100)
    volume = bars["volume"].to_numpy()
    assert v[F.AVERAGE_VOLUME] == pytest.approx(volume[-30:].mean())
    assert v[F.RELATIVE_VOLUME] == pytest.approx(volume[-1] / volume[-30:].mean())
    assert v[F.RSI14] == pytest.approx(talib.RSI(close, 14)[-1], rel=1e-9)
    assert v[F.SMA50] == pytest.approx(close[-50:].mean())
    assert v[F.PRICE_VS_SMA200] == pytest.approx((close[-1] / close[-200:].mean() - 1) * 100)
    atr = talib.ATR(highs, lows, close, 14)[-1]
    assert v[F.ATR_PERCENT] == pytest.approx(atr / close[-1] * 100, rel=1e-9)
    # 1 month back: the last session on or before 2026-10-20.
    month = max(i for i, d in enumerate(DAYS) if d <= END - timedelta(days=30))
    assert v[F.PERF_1M] == pytest.approx((close[-1] / close[month] - 1) * 100)
    year_end = max(i for i, d in enumerate(DAYS) if d <= date(2025, 12, 31))
    assert v[F.PERF_YTD] == pytest.approx((close[-1] / close[year_end] - 1) * 100)
    assert v[F.PERF_1Y] is None  # 240 sessions do not reach back 365 days
    in_year = np.array([d > END - timedelta(days=365) for d in DAYS])
    assert v[F.HIGH_52W] == pytest.approx(highs[in_year].max())
    assert v[F.FROM_52W_LOW] == pytest.approx((close[-1] / lows[in_year].min() - 1) * 100)
    r = close[1:] / close[:-1] - 1
    x = index_returns[in_year[1:]]
    y = r[in_year[1:]]
    assert v[F.BETA] == pytest.approx(np.cov(y, x)[0, 1] / np.var(x, ddof=1))
    assert 1.3 < v[F.BETA] < 1.7  # the series was made with a beta of 1.5
    assert v[F.VOLATILITY] == pytest.approx(np.log1p(y).std(ddof=1) * math.sqrt(248) * 100)


def test_a_bonus_issue_is_no_crash_in_the_performance() -> None:
    rng = np.random.default_rng(3)
    close = np.full(len(DAYS), 100.0)
    ex = len(DAYS) - 10
    close[ex:] = 50.0  # a 100% bonus halves the price with no loss to holders
    bonus = CorporateAction(1, 1, CorporateActionKind.BONUS, DAYS[ex], Decimal(100), None, "")
    [row] = snapshots(
        _frame(1, close, rng),
        instruments=[_instrument(1, "BBB")],
        memberships={},
        actions={1: [bonus]},
        benchmark=None,
        statements={},
    )
    assert row.values[F.PERF_1M] == pytest.approx(0.0)
    assert row.values[F.SMA200] == pytest.approx(50.0)
    assert row.values[F.HIGH_52W] is not None and row.values[F.HIGH_52W] < 52
    assert row.values[F.BETA] is None


def test_fundamental_fields_are_taken_at_the_last_close_with_rates_in_percent() -> None:
    from domain.fundamentals.statements import FinancialStatement, PeriodKind

    rng = np.random.default_rng(5)
    close = np.full(len(DAYS), 80.0)
    year = FinancialStatement(
        period=PeriodKind.ANNUAL,
        fiscal_year=2026,
        fiscal_quarter=None,
        period_end=date(2026, 6, 30),
        revenue=Decimal(500_000_000),
        net_income=Decimal(20_000_000),
        eps=Decimal(20),
        total_assets=Decimal(400_000_000),
        total_equity=Decimal(100_000_000),
        book_value_per_share=Decimal(100),
        shares=1_000_000,
        dividends_per_share=Decimal(4),
    )
    [row] = snapshots(
        _frame(1, close, rng),
        instruments=[_instrument(1, "CCC")],
        memberships={},
        actions={},
        benchmark=None,
        statements={1: [year]},
    )
    v = row.values
    assert v[F.PE] == pytest.approx(4.0)  # 80 / 20
    assert v[F.PB] == pytest.approx(0.8)
    assert v[F.EPS] == pytest.approx(20.0)
    assert v[F.ROE] == pytest.approx(20.0)  # 20 m / 100 m, in percent
    assert v[F.DIVIDEND_YIELD] == pytest.approx(5.0)  # 4 / 80
    assert v[F.NET_MARGIN] == pytest.approx(4.0)
    assert v[F.PS] == pytest.approx(80_000_000 / 500_000_000)
