#!/usr/bin/env python3
"""Build the second HELD-OUT records evaluation set (heldout2.jsonl).

Fresh questions, written from scratch (without looking at the wordings in
dev.jsonl, test.jsonl, heldout.jsonl or the question lists of make_expected.py /
make_heldout.py), about Ofsted ILACS grades and judgements across reports and
about one report's judgements.

Expected answers come from make_expected.py's data loading (manifest + gazetteer
+ CORRECTIONS) and its expected-answer functions, imported unchanged, so the
semantics are exactly those documented in make_expected.py's docstring:
  * grade_list past tense + year = publication year (also required to agree
    with the inspection-start year unless the wording says "published");
    "since YYYY" / "in the 2020s" = publication year >= YYYY; present tense
    ("are", "currently", "now", "right now") = each authority's latest report;
  * timeline = manifest-graded reports with publication year >= since;
  * changes = latest vs previous report, both graded for every authority in scope;
  * comparison = each authority's latest report that carries the judgement;
  * report_card = latest report, or the one published in the named year.

Extra checks made here (the same ones make_heldout.py applies, re-implemented):
  * a timeline since-year and a report_card year must pick the same reports read
    as publication year or as inspection(-start) year;
  * a present-tense grade_list whose scope holds latest reports without a grade
    in that area is refused if falling back to the earlier grade would change
    the answer, and (for overall effectiveness) unless marked post_reform_test;
  * no question text identical to a dev/test/heldout question (compared
    programmatically, lower-cased; those questions are never printed).

Run:  /work/main/.venv/bin/python make_heldout2.py
Writes heldout2.jsonl next to this file and prints a summary.
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

# "gloss" (optional) is appended to the note: how a colloquial/short form was read.
ITEMS = [
    # ---------------------------------------------------------------- grade_list
    ("grade_list", dict(
        q="which LAs had inadequate ofsted reports published in 2023?",
        area=OE, grade=I, mode="year", year=2023, explicit_published=True,
        gloss="'inadequate' with no area = overall effectiveness. Solihull's report was published "
              "13 Jan 2023 after a 2022 inspection, and Havering's/Tameside's 2023 inspections "
              "were published in 2024: the wording says 'published', so publication year rules.")),
    ("grade_list", dict(
        q="Who got outstanding for care leavers in the 2020s? South East councils only please",
        area=CL, grade=O, mode="since", year=2020, region=SE,
        gloss="'in the 2020s' = published 2020 or later; the separate care-leavers judgement "
              "only exists from January 2023, so earlier reports cannot match.")),
    ("grade_list", dict(
        q="North West councils currently rated inadequate for impact of leaders",
        area=IL, grade=I, mode="current", region=NW,
        gloss="Trafford's latest (2026, post-reform) report has no overall grade but does grade "
              "leadership (inadequate), so it counts.")),
    ("grade_list", dict(
        q="how many london boroughs are on requires improvement for care leavers right now",
        area=CL, grade=RI, mode="current", region=LDN, count=True)),
    ("grade_list", dict(
        q="Which London boroughs were judged good for overall effectiveness in 2026?",
        area=OE, grade=G_, mode="year", year=2026, region=LDN)),
    ("grade_list", dict(
        q="List every authority that has been graded inadequate for children in care since 2022.",
        area=IC, grade=I, mode="since", year=2022,
        gloss="Sefton's (May 2022) and Herefordshire's (Sep 2022) rows are the pre-2023 combined "
              "'children in care and care leavers' judgement; the manifest in_care column is "
              "used as is.")),
    ("grade_list", dict(
        q="Yorkshire and Humber: which LAs currently hold outstanding for help and protection?",
        area=HP, grade=O, mode="current", region=YH)),
    # ---------------------------------------------------------------- timeline
    ("timeline", dict(
        q="Durham children's services - how have their overall Ofsted grades moved since 2019?",
        authority="Durham", area=OE, since=2019,
        gloss="'since 2019' leaves out Durham's 2016 report (no grade in the manifest).")),
    ("timeline", dict(
        q="Haringey care leavers grade, every inspection since the separate judgement began in 2023",
        authority="Haringey", area=CL, since=2023)),
    ("timeline", dict(
        q="Portsmouth's help and protection judgements since 2018, in order",
        authority="Portsmouth", area=HP, since=2018,
        gloss="Portsmouth's 2026 report is post-reform (no overall grade) but does grade help "
              "and protection, so it is a row.")),
    ("timeline", dict(
        q="North Northamptonshire: how have they done at Ofsted over the years?",
        authority="North Northamptonshire", area=OE,
        gloss="'how have they done' with no area = overall effectiveness. The authority was "
              "created in 2021, so it has no older reports; its 2026 post-reform report "
              "carries no overall grade and is not a row.")),
    ("timeline", dict(
        q="track record of Wolverhampton on children in care since 2020?",
        authority="Wolverhampton", area=IC, since=2020)),
    ("timeline", dict(
        q="Havering's leadership grade across its inspections since 2018",
        authority="Havering", area=IL, since=2018,
        gloss="'leadership grade' = impact of leaders.")),
    ("timeline", dict(
        q="Suffolk overall effectiveness history from 2019 onwards",
        authority="Suffolk", area=OE, since=2019)),
    # ---------------------------------------------------------------- changes
    ("changes", dict(
        q="Which north west councils went backwards on leadership at their last inspection?",
        area=IL, region=NW, direction="declined",
        gloss="'went backwards on leadership' = impact of leaders lower than at the previous "
              "inspection.")),
    ("changes", dict(
        q="anyone in the south west downgraded on help and protection last time?",
        area=HP, region=SW, direction="declined",
        gloss="'downgraded last time' = latest report's help-and-protection grade lower than the "
              "previous report's.")),
    ("changes", dict(
        q="London boroughs whose children in care grade dropped between their last two inspections",
        area=IC, region=LDN, direction="declined")),
    ("changes", dict(
        q="In Yorkshire and the Humber, did any LA's impact of leaders judgement get worse at the latest inspection?",
        area=IL, region=YH, direction="declined")),
    ("changes", dict(
        q="East Midlands authorities that slipped on impact of leaders compared with their previous Ofsted",
        area=IL, region=EM, direction="declined")),
    ("changes", dict(
        q="West Midlands LAs that improved their help and protection grade at the most recent inspection",
        area=HP, region=WM, direction="improved")),
    ("changes", dict(
        q="North East councils that moved up for children in care last time round?",
        area=IC, region=NE, direction="improved")),
    # ---------------------------------------------------------------- comparison
    ("comparison", dict(
        q="Manchester v Bolton on leadership - who's ahead?",
        authorities=["Manchester", "Bolton"], area=IL,
        gloss="'leadership' = impact of leaders.")),
    ("comparison", dict(
        q="Essex or Hertfordshire: which has the better Ofsted grade for children in care?",
        authorities=["Essex", "Hertfordshire"], area=IC)),
    ("comparison", dict(
        q="compare Lancashire and Warrington overall effectiveness",
        authorities=["Lancashire", "Warrington"], area=OE)),
    ("comparison", dict(
        q="How do Lincolnshire and Leicestershire compare on care leavers?",
        authorities=["Lincolnshire", "Leicestershire"], area=CL)),
    ("comparison", dict(
        q="Gateshead vs Northumberland, help and protection of children - which is rated higher?",
        authorities=["Gateshead", "Northumberland"], area=HP)),
    ("comparison", dict(
        q="rochdale or oldham - who has the better overall ofsted rating",
        authorities=["Rochdale", "Oldham"], area=OE)),
    ("comparison", dict(
        q="Walsall versus Wolverhampton: impact of leaders judgement side by side",
        authorities=["Walsall", "Wolverhampton"], area=IL)),
    # ---------------------------------------------------------------- report_card
    ("report_card", dict(
        q="give me a rundown of Stockport's latest inspection",
        authority="Stockport")),
    ("report_card", dict(
        q="What did Somerset get at its most recent Ofsted children's services inspection?",
        authority="Somerset")),
    ("report_card", dict(
        q="Medway 2019 ILACS inspection - what were the judgements?",
        authority="Medway", year=2019)),
    ("report_card", dict(
        q="Leicestershire's current Ofsted grades, overall and for each judgement",
        authority="Leicestershire")),
    ("report_card", dict(
        q="reading council ofsted 2024 results",
        authority="Reading", year=2024,
        gloss="'reading council' = Reading Borough Council (the authority), not the verb.")),
    ("report_card", dict(
        q="Isle of Wight children's services: latest inspection outcome and sub-grades",
        authority="Isle of Wight")),
    ("report_card", dict(
        q="What grades did Sunderland receive in its 2021 inspection?",
        authority="Sunderland", year=2021)),
]

# near-miss passages: mention grades / councils / inspections but want the reports' words
PASSAGES = [
    ("Harrow was rated inadequate in 2025 - what actually went wrong according to inspectors?",
     ["Harrow"]),
    ("examples of what outstanding councils like Derby are doing for care leavers", ["Derby"]),
    ("What did Ofsted say about social worker caseloads and staff turnover in Tameside's "
     "inadequate report?", ["Tameside"]),
    ("Newham went from inadequate to outstanding - what practice changes did inspectors credit?",
     ["Newham"]),
    ("In requires improvement authorities, what do inspectors say about management oversight of "
     "child protection plans?", []),
]

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
    for split in ("dev", "test", "heldout"):
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
        out.append({"id": f"rec-h2-{n:03d}", "question": spec["q"], "intent": intent,
                    "expect": expect, "note": note, "relies_on": relied})
    for q, names in PASSAGES:
        n += 1
        for name in names:
            M.check_name(name)
        note = PASSAGE_NOTE + (f" Names: {', '.join(names)}." if names else "")
        out.append({"id": f"rec-h2-{n:03d}", "question": q, "intent": "passages", "expect": {},
                    "note": note, "relies_on": []})
    return out


def main():
    recs = build()
    old = old_questions()
    seen = set()
    for r in recs:
        k = r["question"].strip().lower()
        if k in old:
            raise ValueError(f"question text already in dev/test/heldout: {r['id']}")
        if k in seen:
            raise ValueError(f"duplicate question: {r['question']!r}")
        seen.add(k)
    with open(os.path.join(HERE, "heldout2.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("heldout2", len(recs), dict(Counter(r["intent"] for r in recs)))


if __name__ == "__main__":
    main()
