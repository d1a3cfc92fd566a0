"""The search contract shared by every search backend (PostgreSQL full text, OpenSearch).

Results contract, whatever the backend:
- `query` is websearch syntax: words (AND), `"a phrase"`, `a or b`, `-excluded`. Any string is
  accepted: text that holds no searchable term matches nothing (an empty page, not an error),
  and user text never reaches a query language except as plain terms.
- hits are ordered by `score` (text relevance multiplied by `recency_factor` of the article's
  age), then newer `published_at`, then higher id; `score` is >= 0 and only comparable within
  one result (it is 0 for a query of exclusions only).
- `title` and `snippet` are HTML-safe: the article's text HTML-escaped, each matched term
  wrapped in `<mark>`…`</mark>` (`render_highlight` turns sentinel-marked text into that);
  the snippet is at most about SNIPPET_WORDS words of the best passage (summary, else body).
- facets count the articles matching query and filters (not just the page): the top
  FACET_SIZE values of category, symbol and month (`YYYY-MM` of `published_at` in UTC), by
  count descending then value ascending.
- cursors are `domain.pagination` offset cursors of the ordered hits; `total` counts all.
- a backend may bound the work of a broad query: when more than CANDIDATE_LIMIT articles
  match, the PostgreSQL backend ranks, pages and facets only the newest CANDIDATE_LIMIT of
  them, `total` is CANDIDATE_LIMIT (a lower bound) and `exact` is False. With `exact` True
  (always so with at most CANDIDATE_LIMIT matches, and always on OpenSearch, whose index ranks every
  match) hits, `total` and facets cover every match.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from domain.news.articles import Article

HIGHLIGHT_START = "<mark>"
HIGHLIGHT_END = "</mark>"
# Backends mark matches with these control characters (never in stored text: imports drop
# control characters), then `render_highlight` escapes the text and swaps in the tags.
SENTINEL_START = "\x02"
SENTINEL_END = "\x03"
SNIPPET_WORDS = 35
FACET_SIZE = 20
MAX_QUERY_CHARS = 1_000
# The age at which the recency factor falls to half its range: 0.5 + 0.5 * 2**(-age/half).
RECENCY_HALF_LIFE_DAYS = 30.0
COMPANY_LIMIT = 20
# The most matches a PostgreSQL search ranks and facets (the newest): ranking every match of a
# word in most articles took seconds at 100,000 articles (bench/README.md).
CANDIDATE_LIMIT = 1_000


def recency_factor(age_days: float) -> float:
    """The multiplier of relevance for an article `age_days` old: 1 when new, towards 0.5."""
    return 0.5 + 0.5 * math.pow(2.0, -max(age_days, 0.0) / RECENCY_HALF_LIFE_DAYS)


def clean_query(query: str) -> str:
    """The query text a backend parses: control characters dropped, cut at MAX_QUERY_CHARS."""
    kept = "".join(ch if ch.isprintable() else " " for ch in query)
    return kept[:MAX_QUERY_CHARS].strip()


def render_highlight(marked: str) -> str:
    """HTML-escape `marked` and turn its sentinels into `<mark>` tags."""
    escaped = html.escape(marked, quote=False)
    return escaped.replace(SENTINEL_START, HIGHLIGHT_START).replace(SENTINEL_END, HIGHLIGHT_END)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article with its highlighted title and snippet and its score."""

    article: Article
    score: float
    title: str
    snippet: str


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many matching articles have this value."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts by category, symbol and month (`YYYY-MM`) over all matching articles."""

    categories: tuple[FacetCount, ...] = ()
    symbols: tuple[FacetCount, ...] = ()
    months: tuple[FacetCount, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of hits with a cursor per hit, the total and the facets.

    `exact` is False when the backend ranked only the newest CANDIDATE_LIMIT matches: `total`
    is then a lower bound, and hits and facets come from those newest matches.
    """

    hits: tuple[SearchHit, ...]
    cursors: tuple[str, ...]
    total: int
    has_next: bool
    has_previous: bool
    facets: Facets
    exact: bool = True


@dataclass(frozen=True, slots=True)
class CompanyEntry:
    """A company as the search indexes it: symbol, name and its other names."""

    symbol: str
    name: str
    sector_code: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompanyHit:
    """A company matching a look-up, typo-tolerant; `matched` is the name or alias that hit.

    Ordered by score descending (1.0 for an exact symbol), then symbol.
    """

    symbol: str
    name: str
    sector_code: str
    aliases: tuple[str, ...]
    matched: str
    score: float
