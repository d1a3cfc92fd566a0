"""Enums of portfolios, declared once before any type or input uses them."""

from __future__ import annotations

import strawberry

from domain.portfolios.ledger import CostMethod, TransactionType
from domain.portfolios.reports import ReportFormat
from domain.portfolios.risk import VarMethod
from resolvers.portfolio_analytics import AllocationKey, PerformanceRange

strawberry.enum(
    CostMethod,
    description="How sales are matched: FIFO (oldest lot first) or AVERAGE (pooled cost).",
)
strawberry.enum(
    TransactionType,
    description=(
        "What a ledger entry records: BUY, SELL, DIVIDEND (shares entitled × Rs a share), "
        "BONUS (new shares at no cost), RIGHT (shares subscribed), SPLIT (ratio), DEPOSIT and "
        "WITHDRAWAL (cash, where kept), FEE (a charge outside a trade)."
    ),
)
strawberry.enum(
    PerformanceRange,
    description="A window ending today: M1, M3, M6 months, YTD, Y1, Y3, Y5 years, or ALL.",
)
strawberry.enum(ReportFormat, description="What a statement is rendered as: CSV or PDF.")
strawberry.enum(AllocationKey, description="Group holdings by SECTOR or by INSTRUMENT.")
strawberry.enum(VarMethod, description="HISTORICAL (percentile) or PARAMETRIC (normal).")

__all__ = [
    "AllocationKey",
    "CostMethod",
    "PerformanceRange",
    "ReportFormat",
    "TransactionType",
    "VarMethod",
]
