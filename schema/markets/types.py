"""GraphQL types of market data: instruments, quotes, candles, market status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from domain.markets import bars, instruments, sessions
from domain.markets import snapshots as snap
from domain.markets.bars import Interval as Interval  # re-exported: registered below
from domain.markets.instruments import DataSource, InstrumentKind, ListingStatus
from domain.markets.reference import ReferenceData
from domain.markets.sessions import MarketState
from schema.scalars import Long

strawberry.enum(sessions.MarketState, description="Where the regular market is in its trading day.")
strawberry.enum(
    bars.Interval,
    description=(
        "Candle width: M1, M5, M15, M30 and H1 are built from 1-minute bars and aligned to "
        "each session's open (09:32 Mon-Thu; 09:17 and 14:32 on Fridays, PKT); D1 is one "
        "trading day; W1 a Monday-based week; MN1 a calendar month."
    ),
)
strawberry.enum(
    instruments.ListingStatus, description="Whether an instrument trades on the regular market."
)
strawberry.enum(instruments.InstrumentKind, description="What kind of security a symbol is.")


strawberry.enum(
    instruments.DataSource,
    description=(
        "Where market data comes from: SIMULATED (the demo generator and simulated feed), "
        "PSX_CLOSING (PSX daily closing files), CSV (an imported file), PSX_DPS (the PSX data "
        "portal), FEED (a live feed)."
    ),
)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(description="A PSX sector, identified by its official four-digit code.")
class Sector:
    code: str = strawberry.field(description="Official sector code, e.g. `0820`.")
    name: str = strawberry.field(description="Sector name, e.g. `OIL & GAS EXPLORATION COMPANIES`.")

    @classmethod
    def from_domain(cls, s: instruments.Sector) -> Sector:
        """Map a domain sector."""
        return cls(code=s.code, name=s.name)


@strawberry.type(description="A listed security.")
class Instrument:
    symbol: str = strawberry.field(description="Ticker symbol, e.g. `OGDC`.")
    name: str = strawberry.field(description="Company or fund name.")
    sector: Sector = strawberry.field(description="The instrument's sector.")
    kind: InstrumentKind = strawberry.field(description="Equity, ETF, REIT or closed-end fund.")
    shares_outstanding: Long = strawberry.field(description="Shares in issue.")
    free_float_pct: float = strawberry.field(
        description="Fraction of shares available to trade (0 to 1)."
    )
    free_float_shares: Long = strawberry.field(description="Shares available to trade.")
    face_value: Decimal = strawberry.field(description="Face (par) value per share in PKR.")
    lot_size: int = strawberry.field(description="Shares per regular-market lot.")
    listing_status: ListingStatus = strawberry.field(description="Listing status.")
    listed_on: date | None = strawberry.field(description="First day with data.")
    indices: list[str] = strawberry.field(description="Codes of the indices it belongs to.")
    data_source: DataSource = strawberry.field(description="Where its market data comes from.")

    @classmethod
    def from_domain(cls, i: instruments.Instrument, ref: ReferenceData) -> Instrument:
        """Map a domain instrument, resolving its sector and indices from the snapshot."""
        sector = ref.sector_by_code.get(i.sector_code) or instruments.Sector(i.sector_code, "")
        return cls(
            symbol=i.symbol,
            name=i.name,
            sector=Sector.from_domain(sector),
            kind=i.kind,
            shares_outstanding=Long(i.shares_outstanding),
            free_float_pct=float(i.free_float_pct),
            free_float_shares=Long(i.free_float_shares),
            face_value=i.face_value,
            lot_size=i.lot_size,
            listing_status=i.listing_status,
            listed_on=i.listed_on,
            indices=[x.code for x in ref.indices_by_instrument.get(i.id, ())],
            data_source=i.data_source,
        )


@strawberry.type(description="The latest quote of an instrument for the current session.")
class Quote:
    symbol: str = strawberry.field(description="Ticker symbol.")
    last: float = strawberry.field(description="Last traded price (PKR).")
    open: float = strawberry.field(description="Session open.")
    high: float = strawberry.field(description="Session high.")
    low: float = strawberry.field(description="Session low.")
    prev_close: float = strawberry.field(description="Last day's closing price (LDCP).")
    change: float = strawberry.field(description="Last minus previous close.")
    change_percent: float = strawberry.field(description="Change in percent of previous close.")
    volume: Long = strawberry.field(description="Shares traded this session.")
    turnover: float = strawberry.field(description="Value traded this session (PKR).")
    trades: int = strawberry.field(description="Number of trades this session.")
    vwap: float | None = strawberry.field(description="Volume-weighted average price.")
    bid: float | None = strawberry.field(description="Best bid, where known.")
    ask: float | None = strawberry.field(description="Best ask, where known.")
    bid_size: Long | None = strawberry.field(description="Shares at the best bid.")
    ask_size: Long | None = strawberry.field(description="Shares at the best ask.")
    upper_limit: float = strawberry.field(
        description="Upper circuit limit: previous close + max(10%, Rs 1)."
    )
    lower_limit: float = strawberry.field(
        description="Lower circuit limit: previous close - max(10%, Rs 1), at least Rs 0.01."
    )
    high52w: float = strawberry.field(description="Highest price over the last 52 weeks.")
    low52w: float = strawberry.field(description="Lowest price over the last 52 weeks.")
    market_cap: float = strawberry.field(description="Last price × shares outstanding (PKR).")
    updated_at: datetime = strawberry.field(description="When the quote last changed (UTC).")
    published_at: datetime | None = strawberry.field(
        description=(
            "When the server published this quote (wall clock, UTC): compare it with your clock "
            "to see the delivery delay. Null for quotes loaded from end-of-day data."
        )
    )
    data_source: DataSource = strawberry.field(description="Where the quote comes from.")
    instrument: Instrument = strawberry.field(description="The quoted instrument.")

    @classmethod
    def from_domain(cls, q: snap.Quote, ref: ReferenceData) -> Quote:
        """Map a domain quote; every figure is computed here, once."""
        s = q.state
        lower, upper = s.limits
        vwap = s.vwap
        return cls(
            symbol=s.symbol,
            last=float(s.last),
            open=float(s.open),
            high=float(s.high),
            low=float(s.low),
            prev_close=float(s.prev_close),
            change=float(s.change),
            change_percent=round(float(s.change_percent), 4),
            volume=Long(s.volume),
            turnover=float(s.turnover),
            trades=s.trades,
            vwap=None if vwap is None else round(float(vwap), 4),
            bid=_f(s.bid),
            ask=_f(s.ask),
            bid_size=None if s.bid_size is None else Long(s.bid_size),
            ask_size=None if s.ask_size is None else Long(s.ask_size),
            upper_limit=float(upper),
            lower_limit=float(lower),
            high52w=float(q.high52w),
            low52w=float(q.low52w),
            market_cap=float(q.market_cap),
            updated_at=s.updated_at,
            published_at=s.published_at,
            data_source=q.instrument.data_source,
            instrument=Instrument.from_domain(q.instrument, ref),
        )


@strawberry.type(description="One OHLCV candle.")
class Candle:
    ts: datetime = strawberry.field(description="When the candle opens (UTC).")
    open: float = strawberry.field(description="First price.")
    high: float = strawberry.field(description="Highest price.")
    low: float = strawberry.field(description="Lowest price.")
    close: float = strawberry.field(description="Last price.")
    volume: Long = strawberry.field(description="Shares traded.")
    turnover: float = strawberry.field(description="Value traded (PKR).")
    trades: int = strawberry.field(description="Number of trades.")
    vwap: float | None = strawberry.field(description="Volume-weighted average price.")

    @classmethod
    def from_domain(cls, c: bars.Candle) -> Candle:
        """Map a domain candle."""
        vwap = c.vwap
        return cls(
            ts=c.ts,
            open=float(c.open),
            high=float(c.high),
            low=float(c.low),
            close=float(c.close),
            volume=Long(c.volume),
            turnover=float(c.turnover),
            trades=c.trades,
            vwap=None if vwap is None else round(float(vwap), 4),
        )


@strawberry.type(description="Candles of an instrument or index, oldest first.")
class Chart:
    symbol: str = strawberry.field(description="Instrument symbol or index code.")
    interval: Interval = strawberry.field(description="Candle width.")
    adjusted: bool = strawberry.field(
        description="True when prices are back-adjusted for dividends, bonuses, rights, splits."
    )
    candles: list[Candle] = strawberry.field(description="The candles, oldest first.")
    data_source: DataSource = strawberry.field(description="Where the candles come from.")


@strawberry.type(description="A continuous trading session.")
class TradingSession:
    day: date = strawberry.field(description="Trading day (Asia/Karachi).")
    number: int = strawberry.field(description="1, or 2 for Friday's second session.")
    pre_open_at: datetime = strawberry.field(description="Pre-open starts (UTC).")
    open_at: datetime = strawberry.field(description="Continuous trading starts (UTC).")
    close_at: datetime = strawberry.field(description="Continuous trading ends (UTC).")

    @classmethod
    def from_domain(cls, s: sessions.TradingSession | None) -> TradingSession | None:
        """Map a domain session."""
        if s is None:
            return None
        return cls(
            day=s.day,
            number=s.number,
            pre_open_at=s.pre_open_at,
            open_at=s.open_at,
            close_at=s.close_at,
        )


@strawberry.type(description="The regular market's state now.")
class MarketStatus:
    state: MarketState = strawberry.field(description="Current state.")
    as_of: datetime = strawberry.field(description="The instant the state refers to (UTC).")
    time_zone: str = strawberry.field(description="The exchange's time zone.")
    current_session: TradingSession | None = strawberry.field(
        description="The session under way (pre-open included), if any."
    )
    next_session: TradingSession | None = strawberry.field(description="The next session to start.")
    data_source: DataSource = strawberry.field(description="Where market data comes from.")

    @classmethod
    def from_domain(cls, s: sessions.MarketStatus, source: instruments.DataSource) -> MarketStatus:
        """Map a domain market status."""
        return cls(
            state=s.state,
            as_of=s.as_of,
            time_zone="Asia/Karachi",
            current_session=TradingSession.from_domain(s.current),
            next_session=TradingSession.from_domain(s.next),
            data_source=source,
        )
