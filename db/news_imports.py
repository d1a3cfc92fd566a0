"""`psx-analytics import news FILE`: RSS 2.0, Atom 1.0 and JSON-lines files into news_articles.

XML is parsed with defusedxml (no entity expansion, no external resources). Articles are
deduplicated by url and by near-identical title (within the file and against stored articles
published within 3 days), tagged with the symbols their title and summary name, and written in
one transaction (with search outbox rows when SEARCH_URL names an external index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element  # only the type; parsing is defusedxml

from defusedxml import ElementTree  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos import economic_calendar as calendar_repo
from db.repos import news as repo
from db.repos.company_aliases import names_by_symbol, sync_company_names
from domain.news.articles import NewArticle, NewsCategory
from domain.news.calendar import NewEconomicEvent
from domain.news.feeds import (
    FeedError,
    Rejected,
    drop_near_duplicates,
    finish,
    parse_json_line,
    plain_text,
)
from domain.news.tagging import Tagger

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


@dataclass(slots=True)
class NewsImportSummary:
    """What an import did."""

    read: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def _date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    v = value.strip()
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(v)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _text(el: Element | None) -> str:
    return "" if el is None else "".join(el.itertext())


def _rss_items(root: Element, source: str) -> list[tuple[str, dict[str, object]]]:
    channel = root.find("channel")
    feed_title = plain_text(_text(channel.find("title"))) if channel is not None else ""
    out: list[tuple[str, dict[str, object]]] = []
    for i, item in enumerate(root.iter("item"), 1):
        out.append(
            (
                f"item[{i}]",
                {
                    "source": feed_title or source,
                    "url": _text(item.find("link")).strip() or _text(item.find("guid")).strip(),
                    "title": _text(item.find("title")),
                    "summary": _text(item.find("description")),
                    "body": _text(item.find(f"{_CONTENT}encoded")),
                    "author": _text(item.find(f"{_DC}creator")) or _text(item.find("author")),
                    "published": _text(item.find("pubDate")) or _text(item.find(f"{_DC}date")),
                    "category": _text(item.find("category")),
                },
            )
        )
    return out


def _atom_entries(root: Element, source: str) -> list[tuple[str, dict[str, object]]]:
    feed_title = plain_text(_text(root.find(f"{_ATOM}title")))
    out: list[tuple[str, dict[str, object]]] = []
    for i, entry in enumerate(root.iter(f"{_ATOM}entry"), 1):
        links = entry.findall(f"{_ATOM}link")
        href = next(
            (x.get("href", "") for x in links if x.get("rel", "alternate") == "alternate"), ""
        )
        category = entry.find(f"{_ATOM}category")
        out.append(
            (
                f"entry[{i}]",
                {
                    "source": feed_title or source,
                    "url": href.strip() or _text(entry.find(f"{_ATOM}id")).strip(),
                    "title": _text(entry.find(f"{_ATOM}title")),
                    "summary": _text(entry.find(f"{_ATOM}summary")),
                    "body": _text(entry.find(f"{_ATOM}content")),
                    "author": _text(entry.find(f"{_ATOM}author/{_ATOM}name")),
                    "published": _text(entry.find(f"{_ATOM}published"))
                    or _text(entry.find(f"{_ATOM}updated")),
                    "category": None if category is None else category.get("term"),
                },
            )
        )
    return out


def parse_feed(
    data: bytes, *, source: str
) -> tuple[list[tuple[NewArticle, object]], list[Rejected]]:
    """Articles (each with the category its feed gave) of an RSS, Atom or JSON-lines file.

    Raises:
        FeedError: when the file is none of these.
    """
    head = data.lstrip()[:1]
    if head in (b"{", b""):
        return _parse_jsonl(data, source=source)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FeedError(f"not an RSS or Atom feed: {exc}") from exc
    except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
        raise FeedError(f"refused XML: {type(exc).__name__}") from exc
    if root.tag == "rss" or root.find("channel") is not None:
        items = _rss_items(root, source)
    elif root.tag == f"{_ATOM}feed":
        items = _atom_entries(root, source)
    else:
        raise FeedError(f"not an RSS or Atom feed (root element {root.tag!r})")
    articles: list[tuple[NewArticle, object]] = []
    rejected: list[Rejected] = []
    for where, raw in items:
        published = _date(str(raw["published"] or ""))
        url, title = str(raw["url"] or ""), plain_text(str(raw["title"] or ""))
        if not url or not title or published is None:
            missing = "link" if not url else "title" if not title else "published date"
            rejected.append(Rejected(where, f"no {missing}"))
            continue
        articles.append(
            (
                NewArticle(
                    source=plain_text(str(raw["source"])) or source,
                    url=url,
                    title=title[:500],
                    summary=plain_text(str(raw["summary"] or "")),
                    body=plain_text(str(raw["body"] or "")),
                    author=plain_text(str(raw["author"] or "")) or None,
                    published_at=published,
                    category=NewsCategory.MARKET,
                ),
                raw["category"],
            )
        )
    return articles, rejected


def _parse_jsonl(
    data: bytes, *, source: str
) -> tuple[list[tuple[NewArticle, object]], list[Rejected]]:
    articles: list[tuple[NewArticle, object]] = []
    rejected: list[Rejected] = []
    for no, line in enumerate(data.decode("utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            articles.append(parse_json_line(line, source=source))
        except FeedError as exc:
            rejected.append(Rejected(f"line {no}", str(exc)))
    return articles, rejected


async def import_news(
    engine: AsyncEngine, data: bytes, *, source: str, outbox: bool = False
) -> NewsImportSummary:
    """Import one feed file in one transaction.

    Raises:
        FeedError: when the file is not a feed.
    """
    parsed, rejected = parse_feed(data, source=source)
    summary = NewsImportSummary(read=len(parsed) + len(rejected), rejected=rejected)
    async with engine.begin() as conn:
        await sync_company_names(conn)
        tagger = Tagger.of(await names_by_symbol(conn))
        finished = [finish(a, tagger, category) for a, category in parsed]
        kept, dropped = drop_near_duplicates(finished)
        fresh: list[NewArticle] = []
        for a in kept:
            if await repo.is_near_duplicate(conn, a):
                dropped.append(a)
            else:
                fresh.append(a)
        summary.ids = await repo.add_articles(conn, fresh, outbox=outbox)
    summary.added = len(summary.ids)
    summary.duplicates = len(dropped) + len(fresh) - summary.added
    return summary


def describe(summary: NewsImportSummary) -> Sequence[str]:
    """Lines for the console."""
    lines = [
        f"{summary.read:,} read, {summary.added:,} added, {summary.duplicates:,} duplicates,"
        f" {len(summary.rejected):,} rejected"
    ]
    lines += [f"  {r.where}: {r.reason}" for r in summary.rejected[:20]]
    return lines


async def write_demo_news(
    conn: AsyncConnection,
    articles: Sequence[NewArticle],
    events: Sequence[NewEconomicEvent],
) -> int:
    """Replace the simulated articles and calendar with the demo's; the articles written."""
    await conn.execute(text("DELETE FROM news_articles WHERE data_source = 'SIMULATED'"))
    await conn.execute(text("DELETE FROM economic_events WHERE data_source = 'SIMULATED'"))
    await sync_company_names(conn)
    ids: list[int] = []
    for start in range(0, len(articles), 5_000):
        ids += await repo.add_articles(conn, articles[start : start + 5_000], outbox=False)
    await calendar_repo.add_events(conn, events)
    return len(ids)
