"""`psx-analytics`: serve, migrate, seed, import, reindex, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.logs import configure_logging
from api.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

console = Console(stderr=True)


def _engine_url(settings: Settings) -> str:
    from api.app import database_url

    return database_url(settings)


@contextlib.asynccontextmanager
async def _engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the configured database for one command, disposed when it ends."""
    from db.engine import make_engine

    engine = make_engine(_engine_url(settings))
    try:
        yield engine
    finally:
        await engine.dispose()


async def _migrate(settings: Settings) -> None:
    from db.migrate import migrate

    async with _engine(settings) as engine:
        await migrate(engine)
    console.print("[green]database migrated to head[/green]")


async def _seed(settings: Settings, args: argparse.Namespace) -> None:
    from db.migrate import migrate
    from db.seed import has_real_data, seed_demo

    if not args.demo:
        console.print("nothing to seed: pass --demo")
        raise SystemExit(2)
    async with _engine(settings) as engine:
        await migrate(engine)
        if await has_real_data(engine) and not args.force:
            console.print(
                "[red]the database holds imported (non-simulated) data; "
                "re-run with --force to replace it with demo data[/red]"
            )
            raise SystemExit(1)
        with console.status("seeding demo data..."):
            summary = await seed_demo(
                engine,
                seed=args.seed if args.seed is not None else settings.demo_seed,
                end=args.end or date.today(),  # noqa: DTZ011 - the operator's calendar day
                years=args.years,
                minute_sessions=args.minute_sessions,
                progress=lambda msg, n: console.print(f"  {msg}: {n:,}"),
            )
    console.print(
        f"[green]seeded[/green] {summary.instruments} instruments, {summary.daily_bars:,} daily"
        f" bars, {summary.minute_bars:,} minute bars, {summary.index_bars:,} index bars,"
        f" {summary.corporate_actions} corporate actions, {summary.sessions:,} sessions"
        f" in {summary.seconds:.1f} s"
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _report(name: str, summary: object) -> None:
    s = summary
    console.print(
        f"[bold]{name}[/bold]: read {s.read:,}, inserted {s.inserted:,}, "  # type: ignore[attr-defined]
        f"updated {s.updated:,}, unchanged {s.unchanged:,}, "  # type: ignore[attr-defined]
        f"rejected {s.rejected:,}, new instruments {s.new_instruments}"  # type: ignore[attr-defined]
    )
    for reason, count in s.reasons.most_common():  # type: ignore[attr-defined]
        console.print(f"  rejected {count:,} × {reason}")


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from db.imports import import_bar_rows, import_closing_rows
    from db.migrate import migrate
    from db.repos.fundamentals import import_statement_rows
    from db.screener import refresh_screener
    from domain.fundamentals.csv import FundamentalsCsvError, parse_fundamentals_csv
    from domain.markets.bar_csv import BarCsvError, parse_bar_csv
    from domain.markets.closing_files import (
        ClosingFileError,
        decode_closing_bytes,
        parse_closing_file,
        unpack_closing_archive,
    )
    from domain.news.feeds import FeedError

    failed = 0
    async with _engine(settings) as engine:
        await migrate(engine)
        for path in args.files:
            data = await asyncio.to_thread(Path(path).read_bytes)
            try:
                if args.kind == "closing":
                    members = unpack_closing_archive(data, Path(path).name)
                    for member, raw in members:
                        rows, rejects = parse_closing_file(decode_closing_bytes(raw))
                        with _progress() as bar:
                            task = bar.add_task(f"{path}:{member}", total=len(rows))
                            summary = await import_closing_rows(
                                engine, rows, rejects, progress=partial(bar.advance, task)
                            )
                        _report(f"{path}:{member}", summary)
                elif args.kind == "news":
                    from db.news_imports import describe, import_news
                    from db.search import uses_outbox

                    news = await import_news(
                        engine,
                        data,
                        source=Path(path).stem,
                        outbox=uses_outbox(settings.search_url),
                    )
                    for line in describe(news):
                        console.print(f"{path}: {line}" if not line.startswith(" ") else line)
                    if news.ids and settings.redis_url:
                        # After the commit: servers' `news` subscribers hear of them via Redis.
                        from redis.asyncio import from_url

                        from resolvers.news import publish_articles

                        publisher = from_url(settings.redis_url)
                        try:
                            await publish_articles(engine, publisher.publish, news.ids)
                        finally:
                            await publisher.aclose()
                    continue
                elif args.kind == "fundamentals":
                    statements, rejects = parse_fundamentals_csv(data.decode("utf-8-sig"))
                    summary = await import_statement_rows(engine, statements, rejects)
                    _report(path, summary)
                    for bad in sorted(summary.examples, key=lambda r: r.line_no):
                        console.print(f"  line {bad.line_no}: {bad.reason}")
                else:
                    rows_csv, rejects = parse_bar_csv(data.decode("utf-8-sig"))
                    with _progress() as bar:
                        task = bar.add_task(path, total=len(rows_csv))
                        summary = await import_bar_rows(
                            engine, rows_csv, rejects, progress=partial(bar.advance, task)
                        )
                    _report(path, summary)
            except (ClosingFileError, BarCsvError, FundamentalsCsvError, FeedError) as exc:
                console.print(f"[red]{path}: {exc}[/red]")
                failed += 1
        if failed < len(args.files):
            rows_now = await refresh_screener(engine)
            console.print(f"screener snapshot rebuilt: {rows_now} instruments")
    return 1 if failed else 0


async def _refresh_screener(settings: Settings) -> None:
    from db.screener import refresh_screener

    async with _engine(settings) as engine:
        count = await refresh_screener(engine)
    console.print(f"screener snapshot rebuilt: {count} instruments")


async def _rebuild_books(settings: Settings) -> int:
    from db.repos.portfolio_books import rebuild_books

    async with _engine(settings) as engine:
        done = await rebuild_books(engine)
    console.print(f"portfolio books stored: {done.stored}")
    for portfolio_id, why in done.broken:
        console.print(f"portfolio {portfolio_id} does not replay: {why}")
    return 1 if done.broken else 0


async def _retention(settings: Settings, args: argparse.Namespace) -> int:
    from api.retention import run_retention
    from db.search import uses_outbox
    from domain.retention import PolicyError
    from resolvers.context import utc_now

    try:
        async with _engine(settings) as engine:
            report = await run_retention(
                engine,
                settings.retention,
                now=utc_now(),
                dry_run=args.dry_run,
                search_outbox=uses_outbox(settings.search_url),
            )
    except PolicyError as err:
        console.print(f"[red]PSX_RETENTION: {err}[/red]")
        return 2
    for line in report.lines():
        console.print(line)
    return 0


async def _reindex(settings: Settings) -> int:
    from db.migrate import migrate
    from db.search.opensearch import OpenSearchBackend
    from db.search.opensearch_client import SearchUnavailableError, is_opensearch_url

    if settings.search_url is None or not is_opensearch_url(settings.search_url):
        console.print(
            "SEARCH_URL names no OpenSearch cluster: PostgreSQL full text needs no reindex"
        )
        return 2
    async with _engine(settings) as engine:
        backend = OpenSearchBackend.from_url(settings.search_url, engine)
        try:
            await migrate(engine)
            with console.status(f"reindexing into {backend.config.describe()}..."):
                result = await backend.reindex()
        except SearchUnavailableError as exc:
            console.print(f"[red]OpenSearch {backend.config.describe()}: {exc}[/red]")
            return 1
        finally:
            await backend.close()
    console.print(
        f"[green]reindexed[/green] {result.articles:,} articles and {result.companies:,} companies"
        f" into {result.news_index}; {result.rejected:,} rejected;"
        f" dropped {', '.join(result.dropped) or 'nothing'}"
    )
    return 1 if result.rejected else 0


def _export_schema(args: argparse.Namespace) -> None:
    from schema import schema

    sdl = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        console.print(f"schema written to {args.output}")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from api.app import StartOptions, create_app
    from api.server import GracefulServer

    feed = "none" if args.no_feed else (args.feed or settings.feed)
    options = StartOptions(migrate=not args.no_migrate, seed_if_empty=not args.no_seed, feed=feed)
    settings = replace(
        settings,
        feed_speed=args.speed or settings.feed_speed,
        replay_file=args.file or settings.replay_file,
    )
    app = create_app(settings, options=options)
    config = uvicorn.Config(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
        log_config=None,  # our masked handler (configure_logging), not uvicorn's own
        timeout_graceful_shutdown=10,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        # Compressing each small quote message per subscriber cost 10% of a busy server's CPU.
        ws_per_message_deflate=False,
    )
    # uvicorn re-raises the signal it caught once shutdown is done; the exit is clean.
    with contextlib.suppress(KeyboardInterrupt):
        GracefulServer(config, app, drain_seconds=settings.drain_seconds).run()


async def _ingest(settings: Settings, args: argparse.Namespace) -> None:
    from api.app import StartOptions, build_services
    from api.live import start_live

    if not settings.redis_url:
        console.print(
            "[yellow]REDIS_URL is unset: ticks reach only this process's subscribers, and "
            "API processes will not see them[/yellow]"
        )
    settings = replace(
        settings,
        feed_speed=args.speed or settings.feed_speed,
        feed_rate=args.rate or settings.feed_rate,
    )
    services = await build_services(settings, StartOptions(seed_if_empty=False, feed=args.feed))
    services, live = await start_live(
        settings, services, args.feed, flat=args.flat, replay_file=args.file or settings.replay_file
    )
    console.print(f"[green]feed {args.feed} running[/green]; Ctrl+C to stop")
    try:
        await live.wait_feed()
    finally:
        await live.stop()
        if live.ingester is not None:
            stats = live.ingester.stats
            rejected = ", ".join(f"{r.value} {n}" for r, n in stats.rejected.items()) or "none"
            console.print(
                f"ticks accepted {stats.accepted:,}; rejected: {rejected}; "
                f"bars written {stats.flushed_bars:,}"
            )
        await services.quotes.close()
        await services.database.dispose()


async def _set_role(settings: Settings, args: argparse.Namespace) -> None:
    from sqlalchemy import text

    from db.repos.accounts import audit
    from domain.accounts.roles import Role
    from domain.accounts.users import AuditKind, Client, mask_email, normalise_email

    role = Role(args.role.upper())
    async with _engine(settings) as engine, engine.begin() as conn:
        user_id = await conn.scalar(
            text(
                "UPDATE users SET role = :r, updated_at = now()"
                " WHERE email_normalized = :e AND deleted_at IS NULL RETURNING id"
            ),
            {"r": role.value, "e": normalise_email(args.email)},
        )
        if user_id is None:
            console.print("[red]no such account[/red]")
            raise SystemExit(1)
        await audit(
            conn,
            kind=AuditKind.ROLE_CHANGED,
            user_id=user_id,
            client=Client(user_agent="psx-analytics set-role"),
            detail={"role": role.value, "by": "cli"},
        )
    console.print(f"{mask_email(normalise_email(args.email))} is now {role.value}")


def _persisted(settings: Settings, args: argparse.Namespace) -> None:
    from api.persisted import documents_of_file, manifest_problems
    from db.persisted import ManifestError, manifest_json, parse_manifest

    manifest: Path = args.manifest or next(
        (p for p in settings.persisted_documents if p.suffix == ".json"),
        Path("persisted-queries.json"),
    )
    try:
        documents = (
            parse_manifest(manifest.read_bytes(), str(manifest)) if manifest.exists() else []
        )
    except ManifestError as exc:
        print(f"invalid: {exc}")  # noqa: T201 - command output
        raise SystemExit(1) from exc
    if args.action == "add":
        by_id = {d.id: d for d in documents}
        for file in args.files:
            for doc in documents_of_file(Path(file).read_text()):
                by_id[doc.id] = doc
                print(f"added {doc.id} {doc.type} {doc.name or '(anonymous)'}")  # noqa: T201
        manifest.write_bytes(manifest_json(by_id.values()) + b"\n")
    elif args.action == "list":
        for doc in documents:
            print(f"{doc.id} {doc.type or '?'} {doc.name or '(anonymous)'}")  # noqa: T201
    else:
        from schema import build_schema

        problems = manifest_problems(documents, build_schema()._schema)
        for problem in problems:
            print(problem)  # noqa: T201 - command output
        if problems:
            raise SystemExit(1)
        print(f"{manifest}: {len(documents)} documents verified")  # noqa: T201


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="psx-analytics", description="PSX Analytics GraphQL API server and tools."
    )
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server (migrates and seeds when empty)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations")
    serve.add_argument("--no-seed", action="store_true", help="do not seed an empty database")
    serve.add_argument(
        "--feed",
        choices=["simulator", "replay", "psx-dps", "none"],
        default=None,
        help="in-process feed (PSX_FEED)",
    )
    serve.add_argument("--file", type=Path, default=None, help="the replay feed's file")
    serve.add_argument("--no-feed", action="store_true", help="run no feed in this process")
    serve.add_argument("--speed", type=float, default=None, help="simulated-time speed-up")
    ingest = sub.add_parser("ingest", help="run a feed as its own process (publishes via Redis)")
    ingest.add_argument("--feed", choices=["simulator", "replay", "psx-dps"], default="simulator")
    ingest.add_argument("--file", type=Path, default=None, help="replay: ticks or 1-minute bars")
    ingest.add_argument("--speed", type=float, default=None, help="simulated-time speed-up")
    ingest.add_argument("--rate", type=float, default=None, help="simulated trades per second")
    ingest.add_argument(
        "--flat",
        action="store_true",
        help="a constant trade rate and no market shocks (load tests)",
    )
    sub.add_parser("migrate", help="upgrade the database schema")
    seed = sub.add_parser("seed", help="load the demo data set (replaces market data)")
    seed.add_argument("--demo", action="store_true", help="the simulated demo universe")
    seed.add_argument("--seed", type=int, default=None, help="random seed (default 7)")
    seed.add_argument("--end", type=date.fromisoformat, default=None, help="last day, ISO")
    seed.add_argument("--years", type=int, default=6, help="years of daily bars")
    seed.add_argument("--minute-sessions", type=int, default=20, help="sessions of 1-min bars")
    seed.add_argument("--force", action="store_true", help="replace imported data too")
    imp = sub.add_parser("import", help="import market data files")
    imp.add_argument(
        "kind",
        choices=["closing", "bars", "fundamentals", "news"],
        help=(
            "closing: PSX closing11.lis; bars: OHLCV CSV; fundamentals: statements CSV;"
            " news: RSS, Atom or JSON lines (README)"
        ),
    )
    imp.add_argument("files", nargs="+", help="files (.lis, .Z, .zip, .gz, .csv)")
    role = sub.add_parser("set-role", help="give an account a role (bootstraps the first admin)")
    role.add_argument("email")
    role.add_argument("role", choices=["USER", "PREMIUM", "PROFESSIONAL", "INSTITUTIONAL", "ADMIN"])
    sub.add_parser(
        "refresh-screener", help="rebuild the screener snapshot from the stored market data"
    )
    sub.add_parser(
        "rebuild-books",
        help="store the replayed book of every portfolio that lacks one of its ledger version",
    )
    persisted = sub.add_parser("persisted", help="manage the trusted-document manifest")
    persisted.add_argument("action", choices=["add", "list", "verify"])
    persisted.add_argument("files", nargs="*", help="add: .graphql files of operations")
    persisted.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="the manifest (default: the first .json of PSX_PERSISTED_DOCUMENTS, else "
        "persisted-queries.json)",
    )
    retention = sub.add_parser(
        "retention", help="remove data past its retention (PSX_RETENTION: kind=days,...)"
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="show what would go, change nothing"
    )
    sub.add_parser(
        "reindex",
        help="rebuild the OpenSearch indices from PostgreSQL (SEARCH_URL=opensearch://...)",
    )
    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `psx-analytics` console script."""
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    # One masked handler (api/logs.py): JSON lines in production, text otherwise.
    configure_logging(settings.log_format, settings.log_level)
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "ingest":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_ingest(settings, args))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed":
        asyncio.run(_seed(settings, args))
    elif args.command == "import":
        raise SystemExit(asyncio.run(_import(settings, args)))
    elif args.command == "set-role":
        asyncio.run(_set_role(settings, args))
    elif args.command == "refresh-screener":
        asyncio.run(_refresh_screener(settings))
    elif args.command == "rebuild-books":
        raise SystemExit(asyncio.run(_rebuild_books(settings)))
    elif args.command == "retention":
        raise SystemExit(asyncio.run(_retention(settings, args)))
    elif args.command == "reindex":
        raise SystemExit(asyncio.run(_reindex(settings)))
    elif args.command == "export-schema":
        _export_schema(args)
    elif args.command == "persisted":
        _persisted(settings, args)


if __name__ == "__main__":
    main()
