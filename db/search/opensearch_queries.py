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
from domain.news.articles import NewsFilter
from domain.news.search import (
    FACET_SIZE,
    RECENCY_HALF_LIFE_DAYS,
    SENTINEL_END,
    SENTINEL_START,
    SNIPPET_WORDS,
)

NEWS_ALIAS = "psx-news"
COMPANIES_ALIAS = "psx-companies"
TEMPLATE_VERSION = 1

# Weights of the fields of an article: a word in the title counts most.
NEWS_FIELDS = ("title^3", "summary^2", "body")
# A passage of SNIPPET_WORDS words is about this many characters; the parser cuts to words.
SNIPPET_CHARS = SNIPPET_WORDS * 8
# OpenSearch refuses from + size beyond index.max_result_window (10,000 by default).
MAX_WINDOW = 10_000

_CORPORATE_SUFFIXES = frozenset({"limited", "ltd", "ltd.", "plc", "pvt", "(pvt)"})
_SYNONYM_UNSAFE = re.compile(r"[^\w\s'.-]+")


def synonym_rules(aliases: Mapping[str, Iterable[str]]) -> list[str]:
    """Solr-format equivalence rules, one per symbol: `ogdc, ogdcl, oil gas development`.

    Alias text is reduced to words (commas, `=>` and `#` would change a rule's meaning),
    lower-cased, and a trailing "Limited" or "Ltd" dropped; aliases that are only stop words,
    and symbols without aliases, give no rule.
    """
    stop = frozenset(ENGLISH_STOP_WORDS)
    rules: list[str] = []
    for symbol in sorted(aliases):
        terms: list[str] = []
        for raw in [symbol, *aliases[symbol]]:
            words = [w for w in _SYNONYM_UNSAFE.sub(" ", raw.lower()).split() if w not in stop]
            # "Lucky Cement Limited" is written "Lucky Cement" in the news.
            while len(words) > 1 and words[-1] in _CORPORATE_SUFFIXES:
                words.pop()
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
    """The composable index template of the news indices (`psx-news-*`).

    A document holds the whole article (db/search/opensearch_documents.py), so hits need no
    second read; only the fields searched, filtered or sorted on are indexed.
    """
    keyword = {"type": "keyword"}
    stored = {"type": "keyword", "index": False}
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
                    "symbols": keyword,
                    "sectors": keyword,
                    "tags": keyword,
                    "category": keyword,
                    "kind": keyword,
                    "published_at": {"type": "date"},
                    "source": stored,
                    "url": stored,
                    "author": stored,
                    "language": stored,
                    "announcement_type": stored,
                    "data_source": stored,
                    "sentiment": {"type": "float", "index": False},
                    "created_at": {"type": "date", "index": False},
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
                    "sector_code": {"type": "keyword"},
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


def news_filters(f: NewsFilter) -> list[dict[str, Any]]:
    """Filter clauses (unscored): every set field must hold, any value within one."""
    filters: list[dict[str, Any]] = []
    for field, values in (
        ("category", [c.value for c in f.categories]),
        ("symbols", [s.upper() for s in f.symbols]),
        ("sectors", list(f.sectors)),
        ("kind", [k.value for k in f.kinds]),
        ("tags", list(f.tags)),
    ):
        if values:
            filters.append({"terms": {field: values}})
    if f.published_from is not None or f.published_to is not None:
        bounds: dict[str, str] = {}
        if f.published_from is not None:
            bounds["gte"] = f.published_from.isoformat()
        if f.published_to is not None:
            bounds["lt"] = f.published_to.isoformat()
        filters.append({"range": {"published_at": bounds}})
    return filters


def _recency(query: dict[str, Any], now: datetime) -> dict[str, Any]:
    # Relevance × (0.5 + 0.5 · 2^(−age / half-life)): a constant 0.5 summed with an
    # exponential decay that halves every half-life, weighted 0.5 (domain.news.search).
    return {
        "function_score": {
            "query": query,
            "functions": [
                {"weight": 0.5},
                {
                    "exp": {
                        "published_at": {
                            "origin": now.isoformat(),
                            "scale": f"{RECENCY_HALF_LIFE_DAYS:g}d",
                            "decay": 0.5,
                        }
                    },
                    "weight": 0.5,
                },
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def _passage() -> dict[str, Any]:
    return {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1}


def news_search_body(
    query: Query, filters: list[dict[str, Any]], *, offset: int, size: int, now: datetime
) -> dict[str, Any]:
    """One `_search` body: a page of hits with highlights, the total, and the facets.

    The facets count every article matching query and filters, in UTC months.
    """
    by_count = [{"_count": "desc"}, {"_key": "asc"}]
    return {
        "from": offset,
        "size": size,
        "track_total_hits": True,
        "query": _recency({"bool": {"must": [text_query(query)], "filter": filters}}, now),
        "sort": [{"_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
        "highlight": {
            "pre_tags": [SENTINEL_START],
            "post_tags": [SENTINEL_END],
            "fields": {
                "title": {"number_of_fragments": 0},
                "summary": _passage(),
                "body": _passage(),
            },
        },
        "aggs": {
            "category": {"terms": {"field": "category", "size": FACET_SIZE, "order": by_count}},
            "symbol": {"terms": {"field": "symbols", "size": FACET_SIZE, "order": by_count}},
            "month": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": "month",
                    "time_zone": "UTC",
                    "format": "yyyy-MM",
                    "min_doc_count": 1,
                }
            },
        },
    }


def company_search_body(text: str, *, size: int) -> dict[str, Any]:
    """Company look-up: exact or prefix symbol first, then names and aliases, typos forgiven.

    The text is cut to its words and given to `term`, `prefix` and `match`-family leaves only;
    the exact-symbol leaf is named `symbol` so that a hit says it matched that way.
    """
    words = " ".join(re.findall(r"\w+", text))[:100]
    symbol = words.replace(" ", "").upper()
    return {
        "size": size,
        "query": {
            "bool": {
                "should": [
                    {"term": {"symbol": {"value": symbol, "boost": 10, "_name": "symbol"}}},
                    {"prefix": {"symbol": {"value": symbol, "boost": 4}}},
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
        "highlight": {
            "pre_tags": [SENTINEL_START],
            "post_tags": [SENTINEL_END],
            "fields": {
                "name": {"number_of_fragments": 0},
                "name.plain": {"number_of_fragments": 0},
                "aliases": {"number_of_fragments": 0},
                "aliases.plain": {"number_of_fragments": 0},
            },
        },
    }
