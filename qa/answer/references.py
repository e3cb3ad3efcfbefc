"""Citations for reference managers (Zotero, EndNote, Mendeley): RIS, BibTeX
and CSL-JSON, one entry per document cited, each quote with its page and
paragraph in the entry's note.

Written with the formats' own libraries (rispy for RIS, bibtexparser for
BibTeX; CSL-JSON is JSON in the Citation Style Language schema), so quoting,
escaping and field names are theirs, and read back by them in the tests.

An inspection report is a report (RIS `RPRT`, BibTeX `@techreport`, CSL
`report`) by Ofsted, with its publication date, the inspection page's URL
and the local authority (as keyword and, where the format has one, the
report's place). An article is an article by its publisher.
"""
from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

import rispy
from bibtexparser import Library, write_string
from bibtexparser.model import Entry, Field

from qa.records import Answer, Passage
from qa.search.cite import readable_date


@dataclass(frozen=True, slots=True)
class Reference:
    """A document cited by one or more quotes of the answers."""

    doc_id: str
    title: str
    publisher: str | None
    date: str | None  # ISO
    link: str | None
    authority: str | None
    is_report: bool
    quotes: tuple[Passage, ...]

    def note(self) -> str:
        """Each quote with where it stands: '“…” (p. 7, para. 37)', one per line."""
        lines = []
        for p in self.quotes:
            where = ", ".join(x for x in (f"p. {p.page}" if p.page else "", f"para. {p.paragraph}" if p.paragraph
                                          else "") if x)
            lines.append(f"“{' '.join(p.quote.split())}”" + (f" ({where})" if where else ""))
        if self.quotes[0].superseded_by:
            lines.append(f"Superseded by the inspection published {readable_date(self.quotes[0].superseded_by)}.")
        return "\n".join(lines)


def references(answers: list[Answer] | Answer | Passage) -> list[Reference]:
    """The documents cited (an answer's quotes, or one quote), in the order first cited."""
    if isinstance(answers, Passage):
        passages = [answers]
    else:
        passages = [p for a in ([answers] if isinstance(answers, Answer) else answers) for p in a.citations]
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        quotes = by_doc.setdefault(p.doc_id, [])
        if all((q.start, q.end) != (p.start, p.end) for q in quotes):
            quotes.append(p)
    out = []
    for quotes in by_doc.values():
        p = quotes[0]
        out.append(Reference(
            doc_id=p.doc_id, title=" ".join(p.title.split()), publisher=p.publisher, date=p.date, link=p.link,
            authority=p.places[0] if p.places else None, is_report=p.publisher == "Ofsted",
            quotes=tuple(quotes),
        ))
    return out


def _key(ref: Reference, taken: set[str]) -> str:
    """A BibTeX key a person can type: ofsted-dorset-2025, then -b, -c for more of the same."""
    who = "ofsted" if ref.is_report else (ref.publisher or "article")
    what = ref.authority or (ref.title.split() or ["document"])[0]
    base = re.sub(r"[^a-z0-9]+", "-", f"{who} {what} {(ref.date or '')[:4]}".lower()).strip("-")
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{chr(ord('a') + n - 1)}"
    taken.add(key)
    return key


def to_ris(answers) -> str:
    entries = []
    for ref in references(answers):
        entry = {
            "type_of_reference": "RPRT" if ref.is_report else "NEWS",
            "title": ref.title,
            "authors": ["Ofsted"] if ref.is_report else [],
            "notes": [ref.note()],
            "keywords": [k for k in (ref.authority, "children's services inspection" if ref.is_report else None) if k],
        }
        if ref.publisher:
            entry["publisher"] = ref.publisher
            if not ref.is_report:  # T2: the paper's name (Zotero's Publication; it drops PB for an article)
                entry["secondary_title"] = ref.publisher
        if ref.is_report:
            entry["type_of_work"] = "Inspection report"  # M3: Zotero's Report Type, as BibTeX type, CSL genre
        if ref.date:
            entry["year"] = ref.date[:4]
            entry["date"] = ref.date.replace("-", "/")
        if ref.link:
            entry["urls"] = [ref.link]
        if ref.authority:
            entry["place_published"] = ref.authority
        entries.append(entry)
    return rispy.dumps(entries)


def to_bibtex(answers) -> str:
    library = Library()
    taken: set[str] = set()
    for ref in references(answers):
        fields = [Field("title", "{" + ref.title + "}")]  # braces keep its capitals
        if ref.is_report:
            fields += [Field("author", "{Ofsted}"), Field("institution", "Ofsted"),
                       Field("type", "Inspection report")]
        elif ref.publisher:
            fields += [Field("journal", ref.publisher)]
        if ref.date:
            fields += [Field("year", ref.date[:4]), Field("date", ref.date)]
            with suppress(ValueError):  # BibTeX's month macros are the English three-letter names
                fields.append(Field("month", date.fromisoformat(ref.date).strftime("%b").lower()))
        if ref.link:
            fields.append(Field("url", ref.link))
        if ref.authority:
            # keywords are comma-separated: "Bournemouth, Christchurch and Poole" stays one tag
            fields += [Field("address", ref.authority), Field("keywords", ref.authority.replace(",", ""))]
        fields.append(Field("note", re.sub(r"([{}])", r"\\\1", ref.note())))  # a quote's braces are text: \{ \}
        library.add(Entry("techreport" if ref.is_report else "article", _key(ref, taken), fields))
    return write_string(library)


def to_csl_json(answers) -> str:
    items = []
    for ref in references(answers):
        item = {
            "id": ref.doc_id,
            "type": "report" if ref.is_report else "article-newspaper",
            "title": ref.title,
            "note": ref.note(),
        }
        if ref.is_report:
            item["author"] = [{"literal": "Ofsted"}]
            item["genre"] = "Inspection report"
        if ref.publisher:
            item["publisher" if ref.is_report else "container-title"] = ref.publisher
        if ref.date:
            item["issued"] = {"date-parts": [[int(x) for x in ref.date.split("-") if x.isdigit()]]}
        if ref.link:
            item["URL"] = ref.link
        if ref.authority:
            item["publisher-place"] = ref.authority
            item["keyword"] = ref.authority
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)
