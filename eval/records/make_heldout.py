#!/usr/bin/env python3
"""Build the HELD-OUT records evaluation set (heldout.jsonl).

Nobody tunes on this file.  dev.jsonl and test.jsonl (make_expected.py) are used
for development; this set re-uses their data loading and expected-answer
functions (imported from make_expected.py, unchanged) so the semantics are the
same, but holds its own questions, written independently, as data below.

Run:  /work/main/.venv/bin/python make_heldout.py
It writes heldout.jsonl next to this file and prints a summary.

Rules this script enforces (it raises when one is broken):
  * every authority a question NAMES (timeline, report_card, comparison,
    passages) appears nowhere in dev.jsonl / test.jsonl: not in any item's
    expect (authority / authorities) nor in any relies_on entry, nor in the
    text of their questions;
  * no grade_list item repeats a dev/test (area, grade, mode, year, region)
    combination, and no changes item repeats a dev/test (area, region,
    direction) combination;
  * no question text is identical to a dev/test question;
  * a timeline since-year and a report_card year select the same reports whether
    read as publication or inspection(-start) year;
  * a present-tense grade_list whose scope holds latest reports with no grade in
    that area is refused when a fall-back to the earlier grade would change the
    answer, and for overall effectiveness unless marked post_reform_test;
  * the expected answer is computed by make_expected's functions, which refuse
    answers that depend on manifest gaps (ungraded older reports, publication
    vs inspection year disagreement, post-reform reports with no overall
    grade in a changes scope, care-leavers grades before 2023, ...).

Semantics: see make_expected.py's docstring (grade_list past tense + year =
publication year, also checked against inspection year; present tense =
each authority's latest report; timeline = manifest-graded reports with
publication year >= since; changes = latest vs previous report; comparison =
latest report carrying that judgement; report_card = latest report or the one
published in the named year).

Post-reform (2026, no overall grade) reports: every authority with one already
appears in dev/test, so none is named here; exactly one item (marked
post_reform_test) has such reports in its scope, on purpose, and says so.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_expected as M  # noqa: E402  (data loading + expected-answer functions)

OE, IL, HP, IC, CL = ("overall_effectiveness", "impact_of_leaders", "help_and_protection",
                      "in_care", "care_leavers")
O, G_, RI, I = "outstanding", "good", "requires improvement", "inadequate"
YH, NW, NE, WM, EM, EE, LDN, SE, SW = ("Yorkshire and the Humber", "North West", "North East",
                                       "West Midlands", "East Midlands", "East of England",
                                       "London", "South East", "South West")

# Gazetteer names of the authorities these questions name (all outside dev/test).
BD, BAR, BANES, CB = ("Barking and Dagenham", "Barnet", "Bath and North East Somerset",
                      "Central Bedfordshire")
EAL, ENF, GLO, LEW = "Ealing", "Enfield", "Gloucestershire", "Lewisham"
NOT, OXF, PLY = "Nottinghamshire", "Oxfordshire", "Plymouth"
SG, SWK, STK, TOR = "South Gloucestershire", "Southwark", "Stockton-on-Tees", "Torbay"

# "gloss" (optional) is appended to the item's note: how a colloquial or short
# form in the wording was read.
HELD = [
    # ---- grade_list
    ("grade_list", dict(q="which north east councils got good overall in 2019", area=OE, grade=G_,
                        mode="year", year=2019, region=NE)),
    ("grade_list", dict(q="list north west LAs marked inadequate for help and protection since 2021",
                        area=HP, grade=I, mode="since", year=2021, region=NW)),
    ("grade_list", dict(q="South East councils that came out as requires improvement in 2023", area=OE,
                        grade=RI, mode="year", year=2023, region=SE)),
    ("grade_list", dict(q="south west LAs that are currently good for care leavers", area=CL, grade=G_,
                        mode="current", region=SW)),
    ("grade_list", dict(q="which east midlands councils scored outstanding for leadership in 2024",
                        area=IL, grade=O, mode="year", year=2024, region=EM,
                        colloquial="'leadership' read as the impact of leaders judgement.")),
    ("grade_list", dict(q="how many east of england councils are rated good at the moment", area=OE,
                        grade=G_, mode="current", region=EE, count=True,
                        colloquial="'at the moment' read as present tense (latest report).")),
    ("grade_list", dict(q="west midlands LAs that got requires improvement for looked after children since 2024",
                        area=IC, grade=RI, mode="since", year=2024, region=WM,
                        colloquial="'looked after children' read as the children in care judgement.")),
    # the ONE item that deliberately touches post-reform reports (no overall grade)
    ("grade_list", dict(q="Which North West councils are outstanding now?", area=OE, grade=O,
                        mode="current", region=NW, post_reform_test=True)),
    ("grade_list", dict(q="london councils that got good for help and protection in 2025", area=HP,
                        grade=G_, mode="year", year=2025, region=LDN)),
    ("grade_list", dict(q="how many councils have had an inadequate for care leavers since 2023",
                        area=CL, grade=I, mode="since", year=2023, count=True)),
    ("grade_list", dict(q="west midlands LAs that ended up outstanding in 2026", area=OE, grade=O,
                        mode="year", year=2026, region=WM)),
    # ---- timeline
    ("timeline", dict(q="gloucestershire went from requires improvement to good didn't it? ratings since 2019",
                      authority=GLO, area=OE, since=2019)),
    ("timeline", dict(q="enfield's ofsted record since 2019", authority=ENF, area=OE, since=2019)),
    ("timeline", dict(q="Oxfordshire children in care judgement since 2018", authority=OXF, area=IC,
                      since=2018,
                      gloss="The 2018 row uses make_expected's CORRECTION (manifest says requires "
                            "improvement; the report's table says good).")),
    ("timeline", dict(q="notts leadership grade history since 2019", authority=NOT, area=IL, since=2019,
                      gloss="'notts' = Nottinghamshire (county), not Nottingham; 'leadership' = "
                            "impact of leaders.")),
    ("timeline", dict(q="has ealing's help and protection improved since 2019", authority=EAL, area=HP,
                      since=2019)),
    ("timeline", dict(q="Barnet - how has the children in care grade moved since 2019", authority=BAR,
                      area=IC, since=2019)),
    ("timeline", dict(q="has Plymouth got any better since 2018", authority=PLY, area=OE, since=2018,
                      gloss="Plymouth's 2019-01-07 report was inspected in Oct-Nov 2018: 'since 2018' "
                            "takes it in under both publication- and inspection-year readings.")),
    ("timeline", dict(q="torbay ofsted ratings since 2020", authority=TOR, area=OE, since=2020)),
    ("timeline", dict(q="south glos grades over the years since 2019", authority=SG, area=OE, since=2019,
                      gloss="'south glos' = South Gloucestershire.")),
    ("timeline", dict(q="stockton care leavers judgements since 2019", authority=STK, area=CL, since=2019,
                      gloss="'stockton' = Stockton-on-Tees. Only one row: the separate care-leavers "
                            "judgement starts in 2023.")),
    # ---- changes
    ("changes", dict(q="which east midlands councils improved on leadership at their last inspection",
                     area=IL, region=EM, direction="improved")),
    ("changes", dict(q="south east LAs that were marked down for impact of leaders last time", area=IL,
                     region=SE, direction="declined")),
    ("changes", dict(q="did any north east council drop a grade for leadership at its latest ofsted",
                     area=IL, region=NE, direction="declined")),
    ("changes", dict(q="London boroughs that went up for help and protection at their most recent inspection",
                     area=HP, region=LDN, direction="improved")),
    ("changes", dict(q="which south east councils got better on help & protection at their latest inspection",
                     area=HP, region=SE, direction="improved")),
    ("changes", dict(q="west mids councils whose help and protection grade fell at the last inspection",
                     area=HP, region=WM, direction="declined", gloss="'west mids' = West Midlands.")),
    ("changes", dict(q="north west LAs that went backwards for children in care at their latest inspection",
                     area=IC, region=NW, direction="declined")),
    ("changes", dict(q="east of england councils that moved up for looked after children last time",
                     area=IC, region=EE, direction="improved",
                     gloss="'looked after children' = children in care judgement.")),
    ("changes", dict(q="which yorkshire councils slipped on children in care at their last ofsted", area=IC,
                     region=YH, direction="declined")),
    ("changes", dict(q="south west councils that went up a grade for impact of leaders at the last inspection",
                     area=IL, region=SW, direction="improved")),
    # ---- comparison
    ("comparison", dict(q="gloucestershire vs south gloucestershire overall", authorities=[GLO, SG],
                        area=OE)),
    ("comparison", dict(q="plymouth v torbay care leavers", authorities=[PLY, TOR], area=CL)),
    ("comparison", dict(q="How do Lewisham and Southwark compare for help and protection?",
                        authorities=[LEW, SWK], area=HP)),
    ("comparison", dict(q="barnet vs enfield children in care grades", authorities=[BAR, ENF], area=IC)),
    ("comparison", dict(q="is ealing better than barking and dagenham on leadership",
                        authorities=[EAL, BD], area=IL)),
    ("comparison", dict(q="B&NES or plymouth - who scored higher for help and protection",
                        authorities=[BANES, PLY], area=HP,
                        gloss="'B&NES' = Bath and North East Somerset.")),
    ("comparison", dict(q="enfield v barking & dagenham, care leavers", authorities=[ENF, BD], area=CL)),
    ("comparison", dict(q="Notts vs Oxfordshire impact of leaders", authorities=[NOT, OXF], area=IL,
                        gloss="'Notts' = Nottinghamshire.")),
    ("comparison", dict(q="is gloucestershire or bath and north east somerset rated higher for children in care",
                        authorities=[GLO, BANES], area=IC)),
    ("comparison", dict(q="central beds and nottinghamshire overall judgement side by side",
                        authorities=[CB, NOT], area=OE, gloss="'central beds' = Central Bedfordshire.")),
    # ---- report_card
    ("report_card", dict(q="what happened at gloucestershre's last inspection", authority=GLO,
                         gloss="deliberate typo 'gloucestershre'.")),
    ("report_card", dict(q="ealing 2019 ofsted - what did it get", authority=EAL, year=2019)),
    ("report_card", dict(q="give me Stockton-on-Tees's judgements from its latest inspection",
                         authority=STK)),
    ("report_card", dict(q="barking & dagenham, the 2023 one - what were the grades", authority=BD,
                         year=2023)),
    ("report_card", dict(q="torbay's most recent ofsted result", authority=TOR,
                         gloss="latest Torbay report is published 2026 but is NOT post-reform: it "
                               "carries an overall grade.")),
    ("report_card", dict(q="Southwark 2022 inspection judgements please", authority=SWK, year=2022)),
    ("report_card", dict(q="how did central beds get on at its last ofsted", authority=CB,
                         gloss="'central beds' = Central Bedfordshire.")),
    ("report_card", dict(q="lewisham most recent inspection outcome", authority=LEW)),
    ("report_card", dict(q="what did Oxfordshire get in its 2018 inspection", authority=OXF, year=2018,
                         gloss="2018 report is manifest-graded; its children in care sub-judgement "
                               "comes from make_expected's CORRECTION.")),
    ("report_card", dict(q="South Gloucestershire 2024 report card", authority=SG, year=2024)),
]

# (question, authorities it names): near misses that mention grades / inspections
# / councils but want the reports' words (reasons, practice, examples, a topic).
HELD_PASSAGES = [
    ("what kept barking and dagenham at requires improvement in 2023", [BD]),
    ("what did ofsted say about care leavers accomodation in enfield", [ENF]),
    ("what changed in south glos to get from requires improvement to good", [SG]),
    ("examples of practice inspectors praised for children in care in barnet", [BAR]),
    ("lewisham inspection - what did it say about supervision of social workers", [LEW]),
    ("central beds ofsted: anything on disabled children", [CB]),
    ("what the 2026 southwark report says about exploitation and contextual safeguarding", [SWK]),
    ("B&NES report on the quality of pathway plans", [BANES]),
    ("reasons notts got outstanding for impact of leaders", [NOT]),
    ("councils judged inadequate for help and protection - what went wrong with strategy discussions", []),
    ("how are outstanding LAs involving children in their child protection conferences", []),
]

PASSAGE_NOTE = ("near-miss: wants reasons/evidence from report text (passages), not a grade table or "
                "report card.")


# --------------------------------------------------------------------------
# guards against reuse of dev/test material
# --------------------------------------------------------------------------
def load_dev_test():
    recs = []
    for split in ("dev", "test"):
        with open(os.path.join(HERE, f"{split}.jsonl"), encoding="utf-8") as f:
            recs += [json.loads(line) for line in f if line.strip()]
    return recs


def used_authorities(recs):
    used = set()
    for r in recs:
        e = r["expect"]
        if "authority" in e:
            used.add(e["authority"])
        used.update(e.get("authorities", []))
        for x in r.get("relies_on", []):
            used.add(re.sub(r" \d{4}-\d\d-\d\d$", "", x))
    unknown = used - set(M.CANON)
    if unknown:
        raise ValueError(f"dev/test name authorities not in the gazetteer: {sorted(unknown)}")
    return used


def grade_list_combo_from_record(r):
    """(area, grade, mode, year, region) of a dev/test grade_list record, from expect + note."""
    e, note = r["expect"], r["note"]
    m = re.search(r"Region filter: (.+?) \(gazetteer", note)
    region = m.group(1) if m else None
    if note.startswith("present tense"):
        return (e["area"], e["grade"], "current", None, region)
    m = re.search(r"published (\d{4}) or later", note)
    if m:
        return (e["area"], e["grade"], "since", int(m.group(1)), region)
    m = re.search(r"published in (\d{4})", note)
    if m:
        return (e["area"], e["grade"], "year", int(m.group(1)), region)
    raise ValueError(f"cannot read grade_list combo from {r['id']}: {note!r}")


def short_forms(name):
    """Lower-case strings that would mean this authority in a question."""
    forms = {name.lower()}
    extra = {NOT: ["notts"], SG: ["south glos"], CB: ["central beds"], BANES: ["b&nes", "banes"],
             BD: ["barking"], STK: ["stockton"], GLO: ["gloucestershire"]}
    forms.update(extra.get(name, []))
    return forms


def named(intent, spec):
    if intent in ("timeline", "report_card"):
        return [spec["authority"]]
    if intent == "comparison":
        return list(spec["authorities"])
    return []


def check_against_dev_test():
    recs = load_dev_test()
    used = used_authorities(recs)
    old_questions = {r["question"].strip().lower() for r in recs}
    old_gl = {grade_list_combo_from_record(r) for r in recs if r["intent"] == "grade_list"}
    old_ch = {(r["expect"]["area"], r["expect"]["region"], r["expect"]["direction"])
              for r in recs if r["intent"] == "changes"}
    mine = set()
    for intent, spec in HELD:
        mine.update(named(intent, spec))
    for _, names in HELD_PASSAGES:
        mine.update(names)
    for n in sorted(mine):
        M.check_name(n)
        if n in used:
            raise ValueError(f"{n} appears in dev/test (expect or relies_on)")
        for q in old_questions:
            for form in short_forms(n):
                # 'gloucestershire' inside 'south gloucestershire' would still count: be strict
                if form in q:
                    raise ValueError(f"{n} ({form!r}) is mentioned in a dev/test question: {q!r}")
    for intent, spec in HELD:
        if spec["q"].strip().lower() in old_questions:
            raise ValueError(f"question copied from dev/test: {spec['q']!r}")
        if intent == "grade_list":
            combo = (spec["area"], spec["grade"], spec["mode"], spec.get("year"), spec.get("region"))
            if combo in old_gl:
                raise ValueError(f"grade_list combination already in dev/test: {combo}")
        if intent == "changes":
            combo = (spec["area"], spec.get("region"), spec["direction"])
            if combo in old_ch:
                raise ValueError(f"changes combination already in dev/test: {combo}")
    for q, _ in HELD_PASSAGES:
        if q.strip().lower() in old_questions:
            raise ValueError(f"question copied from dev/test: {q!r}")
    seen = set()
    for q in [s["q"] for _, s in HELD] + [q for q, _ in HELD_PASSAGES]:
        if q.lower() in seen:
            raise ValueError(f"duplicate held-out question: {q!r}")
        seen.add(q.lower())
    return used, sorted(mine)


# --------------------------------------------------------------------------
def extra_checks(intent, spec, note):
    """Checks make_expected's functions leave to the wording; returns the note, maybe extended."""
    if intent == "timeline" and spec.get("since"):
        # the since-year must select the same reports read as publication or inspection year
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
            if spec.get("post_reform_test"):
                note += " DELIBERATE post-reform test."
            note += (" Latest reports in scope with no grade in this area (not listed; none had "
                     f"'{spec['grade']}' earlier, so a fall-back reading gives the same answer): "
                     + "; ".join(gaps) + ".")
    return note


def build():
    out = []
    n = 0
    for intent, spec in HELD:
        n += 1
        expect, note, relied = M.FUNCS[intent](spec)
        note = extra_checks(intent, spec, note)
        if spec.get("gloss"):
            note += " " + spec["gloss"]
        out.append({"id": f"rec-held-{n:03d}", "question": spec["q"], "intent": intent,
                    "expect": expect, "note": note, "relies_on": relied})
    for q, names in HELD_PASSAGES:
        n += 1
        note = PASSAGE_NOTE + (f" Names: {', '.join(names)}." if names else "")
        # same shape as dev/test passages items (no relies_on)
        out.append({"id": f"rec-held-{n:03d}", "question": q, "intent": "passages", "expect": {},
                    "note": note})
    return out


def main():
    used, mine = check_against_dev_test()
    recs = build()
    with open(os.path.join(HERE, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in recs:
        counts[r["intent"]] = counts.get(r["intent"], 0) + 1
    print("heldout", len(recs), counts)
    print(f"authorities named ({len(mine)}), none in dev/test's {len(used)}:", mine)


if __name__ == "__main__":
    main()
