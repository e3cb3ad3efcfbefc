"""Do our RIS, BibTeX and CSL-JSON exports import into Zotero as we mean them?

Zotero's import code is its translators (RIS.js, BibTeX.js, CSL JSON.js), which
Zotero's translation-server runs: POST a file's text to its `/import` and it
answers with the items Zotero would create, as Zotero API JSON (child notes as
items of type `note` with a `parentItem`). This sends each export there and
compares every item with the entry the file itself holds, read independently
(rispy, bibtexparser, json), so a field Zotero drops or reads as something
else shows up as a difference:

    python -m qa.evaluate.zotero_check --server http://127.0.0.1:1969 \\
        answers.ris answers.bib answers.csl.json

For each entry it prints the Zotero fields it got (itemType, title, creators,
date, url, institution or publication, place, report type, tags, the note) with
`ok`, `DIFF` (Zotero lost or changed what the file holds: exit 1) or `note`
(the content arrived, held differently than a child note with its line breaks,
which the format cannot say otherwise; exit 1 only with --strict). Exit 2 when
the server cannot be reached or finds no translator. The format is told by the
file's extension (.ris, .bib, .json). Setting up translation-server from
source: see its README; it is run, never shipped, by this project.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import bibtexparser
import rispy

# The translator each format must be read by (its translatorID, in the header the server answers with):
# another one winning Zotero's detection would mean the file does not look like its format.
TRANSLATORS = {"RIS": "32d59d2d-b65a-4da4-b0a3-bdd3cfb979e7", "BibTeX": "9cb70025-a888-4a29-a210-93ec52da40d4",
               "CSL-JSON": "bc03b4fe-436d-4a1f-ba59-de4d2d7a63f7"}
# Which Zotero item type each format's type means (the formats' own definitions). BibTeX's @article is
# a journal article to Zotero whatever the journal: BibTeX has no type for a newspaper.
RIS_TYPES = {"RPRT": "report", "NEWS": "newspaperArticle", "JOUR": "journalArticle", "MGZN": "magazineArticle",
             "ELEC": "webpage", "BOOK": "book", "GEN": "document"}
BIBTEX_TYPES = {"techreport": "report", "article": "journalArticle", "misc": "document", "book": "book",
                "online": "webpage"}
CSL_TYPES = {"report": "report", "article-newspaper": "newspaperArticle", "article-journal": "journalArticle",
             "article-magazine": "magazineArticle", "webpage": "webpage", "book": "book", "document": "document"}
# Zotero item types that have a `place` field (elsewhere a place has nowhere to go: a note, not a DIFF).
HAS_PLACE = {"report", "newspaperArticle", "book", "document", "thesis", "conferencePaper"}


def ws(text: str | None) -> str:
    return " ".join((text or "").split())


def unbrace(value: str) -> str:
    """A BibTeX value as text: braces that keep capitals, and the outer ones, dropped."""
    return value.replace("{", "").replace("}", "")


def unescape(value: str) -> str:
    """A BibTeX note as text: \\{ \\& \\% and the like as the characters. Bare braces are kept: in a
    note they can only have come from the quote, so Zotero dropping them is a quote changed."""
    return re.sub(r"\\([{}&%$#_])", r"\1", value)


def person(name: str, literal: bool, source: str | None) -> dict:
    """A creator as Zotero holds one: a single-field `name` for an institution, else last and first.

    An author who is the entry's own publisher or institution (Ofsted) is an organisation, one field,
    whatever the file's syntax says: that is what we mean, and what a split into names would break."""
    if literal or name == source:
        return {"name": name}
    if "," in name:
        last, first = name.split(",", 1)
    else:
        first, _, last = name.rpartition(" ")
    return {"lastName": last.strip(), "firstName": first.strip()}


def iso(date: str | None) -> str | None:
    """A date as YYYY[-MM[-DD]], from ours (2025/05/09, 2025-05-09) or Zotero's ('May 9, 2025')."""
    if not date:
        return None
    date = date.strip().replace("/", "-").strip("-")
    for fmt, keep in (("%Y-%m-%d", 10), ("%B %d, %Y", 10), ("%b %d, %Y", 10), ("%Y-%m", 7), ("%B %Y", 7),
                      ("%Y", 4)):
        try:
            return datetime.strptime(date, fmt).strftime("%Y-%m-%d")[:keep]
        except ValueError:
            continue
    return date


# --- what each file says, read with the format's own library -----------------------------------------------

def from_ris(text: str) -> list[dict]:
    out = []
    for e in rispy.loads(text):
        kind = RIS_TYPES.get(e.get("type_of_reference", ""), "?")
        source = e.get("publisher") if kind == "report" else \
            e.get("secondary_title") or e.get("journal_name") or e.get("publisher")
        out.append({
            "itemType": kind, "title": e.get("title") or e.get("primary_title"),
            # RIS has one author per AU line; one with no comma is a single name (an institution).
            "creators": [person(a, "," not in a, source) for a in e.get("authors", [])],
            "date": iso(e.get("date") or e.get("year")), "url": (e.get("urls") or [None])[0],
            # A report's publisher is its institution; an article's source is the paper it appeared in (T2,
            # or the publisher where that is all the entry has).
            "source": source,
            "place": e.get("place_published"), "reportType": e.get("type_of_work"),
            "tags": e.get("keywords", []), "note": "\n".join(e.get("notes", [])) or None,
        })
    return out


def from_bibtex(text: str) -> list[dict]:
    library = bibtexparser.parse_string(text)
    if library.failed_blocks:
        raise SystemExit(f"bibtexparser could not read {len(library.failed_blocks)} block(s) of the file")
    out = []
    for e in library.entries:
        fields = {k.lower(): v.value for k, v in e.fields_dict.items()}
        get = fields.get
        kind = BIBTEX_TYPES.get(e.entry_type.lower(), "?")
        authors = re.split(r"\s+and\s+(?![^{]*\})", get("author")) if get("author") else []
        date = get("date") or "-".join(x for x in (get("year"), _month(get("month"))) if x)
        source = get("institution") if kind == "report" else get("journal")
        out.append({
            "itemType": kind, "title": unbrace(get("title") or ""),
            # A name wholly in braces is one name that BibTeX must not split: an institution.
            "creators": [person(unbrace(a), a.startswith("{") and a.endswith("}"), source) for a in authors],
            "date": iso(date), "url": get("url"),
            "source": source,
            "place": get("address"), "reportType": get("type"),
            "tags": [t for t in re.split(r"\s*[,;]\s*", get("keywords") or "") if t],
            "note": unescape(get("note")) if get("note") else None,
        })
    return out


def _month(value: str | None) -> str | None:
    with_names = {m: f"{i:02d}" for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
    return with_names.get((value or "").lower()[:3]) if value else None


def from_csl_json(text: str) -> list[dict]:
    out = []
    for e in json.loads(text):
        kind = CSL_TYPES.get(e.get("type", ""), "?")
        source = e.get("publisher") if kind == "report" else e.get("container-title")
        parts = (e.get("issued") or {}).get("date-parts") or [[]]
        out.append({
            "itemType": kind, "title": e.get("title"),
            "creators": [person(a["literal"], True, source) if "literal" in a else
                         person(a.get("family", ""), True, source) if a.get("family") == source else
                         {"lastName": a.get("family", ""), "firstName": a.get("given", "")}
                         for a in e.get("author", [])],
            "date": "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(parts[0])) or None,
            "url": e.get("URL"), "source": source,
            "place": e.get("publisher-place"), "reportType": e.get("genre"),
            "tags": [t for t in re.split(r"\s*,\s*", e.get("keyword") or "") if t], "note": e.get("note"),
        })
    return out


FORMATS = {".ris": ("RIS", from_ris), ".bib": ("BibTeX", from_bibtex), ".json": ("CSL-JSON", from_csl_json)}


# --- what Zotero made of it --------------------------------------------------------------------------------

def zotero_import(server: str, text: str) -> tuple[str, list[dict]]:
    """POST to translation-server's /import: (the translator that read it, the API JSON items)."""
    request = urllib.request.Request(server.rstrip("/") + "/import", data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers.get("Zotero-Translator-ID", ""), json.loads(response.read().decode("utf-8"))


def note_text(note_html: str) -> str:
    """A Zotero note (HTML) as text, its line and paragraph breaks as new lines."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", note_html)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def creators_text(creators: list[dict]) -> str:
    """'Ofsted (single field, author)', or 'Last, First (author)'."""
    return "; ".join(f"{c['name']} (single field, {c.get('creatorType')})" if "name" in c
                     else f"{c.get('lastName')}, {c.get('firstName')} ({c.get('creatorType')})"
                     for c in creators) or "(none)"


def check_item(want: dict, got: dict, notes: list[str]) -> list[tuple[str, str, str]]:
    """(status, field, what Zotero holds) for one entry and the Zotero item made of it."""
    rows = []

    def row(field, value, same, status_if_not="DIFF", why=""):
        rows.append(("ok" if same else status_if_not, field, str(value) + (f"   <- {why}" if why and not same else "")))

    kind = got.get("itemType")
    row("itemType", kind, kind == want["itemType"], why=f"the file's type means {want['itemType']}")
    row("title", got.get("title"), ws(got.get("title")) == ws(want["title"]), why=f"file: {want['title']}")
    people = [{k: v for k, v in c.items() if k != "creatorType"} for c in got.get("creators", [])]
    row("creators", creators_text(got.get("creators", [])),
        people == want["creators"] and all(c.get("creatorType") == "author" for c in got.get("creators", [])),
        why=f"file: {want['creators']}")
    row("date", got.get("date"), iso(got.get("date")) == want["date"], why=f"file: {want['date']}")
    row("url", got.get("url"), got.get("url") == want["url"], why=f"file: {want['url']}")
    source_field = "institution" if kind == "report" else "publicationTitle"
    if want["source"] or got.get(source_field):
        row(source_field, got.get(source_field), got.get(source_field) == want["source"],
            why=f"file: {want['source']}")
    if want["place"] or got.get("place"):
        row("place", got.get("place"), got.get("place") == want["place"],
            "DIFF" if kind in HAS_PLACE else "note",
            why=f"file: {want['place']}" + ("" if kind in HAS_PLACE else f" (Zotero's {kind} has no place field)"))
    if want["reportType"] or got.get("reportType"):
        row("reportType", got.get("reportType"), got.get("reportType") == want["reportType"],
            why=f"file: {want['reportType']}")
    tags = [t["tag"] for t in got.get("tags", [])]
    # Tags repeat the authority (the place holds it): a missing or split one is worth saying, not failing.
    # BibTeX and CSL keywords are comma-separated lists, so 'Bournemouth, Christchurch and Poole' is two.
    split = bool(tags) and want["place"] in [*want["tags"], ", ".join(want["tags"])] and want["place"] not in tags
    row("tags", tags, set(want["tags"]) <= set(tags) and not split, "note",
        why=f"the authority {want['place']!r} is split into tags" if split else f"file: {want['tags']}")
    # The quotes: a child note is where we mean them to be; Extra (CSL's `note` in Zotero) still shows them.
    extra = got.get("extra")
    where, text = ("child note", "\n".join(notes)) if notes else ("extra", extra) if extra else ("nowhere", "")
    if want["note"] is None:
        return rows
    if ws(text) != ws(want["note"]):
        rows.append(("DIFF", "note", f"[{where}] {text!r}   <- file: {want['note']!r}"))
        return rows
    held = []
    if where != "child note":
        held.append("in Extra, not a child note")
    if "\n" in want["note"].strip() and "\n" not in text:
        held.append("line breaks lost: the quotes run together in one paragraph")
    rows.append(("note" if held else "ok", "note", f"[{where}]" + (f"   <- {'; '.join(held)}" if held else "")))
    rows.extend(("", "", "  " + line) for line in text.splitlines())
    return rows


def check_file(server: str, path: Path) -> tuple[int, int]:
    """Print one file's entries as Zotero imported them; (differences, notes)."""
    name, read = FORMATS[path.suffix.lower()]
    text = path.read_text(encoding="utf-8")
    wanted = read(text)
    translator, items = zotero_import(server, text)
    tops = [i for i in items if i.get("itemType") not in ("note", "attachment")]
    children: dict[str, list[str]] = {}
    for i in items:
        if i.get("itemType") == "note" and i.get("parentItem"):
            children.setdefault(i["parentItem"], []).append(note_text(i.get("note", "")))
    label = {v: k for k, v in TRANSLATORS.items()}.get(translator, translator or "none")
    print(f"== {path} ({name}): {len(wanted)} entries -> {len(tops)} Zotero items, read by Zotero's "
          f"{label} translator")
    diffs = notes = 0
    if translator != TRANSLATORS[name]:
        print(f"  DIFF  translator: {label}, not {name}")
        diffs += 1
    if len(tops) != len(wanted):
        print(f"  DIFF  {len(wanted)} entries in the file, {len(tops)} items from Zotero")
        diffs += 1
    for n, (want, got) in enumerate(zip(wanted, tops, strict=False), start=1):
        print(f"  [{n}] {want['title']}")
        for status, field, value in check_item(want, got, children.get(got.get("key", ""), [])):
            print(f"    {status:<5} {field:<16} {value}")
            diffs += status == "DIFF"
            notes += status == "note"
    return diffs, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="http://127.0.0.1:1969", help="translation-server's address")
    parser.add_argument("--strict", action="store_true", help="fail on notes too (Extra, lost line breaks, tags)")
    parser.add_argument("files", nargs="+", type=Path, help="exports: .ris, .bib, .json (CSL-JSON)")
    args = parser.parse_args(argv)
    for path in args.files:
        if path.suffix.lower() not in FORMATS:
            parser.error(f"{path}: not .ris, .bib or .json")
    diffs = notes = 0
    for path in args.files:
        try:
            d, n = check_file(args.server, path)
        except urllib.error.HTTPError as e:  # 500 'No suitable translators found' among others
            print(f"{path}: translation-server answered {e.code}: {e.read().decode('utf-8', 'replace')}")
            return 2
        except (urllib.error.URLError, OSError) as e:
            print(f"{path}: cannot reach translation-server at {args.server}: {e}")
            return 2
        diffs, notes = diffs + d, notes + n
        print()
    print(f"{diffs} difference(s), {notes} note(s) in {len(args.files)} file(s)")
    return 1 if diffs or (args.strict and notes) else 0


if __name__ == "__main__":
    sys.exit(main())
