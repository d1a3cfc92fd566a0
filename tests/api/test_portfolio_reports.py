"""exportPortfolioReport through GraphQL: CSV and PDF statements stored and downloaded through
signed, time-limited links; expired, tampered and other users' links refused (403); S3
storage against a local S3 server (moto)."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from pypdf import PdfReader

from api.app import create_app
from api.settings import Environment, Settings
from db.storage import S3Config, S3ReportStore
from domain.portfolios.reports_links import signature
from resolvers.context import Reports
from tests.api.conftest import Api
from tests.api.test_portfolios import _call, _create, _hubc_statement, _token

EXPORT = """
mutation E($p: UUID!, $f: ReportFormat!, $r: PerformanceRange) {
  exportPortfolioReport(portfolioId: $p, format: $f, range: $r) {
    report { url expiresAt format sizeBytes } errors { field message code }
  }
}
"""


async def _export(api: Api, token: str, portfolio_id: str, fmt: str, rng: str = "ALL") -> Any:
    data = await _call(api, EXPORT, {"p": portfolio_id, "f": fmt, "r": rng}, token)
    return data["exportPortfolioReport"]


def _parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path.removeprefix("/reports/"), int(query["expires"][0]), query["signature"][0]


async def test_a_csv_statement_downloads_through_its_link_with_cgt_by_tax_year(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    result = await _export(api, token, portfolio_id, "CSV")
    assert result["errors"] == []
    report = result["report"]
    assert report["format"] == "CSV" and report["url"].startswith("http://test/reports/")
    response = await api.http.get(report["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="psx-')
    assert len(response.content) == report["sizeBytes"]
    text = response.text
    # FIFO gain of the fixture statement (test_portfolios), lots bought in 2025: 15%.
    assert "2024-25,3651.13,0.00,3651.13,547.67\n" in text
    assert "HUBC,150,135.75," in text  # the 150 left of the second lot
    for section in ("# Holdings", "# Transactions", "# Realised gains", "# Dividends"):
        assert f"\n{section}\n" in text
    assert "\n# Equity curve\n" in text and ",KSE100," in text


async def test_a_pdf_statement_holds_the_sections_and_the_chart(api: Api) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token, "Long term")
    await _hubc_statement(api, token, portfolio_id)
    report = (await _export(api, token, portfolio_id, "PDF", "Y3"))["report"]
    response = await api.http.get(report["url"], headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "Portfolio statement: Long term",
        "Holdings",
        "Capital gains tax by tax year",
        "2024-25",
        "547.67",
        "Equity curve against the benchmark",
        "KSE100",
        "Dividends",
    ):
        assert expected in text, expected


async def test_expired_tampered_and_other_users_links_are_forbidden(api: Api) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    await _hubc_statement(api, owner, portfolio_id)
    report = (await _export(api, owner, portfolio_id, "CSV"))["report"]
    key, expires, sig = _parts(report["url"])
    secret = api.services.reports.secret
    past = int(time.time()) - 1
    theirs_id = await _create(api, other, "Theirs")
    theirs = (await _export(api, other, theirs_id, "CSV"))["report"]
    their_key, their_expires, their_sig = _parts(theirs["url"])
    refused = [
        f"/reports/{key}?expires={past}&signature={signature(secret, key, past)}",  # expired
        f"/reports/{key}?expires={expires + 3600}&signature={sig}",  # longer life
        f"/reports/{key}?expires={expires}&signature={'0' * 64}",  # forged
        f"/reports/{key}?expires={expires}",  # unsigned
        # Another user's signature pointed at the owner's key.
        f"/reports/{key}?expires={their_expires}&signature={their_sig}",
        f"/reports/{key.replace('.csv', '.pdf')}?expires={expires}&signature={sig}",
    ]
    for url in refused:
        assert (await api.http.get(url)).status_code == 403, url
    # A valid link shown with another user's token is not theirs.
    other_token = await api.http.get(report["url"], headers={"authorization": f"Bearer {other}"})
    assert other_token.status_code == 403
    assert (await api.http.get(report["url"])).status_code == 200
    assert their_key.split("/")[0] != key.split("/")[0]


async def test_another_users_portfolio_is_not_found_as_none_is(api: Api) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    theirs = await _export(api, other, portfolio_id, "CSV")
    nowhere = await _export(api, other, str(uuid.uuid4()), "CSV")
    assert (
        theirs
        == nowhere
        == {
            "report": None,
            "errors": [
                {"field": "portfolioId", "message": "No such portfolio.", "code": "NOT_FOUND"}
            ],
        }
    )
    assert (await api(EXPORT, {"p": portfolio_id, "f": "CSV"}))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A local S3 server (moto) on a free port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
async def s3_api(api: Api, s3_endpoint: str) -> AsyncIterator[tuple[Api, Any]]:
    """`api`'s services (and keys) with statements kept in a bucket of the local S3 server."""
    config = S3Config("s3://psx-reports/statements", s3_endpoint, "us-east-1", "test", "test")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket="psx-reports")
    own = replace(api.services, reports=Reports(S3ReportStore(config), b"k" * 32))
    app = create_app(Settings(environment=Environment.TEST), services=own)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, own), client


async def test_statements_go_to_s3_and_download_through_the_api(
    s3_api: tuple[Api, Any],
) -> None:
    api, client = s3_api
    token = await _token(api)
    portfolio_id = await _create(api, token)
    await _hubc_statement(api, token, portfolio_id)
    report = (await _export(api, token, portfolio_id, "CSV"))["report"]
    key, _, _ = _parts(report["url"])
    stored = client.get_object(Bucket="psx-reports", Key=f"statements/{key}")
    body = stored["Body"].read()
    assert stored["ContentType"].startswith("text/csv") and len(body) == report["sizeBytes"]
    response = await api.http.get(report["url"])
    assert response.status_code == 200 and response.content == body
    client.delete_object(Bucket="psx-reports", Key=f"statements/{key}")
    assert (await api.http.get(report["url"])).status_code == 404
