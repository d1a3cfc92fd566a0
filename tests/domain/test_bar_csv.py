"""The OHLCV CSV import format: daily and minute bars, validation, header errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.markets.bar_csv import BarCsvError, BarRow, parse_bar_csv
from domain.markets.closing_files import Rejection

HEADER = "symbol,date,open,high,low,close,volume"
DAILY = "HUBC,2025-09-26,220.50,224.00,219.60,222.31,7321455"


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join((header, *rows)) + "\r\n"


def only_rejection(text: str) -> Rejection:
    rows, rejections = parse_bar_csv(text)
    assert rows == []
    assert len(rejections) == 1
    return rejections[0]


def test_daily_bar() -> None:
    rows, rejections = parse_bar_csv(csv_of(DAILY))

    assert rejections == []
    assert rows == [
        BarRow(
            line_no=2,
            symbol="HUBC",
            day=date(2025, 9, 26),
            minute=None,
            open=Decimal("220.50"),
            high=Decimal("224.00"),
            low=Decimal("219.60"),
            close=Decimal("222.31"),
            volume=7321455,
            turnover=None,
            trades=None,
        )
    ]


def test_minute_bar_time_is_pkt_converted_to_utc() -> None:
    header = "symbol,date,time,open,high,low,close,volume,turnover,trades"
    text = csv_of(
        "hubc ,2025-09-26,09:32,220.5,220.90,220.10,220.75,152000,33554000.50,87", header=header
    )

    rows, rejections = parse_bar_csv(text)

    assert rejections == []
    [bar] = rows
    assert bar.minute == datetime(2025, 9, 26, 4, 32, tzinfo=UTC)
    assert bar.minute.utcoffset() is not None
    assert (bar.symbol, bar.day, bar.open) == ("HUBC", date(2025, 9, 26), Decimal("220.50"))
    assert (bar.turnover, bar.trades) == (Decimal("33554000.50"), 87)


def test_minute_before_five_am_pkt_falls_on_the_previous_utc_day() -> None:
    text = csv_of("KEL,2025-09-26,7.03,7.03,7.03,7.03,100,4:59", header=HEADER + ",time")

    [bar], _ = parse_bar_csv(text)

    assert bar.day == date(2025, 9, 26)
    assert bar.minute == datetime(2025, 9, 25, 23, 59, tzinfo=UTC)


def test_empty_time_cell_is_a_daily_bar_in_a_mixed_file() -> None:
    header = "symbol,date,time,open,high,low,close,volume"
    text = csv_of(
        "HUBC,2025-09-26,,220.50,224.00,219.60,222.31,7321455",
        "HUBC,2025-09-26,09:33,220.75,220.80,220.60,220.70,98000",
        header=header,
    )

    rows, rejections = parse_bar_csv(text)

    assert rejections == []
    assert [r.minute for r in rows] == [None, datetime(2025, 9, 26, 4, 33, tzinfo=UTC)]


def test_columns_in_any_order_and_any_case_with_empty_optionals() -> None:
    header = " Volume,CLOSE,low,high,open,Date,Symbol,Trades,Turnover"
    text = csv_of("7321455,222.31,219.60,224.00,220.50,2025-09-26,HUBC,,", header=header)

    [bar], rejections = parse_bar_csv(text)

    assert rejections == []
    assert (bar.open, bar.close, bar.volume, bar.turnover, bar.trades) == (
        Decimal("220.50"),
        Decimal("222.31"),
        7321455,
        None,
        None,
    )


def test_quoted_thousands_separators_lf_endings_bom_and_blank_lines() -> None:
    text = (
        "\ufeff"
        + HEADER
        + "\n\n"
        + 'LUCK,2025-09-26,"1,234.50","1,250.00",1230,1245.75,"1,250,000"\n,,,,,,\n'
    )

    rows, rejections = parse_bar_csv(text)

    assert rejections == []
    assert [(r.line_no, r.open, r.high, r.low, r.volume) for r in rows] == [
        (3, Decimal("1234.50"), Decimal("1250.00"), Decimal("1230.00"), 1_250_000)
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("HUBC,2025-09-26,220.50,224.00,219.60,222.31", "wrong field count: expected 7, got 6"),
        (" ,2025-09-26,220.50,224.00,219.60,222.31,100", "empty symbol"),
        (
            "HUBC,26/09/2025,220.50,224.00,219.60,222.31,100",
            "bad date: '26/09/2025' (expected YYYY-MM-DD)",
        ),
        (
            "HUBC,20250926,220.50,224.00,219.60,222.31,100",
            "bad date: '20250926' (expected YYYY-MM-DD)",
        ),
        (
            "HUBC,2025-02-30,220.50,224.00,219.60,222.31,100",
            "bad date: '2025-02-30' (expected YYYY-MM-DD)",
        ),
        ("HUBC,2025-09-26,x,224.00,219.60,222.31,100", "bad number: open 'x'"),
        (
            "HUBC,2025-09-26,220.50,224.00,219.60,222.31,1.5",
            "bad number: volume '1.5' is not a whole number",
        ),
        ("HUBC,2025-09-26,220.50,224.00,219.60,222.31,-1", "negative volume: -1"),
        (
            "HUBC,2025-09-26,220.505,224.00,219.60,222.31,100",
            "price off the 0.01 tick: open 220.505",
        ),
        ("HUBC,2025-09-26,0,224.00,219.60,222.31,100", "non-positive price: open 0"),
        ("HUBC,2025-09-26,220.50,224.00,-219.60,222.31,100", "non-positive price: low -219.60"),
        (
            "HUBC,2025-09-26,220.50,219.00,219.60,219.50,100",
            "high below low: high 219.00 < low 219.60",
        ),
        (
            "HUBC,2025-09-26,225.00,224.00,219.60,222.31,100",
            "open outside low-high: open 225.00 not in [219.60, 224.00]",
        ),
        (
            "HUBC,2025-09-26,220.50,224.00,219.60,219.00,100",
            "close outside low-high: close 219.00 not in [219.60, 224.00]",
        ),
    ],
)
def test_bad_row_is_rejected_with_its_reason(line: str, reason: str) -> None:
    assert only_rejection(csv_of(line)) == Rejection(line_no=2, reason=reason, line=line)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("9.32,,", "bad time: '9.32' (expected HH:MM)"),
        ("24:00,,", "bad time: '24:00' (expected HH:MM)"),
        ("09:60,,", "bad time: '09:60' (expected HH:MM)"),
        ("09:32:00,,", "bad time: '09:32:00' (expected HH:MM)"),
        (",-5,", "negative turnover: -5"),
        (",abc,", "bad number: turnover 'abc'"),
        (",,2.5", "bad number: trades '2.5' (expected a whole number >= 0)"),
        (",,-2", "bad number: trades '-2' (expected a whole number >= 0)"),
    ],
)
def test_bad_optional_cell_is_rejected_with_its_reason(cells: str, reason: str) -> None:
    line = "HUBC,2025-09-26,220.50,224.00,219.60,222.31,100," + cells

    rejection = only_rejection(csv_of(line, header=HEADER + ",time,turnover,trades"))

    assert rejection.reason == reason


def test_good_rows_survive_bad_ones_in_file_order() -> None:
    text = csv_of(DAILY, "HUBC,2025-09-27,1,1,1", "KEL,2025-09-26,7.03,7.15,6.98,7.08,98541200")

    rows, rejections = parse_bar_csv(text)

    assert [(r.line_no, r.symbol) for r in rows] == [(2, "HUBC"), (4, "KEL")]
    assert [(r.line_no, r.reason) for r in rejections] == [
        (3, "wrong field count: expected 7, got 5")
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER + ",vwap,notes", "unknown column(s): vwap, notes"),
        ("symbol,date,open,high,low,close", "missing required column(s): volume"),
        ("ticker,date,open,close,volume", "unknown column(s): ticker"),
        ("symbol,date,open,high,low,close,volume,open", "repeated column(s): open"),
    ],
)
def test_bad_header_rejects_the_whole_file(header: str, message: str) -> None:
    with pytest.raises(BarCsvError) as raised:
        parse_bar_csv(csv_of(DAILY, header=header))

    assert str(raised.value).startswith(message)


def test_missing_columns_are_all_named() -> None:
    with pytest.raises(BarCsvError, match=r"missing required column\(s\): high, low, volume"):
        parse_bar_csv("symbol,date,open,close\r\nHUBC,2025-09-26,1.00,1.00\r\n")


@pytest.mark.parametrize("text", ["", "\r\n\r\n", "\ufeff"])
def test_empty_file_has_no_header(text: str) -> None:
    with pytest.raises(BarCsvError, match="header row is required"):
        parse_bar_csv(text)


def test_header_only_file_has_no_rows() -> None:
    assert parse_bar_csv(HEADER + "\r\n") == ([], [])
