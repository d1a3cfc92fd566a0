"""GraphiQL as partners use it: a real server, a real headless Chromium over the DevTools protocol.

The browser test needs Chromium (Debian's `chromium`, or PSX_CHROMIUM naming a binary) and the
assets of `deploy/graphiql/install.sh`; `.ci/run` installs both, and under CI a missing one
fails the test rather than skipping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from api.graphiql import CDN, assets_installed, content_security_policy, render_page
from api.settings import Environment, Settings
from tests.e2e.conftest import serve_live

HTML = {"accept": "text/html"}
PASSWORD = "correct horse battery staple"


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://")


def chromium_binary() -> str | None:
    return os.environ.get("PSX_CHROMIUM") or shutil.which("chromium")


def require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


async def test_page_is_self_hosted_with_a_strict_policy(live_engine: AsyncEngine) -> None:
    require(assets_installed(), "GraphiQL assets not installed: sh deploy/graphiql/install.sh")
    async with serve_live(live_engine) as server, httpx.AsyncClient() as http:
        page = await http.get(http_url(server.url), headers=HTML)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "connect-src 'self' ws: wss:" in csp
        assert CDN not in csp
        assert CDN not in page.text
        assert "<script>" not in page.text  # no inline script
        for src in ("graphiql/graphiql.min.js", "graphiql/graphiql.min.css", "psx-graphiql.js"):
            asset = await http.get(
                f"{http_url(server.url).removesuffix('/graphql')}/graphiql-assets/{src}"
            )
            assert asset.status_code == 200, src


def test_without_installed_assets_the_page_uses_the_cdn_with_integrity() -> None:
    page = render_page(self_hosted=False)
    assert f'src="{CDN}/graphiql@3.8.3/graphiql.min.js" integrity="sha384-' in page
    assert "/graphiql-assets/psx-graphiql.js" in page  # the bootstrap is always ours
    assert f"script-src 'self' {CDN};" in content_security_policy(self_hosted=False)


async def test_graphiql_and_introspection_can_be_turned_off(live_engine: AsyncEngine) -> None:
    settings = Settings(environment=Environment.TEST, graphiql=False, introspection=False)
    async with serve_live(live_engine, settings=settings) as server, httpx.AsyncClient() as http:
        base = http_url(server.url)
        page = await http.get(base, headers=HTML)
        assert not page.headers.get("content-type", "").startswith("text/html")
        assets = await http.get(base.removesuffix("/graphql") + "/graphiql-assets/psx-graphiql.js")
        assert assets.status_code == 404
        answer = await http.post(base, json={"query": "{ __schema { queryType { name } } }"})
        assert answer.json().get("data") is None
        assert answer.json()["errors"]


class DevTools:
    """One page of a headless Chromium, driven over the Chrome DevTools Protocol."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        frame = orjson.dumps({"id": self.last_id, "method": method, "params": params})
        await self.ws.send(frame.decode())  # DevTools takes text frames only
        while True:
            message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), 60))
            if message.get("id") == self.last_id:
                assert "error" not in message, message["error"]
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def wait_for(self, expression: str, attempts: int = 600) -> Any:
        """Poll until `expression` is truthy (a bound on attempts, not a timing assertion)."""
        for _ in range(attempts):
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"never became true: {expression}")

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def console_errors(self) -> list[str]:
        return [
            e["params"]["entry"]["text"]
            for e in self.events
            if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
        ]


@contextlib.asynccontextmanager
async def chromium(binary: str, profile: Path) -> AsyncIterator[DevTools]:
    process = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.is_file() and port_file.read_text().count("\n") >= 1:
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            yield DevTools(ws)
    finally:
        process.terminate()
        await process.wait()


SET_QUERY = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue({})"
RESPONSE = "(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() || '')"


async def open_graphiql(page: DevTools, url: str) -> None:
    """Load GraphiQL in a desktop-sized viewport and wait for its editor."""
    for domain in ("Network", "Log", "Page", "Runtime"):
        await page.call(f"{domain}.enable")
    await page.call(
        "Emulation.setDeviceMetricsOverride",
        width=1280,
        height=800,
        deviceScaleFactor=1,
        mobile=False,
    )
    await page.call("Page.navigate", url=url)
    await page.wait_for("!!document.querySelector('.graphiql-query-editor .CodeMirror')")


async def run_operation(page: DevTools, query: str, *, shows: str) -> dict[str, Any]:
    """Type `query` into the editor, press run, and return the result once it shows `shows`."""
    await page.evaluate(SET_QUERY.format(orjson.dumps(query).decode()))
    # GraphiQL takes the operation name from the parsed editor, as the tab's title shows.
    title = "untitled" if query.lstrip().startswith("{") else query.split()[1].split("(")[0]
    await page.wait_for(
        f"document.querySelector('.graphiql-tab-active')?.innerText.includes({orjson.dumps(title).decode()})"
    )
    await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    text = await page.wait_for(f"{RESPONSE}.includes({orjson.dumps(shows).decode()}) && {RESPONSE}")
    result: dict[str, Any] = orjson.loads(text)
    return result


async def test_a_quote_query_runs_in_graphiql_in_chromium(
    live_engine: AsyncEngine, tmp_path: Path
) -> None:
    binary = chromium_binary()
    require(binary is not None, "no chromium: apt-get install -y chromium")
    require(assets_installed(), "GraphiQL assets not installed: sh deploy/graphiql/install.sh")
    assert binary is not None
    async with serve_live(live_engine) as server, chromium(binary, tmp_path) as page:
        # Given GraphiQL loaded from our server
        await open_graphiql(page, http_url(server.url))
        # the preloaded examples are tabs
        assert await page.wait_for("document.querySelectorAll('.graphiql-tab').length") >= 4
        # the docs explorer reads our descriptions from introspection
        await page.evaluate(
            "document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()"
        )
        await page.wait_for(
            "!!document.querySelector('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name')"
        )
        await page.evaluate(
            "document.querySelector('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name')"
            ".click()"
        )
        await page.wait_for(
            "document.querySelector('.graphiql-doc-explorer').innerText"
            ".includes('The latest quote of a symbol')"
        )
        # When a quote query is typed and run, then the result pane shows it
        data = await run_operation(page, '{ quote(symbol: "OGDC") { symbol last } }', shows="OGDC")
        assert data["data"]["quote"]["symbol"] == "OGDC"
        assert data["data"]["quote"]["last"] > 0
        await page.evaluate("1")  # collect the events so far
        urls = page.requested_urls()
        assert any(u.endswith("/graphiql-assets/graphiql/graphiql.min.js") for u in urls)
        assert not [u for u in urls if u.startswith(CDN)]
        assert not [u for u in urls if not u.startswith(("http://127.0.0.1", "data:", "about:"))]
        assert not [e for e in page.console_errors() if "Content Security Policy" in e]


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { tokens { accessToken } errors { field message code } }
}
"""


async def test_bearer_token_and_subscriptions_in_graphiql(
    live_engine: AsyncEngine, tmp_path: Path
) -> None:
    binary = chromium_binary()
    require(binary is not None, "no chromium: apt-get install -y chromium")
    require(assets_installed(), "GraphiQL assets not installed: sh deploy/graphiql/install.sh")
    assert binary is not None
    async with serve_live(live_engine) as server, chromium(binary, tmp_path) as page:
        async with httpx.AsyncClient() as http:
            email = f"partner.{uuid.uuid4().hex[:10]}@example.pk"
            answer = await http.post(
                http_url(server.url),
                json={
                    "query": REGISTER,
                    "variables": {
                        "input": {"email": email, "password": PASSWORD, "displayName": "Partner"}
                    },
                },
            )
        token = answer.json()["data"]["register"]["tokens"]["accessToken"]
        await open_graphiql(page, http_url(server.url))
        # Given a bearer token in the headers editor
        await page.evaluate(
            "[...document.querySelectorAll('.graphiql-editor-tools button')]"
            ".find(b => b.innerText.trim() === 'Headers').click()"
        )
        headers = orjson.dumps(orjson.dumps({"Authorization": f"Bearer {token}"}).decode()).decode()
        await page.wait_for(
            "!!document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror')"
        )
        await page.evaluate(
            "document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror')"
            f".CodeMirror.setValue({headers})"
        )
        # When a query of the signed-in user runs, then it is answered for that user
        data = await run_operation(page, "query Me { me { email } }", shows="email")
        assert data["data"]["me"]["email"].lower() == email.lower()
        # When a subscription runs and OGDC trades, then the trade streams into the result pane
        price = live_price_up(server.last("OGDC"))
        await page.evaluate(
            SET_QUERY.format(
                orjson.dumps(
                    'subscription Live { quotes(symbols: ["OGDC"]) { symbol last } }'
                ).decode()
            )
        )
        await page.wait_for(
            "document.querySelector('.graphiql-tab-active')?.innerText.includes('Live')"
        )
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        await server.wait_subscribers(1)
        await server.trade("OGDC", price, 300)
        text = await page.wait_for(
            f"{RESPONSE}.includes({orjson.dumps(str(float(price))).decode()}) && {RESPONSE}"
        )
        assert orjson.loads(text)["data"]["quotes"] == {"symbol": "OGDC", "last": float(price)}


def live_price_up(last: Decimal) -> str:
    """A price five ticks above `last`, inside the circuit limits."""
    return str(last + Decimal("0.05"))
