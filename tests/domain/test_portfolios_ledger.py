"""Portfolio ledger entries: validation with field paths, PSX cost defaults, settlement dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode
from domain.portfolios.inputs import (
    TransactionInput,
    build_transaction,
    check_base_currency,
    check_portfolio_name,
)
from domain.portfolios.ledger import (
    PortfolioPolicy,
    Transaction,
    TransactionType,
    ledger_order,
    symbols_of,
)
from domain.portfolios.settlement import settlement_date, settlement_lag

D = Decimal
T = TransactionType
HOLDINGS = PortfolioPolicy()
WITH_CASH = PortfolioPolicy(tracks_cash=True)
KASHMIR_DAY_2025 = frozenset({date(2025, 2, 5)})
KASHMIR_DAY_2026 = frozenset({date(2026, 2, 5)})


def build(policy: PortfolioPolicy = HOLDINGS, **kwargs: object) -> Transaction:
    return build_transaction(TransactionInput(**kwargs), policy)  # type: ignore[arg-type]


def rejects(field: str, code: ErrorCode = ErrorCode.INVALID, **kwargs: object) -> DomainError:
    policy = kwargs.pop("policy", HOLDINGS)
    today = kwargs.pop("today", None)
    with pytest.raises(DomainError) as caught:
        build_transaction(TransactionInput(**kwargs), policy, today=today)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.code is code
    return caught.value


def test_buy_charges_come_from_the_psx_cost_model() -> None:
    # 100 × 120.00 = 12,000: commission max(18.00, 3.00) = 18.00, CDC 0.40, levies 0.24
    # → fees 18.64; SST 13% of 18.00 = 2.34, CVT 0.01% = 1.20 → taxes 3.54.
    tx = build(type=T.BUY, trade_date=date(2025, 1, 6), symbol="hubc", quantity=100, price=D("120"))
    assert tx.symbol == "HUBC"
    assert (tx.gross, tx.fees, tx.taxes) == (D("12000.00"), D("18.64"), D("3.54"))
    assert tx.cash_effect == D("-12022.18")
    assert tx.settlement_date == date(2025, 1, 8)


def test_sell_pays_no_cvt_and_brings_net_proceeds() -> None:
    # 150 × 150.00 = 22,500: commission 33.75, CDC 0.60, levies 0.45 → fees 34.80;
    # SST 4.3875 → 4.39, no CVT on a sale.
    tx = build(
        type=T.SELL, trade_date=date(2025, 3, 10), symbol="HUBC", quantity=150, price=D("150")
    )
    assert (tx.fees, tx.taxes) == (D("34.80"), D("4.39"))
    assert tx.cash_effect == D("22460.81")


def test_given_fees_are_kept_and_missing_taxes_computed() -> None:
    tx = build(
        type=T.BUY,
        trade_date=date(2025, 2, 3),
        symbol="HUBC",
        quantity=200,
        price=D("135.50"),
        fees=D("50.00"),
    )
    # Taxes from the model: SST 13% of 40.65 = 5.2845 → 5.28, CVT 2.71.
    assert (tx.fees, tx.taxes) == (D("50.00"), D("7.99"))
    free = build(
        type=T.BUY,
        trade_date=date(2025, 2, 3),
        symbol="HUBC",
        quantity=200,
        price=D("135.50"),
        fees=D("0"),
        taxes=D("0"),
    )
    assert free.cash_effect == D("-27100.00")


def test_dividend_withholds_15_percent_for_filers_and_30_for_non_filers() -> None:
    fields = {"type": T.DIVIDEND, "trade_date": date(2025, 4, 14), "symbol": "HUBC"}
    filer = build(quantity=150, price=D("4.00"), **fields)
    assert (filer.gross, filer.taxes, filer.cash_effect) == (D("600.00"), D("90.00"), D("510.00"))
    non_filer = build(PortfolioPolicy(filer=False), quantity=150, price=D("4.00"), **fields)
    assert non_filer.taxes == D("180.00")
    # Rs 0.375 a share (3.75% of face value) is allowed four decimals; 1,001 × 0.375 = 375.375
    # → 375.38 gross, WHT 56.307 → 56.31.
    odd = build(quantity=1001, price=D("0.375"), **fields)
    assert (odd.gross, odd.taxes) == (D("375.38"), D("56.31"))
    assert odd.settlement_date == odd.trade_date


@pytest.mark.parametrize(
    ("trade", "holidays", "lag", "settles"),
    [
        (date(2026, 2, 2), frozenset(), 2, date(2026, 2, 4)),
        # Wednesday 4 Feb 2026, T+2 over Kashmir Day (Thu 5 Feb) and the weekend.
        (date(2026, 2, 4), KASHMIR_DAY_2026, 2, date(2026, 2, 9)),
        (date(2026, 2, 4), frozenset(), 2, date(2026, 2, 6)),
        # The last T+2 trade (Fri 6 Feb) and the first T+1 trade (Mon 9 Feb) settle together.
        (date(2026, 2, 6), KASHMIR_DAY_2026, 2, date(2026, 2, 10)),
        (date(2026, 2, 9), KASHMIR_DAY_2026, 1, date(2026, 2, 10)),
        (date(2026, 2, 13), frozenset(), 1, date(2026, 2, 16)),
        (date(2025, 2, 3), KASHMIR_DAY_2025, 2, date(2025, 2, 6)),
    ],
)
def test_settlement_is_t_plus_2_until_6_feb_2026_and_t_plus_1_from_9_feb(
    trade: date, holidays: frozenset[date], lag: int, settles: date
) -> None:
    assert settlement_lag(trade) == lag
    assert settlement_date(trade, holidays) == settles


def test_trade_settlement_uses_the_holidays_given() -> None:
    tx = build_transaction(
        TransactionInput(T.BUY, date(2026, 2, 4), symbol="OGDC", quantity=10, price=D("200")),
        HOLDINGS,
        holidays=KASHMIR_DAY_2026,
    )
    assert tx.settlement_date == date(2026, 2, 9)
    t1 = build(type=T.SELL, trade_date=date(2026, 2, 9), symbol="OGDC", quantity=10, price=D("210"))
    assert t1.settlement_date == date(2026, 2, 10)


def test_a_settlement_date_given_is_kept_unless_before_the_trade() -> None:
    paid = build(
        type=T.DIVIDEND,
        trade_date=date(2025, 4, 14),
        settlement_date=date(2025, 5, 2),
        symbol="HUBC",
        quantity=10,
        price=D("4"),
    )
    assert paid.settlement_date == date(2025, 5, 2)
    rejects(
        "input.settlementDate",
        type=T.BUY,
        trade_date=date(2025, 4, 14),
        settlement_date=date(2025, 4, 11),
        symbol="HUBC",
        quantity=10,
        price=D("100"),
    )


BUY = {"type": T.BUY, "trade_date": date(2025, 1, 6), "symbol": "HUBC"}


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({**BUY, "price": D("100")}, "input.quantity", ErrorCode.INVALID),
        ({**BUY, "quantity": 10}, "input.price", ErrorCode.INVALID),
        ({**BUY, "quantity": 0, "price": D("100")}, "input.quantity", ErrorCode.INVALID),
        ({**BUY, "quantity": -5, "price": D("100")}, "input.quantity", ErrorCode.INVALID),
        ({**BUY, "quantity": 10**12, "price": D("1")}, "input.quantity", ErrorCode.OUT_OF_RANGE),
        ({**BUY, "quantity": 10, "price": D("100.005")}, "input.price", ErrorCode.INVALID),
        ({**BUY, "quantity": 10, "price": D("0")}, "input.price", ErrorCode.INVALID),
        ({**BUY, "quantity": 10, "price": D("NaN")}, "input.price", ErrorCode.INVALID),
        ({**BUY, "quantity": 10, "price": D("2000000")}, "input.price", ErrorCode.OUT_OF_RANGE),
        ({**BUY, "quantity": 10, "price": D("1e40")}, "input.price", ErrorCode.OUT_OF_RANGE),
        (
            {**BUY, "quantity": 10, "price": D("1"), "fees": D("1e40")},
            "input.fees",
            ErrorCode.OUT_OF_RANGE,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "fees": D("Infinity")},
            "input.fees",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "fees": D("-1")},
            "input.fees",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "taxes": D("0.001")},
            "input.taxes",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "amount": D("5")},
            "input.amount",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "ratio": D("2")},
            "input.ratio",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "symbol": "  ", "quantity": 10, "price": D("1")},
            "input.symbol",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "symbol": "HUB C", "quantity": 10, "price": D("1")},
            "input.symbol",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "trade_date": date(2025, 1, 4), "quantity": 10, "price": D("1")},
            "input.tradeDate",
            ErrorCode.INVALID,
        ),
        (
            {**BUY, "quantity": 10, "price": D("1"), "note": "x" * 501},
            "input.note",
            ErrorCode.TOO_LARGE,
        ),
        (
            {
                "type": T.BONUS,
                "trade_date": date(2025, 5, 12),
                "symbol": "HUBC",
                "quantity": 5,
                "price": D("1"),
            },
            "input.price",
            ErrorCode.INVALID,
        ),
        (
            {"type": T.SPLIT, "trade_date": date(2025, 6, 16), "symbol": "HUBC"},
            "input.ratio",
            ErrorCode.INVALID,
        ),
        (
            {"type": T.SPLIT, "trade_date": date(2025, 6, 16), "symbol": "HUBC", "ratio": D("1")},
            "input.ratio",
            ErrorCode.INVALID,
        ),
        (
            {"type": T.SPLIT, "trade_date": date(2025, 6, 16), "symbol": "HUBC", "ratio": D("-2")},
            "input.ratio",
            ErrorCode.INVALID,
        ),
        (
            {
                "type": T.SPLIT,
                "trade_date": date(2025, 6, 16),
                "symbol": "HUBC",
                "ratio": D("2"),
                "quantity": 3,
            },
            "input.quantity",
            ErrorCode.INVALID,
        ),
        (
            {
                "type": T.DIVIDEND,
                "trade_date": date(2025, 4, 14),
                "symbol": "HUBC",
                "quantity": 5,
                "price": D("0.00001"),
            },
            "input.price",
            ErrorCode.INVALID,
        ),
        ({"type": T.FEE, "trade_date": date(2025, 4, 14)}, "input.amount", ErrorCode.INVALID),
        (
            {"type": T.FEE, "trade_date": date(2025, 4, 14), "amount": D("0")},
            "input.amount",
            ErrorCode.INVALID,
        ),
        (
            {"type": T.FEE, "trade_date": date(2025, 4, 14), "amount": D("10"), "fees": D("1")},
            "input.fees",
            ErrorCode.INVALID,
        ),
        (
            {"type": T.FEE, "trade_date": date(2025, 4, 14), "amount": D("1e14")},
            "input.amount",
            ErrorCode.OUT_OF_RANGE,
        ),
        (
            {"type": T.DEPOSIT, "trade_date": date(2025, 1, 2), "amount": D("100")},
            "input.type",
            ErrorCode.INVALID,
        ),
        (
            {
                "type": T.DEPOSIT,
                "trade_date": date(2025, 1, 2),
                "amount": D("100"),
                "symbol": "HUBC",
                "policy": WITH_CASH,
            },
            "input.symbol",
            ErrorCode.INVALID,
        ),
        (
            {
                "type": T.WITHDRAWAL,
                "trade_date": date(2025, 1, 2),
                "amount": D("100.001"),
                "policy": WITH_CASH,
            },
            "input.amount",
            ErrorCode.INVALID,
        ),
        (
            {
                **BUY,
                "trade_date": date(2025, 1, 7),
                "quantity": 1,
                "price": D("1"),
                "today": date(2025, 1, 6),
            },
            "input.tradeDate",
            ErrorCode.OUT_OF_RANGE,
        ),
    ],
)
def test_invalid_transactions_name_their_field(
    kwargs: dict[str, object], field: str, code: ErrorCode
) -> None:
    rejects(field, code, **kwargs)


def test_error_messages_say_what_is_wrong() -> None:
    missing = rejects(
        "input.quantity", type=T.BUY, trade_date=date(2025, 1, 6), symbol="HUBC", price=D("1")
    )
    assert missing.message == "A BUY needs a quantity."
    extra = rejects(
        "input.ratio",
        type=T.SELL,
        trade_date=date(2025, 1, 6),
        symbol="HUBC",
        quantity=1,
        price=D("1"),
        ratio=D("2"),
    )
    assert extra.message == "A SELL takes no ratio."


def test_cash_entries_need_a_portfolio_that_keeps_cash() -> None:
    deposit = build(WITH_CASH, type=T.DEPOSIT, trade_date=date(2025, 1, 4), amount=D("50000"))
    # Money can be paid in on a Saturday; trades cannot.
    assert (deposit.cash_effect, deposit.settlement_date) == (D("50000.00"), date(2025, 1, 4))
    out = build(
        WITH_CASH, type=T.WITHDRAWAL, trade_date=date(2025, 8, 1), amount=D("5000"), fees=D("25")
    )
    assert out.cash_effect == D("-5025.00")
    fee = build(
        type=T.FEE, trade_date=date(2025, 6, 30), amount=D("400"), taxes=D("52"), note=" CDC "
    )
    assert (fee.cash_effect, fee.symbol, fee.note) == (D("-452.00"), None, "CDC")


def test_bonus_split_and_right_carry_their_own_fields() -> None:
    bonus = build(type=T.BONUS, trade_date=date(2025, 5, 12), symbol="HUBC", quantity=15)
    assert (bonus.gross, bonus.cash_effect, bonus.fees) == (D("0.00"), D("0.00"), D("0.00"))
    split = build(type=T.SPLIT, trade_date=date(2025, 6, 16), symbol="HUBC", ratio=D("2"))
    assert (split.ratio, split.quantity, split.cash_effect) == (D("2"), 0, D("0.00"))
    right = build(
        type=T.RIGHT, trade_date=date(2025, 9, 1), symbol="HUBC", quantity=26, price=D("10")
    )
    # Rights are subscribed with the company, not through the market: no brokerage by default.
    assert (right.cash_effect, right.fees, right.settlement_date) == (
        D("-260.00"),
        D("0.00"),
        date(2025, 9, 1),
    )


def test_ledger_order_puts_ex_date_entitlements_first_and_withdrawals_last() -> None:
    day = date(2025, 5, 12)
    sell = Transaction(T.SELL, day, day, "HUBC", 10, D("100"), id=1)
    out = Transaction(T.WITHDRAWAL, day, day, amount=D("5"), id=2)
    bonus = Transaction(T.BONUS, day, day, "HUBC", 5, id=3)
    buy = Transaction(T.BUY, day, day, "HUBC", 10, D("99"), id=4)
    deposit = Transaction(T.DEPOSIT, day, day, amount=D("5"), id=5)
    earlier = Transaction(T.BUY, date(2025, 5, 9), day, "HUBC", 1, D("98"), id=6)
    ordered = ledger_order([sell, out, bonus, buy, deposit, earlier])
    # Trades on one day keep the order given (sell before buy here).
    assert [tx.id for tx in ordered] == [6, 3, 5, 1, 4, 2]
    assert symbols_of(ordered) == ["HUBC"]


def test_portfolio_name_and_currency() -> None:
    assert check_portfolio_name("  Long term  ") == "Long term"
    with pytest.raises(DomainError) as empty:
        check_portfolio_name("   ")
    assert (empty.value.field, empty.value.code) == ("input.name", ErrorCode.INVALID)
    with pytest.raises(DomainError) as long:
        check_portfolio_name("x" * 81)
    assert long.value.code is ErrorCode.TOO_LARGE
    assert check_base_currency(" pkr ") == "PKR"
    with pytest.raises(DomainError) as usd:
        check_base_currency("USD")
    assert (usd.value.field, usd.value.code) == ("input.baseCurrency", ErrorCode.UNSUPPORTED)
