"""Recognising English local authorities in text.

The gazetteer (qa/ingest/local_authorities.csv, a copy of the shared corpus file)
lists every authority with its other names and region; qa/ingest/everyday_place_names.csv
adds the names people use for them and the file does not (the Royal Mail's
county abbreviations, "Hants", "Notts"; a town standing for its authority,
"Stoke", "Southend"; initials councils use, "RBKC"). Names are matched as
whole words, longest first, so "North Lincolnshire" is not also "Lincolnshire",
with or without full stops ("St Helens", "St. Helens").

qa/ingest/towns.csv maps towns to the authority that runs children's services
there ("Huddersfield" is Kirklees, "Crawley" West Sussex), for questions only:
someone who asks about Huddersfield means Kirklees's reports, while a report
or an article that mentions a town is not thereby about that authority. Towns
whose names are everyday words or are shared by places in two authorities are
left out of the file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_GAZETTEER = Path(__file__).with_name("local_authorities.csv")
EVERYDAY_NAMES = Path(__file__).with_name("everyday_place_names.csv")
TOWNS = Path(__file__).with_name("towns.csv")

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
# A town stands for its authority after a place's preposition or before a council's words.
_TOWN_BEFORE = re.compile(
    r"\b(?:in|at|from|around|near|about|for|across|covering|serving|outside|within)\s+(?:the\s+)?"
    r"(?:(?:town|city|area)\s+of\s+)?$", re.I)
_TOWN_AFTER = re.compile(
    r"^(?:['’]s\b|\s+(?:council|borough|area|children|social|family|families|care\s+leavers|front\s+door)\b)", re.I)
_NAME_GOES_ON = re.compile(
    r"^\s+(?:hospitals?|university|college|academy|school|station|road|street|airport|park|united|city\s+fc)\b", re.I)
_LISTED_AFTER = re.compile(r"\s*(?:,|\band\b|\bor\b|&)\s*$", re.I)
_COUNCIL_AFTER = re.compile(r"^(?:['’]s\b|\s+(?:council|borough|children['’]s\s+services|local\s+authority)\b)", re.I)
_PLACE_BEFORE = re.compile(r"\b(?:in|at|from)\s+$", re.I)
# Names this long typed one letter out are read as the name ("Sheffeild"); shorter
# ones are too near other words ("Brighten", "Hartlepol" is 9 and still read).
MIN_SPELLED_LENGTH = 9


@dataclass(frozen=True, slots=True)
class Authority:
    name: str  # canonical (ONS) name
    region: str
    aliases: tuple[str, ...]
    initialisms: tuple[str, ...] = ()  # "KCC", "LBBD": matched in capitals only


class Gazetteer:
    def __init__(self, authorities: list[Authority], *, towns: dict[str, str] | None = None):
        self.authorities = {a.name: a for a in authorities}
        alias_to_name: dict[str, str] = {}
        for a in authorities:
            for alias in a.aliases:
                alias_to_name.setdefault(alias.lower(), a.name)
        self._alias_to_name = alias_to_name
        self._regex = _whole_names(alias_to_name)  # longest first: the most specific name wins
        self._initialism_to_name = {i: a.name for a in authorities for i in a.initialisms}
        self._initialisms = re.compile(
            r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, self._initialism_to_name), key=len, reverse=True))
            + r")(?![\w-])"
        ) if self._initialism_to_name else None
        # Towns: only where they are no authority's own name or alias.
        self._towns_by_key = {
            t.lower(): (t, name) for t, name in (towns or {}).items()
            if name in self.authorities and t.lower() not in alias_to_name
        }
        self._towns = _whole_names(self._towns_by_key) if self._towns_by_key else None
        # One-word names long enough that a word one letter away is a slip, not another word.
        self._spellable = {k: n for k, n in alias_to_name.items()
                           if " " not in k and len(k) >= MIN_SPELLED_LENGTH and k.isalpha()}

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
        if question:
            towns = [(s, e, name) for _, name, s, e in self._towns_found(text, found)]
            # a longer town wins over an authority's name inside it ("Sutton Coldfield")
            found = [f for f in found if not any(s <= f[1] and f[2] <= e for s, e, _ in towns)]
            found = sorted(found + [(name, s, e) for s, e, name in towns], key=lambda f: f[1])
            slips = [(name, s, e) for _, name, s, e in self._misspelt_found(text, found)]
            found = sorted(found + slips, key=lambda f: f[1])
        return found

    def misspelt_in(self, question: str) -> list[tuple[str, str]]:
        """Names typed one letter out ("Middlesborough", "Sheffeild"), as (what was typed, the authority)."""
        found = [f for f in self.find(question, question=True)]
        return [(typed, name) for typed, name, s, e in self._misspelt_found(question, found)]

    def _misspelt_found(self, text: str, found: list[tuple[str, int, int]]) -> list[tuple[str, str, int, int]]:
        """Words one letter out from exactly one authority's one-word name (a letter
        added, dropped, changed or two swapped), not inside a name already found."""
        out = []
        for m in re.finditer(rf"[A-Za-z]{{{MIN_SPELLED_LENGTH},}}", text):
            word, s, e = m.group(0).lower(), m.start(), m.end()
            if word in self._alias_to_name or any(a < e and s < b for _, a, b in found):
                continue
            near = {n for k, n in self._spellable.items() if abs(len(k) - len(word)) <= 1 and one_edit(word, k)}
            if len(near) == 1:
                out.append((m.group(0), near.pop(), s, e))
        return out

    def towns_in(self, question: str) -> list[tuple[str, str]]:
        """The towns a question names that stand for their authority, as
        (the town, the authority), so the answer can say so."""
        return [(town, name) for town, name, _, _ in self._towns_found(question, self.find(question))]

    def _towns_found(self, text: str, places: list[tuple[str, int, int]]) -> list[tuple[str, str, int, int]]:
        """Towns that stand for a place in this question: after "in", "at",
        "around" and the like or before "council", "'s", "children's services";
        or listed after such a place ("in Chatham and Rochester"). A town inside
        a name ("the University of Chichester", "the Luton and Dunstable
        hospital", "a service called Marlborough") is no place asked about."""
        if self._towns is None:
            return []
        found: list[tuple[str, str, int, int]] = []
        place_ends = {e for _, _, e in places}
        for m in self._towns.finditer(text):
            s, e = m.span()
            if any(a < e and s < b and not (s <= a and b <= e) for _, a, b in places):
                continue  # part of an authority's own name, or across one
            town, name = self._towns_by_key.get(re.sub(r"\s+", " ", m.group(0).lower()), (None, None))
            if town is None:  # case folding wider than lower(), as in find
                continue
            before, after = text[:s], text[e:]
            if _NAME_GOES_ON.match(after):
                continue
            listed = _LISTED_AFTER.search(before)
            alone = not before.strip() and not after.strip(" ?.!")
            if (alone or _TOWN_BEFORE.search(before) or _TOWN_AFTER.match(after)
                    or (listed and listed.start() in place_ends)):
                found.append((town, name, s, e))
                place_ends.add(e)
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


def _whole_names(names: dict[str, str]) -> re.Pattern[str]:
    """Any of these names as whole words, longest first, any case and spacing."""
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in ordered) + r")(?![\w-])",
        re.IGNORECASE,
    )


def one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one letter added, dropped or changed, or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1 :]


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


def _towns(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {row["town"].strip(): row["authority"].strip() for row in csv.DictReader(f) if row["town"].strip()}


@lru_cache(maxsize=4)
def load_gazetteer(
    path: str | Path = DEFAULT_GAZETTEER, everyday: str | Path = EVERYDAY_NAMES, towns: str | Path = TOWNS
) -> Gazetteer:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    extra = _everyday_names(Path(everyday))
    initialisms = _initialisms(rows)
    return Gazetteer([
        Authority(r["local_authority_ons_name"], r["region_name"],
                  _without_stops(_aliases(r) + tuple(extra.get(r["local_authority_ons_name"], ()))),
                  initialisms.get(r["local_authority_ons_name"], ()))
        for r in rows
    ], towns=_towns(Path(towns)))
