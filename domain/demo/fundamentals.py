"""Demo financial statements consistent with the demo prices and corporate actions.

Every equity and REIT of the demo universe gets quarterly and annual statements from three
fiscal years before the first day of bars up to the newest period published by the last day
(ETFs publish none). The figures follow from the prices, not the other way round:

- Earnings: a quarter's normal profit is ``sqrt(M × M_end) / pe / 4``, where M is the market
  cap at the quarter's end (close × shares in force), M_end the cap on the last day and `pe`
  the company's P/E (from its sector's band, steered so that the demo dividends are a payout
  of 35-75% of earnings). Earnings so move with the price, half as much, and the P/E at the
  last price lands near `pe`. Before the first bar the cap is taken to shrink by 12% a year.
  Profit after tax is the normal profit times noise (a few named loss-makers lose money).
- The rest of each statement follows from profit with the sector's margins, tax rate,
  leverage and liquidity: banks and insurers report no gross profit, current assets,
  current liabilities or EBITDA.
- Shares are the count in force at the period end, restated for later bonus issues and splits
  (IAS 33); EPS is profit after tax ÷ shares and book value per share is equity ÷ shares,
  both to the paisa. Rights issues add shares when they go ex and are not restated.
- Dividends: a cash dividend going ex on day d was declared with the results of the newest
  quarter published on or before d (quarters 1-3 are published 30 days after their end, the
  fourth quarter and the year 60 days after). A quarter's dividends per share are the sum of
  those dividends, restated for bonus issues and splits that went ex after them, to 0.0001;
  a year's are the sum of its quarters'. A quarter whose dividends would all fall before the
  first bar (no demo actions exist then) pays its payout ratio of EPS instead.
- Fiscal years end in June, except banks, insurers and a list of companies with December
  years (and one March, one September); flows of a quarter are its three months alone.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import polars as pl

from domain.demo.generate import DemoDataset
from domain.demo.universe import UNIVERSE, DemoInstrument
from domain.fundamentals.statements import FinancialStatement, PeriodKind
from domain.markets.instruments import CorporateActionKind, DataSource, InstrumentKind

QUARTER_LAG = timedelta(days=30)
YEAR_LAG = timedelta(days=60)
YEARS_BEFORE = 3
_PRE_WINDOW_GROWTH = 1.12
_FINANCE_RATE = 0.13
_PAISA = Decimal("0.01")
_DPS = Decimal("0.0001")
_RUPEE = Decimal(1)

BANKS, INSURERS = "0807", "0812"
DECEMBER_YEAR = frozenset(
    {"FFC", "EFERT", "FATIMA", "ENGROH", "EPCL", "LOTCHEM", "SYS", "AVN", "PTC", "WTL",
     "NESTLE", "FFL", "ABOT", "GLAXO", "HALEON", "AGP", "HINOON", "PAKT", "PSMC", "PKGS",
     "SHEL", "PABC", "TRG"}
)  # fmt: skip
OTHER_YEAR_ENDS = {"HCAR": 3, "JDWS": 9}
LOSS_MAKERS = frozenset({"WTL", "TPLP", "CNERGY", "PTC", "ASTL"})


@dataclass(frozen=True, slots=True)
class SectorProfile:
    """How a sector's statements look; ratios are fractions.

    `pe` is the band of P/E at the last price, `margin` profit after tax ÷ revenue, `roe`
    annual profit ÷ equity, `leverage` assets ÷ equity, `debt` debt ÷ equity, `cash` and
    `current` shares of assets, `opex` operating costs ÷ revenue (gross profit = operating
    profit + opex), `current_ratio` current assets ÷ current liabilities, `depreciation` D&A ÷
    assets a year. A `financial` sector (banks, insurers) reports no gross profit, current
    assets or liabilities, or EBITDA.
    """

    pe: tuple[float, float]
    margin: float
    roe: float
    leverage: float
    debt: float
    cash: float
    tax: float
    opex: float
    current: float
    current_ratio: float
    depreciation: float
    financial: bool = False


# sector: P/E band, margin, ROE, leverage, debt/equity, cash, tax, opex, current assets,
# current ratio, depreciation. Rough shapes of PSX sectors, not any company's numbers.
_TABLE: dict[str, tuple[float, ...]] = {
    BANKS:    (3.5, 7,  0.30,  0.20, 14.0, 1.5,  0.06, 0.50, 0,    0,    0,   0),
    INSURERS: (4,   9,  0.15,  0.15, 4.0,  0.05, 0.05, 0.35, 0,    0,    0,   0),
    "0820":   (3.5, 8,  0.35,  0.16, 1.35, 0.02, 0.25, 0.40, 0.08, 0.6,  3.0, 0.04),
    "0821":   (3,   8,  0.015, 0.15, 4.0,  0.8,  0.05, 0.35, 0.02, 0.75, 1.1, 0.02),
    "0825":   (3,   9,  0.02,  0.12, 3.0,  0.6,  0.10, 0.35, 0.01, 0.6,  1.1, 0.03),
    "0809":   (5,   9,  0.18,  0.40, 2.2,  0.3,  0.15, 0.35, 0.08, 0.5,  1.2, 0.05),
    "0804":   (5,   11, 0.12,  0.15, 1.7,  0.35, 0.05, 0.30, 0.06, 0.25, 1.3, 0.05),
    "0824":   (3,   7,  0.15,  0.20, 2.2,  0.6,  0.05, 0.20, 0.03, 0.6,  1.3, 0.04),
    "0828":   (8,   15, 0.15,  0.22, 1.6,  0.2,  0.15, 0.20, 0.20, 0.6,  2.0, 0.04),
    "0813":   (4,   10, 0.15,  0.12, 2.0,  0.5,  0.10, 0.30, 0.10, 0.4,  1.4, 0.04),
    "0801":   (6,   13, 0.07,  0.20, 2.0,  0.1,  0.25, 0.35, 0.05, 0.7,  1.5, 0.03),
    "0810":   (10,  15, 0.06,  0.25, 2.2,  0.4,  0.06, 0.35, 0.15, 0.5,  1.2, 0.04),
    "0823":   (8,   15, 0.09,  0.18, 1.6,  0.2,  0.10, 0.30, 0.20, 0.6,  1.8, 0.04),
    "0805":   (6,   13, 0.08,  0.18, 2.0,  0.5,  0.08, 0.30, 0.05, 0.5,  1.3, 0.04),
    "0829":   (4,   9,  0.06,  0.12, 2.2,  0.8,  0.05, 0.25, 0.07, 0.5,  1.2, 0.04),
    "0808":   (5,   11, 0.04,  0.12, 2.3,  0.7,  0.04, 0.30, 0.03, 0.55, 1.1, 0.04),
    "0832":   (8,   14, 0.12,  0.45, 2.0,  0.1,  0.10, 0.35, 0.05, 0.5,  1.5, 0.04),
    "0833":   (3,   8,  0.20,  0.15, 1.6,  0.3,  0.15, 0.25, 0.05, 0.5,  1.4, 0.04),
    "0838":   (5,   12, 0.30,  0.08, 1.8,  0.5,  0.05, 0.25, 0.10, 0.3,  1.4, 0.04),
    "0836":   (6,   12, 0.60,  0.08, 1.2,  0.1,  0.05, 0.0,  0.10, 0.15, 1.5, 0.01),
}  # fmt: skip
_GENERIC = (5, 12, 0.08, 0.16, 1.9, 0.4, 0.08, 0.30, 0.08, 0.5, 1.4, 0.04)


def _profile(row: tuple[float, ...], *, financial: bool) -> SectorProfile:
    low, high, margin, roe, leverage, debt, cash, tax, opex, current, ratio, depreciation = row
    return SectorProfile((low, high), margin, roe, leverage, debt, cash, tax, opex, current,
                         ratio, depreciation, financial)  # fmt: skip


PROFILES: dict[str, SectorProfile] = {
    code: _profile(row, financial=code in (BANKS, INSURERS)) for code, row in _TABLE.items()
}


def profile_of(sector_code: str) -> SectorProfile:
    """The statement profile of a sector (a generic one for sectors without their own)."""
    return PROFILES.get(sector_code) or _profile(_GENERIC, financial=False)


def fiscal_year_end_month(item: DemoInstrument) -> int:
    """The calendar month a demo company's fiscal year ends in."""
    if item.sector_code in (BANKS, INSURERS) or item.symbol in DECEMBER_YEAR:
        return 12
    return OTHER_YEAR_ENDS.get(item.symbol, 6)


def published_on(period: PeriodKind, fiscal_quarter: int | None, period_end: date) -> date:
    """When the demo publishes a period's results (rule in the module docstring)."""
    yearly = period is PeriodKind.ANNUAL or fiscal_quarter == 4
    return period_end + (YEAR_LAG if yearly else QUARTER_LAG)


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _quarter_end(fiscal_year: int, quarter: int, year_end_month: int) -> date:
    months = fiscal_year * 12 + year_end_month - 1 - (4 - quarter) * 3
    year, month = divmod(months, 12)
    return _month_end(year, month + 1)


def _fiscal_year_of(day: date, year_end_month: int) -> int:
    return day.year + (1 if day.month > year_end_month else 0)


@dataclass(frozen=True, slots=True)
class _Action:
    ex_date: date
    kind: CorporateActionKind
    value: Decimal

    @property
    def share_factor(self) -> float:
        if self.kind is CorporateActionKind.SPLIT:
            return float(self.value)
        return (100 + float(self.value)) / 100

    @property
    def restates(self) -> bool:
        return self.kind in (CorporateActionKind.BONUS, CorporateActionKind.SPLIT)


@dataclass(frozen=True, slots=True)
class _Company:
    item: DemoInstrument
    days: list[date]
    day_numbers: npt.NDArray[np.int64]  # ordinals of `days`
    closes: npt.NDArray[np.float64]  # rupees, aligned to days
    actions: tuple[_Action, ...]  # bonus, split, right
    dividends: tuple[tuple[date, Decimal], ...]

    def actual_shares(self, day: date) -> float:
        later = [a.share_factor for a in self.actions if a.ex_date > day]
        return self.item.shares_outstanding / math.prod(later)

    def restated_shares(self, day: date) -> int:
        rights = [a.share_factor for a in self.actions if a.ex_date > day and not a.restates]
        return round(self.item.shares_outstanding / math.prod(rights))

    def restatement(self, day: date) -> Decimal:
        """What a per-share amount of `day` is divided by to be on the last day's share basis."""
        factor = Decimal(1)
        for a in self.actions:
            if a.ex_date > day and a.restates:
                is_split = a.kind is CorporateActionKind.SPLIT
                factor *= a.value if is_split else (100 + a.value) / 100
        return factor

    def market_cap(self, day: date) -> float:
        first = self.days[0]
        if day < first:
            years = (first - day).days / 365.25
            return self.market_cap(first) / math.pow(_PRE_WINDOW_GROWTH, years)
        index = int(np.searchsorted(self.day_numbers, day.toordinal(), side="right")) - 1
        return float(self.closes[index]) * self.actual_shares(day)


def _companies(data: DemoDataset) -> list[_Company]:
    bars = data.daily_bars.select("symbol", "day", "close").sort("symbol", "day")
    by_symbol = {
        str(symbol): frame for (symbol,), frame in bars.group_by("symbol", maintain_order=True)
    }
    actions = data.corporate_actions
    out: list[_Company] = []
    for item in UNIVERSE:
        if item.kind not in (InstrumentKind.EQUITY, InstrumentKind.REIT):
            continue
        frame = by_symbol[item.symbol]
        mine = actions.filter(pl.col("symbol") == item.symbol).sort("ex_date")
        days = list(frame["day"])
        out.append(
            _Company(
                item=item,
                days=days,
                day_numbers=np.array([d.toordinal() for d in days], dtype=np.int64),
                closes=frame["close"].to_numpy() / 100,
                actions=tuple(
                    _Action(r["ex_date"], CorporateActionKind(r["kind"]), Decimal(r["value"]))
                    for r in mine.iter_rows(named=True)
                    if r["kind"] != CorporateActionKind.CASH_DIVIDEND.value
                ),
                dividends=tuple(
                    (r["ex_date"], Decimal(r["value"]))
                    for r in mine.iter_rows(named=True)
                    if r["kind"] == CorporateActionKind.CASH_DIVIDEND.value
                ),
            )
        )
    return out


def _money(value: float) -> Decimal:
    return Decimal(round(value)).quantize(_RUPEE)


def _per_share(amount: Decimal, shares: int) -> Decimal:
    return (amount / shares).quantize(_PAISA, ROUND_HALF_UP)


def _target_pe(company: _Company, profile: SectorProfile, rng: np.random.Generator) -> float:
    low, high = profile.pe
    if not company.dividends:
        return float(rng.uniform(low, high))
    years = max((company.days[-1] - company.days[0]).days / 365.25, 0.5)
    paid = sum(float(v) for _, v in company.dividends) / years
    dividend_yield = paid / float(np.mean(company.closes))
    payout = rng.uniform(0.35, 0.75)
    return float(np.clip(payout / dividend_yield * rng.uniform(0.9, 1.1), low, high))


@dataclass(frozen=True, slots=True)
class _Quarter:
    fiscal_year: int
    quarter: int
    end: date
    published: date


def _quarters(company: _Company, year_end_month: int) -> list[_Quarter]:
    first_year = _fiscal_year_of(company.days[0], year_end_month) - YEARS_BEFORE
    last_day = company.days[-1]
    out: list[_Quarter] = []
    year = first_year
    while True:
        for quarter in range(1, 5):
            end = _quarter_end(year, quarter, year_end_month)
            published = published_on(PeriodKind.QUARTERLY, quarter, end)
            if published > last_day:
                return out
            out.append(_Quarter(year, quarter, end, published))
        year += 1


def _dividends_per_share(company: _Company, quarters: list[_Quarter]) -> list[Decimal | None]:
    """The dividends declared with each quarter (rule in the module docstring); None where the
    quarter's dividends all fall before the first bar."""
    first, last = company.days[0], company.days[-1]
    out: list[Decimal | None] = []
    for n, q in enumerate(quarters):
        until = quarters[n + 1].published if n + 1 < len(quarters) else last + timedelta(days=1)
        if until <= first:
            out.append(None)
            continue
        total = sum(
            (v / company.restatement(d) for d, v in company.dividends if q.published <= d < until),
            Decimal(0),
        )
        out.append(total.quantize(_DPS, ROUND_HALF_UP))
    return out


def _company_statements(company: _Company, seed: int) -> list[FinancialStatement]:
    item = company.item
    rng = np.random.default_rng([seed, zlib.crc32(item.symbol.encode())])
    profile = profile_of(item.sector_code)
    year_end_month = fiscal_year_end_month(item)
    pe = _target_pe(company, profile, rng)
    payout = float(rng.uniform(0.35, 0.75)) if company.dividends else 0.0
    end_cap = company.market_cap(company.days[-1])
    quarters = _quarters(company, year_end_month)
    dividends = _dividends_per_share(company, quarters)
    loses = item.symbol in LOSS_MAKERS

    statements: list[FinancialStatement] = []
    year_quarters: list[FinancialStatement] = []
    for q, dps in zip(quarters, dividends, strict=True):
        normal = math.sqrt(company.market_cap(q.end) * end_cap) / pe / 4
        profit = normal * float(rng.lognormal(0.0, 0.12))
        if loses:
            profit = -normal * float(rng.uniform(0.2, 0.6))
        revenue = normal / profile.margin * float(rng.lognormal(0.0, 0.06))
        equity = 4 * normal / profile.roe * float(rng.lognormal(0.0, 0.02))
        assets = equity * profile.leverage
        debt = equity * profile.debt
        before_tax = profit / (1 - profile.tax) if profit > 0 else profit
        shares = company.restated_shares(q.end)
        net_income = _money(profit)
        eps = _per_share(net_income, shares)
        if dps is None:
            dps = (Decimal(payout) * max(eps, Decimal(0))).quantize(_DPS, ROUND_HALF_UP)
        if profile.financial:
            operating = before_tax
            gross = ebitda = current = current_liabilities = None
            cash_flow = profit * float(rng.normal(1.0, 1.2))
        else:
            operating = before_tax + debt * _FINANCE_RATE / 4
            depreciation = assets * profile.depreciation / 4
            gross = min(operating + revenue * profile.opex, revenue)
            ebitda = operating + depreciation
            current = assets * profile.current
            current_liabilities = current / profile.current_ratio
            cash_flow = (profit + depreciation) * float(rng.uniform(0.4, 1.6))
        total_equity = _money(equity)
        statement = FinancialStatement(
            period=PeriodKind.QUARTERLY,
            fiscal_year=q.fiscal_year,
            fiscal_quarter=q.quarter,
            period_end=q.end,
            published_on=q.published,
            revenue=_money(revenue),
            gross_profit=None if gross is None else _money(gross),
            operating_profit=_money(operating),
            ebitda=None if ebitda is None else _money(ebitda),
            net_income=net_income,
            eps=eps,
            total_assets=_money(assets),
            total_equity=total_equity,
            total_debt=_money(debt),
            cash=_money(assets * profile.cash),
            current_assets=None if current is None else _money(current),
            current_liabilities=(
                None if current_liabilities is None else _money(current_liabilities)
            ),
            operating_cash_flow=_money(cash_flow),
            dividends_per_share=dps,
            book_value_per_share=_per_share(total_equity, shares),
            shares=shares,
            data_source=DataSource.SIMULATED,
        )
        statements.append(statement)
        year_quarters = [*year_quarters, statement] if q.quarter > 1 else [statement]
        if q.quarter == 4 and len(year_quarters) == 4:
            statements.append(_annual(year_quarters))
    return statements


def _total(values: Sequence[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _annual(quarters: list[FinancialStatement]) -> FinancialStatement:
    last = quarters[-1]
    net_income = sum((q.net_income for q in quarters), Decimal(0))
    return FinancialStatement(
        period=PeriodKind.ANNUAL,
        fiscal_year=last.fiscal_year,
        fiscal_quarter=None,
        period_end=last.period_end,
        published_on=published_on(PeriodKind.ANNUAL, None, last.period_end),
        revenue=sum((q.revenue for q in quarters), Decimal(0)),
        gross_profit=_total([q.gross_profit for q in quarters]),
        operating_profit=_total([q.operating_profit for q in quarters]),
        ebitda=_total([q.ebitda for q in quarters]),
        net_income=net_income,
        eps=_per_share(net_income, last.shares),
        total_assets=last.total_assets,
        total_equity=last.total_equity,
        total_debt=last.total_debt,
        cash=last.cash,
        current_assets=last.current_assets,
        current_liabilities=last.current_liabilities,
        operating_cash_flow=_total([q.operating_cash_flow for q in quarters]),
        dividends_per_share=_total([q.dividends_per_share for q in quarters]),
        book_value_per_share=last.book_value_per_share,
        shares=last.shares,
        data_source=DataSource.SIMULATED,
    )


def demo_statements(data: DemoDataset, *, seed: int) -> dict[str, list[FinancialStatement]]:
    """The demo's financial statements of every equity and REIT (rules in the module docstring).

    Args:
        data: The demo market the statements must agree with.
        seed: Random seed; each company draws from its own stream, so the result does not
            depend on the universe's order.

    Returns:
        Statements per symbol in period order, each year's annual statement after its fourth
        quarter.
    """
    return {c.item.symbol: _company_statements(c, seed) for c in _companies(data)}
