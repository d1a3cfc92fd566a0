"""Turning feed entries into articles: plain text, categories, symbols (pure)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser

from domain.news.articles import AnnouncementType, ArticleKind, NewArticle, NewsCategory
from domain.news.tagging import Tagger
from domain.news.titles import NEAR_DUPLICATE, similarity, title_key


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: str | None) -> str:
    """HTML (or text) to plain text: tags dropped, entities decoded, whitespace collapsed,
    control characters removed."""
    if not value:
        return ""
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = html.unescape("".join(parser.parts))
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


class FeedError(ValueError):
    """A file that is not a feed, or a line that is not an article."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry left out, and why."""

    where: str
    reason: str


def _category(value: object, symbols: tuple[str, ...]) -> NewsCategory:
    if isinstance(value, str) and value.strip().upper() in NewsCategory.__members__:
        return NewsCategory(value.strip().upper())
    return NewsCategory.COMPANY if symbols else NewsCategory.MARKET


def finish(article: NewArticle, tagger: Tagger, category: object = None) -> NewArticle:
    """Tag symbols found in title and summary (adding to given ones) and set the category."""
    symbols = tuple(sorted({*article.symbols, *tagger.tag(article.title, article.summary)}))
    return replace(article, symbols=symbols, category=_category(category, symbols))


def parse_json_line(line: str, *, source: str) -> tuple[NewArticle, object]:
    """One JSON-lines article (README, "News & search"), with its category as given.

    Raises:
        FeedError: naming the field that is missing or wrong.
    """
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FeedError(f"not JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise FeedError("not a JSON object")
    for key in ("url", "title", "published_at"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise FeedError(f"`{key}` is required (a string)")
    try:
        published = datetime.fromisoformat(obj["published_at"])
    except ValueError as exc:
        raise FeedError("`published_at` is not an ISO 8601 instant") from exc
    if published.tzinfo is None:
        raise FeedError("`published_at` needs a UTC offset")
    kind = ArticleKind.ANNOUNCEMENT if obj.get("announcement_type") else ArticleKind.NEWS
    try:
        announcement = (
            AnnouncementType(str(obj["announcement_type"]).upper())
            if obj.get("announcement_type")
            else None
        )
    except ValueError as exc:
        raise FeedError("`announcement_type` is not one of the announcement types") from exc
    sentiment = obj.get("sentiment")
    if sentiment is not None and not (isinstance(sentiment, int | float) and -1 <= sentiment <= 1):
        raise FeedError("`sentiment` must be a number from -1 to 1")

    def strings(key: str) -> tuple[str, ...]:
        value = obj.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FeedError(f"`{key}` must be a list of strings")
        return tuple(v.strip() for v in value if v.strip())

    article = NewArticle(
        source=plain_text(obj.get("source")) or source,
        url=obj["url"].strip(),
        title=plain_text(obj["title"])[:500],
        summary=plain_text(obj.get("summary")),
        body=plain_text(obj.get("body")),
        author=plain_text(obj.get("author")) or None,
        published_at=published,
        category=NewsCategory.MARKET,
        language=str(obj.get("language") or "en")[:8],
        kind=kind,
        announcement_type=announcement,
        symbols=tuple(s.upper() for s in strings("symbols")),
        sectors=strings("sectors"),
        tags=strings("tags"),
        sentiment=None if sentiment is None else float(sentiment),
    )
    if not article.title:
        raise FeedError("`title` is empty once HTML is removed")
    return article, obj.get("category")


def drop_near_duplicates(
    articles: list[NewArticle],
) -> tuple[list[NewArticle], list[NewArticle]]:
    """Keep the first of articles with the same url or a near-identical title (3 days apart
    at most); return (kept, dropped)."""
    kept: list[NewArticle] = []
    dropped: list[NewArticle] = []
    urls: set[str] = set()
    keys: list[tuple[str, datetime]] = []
    for a in articles:
        key = title_key(a.title)
        near = any(
            abs((a.published_at - t).total_seconds()) <= 3 * 86400
            and similarity(key, k) >= NEAR_DUPLICATE
            for k, t in keys
        )
        if a.url in urls or near:
            dropped.append(a)
            continue
        urls.add(a.url)
        keys.append((key, a.published_at))
        kept.append(a)
    return kept, dropped
