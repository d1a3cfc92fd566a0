"""Replay files: ticks and 1-minute bars placed on coming trading days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.markets.bar_csv import parse_bar_csv
from domain.markets.replay import ReplayFileError, onto_days, parse_replay, trades_of_bar
from domain.markets.sessions import PKT

D = Decimal


def test_tick_csv_is_read_in_time_order_with_bad_rows_refused() -> None:
    text = (
        "symbol,ts,price,volume\n"
        "ogdc,2026-11-19T09:33:05+05:00,271.10,500\n"
        "HUBC,2026-11-19T09:32:10,222.315,100\n"
        "HUBC,2026-11-19T09:32:00,222.31,0\n"
        "HUBC,2026-11-19T04:32:30+00:00,222.30,200\n"
    )
    trades, rejections = parse_replay(text)
    assert [(t.symbol, t.price, t.volume) for t in trades] == [
        ("HUBC", D("222.30"), 200),
        ("OGDC", D("271.10"), 500),
    ]
    assert trades[0].at == datetime(2026, 11, 19, 9, 32, 30, tzinfo=PKT)
    assert [(r.line_no, r.reason) for r in rejections] == [
        (3, "price 222.315 is not on the 0.01 tick"),
        (4, "volume 0 is not positive"),
    ]


def test_a_minute_bar_becomes_four_trades_that_rebuild_it() -> None:
    rows, _ = parse_bar_csv(
        "symbol,date,time,open,high,low,close,volume\n"
        "LUCK,2026-11-19,10:00,400.00,401.50,399.20,399.90,1003\n"
    )
    trades = trades_of_bar(rows[0])
    assert [t.price for t in trades] == [D("400.00"), D("401.50"), D("399.20"), D("399.90")]
    assert [t.at.second for t in trades] == [0, 20, 40, 59]
    assert sum(t.volume for t in trades) == 1003
    assert max(t.price for t in trades) == D("401.50") and min(t.price for t in trades) == D(
        "399.20"
    )


def test_days_move_onto_the_given_days_keeping_the_time_of_day() -> None:
    trades, _ = parse_replay(
        "symbol,ts,price,volume\n"
        "OGDC,2025-03-03T10:00:00+05:00,100.00,1\n"
        "OGDC,2025-03-04T11:30:00+05:00,101.00,1\n"
    )
    ticks = onto_days(trades, [date(2026, 11, 20), date(2026, 11, 23)])
    assert [t.at.astimezone(PKT) for t in ticks] == [
        datetime(2026, 11, 20, 10, 0, tzinfo=PKT),
        datetime(2026, 11, 23, 11, 30, tzinfo=PKT),
    ]
    assert [t.seq for t in ticks] == [1, 2]
    with pytest.raises(ReplayFileError):
        onto_days(trades, [date(2026, 11, 20)])


def test_daily_bars_alone_cannot_be_replayed() -> None:
    with pytest.raises(ReplayFileError):
        parse_replay("symbol,date,open,high,low,close,volume\nOGDC,2026-11-19,1,1,1,1,1\n")
