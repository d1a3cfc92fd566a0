"""Enums of news, declared once before any type or input uses them."""

from __future__ import annotations

import strawberry

from domain.news.articles import AnnouncementType, ArticleKind, NewsCategory
from domain.news.calendar import EventCategory, Importance

strawberry.enum(
    NewsCategory,
    description="What an article is about: MARKET, COMPANY, ECONOMIC, SECTOR or REGULATORY.",
)
strawberry.enum(ArticleKind, description="NEWS (a story) or ANNOUNCEMENT (a company's PSX notice).")
strawberry.enum(
    AnnouncementType,
    description="A PSX notice: FINANCIAL_RESULTS, PAYOUT, BOARD_MEETING or OTHER.",
    name="AnnouncementType",
)
strawberry.enum(
    EventCategory,
    description=(
        "What a calendar event is: MONETARY_POLICY (SBP meetings), INFLATION_CPI, "
        "TRADE_BALANCE, GDP, TBILL_AUCTION, BUDGET, EARNINGS (a company's results date) or "
        "BOOK_CLOSURE."
    ),
    name="EconomicEventCategory",
)
strawberry.enum(Importance, description="How much an event may move the market: LOW to HIGH.")
