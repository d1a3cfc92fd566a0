"""Object storage of generated statements: a local directory by default, or S3 (MinIO and
other S3-compatible servers through an endpoint URL) when `PSX_REPORTS_URL` is `s3://...`.

Both stores take and return whole objects (statements are small); S3 calls go through boto3
in a worker thread, so the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse


class ReportStore(Protocol):
    """Where statements are kept, by key (`<user id>/<report id>.<ext>`)."""

    async def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store an object (replacing one of the same key)."""

    async def get(self, key: str) -> bytes | None:
        """An object's bytes; None when there is none."""


class LocalReportStore:
    """Files under a directory (`$PSX_DATA_DIR/reports` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("a report key names a file inside the store")
        return path

    def _write(self, key: str, body: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(body)
        partial.replace(path)  # readers never see half a file

    def _read(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    async def put(self, key: str, body: bytes, content_type: str) -> None:  # noqa: ARG002
        """Write the file atomically (a temporary name, then a rename); the type is the
        key's extension's."""
        await asyncio.to_thread(self._write, key, body)

    async def get(self, key: str) -> bytes | None:
        """The file's bytes; None when there is none."""
        return await asyncio.to_thread(self._read, key)


@dataclass(frozen=True, slots=True)
class S3Config:
    """Where an S3 store is: `s3://bucket/prefix`, and optionally its endpoint (MinIO) and
    credentials (otherwise boto3's own chain: environment, profile, instance role)."""

    url: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None


class S3ReportStore:
    """Objects in an S3 bucket under a prefix."""

    def __init__(self, config: S3Config) -> None:
        parsed = urlparse(config.url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError("PSX_REPORTS_URL is s3://bucket/prefix")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        import boto3  # type: ignore[import-untyped]

        self._client: Any = boto3.client(
            "s3",
            endpoint_url=config.endpoint_url,
            region_name=config.region,
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
        )

    def object_key(self, key: str) -> str:
        """The bucket's key of a report key."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def _get(self, key: str) -> bytes | None:
        try:
            found = self._client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except self._client.exceptions.NoSuchKey:
            return None
        body: bytes = found["Body"].read()
        return body

    async def put(self, key: str, body: bytes, content_type: str) -> None:
        """Upload the object."""
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self.object_key(key),
            Body=body,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes | None:
        """Download the object; None when there is none."""
        return await asyncio.to_thread(self._get, key)


def make_report_store(url: str | None, local_root: Path, s3: S3Config | None = None) -> ReportStore:
    """An S3 store for an `s3://` URL (with `s3`'s endpoint and credentials), else a local
    directory: the URL's path (`file:///srv/reports` or a plain path) or `local_root`."""
    if url and url.startswith("s3://"):
        return S3ReportStore(s3 or S3Config(url))
    if url:
        return LocalReportStore(Path(urlparse(url).path if url.startswith("file:") else url))
    return LocalReportStore(local_root)
