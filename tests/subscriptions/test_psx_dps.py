"""The `psx-dps` feed against recorded portal responses (tests/fixtures/dps), never the site.

The portal is played by `Portal`, an `httpx.MockTransport` handler that enforces the access
gate PSX.md describes (browser User-Agent, X-Requested-With, the current X-Req-Id, no foreign
Origin), and by one real HTTP server on 127.0.0.1 for the feed's own client.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.markets.quotes import QuoteState
from domain.markets.ticks import Tick
from subscriptions.feeds import Feed
from subscriptions.feeds.psx_dps import (
    BROWSER_USER_AGENT,
    DpsError,
    DpsFeed,
    DpsTrade,
    backoff_delay,
    parse_timeseries,
    scrape_token,
    ticks_after,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dps"
BASE = "http://127.0.0.1:8765"
OGDC = "/timeseries/int/OGDC"
HUBC = "/timeseries/int/HUBC"
T0 = 1758862800  # Fri 26 Sep 2025 10:00:00 PKT, in session 1
YESTERDAY = datetime(2025, 9, 25, 10, 30, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


# A reply: (status, body), or an httpx exception class raised for the request.
Reply = tuple[int, bytes] | type[httpx.TransportError]
ERROR_PAGE = (500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")


class Portal:
    """A recorded DPS: replies per path (the last one repeats) behind the access gate."""

    def __init__(self, routes: dict[str, list[Reply]], clock: FakeTime | None = None) -> None:
        self.routes = {path: list(replies) for path, replies in routes.items()}
        self.token = "abc123"
        self.root = fixture("root.html")
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.clock = clock
        # Set once `watched` has been asked for `watch_count` times.
        self.watched, self.watch_count = "", 0
        self.reached = asyncio.Event()

    def rotate(self, token: str, root: str) -> None:
        """The portal moves to a new token (and its root page shows it)."""
        self.token, self.root = token, fixture(root)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.watched and self.paths().count(self.watched) >= self.watch_count:
            self.reached.set()
        if self.clock is not None:
            self.times.append(self.clock.now)
        assert request.url.host == "127.0.0.1"
        if not request.headers.get("user-agent", "").startswith("Mozilla/"):
            return httpx.Response(404)
        if request.url.path == "/":
            return httpx.Response(200, content=self.root, headers={"content-type": "text/html"})
        gated = (
            request.headers.get("x-requested-with") == "XMLHttpRequest"
            and request.headers.get("x-req-id") == self.token
            and "origin" not in request.headers
        )
        if not gated:
            return httpx.Response(403)
        replies = self.routes.get(request.url.path)
        if not replies:
            return httpx.Response(404, text="Not Found")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, tuple):
            status, body = reply
            return httpx.Response(status, content=body)
        raise reply("recorded failure", request=request)


class FakeTime:
    """A monotonic clock that moves only when the feed sleeps; sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def quote(symbol: str, at: datetime = YESTERDAY, seq: int = 0) -> QuoteState:
    price = Decimal("270.00")
    return QuoteState(symbol, price, price, price, price, price, 0, Decimal(0), 0, at, seq=seq)


@dataclass
class FakeIngester:
    """Takes ticks as the ingester does (the quote moves to the last one) and records them."""

    states: dict[str, QuoteState]
    batches: list[list[Tick]] = field(default_factory=list)
    clock_ticks: int = 0
    fail_next: bool = False

    @classmethod
    def of(cls, *symbols: str) -> FakeIngester:
        return cls({s: quote(s) for s in symbols})

    async def ingest(self, ticks: Sequence[Tick]) -> list[QuoteState]:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("quote store unavailable")
        self.batches.append(list(ticks))
        for t in ticks:
            self.states[t.symbol] = replace(
                self.states[t.symbol], last=t.price, updated_at=t.at, seq=t.seq
            )
        return []

    async def tick_clock(self) -> None:
        self.clock_ticks += 1

    def ticks(self) -> list[Tick]:
        return [t for batch in self.batches for t in batch]


@dataclass
class Rig:
    portal: Portal
    time: FakeTime
    client: httpx.AsyncClient

    def feed(self, **options: Any) -> DpsFeed:
        options.setdefault("min_interval", 0.0)
        return DpsFeed(
            BASE,
            client=self.client,
            sleep=self.time.sleep,
            monotonic=self.time.monotonic,
            rng=random.Random(7),
            **options,
        )


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = FakeTime()
    portal = Portal({OGDC: [(200, fixture("timeseries_int_OGDC_1.json"))]}, clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(portal)) as client:
        yield Rig(portal, clock, client)


# --- pure parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "token"),
    [
        (fixture("root.html").decode(), "abc123"),
        (fixture("root_rotated.html").decode(), "def456"),
        ("<script>window.__ps = {'_k': 'q9'}</script>", "q9"),
        ('<script>window.__ps={_k:"z-1",t:2}</script>', "z-1"),
        ('<script>var other = {"_k":"abc"}</script>', None),
        ("<html><body>maintenance</body></html>", None),
    ],
)
def test_scrape_token_reads_window_ps_key(html: str, token: str | None) -> None:
    assert scrape_token(html) == token


def test_timeseries_rows_newest_first_become_trades_oldest_first() -> None:
    trades, bad = parse_timeseries(fixture("timeseries_int_OGDC_1.json"))

    assert bad == 0
    assert trades == [
        DpsTrade(utc(T0), Decimal("270.95"), 1000),
        DpsTrade(utc(T0 + 30), Decimal("271.10"), 3000),
        DpsTrade(utc(T0 + 62), Decimal("271.20"), 1200),
        DpsTrade(utc(T0 + 62), Decimal("271.18"), 500),
    ]
    assert trades[0].at == datetime(2025, 9, 26, 5, 0, tzinfo=UTC)
    assert all(t.at.tzinfo == UTC for t in trades)
    assert [str(t.price) for t in trades] == ["270.95", "271.10", "271.20", "271.18"]


def test_whole_number_prices_get_two_decimals() -> None:
    trades, _ = parse_timeseries(fixture("timeseries_int_OGDC_2.json"))

    assert trades[-1] == DpsTrade(utc(T0 + 95), Decimal("272.00"), 800)
    assert str(trades[-1].price) == "272.00"


def test_malformed_rows_are_skipped_and_counted() -> None:
    body = (
        b'{"status":1,"data":[[1758862900,271.1,100],[1758862890,271],'
        b'[1758862880,"271.1",100],[1758862870,true,100],[1758862860,271.1,1.5],"row"]}'
    )

    trades, bad = parse_timeseries(body)

    assert trades == [DpsTrade(utc(1758862900), Decimal("271.10"), 100)]
    assert bad == 5


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (fixture("timeseries_int_status0.json"), "status"),
        (b'{"status":"1","data":[]}', "status"),
        (b'{"data":[[1758862900,271.1,100]]}', "status"),
        (b"<html><body>Service Unavailable</body></html>", "bad_response"),
        (b"[[1758862900,271.1,100]]", "bad_response"),
        (b'{"status":1,"data":{"rows":[]}}', "bad_response"),
    ],
)
def test_bad_bodies_raise_dps_error(body: bytes, kind: str) -> None:
    with pytest.raises(DpsError) as caught:
        parse_timeseries(body)

    assert caught.value.kind == kind


def test_trades_in_one_second_are_numbered_and_the_cursor_skips_what_was_sent() -> None:
    trades, _ = parse_timeseries(fixture("timeseries_int_OGDC_2.json"))

    everything = ticks_after("OGDC", trades, None)
    later = ticks_after("OGDC", trades, (utc(T0 + 62), 1))

    assert [(t.at, t.seq) for t in everything] == [
        (utc(T0), 0),
        (utc(T0 + 30), 0),
        (utc(T0 + 62), 0),
        (utc(T0 + 62), 1),
        (utc(T0 + 62), 2),
        (utc(T0 + 95), 0),
    ]
    assert [(t.at, t.seq) for t in everything] == sorted({(t.at, t.seq) for t in everything})
    assert ticks_after("OGDC", trades, None) == everything
    assert [(t.price, t.seq) for t in later] == [(Decimal("271.15"), 2), (Decimal("272.00"), 0)]


def test_backoff_doubles_from_half_a_second_and_stops_at_a_minute() -> None:
    rng = random.Random(1)
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]

    for failures, ceiling in enumerate(ceilings, start=1):
        for _ in range(50):
            assert ceiling / 2 <= backoff_delay(failures, rng) <= ceiling
    assert backoff_delay(10_000, rng) <= 60.0


# --- the feed against the recorded portal -------------------------------------------------


def test_feed_is_named_psx_dps_and_fits_the_feed_protocol() -> None:
    feed: Feed = DpsFeed()

    assert feed.name == "psx-dps"


async def test_first_poll_scrapes_the_token_and_sends_the_gate_headers(rig: Rig) -> None:
    ingester = FakeIngester.of("OGDC")

    await rig.feed().poll(ingester, "OGDC")

    root, series = rig.portal.requests
    assert root.url == httpx.URL(f"{BASE}/")
    assert root.headers["user-agent"] == BROWSER_USER_AGENT
    assert "x-req-id" not in root.headers
    assert series.url == httpx.URL(f"{BASE}{OGDC}")
    assert series.headers["user-agent"] == BROWSER_USER_AGENT
    assert series.headers["user-agent"].startswith("Mozilla/5.0")
    assert series.headers["x-requested-with"] == "XMLHttpRequest"
    assert series.headers["x-req-id"] == "abc123"
    assert "origin" not in series.headers


async def test_token_is_reused_until_the_portal_refuses_it(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")

    await feed.poll(ingester, "OGDC")
    await feed.poll(ingester, "OGDC")

    assert rig.portal.paths() == ["/", OGDC, OGDC]
    assert feed.stats.token_fetches == 1


async def test_an_origin_header_on_an_injected_client_is_never_sent(rig: Rig) -> None:
    transport = httpx.MockTransport(rig.portal)
    headers = {"Origin": "https://example.org"}
    async with httpx.AsyncClient(transport=transport, headers=headers) as client:
        feed = DpsFeed(BASE, client=client, min_interval=0.0, sleep=rig.time.sleep)
        ticks = await feed.poll(FakeIngester.of("OGDC"), "OGDC")

    assert len(ticks) == 4
    assert all("origin" not in r.headers for r in rig.portal.requests)


async def test_a_403_rescrapes_the_token_once_and_retries(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    await feed.poll(ingester, "OGDC")
    rig.portal.routes[OGDC] = [(200, fixture("timeseries_int_OGDC_2.json"))]
    rig.portal.rotate("def456", "root_rotated.html")

    ticks = await feed.poll(ingester, "OGDC")

    assert rig.portal.paths() == ["/", OGDC, OGDC, "/", OGDC]
    assert [r.headers["x-req-id"] for r in rig.portal.requests if r.url.path == OGDC] == [
        "abc123",
        "abc123",
        "def456",
    ]
    assert [(t.price, t.seq) for t in ticks] == [(Decimal("271.15"), 2), (Decimal("272.00"), 0)]
    assert feed.stats.token_fetches == 2
    assert not feed.stats.errors
    assert rig.time.sleeps == []


async def test_a_403_with_a_fresh_token_too_is_an_error_backed_off(rig: Rig) -> None:
    feed = rig.feed(max_attempts=2)
    rig.portal.token = "not-on-the-page"

    ticks = await feed.poll(FakeIngester.of("OGDC"), "OGDC")

    assert ticks == []
    assert rig.portal.paths() == ["/", OGDC, "/", OGDC, OGDC, "/", OGDC]
    assert feed.stats.errors == {"http_403": 2}
    assert feed.stats.gave_up == 1
    assert len(rig.time.sleeps) == 2


async def test_ticks_are_handed_over_oldest_first(rig: Rig) -> None:
    ingester = FakeIngester.of("OGDC")

    ticks = await rig.feed().poll(ingester, "OGDC")

    assert ingester.batches == [ticks]
    assert ticks == [
        Tick("OGDC", Decimal("270.95"), 1000, utc(T0), 0),
        Tick("OGDC", Decimal("271.10"), 3000, utc(T0 + 30), 0),
        Tick("OGDC", Decimal("271.20"), 1200, utc(T0 + 62), 0),
        Tick("OGDC", Decimal("271.18"), 500, utc(T0 + 62), 1),
    ]
    assert ingester.clock_ticks == 1


async def test_polling_the_same_response_again_sends_nothing(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")

    first = await feed.poll(ingester, "OGDC")
    again = await feed.poll(ingester, "OGDC")

    assert len(first) == 4
    assert again == []
    assert len(ingester.batches) == 1
    assert feed.stats.ticks == 4
    assert feed.stats.polls == 2


async def test_a_later_response_sends_only_the_new_trades(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    rig.portal.routes[OGDC] = [
        (200, fixture("timeseries_int_OGDC_1.json")),
        (200, fixture("timeseries_int_OGDC_2.json")),
    ]

    await feed.poll(ingester, "OGDC")
    later = await feed.poll(ingester, "OGDC")

    assert later == [
        Tick("OGDC", Decimal("271.15"), 250, utc(T0 + 62), 2),
        Tick("OGDC", Decimal("272.00"), 800, utc(T0 + 95), 0),
    ]
    sent = [(t.at, t.seq) for t in ingester.ticks()]
    assert sent == sorted(set(sent))


async def test_the_sent_cursor_is_per_symbol(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC", "HUBC")
    rig.portal.routes[HUBC] = [(200, fixture("timeseries_int_HUBC.json"))]

    await feed.poll(ingester, "OGDC")
    hubc = await feed.poll(ingester, "HUBC")

    assert [(t.symbol, t.price, t.seq) for t in hubc] == [
        ("HUBC", Decimal("222.30"), 0),
        ("HUBC", Decimal("222.31"), 0),
    ]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ((utc(T0 + 30), 0), [(utc(T0 + 62), 0), (utc(T0 + 62), 1)]),
        ((utc(T0 + 62), 0), [(utc(T0 + 62), 1)]),
        ((utc(T0 + 62), 1), []),
        ((utc(T0 + 600), 0), []),
    ],
)
async def test_trades_not_newer_than_the_stored_quote_are_skipped(
    rig: Rig, stored: tuple[datetime, int], expected: list[tuple[datetime, int]]
) -> None:
    ingester = FakeIngester({"OGDC": quote("OGDC", *stored)})

    ticks = await rig.feed().poll(ingester, "OGDC")

    assert [(t.at, t.seq) for t in ticks] == expected
    assert ingester.batches == ([ticks] if ticks else [])


async def test_status_other_than_one_is_survived_with_backoff(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    rig.portal.routes[OGDC] = [
        (200, fixture("timeseries_int_status0.json")),
        (200, fixture("timeseries_int_OGDC_1.json")),
    ]

    ticks = await feed.poll(ingester, "OGDC")

    assert len(ticks) == 4
    assert feed.stats.errors == {"status": 1}
    assert len(rig.time.sleeps) == 1
    assert 0.25 <= rig.time.sleeps[0] <= 0.5


async def test_server_errors_are_retried_with_doubling_backoff(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    rig.portal.routes[OGDC] = [
        ERROR_PAGE,
        ERROR_PAGE,
        (503, b""),
        (200, fixture("timeseries_int_OGDC_1.json")),
    ]

    ticks = await feed.poll(ingester, "OGDC")

    assert len(ticks) == 4
    assert feed.stats.errors == {"http_500": 2, "http_503": 1}
    first, second, third = rig.time.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert 1.0 <= third <= 2.0


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.ReadTimeout, "timeout"),
        (httpx.ConnectTimeout, "timeout"),
        (httpx.ConnectError, "transport"),
        (httpx.RemoteProtocolError, "transport"),
    ],
)
async def test_timeouts_and_connection_errors_are_survived(
    rig: Rig, failure: type[httpx.TransportError], kind: str
) -> None:
    feed = rig.feed()
    rig.portal.routes[OGDC] = [failure, (200, fixture("timeseries_int_OGDC_1.json"))]

    ticks = await feed.poll(FakeIngester.of("OGDC"), "OGDC")

    assert len(ticks) == 4
    assert feed.stats.errors == {kind: 1}
    assert len(rig.time.sleeps) == 1


async def test_bad_json_is_survived(rig: Rig) -> None:
    feed = rig.feed()
    rig.portal.routes[OGDC] = [
        (200, b"<html><body>Please wait...</body></html>"),
        (200, fixture("timeseries_int_OGDC_1.json")),
    ]

    ticks = await feed.poll(FakeIngester.of("OGDC"), "OGDC")

    assert len(ticks) == 4
    assert feed.stats.errors == {"bad_response": 1}


async def test_a_symbol_failing_every_attempt_is_skipped_and_the_cycle_goes_on(rig: Rig) -> None:
    feed = rig.feed(max_attempts=3, symbols=["OGDC", "HUBC"])
    ingester = FakeIngester.of("OGDC", "HUBC")
    rig.portal.routes[OGDC] = [ERROR_PAGE]
    rig.portal.routes[HUBC] = [(200, fixture("timeseries_int_HUBC.json"))]

    sent = await feed.run_cycle(ingester)

    assert sent == 2
    assert [t.symbol for t in ingester.ticks()] == ["HUBC", "HUBC"]
    assert rig.portal.paths().count(OGDC) == 3
    assert feed.stats.gave_up == 1
    assert feed.stats.errors == {"http_500": 3}
    assert len(rig.time.sleeps) == 3
    assert ingester.clock_ticks == 2


async def test_a_404_skips_the_symbol_for_this_cycle_without_backoff(rig: Rig) -> None:
    feed = rig.feed(symbols=["NOSUCH", "OGDC"])
    ingester = FakeIngester.of("OGDC")

    sent = await feed.run_cycle(ingester)

    assert sent == 4
    assert rig.portal.paths() == ["/", "/timeseries/int/NOSUCH", OGDC]
    assert feed.stats.not_found == 1
    assert not feed.stats.errors
    assert rig.time.sleeps == []


async def test_a_failed_ingest_sends_the_same_trades_again(rig: Rig) -> None:
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    ingester.fail_next = True

    lost = await feed.poll(ingester, "OGDC")
    resent = await feed.poll(ingester, "OGDC")

    assert lost == []
    assert len(resent) == 4
    assert feed.stats.errors == {"ingest": 1}
    assert len(rig.time.sleeps) == 1


async def test_requests_are_at_least_min_interval_apart(rig: Rig) -> None:
    feed = rig.feed(min_interval=0.4, symbols=["OGDC", "HUBC", "OGDC"])
    rig.portal.routes[HUBC] = [(200, fixture("timeseries_int_HUBC.json"))]

    await feed.run_cycle(FakeIngester.of("OGDC", "HUBC"))

    times = rig.portal.times
    assert len(times) == 4
    assert all(b - a >= 0.4 - 1e-9 for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] == pytest.approx(1.2)


async def test_the_token_never_reaches_the_log(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    feed = rig.feed()
    ingester = FakeIngester.of("OGDC")
    await feed.poll(ingester, "OGDC")
    rig.portal.rotate("def456", "root_rotated.html")
    rig.portal.routes[OGDC] = [ERROR_PAGE, (200, fixture("timeseries_int_status0.json"))]

    await feed.poll(ingester, "OGDC")

    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert "abc123" not in caplog.text
    assert "def456" not in caplog.text


async def test_run_cycles_through_the_ingesters_symbols_until_cancelled(rig: Rig) -> None:
    rig.portal.routes[HUBC] = [(200, fixture("timeseries_int_HUBC.json"))]
    feed = rig.feed(min_interval=0.4)
    ingester = FakeIngester.of("OGDC", "HUBC")

    rig.portal.watched, rig.portal.watch_count = OGDC, 3

    task = asyncio.create_task(feed.run(ingester))
    await asyncio.wait_for(rig.portal.reached.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert rig.portal.paths()[:5] == ["/", HUBC, OGDC, HUBC, OGDC]
    assert sorted({t.symbol for t in ingester.ticks()}) == ["HUBC", "OGDC"]
    assert len(ingester.ticks()) == 6
    assert not rig.client.is_closed


# --- the feed's own client against a real server on the loopback interface ----------------


class RecordedPortal(ThreadingHTTPServer):
    """Serves the recorded root page and OGDC series; keeps each request's headers."""

    seen: list[tuple[str, dict[str, str]]]


class RecordedHandler(BaseHTTPRequestHandler):
    server: RecordedPortal

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        if self.path == "/":
            status, body = 200, fixture("root.html")
        elif self.path == OGDC and self.headers.get("X-Req-Id") == "abc123":
            status, body = 200, fixture("timeseries_int_OGDC_1.json")
        else:
            status, body = 403, b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `seen` instead."""


@pytest.fixture
def loopback() -> Iterator[RecordedPortal]:
    server = RecordedPortal(("127.0.0.1", 0), RecordedHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_the_feeds_own_client_polls_a_loopback_portal(loopback: RecordedPortal) -> None:
    host, port = loopback.server_address[:2]
    feed = DpsFeed(f"http://{host!s}:{port}", ["OGDC"], min_interval=0.0)
    ingester = FakeIngester.of("OGDC")

    try:
        sent = await feed.run_cycle(ingester)
    finally:
        await feed.aclose()

    assert sent == 4
    assert [path for path, _ in loopback.seen] == ["/", OGDC]
    headers = {k.lower(): v for k, v in loopback.seen[1][1].items()}
    assert headers["user-agent"] == BROWSER_USER_AGENT
    assert headers["x-requested-with"] == "XMLHttpRequest"
    assert headers["x-req-id"] == "abc123"
    assert "origin" not in headers
