"""Cost of authentication: token verification, argon2id, and an authenticated `me` over HTTP.

    python -m bench.auth                      # in-process figures only
    python -m bench.auth --url http://127.0.0.1:8000/graphql --requests 500

With --url it registers a throw-away account on that (loopback) server, then times `me` with
and without the token, sequentially, and `login`.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from domain.accounts import hashing
from domain.accounts.roles import Role
from domain.accounts.tokens import TokenType, issue, verify
from resolvers.context import ephemeral_security

ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def _p50_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def in_process() -> None:
    """Verification and hashing costs, measured here."""
    keys = ephemeral_security().keys
    now = datetime.now(UTC)
    token, _ = issue(
        keys,
        subject=str(uuid.uuid4()),
        role=Role.USER,
        typ=TokenType.ACCESS,
        now=now,
        ttl=timedelta(minutes=15),
    )
    per = _per_call(lambda: verify(keys, token, typ=TokenType.ACCESS, now=now), 20_000)
    print(f"verify access token (HS256, all claims): {per * 1e6:.1f} µs")
    stored = hashing.hash_password("correct horse battery staple")
    hashes = [
        _per_call(lambda: hashing.hash_password("correct horse battery staple"), 1)
        for _ in range(10)
    ]
    verifies = [_per_call(lambda: hashing.verify_password(stored, "wrong"), 1) for _ in range(10)]
    print(f"argon2id hash p50: {_p50_ms(hashes):.1f} ms; verify p50: {_p50_ms(verifies):.1f} ms")


def over_http(url: str, requests: int) -> None:
    """`me` with a token, a public query without one, and `login`, sequentially."""
    if urlsplit(url).hostname not in ALLOWED_HOSTS:
        raise SystemExit("the bench only targets this machine")
    email = f"bench.{uuid.uuid4().hex[:8]}@example.pk"
    password = "bench passphrase long enough"  # noqa: S105 - a throw-away bench account
    with httpx.Client(timeout=10) as http:
        reg = http.post(
            url,
            json={
                "query": (
                    "mutation R($i: RegisterInput!) "
                    "{ register(input: $i) { tokens { accessToken } } }"
                ),
                "variables": {"i": {"email": email, "password": password, "displayName": "Bench"}},
            },
        )
        token = reg.json()["data"]["register"]["tokens"]["accessToken"]
        auth = {"authorization": f"Bearer {token}"}

        def timed(body: dict[str, object], headers: dict[str, str], n: int) -> list[float]:
            out = []
            for _ in range(n):
                start = time.perf_counter()
                response = http.post(url, json=body, headers=headers)
                out.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"HTTP {response.status_code}: {response.text[:200]}")
            return out

        me = timed({"query": "{ me { email role } }"}, auth, requests)
        public = timed({"query": "{ marketStatus { state } }"}, {}, requests)
        login = timed(
            {
                "query": (
                    "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) "
                    "{ tokens { accessToken } } }"
                ),
                "variables": {"e": email, "p": password},
            },
            {},
            9,
        )
    print(f"me (authenticated) p50: {_p50_ms(me):.2f} ms over {requests} requests")
    print(f"marketStatus (anonymous) p50: {_p50_ms(public):.2f} ms")
    print(f"login p50: {_p50_ms(login):.1f} ms")


def main() -> None:
    """Print the figures."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=None)
    p.add_argument("--requests", type=int, default=500)
    args = p.parse_args()
    in_process()
    if args.url:
        over_http(args.url, args.requests)


if __name__ == "__main__":
    main()
