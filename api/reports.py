"""GET /reports/{key}: a stored portfolio statement through its signed, time-limited link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.settings import Settings
from db.storage import ReportStore, S3Config, make_report_store
from domain.errors import DomainError
from resolvers import portfolio_reports
from resolvers.accounts import authenticate
from resolvers.context import Principal, Services


def report_store_from_settings(settings: Settings) -> ReportStore:
    """S3 for PSX_REPORTS_URL=s3://..., else a directory ($PSX_DATA_DIR/reports by default)."""
    s3 = S3Config(
        url=settings.reports_url or "",
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )
    return make_report_store(settings.reports_url, settings.data_dir / "reports", s3)


async def _caller(services: Services, request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await authenticate(services.security, token.strip(), services.security.now())


async def download_report(request: Request) -> Response:
    """The file as an attachment; 403 for an expired or tampered link or a signed-in caller
    who is not the owner (a bad token too), 404 when the object is gone."""
    services: Services = request.app.state.services
    try:
        user = await _caller(services, request)
    except DomainError:
        return PlainTextResponse("Forbidden.", status_code=403)
    try:
        found = await portfolio_reports.download_report(
            services,
            request.path_params["key"],
            expires=request.query_params.get("expires", ""),
            given=request.query_params.get("signature", ""),
            user=user,
        )
    except portfolio_reports.DownloadRefusedError as refused:
        return PlainTextResponse(str(refused), status_code=refused.status)
    return Response(
        found.body,
        media_type=found.media_type,
        headers={
            "content-disposition": f'attachment; filename="{found.filename}"',
            "cache-control": "private, no-store",
        },
    )
