"""Persisted documents: the APQ store (Redis or in-process) and trusted-document manifests.

Automatic persisted queries are registered by any client, so the store is a cache, not a
safelist: Redis keys expire (`apq:<sha256>` with a TTL, as Apollo Router names them) and the
in-process store is a bounded LRU. Behind a load balancer only the Redis store works: a query
registered on one process must be found by the next request, wherever it lands.

Trusted documents are the safelist: an Apollo persisted-query manifest
(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [...]}`) or a
directory of `<sha256>.graphql` files, loaded at start-up and checked hash by hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sha256_hex(document: str) -> str:
    """The lowercase hex SHA-256 of a document's exact UTF-8 text (APQ's and documentId's)."""
    return hashlib.sha256(document.encode()).hexdigest()


class ApqStore(Protocol):
    """Where automatic persisted queries live, by the SHA-256 of their text."""

    async def get(self, sha256: str) -> str | None:
        """The registered document, or None (unknown, expired or the store unreachable)."""
        ...

    async def put(self, sha256: str, document: str) -> None:
        """Register a document whose hash the caller has checked."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryApqStore:
    """A bounded LRU in this process: the default without REDIS_URL (one process only).

    Bounded by count and by total characters: anyone can register, so memory must not grow
    with what strangers send.
    """

    def __init__(self, *, max_entries: int = 10_000, max_chars: int = 32 << 20) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    async def get(self, sha256: str) -> str | None:
        """The document, marked recently used."""
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        """Register, evicting the least recently used entries past either bound."""
        previous = self._documents.pop(sha256, None)
        self._chars -= len(previous) if previous is not None else 0
        self._documents[sha256] = document
        self._chars += len(document)
        while len(self._documents) > self.max_entries or self._chars > self.max_chars:
            _, evicted = self._documents.popitem(last=False)
            self._chars -= len(evicted)

    def __len__(self) -> int:
        return len(self._documents)

    async def close(self) -> None:
        """Nothing to release."""


class RedisApqStore:
    """Documents in Redis under `<prefix><sha256>` with a TTL, shared by every process.

    A Redis failure, or a read slower than `timeout` (150 ms), is a miss (the client then
    registers the query, and that request runs): persisted queries degrade to full queries
    rather than failing requests. After a failure Redis is skipped for `retry_after` seconds;
    `fail_opens` counts the reads answered without it.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "apq:",
        ttl_seconds: int = 86_400,
        timeout: float = 0.15,
        retry_after: float = 1.0,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.timeout = timeout
        self.retry_after = retry_after
        self.fail_opens = 0
        self._skip_until = 0.0

    async def get(self, sha256: str) -> str | None:
        """The document, or None."""
        if self._skip_until and time.monotonic() < self._skip_until:
            self.fail_opens += 1
            return None
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self.redis.get(self.prefix + sha256)
        except (RedisError, OSError, TimeoutError) as exc:
            self.fail_opens += 1
            self._skip_until = time.monotonic() + self.retry_after
            log.warning("APQ store unreachable on get: %s", type(exc).__name__)
            return None
        self._skip_until = 0.0
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def put(self, sha256: str, document: str) -> None:
        """Register with the TTL (a re-registration refreshes it)."""
        if self._skip_until and time.monotonic() < self._skip_until:
            return
        try:
            async with asyncio.timeout(self.timeout * 3):
                await self.redis.set(self.prefix + sha256, document.encode(), ex=self.ttl_seconds)
        except (RedisError, OSError, TimeoutError) as exc:
            self._skip_until = time.monotonic() + self.retry_after
            log.warning("APQ store unreachable on put: %s", type(exc).__name__)

    async def close(self) -> None:
        """Close the client's connections."""
        await self.redis.aclose()


def make_apq_store(
    redis_url: str | None, *, prefix: str = "apq:", ttl_seconds: int = 86_400, max_entries: int
) -> ApqStore:
    """Redis when a URL is configured, else the in-process LRU."""
    if redis_url:
        # A short timeout: a slow Redis must not hold a request longer than re-sending the query.
        redis = Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return RedisApqStore(redis, prefix=prefix, ttl_seconds=ttl_seconds)
    return MemoryApqStore(max_entries=max_entries)


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One operation of a manifest: `id` is the SHA-256 of `body`."""

    id: str
    body: str
    name: str | None = None
    type: str | None = None


class ManifestError(ValueError):
    """A manifest or document directory that cannot be trusted as given."""


def _checked(doc: TrustedDocument, origin: str) -> TrustedDocument:
    if not SHA256_HEX.fullmatch(doc.id):
        raise ManifestError(f"{origin}: id {doc.id!r} is not a lowercase hex SHA-256")
    if sha256_hex(doc.body) != doc.id:
        raise ManifestError(f"{origin}: id {doc.id} is not the SHA-256 of its body")
    return doc


def parse_manifest(raw: bytes, origin: str = "manifest") -> list[TrustedDocument]:
    """The operations of an Apollo persisted-query manifest, each hash checked.

    Raises:
        ManifestError: wrong format or version, a malformed operation, or a hash mismatch.
    """
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{origin}: not JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{origin}: `format` must be {MANIFEST_FORMAT!r}")
    if doc.get("version") != 1:
        raise ManifestError(f"{origin}: only manifest version 1 is known")
    operations = doc.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{origin}: `operations` must be a list")
    out = []
    for i, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("id"), str):
            raise ManifestError(f"{origin}: operations[{i}] needs a string `id`")
        if not isinstance(op.get("body"), str):
            raise ManifestError(f"{origin}: operations[{i}] needs a string `body`")
        name, kind = op.get("name"), op.get("type")
        out.append(
            _checked(
                TrustedDocument(
                    id=op["id"],
                    body=op["body"],
                    name=name if isinstance(name, str) else None,
                    type=kind if isinstance(kind, str) else None,
                ),
                f"{origin}: operations[{i}]",
            )
        )
    return out


def manifest_json(documents: Iterable[TrustedDocument]) -> bytes:
    """An Apollo persisted-query manifest of `documents`, sorted by name then id."""
    ordered = sorted(documents, key=lambda d: (d.name or "", d.id))
    return orjson.dumps(
        {
            "format": MANIFEST_FORMAT,
            "version": 1,
            "operations": [
                {"id": d.id, "body": d.body, "name": d.name, "type": d.type} for d in ordered
            ],
        },
        option=orjson.OPT_INDENT_2,
    )


def load_directory(path: Path) -> list[TrustedDocument]:
    """Every `<sha256>.graphql` file of a directory; the name must be the content's hash.

    Raises:
        ManifestError: a file named otherwise, or whose content does not hash to its name.
    """
    out = []
    for file in sorted(path.glob("*.graphql")):
        out.append(_checked(TrustedDocument(id=file.stem, body=file.read_text()), str(file)))
    return out


def load_trusted(paths: Iterable[Path]) -> dict[str, TrustedDocument]:
    """Trusted documents by id from manifests (JSON files) and directories.

    Raises:
        ManifestError: any source that does not load or check.
    """
    by_id: dict[str, TrustedDocument] = {}
    for path in paths:
        if path.is_dir():
            documents = load_directory(path)
        elif path.is_file():
            documents = parse_manifest(path.read_bytes(), str(path))
        else:
            raise ManifestError(f"{path}: no such manifest or directory")
        by_id.update((d.id, d) for d in documents)
    return by_id


def trusted_bodies(documents: Mapping[str, TrustedDocument]) -> dict[str, str]:
    """The id → body map the edge looks documents up in."""
    return {k: d.body for k, d in documents.items()}
