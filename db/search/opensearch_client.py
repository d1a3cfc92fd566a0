"""The OpenSearch connection: SEARCH_URL, the async client, bulk writes with retries.

`SEARCH_URL` reads `opensearch://[user:password@]host[:port][/prefix][?options]`; the scheme
`opensearchs://` (or `opensearch+https://`) speaks TLS. Options: `verify_certs=false`,
`ca_certs=<path>`, `timeout=<seconds>` (10), `replicas=<n>` (replicas of the indices made, 1).
The password never reaches a log line: `describe()` gives the URL without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError
from opensearchpy.helpers import async_streaming_bulk

log = logging.getLogger(__name__)

_TLS_SCHEMES = {"opensearchs", "opensearch+https"}
_PLAIN_SCHEMES = {"opensearch", "opensearch+http"}

# Bulk items that leave the index as the outbox wants it: written, or already gone, or already
# holding a newer version of the article.
_SETTLED = {200, 201, 404, 409}


class SearchUnavailableError(Exception):
    """OpenSearch did not answer, or answered for the whole request with a server error."""


@dataclass(frozen=True, slots=True)
class OpenSearchConfig:
    """What SEARCH_URL says."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    url_prefix: str = ""
    verify_certs: bool = True
    ca_certs: str | None = None
    timeout: float = 10.0
    replicas: int = 1

    def describe(self) -> str:
        """The URL for logs: user name shown, password never."""
        who = f"{self.username}:***@" if self.username else ""
        scheme = "opensearchs" if self.tls else "opensearch"
        return f"{scheme}://{who}{self.host}:{self.port}{self.url_prefix}"


def is_opensearch_url(url: str | None) -> bool:
    """True when SEARCH_URL names an OpenSearch cluster."""
    return bool(url) and urlsplit(url or "").scheme in _TLS_SCHEMES | _PLAIN_SCHEMES


def parse_search_url(url: str) -> OpenSearchConfig:
    """Read an `opensearch://` URL.

    Raises:
        ValueError: for another scheme, a missing host or an unknown option.
    """
    parts = urlsplit(url)
    if parts.scheme not in _TLS_SCHEMES | _PLAIN_SCHEMES:
        raise ValueError("SEARCH_URL must start with opensearch:// or opensearchs://")
    if not parts.hostname:
        raise ValueError("SEARCH_URL names no host")
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - {"verify_certs", "ca_certs", "timeout", "replicas"}
    if unknown:
        raise ValueError(f"SEARCH_URL has unknown options: {', '.join(sorted(unknown))}")
    return OpenSearchConfig(
        host=parts.hostname,
        port=parts.port or 9200,
        tls=parts.scheme in _TLS_SCHEMES,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        url_prefix=parts.path.rstrip("/"),
        verify_certs=options.get("verify_certs", "true").lower() not in {"0", "false", "no"},
        ca_certs=options.get("ca_certs") or None,
        timeout=float(options.get("timeout", "10")),
        replicas=int(options.get("replicas", "1")),
    )


def make_client(config: OpenSearchConfig) -> AsyncOpenSearch:
    """The async client (aiohttp) of one cluster endpoint.

    The transport retries a request twice on a refused connection, a timeout, 502, 503 or 504;
    past that the outbox worker backs off and tries the batch again later.
    """
    host: dict[str, Any] = {"host": config.host, "port": config.port}
    if config.url_prefix:
        host["url_prefix"] = config.url_prefix
    kwargs: dict[str, Any] = {
        "hosts": [host],
        "use_ssl": config.tls,
        "verify_certs": config.verify_certs,
        "ssl_show_warn": False,
        "timeout": config.timeout,
        "max_retries": 2,
        "retry_on_timeout": True,
        "retry_on_status": (502, 503, 504),
    }
    if config.ca_certs:
        kwargs["ca_certs"] = config.ca_certs
    if config.username:
        kwargs["http_auth"] = (config.username, config.password or "")
    return AsyncOpenSearch(**kwargs)


def error_text(info: Mapping[str, Any]) -> str:
    """A short reason from a bulk item's `error` (the type and reason OpenSearch gives)."""
    error = info.get("error")
    if isinstance(error, Mapping):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:500]
    return str(error or f"status {info.get('status')}")[:500]


async def bulk_apply(
    client: AsyncOpenSearch,
    actions: Iterable[dict[str, Any]],
    *,
    chunk_size: int = 500,
    max_retries: int = 3,
    initial_backoff: float = 0.5,
) -> dict[str, str | None]:
    """Send bulk actions; the outcome of each by document id: None when settled, else why not.

    Documents the cluster rejects with 429 (queue full) are sent again, backing off from
    `initial_backoff` seconds, doubling, `max_retries` times.

    Raises:
        SearchUnavailableError: when the cluster cannot be reached or fails the whole request.
    """
    outcome: dict[str, str | None] = {}
    try:
        async for _ok, item in async_streaming_bulk(
            client,
            actions,
            chunk_size=chunk_size,
            max_retries=max_retries,
            initial_backoff=initial_backoff,
            max_backoff=30,
            raise_on_error=False,
            raise_on_exception=True,
            yield_ok=True,
        ):
            (_op, info), *_ = item.items()
            status = int(info.get("status", 500))
            outcome[str(info["_id"])] = None if status in _SETTLED else error_text(info)
    except OpenSearchConnectionError as exc:
        raise SearchUnavailableError(f"unreachable: {type(exc).__name__}") from exc
    except TransportError as exc:
        raise SearchUnavailableError(f"status {exc.status_code}: {exc.error}") from exc
    return outcome
