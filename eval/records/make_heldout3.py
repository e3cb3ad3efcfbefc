#!/usr/bin/env python3
"""Build the third HELD-OUT records evaluation set (heldout3.jsonl).

Fresh questions, written from scratch (without looking at the question wordings
in dev.jsonl, test.jsonl, heldout.jsonl, heldout2.jsonl or the question lists of
make_expected.py / make_heldout.py / make_heldout2.py), about Ofsted ILACS
grades and judgements across reports and about one report's judgements.

The 36 items are written as if by six people, six questions each, in their own
style: a councillor (plain), a director of children's services (framework
terms), a journalist (terse keywords), a PhD researcher (long, precise), an
Ofsted regional lead (shorthand / ILACS jargon) and a charity policy officer
(care-experienced focus, "pls", a typo).  Six per intent: grade_list, timeline,
changes, comparison, report_card and passages (near-misses that mention
grades/councils/inspections but want the reports' own words).

Expected answers come from make_expected.py's data loading (manifest +
gazetteer + CORRECTIONS) and its expected-answer functions, imported unchanged,
so the semantics are those documented in make_expected.py's docstring:
  * grade_list past tense + year = publication year (the helper refuses when
    the inspection-start year would give another set, unless the wording says
    "published"); "since/from YYYY" = publication year >= YYYY; present tense
    ("are", "currently", "now") = each authority's latest report;
  * timeline = manifest-graded reports with publication year >= since;
  * changes = latest vs previous report, both graded for every authority in scope;
  * comparison = each authority's latest report that carries the judgement;
  * report_card = latest report, or the one published in the named year.

Extra checks made here (the same kind make_heldout2.py applies, re-implemented):
  * a timeline since-year and a report_card year must select the same reports
    read as publication year or as inspection(-start) year;
  * a present-tense grade_list whose scope holds latest reports without a grade
    in that area is refused if falling back to the earlier grade would change
    the answer, and (for overall effectiveness) unless marked post_reform_test;
  * a comparison that falls back to an earlier report (latest is post-reform)
    must be marked post_reform_test;
  * passages items: every named authority must be a gazetteer name with reports;
  * no question text identical to a dev/test/heldout/heldout2 question
    (compared programmatically, lower-cased; those questions are never printed).

Run:  /work/main/.venv/bin/python make_heldout3.py
Writes heldout3.jsonl next to this file and prints a summary.
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_expected as M  # noqa: E402  (data loading + expected-answer functions)

OE, IL, HP, IC, CL = ("overall_effectiveness", "impact_of_leaders", "help_and_protection",
                      "in_care", "care_leavers")
O, G_, RI, I = "outstanding", "good", "requires improvement", "inadequate"
YH, NW, NE, WM, EM, EE, LDN, SE, SW = ("Yorkshire and the Humber", "North West", "North East",
                                       "West Midlands", "East Midlands", "East of England",
                                       "London", "South East", "South West")

# persona tags (kept in the note): A councillor, B DCS, C journalist, D PhD researcher,
# E Ofsted regional lead, F charity policy officer.
# "gloss" (optional) is appended to the note: how a colloquial/short form was read.
ITEMS = [
    # ---------------- grade_list ----------------
    ("grade_list", dict(
        persona="A",
        q="Which councils are currently rated inadequate for the experiences and progress of children in care?",
        area=IC, grade=I, mode="current")),
    ("grade_list", dict(
        persona="B",
        q="How many LAs had impact of leaders judged requires improvement in 2025?",
        area=IL, grade=RI, mode="year", year=2025, count=True)),
    ("grade_list", dict(
        persona="C",
        q="councils given RI for help & protection in 2026",
        area=HP, grade=RI, mode="year", year=2026,
        gloss="'RI' = requires improvement (to be good); 'help & protection' = the help and "
              "protection judgement.")),
    ("grade_list", dict(
        persona="D",
        q=("Among reports published in 2020, which local authorities received an outstanding "
           "judgement for the impact of leaders on social work practice with children and families?"),
        area=IL, grade=O, mode="year", year=2020)),
    ("grade_list", dict(
        persona="D",
        q=("For London authorities, list every ILACS report published from 2024 onwards in which "
           "overall effectiveness was judged outstanding."),
        area=OE, grade=O, mode="since", year=2024, region=LDN, explicit_published=True,
        gloss="'from 2024 onwards' = publication year >= 2024 (the wording says 'published'); "
              "'London authorities' = gazetteer region London (City of London included).")),
    ("grade_list", dict(
        persona="E",
        q="East Mids LAs currently good for OE?",
        area=OE, grade=G_, mode="current", region=EM, post_reform_test=True,
        gloss="'East Mids' = East Midlands; 'OE' = overall effectiveness.")),

    # ---------------- timeline ----------------
    ("timeline", dict(
        persona="A",
        q="What has Swindon been graded for children in care at each inspection since 2019?",
        authority="Swindon", area=IC, since=2019)),
    ("timeline", dict(
        persona="B",
        q="Portsmouth care leavers judgement history since 2023",
        authority="Portsmouth", area=CL, since=2023)),
    ("timeline", dict(
        persona="C",
        q="trafford overall effectiveness grades since 2019",
        authority="Trafford", area=OE, since=2019)),
    ("timeline", dict(
        persona="D",
        q=("Could you set out, in date order, the impact of leaders judgements Herefordshire "
           "has received from 2018 onwards?"),
        authority="Herefordshire", area=IL, since=2018,
        gloss="'from 2018 onwards' = publication year >= 2018.")),
    ("timeline", dict(
        persona="E",
        q="Slough - leadership grades at each ILACS since 2019",
        authority="Slough", area=IL, since=2019,
        gloss="'leadership grades' = the impact of leaders judgement.")),
    ("timeline", dict(
        persona="F",
        q="Liverpool's help and protection grades since 2018, in order please",
        authority="Liverpool", area=HP, since=2018)),

    # ---------------- changes ----------------
    ("changes", dict(
        persona="A",
        q=("Which councils in the West Midlands went down for children in care at their last "
           "inspection compared with the one before?"),
        area=IC, region=WM, direction="declined")),
    ("changes", dict(
        persona="B",
        q=("Of the North West authorities, whose help and protection judgement improved between "
           "their previous and most recent ILACS?"),
        area=HP, region=NW, direction="improved")),
    ("changes", dict(
        persona="C",
        q="councils whose leadership grade went up at latest inspection vs previous one",
        area=IL, region=None, direction="improved",
        gloss="'leadership grade' = impact of leaders; all regions.")),
    ("changes", dict(
        persona="D",
        q=("Considering each South West authority's two most recent inspections, which saw an "
           "improvement in the judgement for children who need help and protection?"),
        area=HP, region=SW, direction="improved")),
    ("changes", dict(
        persona="E",
        q="London LAs where the impact of leaders judgement improved at the latest ILACS",
        area=IL, region=LDN, direction="improved")),
    ("changes", dict(
        persona="F",
        q=("Yorkshire and the Humber: which councils improved their children in care grade at "
           "their last inspection?"),
        area=IC, region=YH, direction="improved")),

    # ---------------- comparison ----------------
    ("comparison", dict(
        persona="A",
        q=("How does Hartlepool compare with Stockton-on-Tees on overall effectiveness at their "
           "most recent inspections?"),
        authorities=["Hartlepool", "Stockton-on-Tees"], area=OE)),
    ("comparison", dict(
        persona="B",
        q="Cambridgeshire vs Suffolk: help and protection judgement at the latest ILACS",
        authorities=["Cambridgeshire", "Suffolk"], area=HP)),
    ("comparison", dict(
        persona="C",
        q="blackpool v lancashire latest overall effectiveness grade",
        authorities=["Blackpool", "Lancashire"], area=OE, post_reform_test=True)),
    ("comparison", dict(
        persona="D",
        q=("In their most recent inspections, how did Kirklees and Calderdale compare on the "
           "experiences and progress of children in care?"),
        authorities=["Kirklees", "Calderdale"], area=IC)),
    ("comparison", dict(
        persona="E",
        q="Bristol vs South Glos - leadership judgement, most recent inspections",
        authorities=["Bristol, City of", "South Gloucestershire"], area=IL,
        gloss="'Bristol' = Bristol, City of; 'South Glos' = South Gloucestershire; "
              "'leadership judgement' = impact of leaders.")),
    ("comparison", dict(
        persona="F",
        q="pls compare the care leavers grades for Camden and Islington from their latest reports",
        authorities=["Camden", "Islington"], area=CL)),

    # ---------------- report_card ----------------
    ("report_card", dict(
        persona="A",
        q="What did Ofsted give Norfolk at its latest children's services inspection?",
        authority="Norfolk")),
    ("report_card", dict(
        persona="B",
        q="Pls give me Lambeth's judgements from the most recent inspection",
        authority="Lambeth")),
    ("report_card", dict(
        persona="C",
        q="swindon ofsted 2023 grades",
        authority="Swindon", year=2023)),
    ("report_card", dict(
        persona="E",
        q="Portsmouth latest ILACS outcome - overall and sub-judgements",
        authority="Portsmouth")),
    ("report_card", dict(
        persona="F",
        q="What grades did Wakefeild get in its 2018 inspection?",
        authority="Wakefield", year=2018,
        gloss="'Wakefeild' is a typo for Wakefield.")),
    ("report_card", dict(
        persona="F",
        q="Rotherham children's services report card for 2022",
        authority="Rotherham", year=2022)),
]

# (question, authorities named, persona)
PASSAGES = [
    ("Stockport was rated requires improvement - what did inspectors say was holding back help "
     "and protection there in the latest report?", ["Stockport"], "A"),
    ("What did inspectors find about pathway planning and support for care leavers in Camden's "
     "2025 report?", ["Camden"], "B"),
    ("havering inadequate, report published 2024 - why? key failings inspectors found",
     ["Havering"], "C"),
    ("How do inspectors characterise management oversight and supervision in authorities where "
     "help and protection requires improvement, for example in Wirral's latest report?",
     ["Wirral"], "D"),
    ("What were the main areas for improvement Ofsted set out for Liverpool's children's services "
     "in 2023?", ["Liverpool"], "E"),
    ("What do the reports say about how councils support unaccompanied asylum-seeking children, "
     "e.g. in Kent's latest inspection?", ["Kent"], "F"),
]

PERSONAS = {"A": "councillor", "B": "director of children's services", "C": "journalist",
            "D": "PhD researcher", "E": "Ofsted regional lead", "F": "charity policy officer"}

PASSAGE_NOTE = ("near-miss: wants reasons/evidence from report text (passages), not a grade table or "
                "report card.")


# --------------------------------------------------------------------------
def extra_checks(intent, spec, note):
    """Checks make_expected's functions leave to the wording; returns the note, maybe extended."""
    if intent == "timeline" and spec.get("since"):
        reps = M.BY_LA[spec["authority"]]
        by_pub = [r["path"] for r in reps if r["date"].year >= spec["since"]]
        by_insp = [r["path"] for r in reps if M.insp_year(r) >= spec["since"]]
        if by_pub != by_insp:
            raise ValueError(f"since-year reading is ambiguous for {spec['q']!r}")
    if intent == "report_card" and spec.get("year"):
        reps = M.BY_LA[spec["authority"]]
        by_pub = [r["path"] for r in reps if r["date"].year == spec["year"]]
        by_insp = [r["path"] for r in reps if M.insp_year(r) == spec["year"]]
        if by_pub != by_insp:
            raise ValueError(f"'{spec['year']}' could name another report for {spec['q']!r}")
    if intent == "comparison":
        for n in spec["authorities"]:
            last = M.BY_LA[n][-1]
            if last["grades"][spec["area"]] is None and not spec.get("post_reform_test"):
                raise ValueError(f"comparison falls back to an earlier report for {n}: {spec['q']!r}")
    if intent == "grade_list" and spec["mode"] == "current":
        area, region = spec["area"], spec.get("region")
        gaps = []
        for name, reps in sorted(M.BY_LA.items()):
            last = reps[-1]
            if (region and last["region"] != region) or last["grades"][area] is not None:
                continue
            earlier = [r for r in reps if r["grades"][area] is not None]
            if earlier and earlier[-1]["grades"][area] == spec["grade"]:
                raise ValueError(f"fall-back reading would differ for {spec['q']!r}: {name}")
            gaps.append(f"{M.ref(last)} ({last['raw'][area]}; earlier "
                        + (f"{M.iso(earlier[-1]['date'])} = {earlier[-1]['grades'][area]}" if earlier
                           else "none") + ")")
        if gaps and area == OE and not spec.get("post_reform_test"):
            raise ValueError(f"touches post-reform reports without saying so: {spec['q']!r} {gaps}")
        if gaps:
            note += (" Latest reports in scope with no grade in this area (not listed; none had "
                     f"'{spec['grade']}' earlier, so a fall-back reading gives the same answer): "
                     + "; ".join(gaps) + ".")
    return note


def old_questions():
    qs = set()
    for split in ("dev", "test", "heldout", "heldout2"):
        p = os.path.join(HERE, f"{split}.jsonl")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                qs.update(json.loads(line)["question"].strip().lower() for line in f if line.strip())
    return qs


def build():
    out, n = [], 0
    for intent, spec in ITEMS:
        n += 1
        expect, note, relied = M.FUNCS[intent](spec)
        note = extra_checks(intent, spec, note)
        if spec.get("gloss"):
            note += " " + spec["gloss"]
        note += f" [persona: {PERSONAS[spec['persona']]}]"
        out.append({"id": f"rec-h3-{n:03d}", "question": spec["q"], "intent": intent,
                    "expect": expect, "note": note, "relies_on": relied})
    for q, names, persona in PASSAGES:
        n += 1
        for name in names:
            M.check_name(name)
        note = (PASSAGE_NOTE + (f" Names: {', '.join(names)}." if names else "")
                + f" [persona: {PERSONAS[persona]}]")
        out.append({"id": f"rec-h3-{n:03d}", "question": q, "intent": "passages", "expect": {},
                    "note": note, "relies_on": []})
    return out


def main():
    recs = build()
    old = old_questions()
    seen = set()
    for r in recs:
        k = r["question"].strip().lower()
        if k in old:
            raise ValueError(f"question text already in an earlier set: {r['id']}")
        if k in seen:
            raise ValueError(f"duplicate question: {r['question']!r}")
        seen.add(k)
    with open(os.path.join(HERE, "heldout3.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("heldout3", len(recs), dict(Counter(r["intent"] for r in recs)))


if __name__ == "__main__":
    main()
