"""OpenSearch documents and responses: articles and companies in, search pages out.

A news document is the whole article (so a hit needs no second read); `_id` is the article id,
which makes every write of it idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.news.articles import (
    AnnouncementType,
    Article,
    ArticleKind,
    DataSource,
    NewsCategory,
)
from domain.news.search import (
    FACET_SIZE,
    SENTINEL_END,
    SENTINEL_START,
    SNIPPET_WORDS,
    CompanyEntry,
    CompanyHit,
    FacetCount,
    Facets,
    SearchHit,
    SearchPage,
    render_highlight,
)
from domain.pagination import encode_cursor


def document_of(article: Article) -> dict[str, Any]:
    """The index document of an article."""
    return {
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "symbols": list(article.symbols),
        "sectors": list(article.sectors),
        "tags": list(article.tags),
        "category": article.category.value,
        "kind": article.kind.value,
        "published_at": article.published_at.isoformat(),
        "source": article.source,
        "url": article.url,
        "author": article.author,
        "language": article.language,
        "announcement_type": (
            article.announcement_type.value if article.announcement_type is not None else None
        ),
        "data_source": article.data_source.value,
        "sentiment": article.sentiment,
        "created_at": article.created_at.isoformat(),
    }


def article_of(doc: Mapping[str, Any]) -> Article:
    """The article an index document holds."""
    kind = doc.get("announcement_type")
    return Article(
        id=int(doc["id"]),
        source=doc["source"],
        url=doc["url"],
        title=doc["title"],
        summary=doc["summary"],
        body=doc["body"],
        author=doc.get("author"),
        published_at=datetime.fromisoformat(doc["published_at"]),
        language=doc["language"],
        category=NewsCategory(doc["category"]),
        kind=ArticleKind(doc["kind"]),
        announcement_type=AnnouncementType(kind) if kind else None,
        symbols=tuple(doc["symbols"]),
        sectors=tuple(doc["sectors"]),
        tags=tuple(doc["tags"]),
        sentiment=doc.get("sentiment"),
        data_source=DataSource(doc["data_source"]),
        created_at=datetime.fromisoformat(doc["created_at"]),
    )


def company_document(entry: CompanyEntry) -> dict[str, Any]:
    """The look-up document of a company (`_id` is its symbol)."""
    return {
        "symbol": entry.symbol,
        "name": entry.name,
        "sector_code": entry.sector_code,
        "aliases": list(entry.aliases),
    }


def _words(text: str, limit: int) -> str:
    # Cut to `limit` words and close a mark the cut left open.
    words = text.split()
    cut = " ".join(words[:limit])
    if cut.count(SENTINEL_START) > cut.count(SENTINEL_END):
        cut += SENTINEL_END
    return cut


def snippet_of(article: Article, highlight: Mapping[str, Sequence[str]]) -> str:
    """The best passage: the summary's highlight, else the body's, else the summary's first
    words, else the body's; at most SNIPPET_WORDS words, marks rendered."""
    for field in ("summary", "body"):
        fragments = highlight.get(field)
        if fragments:
            return render_highlight(_words(fragments[0], SNIPPET_WORDS))
    return render_highlight(_words(article.summary or article.body, SNIPPET_WORDS))


def _buckets(agg: Mapping[str, Any], key: str = "key") -> tuple[FacetCount, ...]:
    counts = [FacetCount(str(b[key]), int(b["doc_count"])) for b in agg.get("buckets", [])]
    counts.sort(key=lambda c: (-c.count, c.value))
    return tuple(c for c in counts if c.count > 0)[:FACET_SIZE]


def search_page(response: Mapping[str, Any], *, offset: int) -> SearchPage:
    """A page of the contract from a `_search` response of `news_search_body`."""
    hits = []
    for hit in response["hits"]["hits"]:
        article = article_of(hit["_source"])
        highlight = hit.get("highlight", {})
        titles = highlight.get("title")
        hits.append(
            SearchHit(
                article=article,
                score=float(hit["_score"]),
                title=render_highlight(titles[0] if titles else article.title),
                snippet=snippet_of(article, highlight),
            )
        )
    total = int(response["hits"]["total"]["value"])
    # `track_total_hits: true` counts every match ("eq"); "gte" would be a lower bound.
    exact = response["hits"]["total"].get("relation", "eq") == "eq"
    aggs = response.get("aggregations", {})
    return SearchPage(
        hits=tuple(hits),
        cursors=tuple(encode_cursor(offset + i) for i in range(len(hits))),
        total=total,
        has_next=offset + len(hits) < total,
        has_previous=offset > 0,
        facets=Facets(
            categories=_buckets(aggs.get("category", {})),
            symbols=_buckets(aggs.get("symbol", {})),
            months=_buckets(aggs.get("month", {}), "key_as_string"),
        ),
        exact=exact,
    )


def empty_page(*, offset: int) -> SearchPage:
    """The page of a query that holds no searchable term: nothing matches."""
    return SearchPage(
        hits=(), cursors=(), total=0, has_next=False, has_previous=offset > 0, facets=Facets()
    )


def _plain(marked: str) -> str:
    return marked.replace(SENTINEL_START, "").replace(SENTINEL_END, "")


def company_hits(response: Mapping[str, Any]) -> tuple[CompanyHit, ...]:
    """Company hits from a `_search` response of `company_search_body`.

    An exact symbol scores 1.0; the others their relevance relative to the best of them,
    below 1. `matched` is the name or alias that the highlight found, else the name.
    """
    raw = response["hits"]["hits"]
    fuzzy = [float(h["_score"]) for h in raw if "symbol" not in h.get("matched_queries", ())]
    best = max(fuzzy, default=1.0) or 1.0
    out = []
    for hit in raw:
        doc, highlight = hit["_source"], hit.get("highlight", {})
        exact = "symbol" in hit.get("matched_queries", ())
        matched = next(
            (
                _plain(highlight[f][0])
                for f in ("aliases", "aliases.plain", "name", "name.plain")
                if highlight.get(f)
            ),
            doc["name"],
        )
        out.append(
            CompanyHit(
                symbol=doc["symbol"],
                name=doc["name"],
                sector_code=doc["sector_code"],
                aliases=tuple(doc["aliases"]),
                matched=doc["symbol"] if exact else matched,
                score=1.0 if exact else round(0.99 * float(hit["_score"]) / best, 4),
            )
        )
    out.sort(key=lambda h: (-h.score, h.symbol))
    return tuple(out)
