"""Demo news and calendar: stories tied to the demo's own price moves, results and payouts,
SBP policy meetings and CPI releases of the period. Everything is marked SIMULATED.

Deterministic for a seed: a daily move of 5% or more gets a story, each session a market
wrap, each published statement a results announcement, each corporate action a payout
notice; the calendar holds the SBP meetings (8 a year), monthly CPI, fortnightly T-bill
auctions and each company's results dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from domain.demo.generate import DemoDataset
from domain.fundamentals.statements import FinancialStatement
from domain.markets.sessions import PKT
from domain.news.articles import (
    AnnouncementType,
    ArticleKind,
    DataSource,
    NewArticle,
    NewsCategory,
)
from domain.news.calendar import EventCategory, Importance, NewEconomicEvent
from domain.news.tagging import short_name

SOURCE = "PSX Analytics demo wire"
MOVE = 0.05
NOTICES = "https://demo.psx-analytics.local/notices"
_UP = (
    "{name} shares surge {pct:.1f}% in heavy trading",
    "{symbol} jumps {pct:.1f}% as buyers return",
    "{name} rallies {pct:.1f}%, leads {sector} gains",
)
_DOWN = (
    "{name} shares slump {pct:.1f}% on selling pressure",
    "{symbol} drops {pct:.1f}% as investors book profits",
    "{name} falls {pct:.1f}%, drags {sector} lower",
)
_BODY = (
    "{name} ({symbol}) closed at Rs {close:,.2f} on {day:%d %B %Y}, {dir} {pct:.1f}% from "
    "the previous close on volume of {volume:,} shares. Dealers cited {reason}."
)
_REASONS_UP = ("strong earnings expectations", "institutional buying", "sector optimism")
_REASONS_DOWN = ("profit taking", "concerns over margins", "foreign selling")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PKT).astimezone(UTC)


def _moves(
    data: DemoDataset, sectors: Mapping[str, str], rng: np.random.Generator
) -> list[NewArticle]:
    bars = (
        data.daily_bars.sort("symbol", "day")
        .with_columns(prev=pl.col("close").shift(1).over("symbol"))
        .drop_nulls("prev")
        .with_columns(chg=pl.col("close") / pl.col("prev") - 1.0)
        .filter(pl.col("chg").abs() >= MOVE)
    )
    names = dict(zip(data.instruments["symbol"], data.instruments["name"], strict=True))
    out: list[NewArticle] = []
    for symbol, day, close, volume, chg in bars.select(
        "symbol", "day", "close", "volume", "chg"
    ).iter_rows():
        up = chg > 0
        pct = abs(chg) * 100
        name = short_name(names[symbol])
        sector = sectors.get(symbol, "")
        fill = {"name": name, "symbol": symbol, "pct": pct, "sector": "sector"}
        title = (_UP if up else _DOWN)[int(rng.integers(3))].format(**fill)
        reason = (_REASONS_UP if up else _REASONS_DOWN)[int(rng.integers(3))]
        body = _BODY.format(
            name=name,
            symbol=symbol,
            close=close / 100,
            day=day,
            pct=pct,
            volume=volume,
            dir="up" if up else "down",
            reason=reason,
        )
        out.append(
            NewArticle(
                source=SOURCE,
                url=f"https://demo.psx-analytics.local/news/{day:%Y/%m/%d}/{symbol.lower()}-move",
                title=title,
                summary=body.split(". ")[0] + ".",
                body=body,
                published_at=_at(day, 16, 15),
                category=NewsCategory.COMPANY,
                symbols=(symbol,),
                sectors=(sector,) if sector else (),
                tags=("price-move",),
                sentiment=round(max(-1.0, min(1.0, chg * 8)), 3),
                data_source=DataSource.SIMULATED,
            )
        )
    return out


def _wraps(data: DemoDataset) -> list[NewArticle]:
    kse = data.index_daily.filter(pl.col("code") == "KSE100").sort("day")
    out: list[NewArticle] = []
    prev: int | None = None
    for day, close in kse.select("day", "close").iter_rows():
        if prev is not None:
            chg = close / prev - 1.0
            points = (close - prev) / 100
            verb = "gains" if points >= 0 else "sheds"
            out.append(
                NewArticle(
                    source=SOURCE,
                    url=f"https://demo.psx-analytics.local/news/{day:%Y/%m/%d}/market-wrap",
                    title=(
                        f"KSE-100 {verb} {abs(points):,.0f} points to close at {close / 100:,.0f}"
                    ),
                    summary=(
                        f"The benchmark KSE-100 index {'rose' if points >= 0 else 'fell'} "
                        f"{abs(chg) * 100:.2f}% on {day:%d %B %Y}."
                    ),
                    published_at=_at(day, 16, 45),
                    category=NewsCategory.MARKET,
                    tags=("market-wrap",),
                    sentiment=round(max(-1.0, min(1.0, chg * 20)), 3),
                    data_source=DataSource.SIMULATED,
                )
            )
        prev = close
    return out


def _results(
    statements: Mapping[str, Sequence[FinancialStatement]], names: Mapping[str, str], last: date
) -> tuple[list[NewArticle], list[NewEconomicEvent]]:
    articles: list[NewArticle] = []
    events: list[NewEconomicEvent] = []
    for symbol, rows in statements.items():
        name = short_name(names[symbol])
        for s in rows:
            if s.published_on is None:
                continue
            period = "annual" if s.fiscal_quarter is None else f"Q{s.fiscal_quarter}"
            label = f"{period} FY{s.fiscal_year}"
            events.append(
                NewEconomicEvent(
                    title=f"{symbol} {label} results",
                    category=EventCategory.EARNINGS,
                    scheduled_at=_at(s.published_on, 15),
                    importance=Importance.MEDIUM,
                    actual=s.eps if s.published_on <= last else None,
                    unit="PKR EPS",
                    symbol=symbol,
                    data_source=DataSource.SIMULATED,
                )
            )
            if s.published_on > last:
                continue
            articles.append(
                NewArticle(
                    source="PSX",
                    url=f"{NOTICES}/{symbol.lower()}/{label.replace(' ', '-').lower()}",
                    title=f"{name}: financial results for {label}",
                    summary=(
                        f"{name} ({symbol}) announced {label} results: net income Rs "
                        f"{s.net_income / 1_000_000:,.0f} million, EPS Rs {s.eps}."
                    ),
                    published_at=_at(s.published_on, 15, 30),
                    category=NewsCategory.COMPANY,
                    kind=ArticleKind.ANNOUNCEMENT,
                    announcement_type=AnnouncementType.FINANCIAL_RESULTS,
                    symbols=(symbol,),
                    tags=("results",),
                    data_source=DataSource.SIMULATED,
                )
            )
    return articles, events


def _payouts(data: DemoDataset, names: Mapping[str, str]) -> list[NewArticle]:
    out: list[NewArticle] = []
    for symbol, kind, ex_date, description in data.corporate_actions.select(
        "symbol", "kind", "ex_date", "description"
    ).iter_rows():
        notice = ex_date - timedelta(days=14)
        out.append(
            NewArticle(
                source="PSX",
                url=f"https://demo.psx-analytics.local/notices/{symbol.lower()}/{ex_date}-{kind.lower()}",
                title=f"{short_name(names[symbol])}: {description}",
                summary=f"{symbol} announced {description}; ex-date {ex_date:%d %B %Y}.",
                published_at=_at(notice, 14),
                category=NewsCategory.COMPANY,
                kind=ArticleKind.ANNOUNCEMENT,
                announcement_type=AnnouncementType.PAYOUT,
                symbols=(symbol,),
                tags=("payout",),
                data_source=DataSource.SIMULATED,
            )
        )
    return out


def _macro(
    first: date, last: date, rng: np.random.Generator
) -> tuple[list[NewArticle], list[NewEconomicEvent]]:
    articles: list[NewArticle] = []
    events: list[NewEconomicEvent] = []
    rate, cpi = Decimal("22.0"), Decimal("28.0")
    month = date(first.year, first.month, 1)
    while month <= last + timedelta(days=60):
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        cpi_day = month + timedelta(days=1)
        new_cpi = max(Decimal("2.0"), cpi + Decimal(str(round(float(rng.normal(-0.8, 1.2)), 1))))
        known = cpi_day <= last
        events.append(
            NewEconomicEvent(
                title="CPI inflation (YoY)",
                category=EventCategory.INFLATION_CPI,
                scheduled_at=_at(cpi_day, 11),
                importance=Importance.HIGH,
                previous=cpi,
                forecast=new_cpi + Decimal("0.3"),
                actual=new_cpi if known else None,
                unit="%",
                data_source=DataSource.SIMULATED,
            )
        )
        if known:
            articles.append(
                NewArticle(
                    source=SOURCE,
                    url=f"https://demo.psx-analytics.local/news/{cpi_day:%Y/%m}/cpi",
                    title=f"CPI inflation at {new_cpi}% in {month - timedelta(days=1):%B}",
                    summary=f"Consumer price inflation was {new_cpi}% year on year against {cpi}%.",
                    published_at=_at(cpi_day, 11, 30),
                    category=NewsCategory.ECONOMIC,
                    tags=("inflation", "cpi"),
                    data_source=DataSource.SIMULATED,
                )
            )
            cpi = new_cpi
        if month.month in (1, 3, 4, 6, 7, 9, 10, 12):
            meeting = month + timedelta(days=int(rng.integers(8, 25)))
            cut = (
                min(rate - Decimal("10.0"), Decimal(str(int(rng.integers(0, 3)) * 0.5 + 0.5)))
                if cpi < rate - 3
                else Decimal(0)
            )
            cut = max(cut, Decimal(0))
            new_rate = rate - cut
            events.append(
                NewEconomicEvent(
                    title="SBP monetary policy decision",
                    category=EventCategory.MONETARY_POLICY,
                    scheduled_at=_at(meeting, 16),
                    importance=Importance.HIGH,
                    previous=rate,
                    actual=new_rate if meeting <= last else None,
                    unit="%",
                    data_source=DataSource.SIMULATED,
                )
            )
            if meeting <= last:
                verb = (
                    f"cuts policy rate by {cut * 100:.0f} bps to" if cut else "holds policy rate at"
                )
                articles.append(
                    NewArticle(
                        source=SOURCE,
                        url=f"https://demo.psx-analytics.local/news/{meeting:%Y/%m/%d}/sbp-policy",
                        title=f"State Bank {verb} {new_rate}%",
                        summary=(
                            f"The monetary policy committee of the State Bank of Pakistan set the "
                            f"policy rate at {new_rate}% with inflation at {cpi}%."
                        ),
                        published_at=_at(meeting, 16, 30),
                        category=NewsCategory.ECONOMIC,
                        tags=("monetary-policy", "sbp"),
                        sentiment=0.4 if cut else 0.0,
                        data_source=DataSource.SIMULATED,
                    )
                )
                rate = new_rate
        for auction_day in (month + timedelta(days=6), month + timedelta(days=20)):
            events.append(
                NewEconomicEvent(
                    title="T-bill auction",
                    category=EventCategory.TBILL_AUCTION,
                    scheduled_at=_at(auction_day, 14),
                    importance=Importance.LOW,
                    unit="%",
                    data_source=DataSource.SIMULATED,
                )
            )
        month = nxt
    return articles, events


def demo_news(
    data: DemoDataset,
    statements: Mapping[str, Sequence[FinancialStatement]],
    *,
    seed: int,
) -> tuple[list[NewArticle], list[NewEconomicEvent]]:
    """The demo's articles (stories and announcements) and calendar events."""
    rng = np.random.default_rng(seed + 1207)
    days = data.daily_bars["day"]
    first, last = days.min(), days.max()
    if not isinstance(first, date) or not isinstance(last, date):
        raise ValueError("the demo data set has no daily bars")
    sectors = dict(zip(data.instruments["symbol"], data.instruments["sector_code"], strict=True))
    names = dict(zip(data.instruments["symbol"], data.instruments["name"], strict=True))
    results, earnings = _results(statements, names, last)
    macro, calendar = _macro(first, last, rng)
    articles = [
        *_moves(data, sectors, rng),
        *_wraps(data),
        *results,
        *_payouts(data, names),
        *macro,
    ]
    return articles, [*calendar, *earnings]
