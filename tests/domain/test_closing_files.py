"""The daily closing file: archive detection, row parsing and every rejection reason."""

from __future__ import annotations

import gzip
import io
import random
import shutil
import subprocess
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain.markets.closing_files import (
    DID_NOT_TRADE,
    ClosingFileError,
    ClosingRow,
    Rejection,
    decode_closing_bytes,
    parse_closing_file,
    unpack_closing_archive,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "closing11_2025-09-26.lis"

GOOD = "31DEC2021|OGDC|0820|Oil & Gas Dev.|84.20|87.30|84.15|86.20|3368560|84.94|||"


def lines(*rows: str) -> str:
    return "\r\n".join(rows) + "\r\n"


def row(
    *,
    day: str = "31DEC2021",
    symbol: str = "OGDC",
    sector: str = "0820",
    name: str = "Oil & Gas Dev.",
    ohlc: tuple[str, str, str, str] = ("84.20", "87.30", "84.15", "86.20"),
    volume: str = "3368560",
    ldcp: str = "84.94",
) -> str:
    return "|".join((day, symbol, sector, name, *ohlc, volume, ldcp, "", "", ""))


def only_rejection(text: str) -> Rejection:
    rows, rejections = parse_closing_file(text)
    assert rows == []
    assert len(rejections) == 1
    return rejections[0]


def lzw_compress(data: bytes, max_bits: int = 16, *, block_mode: bool = True) -> bytes:
    """A plain Unix `compress` encoder, to build .Z test archives.

    It clears the table as soon as it is full (real `compress` waits for the ratio to drop),
    so that small inputs exercise the CLEAR code.
    """
    max_entries = 1 << max_bits
    first = 257 if block_mode else 256
    acc = 0
    acc_len = 0
    n_bits = 9
    max_code = (1 << n_bits) - 1
    in_group = 0
    table = {bytes((i,)): i for i in range(256)}
    free = first

    def emit(code: int) -> None:
        nonlocal acc, acc_len, in_group
        acc |= code << acc_len
        acc_len += n_bits
        in_group += 1

    def pad_group() -> None:
        nonlocal acc_len, in_group
        acc_len += (-in_group % 8) * n_bits
        in_group = 0

    word = b""
    for byte in data:
        candidate = word + bytes((byte,))
        if candidate in table:
            word = candidate
            continue
        emit(table[word])
        if free > max_code:
            pad_group()
            n_bits += 1
            max_code = max_entries if n_bits == max_bits else (1 << n_bits) - 1
        if free < max_entries:
            table[candidate] = free
            free += 1
        elif block_mode:
            emit(256)
            pad_group()
            n_bits = 9
            max_code = (1 << n_bits) - 1
            table = {bytes((i,)): i for i in range(256)}
            free = first
        word = bytes((byte,))
    if word:
        emit(table[word])
    header = bytes((0x1F, 0x9D, max_bits | (0x80 if block_mode else 0)))
    return header + acc.to_bytes((acc_len + 7) // 8, "little")


LZW_SAMPLES = {
    "fixture": FIXTURE.read_bytes(),
    "repetitive": FIXTURE.read_bytes() * 40,
    "random": random.Random(7).randbytes(40_000),
    "skewed": bytes(random.Random(8).choice(b"ab|") for _ in range(60_000)),
}


# --- parsing ----------------------------------------------------------------------------------


def test_good_crlf_file_parses_every_field() -> None:
    text = lines(GOOD, "31DEC2021|ppl|0820|Pak Petroleum|74.5|76.00|74.10|75.70|2,104,500|74.49|||")

    rows, rejections = parse_closing_file(text)

    assert rejections == []
    assert rows == [
        ClosingRow(
            line_no=1,
            day=date(2021, 12, 31),
            symbol="OGDC",
            sector_code="0820",
            name="Oil & Gas Dev.",
            open=Decimal("84.20"),
            high=Decimal("87.30"),
            low=Decimal("84.15"),
            close=Decimal("86.20"),
            volume=3368560,
            ldcp=Decimal("84.94"),
        ),
        ClosingRow(
            line_no=2,
            day=date(2021, 12, 31),
            symbol="PPL",
            sector_code="0820",
            name="Pak Petroleum",
            open=Decimal("74.50"),
            high=Decimal("76.00"),
            low=Decimal("74.10"),
            close=Decimal("75.70"),
            volume=2104500,
            ldcp=Decimal("74.49"),
        ),
    ]
    assert str(rows[1].open) == "74.50"


def test_lf_endings_blank_lines_and_trailing_ctrl_z_are_accepted() -> None:
    text = "\n" + GOOD + "\n\n" + row(symbol=" hubc ") + "\n\x1a"

    rows, rejections = parse_closing_file(text)

    assert rejections == []
    assert [(r.line_no, r.symbol) for r in rows] == [(2, "OGDC"), (4, "HUBC")]


def test_thousands_separators_in_prices_and_volume() -> None:
    text = lines(row(ohlc=("1,234.50", "1,250.00", "1,230.00", "1,245.75"), volume="1,250,000"))

    rows, rejections = parse_closing_file(text)

    assert rejections == []
    assert (rows[0].open, rows[0].close, rows[0].volume) == (
        Decimal("1234.50"),
        Decimal("1245.75"),
        1_250_000,
    )


@pytest.mark.parametrize("day", ["31dec2021", "31Dec2021", "31DEC2021"])
def test_month_is_case_insensitive(day: str) -> None:
    rows, _ = parse_closing_file(lines(row(day=day)))

    assert rows[0].day == date(2021, 12, 31)


def test_single_digit_day() -> None:
    rows, _ = parse_closing_file(lines(row(day="3JAN2022")))

    assert rows[0].day == date(2022, 1, 3)


def test_empty_or_zero_previous_close_is_none() -> None:
    rows, rejections = parse_closing_file(lines(row(ldcp=""), row(symbol="PPL", ldcp="0.00")))

    assert rejections == []
    assert [r.ldcp for r in rows] == [None, None]


def test_empty_text_gives_nothing() -> None:
    assert parse_closing_file("") == ([], [])
    assert parse_closing_file("\r\n\r\n") == ([], [])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("31DEC2021|OGDC|0820|Oil & Gas Dev.|84.20|87.30", "wrong field count: expected 10, got 6"),
        (GOOD + "extra|", "wrong field count: expected 10, got 14"),
        (row(day="31XYZ2021"), "bad date: '31XYZ2021'"),
        (row(day="31FEB2021"), "bad date: '31FEB2021'"),
        (row(day="2021-12-31"), "bad date: '2021-12-31'"),
        (row(symbol="  "), "empty symbol"),
        (row(sector="820"), "bad sector code: '820' is not 4 digits"),
        (row(sector="08A0"), "bad sector code: '08A0' is not 4 digits"),
        (row(ohlc=("84.20", "abc", "84.15", "86.20")), "bad number: high 'abc'"),
        (row(ohlc=("84.20", "87.30", "1e2", "86.20")), "bad number: low '1e2'"),
        (row(ohlc=("84.20", "87.30", "84.15", "NaN")), "bad number: close 'NaN'"),
        (row(ohlc=("8,42.0", "87.30", "84.15", "86.20")), "bad number: open '8,42.0'"),
        (row(volume="12x"), "bad number: volume '12x'"),
        (row(volume="10.5"), "bad number: volume '10.5' is not a whole number"),
        (row(ldcp="n/a"), "bad number: ldcp 'n/a'"),
        (row(ldcp="84.945"), "bad previous close: ldcp 84.945"),
        (row(ohlc=("84.205", "87.30", "84.15", "86.20")), "price off the 0.01 tick: open 84.205"),
        (row(ohlc=("84.20", "87.30", "84.15", "86.201")), "price off the 0.01 tick: close 86.201"),
        (row(ohlc=("0", "87.30", "84.15", "86.20")), "non-positive price: open 0"),
        (row(ohlc=("84.20", "87.30", "-1.00", "86.20")), "non-positive price: low -1.00"),
        (row(ohlc=("0.00", "0.00", "0.00", "0.00"), volume="100"), "non-positive price: open 0.00"),
        (
            row(ohlc=("84.20", "84.00", "85.00", "84.50")),
            "high below low: high 84.00 < low 85.00",
        ),
        (
            row(ohlc=("88.00", "87.30", "84.15", "86.20")),
            "open outside low-high: open 88.00 not in [84.15, 87.30]",
        ),
        (
            row(ohlc=("84.20", "87.30", "84.15", "84.10")),
            "close outside low-high: close 84.10 not in [84.15, 87.30]",
        ),
        (row(volume="-5"), "negative volume: -5"),
        (row(ohlc=("0.00", "0.00", "0.00", "0.00"), volume="0"), DID_NOT_TRADE),
        (row(ohlc=("0.00", "0.00", "0.00", "84.94"), volume="0"), DID_NOT_TRADE),
    ],
)
def test_bad_row_is_rejected_with_its_reason(line: str, reason: str) -> None:
    rejection = only_rejection(lines(line))

    assert rejection == Rejection(line_no=1, reason=reason, line=line)


def test_rows_with_a_minority_date_are_rejected() -> None:
    text = lines(
        row(symbol="OGDC"),
        row(symbol="PPL", day="30DEC2021"),
        row(symbol="HUBC"),
    )

    rows, rejections = parse_closing_file(text)

    assert [r.symbol for r in rows] == ["OGDC", "HUBC"]
    assert rejections == [
        Rejection(
            line_no=2,
            reason="date 2021-12-30 differs from the file's date 2021-12-31",
            line=row(symbol="PPL", day="30DEC2021"),
        )
    ]


def test_majority_date_counts_rows_that_fail_other_checks() -> None:
    # Two malformed rows on the 30th outvote one good row on the 31st.
    text = lines(
        row(symbol="OGDC"),
        row(symbol="PPL", day="30DEC2021", volume="-1"),
        row(symbol="HUBC", day="30DEC2021", sector="1"),
    )

    rows, rejections = parse_closing_file(text)

    assert rows == []
    assert [(r.line_no, r.reason.split(":")[0]) for r in rejections] == [
        (1, "date 2021-12-31 differs from the file's date 2021-12-30"),
        (2, "negative volume"),
        (3, "bad sector code"),
    ]


def test_rejections_keep_file_order_and_good_rows_survive() -> None:
    text = lines("garbage", row(symbol=""), GOOD, row(symbol="NBP", volume="-3"))

    rows, rejections = parse_closing_file(text)

    assert [r.symbol for r in rows] == ["OGDC"]
    assert [(r.line_no, r.reason) for r in rejections] == [
        (1, "wrong field count: expected 10, got 1"),
        (2, "empty symbol"),
        (4, "negative volume: -3"),
    ]


def test_fixture_file_is_a_clean_day_with_one_symbol_that_did_not_trade() -> None:
    data = FIXTURE.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") == 16

    rows, rejections = parse_closing_file(decode_closing_bytes(data))

    assert len(rows) == 15
    assert {r.day for r in rows} == {date(2025, 9, 26)}
    assert all(r.ldcp is not None for r in rows)
    assert [(r.line_no, r.reason) for r in rejections] == [(16, DID_NOT_TRADE)]
    hubc = next(r for r in rows if r.symbol == "HUBC")
    assert (hubc.sector_code, hubc.close, hubc.ldcp) == (
        "0824",
        Decimal("222.31"),
        Decimal("219.87"),
    )


# --- decoding ---------------------------------------------------------------------------------


def test_decode_utf8_with_bom() -> None:
    assert decode_closing_bytes("\ufeffNestlé".encode()) == "Nestlé"


def test_decode_falls_back_to_cp1252_then_latin1() -> None:
    assert decode_closing_bytes(b"Nestl\xe9 \x80") == "Nestlé €"
    # 0x81 is undefined in cp1252, so only Latin-1 decodes it.
    assert decode_closing_bytes(b"Nestl\xe9 \x81") == "Nestlé \x81"


# --- archives ---------------------------------------------------------------------------------


def zip_of(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, body in members:
            archive.writestr(member, body)
    return buffer.getvalue()


def test_plain_text_is_returned_as_is() -> None:
    data = FIXTURE.read_bytes()

    assert unpack_closing_archive(data, "2025-09-26.Z") == [("2025-09-26.Z", data)]
    assert unpack_closing_archive(data) == [("closing11.lis", data)]


def test_zip_yields_the_lis_members_only() -> None:
    data = FIXTURE.read_bytes()
    archive = zip_of(("readme.txt", b"notes"), ("CLOSING11.LIS", data))

    assert unpack_closing_archive(archive, "2025-09-26.Z") == [("CLOSING11.LIS", data)]


def test_zip_without_lis_members_yields_every_file() -> None:
    archive = zip_of(("a.txt", b"one"), ("b.csv", b"two"))

    assert unpack_closing_archive(archive) == [("a.txt", b"one"), ("b.csv", b"two")]


def test_zip_is_detected_by_magic_not_name() -> None:
    data = FIXTURE.read_bytes()

    assert unpack_closing_archive(zip_of(("closing11.lis", data)), "x.txt") == [
        ("closing11.lis", data)
    ]


def test_corrupt_zip_raises() -> None:
    archive = zip_of(("closing11.lis", FIXTURE.read_bytes()))

    with pytest.raises(ClosingFileError, match="ZIP"):
        unpack_closing_archive(archive[:60])


def test_gzip_yields_the_decompressed_bytes_under_its_stored_name() -> None:
    data = FIXTURE.read_bytes()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="closing11.lis", mode="wb", fileobj=buffer, mtime=0) as stream:
        stream.write(data)

    assert unpack_closing_archive(buffer.getvalue(), "2025-09-26.Z") == [("closing11.lis", data)]


def test_gzip_without_stored_name_is_named_after_the_archive() -> None:
    data = FIXTURE.read_bytes()

    assert unpack_closing_archive(gzip.compress(data), "2025-09-26.gz") == [("2025-09-26", data)]
    assert unpack_closing_archive(gzip.compress(data)) == [("closing11.lis", data)]


def test_corrupt_gzip_raises() -> None:
    with pytest.raises(ClosingFileError, match="gzip"):
        unpack_closing_archive(gzip.compress(FIXTURE.read_bytes())[:40])


def test_lzw_hand_built_vector_with_the_kwkwk_case() -> None:
    # "ABABABA" is coded 65, 66, 257 ("AB"), 259 ("ABA", the code being defined): four
    # 9-bit codes packed LSB first after the header 1F 9D 90 (block mode, 16-bit maximum).
    packed = (65 | 66 << 9 | 257 << 18 | 259 << 27).to_bytes(5, "little")
    archive = b"\x1f\x9d\x90" + packed
    assert archive.hex() == "1f9d904184041c08"

    assert unpack_closing_archive(archive, "2025-09-26.Z") == [("2025-09-26", b"ABABABA")]


@pytest.mark.parametrize("sample", sorted(LZW_SAMPLES))
@pytest.mark.parametrize(
    ("max_bits", "block_mode"), [(9, True), (10, True), (12, False), (16, True)]
)
def test_lzw_round_trip(sample: str, max_bits: int, block_mode: bool) -> None:
    data = LZW_SAMPLES[sample]
    archive = lzw_compress(data, max_bits, block_mode=block_mode)

    assert unpack_closing_archive(archive) == [("closing11.lis", data)]


def test_lzw_encoder_output_is_what_gzip_decodes() -> None:
    # Cross-check the test encoder (and so the decoder) against an independent .Z reader.
    # gzip is part of every Debian base system, so its absence is a broken machine, not a skip.
    gzip_bin = shutil.which("gzip")
    assert gzip_bin is not None, "the gzip binary is needed for this cross-check"
    for data in LZW_SAMPLES.values():
        for max_bits in (9, 12, 16):
            archive = lzw_compress(data, max_bits)
            done = subprocess.run(  # noqa: S603 - fixed argv, our own bytes on stdin
                [gzip_bin, "-dc"], input=archive, capture_output=True, check=True
            )
            assert done.stdout == data


def test_lzw_empty_stream_is_empty() -> None:
    assert unpack_closing_archive(b"\x1f\x9d\x90") == [("closing11.lis", b"")]


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"\x1f\x9d", "truncated"),
        (b"\x1f\x9d\x91", "17-bit"),
        (b"\x1f\x9d\x88", "8-bit"),
        (b"\x1f\x9d\x90" + (300).to_bytes(2, "little"), "bad first code"),
        (b"\x1f\x9d\x90" + (65 | 300 << 9).to_bytes(3, "little"), "out of range"),
    ],
)
def test_corrupt_lzw_raises(archive: bytes, message: str) -> None:
    with pytest.raises(ClosingFileError, match=message):
        unpack_closing_archive(archive)


def test_archive_to_rows_end_to_end() -> None:
    archive = zip_of(("closing11.lis", FIXTURE.read_bytes()))

    [(_, body)] = unpack_closing_archive(archive)
    rows, rejections = parse_closing_file(decode_closing_bytes(body))

    assert (len(rows), len(rejections)) == (15, 1)
