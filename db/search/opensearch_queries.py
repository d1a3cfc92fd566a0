"""OpenSearch request bodies: the index templates, the news and company queries.

Pure functions of plain values: no client, no I/O. User text only ever reaches OpenSearch as
the `query` of a `multi_match` leaf built from the parsed websearch syntax
(db/search/websearch.py), never through `query_string`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from db.search.websearch import ENGLISH_STOP_WORDS, Clause, Query

NEWS_ALIAS = "psx-news"
COMPANIES_ALIAS = "psx-companies"
TEMPLATE_VERSION = 1

# Weights of the fields of an article: a word in the title counts most.
NEWS_FIELDS = ("title^3", "summary^2", "body")
HIGHLIGHT_PRE, HIGHLIGHT_POST = "<mark>", "</mark>"
SNIPPET_CHARS = 200
FACET_SIZE = 20
# OpenSearch refuses from + size beyond index.max_result_window (10,000 by default).
MAX_WINDOW = 10_000

_SYNONYM_UNSAFE = re.compile(r"[^\w\s'.-]+")


def synonym_rules(aliases: Mapping[str, Iterable[str]]) -> list[str]:
    """Solr-format equivalence rules, one per symbol: `ogdc, ogdcl, oil gas development`.

    Alias text is reduced to words (commas, `=>` and `#` would change a rule's meaning) and
    lower-cased; aliases that are only stop words, and symbols without aliases, give no rule.
    """
    stop = frozenset(ENGLISH_STOP_WORDS)
    rules: list[str] = []
    for symbol in sorted(aliases):
        terms: list[str] = []
        for raw in [symbol, *aliases[symbol]]:
            words = [w for w in _SYNONYM_UNSAFE.sub(" ", raw.lower()).split() if w not in stop]
            term = " ".join(words)
            if term and term not in terms:
                terms.append(term)
        if len(terms) > 1:
            rules.append(", ".join(terms))
    return rules


def _analysis(synonyms: Sequence[str]) -> dict[str, Any]:
    # Snowball's English stemmer is PostgreSQL's `english` stemmer; the stop words are its list.
    # Ticker synonyms apply at search time only (a graph filter cannot index), after the stop
    # words are gone so that multi-word aliases line up with the indexed positions.
    common = ["lowercase", "asciifolding", "psx_possessive", "psx_stop"]
    return {
        "filter": {
            "psx_possessive": {"type": "stemmer", "language": "possessive_english"},
            "psx_stop": {"type": "stop", "stopwords": list(ENGLISH_STOP_WORDS)},
            "psx_stemmer": {"type": "snowball", "language": "English"},
            "psx_tickers": {
                "type": "synonym_graph",
                "synonyms": list(synonyms),
                "lenient": True,
            },
        },
        "analyzer": {
            "psx_english": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": [*common, "psx_stemmer"],
            },
            "psx_english_search": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": [*common, "psx_tickers", "psx_stemmer"],
            },
        },
        "normalizer": {"psx_upper": {"type": "custom", "filter": ["uppercase"]}},
    }


def _text() -> dict[str, Any]:
    return {"type": "text", "analyzer": "psx_english", "search_analyzer": "psx_english_search"}


def news_template(synonyms: Sequence[str], *, replicas: int = 1) -> dict[str, Any]:
    """The composable index template of the news indices (`psx-news-*`)."""
    return {
        "index_patterns": [f"{NEWS_ALIAS}-*"],
        "priority": 100,
        "version": TEMPLATE_VERSION,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": replicas,
                "analysis": _analysis(synonyms),
            },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "id": {"type": "long"},
                    "title": _text(),
                    "summary": _text(),
                    "body": _text(),
                    "symbols": {"type": "keyword", "normalizer": "psx_upper"},
                    "category": {"type": "keyword"},
                    "source": {"type": "keyword"},
                    "url": {"type": "keyword", "index": False},
                    "published_at": {"type": "date"},
                },
            },
        },
    }


def companies_template(synonyms: Sequence[str], *, replicas: int = 1) -> dict[str, Any]:
    """The index template of the company look-up indices (`psx-companies-*`)."""
    return {
        "index_patterns": [f"{COMPANIES_ALIAS}-*"],
        "priority": 100,
        "version": TEMPLATE_VERSION,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": replicas,
                "analysis": _analysis(synonyms),
            },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "symbol": {
                        "type": "keyword",
                        "normalizer": "psx_upper",
                        "fields": {"text": {"type": "text", "analyzer": "simple"}},
                    },
                    "name": {**_text(), "fields": {"plain": {"type": "text"}}},
                    "aliases": {**_text(), "fields": {"plain": {"type": "text"}}},
                },
            },
        },
    }


def _leaf(clause: Clause, *, positive: bool) -> dict[str, Any]:
    # A term of stop words only would match nothing ("none") and sink its AND-group; as a
    # positive leaf it matches everything instead, as PostgreSQL drops such a term.
    return {
        "multi_match": {
            "query": clause.text,
            "type": "phrase",
            "fields": list(NEWS_FIELDS),
            "zero_terms_query": "all" if positive else "none",
        }
    }


def _group(group: Sequence[Clause]) -> dict[str, Any]:
    must = [_leaf(c, positive=True) for c in group if not c.negated]
    must_not = [_leaf(c, positive=False) for c in group if c.negated]
    body: dict[str, Any] = {}
    if must:
        body["must"] = must
    if must_not:
        body["must_not"] = must_not
    return {"bool": body}


def text_query(query: Query) -> dict[str, Any]:
    """The structured query of parsed websearch text (groups OR-ed, clauses AND-ed)."""
    if not query:
        return {"match_none": {}}
    if len(query) == 1:
        return _group(query[0])
    return {"bool": {"should": [_group(g) for g in query], "minimum_should_match": 1}}


def news_filters(
    *,
    symbols: Sequence[str] = (),
    categories: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Filter clauses (no scoring): any of the symbols, any of the categories, a time range."""
    filters: list[dict[str, Any]] = []
    if symbols:
        filters.append({"terms": {"symbols": [s.upper() for s in symbols]}})
    if categories:
        filters.append({"terms": {"category": list(categories)}})
    if since is not None or until is not None:
        bounds: dict[str, str] = {}
        if since is not None:
            bounds["gte"] = since.isoformat()
        if until is not None:
            bounds["lt"] = until.isoformat()
        filters.append({"range": {"published_at": bounds}})
    return filters


def news_search_body(
    query: Query | None,
    filters: list[dict[str, Any]],
    *,
    offset: int,
    size: int,
    time_zone: str = "Asia/Karachi",
) -> dict[str, Any]:
    """One `_search` body: a page of hits with highlights, the total, and the facets.

    `query` None lists the filtered articles newest first (no text given).
    """
    scored = query is not None
    must = [text_query(query)] if query is not None else []
    body: dict[str, Any] = {
        "from": offset,
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": filters}} if must else _filtered(filters),
        "sort": (
            [{"_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}]
            if scored
            else [{"published_at": "desc"}, {"id": "desc"}]
        ),
        "_source": ["id"],
        "aggs": {
            "category": {"terms": {"field": "category", "size": FACET_SIZE}},
            "symbol": {"terms": {"field": "symbols", "size": FACET_SIZE}},
            "month": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": "month",
                    "time_zone": time_zone,
                    "format": "yyyy-MM",
                    "min_doc_count": 1,
                }
            },
        },
    }
    if scored:
        body["highlight"] = {
            "pre_tags": [HIGHLIGHT_PRE],
            "post_tags": [HIGHLIGHT_POST],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": SNIPPET_CHARS,
                },
            },
        }
    return body


def _filtered(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def company_search_body(text: str, *, size: int) -> dict[str, Any]:
    """Company look-up: exact or prefix symbol first, then names and aliases, typos forgiven.

    The text is cut to its words and given to `match`-family leaves only.
    """
    words = " ".join(re.findall(r"\w+", text))[:100]
    return {
        "size": size,
        "query": {
            "bool": {
                "should": [
                    {"term": {"symbol": {"value": words.replace(" ", ""), "boost": 10}}},
                    {"prefix": {"symbol": {"value": words.replace(" ", ""), "boost": 4}}},
                    {"match_phrase_prefix": {"name.plain": {"query": words, "boost": 3}}},
                    {
                        "multi_match": {
                            "query": words,
                            "fields": ["symbol.text^2", "name", "aliases", "aliases.plain"],
                            "fuzziness": "AUTO",
                            "prefix_length": 1,
                            "operator": "and",
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        },
        "sort": [{"_score": "desc"}, {"symbol": "asc"}],
        "_source": ["symbol"],
    }
