"""Cost-based rate limiting: a token bucket per caller and role tier, Shopify style.

Each operation's estimated cost (schema/cost.py) is taken from the caller's bucket before it
runs and the unused part (estimate minus actual cost) given back after it. A bucket holds at
most the tier's `maximum` points and refills at `restore_rate` points a second; callers are
keyed by user id when signed in and by client IP when anonymous (the USER tier). A request
the bucket cannot pay for gets a THROTTLED error, HTTP 429 with `Retry-After` (for both media
types: nothing ran and no data exists, and 429 is what proxies and SDKs back off on), and
nothing runs.

Buckets live in Redis (one hash per caller, updated by one Lua script loaded once and run by
EVALSHA, reloaded on NOSCRIPT, with the server's clock) or, without REDIS_URL, in process with
the same arithmetic. A Redis failure lets the request through (counted in `stats.errors`).
The script runs over one pipelined connection (db/redis_wire.py). A reservation that reaches
Redis also leases up to PSX_RATE_LIMIT_LEASE points for the caller's next operations in this
process (`RateLimiter`), so most operations are paid without a round trip while no caller
ever spends more than its bucket holds across processes.

Every answer carries the IETF draft headers (draft-ietf-httpapi-ratelimit-headers):
`RateLimit-Policy: "<tier>";q=<maximum>;w=<seconds to refill>` and
`RateLimit: "<tier>";r=<points left>;t=<seconds until full>`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from db.redis_wire import WireRedis
from domain.accounts.roles import ENTITLEMENTS, Role
from schema.budget import Throttle

log = logging.getLogger(__name__)

# Points a process leases ahead from a caller's Redis bucket (at most a tenth of the bucket):
# most operations are then paid without a round trip (PSX_RATE_LIMIT_LEASE; 0 turns it off).
LEASE = 50

# KEYS[1]: the bucket. ARGV: maximum, restore rate (points/s), cost (negative: a refund), and
# optionally points wanted beyond the cost (a lease: given as far as the bucket holds them).
# Returns {granted (0/1), points left (a string: Lua numbers reply as integers), extra given}.
BUCKET_SCRIPT = """
local maximum = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4] or '0')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'points', 'ts')
local points = tonumber(state[1])
local ts = tonumber(state[2])
if points == nil then
  points = maximum
  ts = now
end
points = math.min(maximum, points + math.max(0, now - ts) * rate)
local granted = 0
local extra = 0
if cost <= points then
  points = math.min(maximum, points - cost)
  granted = 1
  if wanted > 0 then
    extra = math.floor(math.min(wanted, math.max(0, points)))
    points = points - extra
  end
end
redis.call('HSET', KEYS[1], 'points', tostring(points), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(maximum / rate * 1000) + 1000)
return {granted, tostring(points), extra}
"""


@dataclass(frozen=True, slots=True)
class Tier:
    """A tier's bucket: at most `maximum` points, refilled at `restore_rate` a second."""

    name: str
    maximum: int
    restore_rate: float


def default_tiers() -> dict[Role, Tier]:
    """Each role's bucket from its entitlements: the budget a minute, refilled over a minute."""
    return {
        role: Tier(role.value, e.rate_budget_per_minute, e.rate_budget_per_minute / 60)
        for role, e in ENTITLEMENTS.items()
    }


def parse_tiers(spec: str) -> dict[Role, Tier]:
    """The default tiers with overrides `USER=1000:16.7,PREMIUM=5000:83` (maximum:rate)."""
    tiers = default_tiers()
    for item in spec.split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        maximum, _, rate = value.partition(":")
        role = Role(name.strip().upper())
        tiers[role] = Tier(role.value, int(maximum), float(rate) if rate else int(maximum) / 60)
    return tiers


class Buckets(Protocol):
    """Where buckets are kept; `remote` ones cost a round trip per change."""

    remote: bool

    async def take(self, key: str, tier: Tier, cost: int) -> tuple[bool, float]:
        """Take `cost` points (a negative cost gives them back): granted, and points left."""

    async def take_extra(
        self, key: str, tier: Tier, cost: int, wanted: int
    ) -> tuple[bool, float, int]:
        """As `take`, and when granted up to `wanted` points more, as far as the bucket holds
        them: granted, points left, and the extra points taken."""

    async def close(self) -> None:
        """Release connections."""


class MemoryBuckets:
    """Buckets of one process: the Lua script's arithmetic on a dict (one event loop)."""

    remote = False

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._state: dict[str, tuple[float, float]] = {}
        self._clock = clock

    async def take(self, key: str, tier: Tier, cost: int) -> tuple[bool, float]:
        """As the Lua script; no await between read and write, so it is atomic."""
        granted, points, _ = await self.take_extra(key, tier, cost, 0)
        return granted, points

    async def take_extra(
        self, key: str, tier: Tier, cost: int, wanted: int
    ) -> tuple[bool, float, int]:
        """As the Lua script with a lease wanted."""
        now = self._clock()
        points, ts = self._state.get(key, (float(tier.maximum), now))
        points = min(tier.maximum, points + max(0.0, now - ts) * tier.restore_rate)
        granted = cost <= points
        extra = 0
        if granted:
            points = min(float(tier.maximum), points - cost)
            if wanted > 0:
                extra = math.floor(min(wanted, max(0.0, points)))
                points -= extra
        self._state[key] = (points, now)
        if len(self._state) > 100_000:  # forget the fullest (idle) buckets first
            for stale in [k for k, (p, _) in self._state.items() if p >= tier.maximum][:50_000]:
                del self._state[stale]
        return granted, points, extra

    async def close(self) -> None:
        """Nothing to release."""


class RedisBuckets:
    """Buckets in Redis, each change one EVALSHA of BUCKET_SCRIPT.

    The app's client is `WireRedis` (one pipelined connection); redis-py's client works too.
    """

    remote = True

    def __init__(self, redis: Redis | WireRedis, prefix: str = "ratelimit:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._sha: str | None = None

    async def _load(self) -> str:
        sha: str = await self.redis.script_load(BUCKET_SCRIPT)
        self._sha = sha
        return sha

    async def take(self, key: str, tier: Tier, cost: int) -> tuple[bool, float]:
        """One round trip: EVALSHA, or SCRIPT LOAD and EVALSHA again after a NOSCRIPT."""
        granted, points, _ = await self.take_extra(key, tier, cost, 0)
        return granted, points

    async def take_extra(
        self, key: str, tier: Tier, cost: int, wanted: int
    ) -> tuple[bool, float, int]:
        """As `take`, with a lease wanted (the script's fourth argument)."""
        sha = self._sha or await self._load()
        args = (tier.maximum, tier.restore_rate, cost, wanted)
        try:
            reply = await self.redis.evalsha(sha, 1, self.prefix + key, *args)
        except NoScriptError:  # the server restarted or SCRIPT FLUSH ran
            sha = await self._load()
            reply = await self.redis.evalsha(sha, 1, self.prefix + key, *args)
        granted, points, extra = cast("list[Any]", reply)
        return bool(int(granted)), float(points), int(extra)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


@dataclass(slots=True)
class LimiterStats:
    """Counters for /metrics: throttled operations by tier, and store failures."""

    rejections: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def rejected(self) -> int:
        """All throttled operations."""
        return sum(self.rejections.values())


@dataclass(slots=True)
class Lease:
    """Points a process took from a caller's Redis bucket ahead of use.

    `points` are the caller's own, spent here without a round trip until they run out or the
    lease ends (then what is left goes back). `remote` is the bucket as Redis last reported
    it, at `at` (monotonic), for the caller's `currentlyAvailable`.
    """

    points: float
    remote: float
    at: float
    tier: Tier
    timer: asyncio.TimerHandle | None = None


class RateLimiter:
    """The cost budget of callers (schema/budget.py's `Budget`), with the HTTP headers.

    With `lease` > 0 and Redis buckets, a reservation that reaches Redis also takes up to
    `lease` points more (never more than the bucket holds) for this process to spend on the
    caller's next operations without a round trip; refunds go back to the lease. A lease ends
    `lease_seconds` after it was taken and its unspent points go back to the bucket. Points
    are always taken from Redis before they are spent, so callers never get more than their
    bucket across processes; the price is that a lease's points are kept from the caller's
    other processes for at most `lease_seconds`.
    """

    def __init__(
        self,
        buckets: Buckets,
        tiers: Mapping[Role, Tier] | None = None,
        *,
        lease: int = 0,
        lease_seconds: float = 1.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.buckets = buckets
        self.tiers = dict(tiers or default_tiers())
        self.stats = LimiterStats()
        self.lease = lease if buckets.remote else 0
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._leases: dict[str, Lease] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def caller(self, context: Any) -> tuple[str, Tier]:
        """The bucket key and tier of a request: the user, or the IP when anonymous."""
        user = getattr(context, "user", None)
        if user is not None:
            return f"user:{user.user_id}", self.tiers[user.role]
        client = getattr(context, "client", None)
        return f"ip:{getattr(client, 'ip', None) or 'unknown'}", self.tiers[Role.USER]

    async def reserve(self, context: Any, cost: int) -> Throttle:
        """Take the estimate from the caller's bucket; 429 and Retry-After when it cannot pay."""
        key, tier = self.caller(context)
        if self.lease:
            lease = self._leases.get(key)
            if lease is not None and lease.points >= cost:
                lease.points -= cost
                return self._answer(context, cost, self._leased(lease, tier))
        try:
            throttle = await self._take(key, tier, cost)
        except RedisError:
            log.warning("rate-limit store unavailable: letting the operation through")
            self.stats.errors += 1
            return Throttle(True, tier.maximum, float(tier.maximum), tier.restore_rate, tier.name)
        return self._answer(context, cost, throttle)

    async def _take(self, key: str, tier: Tier, cost: int) -> Throttle:
        if not self.lease:
            granted, points = await self.buckets.take(key, tier, cost)
            return Throttle(granted, tier.maximum, points, tier.restore_rate, tier.name)
        # What the lease holds pays first (taken out now, so that a lease ending during the
        # round trip cannot give the same points back); Redis is asked for the rest and more.
        lease = self._leases.get(key)
        held = 0
        if lease is not None:
            held = math.floor(lease.points)
            lease.points -= held
        try:
            granted, points, extra = await self.buckets.take_extra(
                key, tier, cost - held, min(self.lease, tier.maximum // 10)
            )
        except RedisError:
            self._put_back(key, tier, held)
            raise
        if not granted:
            self._put_back(key, tier, held)
            lease = self._leases.get(key)
            left = min(float(tier.maximum), points + (lease.points if lease is not None else 0))
            return Throttle(False, tier.maximum, left, tier.restore_rate, tier.name)
        now = self._clock()
        lease = self._leases.get(key)  # the same, another request's, or none (it ended)
        if lease is None:
            lease = self._leases[key] = Lease(0.0, points, now, tier)
            lease.timer = asyncio.get_running_loop().call_later(
                self.lease_seconds, self._end_lease, key
            )
        lease.points += extra
        lease.remote, lease.at = points, now
        return self._leased(lease, tier)

    def _put_back(self, key: str, tier: Tier, points: int) -> None:
        """Points taken from a lease and not spent: to the lease, or Redis if it ended."""
        if points <= 0:
            return
        lease = self._leases.get(key)
        if lease is not None:
            lease.points += points
        else:
            self._background(self._give_back(key, tier, points))

    def _leased(self, lease: Lease, tier: Tier) -> Throttle:
        """The caller's bucket as seen from here: Redis's refilled since, plus the lease."""
        refilled = lease.remote + max(0.0, self._clock() - lease.at) * tier.restore_rate
        available = min(float(tier.maximum), refilled + lease.points)
        return Throttle(True, tier.maximum, available, tier.restore_rate, tier.name)

    def _end_lease(self, key: str) -> None:
        lease = self._leases.pop(key, None)
        if lease is not None and lease.points >= 1:
            self._background(self._give_back(key, lease.tier, math.floor(lease.points)))

    def _answer(self, context: Any, cost: int, throttle: Throttle) -> Throttle:
        headers = _headers_of(context)
        if not throttle.allowed:
            name = throttle.policy
            self.stats.rejections[name] = self.stats.rejections.get(name, 0) + 1
            response = getattr(context, "response", None)
            if headers is not None:
                response.status_code = 429  # type: ignore[union-attr]
                headers["retry-after"] = str(throttle.retry_after(cost))
        _rate_headers(headers, throttle)
        return throttle

    async def refund(
        self, context: Any, points: int, after: Throttle | None = None
    ) -> Throttle | None:
        """Give back what the operation did not use.

        With a lease, the points go back to it. Otherwise, given the bucket as the reservation
        left it (`after`), a refund to Redis is sent in the background (off the response's
        path: one Redis round trip instead of two) and the state reported is that plus the
        points; a caller's next reservation can reach Redis before it, which only errs on the
        strict side.
        """
        key, tier = self.caller(context)
        lease = self._leases.get(key) if self.lease else None
        if lease is not None:
            lease.points += points
            throttle = self._leased(lease, tier)
        elif after is not None and self.buckets.remote:
            self._background(self._give_back(key, tier, points))
            left = min(float(tier.maximum), after.available + points)
            throttle = Throttle(True, tier.maximum, left, tier.restore_rate, tier.name)
        else:
            try:
                _, left = await self.buckets.take(key, tier, -points)
            except RedisError:
                self.stats.errors += 1
                return None
            throttle = Throttle(True, tier.maximum, left, tier.restore_rate, tier.name)
        _rate_headers(_headers_of(context), throttle)
        return throttle

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _give_back(self, key: str, tier: Tier, points: int) -> None:
        try:
            await self.buckets.take(key, tier, -points)
        except RedisError:
            self.stats.errors += 1

    async def drain(self) -> None:
        """Wait for refunds still on their way."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def close(self) -> None:
        """Release the store, after returning the leases and the refunds on their way."""
        for key, lease in list(self._leases.items()):
            if lease.timer is not None:
                lease.timer.cancel()
            self._end_lease(key)
        await self.drain()
        await self.buckets.close()


def _headers_of(context: Any) -> Any:
    """The mutable headers of an HTTP request's response (None on a WebSocket)."""
    response = getattr(context, "response", None)
    return getattr(response, "headers", None) if hasattr(response, "status_code") else None


def _rate_headers(headers: Any, throttle: Throttle) -> None:
    if headers is None:
        return
    window = math.ceil(throttle.maximum / throttle.restore_rate)
    until_full = math.ceil((throttle.maximum - throttle.available) / throttle.restore_rate)
    headers["ratelimit-policy"] = f'"{throttle.policy}";q={throttle.maximum};w={window}'
    headers["ratelimit"] = f'"{throttle.policy}";r={int(throttle.available)};t={until_full}'


def make_rate_limiter(
    redis_url: str | None, tiers: Mapping[Role, Tier] | None = None, *, lease: int = LEASE
) -> RateLimiter:
    """Redis buckets when REDIS_URL is set (with leases of `lease` points), in-process ones
    otherwise."""
    if redis_url:
        # One pipelined connection (db/redis_wire.py): a Redis that does not answer lets
        # requests through after 250 ms, never holds them.
        buckets = RedisBuckets(WireRedis.from_url(redis_url, timeout=0.25))
        return RateLimiter(buckets, tiers, lease=lease)
    return RateLimiter(MemoryBuckets(), tiers)
