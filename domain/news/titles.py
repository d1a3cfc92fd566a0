"""Normalised titles: what near-duplicate detection compares."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
NEAR_DUPLICATE = 0.8


def title_key(title: str) -> str:
    """The title lower-cased, as words separated by single spaces (punctuation dropped)."""
    return " ".join(_WORDS.findall(title.lower()))


def _trigrams(key: str) -> set[str]:
    grams: set[str] = set()
    for word in key.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """Trigram similarity of two title keys, as pg_trgm's `similarity` computes it."""
    ga, gb = _trigrams(a), _trigrams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)
