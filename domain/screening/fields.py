"""What a screen can filter and sort on: descriptive, fundamental and technical fields.

Every field is a column of the per-instrument snapshot (`screen_snapshots`), named by the
field in lower case, so a screen is one scan of that table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FieldGroup(enum.StrEnum):
    """Where a field comes from."""

    DESCRIPTIVE = "DESCRIPTIVE"
    FUNDAMENTAL = "FUNDAMENTAL"
    TECHNICAL = "TECHNICAL"


class ScreenField(enum.StrEnum):
    """A column of the screener snapshot."""

    SECTOR = "SECTOR"
    INDEX = "INDEX"
    MARKET_CAP = "MARKET_CAP"
    PRICE = "PRICE"
    CHANGE_PERCENT = "CHANGE_PERCENT"
    VOLUME = "VOLUME"
    AVERAGE_VOLUME = "AVERAGE_VOLUME"
    RELATIVE_VOLUME = "RELATIVE_VOLUME"
    TURNOVER = "TURNOVER"
    FREE_FLOAT = "FREE_FLOAT"
    PE = "PE"
    PB = "PB"
    PS = "PS"
    EV_EBITDA = "EV_EBITDA"
    EPS = "EPS"
    DIVIDEND_YIELD = "DIVIDEND_YIELD"
    PAYOUT_RATIO = "PAYOUT_RATIO"
    ROE = "ROE"
    ROA = "ROA"
    NET_MARGIN = "NET_MARGIN"
    GROSS_MARGIN = "GROSS_MARGIN"
    DEBT_TO_EQUITY = "DEBT_TO_EQUITY"
    CURRENT_RATIO = "CURRENT_RATIO"
    EPS_GROWTH_YOY = "EPS_GROWTH_YOY"
    REVENUE_GROWTH_YOY = "REVENUE_GROWTH_YOY"
    EPS_CAGR_3Y = "EPS_CAGR_3Y"
    REVENUE_CAGR_3Y = "REVENUE_CAGR_3Y"
    PERF_1W = "PERF_1W"
    PERF_1M = "PERF_1M"
    PERF_3M = "PERF_3M"
    PERF_6M = "PERF_6M"
    PERF_YTD = "PERF_YTD"
    PERF_1Y = "PERF_1Y"
    RSI14 = "RSI14"
    SMA20 = "SMA20"
    SMA50 = "SMA50"
    SMA200 = "SMA200"
    PRICE_VS_SMA20 = "PRICE_VS_SMA20"
    PRICE_VS_SMA50 = "PRICE_VS_SMA50"
    PRICE_VS_SMA200 = "PRICE_VS_SMA200"
    HIGH_52W = "HIGH_52W"
    LOW_52W = "LOW_52W"
    FROM_52W_HIGH = "FROM_52W_HIGH"
    FROM_52W_LOW = "FROM_52W_LOW"
    GAP = "GAP"
    ATR_PERCENT = "ATR_PERCENT"
    VOLATILITY = "VOLATILITY"
    BETA = "BETA"

    @property
    def column(self) -> str:
        """The snapshot column holding the field."""
        return self.value.lower()

    @property
    def info(self) -> FieldInfo:
        """Group, kind and description of the field."""
        return FIELDS[self]

    @property
    def textual(self) -> bool:
        """True for fields compared as codes (sector, index membership), not numbers."""
        return self in TEXT_FIELDS


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What a field means."""

    group: FieldGroup
    description: str


TEXT_FIELDS = frozenset({ScreenField.SECTOR, ScreenField.INDEX})

_D, _F, _T = FieldGroup.DESCRIPTIVE, FieldGroup.FUNDAMENTAL, FieldGroup.TECHNICAL
FIELDS: dict[ScreenField, FieldInfo] = {
    ScreenField.SECTOR: FieldInfo(_D, "Official PSX sector code, e.g. `0804` (cement)."),
    ScreenField.INDEX: FieldInfo(_D, "Index membership, by index code, e.g. `KSE100`."),
    ScreenField.MARKET_CAP: FieldInfo(_D, "Market capitalisation in rupees (close × shares)."),
    ScreenField.PRICE: FieldInfo(_D, "Last close in rupees."),
    ScreenField.CHANGE_PERCENT: FieldInfo(_D, "Change of the last session, percent."),
    ScreenField.VOLUME: FieldInfo(_D, "Shares traded in the last session."),
    ScreenField.AVERAGE_VOLUME: FieldInfo(_D, "Average shares traded over 30 sessions."),
    ScreenField.RELATIVE_VOLUME: FieldInfo(_D, "Last session's volume over the 30-session mean."),
    ScreenField.TURNOVER: FieldInfo(_D, "Value traded in the last session, rupees."),
    ScreenField.FREE_FLOAT: FieldInfo(_D, "Free float, percent of shares outstanding."),
    ScreenField.PE: FieldInfo(_F, "Price over trailing-twelve-month EPS (null when EPS ≤ 0)."),
    ScreenField.PB: FieldInfo(_F, "Price over book value per share."),
    ScreenField.PS: FieldInfo(_F, "Market cap over trailing-twelve-month revenue."),
    ScreenField.EV_EBITDA: FieldInfo(_F, "Enterprise value over TTM EBITDA, where reported."),
    ScreenField.EPS: FieldInfo(_F, "Trailing-twelve-month earnings per share, rupees."),
    ScreenField.DIVIDEND_YIELD: FieldInfo(_F, "TTM dividends per share over price, percent."),
    ScreenField.PAYOUT_RATIO: FieldInfo(_F, "TTM dividends over TTM earnings, percent."),
    ScreenField.ROE: FieldInfo(_F, "TTM net income over equity, percent."),
    ScreenField.ROA: FieldInfo(_F, "TTM net income over total assets, percent."),
    ScreenField.NET_MARGIN: FieldInfo(_F, "TTM net income over revenue, percent."),
    ScreenField.GROSS_MARGIN: FieldInfo(_F, "TTM gross profit over revenue, percent."),
    ScreenField.DEBT_TO_EQUITY: FieldInfo(_F, "Total debt over total equity."),
    ScreenField.CURRENT_RATIO: FieldInfo(_F, "Current assets over current liabilities."),
    ScreenField.EPS_GROWTH_YOY: FieldInfo(_F, "EPS growth over the prior fiscal year, percent."),
    ScreenField.REVENUE_GROWTH_YOY: FieldInfo(_F, "Revenue growth over the prior year, percent."),
    ScreenField.EPS_CAGR_3Y: FieldInfo(_F, "EPS compound annual growth over 3 years, percent."),
    ScreenField.REVENUE_CAGR_3Y: FieldInfo(_F, "Revenue compound growth over 3 years, percent."),
    ScreenField.PERF_1W: FieldInfo(_T, "Adjusted price return over 1 week, percent."),
    ScreenField.PERF_1M: FieldInfo(_T, "Adjusted price return over 1 month, percent."),
    ScreenField.PERF_3M: FieldInfo(_T, "Adjusted price return over 3 months, percent."),
    ScreenField.PERF_6M: FieldInfo(_T, "Adjusted price return over 6 months, percent."),
    ScreenField.PERF_YTD: FieldInfo(_T, "Adjusted price return since the year's start, percent."),
    ScreenField.PERF_1Y: FieldInfo(_T, "Adjusted price return over 1 year, percent."),
    ScreenField.RSI14: FieldInfo(_T, "14-session RSI (Wilder, as TA-Lib) of adjusted closes."),
    ScreenField.SMA20: FieldInfo(_T, "20-session simple moving average of adjusted closes."),
    ScreenField.SMA50: FieldInfo(_T, "50-session simple moving average of adjusted closes."),
    ScreenField.SMA200: FieldInfo(_T, "200-session simple moving average of adjusted closes."),
    ScreenField.PRICE_VS_SMA20: FieldInfo(_T, "Close above (+) or below (−) SMA20, percent."),
    ScreenField.PRICE_VS_SMA50: FieldInfo(_T, "Close above (+) or below (−) SMA50, percent."),
    ScreenField.PRICE_VS_SMA200: FieldInfo(_T, "Close above (+) or below (−) SMA200, percent."),
    ScreenField.HIGH_52W: FieldInfo(_T, "Highest adjusted high of the last 52 weeks."),
    ScreenField.LOW_52W: FieldInfo(_T, "Lowest adjusted low of the last 52 weeks."),
    ScreenField.FROM_52W_HIGH: FieldInfo(_T, "Close relative to the 52-week high, percent (≤ 0)."),
    ScreenField.FROM_52W_LOW: FieldInfo(_T, "Close relative to the 52-week low, percent (≥ 0)."),
    ScreenField.GAP: FieldInfo(_T, "Last open over the previous close, percent."),
    ScreenField.ATR_PERCENT: FieldInfo(_T, "14-session ATR (Wilder) over the close, percent."),
    ScreenField.VOLATILITY: FieldInfo(_T, "Annualised volatility of daily log returns, 1 year."),
    ScreenField.BETA: FieldInfo(_T, "Beta of daily returns against KSE100 over 1 year."),
}

NUMERIC_FIELDS = tuple(f for f in ScreenField if f not in TEXT_FIELDS)
