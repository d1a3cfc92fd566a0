"""The websearch query syntax, parsed the way PostgreSQL's `websearch_to_tsquery` reads it.

Users type `oil gas`, `"cement prices"`, `oil or gas`, `-lucky`; the OpenSearch backend never
hands that text to a query parser of OpenSearch. It parses it here into groups of clauses and
builds a structured query whose leaves are `match`-family queries of plain text, so no input can
change the query's shape.

Reading rules (checked against PostgreSQL 15):
- words are runs of letters and digits, joined by inner `-`, `'` or `.` (`K-Electric`, `1.5`);
  every other character separates words, `&`, `|`, `!` and brackets included;
- `"..."` is a phrase (an unclosed quote runs to the end);
- `or` between two terms is OR, binding looser than the implicit AND; a leading, trailing or
  repeated `or` is dropped;
- `-` before a term negates it (`- oil` too, and `--oil` is double negation);
- past MAX_CLAUSES terms the rest of the text is ignored (OpenSearch caps a query's clauses);
- a term of English stop words only is dropped, as PostgreSQL's `english` configuration
  drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL's tsearch_data/english.stop (Snowball's list): the analyzer of the index uses the
# same words, so both backends ignore the same terms.
ENGLISH_STOP_WORDS: tuple[str, ...] = tuple(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now""".split()  # noqa: SIM905 - a word list reads best as words
)
_STOP = frozenset(ENGLISH_STOP_WORDS)
MAX_CLAUSES = 64

_WORD = re.compile(r"\w+(?:[-'.]\w+)*")
_TOKEN = re.compile(
    r'"(?P<phrase>[^"]*)"?|(?P<dash>-)|(?P<word>\w+(?:[-\'.]\w+)*)|(?P<sep>.)', re.S
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One term or phrase: its words, and whether the documents must lack it."""

    words: tuple[str, ...]
    negated: bool = False

    @property
    def text(self) -> str:
        """The words as one string (what a `match_phrase` query is given)."""
        return " ".join(self.words)


# OR of AND-groups: `oil gas or -lucky` is ((oil, gas), (-lucky,)).
Query = tuple[tuple[Clause, ...], ...]


def _meaningful(words: list[str]) -> tuple[str, ...]:
    # Stop words inside a phrase stay: the analyzer drops them and keeps the position gap, so
    # "oil and gas" still needs the two words two positions apart, as PostgreSQL's `<2>` does.
    return tuple(words) if any(w.lower() not in _STOP for w in words) else ()


def parse_websearch(text: str) -> Query:
    """Parse websearch syntax into OR-ed groups of AND-ed clauses; empty when nothing is left.

    Any string is accepted: characters that are not words, quotes or dashes only separate words.
    """
    groups: list[list[Clause]] = [[]]
    clauses = 0
    negations = 0
    pending_or = False
    for m in _TOKEN.finditer(text):
        if m.group("dash") is not None:
            negations += 1
            continue
        if m.group("sep") is not None:
            if not m.group("sep").isspace():
                negations = 0
            continue
        phrase = m.group("phrase")
        if phrase is None and m.group("word").lower() == "or" and negations == 0:
            pending_or = True
            continue
        words = _WORD.findall(phrase) if phrase is not None else [m.group("word")]
        kept = _meaningful(words)
        negated = negations % 2 == 1
        negations = 0
        if not kept:
            continue
        if pending_or and groups[-1]:
            groups.append([])
        pending_or = False
        groups[-1].append(Clause(kept, negated))
        clauses += 1
        if clauses == MAX_CLAUSES:
            break
    return tuple(tuple(g) for g in groups if g)
