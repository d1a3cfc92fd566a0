"""Risk's risk-free rate: the server's SBP policy rate setting unless the query names one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import numpy as np
import pytest

from api.app import create_app
from api.settings import Environment, Settings
from domain.portfolios.risk import SESSIONS_PER_YEAR
from tests.api.conftest import Api
from tests.api.test_portfolios import _call, _create, _record, _token

RISK = """
query P($id: UUID!, $rf: Float) {
  portfolio(id: $id) {
    performance(range: Y1) { series { dailyReturn } }
    risk(range: Y1, riskFreeRate: $rf) { riskFreeRate sharpe }
  }
}
"""


def _sharpe(returns: list[float], annual_rate: float) -> float:
    r = np.array(returns) - ((1 + annual_rate) ** (1 / SESSIONS_PER_YEAR) - 1)
    return float(r.mean() / r.std(ddof=1) * np.sqrt(SESSIONS_PER_YEAR))


@pytest.fixture
async def api_at_20pct(api: Api) -> AsyncIterator[Api]:
    """The same services (and keys) as `api`, with the SBP policy rate set to 20%."""
    settings = Settings(environment=Environment.TEST, sbp_policy_rate=20.0)
    own = replace(api.services, risk_free_rate=settings.sbp_policy_rate / 100)
    app = create_app(settings, services=own)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, own)


def test_the_setting_is_read_from_the_environment_in_percent() -> None:
    assert Settings.from_env({}).sbp_policy_rate == 10.5
    assert Settings.from_env({"PSX_SBP_POLICY_RATE": "12.25"}).sbp_policy_rate == 12.25


async def test_the_policy_rate_setting_is_sharpes_default_and_the_argument_overrides_it(
    api: Api, api_at_20pct: Api
) -> None:
    token = await _token(api)
    portfolio_id = await _create(api, token)
    entry = {
        "type": "BUY",
        "tradeDate": "2025-01-06",
        "symbol": "HUBC",
        "quantity": 100,
        "price": "120.00",
    }
    assert (await _record(api, token, portfolio_id, **entry))["errors"] == []
    default = (await _call(api, RISK, {"id": portfolio_id}, token))["portfolio"]
    returns = [
        p["dailyReturn"] for p in default["performance"]["series"] if p["dailyReturn"] is not None
    ]
    assert default["risk"]["riskFreeRate"] == pytest.approx(0.105)
    assert default["risk"]["sharpe"] == pytest.approx(_sharpe(returns, 0.105), rel=1e-9)

    configured = (await _call(api_at_20pct, RISK, {"id": portfolio_id}, token))["portfolio"]
    assert configured["risk"]["riskFreeRate"] == pytest.approx(0.20)
    assert configured["risk"]["sharpe"] == pytest.approx(_sharpe(returns, 0.20), rel=1e-9)
    assert configured["risk"]["sharpe"] < default["risk"]["sharpe"]

    overridden = await _call(api_at_20pct, RISK, {"id": portfolio_id, "rf": 0.05}, token)
    assert overridden["portfolio"]["risk"]["riskFreeRate"] == pytest.approx(0.05)
    assert overridden["portfolio"]["risk"]["sharpe"] == pytest.approx(
        _sharpe(returns, 0.05), rel=1e-9
    )
