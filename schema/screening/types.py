"""GraphQL types of the screener: fields, conditions, results and saved screens."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.screening import fields, filters
from domain.screening.fields import ScreenField
from domain.screening.snapshots import Snapshot
from resolvers import markets
from schema.context import Info, ctx
from schema.markets.types import Instrument, Quote
from schema.pagination import PageInfo
from schema.payloads import UserError

strawberry.enum(
    ScreenField,
    description=(
        "A screenable field: descriptive (sector, index, size, price, volume), fundamental "
        "(valuation, profitability, growth: from the latest statements at the last close) or "
        "technical (performance, RSI, moving averages, 52-week range, gap, ATR, volatility, "
        "beta). `screenFields` lists each with its meaning."
    ),
)
strawberry.enum(fields.FieldGroup, description="Where a screen field comes from.")
strawberry.enum(
    filters.ScreenOperator,
    description=(
        "GT, GTE, LT, LTE, EQ, NE compare a numeric field with `value`; BETWEEN with `min` and "
        "`max` (inclusive); IN, NOT_IN, EQ, NE compare SECTOR or INDEX with codes in `values`."
    ),
)
strawberry.enum(filters.SortDirection, description="ASC or DESC; unknown values sort last.")


@strawberry.type(description="A field screens can filter and sort on.")
class ScreenFieldInfo:
    field: ScreenField = strawberry.field(description="The field.")
    group: fields.FieldGroup = strawberry.field(
        description="Descriptive, fundamental or technical."
    )
    description: str = strawberry.field(description="What it measures, and its unit.")
    operators: list[filters.ScreenOperator] = strawberry.field(
        description="The operators it takes."
    )


@strawberry.input(description="One condition: a field compared with a value, range or codes.")
class ScreenConditionInput:
    field: ScreenField = strawberry.field(description="The field compared.")
    operator: filters.ScreenOperator = strawberry.field(description="How it is compared.")
    value: float | None = strawberry.field(default=None, description="For GT..NE on numbers.")
    min: float | None = strawberry.field(default=None, description="BETWEEN's lower end.")
    max: float | None = strawberry.field(default=None, description="BETWEEN's upper end.")
    values: list[str] | None = strawberry.field(
        default=None, description="Codes for SECTOR (e.g. `0804`) or INDEX (e.g. `KMI30`)."
    )

    def to_domain(self) -> filters.Condition:
        """The domain condition."""
        return filters.Condition(
            field=self.field,
            operator=self.operator,
            value=self.value,
            low=self.min,
            high=self.max,
            codes=tuple(self.values or ()),
        )


@strawberry.input(description="Conditions of which at least one must hold.")
class ScreenGroupInput:
    conditions: list[ScreenConditionInput] = strawberry.field(description="The alternatives.")


@strawberry.input(
    description=(
        "All of `conditions` hold, and at least one condition of each `anyOf` group. An "
        "instrument whose value of a field is unknown satisfies no condition on that field."
    )
)
class ScreenFilterInput:
    conditions: list[ScreenConditionInput] = strawberry.field(
        default_factory=list, description="Conditions that must all hold."
    )
    any_of: list[ScreenGroupInput] = strawberry.field(
        default_factory=list, description="OR groups, each of which must have a match."
    )

    def to_domain(self) -> filters.ScreenFilter:
        """The domain filter."""
        return filters.ScreenFilter(
            tuple(c.to_domain() for c in self.conditions),
            tuple(tuple(c.to_domain() for c in g.conditions) for g in self.any_of),
        )


@strawberry.input(description="A sort key.")
class ScreenSortInput:
    field: ScreenField = strawberry.field(description="The field sorted on.")
    direction: filters.SortDirection = strawberry.field(
        default=filters.SortDirection.DESC, description="ASC or DESC (default)."
    )

    def to_domain(self) -> filters.SortKey:
        """The domain sort key."""
        return filters.SortKey(self.field, self.direction)


@strawberry.type(description="One instrument's snapshot row.")
class ScreenRow:
    symbol: str = strawberry.field(description="Ticker symbol.")
    as_of: date = strawberry.field(description="The session the row describes.")
    sector: str = strawberry.field(description="Sector code.")
    indices: list[str] = strawberry.field(description="Codes of the indices it belongs to.")
    market_cap: float | None = strawberry.field(
        description="Market capitalisation in rupees (close × shares)."
    )
    price: float | None = strawberry.field(description="Last close in rupees.")
    change_percent: float | None = strawberry.field(
        description="Change of the last session, percent."
    )
    volume: float | None = strawberry.field(description="Shares traded in the last session.")
    average_volume: float | None = strawberry.field(
        description="Average shares traded over 30 sessions."
    )
    relative_volume: float | None = strawberry.field(
        description="Last session's volume over the 30-session mean."
    )
    turnover: float | None = strawberry.field(
        description="Value traded in the last session, rupees."
    )
    free_float: float | None = strawberry.field(
        description="Free float, percent of shares outstanding."
    )
    pe: float | None = strawberry.field(
        description="Price over trailing-twelve-month EPS (null when EPS ≤ 0)."
    )
    pb: float | None = strawberry.field(description="Price over book value per share.")
    ps: float | None = strawberry.field(
        description="Market cap over trailing-twelve-month revenue."
    )
    ev_ebitda: float | None = strawberry.field(
        description="Enterprise value over TTM EBITDA, where reported."
    )
    eps: float | None = strawberry.field(
        description="Trailing-twelve-month earnings per share, rupees."
    )
    dividend_yield: float | None = strawberry.field(
        description="TTM dividends per share over price, percent."
    )
    payout_ratio: float | None = strawberry.field(
        description="TTM dividends over TTM earnings, percent."
    )
    roe: float | None = strawberry.field(description="TTM net income over equity, percent.")
    roa: float | None = strawberry.field(description="TTM net income over total assets, percent.")
    net_margin: float | None = strawberry.field(description="TTM net income over revenue, percent.")
    gross_margin: float | None = strawberry.field(
        description="TTM gross profit over revenue, percent."
    )
    debt_to_equity: float | None = strawberry.field(description="Total debt over total equity.")
    current_ratio: float | None = strawberry.field(
        description="Current assets over current liabilities."
    )
    eps_growth_yoy: float | None = strawberry.field(
        description="EPS growth over the prior fiscal year, percent."
    )
    revenue_growth_yoy: float | None = strawberry.field(
        description="Revenue growth over the prior year, percent."
    )
    eps_cagr_3y: float | None = strawberry.field(
        description="EPS compound annual growth over 3 years, percent."
    )
    revenue_cagr_3y: float | None = strawberry.field(
        description="Revenue compound growth over 3 years, percent."
    )
    perf_1w: float | None = strawberry.field(
        description="Adjusted price return over 1 week, percent."
    )
    perf_1m: float | None = strawberry.field(
        description="Adjusted price return over 1 month, percent."
    )
    perf_3m: float | None = strawberry.field(
        description="Adjusted price return over 3 months, percent."
    )
    perf_6m: float | None = strawberry.field(
        description="Adjusted price return over 6 months, percent."
    )
    perf_ytd: float | None = strawberry.field(
        description="Adjusted price return since the year's start, percent."
    )
    perf_1y: float | None = strawberry.field(
        description="Adjusted price return over 1 year, percent."
    )
    rsi14: float | None = strawberry.field(
        description="14-session RSI (Wilder, as TA-Lib) of adjusted closes."
    )
    sma20: float | None = strawberry.field(
        description="20-session simple moving average of adjusted closes."
    )
    sma50: float | None = strawberry.field(
        description="50-session simple moving average of adjusted closes."
    )
    sma200: float | None = strawberry.field(
        description="200-session simple moving average of adjusted closes."
    )
    price_vs_sma20: float | None = strawberry.field(
        description="Close above (+) or below (−) SMA20, percent."
    )
    price_vs_sma50: float | None = strawberry.field(
        description="Close above (+) or below (−) SMA50, percent."
    )
    price_vs_sma200: float | None = strawberry.field(
        description="Close above (+) or below (−) SMA200, percent."
    )
    high_52w: float | None = strawberry.field(
        description="Highest adjusted high of the last 52 weeks."
    )
    low_52w: float | None = strawberry.field(
        description="Lowest adjusted low of the last 52 weeks."
    )
    from_52w_high: float | None = strawberry.field(
        description="Close relative to the 52-week high, percent (≤ 0)."
    )
    from_52w_low: float | None = strawberry.field(
        description="Close relative to the 52-week low, percent (≥ 0)."
    )
    gap: float | None = strawberry.field(description="Last open over the previous close, percent.")
    atr_percent: float | None = strawberry.field(
        description="14-session ATR (Wilder) over the close, percent."
    )
    volatility: float | None = strawberry.field(
        description="Annualised volatility of daily log returns, 1 year."
    )
    beta: float | None = strawberry.field(
        description="Beta of daily returns against KSE100 over 1 year."
    )

    @strawberry.field(description="The instrument.")
    async def instrument(self, info: Info) -> Instrument | None:
        found = await markets.instrument(ctx(info), self.symbol)
        if found is None:
            return None
        return Instrument.from_domain(found, await markets.reference(ctx(info)))

    @strawberry.field(description="The live quote (the snapshot is as of `asOf`).")
    async def quote(self, info: Info) -> Quote | None:
        found = await markets.quote(ctx(info), self.symbol)
        if found is None:
            return None
        return Quote.from_domain(found, await markets.reference(ctx(info)))

    @classmethod
    def from_domain(cls, s: Snapshot) -> ScreenRow:
        """Map a snapshot row."""
        v = s.values
        return cls(
            symbol=s.symbol,
            as_of=s.as_of,
            sector=s.sector,
            indices=list(s.index_codes),
            market_cap=v.get(ScreenField.MARKET_CAP),
            price=v.get(ScreenField.PRICE),
            change_percent=v.get(ScreenField.CHANGE_PERCENT),
            volume=v.get(ScreenField.VOLUME),
            average_volume=v.get(ScreenField.AVERAGE_VOLUME),
            relative_volume=v.get(ScreenField.RELATIVE_VOLUME),
            turnover=v.get(ScreenField.TURNOVER),
            free_float=v.get(ScreenField.FREE_FLOAT),
            pe=v.get(ScreenField.PE),
            pb=v.get(ScreenField.PB),
            ps=v.get(ScreenField.PS),
            ev_ebitda=v.get(ScreenField.EV_EBITDA),
            eps=v.get(ScreenField.EPS),
            dividend_yield=v.get(ScreenField.DIVIDEND_YIELD),
            payout_ratio=v.get(ScreenField.PAYOUT_RATIO),
            roe=v.get(ScreenField.ROE),
            roa=v.get(ScreenField.ROA),
            net_margin=v.get(ScreenField.NET_MARGIN),
            gross_margin=v.get(ScreenField.GROSS_MARGIN),
            debt_to_equity=v.get(ScreenField.DEBT_TO_EQUITY),
            current_ratio=v.get(ScreenField.CURRENT_RATIO),
            eps_growth_yoy=v.get(ScreenField.EPS_GROWTH_YOY),
            revenue_growth_yoy=v.get(ScreenField.REVENUE_GROWTH_YOY),
            eps_cagr_3y=v.get(ScreenField.EPS_CAGR_3Y),
            revenue_cagr_3y=v.get(ScreenField.REVENUE_CAGR_3Y),
            perf_1w=v.get(ScreenField.PERF_1W),
            perf_1m=v.get(ScreenField.PERF_1M),
            perf_3m=v.get(ScreenField.PERF_3M),
            perf_6m=v.get(ScreenField.PERF_6M),
            perf_ytd=v.get(ScreenField.PERF_YTD),
            perf_1y=v.get(ScreenField.PERF_1Y),
            rsi14=v.get(ScreenField.RSI14),
            sma20=v.get(ScreenField.SMA20),
            sma50=v.get(ScreenField.SMA50),
            sma200=v.get(ScreenField.SMA200),
            price_vs_sma20=v.get(ScreenField.PRICE_VS_SMA20),
            price_vs_sma50=v.get(ScreenField.PRICE_VS_SMA50),
            price_vs_sma200=v.get(ScreenField.PRICE_VS_SMA200),
            high_52w=v.get(ScreenField.HIGH_52W),
            low_52w=v.get(ScreenField.LOW_52W),
            from_52w_high=v.get(ScreenField.FROM_52W_HIGH),
            from_52w_low=v.get(ScreenField.FROM_52W_LOW),
            gap=v.get(ScreenField.GAP),
            atr_percent=v.get(ScreenField.ATR_PERCENT),
            volatility=v.get(ScreenField.VOLATILITY),
            beta=v.get(ScreenField.BETA),
        )


@strawberry.type(description="A screen result with its cursor.")
class ScreenEdge:
    cursor: str = strawberry.field(description="Opaque cursor for `after`.")
    node: ScreenRow = strawberry.field(description="The row.")


@strawberry.type(description="A page of screen results.")
class ScreenConnection:
    edges: list[ScreenEdge] = strawberry.field(description="Rows with cursors.")
    nodes: list[ScreenRow] = strawberry.field(description="The rows of the page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="Matches across all pages.")
    as_of: date | None = strawberry.field(description="The session the snapshot describes.")


@strawberry.type(description="A screen you saved.")
class SavedScreen:
    id: uuid.UUID = strawberry.field(description="Saved screen id (use with `screen`).")
    name: str = strawberry.field(description="Its name, unique among yours.")
    filter: JSON = strawberry.field(description="The filter as given (ScreenFilterInput as JSON).")
    sort: JSON = strawberry.field(description="The sort keys as JSON.")
    created_at: datetime = strawberry.field(description="When it was first saved.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")

    @classmethod
    def from_domain(cls, s: filters.SavedScreen) -> SavedScreen:
        """Map a saved screen."""
        return cls(
            id=s.id,
            name=s.name,
            filter=cast(JSON, s.filter),
            sort=cast(JSON, s.sort),
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


@strawberry.input(description="A screen to save under a name (an existing name is replaced).")
class SaveScreenInput:
    name: str = strawberry.field(description="1 to 80 characters.")
    filter: ScreenFilterInput = strawberry.field(description="The filter.")
    sort: list[ScreenSortInput] | None = strawberry.field(
        default=None, description="Sort keys (default market cap, largest first)."
    )


@strawberry.type(description="The result of `saveScreen`.")
class SaveScreenPayload:
    screen: SavedScreen | None = strawberry.field(description="The saved screen.")
    errors: list[UserError] = strawberry.field(description="Why it was not saved.")


@strawberry.type(description="The result of `deleteScreen`.")
class DeleteScreenPayload:
    deleted_id: uuid.UUID | None = strawberry.field(description="The deleted screen's id.")
    errors: list[UserError] = strawberry.field(description="Why it was not deleted.")
