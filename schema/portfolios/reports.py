"""Portfolio statements in GraphQL: `exportPortfolioReport` and its payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import portfolio_reports
from schema.context import Info, ctx
from schema.payloads import UserError
from schema.permissions import IsAuthenticated
from schema.portfolios.enums import PerformanceRange, ReportFormat
from schema.portfolios.inputs import input_error


@strawberry.type(description="A stored statement and the link that downloads it.")
class PortfolioReport:
    url: str = strawberry.field(
        description=(
            "A signed download link, good until `expiresAt` (GET; the file comes as an "
            "attachment). Anyone holding it can download the file until then."
        )
    )
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    format: ReportFormat = strawberry.field(description="CSV or PDF.")
    size_bytes: int = strawberry.field(description="The file's size.")

    @classmethod
    def from_link(cls, link: portfolio_reports.ReportLink) -> PortfolioReport:
        """Map a stored statement's link."""
        return cls(
            url=link.url, expires_at=link.expires_at, format=link.format, size_bytes=link.size_bytes
        )


@strawberry.type(description="The result of exportPortfolioReport.")
class ExportPortfolioReportPayload:
    report: PortfolioReport | None = strawberry.field(description="The statement made.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description=(
            "Make a statement of one of your portfolios over a window: holdings, transactions, "
            "realised gains with CGT by tax year (July to June), dividends with withholding "
            "tax, and performance against KSE100 (an equity-curve chart in the PDF). Returns "
            "a time-limited download link."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def export_portfolio_report(
        self,
        info: Info,
        portfolio_id: Annotated[
            uuid.UUID, strawberry.argument(description="One of your portfolios.")
        ],
        format: Annotated[ReportFormat, strawberry.argument(description="CSV or PDF.")],
        range: Annotated[
            PerformanceRange, strawberry.argument(description="The period, ending today.")
        ] = PerformanceRange.Y1,
    ) -> ExportPortfolioReportPayload:
        try:
            link = await portfolio_reports.export_portfolio_report(
                ctx(info), portfolio_id, range, format
            )
        except DomainError as err:
            return ExportPortfolioReportPayload(report=None, errors=[input_error(err)])
        return ExportPortfolioReportPayload(report=PortfolioReport.from_link(link), errors=[])
