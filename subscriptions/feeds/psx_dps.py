"""The `psx-dps` feed: live trades polled from the PSX Data Portal (dps.psx.com.pk).

The feed asks `GET /timeseries/int/{SYMBOL}` for each symbol in turn, at most one request
every `min_interval` seconds (PSX.md asks for about one request per 350-500 ms), and hands
the trades it has not sent before to the ingester.

The portal's access gate (PSX.md, section 2) wants a browser User-Agent,
`X-Requested-With: XMLHttpRequest` and a rotating `X-Req-Id` token that the root page carries
in `window.__ps = {"_k": "..."}`; a 403 means the token has rotated, so the feed scrapes it
again once and retries. The token is a credential of sorts: it is never logged.

A response lists the last session or two of trades, newest first, with whole-second
timestamps. Trades in the same second are told apart by `seq`, their position within that
second counted oldest first, so the same response always yields the same (at, seq) and a
trade that arrives later in an already-seen second gets the next number.

PSX terms restrict systematic retrieval; production use needs a market-data licence.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import orjson

from domain.markets.quotes import QuoteState
from domain.markets.ticks import Tick

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://dps.psx.com.pk"
# Non-browser agents (curl, python-requests, node) get a 404 from the gate.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PRICE_STEP = Decimal("0.01")
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 60.0
IDLE_WAIT = 5.0  # seconds between looks at an empty symbol list

_TOKEN = re.compile(r"""window\.__ps\s*=\s*\{[^}]*?["']?_k["']?\s*:\s*["']([^"']+)["']""")

Cursor = tuple[datetime, int]


class DpsError(Exception):
    """A failed exchange with the portal; `kind` is the counter it is booked under.

    Messages are written by this module and never carry the access token.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class DpsTrade:
    """One row of `/timeseries/int/{SYMBOL}`."""

    at: datetime
    price: Decimal
    volume: int


@dataclass(slots=True)
class DpsStats:
    """Counters for the feed: requests made, answers used, and failures by kind."""

    requests: int = 0
    polls: int = 0
    ticks: int = 0
    not_found: int = 0
    token_fetches: int = 0
    gave_up: int = 0
    bad_rows: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class QuoteSink(Protocol):
    """What the feed needs of the ingester (`subscriptions.ingest.Ingester` is one)."""

    @property
    def states(self) -> Mapping[str, QuoteState]:
        """The current quote per symbol."""
        ...

    async def ingest(self, ticks: Sequence[Tick]) -> list[QuoteState]:
        """Apply a batch of ticks."""
        ...

    async def tick_clock(self) -> None:
        """Publish market-state changes that happen without trades."""
        ...


def scrape_token(html: str) -> str | None:
    """The `X-Req-Id` token from the root page's `window.__ps = {"_k": "..."}`, if present."""
    found = _TOKEN.search(html)
    return found.group(1) if found else None


def _number(value: Any) -> bool:
    # JSON true/false decode to bool, which Python counts as int.
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_row(row: Any) -> DpsTrade | None:
    """One `[unix_ts, price, volume]` row as a trade, or None when it is malformed."""
    if not isinstance(row, list) or len(row) < 3 or not all(_number(v) for v in row[:3]):
        return None
    ts, price, volume = row[0], row[1], row[2]
    if not float(volume).is_integer():
        return None
    try:
        at = datetime.fromtimestamp(ts, tz=UTC)
        # str() first: Decimal(float) would carry the binary error (271.1 → 271.0999…).
        value = Decimal(str(price)).quantize(PRICE_STEP, rounding=ROUND_HALF_UP)
    except (OverflowError, OSError, ValueError, InvalidOperation):
        return None
    return DpsTrade(at=at, price=value, volume=int(volume))


def parse_timeseries(body: bytes | str) -> tuple[list[DpsTrade], int]:
    """A `/timeseries/int/{SYMBOL}` body as trades, oldest first, and the count of bad rows.

    Rows come newest first; the order is reversed and then sorted stably by time, so trades
    in the same second keep their arrival order whatever the portal does.

    Raises:
        DpsError: when the body is not JSON, not the documented shape, or `status != 1`.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DpsError("bad_response", "response is not JSON") from exc
    if not isinstance(doc, dict):
        raise DpsError("bad_response", "response is not a JSON object")
    if doc.get("status") != 1:
        message = str(doc.get("message", ""))[:200]
        raise DpsError("status", f"status {doc.get('status')!r} ({message!r})")
    rows = doc.get("data")
    if not isinstance(rows, list):
        raise DpsError("bad_response", "response has no data list")
    trades = [t for t in (parse_row(r) for r in reversed(rows)) if t is not None]
    trades.sort(key=lambda t: t.at)
    return trades, len(rows) - len(trades)


def ticks_after(symbol: str, trades: Sequence[DpsTrade], after: Cursor | None) -> list[Tick]:
    """The trades (oldest first) as ticks, keeping only those after `after` in (at, seq) order.

    `seq` is the trade's position within its second, so (at, seq) rises strictly and is the
    same every time the same response is read.
    """
    out: list[Tick] = []
    previous: datetime | None = None
    index = 0
    for trade in trades:
        index = index + 1 if trade.at == previous else 0
        previous = trade.at
        if after is None or (trade.at, index) > after:
            out.append(Tick(symbol, trade.price, trade.volume, trade.at, index))
    return out


def backoff_delay(failures: int, rng: random.Random) -> float:
    """Seconds to wait after `failures` failures in a row (1 or more).

    The ceiling doubles from 0.5 s to at most 60 s; the wait is drawn between half the
    ceiling and the ceiling ("equal jitter"), so retries never fall into lockstep.
    """
    doublings = min(max(failures, 1) - 1, 16)  # bounded: 2.0**n overflows for a long outage
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2.0**doublings)
    return ceiling / 2 + rng.random() * ceiling / 2


class DpsFeed:
    """Polls the PSX Data Portal's intraday trades, symbol after symbol, until cancelled.

    Args:
        base_url: The portal's root; tests point it at a loopback address.
        symbols: Symbols to poll, in this order; None means every symbol the ingester
            holds a quote for, re-read each cycle.
        min_interval: The least number of seconds between two requests (token scrapes
            included).
        client: An HTTP client to use (and leave open); None makes one, closed by `run`'s
            end or `aclose`.
        sleep: How to wait: backoff and the rate limit go through it, so tests need not.
        monotonic: The clock the rate limit reads.
        rng: The source of backoff jitter.
        max_attempts: Tries per symbol per cycle before it is skipped until the next cycle.
        timeout: Seconds allowed per request (at most 5 of them to connect).
    """

    name = "psx-dps"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        symbols: Sequence[str] | None = None,
        *,
        min_interval: float = 0.4,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_attempts: int = 4,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.symbols = list(symbols) if symbols is not None else None
        self.min_interval = min_interval
        self.max_attempts = max(1, max_attempts)
        self.stats = DpsStats()
        self._client = client
        self._owns_client = client is None
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._token: str | None = None
        self._last_request: float | None = None
        self._failures = 0  # in a row, across symbols: an outage keeps backing off
        self._sent: dict[str, Cursor] = {}

    async def run(self, ingester: QuoteSink) -> None:
        """Poll every symbol in turn until cancelled (the ingester's symbols by default)."""
        log.info("psx-dps: polling %s every %.2f s", self.base_url, self.min_interval)
        try:
            while True:
                if not self._symbols_for(ingester):
                    await self._sleep(IDLE_WAIT)
                    continue
                await self.run_cycle(ingester)
        finally:
            await self.aclose()

    async def run_cycle(self, ingester: QuoteSink) -> int:
        """Poll each symbol once; returns how many ticks went to the ingester."""
        sent = 0
        for symbol in self._symbols_for(ingester):
            sent += len(await self.poll(ingester, symbol))
        return sent

    async def poll(self, ingester: QuoteSink, symbol: str) -> list[Tick]:
        """Fetch one symbol's trades and ingest those not sent before; returns them."""
        trades = await self._fetch_trades(symbol)
        ticks = [] if trades is None else ticks_after(symbol, trades, self._after(ingester, symbol))
        if ticks:
            try:
                await ingester.ingest(ticks)
            except Exception:
                # The cursor stays put, so these trades go again on the next poll; the
                # ingester tells a repeat by (at, seq) if part of the batch did land.
                self.stats.errors["ingest"] += 1
                log.exception("psx-dps: ingesting %d %s trades failed", len(ticks), symbol)
                await self._back_off("ingest", symbol, 0)
                return []
            last = ticks[-1]
            self._sent[symbol] = (last.at, last.seq)
            self.stats.ticks += len(ticks)
        await ingester.tick_clock()
        return ticks

    async def aclose(self) -> None:
        """Close the HTTP client if the feed made it (an injected one is the caller's)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _symbols_for(self, ingester: QuoteSink) -> list[str]:
        # Read each cycle, so symbols listed after the feed starts are picked up.
        return self.symbols if self.symbols is not None else sorted(ingester.states)

    def _after(self, ingester: QuoteSink, symbol: str) -> Cursor | None:
        """The later of what the feed sent and what the ingester already holds."""
        marks = [self._sent[symbol]] if symbol in self._sent else []
        state = ingester.states.get(symbol)
        if state is not None:
            # (at, seq) is the ingester's own order: anything not above it would be refused.
            marks.append((state.updated_at, state.seq))
        return max(marks) if marks else None

    async def _fetch_trades(self, symbol: str) -> list[DpsTrade] | None:
        """The symbol's trades, or None after a 404 or when every attempt failed."""
        url = f"{self.base_url}/timeseries/int/{quote(symbol, safe='')}"
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self._get_gated(url)
                if response.status_code == 404:
                    self._failures = 0
                    self.stats.not_found += 1
                    log.info("psx-dps: %s not found; skipped this cycle", symbol)
                    return None
                if response.status_code != 200:
                    code = response.status_code
                    raise DpsError(f"http_{code}", f"HTTP {code}")
                trades, bad = parse_timeseries(response.content)
            except DpsError as exc:
                kind, detail = exc.kind, str(exc)
            except httpx.TimeoutException as exc:
                kind, detail = "timeout", type(exc).__name__
            except httpx.HTTPError as exc:
                kind, detail = "transport", type(exc).__name__
            else:
                self._failures = 0
                self.stats.polls += 1
                if bad:
                    self.stats.bad_rows += bad
                    log.warning("psx-dps: %d malformed rows for %s skipped", bad, symbol)
                return trades
            self.stats.errors[kind] += 1
            log.warning("psx-dps: %s for %s (attempt %d)", detail, symbol, attempt)
            # A wait after the last attempt too: during an outage the next symbol's request
            # must not come at the full polling rate.
            await self._back_off(kind, symbol, attempt)
        self.stats.gave_up += 1
        log.warning("psx-dps: %s skipped this cycle after %d attempts", symbol, self.max_attempts)
        return None

    async def _back_off(self, kind: str, symbol: str, attempt: int) -> None:
        self._failures += 1
        delay = backoff_delay(self._failures, self._rng)
        log.debug("psx-dps: backing off %.2f s (%s, %s, attempt %d)", delay, kind, symbol, attempt)
        await self._sleep(delay)

    async def _get_gated(self, url: str) -> httpx.Response:
        """GET a gated endpoint; on a 403 scrape a fresh token once and try again."""
        token = self._token or await self._refresh_token()
        response = await self._request(url, self._xhr_headers(token))
        if response.status_code == 403:
            log.info("psx-dps: 403; fetching a fresh access token")
            response = await self._request(url, self._xhr_headers(await self._refresh_token()))
        return response

    async def _refresh_token(self) -> str:
        self._token = None
        self.stats.token_fetches += 1
        # A page navigation, as a browser makes it: no X-Requested-With.
        headers = {
            "User-Agent": BROWSER_USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        }
        response = await self._request(f"{self.base_url}/", headers)
        if response.status_code != 200:
            raise DpsError(
                f"http_{response.status_code}", f"root page: HTTP {response.status_code}"
            )
        token = scrape_token(response.text)
        if token is None:
            raise DpsError("no_token", "root page carries no access token")
        self._token = token
        return token

    def _xhr_headers(self, token: str) -> dict[str, str]:
        return {
            "User-Agent": BROWSER_USER_AGENT,
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "X-Requested-With": "XMLHttpRequest",
            "X-Req-Id": token,
            "Referer": f"{self.base_url}/",
        }

    async def _request(self, url: str, headers: dict[str, str]) -> httpx.Response:
        await self._throttle()
        client = self._http()
        request = client.build_request("GET", url, headers=headers, timeout=self._timeout)
        # An injected client may carry default headers; a foreign Origin gets a 403.
        request.headers.pop("Origin", None)
        self.stats.requests += 1
        return await client.send(request)

    async def _throttle(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - self._monotonic()
            if wait > 0:
                await self._sleep(wait)
        self._last_request = self._monotonic()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client
