"""Portfolio statements: `exportPortfolioReport` builds one, renders it off the event loop,
stores it (`Services.reports.store`) and answers a signed, time-limited download link; the
download route checks that link.

A link is `/reports/<user id>/<report id>.<ext>?expires=<unix seconds>&signature=<hex>`,
the signature an HMAC-SHA256 of the key and the expiry under the server's reports key
(`domain.portfolios.reports_links`). The owner's id is part of the signed key, so a link
cannot be turned to another user's report; a request that also carries a bearer token must
be the owner's. Expired, tampered or another user's: FORBIDDEN. Reports in S3 are served
through the same route (the API proxies them), so every link has the same shape and lifetime.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from domain.errors import DomainError, ErrorCode
from domain.portfolios.reports import ReportFormat, Statement, build_statement
from domain.portfolios.reports_csv import render_csv
from domain.portfolios.reports_links import link_is_valid, owner_of, signature
from domain.portfolios.reports_pdf import render_pdf
from resolvers.accounts import require_user
from resolvers.context import Context, Principal, Services
from resolvers.portfolio_analytics import PerformanceRange, portfolio_performance, range_start
from resolvers.portfolios import exchange_today, portfolio

REPORT_BENCHMARK = "KSE100"


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A stored statement's download link."""

    url: str
    expires_at: datetime
    format: ReportFormat
    size_bytes: int


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A statement to send: its bytes, type and the name to save it as."""

    body: bytes
    media_type: str
    filename: str


class DownloadRefusedError(Exception):
    """A download the route answers with `status` (403: expired, tampered, not the
    owner's; 404: the object is gone)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _render(statement: Statement, fmt: ReportFormat) -> bytes:
    return render_csv(statement) if fmt is ReportFormat.CSV else render_pdf(statement)


def _base_url(ctx: Context) -> str:
    base = getattr(ctx.request, "base_url", None)
    return "" if base is None else str(base).rstrip("/")


async def export_portfolio_report(
    ctx: Context, portfolio_id: uuid.UUID, window: PerformanceRange, fmt: ReportFormat
) -> ReportLink:
    """Build, render and store a statement of one of the user's portfolios over a window.

    Raises:
        DomainError: NOT_FOUND on "portfolioId" (also for another user's).
    """
    user = require_user(ctx)
    view = await portfolio(ctx, portfolio_id)
    if view is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such portfolio.", "portfolioId")
    ledger = await view.ledger()
    book, valuation, perf = await asyncio.gather(
        view.book(), view.valuation(), portfolio_performance(view, window, REPORT_BENCHMARK)
    )
    today = exchange_today(ctx)
    first = min((tx.trade_date for tx in ledger), default=today)
    start: date = range_start(window, today) or first
    statement = build_statement(
        portfolio_name=view.portfolio.name,
        generated_at=ctx.services.clock().astimezone(UTC),
        start=start,
        end=today,
        filer=view.portfolio.policy.filer,
        cost_method=view.portfolio.policy.cost_method.value,
        ledger=ledger,
        book=book,
        valuation=valuation,
        performance=perf,
    )
    # Rendering is CPU work (a PDF of a long ledger takes a while): off the event loop.
    body = await asyncio.to_thread(_render, statement, fmt)
    reports = ctx.services.reports
    key = f"{user.user_id.hex}/{uuid.uuid4().hex}.{fmt.extension}"
    await reports.store.put(key, body, fmt.media_type)
    # Links live in real time, as tokens do, never in a simulator's market time.
    expires_at = (ctx.services.security.now() + reports.ttl).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    query = f"expires={expires}&signature={signature(reports.secret, key, expires)}"
    return ReportLink(f"{_base_url(ctx)}/reports/{key}?{query}", expires_at, fmt, len(body))


async def download_report(
    services: Services, key: str, *, expires: str, given: str, user: Principal | None
) -> ReportFile:
    """The statement a signed link names.

    Raises:
        DownloadRefusedError: 403 for an expired or tampered link, or a signed-in caller who is
            not the owner; 404 when the object is gone.
    """
    reports = services.reports
    now = services.security.now()
    if not link_is_valid(reports.secret, key, expires, given, now=now):
        raise DownloadRefusedError(403, "This link is expired or not valid.")
    if user is not None and user.user_id.hex != owner_of(key):
        raise DownloadRefusedError(403, "This report is not yours.")
    body = await reports.store.get(key)
    if body is None:
        raise DownloadRefusedError(404, "No such report.")
    fmt = ReportFormat(key.rsplit(".", 1)[1].upper())
    name = key.split("/", 1)[1]
    return ReportFile(body, fmt.media_type, f"psx-statement-{name}")
