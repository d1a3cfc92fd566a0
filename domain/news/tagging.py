"""Tagging articles with the companies they mention: tickers and names as whole words only.

A symbol matches where it stands as a word in upper case (`PSO` in "PSO gains", never in
"PSOriasis" nor in "pso"); a name or alias matches as whole words, case-insensitively, so
"Lucky Cement" tags LUCK but "Luckyland" does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Legal suffixes dropped from company names to get the name people write.
_SUFFIXES = re.compile(r"\s+(company\s+)?(ltd|limited|plc|corporation|co)\.?$", re.IGNORECASE)
_MIN_ALIAS = 4


def short_name(name: str) -> str:
    """`Lucky Cement Ltd` → `Lucky Cement`, `The Hub Power Company Ltd` → `Hub Power`."""
    name = _SUFFIXES.sub("", name.strip())
    return name[4:] if name.lower().startswith("the ") else name


@dataclass(frozen=True, slots=True)
class Tagger:
    """Finds symbols in text; build it once per import with `Tagger.of`."""

    symbols: re.Pattern[str] | None
    names: re.Pattern[str] | None
    by_code: Mapping[str, str]
    by_name: Mapping[str, str]

    @classmethod
    def of(cls, names_by_symbol: Mapping[str, Iterable[str]]) -> Tagger:
        """A tagger of these symbols, each with its names and aliases."""
        by_name: dict[str, str] = {}
        # Tickers, and aliases written in capitals (OGDCL), match case-sensitively.
        by_code: dict[str, str] = {s: s for s in names_by_symbol}
        for symbol, names in names_by_symbol.items():
            for name in names:
                for variant in {name.strip(), short_name(name)}:
                    if variant.isupper() and " " not in variant:
                        by_code.setdefault(variant, symbol)
                    elif len(variant) >= _MIN_ALIAS:
                        by_name.setdefault(variant.lower(), symbol)
        syms = sorted(by_code, key=len, reverse=True)
        sym_re = (
            re.compile(r"(?<![\w.&-])(" + "|".join(map(re.escape, syms)) + r")(?![\w&-])")
            if syms
            else None
        )
        keys = sorted(by_name, key=len, reverse=True)
        name_re = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, keys)) + r")(?!\w)", re.IGNORECASE)
            if keys
            else None
        )
        return cls(sym_re, name_re, by_code, by_name)

    def tag(self, *texts: str) -> tuple[str, ...]:
        """The symbols mentioned in `texts`, sorted."""
        found: set[str] = set()
        for text in texts:
            if self.symbols is not None:
                found.update(self.by_code[m.group(1)] for m in self.symbols.finditer(text))
            if self.names is not None:
                found.update(self.by_name[m.group(1).lower()] for m in self.names.finditer(text))
        return tuple(sorted(found))
