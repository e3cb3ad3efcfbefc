"""Recognising English local authorities in text.

The gazetteer (qa/ingest/local_authorities.csv, a copy of the shared corpus file)
lists every authority with its other names and region; qa/ingest/everyday_place_names.csv
adds the names people use for them and the file does not (the Royal Mail's
county abbreviations, "Hants", "Notts"; a town standing for its authority,
"Stoke", "Southend"; initials councils use, "RBKC"). Names are matched as
whole words, longest first, so "North Lincolnshire" is not also "Lincolnshire",
with or without full stops ("St Helens", "St. Helens").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_GAZETTEER = Path(__file__).with_name("local_authorities.csv")
EVERYDAY_NAMES = Path(__file__).with_name("everyday_place_names.csv")

# Authority names that are also everyday English words: matched only when
# written with a capital letter, so "reading levels" is not Reading.
_COMMON_WORDS = {
    "reading", "bury", "slough", "derby", "sutton", "halton", "poole", "bath", "barking", "stoke", "richmond",
    "windsor", "brum", "salop", "mk", "bucks", "herts", "staffs", "notts",
}
# Questions are typed in lower case as often as not ("stoke LADO", "halton 2020
# inspection"), so there the names above count in lower case too, except those
# that are everyday words in questions about children ("reading age", "a bath"):
# they need a council beside them ("bath council", "reading's") or, but for
# "reading", a preposition before them ("kids in bath").
_WORDS_IN_QUESTIONS = {"reading", "bath", "bury", "barking", "slough"}
_COUNCIL_AFTER = re.compile(r"^(?:['’]s\b|\s+(?:council|borough)\b)", re.I)
_PLACE_BEFORE = re.compile(r"\b(?:in|at|from)\s+$", re.I)


@dataclass(frozen=True, slots=True)
class Authority:
    name: str  # canonical (ONS) name
    region: str
    aliases: tuple[str, ...]
    initialisms: tuple[str, ...] = ()  # "KCC", "LBBD": matched in capitals only


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
        self._initialism_to_name = {i: a.name for a in authorities for i in a.initialisms}
        self._initialisms = re.compile(
            r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, self._initialism_to_name), key=len, reverse=True))
            + r")(?![\w-])"
        ) if self._initialism_to_name else None

    def find(self, text: str, *, question: bool = False) -> list[tuple[str, int, int]]:
        """Every authority named in `text`, as (canonical name, start, end);
        `question`: the text is a question, where names are often typed in lower case."""
        found = []
        for m in self._regex.finditer(text):
            surface = m.group(0)
            key = re.sub(r"\s+", " ", surface.lower())
            name = self._alias_to_name.get(key)
            # None: the regex's case folding is wider than lower() ("Eſſex" with a long s
            # matches "essex"); nobody writes a place so, and it must not raise.
            if name is None or (key in _COMMON_WORDS and not surface[:1].isupper()
                                and not (question and _lower_case_name(key, text, m.start(), m.end()))):
                continue
            found.append((name, m.start(), m.end()))
        if self._initialisms is not None:
            taken = [(s, e) for _, s, e in found]
            for m in self._initialisms.finditer(text):
                if not any(s < m.end() and m.start() < e for s, e in taken):
                    found.append((self._initialism_to_name[m.group(0)], m.start(), m.end()))
            found.sort(key=lambda f: f[1])
        return found

    def names_in(self, text: str) -> list[str]:
        """Distinct authorities named in `text`, most mentioned first."""
        counts: dict[str, int] = {}
        for name, _, _ in self.find(text):
            counts[name] = counts.get(name, 0) + 1
        return sorted(counts, key=lambda n: -counts[n])

    def resolve(self, name: str) -> str | None:
        """The canonical name for a name or alias, or None."""
        key = re.sub(r"[\s_]+", " ", name.strip().lower())
        return self._alias_to_name.get(key) or self._alias_to_name.get(key.replace(" & ", " and "))

    def region(self, name: str) -> str | None:
        a = self.authorities.get(name)
        return a.region if a else None


def _lower_case_name(word: str, text: str, start: int, end: int) -> bool:
    """Whether a name that is also a word, typed in lower case in a question, names the place."""
    if word not in _WORDS_IN_QUESTIONS:
        return True
    return bool(_COUNCIL_AFTER.match(text[end:]) or (word != "reading" and _PLACE_BEFORE.search(text[:start])))


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
        if "-" in n:  # "Stoke on Trent"
            names.add(n.replace("-", " "))
    return tuple(sorted(n for n in names if n))


def _without_stops(names: tuple[str, ...]) -> tuple[str, ...]:
    """Each name also as written without full stops ("St Helens" for "St. Helens")."""
    return tuple(sorted(set(names) | {n.replace(".", "") for n in names}))


def _everyday_names(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        out: dict[str, list[str]] = {}
        for row in csv.DictReader(f):
            out.setdefault(row["authority"], []).append(row["everyday_name"])
        return out


_NOT_INITIALLED = {"of", "and", "upon", "on", "with", "the", "&", "city", "county"}
# How councils of each kind initial themselves: Kent County Council "KCC", the London
# Borough of Barking and Dagenham "LBBD", East Riding of Yorkshire Council "ERYC".
_INITIALISM_FORMS = {
    "County": ("{}CC",),
    "London Borough": ("LB{}", "RB{}"),
    "Metropolitan District": ("{}MBC", "{}C"),
    "Unitary Authority": ("{}C", "{}BC"),
}


def _initialisms(rows: list[dict[str, str]]) -> dict[str, tuple[str, ...]]:
    """Initialisms of each authority's council that no other authority shares
    (at least three letters; "NCC" is Norfolk, Nottinghamshire and others, so none of them)."""
    made: dict[str, set[str]] = {}
    for r in rows:
        name = r["local_authority_ons_name"]
        words = re.findall(r"[A-Za-z]+", name.replace("-", " "))
        letters = "".join(w[0].upper() for w in words if w.lower() not in _NOT_INITIALLED)
        for form in _INITIALISM_FORMS.get(r.get("ons_la_type", ""), ()):
            made.setdefault(form.format(letters), set()).add(name)
    out: dict[str, list[str]] = {}
    for initialism, names in made.items():
        if len(names) == 1 and len(initialism) >= 3:
            out.setdefault(next(iter(names)), []).append(initialism)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=4)
def load_gazetteer(path: str | Path = DEFAULT_GAZETTEER, everyday: str | Path = EVERYDAY_NAMES) -> Gazetteer:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    extra = _everyday_names(Path(everyday))
    initialisms = _initialisms(rows)
    return Gazetteer([
        Authority(r["local_authority_ons_name"], r["region_name"],
                  _without_stops(_aliases(r) + tuple(extra.get(r["local_authority_ons_name"], ()))),
                  initialisms.get(r["local_authority_ons_name"], ()))
        for r in rows
    ])
