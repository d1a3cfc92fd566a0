"""The OpenSearch query builder: websearch text read as PostgreSQL reads it, safely structured."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from db.search.opensearch_queries import (
    company_search_body,
    news_filters,
    news_search_body,
    synonym_rules,
    text_query,
)
from db.search.websearch import MAX_CLAUSES, Clause, Query, parse_websearch
from domain.news.articles import ArticleKind, NewsCategory, NewsFilter
from domain.news.search import RECENCY_HALF_LIFE_DAYS
from tests.conftest import ADMIN_URL

NOW = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)

QUERIES = [
    "oil gas",
    'oil gas or "cement prices" -lucky',
    "oil or or gas",
    "or oil",
    "oil or",
    "- oil",
    "oil - gas",
    "oil OR -gas",
    'oil -"gas price"',
    "-oil",
    'oil "" gas',
    "oil or -gas cement",
    '"oil or gas"',
    '"oil and gas" exploration',
    "oil(gas)",
    "oil & gas | cement !x",
    "K-Electric results",
    '"unterminated phrase',
    "the results of the year",
    "fertilizer's urea offtake",
    "Rs1.5bn profit 2026",
    "a b or c d",
]


@pytest.fixture(scope="module")
async def pg() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(ADMIN_URL)
    yield conn
    await conn.close()


async def _as_tsquery(conn: asyncpg.Connection, query: Query) -> str:
    """Our parse, rebuilt as a tsquery from phrases: each clause phraseto_tsquery'd."""
    if not query:
        return ""
    params: list[str] = []
    ors = []
    for group in query:
        ands = []
        for clause in group:
            params.append(clause.text)
            leaf = f"phraseto_tsquery('english', ${len(params)})"
            ands.append(f"(!! {leaf})" if clause.negated else leaf)
        ors.append("(" + " && ".join(ands) + ")")
    return str(await conn.fetchval("SELECT (" + " || ".join(ors) + ")::text", *params))


@pytest.mark.parametrize("text", QUERIES)
async def test_websearch_is_read_as_postgresql_reads_it(pg: asyncpg.Connection, text: str) -> None:
    # Given PostgreSQL's own reading of the text
    want = await pg.fetchval("SELECT websearch_to_tsquery('english', $1)::text", text)
    # When we parse it, then the same query comes out
    assert await _as_tsquery(pg, parse_websearch(text)) == want


def test_groups_and_negations() -> None:
    assert parse_websearch('oil gas or "cement prices" -lucky') == (
        (Clause(("oil",)), Clause(("gas",))),
        (Clause(("cement", "prices")), Clause(("lucky",), negated=True)),
    )
    assert parse_websearch("the") == ()
    assert parse_websearch("-or") == ()
    assert parse_websearch('"""') == ()


@pytest.mark.parametrize(
    "hostile",
    [
        'title:oil AND body:* OR _exists_:x {"script": 1} \\ / ~2 ^9 [a TO z]',
        "*:*",
        '"}]}} {"match_all": {}}',
        "\x00\x1f\u202e<script>",
        "x" * 10_000,
        " ".join(f"w{i}" for i in range(5000)),
    ],
)
def test_no_input_changes_the_shape_of_the_query(hostile: str) -> None:
    # Whatever the text, the leaves are multi_match phrase queries of words, nothing else.
    body = news_search_body(parse_websearch(hostile), [], offset=0, size=10, now=NOW)
    leaves = list(_leaves(body["query"]["function_score"]["query"]))
    if not parse_websearch(hostile):
        assert leaves == [{"match_none": {}}]
        return
    for leaf in leaves:
        assert set(leaf) == {"multi_match"}
        assert set(leaf["multi_match"]) == {"query", "type", "fields", "zero_terms_query"}
        assert leaf["multi_match"]["type"] == "phrase"
        assert all(ch.isalnum() or ch in " -'._" for ch in leaf["multi_match"]["query"])
    assert len(leaves) <= MAX_CLAUSES
    assert "query_string" not in json.dumps(body)


def _leaves(node: Any) -> Any:
    if "bool" in node:
        for key in ("must", "should", "must_not"):
            for child in node["bool"].get(key, []):
                yield from _leaves(child)
    else:
        yield node


def test_or_groups_need_one_group_and_exclusions_apply_within_it() -> None:
    q = text_query(parse_websearch("oil or -gas cement"))
    (first, second) = q["bool"]["should"]
    assert q["bool"]["minimum_should_match"] == 1
    assert [m["multi_match"]["query"] for m in first["bool"]["must"]] == ["oil"]
    assert [m["multi_match"]["query"] for m in second["bool"]["must"]] == ["cement"]
    assert [m["multi_match"]["query"] for m in second["bool"]["must_not"]] == ["gas"]
    assert second["bool"]["must_not"][0]["multi_match"]["zero_terms_query"] == "none"


def test_filters_are_unscored_terms_and_a_half_open_range() -> None:
    filters = news_filters(
        NewsFilter(
            categories=(NewsCategory.COMPANY,),
            symbols=("ogdc", "PPL"),
            kinds=(ArticleKind.ANNOUNCEMENT,),
            published_from=datetime(2026, 1, 1, tzinfo=UTC),
            published_to=datetime(2026, 2, 1, tzinfo=UTC),
        )
    )
    assert filters == [
        {"terms": {"category": ["COMPANY"]}},
        {"terms": {"symbols": ["OGDC", "PPL"]}},
        {"terms": {"kind": ["ANNOUNCEMENT"]}},
        {
            "range": {
                "published_at": {
                    "gte": "2026-01-01T00:00:00+00:00",
                    "lt": "2026-02-01T00:00:00+00:00",
                }
            }
        },
    ]


def test_scores_are_relevance_times_the_recency_factor() -> None:
    # 0.5 + 0.5 · 2^(−age/30 d): a constant half summed with an exponential decay weighted half.
    body = news_search_body(parse_websearch("oil"), [], offset=20, size=10, now=NOW)
    fs = body["query"]["function_score"]
    assert (fs["score_mode"], fs["boost_mode"]) == ("sum", "multiply")
    assert fs["functions"] == [
        {"weight": 0.5},
        {
            "exp": {
                "published_at": {
                    "origin": "2026-11-19T07:00:00+00:00",
                    "scale": f"{RECENCY_HALF_LIFE_DAYS:g}d",
                    "decay": 0.5,
                }
            },
            "weight": 0.5,
        },
    ]
    assert body["sort"] == [{"_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (20, 10, True)
    assert body["aggs"]["month"]["date_histogram"]["time_zone"] == "UTC"


def test_synonym_rules_are_words_only() -> None:
    assert synonym_rules(
        {
            "OGDC": ["Oil & Gas Development Company", "OGDCL"],
            "LUCK": ["Lucky Cement, Ltd => x # y"],
            "ABC": [],
            "THE": ["the"],
        }
    ) == [
        "luck, lucky cement ltd x y",
        "ogdc, oil gas development company, ogdcl",
    ]
    assert synonym_rules({"LUCK": ["Lucky Cement Limited", "Lucky Cement Ltd"]}) == [
        "luck, lucky cement"
    ]


def test_company_lookup_forgives_typos_and_keeps_only_words() -> None:
    body = company_search_body('lucky cemnt" OR *', size=5)
    fuzzy = body["query"]["bool"]["should"][3]["multi_match"]
    assert fuzzy["query"] == "lucky cemnt OR"
    assert fuzzy["fuzziness"] == "AUTO"
    assert body["size"] == 5
