"""Configuration: the one place that reads the environment."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class Environment(enum.StrEnum):
    """Deployment environment; production masks errors and hides the IDE by default."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server can be told.

    Environment variables (all optional): DATABASE_URL, DATABASE_READ_URL (a replica for
    queries), PSX_READ_YOUR_WRITES_SECONDS (a user's queries read the primary this long after
    their last write; 5), REDIS_URL,
    PSX_DATA_DIR, PSX_ENV, PSX_HOST, PSX_PORT, PSX_GRAPHIQL, PSX_INTROSPECTION,
    PSX_DEMO_SEED, PSX_AUTO_SEED, PSX_MAX_CANDLES, PSX_DB_POOL_SIZE, PSX_FEED (simulator,
    replay, psx-dps or none; `serve` runs it in-process), PSX_FEED_SPEED, PSX_FEED_RATE (simulated
    trades per second), PSX_REPLAY_FILE, PSX_DPS_URL, PSX_WS_INIT_TIMEOUT, PSX_WS_MAX_SUBSCRIPTIONS,
    PSX_WS_STUCK_AFTER, PSX_WS_FAST_LANE (the WebSocket fast lane of shared results,
    api/websockets.py; on by default), PSX_RETENTION (`kind=days,...`, see domain/retention.py),
    PSX_RETENTION_EVERY_HOURS (0: not scheduled), PSX_SUBSCRIPTION_MESSAGE_COST (points a
    subscription message costs its caller when rate limited; 0.1), PSX_DRAIN_SECONDS,
    PSX_JWT_KEYS, PSX_JWT_SECRET,
    PSX_TOTP_KEY (see api/keys.py), PSX_SMTP_URL, PSX_SBP_POLICY_RATE (percent a year, the
    default risk-free rate of a portfolio's `risk`; 10.5), PSX_SSL_CERTFILE and PSX_SSL_KEYFILE
    (PEM files: `serve` speaks HTTPS and WSS itself, for direct serving without a TLS proxy).

    Portfolio statements (resolvers/portfolio_reports.py): PSX_REPORTS_URL (`s3://bucket/prefix`
    for S3 or MinIO, else a directory; default `$PSX_DATA_DIR/reports`), PSX_S3_ENDPOINT_URL,
    PSX_S3_REGION, PSX_S3_ACCESS_KEY, PSX_S3_SECRET_KEY (else boto3's own credential chain),
    PSX_REPORTS_KEY (base64 HMAC key of download links; default derived from the TOTP key) and
    PSX_REPORTS_TTL (seconds a download link lives; 3600).

    Search: SEARCH_URL (unset: PostgreSQL full text; `opensearch://[user:password@]host:port`
    or `opensearchs://...` for TLS, options in db/search/opensearch_client.py).

    The HTTP edge (api/edge.py, api/persisted.py): PSX_MAX_BODY_BYTES (POST body limit, 413
    above it; default 1 MiB), PSX_BATCH_MAX (operations per batched POST; 0, the default, turns
    batching off), PSX_APQ (on/off), PSX_APQ_TTL (seconds a registered query lives in Redis),
    PSX_APQ_MAX_ENTRIES (the in-process store's bound), PSX_APQ_PREFIX (Redis key prefix),
    PSX_PERSISTED_DOCUMENTS (trusted documents: manifest files and `<sha256>.graphql`
    directories, separated by `:`), PSX_PERSISTED_DEFAULT (the policy of clients not listed:
    allow_any, allow_apq or trusted_only) and PSX_PERSISTED_POLICIES (per client, by the
    `apollographql-client-name` header: `psx-mobile=trusted_only,psx-web=allow_apq`).

    Cost and time limits (api/ratelimit.py, schema/cost.py): PSX_MAX_QUERY_COST (an
    operation's estimated cost at most; 1000), PSX_RATE_LIMIT (on/off; on, but off under
    PSX_ENV=test unless set), PSX_RATE_LIMIT_TIERS (bucket per role, `maximum:points a second`:
    `USER=1000:16.7,PREMIUM=5000:83`; defaults from the entitlements' budget a minute),
    PSX_RATE_LIMIT_LEASE (points a process takes ahead from a caller's Redis bucket, spent
    without a round trip for up to a second; 50, 0 for a round trip per operation),
    PSX_EXECUTION_TIMEOUT (seconds an operation may run; 10) and PSX_STATEMENT_TIMEOUT
    (PostgreSQL statement_timeout in milliseconds; 15000, 0 for none).

    Observability (api/logs.py, api/metrics.py, api/tracing.py): PSX_LOG_FORMAT (json or
    text; json in production), PSX_LOG_LEVEL (INFO), PSX_RESOLVER_SAMPLE_RATE (the share of
    operations whose resolvers are timed; 0.02), OTEL_EXPORTER_OTLP_ENDPOINT (traces over
    OTLP/HTTP when set; needs the `otel` extra) and OTEL_SERVICE_NAME (psx-analytics).
    """

    database_url: str | None = None
    database_read_url: str | None = None
    read_your_writes_seconds: float = 5.0
    redis_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("data"))
    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool = True
    introspection: bool = True
    demo_seed: int = 7
    auto_seed: bool = True
    max_candles: int = 10_000
    db_pool_size: int = 10
    feed: str = "simulator"
    feed_speed: float = 1.0
    feed_rate: float = 30.0
    ws_init_timeout: float = 3.0
    ws_max_subscriptions: int = 20
    ws_stuck_after: float = 10.0
    ws_fast_lane: bool = True
    subscription_message_cost: float = 0.1
    retention: str = ""
    retention_every_hours: float = 0.0
    drain_seconds: float = 0.0
    replay_file: Path | None = None
    dps_url: str = "https://dps.psx.com.pk"
    jwt_keys: str | None = field(default=None, repr=False)
    jwt_secret: str | None = field(default=None, repr=False)
    totp_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    search_url: str | None = field(default=None, repr=False)  # may hold a password
    max_body_bytes: int = 1 << 20
    batch_max: int = 0
    apq_enabled: bool = True
    apq_ttl: int = 86_400
    apq_max_entries: int = 10_000
    apq_prefix: str = "apq:"
    persisted_documents: tuple[Path, ...] = ()
    persisted_default: str = "allow_any"
    persisted_policies: str = ""
    sbp_policy_rate: float = 10.5
    reports_url: str | None = None
    reports_key: str | None = field(default=None, repr=False)
    reports_ttl: int = 3600
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = field(default=None, repr=False)
    s3_secret_key: str | None = field(default=None, repr=False)
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    max_query_cost: int = 1_000
    rate_limit: bool | None = None  # None: on, except in the test environment
    rate_limit_tiers: str = ""
    rate_limit_lease: int = 50
    execution_timeout: float = 10.0
    statement_timeout: int = 15_000
    log_format: str = "text"
    log_level: str = "INFO"
    resolver_sample_rate: float = 0.02
    otel_endpoint: str | None = None
    otel_service_name: str = "psx-analytics"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the process environment (or the mapping given)."""
        e = os.environ if env is None else env
        environment = Environment(e.get("PSX_ENV", Environment.DEVELOPMENT.value))
        production = environment is Environment.PRODUCTION
        return cls(
            database_url=e.get("DATABASE_URL") or None,
            database_read_url=e.get("DATABASE_READ_URL") or None,
            read_your_writes_seconds=float(e.get("PSX_READ_YOUR_WRITES_SECONDS", "5")),
            redis_url=e.get("REDIS_URL") or None,
            data_dir=Path(e.get("PSX_DATA_DIR", "data")),
            environment=environment,
            host=e.get("PSX_HOST", "127.0.0.1"),
            port=int(e.get("PSX_PORT", "8000")),
            graphiql=_flag(e.get("PSX_GRAPHIQL"), not production),
            introspection=_flag(e.get("PSX_INTROSPECTION"), not production),
            demo_seed=int(e.get("PSX_DEMO_SEED", "7")),
            auto_seed=_flag(e.get("PSX_AUTO_SEED"), True),
            max_candles=int(e.get("PSX_MAX_CANDLES", "10000")),
            db_pool_size=int(e.get("PSX_DB_POOL_SIZE", "10")),
            feed=e.get("PSX_FEED", "simulator").strip().lower() or "none",
            feed_speed=float(e.get("PSX_FEED_SPEED", "1")),
            feed_rate=float(e.get("PSX_FEED_RATE", "30")),
            ws_init_timeout=float(e.get("PSX_WS_INIT_TIMEOUT", "3")),
            ws_max_subscriptions=int(e.get("PSX_WS_MAX_SUBSCRIPTIONS", "20")),
            ws_stuck_after=float(e.get("PSX_WS_STUCK_AFTER", "10")),
            ws_fast_lane=_flag(e.get("PSX_WS_FAST_LANE"), True),
            subscription_message_cost=float(e.get("PSX_SUBSCRIPTION_MESSAGE_COST", "0.1")),
            retention=e.get("PSX_RETENTION", ""),
            retention_every_hours=float(e.get("PSX_RETENTION_EVERY_HOURS", "0")),
            drain_seconds=float(e.get("PSX_DRAIN_SECONDS", "0")),
            replay_file=Path(e["PSX_REPLAY_FILE"]) if e.get("PSX_REPLAY_FILE") else None,
            dps_url=e.get("PSX_DPS_URL", "https://dps.psx.com.pk"),
            jwt_keys=e.get("PSX_JWT_KEYS") or None,
            jwt_secret=e.get("PSX_JWT_SECRET") or None,
            totp_key=e.get("PSX_TOTP_KEY") or None,
            smtp_url=e.get("PSX_SMTP_URL") or None,
            search_url=e.get("SEARCH_URL") or None,
            max_body_bytes=int(e.get("PSX_MAX_BODY_BYTES", str(1 << 20))),
            batch_max=int(e.get("PSX_BATCH_MAX", "0")),
            apq_enabled=_flag(e.get("PSX_APQ"), True),
            apq_ttl=int(e.get("PSX_APQ_TTL", "86400")),
            apq_max_entries=int(e.get("PSX_APQ_MAX_ENTRIES", "10000")),
            apq_prefix=e.get("PSX_APQ_PREFIX", "apq:"),
            persisted_documents=tuple(
                Path(p) for p in e.get("PSX_PERSISTED_DOCUMENTS", "").split(os.pathsep) if p
            ),
            persisted_default=e.get("PSX_PERSISTED_DEFAULT", "allow_any"),
            persisted_policies=e.get("PSX_PERSISTED_POLICIES", ""),
            sbp_policy_rate=float(e.get("PSX_SBP_POLICY_RATE", "10.5")),
            reports_url=e.get("PSX_REPORTS_URL") or None,
            reports_key=e.get("PSX_REPORTS_KEY") or None,
            reports_ttl=int(e.get("PSX_REPORTS_TTL", "3600")),
            s3_endpoint_url=e.get("PSX_S3_ENDPOINT_URL") or None,
            s3_region=e.get("PSX_S3_REGION") or None,
            s3_access_key=e.get("PSX_S3_ACCESS_KEY") or None,
            s3_secret_key=e.get("PSX_S3_SECRET_KEY") or None,
            ssl_certfile=Path(e["PSX_SSL_CERTFILE"]) if e.get("PSX_SSL_CERTFILE") else None,
            ssl_keyfile=Path(e["PSX_SSL_KEYFILE"]) if e.get("PSX_SSL_KEYFILE") else None,
            max_query_cost=int(e.get("PSX_MAX_QUERY_COST", "1000")),
            rate_limit=_flag(e["PSX_RATE_LIMIT"], True) if e.get("PSX_RATE_LIMIT") else None,
            rate_limit_tiers=e.get("PSX_RATE_LIMIT_TIERS", ""),
            rate_limit_lease=int(e.get("PSX_RATE_LIMIT_LEASE", "50")),
            execution_timeout=float(e.get("PSX_EXECUTION_TIMEOUT", "10")),
            statement_timeout=int(e.get("PSX_STATEMENT_TIMEOUT", "15000")),
            log_format=e.get("PSX_LOG_FORMAT", "json" if production else "text").strip().lower(),
            log_level=e.get("PSX_LOG_LEVEL", "INFO").strip().upper() or "INFO",
            resolver_sample_rate=float(e.get("PSX_RESOLVER_SAMPLE_RATE", "0.02")),
            otel_endpoint=e.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            otel_service_name=e.get("OTEL_SERVICE_NAME", "psx-analytics"),
        )

    @property
    def rate_limited(self) -> bool:
        """Whether callers are rate-limited by cost (PSX_RATE_LIMIT)."""
        if self.rate_limit is None:
            return self.environment is not Environment.TEST
        return self.rate_limit

    @property
    def production(self) -> bool:
        """True in production: errors masked, suggestions off."""
        return self.environment is Environment.PRODUCTION
