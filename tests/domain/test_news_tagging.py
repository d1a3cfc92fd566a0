"""Tagging symbols in article text: whole words only, tickers and company names."""

from __future__ import annotations

import pytest

from domain.news.tagging import Tagger, short_name
from domain.news.titles import similarity, title_key

TAGGER = Tagger.of(
    {
        "PSO": ("Pakistan State Oil Company Ltd",),
        "LUCK": ("Lucky Cement Ltd",),
        "OGDC": ("Oil & Gas Development Company Ltd", "OGDCL"),
        "HUBC": ("Hub Power Company Ltd", "HUBCO"),
    }
)


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("PSO gains on margins", ("PSO",)),
        ("PSOriasis drug launched", ()),
        ("pso is lower case", ()),
        ("XPSO and PSO-X", ()),
        ("Lucky Cement expands", ("LUCK",)),
        ("Luckyland opens", ()),
        ("OGDCL finds gas; Hub Power up", ("HUBC", "OGDC")),
        ("(LUCK), HUBCO.", ("HUBC", "LUCK")),
        ("Pakistan State Oil posts profit", ("PSO",)),
    ],
)
def test_tags_whole_words_only(text: str, symbols: tuple[str, ...]) -> None:
    assert TAGGER.tag(text) == symbols


def test_short_name_drops_legal_suffixes() -> None:
    assert short_name("Oil & Gas Development Company Ltd") == "Oil & Gas Development"
    assert short_name("Lucky Cement Limited") == "Lucky Cement"


def test_near_duplicate_titles_are_similar() -> None:
    a = title_key("KSE-100 gains 500 points as oil rallies")
    b = title_key("KSE-100 gains 500 points as oil rallies - Dawn")
    assert similarity(a, b) >= 0.8
    assert similarity(a, title_key("Cement despatches fall in October")) < 0.3
