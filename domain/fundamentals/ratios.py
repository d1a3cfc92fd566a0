"""Valuation, profitability, leverage and growth ratios from financial statements and a price.

Trailing twelve months (TTM): the sum of the four newest quarters when they are consecutive
and end no earlier than the newest fiscal year; otherwise the newest fiscal year alone. A flow
figure that any of those periods lacks is missing from the TTM too. Balance-sheet figures
come from the newest statement of either kind. Ratios are fractions (0.125 is 12.5%), never
percentages, and None whenever the data does not allow a meaningful value: a missing figure,
a zero or negative denominator, or no price. `RATIO_DESCRIPTIONS` states each definition; the
GraphQL schema shows the same text.

`compute_ratios` does one company; `ratios_by_key` the whole universe in one call (what a
screener wants), and `ratios_frame` turns the result into a polars frame with one Float64
column per ratio for filtering and sorting.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

import polars as pl

from domain.fundamentals.statements import FinancialStatement, PeriodKind, newest_first

K = TypeVar("K")

QUARTERS_NEEDED = 8
"""Quarterly statements per company that every ratio here can use (TTM and the TTM before)."""
ANNUALS_NEEDED = 4
"""Annual statements per company that every ratio here can use (a 3-year CAGR spans four)."""

_ZERO = Decimal(0)


class TtmBasis(enum.StrEnum):
    """What the trailing twelve months were built from."""

    QUARTERS = "QUARTERS"
    ANNUAL = "ANNUAL"


RATIO_DESCRIPTIONS: dict[str, str] = {
    "pe": (
        "Price / earnings: price ÷ EPS (TTM). Null when EPS (TTM) is zero or negative (a loss "
        "has no meaningful P/E) or there is no price."
    ),
    "pb": (
        "Price / book: price ÷ book value per share of the newest balance sheet. Null when book "
        "value is zero or negative."
    ),
    "ps": "Price / sales: market cap ÷ revenue (TTM). Null when revenue is zero.",
    "ev_ebitda": (
        "Enterprise value ÷ EBITDA (TTM), EV = market cap + total debt − cash. Null where EBITDA "
        "is not reported (banks, insurers) or is not positive, or where EV is not positive."
    ),
    "dividend_yield": "Dividends per share (TTM) ÷ price, a fraction.",
    "payout_ratio": (
        "Dividends per share (TTM) ÷ EPS (TTM), a fraction. Null when EPS (TTM) is not positive."
    ),
    "roe": (
        "Return on equity: net income (TTM) ÷ total equity of the newest balance sheet. Null when "
        "equity is not positive."
    ),
    "roa": "Return on assets: net income (TTM) ÷ total assets of the newest balance sheet.",
    "net_margin": "Net income (TTM) ÷ revenue (TTM). Null when revenue is zero.",
    "gross_margin": (
        "Gross profit (TTM) ÷ revenue (TTM). Null where gross profit is not reported (banks, "
        "insurers) or revenue is zero."
    ),
    "debt_to_equity": (
        "Total debt ÷ total equity of the newest balance sheet. Null when debt is not reported "
        "or equity is not positive."
    ),
    "current_ratio": (
        "Current assets ÷ current liabilities of the newest balance sheet. Null where they are "
        "not reported (banks, insurers)."
    ),
    "eps_growth_yoy": (
        "EPS (TTM) over the EPS of the four quarters before, minus 1; from the two newest fiscal "
        "years when those quarters are missing. Null when the earlier EPS is not positive."
    ),
    "revenue_growth_yoy": (
        "Revenue (TTM) over the revenue of the four quarters before, minus 1; from the two "
        "newest fiscal years when those quarters are missing. Null when the earlier revenue is 0."
    ),
    "eps_cagr_3y": (
        "Compound annual growth of EPS from the fiscal year three years before the newest one: "
        "(EPS now ÷ EPS then)^(1/3) − 1. Null when either EPS is not positive or a year is "
        "missing."
    ),
    "revenue_cagr_3y": (
        "Compound annual growth of revenue from the fiscal year three years before the newest "
        "one. Null when either revenue is zero or a year is missing."
    ),
}
RATIO_FIELDS: tuple[str, ...] = tuple(RATIO_DESCRIPTIONS)


@dataclass(frozen=True, slots=True)
class Trailing:
    """Flow figures of the trailing twelve months; `period_end` is the newest period's."""

    basis: TtmBasis
    period_end: date
    revenue: Decimal
    net_income: Decimal
    eps: Decimal
    gross_profit: Decimal | None
    operating_profit: Decimal | None
    ebitda: Decimal | None
    operating_cash_flow: Decimal | None
    dividends_per_share: Decimal | None


@dataclass(frozen=True, slots=True)
class Ratios:
    """The ratios of one company at one price (definitions in `RATIO_DESCRIPTIONS`).

    `shares` is the count behind `market_cap`: the instrument's shares outstanding when
    known, else those of the newest statement. `balance_sheet_date` is the period end of the
    newest statement, whose balance sheet the book-value, leverage and return ratios use.
    """

    price: Decimal | None
    shares: int | None
    market_cap: Decimal | None
    enterprise_value: Decimal | None
    trailing: Trailing | None
    balance_sheet_date: date | None
    book_value_per_share: Decimal | None
    pe: float | None
    pb: float | None
    ps: float | None
    ev_ebitda: float | None
    dividend_yield: float | None
    payout_ratio: float | None
    roe: float | None
    roa: float | None
    net_margin: float | None
    gross_margin: float | None
    debt_to_equity: float | None
    current_ratio: float | None
    eps_growth_yoy: float | None
    revenue_growth_yoy: float | None
    eps_cagr_3y: float | None
    revenue_cagr_3y: float | None


def _ratio(numerator: Decimal | None, denominator: Decimal | None) -> float | None:
    """numerator ÷ denominator, None unless both are known and the denominator is positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return float(numerator / denominator)


def _sum(values: Sequence[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), _ZERO)


def _quarters(statements: Sequence[FinancialStatement]) -> list[FinancialStatement]:
    found = [s for s in statements if s.period is PeriodKind.QUARTERLY]
    return sorted(found, key=lambda s: s.quarter_index, reverse=True)


def _annuals(statements: Sequence[FinancialStatement]) -> list[FinancialStatement]:
    found = [s for s in statements if s.period is PeriodKind.ANNUAL]
    return sorted(found, key=lambda s: s.fiscal_year, reverse=True)


def _four(quarters: list[FinancialStatement], start: int) -> list[FinancialStatement] | None:
    """quarters[start:start + 4] when they are four consecutive fiscal quarters."""
    chunk = quarters[start : start + 4]
    if len(chunk) < 4:
        return None
    top = chunk[0].quarter_index
    if any(s.quarter_index != top - n for n, s in enumerate(chunk)):
        return None
    return chunk


def _trailing_of(periods: Sequence[FinancialStatement], basis: TtmBasis) -> Trailing:
    return Trailing(
        basis=basis,
        period_end=periods[0].period_end,
        revenue=sum((s.revenue for s in periods), _ZERO),
        net_income=sum((s.net_income for s in periods), _ZERO),
        eps=sum((s.eps for s in periods), _ZERO),
        gross_profit=_sum([s.gross_profit for s in periods]),
        operating_profit=_sum([s.operating_profit for s in periods]),
        ebitda=_sum([s.ebitda for s in periods]),
        operating_cash_flow=_sum([s.operating_cash_flow for s in periods]),
        dividends_per_share=_sum([s.dividends_per_share for s in periods]),
    )


def trailing(statements: Sequence[FinancialStatement]) -> Trailing | None:
    """The trailing twelve months of a company's statements (rule in the module docstring).

    Args:
        statements: Any of the company's statements, in any order.

    Returns:
        The TTM figures, or None when there is neither a run of four quarters nor a year.
    """
    quarters = _quarters(statements)
    annuals = _annuals(statements)
    last_four = _four(quarters, 0)
    if last_four is not None and (not annuals or last_four[0].period_end >= annuals[0].period_end):
        return _trailing_of(last_four, TtmBasis.QUARTERS)
    if annuals:
        return _trailing_of(annuals[:1], TtmBasis.ANNUAL)
    return None


def _growth(now: Decimal | None, before: Decimal | None) -> float | None:
    if now is None or before is None or before <= 0:
        return None
    return float(now / before - 1)


def _cagr(now: Decimal, before: Decimal, years: int) -> float | None:
    if now <= 0 or before <= 0:
        return None
    return float((now / before) ** (Decimal(1) / years) - 1)


def _year_on_year(
    statements: Sequence[FinancialStatement], basis: TtmBasis | None
) -> tuple[float | None, float | None]:
    """EPS and revenue growth over the previous twelve months."""
    quarters = _quarters(statements)
    now, before = _four(quarters, 0), _four(quarters, 4)
    if (
        basis is TtmBasis.QUARTERS
        and now is not None
        and before is not None
        and before[0].quarter_index == now[0].quarter_index - 4
    ):
        return (
            _growth(sum((s.eps for s in now), _ZERO), sum((s.eps for s in before), _ZERO)),
            _growth(sum((s.revenue for s in now), _ZERO), sum((s.revenue for s in before), _ZERO)),
        )
    annuals = _annuals(statements)
    if len(annuals) >= 2 and annuals[1].fiscal_year == annuals[0].fiscal_year - 1:
        return (
            _growth(annuals[0].eps, annuals[1].eps),
            _growth(annuals[0].revenue, annuals[1].revenue),
        )
    return None, None


def _three_year(statements: Sequence[FinancialStatement]) -> tuple[float | None, float | None]:
    """EPS and revenue CAGR from the fiscal year three before the newest."""
    annuals = _annuals(statements)
    if not annuals:
        return None, None
    newest = annuals[0]
    then = next((s for s in annuals if s.fiscal_year == newest.fiscal_year - 3), None)
    if then is None:
        return None, None
    return _cagr(newest.eps, then.eps, 3), _cagr(newest.revenue, then.revenue, 3)


def compute_ratios(
    statements: Sequence[FinancialStatement],
    *,
    price: Decimal | None,
    shares_outstanding: int | None = None,
) -> Ratios:
    """Every ratio of one company at a price.

    Args:
        statements: The company's statements in any order; `QUARTERS_NEEDED` quarters and
            `ANNUALS_NEEDED` years are all any ratio uses, more are ignored.
        price: The share price (the latest quote), or None: price ratios are then None.
        shares_outstanding: Shares in issue now, for the market cap; None or 0 falls back to
            the newest statement's count.

    Returns:
        The ratios; see `RATIO_DESCRIPTIONS` for each definition.
    """
    latest = newest_first(list(statements))[0] if statements else None
    ttm = trailing(statements)
    shares = shares_outstanding or (latest.shares if latest is not None else None)
    market_cap = None if price is None or not shares else price * shares
    enterprise_value = None
    if market_cap is not None and latest is not None and latest.total_debt is not None:
        enterprise_value = market_cap + latest.total_debt - (latest.cash or _ZERO)
    eps_yoy, revenue_yoy = _year_on_year(statements, ttm.basis if ttm else None)
    eps_cagr, revenue_cagr = _three_year(statements)
    equity = latest.total_equity if latest else None
    ev_ebitda = None
    if enterprise_value is not None and enterprise_value > 0 and ttm is not None:
        ev_ebitda = _ratio(enterprise_value, ttm.ebitda)
    return Ratios(
        price=price,
        shares=shares,
        market_cap=market_cap,
        enterprise_value=enterprise_value,
        trailing=ttm,
        balance_sheet_date=latest.period_end if latest else None,
        book_value_per_share=latest.book_value_per_share if latest else None,
        pe=_ratio(price, ttm.eps if ttm else None),
        pb=_ratio(price, latest.book_value_per_share if latest else None),
        ps=_ratio(market_cap, ttm.revenue if ttm else None),
        ev_ebitda=ev_ebitda,
        dividend_yield=_ratio(ttm.dividends_per_share if ttm else None, price),
        payout_ratio=_ratio(ttm.dividends_per_share, ttm.eps) if ttm else None,
        roe=_ratio(ttm.net_income if ttm else None, equity),
        roa=_ratio(ttm.net_income if ttm else None, latest.total_assets if latest else None),
        net_margin=_ratio(ttm.net_income, ttm.revenue) if ttm else None,
        gross_margin=_ratio(ttm.gross_profit, ttm.revenue) if ttm else None,
        debt_to_equity=_ratio(latest.total_debt, equity) if latest else None,
        current_ratio=(
            _ratio(latest.current_assets, latest.current_liabilities) if latest else None
        ),
        eps_growth_yoy=eps_yoy,
        revenue_growth_yoy=revenue_yoy,
        eps_cagr_3y=eps_cagr,
        revenue_cagr_3y=revenue_cagr,
    )


def ratios_by_key(
    statements: Mapping[K, Sequence[FinancialStatement]],
    prices: Mapping[K, Decimal | None],
    shares_outstanding: Mapping[K, int] | None = None,
) -> dict[K, Ratios]:
    """`compute_ratios` for many companies at once, e.g. the whole universe for a screener.

    Args:
        statements: Each company's statements (what `db.repos.fundamentals.latest_statements`
            returns), keyed by instrument id or symbol.
        prices: The price of each key; a key without one gets no price ratios.
        shares_outstanding: Shares in issue per key, for market caps (optional).

    Returns:
        The ratios of every key of `statements`.
    """
    counts = shares_outstanding or {}
    return {
        key: compute_ratios(rows, price=prices.get(key), shares_outstanding=counts.get(key))
        for key, rows in statements.items()
    }


def ratios_frame(ratios: Mapping[K, Ratios], *, key: str = "instrument_id") -> pl.DataFrame:
    """A frame of ratios: the key column, `market_cap`, `eps_ttm`, then one column per ratio.

    Every figure is Float64 (null where the ratio is None), for filtering and ranking only:
    money stays Decimal in `Ratios`.
    """
    keys = list(ratios)
    values = [ratios[k] for k in keys]

    def money(v: Decimal | None) -> float | None:
        return None if v is None else float(v)

    columns: dict[str, pl.Series] = {
        key: pl.Series(key, keys),
        "market_cap": pl.Series([money(r.market_cap) for r in values], dtype=pl.Float64),
        "eps_ttm": pl.Series(
            [money(r.trailing.eps if r.trailing else None) for r in values], dtype=pl.Float64
        ),
    }
    for name in RATIO_FIELDS:
        columns[name] = pl.Series([getattr(r, name) for r in values], dtype=pl.Float64)
    return pl.DataFrame(columns)
