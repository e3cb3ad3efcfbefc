"""Recognising English local authorities in text.

The gazetteer (qa/local_authorities.csv, a copy of the shared corpus file)
lists every authority with its other names and region. Names are matched as
whole words, longest first, so "North Lincolnshire" is not also "Lincolnshire".
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_GAZETTEER = Path(__file__).with_name("local_authorities.csv")

# Authority names that are also everyday English words: matched only when
# written with a capital letter, so "reading levels" is not Reading.
_COMMON_WORDS = {"reading", "bury", "slough", "derby", "sutton", "halton", "poole"}


@dataclass(frozen=True, slots=True)
class Authority:
    name: str  # canonical (ONS) name
    region: str
    aliases: tuple[str, ...]


class Gazetteer:
    def __init__(self, authorities: list[Authority]):
        self.authorities = {a.name: a for a in authorities}
        alias_to_name: dict[str, str] = {}
        for a in authorities:
            for alias in a.aliases:
                alias_to_name.setdefault(alias.lower(), a.name)
        self._alias_to_name = alias_to_name
        # Longest alias first so the regex prefers the most specific name.
        aliases = sorted(alias_to_name, key=len, reverse=True)
        pattern = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in aliases)
        self._regex = re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Every authority named in `text`, as (canonical name, start, end)."""
        found = []
        for m in self._regex.finditer(text):
            surface = m.group(0)
            key = re.sub(r"\s+", " ", surface.lower())
            name = self._alias_to_name.get(key)
            # None: the regex's case folding is wider than lower() ("Eſſex" with a long s
            # matches "essex"); nobody writes a place so, and it must not raise.
            if name is None or (key in _COMMON_WORDS and not surface[:1].isupper()):
                continue
            found.append((name, m.start(), m.end()))
        return found

    def names_in(self, text: str) -> list[str]:
        """Distinct authorities named in `text`, most mentioned first."""
        counts: dict[str, int] = {}
        for name, _, _ in self.find(text):
            counts[name] = counts.get(name, 0) + 1
        return sorted(counts, key=lambda n: -counts[n])

    def resolve(self, name: str) -> str | None:
        """The canonical name for a name or alias, or None."""
        key = re.sub(r"[\s_]+", " ", name.strip().lower()).replace(" & ", " and ")
        return self._alias_to_name.get(key)

    def region(self, name: str) -> str | None:
        a = self.authorities.get(name)
        return a.region if a else None


def _aliases(row: dict[str, str]) -> tuple[str, ...]:
    names = {row["local_authority_ons_name"], row["ltla23nm"], row["utla23nm"]}
    other = row.get("also_known_as", "").strip().strip("[]")
    names.update(n.strip() for n in other.split(",") if n.strip())
    # "Bristol, City of" is written "City of Bristol" or "Bristol" in prose.
    for n in list(names):
        m = re.fullmatch(r"(.+), City of", n)
        if m:
            names.update({m.group(1), f"City of {m.group(1)}"})
        if n.startswith("County "):
            names.add(n.removeprefix("County "))
        if " and " in n:
            names.add(n.replace(" and ", " & "))
    return tuple(sorted(n for n in names if n))


@lru_cache(maxsize=4)
def load_gazetteer(path: str | Path = DEFAULT_GAZETTEER) -> Gazetteer:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return Gazetteer([Authority(r["local_authority_ons_name"], r["region_name"], _aliases(r)) for r in rows])
