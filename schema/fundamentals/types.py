"""GraphQL types of fundamentals: statements, trailing figures, ratios."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from domain.fundamentals import ratios as domain_ratios
from domain.fundamentals import statements as domain_statements
from domain.fundamentals.ratios import RATIO_DESCRIPTIONS, TtmBasis
from domain.fundamentals.statements import PeriodKind
from domain.markets.instruments import DataSource
from resolvers import fundamentals
from resolvers.fundamentals import DEFAULT_STATEMENTS, MAX_STATEMENTS, CompanyFundamentals
from schema.context import Info, ctx
from schema.scalars import Long

strawberry.enum(
    PeriodKind,
    name="StatementPeriod",
    description="What a financial statement covers: a fiscal year or one fiscal quarter.",
)
strawberry.enum(
    TtmBasis,
    description=(
        "What trailing-twelve-month figures were built from: QUARTERS (the four newest "
        "consecutive quarters) or ANNUAL (the newest fiscal year, when quarters are missing)."
    ),
)


def _ratio(name: str) -> Any:
    """A ratio field described by the domain's definition of it."""
    return strawberry.field(description=RATIO_DESCRIPTIONS[name])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@strawberry.type(
    description=(
        "A company's financial statement for one fiscal year or quarter, in PKR. Flows "
        "(revenue, profits, cash flow, dividends) are for the period alone, balance-sheet "
        "figures at its end. Per-share figures and shares are restated for later bonus issues "
        "and splits. Null means not reported (banks report no gross profit, current assets or "
        "liabilities, or EBITDA)."
    )
)
class FinancialStatement:
    period: PeriodKind = strawberry.field(description="Fiscal year or quarter.")
    fiscal_year: int = strawberry.field(
        description="Fiscal year, named by the calendar year it ends in (July 2025-June 2026 "
        "is 2026)."
    )
    fiscal_quarter: int | None = strawberry.field(
        description="Quarter of the fiscal year, 1 to 4; null for a year."
    )
    period_end: date = strawberry.field(description="Last day of the period.")
    published_on: date | None = strawberry.field(description="When the results were announced.")
    revenue: Decimal = strawberry.field(description="Revenue (a bank's total income).")
    gross_profit: Decimal | None = strawberry.field(description="Gross profit.")
    operating_profit: Decimal | None = strawberry.field(description="Operating profit.")
    ebitda: Decimal | None = strawberry.field(
        description="Earnings before interest, tax, depreciation and amortisation."
    )
    net_income: Decimal = strawberry.field(description="Profit after tax (negative: a loss).")
    eps: Decimal = strawberry.field(description="Earnings per share.")
    total_assets: Decimal = strawberry.field(description="Total assets at the period end.")
    total_equity: Decimal = strawberry.field(description="Shareholders' equity at the period end.")
    total_debt: Decimal | None = strawberry.field(description="Borrowings at the period end.")
    cash: Decimal | None = strawberry.field(description="Cash and equivalents at the period end.")
    current_assets: Decimal | None = strawberry.field(description="Current assets.")
    current_liabilities: Decimal | None = strawberry.field(description="Current liabilities.")
    operating_cash_flow: Decimal | None = strawberry.field(
        description="Net cash from operating activities."
    )
    dividends_per_share: Decimal | None = strawberry.field(
        description="Cash dividends per share declared for the period."
    )
    book_value_per_share: Decimal = strawberry.field(description="Equity ÷ shares.")
    shares: Long = strawberry.field(description="Shares in issue at the period end.")
    data_source: DataSource = strawberry.field(
        description="Where the statement comes from: SIMULATED (demo) or CSV (imported)."
    )

    @classmethod
    def from_domain(cls, s: domain_statements.FinancialStatement) -> FinancialStatement:
        """Map a domain statement."""
        return cls(
            period=s.period,
            fiscal_year=s.fiscal_year,
            fiscal_quarter=s.fiscal_quarter,
            period_end=s.period_end,
            published_on=s.published_on,
            revenue=s.revenue,
            gross_profit=s.gross_profit,
            operating_profit=s.operating_profit,
            ebitda=s.ebitda,
            net_income=s.net_income,
            eps=s.eps,
            total_assets=s.total_assets,
            total_equity=s.total_equity,
            total_debt=s.total_debt,
            cash=s.cash,
            current_assets=s.current_assets,
            current_liabilities=s.current_liabilities,
            operating_cash_flow=s.operating_cash_flow,
            dividends_per_share=s.dividends_per_share,
            book_value_per_share=s.book_value_per_share,
            shares=Long(s.shares),
            data_source=s.data_source,
        )


@strawberry.type(description="Flow figures of the trailing twelve months (TTM), in PKR.")
class TrailingFigures:
    basis: TtmBasis = strawberry.field(description="Four quarters, or the newest fiscal year.")
    period_end: date = strawberry.field(description="End of the newest period counted.")
    revenue: Decimal = strawberry.field(description="Revenue (TTM).")
    net_income: Decimal = strawberry.field(description="Profit after tax (TTM).")
    eps: Decimal = strawberry.field(description="EPS (TTM): the periods' EPS added up.")
    gross_profit: Decimal | None = strawberry.field(description="Gross profit (TTM).")
    operating_profit: Decimal | None = strawberry.field(description="Operating profit (TTM).")
    ebitda: Decimal | None = strawberry.field(description="EBITDA (TTM).")
    operating_cash_flow: Decimal | None = strawberry.field(description="Operating cash flow (TTM).")
    dividends_per_share: Decimal | None = strawberry.field(description="Dividends per share (TTM).")

    @classmethod
    def from_domain(cls, t: domain_ratios.Trailing) -> TrailingFigures:
        """Map domain trailing figures."""
        return cls(
            basis=t.basis,
            period_end=t.period_end,
            revenue=t.revenue,
            net_income=t.net_income,
            eps=t.eps,
            gross_profit=t.gross_profit,
            operating_profit=t.operating_profit,
            ebitda=t.ebitda,
            operating_cash_flow=t.operating_cash_flow,
            dividends_per_share=t.dividends_per_share,
        )


@strawberry.type(
    description=(
        "Ratios at the latest price. Fractions, not percentages (0.125 is 12.5%); null where "
        "the data does not allow a meaningful value, as each field says."
    )
)
class FundamentalRatios:
    price: float | None = strawberry.field(
        description="The price used: the latest quote's last price; null without a quote."
    )
    shares: Long | None = strawberry.field(
        description="Shares behind the market cap: shares outstanding, else the newest statement's."
    )
    market_cap: float | None = strawberry.field(description="Price × shares (PKR).")
    enterprise_value: float | None = strawberry.field(
        description="Market cap + total debt − cash (PKR); null when debt is not reported."
    )
    trailing: TrailingFigures | None = strawberry.field(
        description="The trailing-twelve-month figures the ratios use; null without statements."
    )
    balance_sheet_date: date | None = strawberry.field(
        description="Period end of the newest statement, whose balance sheet the ratios use."
    )
    book_value_per_share: Decimal | None = strawberry.field(
        description="Book value per share of the newest statement."
    )
    pe: float | None = _ratio("pe")
    pb: float | None = _ratio("pb")
    ps: float | None = _ratio("ps")
    ev_ebitda: float | None = _ratio("ev_ebitda")
    dividend_yield: float | None = _ratio("dividend_yield")
    payout_ratio: float | None = _ratio("payout_ratio")
    roe: float | None = _ratio("roe")
    roa: float | None = _ratio("roa")
    net_margin: float | None = _ratio("net_margin")
    gross_margin: float | None = _ratio("gross_margin")
    debt_to_equity: float | None = _ratio("debt_to_equity")
    current_ratio: float | None = _ratio("current_ratio")
    eps_growth_yoy: float | None = _ratio("eps_growth_yoy")
    revenue_growth_yoy: float | None = _ratio("revenue_growth_yoy")
    eps_cagr_3y: float | None = _ratio("eps_cagr_3y")
    revenue_cagr_3y: float | None = _ratio("revenue_cagr_3y")

    @classmethod
    def from_domain(cls, r: domain_ratios.Ratios) -> FundamentalRatios:
        """Map domain ratios; ratios are rounded to six decimals."""
        return cls(
            price=None if r.price is None else float(r.price),
            shares=None if r.shares is None else Long(r.shares),
            market_cap=None if r.market_cap is None else float(r.market_cap),
            enterprise_value=None if r.enterprise_value is None else float(r.enterprise_value),
            trailing=None if r.trailing is None else TrailingFigures.from_domain(r.trailing),
            balance_sheet_date=r.balance_sheet_date,
            book_value_per_share=r.book_value_per_share,
            **{name: _rounded(getattr(r, name)) for name in domain_ratios.RATIO_FIELDS},
        )


@strawberry.type(description="A company's financial statements and the ratios derived from them.")
class Fundamentals:
    symbol: str = strawberry.field(description="Ticker symbol.")
    currency: str = strawberry.field(description="Currency of every amount: `PKR`.")
    data_source: DataSource | None = strawberry.field(
        description="Where the newest statement comes from; null when there are none."
    )
    _company: strawberry.Private[CompanyFundamentals]

    @strawberry.field(description="Statements of one kind, newest first.")
    async def statements(
        self,
        info: Info,
        period: Annotated[
            PeriodKind, strawberry.argument(description="Fiscal years or quarters.")
        ] = PeriodKind.ANNUAL,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=f"How many, 1 to {MAX_STATEMENTS} (default {DEFAULT_STATEMENTS})."
            ),
        ] = None,
    ) -> list[FinancialStatement]:
        found = await fundamentals.statements(ctx(info), self._company, period=period, first=first)
        return [FinancialStatement.from_domain(s) for s in found]

    @strawberry.field(description="Valuation, profitability, leverage and growth ratios.")
    async def ratios(self, info: Info) -> FundamentalRatios:
        return FundamentalRatios.from_domain(await fundamentals.ratios(ctx(info), self._company))

    @classmethod
    def from_domain(cls, c: CompanyFundamentals) -> Fundamentals:
        """Map a company's fundamentals."""
        return cls(
            symbol=c.instrument.symbol,
            currency=fundamentals.CURRENCY,
            data_source=c.data_source,
            _company=c,
        )
