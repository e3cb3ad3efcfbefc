#!/usr/bin/env python3
"""Build the records evaluation set (dev.jsonl, test.jsonl) for questions about
Ofsted ILACS judgements ACROSS reports and about ONE report's judgements.

Every expected answer is computed here from the corpus manifest
(/work/shared/corpus/ofsted/manifest.csv) plus the gazetteer
(/work/main/qa/ingest/local_authorities.csv) for canonical names and regions.
The questions and their parameters are held below as data.

Run:  /work/main/.venv/bin/python make_expected.py
It writes dev.jsonl and test.jsonl next to this file and prints a summary.
The script refuses (raises) when a question's answer would depend on a
manifest gap (ungraded older reports, publication-vs-inspection-year
disagreement that the wording does not resolve, post-reform reports without
an overall grade, etc.), so the set stays self-checking.

Semantics (also written into each item's "note"):
  * grade values: outstanding > good > requires improvement > inadequate.
    Anything else in the manifest ('', data_unreadable,
    inspection_pre_dates_judgement, not_reported_post_reform,
    'to requires improvement') counts as "no grade".
  * grade_list, past tense + a year ("were judged", "got", "in 2023"): every
    report whose PUBLICATION year matches; we only keep wordings where the
    inspection (start-date) year gives the same set, unless the question says
    "published" explicitly.  "since YYYY" = publication year >= YYYY.
  * grade_list, present tense ("are", "currently", "now"): each authority's
    latest report only (latest by publication date, whatever it holds).
  * timeline: manifest-graded reports of that authority, publication year >=
    the since-year, date order.
  * changes: each authority's latest report vs its previous report, both must
    carry a manifest grade in the area for every authority in scope.
  * comparison: each authority's latest report that carries that judgement.
  * report_card: the latest report, or the report published in the named year.
"""
import csv
import datetime as dt
import json
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus", "ofsted")  # ../shared beside the checkout
MANIFEST = os.path.join(CORPUS, "manifest.csv")
GAZETTEER = os.path.join(REPO, "qa", "ingest", "local_authorities.csv")

GRADES = ["inadequate", "requires improvement", "good", "outstanding"]  # low -> high
AREAS = {
    "overall_effectiveness": "overall_effectiveness_grade",
    "impact_of_leaders": "impact_of_leaders_grade",
    "help_and_protection": "help_and_protection_grade",
    "in_care": "in_care_grade",
    "care_leavers": "care_leavers_grade",
}
AREA_WORDS = {
    "overall_effectiveness": "overall effectiveness",
    "impact_of_leaders": "impact of leaders",
    "help_and_protection": "help and protection",
    "in_care": "children in care",
    "care_leavers": "care leavers",
}
# The separate care-leavers judgement only exists for inspections from January
# 2023.  Two 2022 manifest rows nonetheless carry a care_leavers grade
# (Nottingham 05/09/22, Redcar and Cleveland 22/09/22; their PDFs have the old
# combined "children in care and care leavers" judgement).  We keep the manifest
# as is but refuse any care-leavers question whose answer would touch them.
CL_START = dt.date(2023, 1, 1)
# Manifest grades that the report's own judgement table contradicts, checked by
# reading the first page of each PDF (the report is the primary source):
# (path, area) -> the grade the report states.
CORRECTIONS = {
    # "The experiences and progress of children in care and care leavers / Good"
    ("80536_oxfordshire/children's services inspection - 22 may 2018.pdf", "in_care"): "good",
    ("80542_rochdale/children's services inspection - 12 march 2018.pdf", "in_care"): "good",  # as Oxfordshire's
    # "... children who need help and protection / Requires improvement to be good",
    # "... children in care / Good", "... care leavers / Outstanding"
    ("80560_st helens/children's services inspection - 04 september 2023.pdf", "help_and_protection"):
        "requires improvement",
    ("80560_st helens/children's services inspection - 04 september 2023.pdf", "in_care"): "good",
    ("80560_st helens/children's services inspection - 04 september 2023.pdf", "care_leavers"): "outstanding",
}


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def load():
    gaz = {}
    with open(GAZETTEER, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            gaz[row["urn"]] = row
    reports = []
    skipped = []
    with open(MANIFEST, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            path = os.path.join(CORPUS, row["path"])
            with open(path, "rb") as fh:
                if fh.read(4) != b"%PDF":
                    skipped.append(row["path"])  # web pages saved as .pdf
                    continue
            g = gaz[row["urn"]]
            pub = dt.datetime.strptime(row["publication_date"], "%d/%m/%y").date()
            start = (dt.datetime.strptime(row["inspection_start_date"], "%d/%m/%Y").date()
                     if row["inspection_start_date"] else None)
            grades = {a: CORRECTIONS.get((row["path"], a), row[c] if row[c] in GRADES else None)
                      for a, c in AREAS.items()}
            raw = {a: row[c] for a, c in AREAS.items()}
            reports.append(dict(
                name=g["local_authority_ons_name"], region=g["region_name"],
                manifest_name=row["local_authority"], date=pub, start=start,
                grades=grades, raw=raw, path=row["path"]))
    by_la = defaultdict(list)
    for r in reports:
        by_la[r["name"]].append(r)
    for v in by_la.values():
        v.sort(key=lambda r: r["date"])
    canon = {g["local_authority_ons_name"]: g["region_name"] for g in gaz.values()}
    return reports, by_la, canon, skipped


REPORTS, BY_LA, CANON, SKIPPED = load()


def iso(d):
    return d.isoformat()


def insp_year(r):
    # three post-2019 rows have no inspection dates in the manifest; their PDFs
    # (checked by hand) show inspections in the publication year:
    # Redcar and Cleveland 20 Jun-1 Jul 2022, Nottingham 11-22 Jul 2022,
    # Brighton and Hove 11-15 Mar 2024.
    return r["start"].year if r["start"] else r["date"].year


def ref(r):
    return f"{r['name']} {iso(r['date'])}"


def check_name(n):
    if n not in CANON:
        raise ValueError(f"not a gazetteer name: {n}")
    if n not in BY_LA:
        raise ValueError(f"no reports in the collection for {n}")


def bogus_cl(r):
    return r["grades"]["care_leavers"] is not None and (r["start"] or r["date"]) < CL_START


# --------------------------------------------------------------------------
# intents
# --------------------------------------------------------------------------
def grade_list(s):
    area, grade, mode = s["area"], s["grade"], s["mode"]
    region = s.get("region")
    assert grade in GRADES and area in AREAS
    if region:
        assert region in set(CANON.values()), region
    pool = [r for r in REPORTS if not region or r["region"] == region]
    relied = []
    if mode in ("year", "since"):
        y = s["year"]
        ok_pub = (lambda d: d == y) if mode == "year" else (lambda d: d >= y)
        if y < 2019:
            raise ValueError("grade questions must be 2019 onwards")
        hits = [r for r in pool if ok_pub(r["date"].year) and r["grades"][area] == grade]
        by_insp = {r["name"] for r in pool if ok_pub(insp_year(r)) and r["grades"][area] == grade}
        agree = {r["name"] for r in hits} == by_insp
        if not agree and not s.get("explicit_published"):
            raise ValueError(f"pub/inspection year disagree: {s['q']!r} "
                             f"{sorted({r['name'] for r in hits} ^ by_insp)}")
        # any report in scope whose grade for this area is unknown?
        gaps = [r for r in pool if ok_pub(r["date"].year) and r["grades"][area] is None
                and not (area == "care_leavers" and r["raw"][area] == "inspection_pre_dates_judgement")
                and not (area == "overall_effectiveness" and r["raw"][area] == "not_reported_post_reform")]
        if gaps:
            raise ValueError(f"ungraded reports in scope for {s['q']!r}: {[ref(r) for r in gaps]}")
        basis = ("publication year" + (" (the question says 'published'; inspection-year "
                 "reading would differ)" if not agree else "; inspection-start year gives the same set"))
        tense = (f"past tense: any matching report published in {y}" if mode == "year"
                 else f"past tense: any matching report published {y} or later")
        note = f"{tense}; basis = {basis}."
        relied = hits
        post = [r for r in pool if ok_pub(r["date"].year) and area == "overall_effectiveness"
                and r["raw"][area] == "not_reported_post_reform"]
        if post:
            note += (" Post-reform reports in scope carry no overall grade and cannot match: "
                     + ", ".join(ref(r) for r in post) + ".")
    elif mode == "current":
        hits, amb = [], []
        for name, reps in BY_LA.items():
            if region and reps[-1]["region"] != region:
                continue
            last = reps[-1]
            if last["grades"][area] == grade:
                hits.append(last)
            elif last["grades"][area] is None:
                earlier = [r for r in reps if r["grades"][area] is not None]
                if earlier and earlier[-1]["grades"][area] == grade:
                    amb.append((last, earlier[-1]))
        if area == "care_leavers" and any(bogus_cl(r) for r in hits):
            raise ValueError(f"care-leavers answer touches a pre-2023 row: {s['q']!r}")
        note = "present tense: each authority's latest report only (latest by publication date)."
        if amb:
            if not s.get("allow_ambiguous"):
                raise ValueError(f"latest report has no grade for {s['q']!r}: "
                                 f"{[(ref(a), ref(b)) for a, b in amb]}")
            note += (" Edge case: these authorities' latest report carries no grade in this area "
                     "(post-reform) so they are NOT listed, although an earlier report had it: "
                     + "; ".join(f"{ref(a)} (earlier {ref(b)} = {grade})" for a, b in amb) + ".")
        relied = hits
    else:
        raise ValueError(mode)
    if area == "care_leavers" and any(bogus_cl(r) for r in relied):
        raise ValueError(f"care-leavers answer touches a pre-2023 row: {s['q']!r}")
    if s.get("colloquial"):
        note += " " + s["colloquial"]
    if region:
        note += f" Region filter: {region} (gazetteer region_name)."
    if not relied:
        note += " Expected answer is an empty list (none)."
    auths = sorted({r["name"] for r in relied})
    dates = sorted(iso(r["date"]) for r in relied)
    if s.get("count"):
        note += f" Question asks for a count: {len(auths)}."
    expect = {"area": area, "grade": grade, "authorities": auths, "report_dates": dates}
    return expect, note, [ref(r) for r in sorted(relied, key=lambda r: (r["name"], r["date"]))]


def timeline(s):
    name, area, since = s["authority"], s["area"], s.get("since")
    check_name(name)
    reps = BY_LA[name]
    scope = [r for r in reps if since is None or r["date"].year >= since]
    ungraded_old = [r for r in scope if r["grades"][area] is None and r["date"].year < 2019]
    if ungraded_old:
        raise ValueError(f"timeline scope includes old ungraded reports: {s['q']!r} "
                         f"{[ref(r) for r in ungraded_old]}")
    rows = [r for r in scope if r["grades"][area] is not None]
    if area == "care_leavers" and any(bogus_cl(r) for r in rows):
        raise ValueError("bogus care leavers row")
    note = ("timeline: manifest-graded reports only"
            + (f", publication year >= {since}" if since else " (all reports of this authority are "
               "manifest-graded or it has no pre-2019 reports)") + ".")
    missing = [r for r in scope if r["grades"][area] is None]
    if missing:
        note += (" Reports in range without a manifest grade for this area are left out: "
                 + ", ".join(f"{ref(r)} ({r['raw'][area]})" for r in missing) + ".")
    older = [r for r in reps if since is not None and r["date"].year < since]
    if older:
        note += " Excluded by the since-year: " + ", ".join(ref(r) for r in older) + "."
    expect = {"authority": name, "area": area,
              "rows": [[iso(r["date"]), r["grades"][area]] for r in rows]}
    return expect, note, [ref(r) for r in rows]


def changes(s):
    area, region, direction = s["area"], s.get("region"), s["direction"]
    hits, same, other, relied = [], [], [], []
    for name, reps in sorted(BY_LA.items()):
        if region and reps[-1]["region"] != region:
            continue
        if len(reps) < 2:
            continue  # single-report authority (Cumberland): nothing to compare
        a, b = reps[-2], reps[-1]
        ga, gb = a["grades"][area], b["grades"][area]
        if ga is None or gb is None:
            raise ValueError(f"changes scope has an ungraded report: {s['q']!r} {ref(a)}={a['raw'][area]!r} "
                             f"{ref(b)}={b['raw'][area]!r}")
        delta = GRADES.index(gb) - GRADES.index(ga)
        if (delta > 0 and direction == "improved") or (delta < 0 and direction == "declined"):
            hits.append(name)
            relied += [ref(a), ref(b)]
        elif delta == 0:
            same.append(name)
        else:
            other.append(name)
    note = ("changes: each authority's latest report vs its previous report (both manifest-graded for "
            f"{AREA_WORDS[area]} for every authority in scope); '{direction}' = any step "
            f"{'up' if direction == 'improved' else 'down'} (not only exactly one grade). "
            f"Scope: {region or 'all regions'}; {len(same)} unchanged, {len(other)} moved the other way.")
    if area == "in_care":
        note += (" NB: before 2023 the in_care column is the combined 'children in care and care "
                 "leavers' judgement.")
    if not hits:
        note += " Expected answer is an empty list (none)."
    expect = {"area": area, "region": region, "direction": direction, "authorities": sorted(hits)}
    return expect, note, relied


def comparison(s):
    a, b = s["authorities"]
    area = s["area"]
    grades, relied, notes = {}, [], []
    for n in (a, b):
        check_name(n)
        reps = [r for r in BY_LA[n] if r["grades"][area] is not None]
        if not reps:
            raise ValueError(f"{n} has no {area} grade")
        r = reps[-1]
        if area == "care_leavers" and bogus_cl(r):
            raise ValueError(f"{n}: care leavers from a pre-2023 row")
        grades[n] = r["grades"][area]
        relied.append(ref(r))
        if r is not BY_LA[n][-1]:
            notes.append(f"{n}'s latest report ({iso(BY_LA[n][-1]['date'])}) has no {AREA_WORDS[area]} "
                         f"grade ({BY_LA[n][-1]['raw'][area]}), so its {iso(r['date'])} report is used")
    note = "comparison: each authority's latest report that carries this judgement."
    if notes:
        note += " Edge case: " + "; ".join(notes) + "."
    expect = {"authorities": [a, b], "area": area, "grades": grades}
    return expect, note, relied


def report_card(s):
    name = s["authority"]
    check_name(name)
    reps = BY_LA[name]
    if s.get("year"):
        cand = [r for r in reps if r["date"].year == s["year"]]
        if len(cand) != 1:
            raise ValueError(f"{name} {s['year']}: {len(cand)} reports")
        r = cand[0]
        note = f"report_card: the {name} report published in {s['year']}."
    else:
        r = reps[-1]
        note = "report_card: the authority's latest report (by publication date)."
    ov = r["grades"]["overall_effectiveness"]
    if ov is None:
        if r["raw"]["overall_effectiveness"] != "not_reported_post_reform":
            raise ValueError(f"report card on an ungraded old report: {ref(r)}")
        note += (" This is a post-reform report: no overall effectiveness grade (manifest "
                 "'not_reported_post_reform'), so overall = null; sub-judgements: "
                 + ", ".join(f"{AREA_WORDS[k]} {v}" for k, v in r["grades"].items() if v) + ".")
    else:
        note += " Sub-judgements: " + ", ".join(
            f"{AREA_WORDS[k]} {v}" for k, v in r["grades"].items() if v and k != "overall_effectiveness") + "."
    expect = {"authority": name, "report_date": iso(r["date"]), "overall": ov}
    return expect, note, [ref(r)]


FUNCS = {"grade_list": grade_list, "timeline": timeline, "changes": changes,
         "comparison": comparison, "report_card": report_card}

# --------------------------------------------------------------------------
# questions
# --------------------------------------------------------------------------
OE, IL, HP, IC, CL = ("overall_effectiveness", "impact_of_leaders", "help_and_protection",
                      "in_care", "care_leavers")
O, G_, RI, I = "outstanding", "good", "requires improvement", "inadequate"
YH, NW, NE, WM, EM, EE, LDN, SE, SW = ("Yorkshire and the Humber", "North West", "North East",
                                       "West Midlands", "East Midlands", "East of England",
                                       "London", "South East", "South West")

DEV = [
    # ---- grade_list
    ("grade_list", dict(q="Which councils were rated outstanding overall in 2022?", area=OE, grade=O, mode="year", year=2022)),
    ("grade_list", dict(q="list the LAs that got requires improvement in 2025", area=OE, grade=RI, mode="year", year=2025)),
    ("grade_list", dict(q="which north west councils got requires improvement for care leavers in 2025", area=CL, grade=RI, mode="year", year=2025, region=NW)),
    ("grade_list", dict(q="how many authorities in Yorkshire are currently good?", area=OE, grade=G_, mode="current", region=YH, count=True)),
    ("grade_list", dict(q="which councils were judged inadequate for leadership in 2026", area=IL, grade=I, mode="year", year=2026)),
    ("grade_list", dict(q="Which LAs were outstanding for children in care in 2019?", area=IC, grade=O, mode="year", year=2019)),
    ("grade_list", dict(q="list every LA judged outstanding overall since 2020", area=OE, grade=O, mode="since", year=2020)),
    ("grade_list", dict(q="which london boroughs are currently outstanding for care leavers", area=CL, grade=O, mode="current", region=LDN)),
    ("grade_list", dict(q="which councils are failing right now", area=OE, grade=I, mode="current", allow_ambiguous=True, colloquial="'failing' read as inadequate overall.")),
    ("grade_list", dict(q="south east councils that got an inadquate in 2019", area=OE, grade=I, mode="year", year=2019, region=SE)),
    # ---- timeline
    ("timeline", dict(q="How has Leeds's rating changed since 2019?", authority="Leeds", area=OE, since=2019)),
    ("timeline", dict(q="dorset ofsted grades over time", authority="Dorset", area=OE)),
    ("timeline", dict(q="track record of Kent's inspections since 2020", authority="Kent", area=OE, since=2020)),
    ("timeline", dict(q="sefton childrens services ratings since 2019", authority="Sefton", area=OE, since=2019)),
    ("timeline", dict(q="how have Stoke's judgements moved since 2019", authority="Stoke-on-Trent", area=OE, since=2019)),
    ("timeline", dict(q="BCP ofsted ratings history", authority="Bournemouth, Christchurch and Poole", area=OE)),
    ("timeline", dict(q="Solihull help and protection grade over time since 2019", authority="Solihull", area=HP, since=2019)),
    ("timeline", dict(q="leadership grades for doncaster since 2019", authority="Doncaster", area=IL, since=2019)),
    ("timeline", dict(q="how have Halton's care leaver grades changed since 2019", authority="Halton", area=CL, since=2019)),
    # ---- changes
    ("changes", dict(q="Which councils in Yorkshire improved at their last inspection?", area=OE, region=YH, direction="improved")),
    ("changes", dict(q="which west midlands LAs went down a grade last time", area=OE, region=WM, direction="declined")),
    ("changes", dict(q="Which councils in the North West improved for leadership at their last inspection?", area=IL, region=NW, direction="improved")),
    ("changes", dict(q="london boroughs that got worse on help and protection at their latest ofsted", area=HP, region=LDN, direction="declined")),
    ("changes", dict(q="which south east councils improved their children in care grade last time round", area=IC, region=SE, direction="improved")),
    ("changes", dict(q="south west authorities whose leadership judgement dropped at the most recent inspection", area=IL, region=SW, direction="declined")),
    ("changes", dict(q="north east councils that improved for help and protection at their last inspection", area=HP, region=NE, direction="improved")),
    ("changes", dict(q="did any yorkshire councils go down overall at their last ofsted", area=OE, region=YH, direction="declined")),
    ("changes", dict(q="which LAs went down a grade for impact of leaders last time?", area=IL, region=None, direction="declined")),
    # ---- comparison
    ("comparison", dict(q="Compare Leeds and Sheffeild on care leavers", authorities=["Leeds", "Sheffield"], area=CL)),
    ("comparison", dict(q="hackney vs islington leadership", authorities=["Hackney", "Islington"], area=IL)),
    ("comparison", dict(q="how does Stoke compare with Staffordshire overall", authorities=["Stoke-on-Trent", "Staffordshire"], area=OE)),
    ("comparison", dict(q="wigan v st helens help and protection", authorities=["Wigan", "St. Helens"], area=HP)),
    ("comparison", dict(q="BCP or Dorset - which is rated better overall?", authorities=["Bournemouth, Christchurch and Poole", "Dorset"], area=OE)),
    ("comparison", dict(q="compare the children in care judgements for Wirral and Sefton", authorities=["Wirral", "Sefton"], area=IC)),
    ("comparison", dict(q="barnsley and rotherham overall grades side by side", authorities=["Barnsley", "Rotherham"], area=OE)),
    ("comparison", dict(q="windsor and maidenhead vs wokingham for care leavers", authorities=["Windsor and Maidenhead", "Wokingham"], area=CL)),
    ("comparison", dict(q="Lancashire compared to Blackburn with Darwen overall effectiveness", authorities=["Lancashire", "Blackburn with Darwen"], area=OE)),
    # ---- report_card
    ("report_card", dict(q="Summarise the latest Dorset inspection", authority="Dorset")),
    ("report_card", dict(q="What does Bedford need to improve?", authority="Bedford Borough")),
    ("report_card", dict(q="what were the judgements in Sefton's 2022 report", authority="Sefton", year=2022)),
    ("report_card", dict(q="how did Trafford do in its last Ofsted", authority="Trafford")),
    ("report_card", dict(q="tell me about harrow's most recent inspection", authority="Harrow")),
    ("report_card", dict(q="summary of the bexley 2023 inspection", authority="Bexley", year=2023)),
    ("report_card", dict(q="cheshire east ofsted 2024 results", authority="Cheshire East", year=2024)),
    ("report_card", dict(q="give me the headline grades from Wigan's last inspection", authority="Wigan")),
    ("report_card", dict(q="what grades did Windsor and Maidenhead get last time", authority="Windsor and Maidenhead")),
]

DEV_PASSAGES = [
    "Which councils are good at listening to children?",
    "what did inspectors say about good practice in supervision in Leeds",
    "why was Liverpool judged inadequate?",
    "how do councils support care leavers into suitable housing",
    "examples of strong corporate parenting from outstanding councils",
    "what did ofsted say about the front door in swindon",
    "why did Dorset go from good to outstanding",
    "which councils have problems with social worker caseloads",
    "what are common weaknesses in private fostering arrangements",
    "what did the report say about children missing from home in Halton",
]

TEST = [
    # ---- grade_list
    ("grade_list", dict(q="Which councils were rated outstanding in 2020?", area=OE, grade=O, mode="year", year=2020)),
    ("grade_list", dict(q="which councils had an inadequate report publised in 2025", area=OE, grade=I, mode="year", year=2025, explicit_published=True)),
    ("grade_list", dict(q="LAs that got requires improvement for help and protection in 2026", area=HP, grade=RI, mode="year", year=2026)),
    ("grade_list", dict(q="how many councils in the east of england are outstanding now", area=OE, grade=O, mode="current", region=EE, count=True)),
    ("grade_list", dict(q="which north east councils are currently good for children in care?", area=IC, grade=G_, mode="current", region=NE)),
    ("grade_list", dict(q="Which areas got outstanding for children in care in 2022", area=IC, grade=O, mode="year", year=2022)),
    ("grade_list", dict(q="which councils were graded requires improvement for impact of leaders in 2026", area=IL, grade=RI, mode="year", year=2026)),
    ("grade_list", dict(q="west midlands LAs that are currently requires improvement", area=OE, grade=RI, mode="current", region=WM)),
    ("grade_list", dict(q="south west councils rated inadequate in 2023", area=OE, grade=I, mode="year", year=2023, region=SW)),
    ("grade_list", dict(q="which yorkshire authorities received outstanding for care leavers in 2025", area=CL, grade=O, mode="year", year=2025, region=YH)),
    # ---- timeline
    ("timeline", dict(q="Hull inspection history since 2019", authority="Kingston Upon Hull, City of", area=OE, since=2019)),
    ("timeline", dict(q="how have herefordshire's ofsted grades changed since 2019", authority="Herefordshire", area=OE, since=2019)),
    ("timeline", dict(q="Luton overall ratings since 2019", authority="Luton", area=OE, since=2019)),
    ("timeline", dict(q="did newham really go from inadequate to outstanding? grades since 2019", authority="Newham", area=OE, since=2019)),
    ("timeline", dict(q="Wakefield's grades since 2018 - has it improved?", authority="Wakefield", area=OE, since=2018)),
    ("timeline", dict(q="cumberland ofsted history", authority="Cumberland", area=OE)),
    ("timeline", dict(q="blackpool leadership judgement over time since 2019", authority="Blackpool", area=IL, since=2019)),
    ("timeline", dict(q="how has West Northants done on impact of leaders over time", authority="West Northamptonshire", area=IL)),
    ("timeline", dict(q="middlesborough children in care grades since 2019", authority="Middlesbrough", area=IC, since=2019)),
    # ---- changes
    ("changes", dict(q="which west midlands councils improved at their last inspection", area=OE, region=WM, direction="improved")),
    ("changes", dict(q="London boroughs that declined on leadership last time", area=IL, region=LDN, direction="declined")),
    ("changes", dict(q="east midlands LAs whose children in care grade went up at the latest inspection", area=IC, region=EM, direction="improved")),
    ("changes", dict(q="which north west councils got worse for help and protection at their last ofsted?", area=HP, region=NW, direction="declined")),
    ("changes", dict(q="east of england authorities that improved on impact of leaders last time", area=IL, region=EE, direction="improved")),
    ("changes", dict(q="south west councils that went down for children in care at their most recent inspection", area=IC, region=SW, direction="declined")),
    ("changes", dict(q="yorkshire LAs that improved help and protection at their last inspection", area=HP, region=YH, direction="improved")),
    ("changes", dict(q="which south east councils dropped a grade for help and protection last time", area=HP, region=SE, direction="declined")),
    ("changes", dict(q="which councils went down for children in care at their latest inspection", area=IC, region=None, direction="declined")),
    # ---- comparison
    ("comparison", dict(q="RBKC vs Westminster for children in care", authorities=["Kensington and Chelsea", "Westminster"], area=IC)),
    ("comparison", dict(q="newcastle v gateshead care leavers", authorities=["Newcastle upon Tyne", "Gateshead"], area=CL)),
    ("comparison", dict(q="Compare Derby and Derbyshire overall", authorities=["Derby", "Derbyshire"], area=OE)),
    ("comparison", dict(q="birmingham vs sandwell leadership", authorities=["Birmingham", "Sandwell"], area=IL)),
    ("comparison", dict(q="how do brighton and east sussex compare on help and protection", authorities=["Brighton and Hove", "East Sussex"], area=HP)),
    ("comparison", dict(q="liverpool and knowsley care leavers grades compared", authorities=["Liverpool", "Knowsley"], area=CL)),
    ("comparison", dict(q="Middlesbrough v Redcar on impact of leaders", authorities=["Middlesbrough", "Redcar and Cleveland"], area=IL)),
    ("comparison", dict(q="swindon vs wiltshire overall ofsted rating", authorities=["Swindon", "Wiltshire"], area=OE)),
    ("comparison", dict(q="Telford and Shropshire - who scored higher for children in care", authorities=["Telford and Wrekin", "Shropshire"], area=IC)),
    # ---- report_card
    ("report_card", dict(q="summarise warwickshire's latest ofsted", authority="Warwickshire")),
    ("report_card", dict(q="what did Ofsted find in Tameside in 2024", authority="Tameside", year=2024)),
    ("report_card", dict(q="key judgements from the Isles of Scilly 2023 report", authority="Isles of Scilly", year=2023)),
    ("report_card", dict(q="how did brent get on at its most recent inspection", authority="Brent")),
    ("report_card", dict(q="Hull's last ofsted report - summary please", authority="Kingston Upon Hull, City of")),
    ("report_card", dict(q="what does knowsley need to improve", authority="Knowsley")),
    ("report_card", dict(q="Camden 2022 inspection judgements", authority="Camden", year=2022)),
    ("report_card", dict(q="north tyneside latest ofsted", authority="North Tyneside")),
    ("report_card", dict(q="how did Cumberland do in its last Ofsted?", authority="Cumberland")),
]

TEST_PASSAGES = [
    "why did Cheshire East get an inadequate?",
    "what makes Camden outstanding",
    "councils with good practice on tackling child exploitation",
    "what did inspectors say about management oversight in Tameside",
    "which LAs are struggling with placement sufficiency",
    "how well do councils support unaccompanied asylum-seeking children",
    "what's the evidence on staff turnover in knowsley",
    "examples of effective early help in good or outstanding authorities",
    "what did ofsted say about the education of children in care in Sunderland",
    "reasons stoke is still requires improvement",
]


def build(split, items, passages):
    out = []
    n = 0
    for intent, spec in items:
        n += 1
        expect, note, relied = FUNCS[intent](spec)
        out.append({"id": f"rec-{split}-{n:03d}", "question": spec["q"], "intent": intent,
                    "expect": expect, "note": note, "relies_on": relied})
    for q in passages:
        n += 1
        out.append({"id": f"rec-{split}-{n:03d}", "question": q, "intent": "passages", "expect": {},
                    "note": "near-miss: wants reasons/evidence from report text (passages), not a "
                            "grade table or report card."})
    return out


def main():
    dev = build("dev", DEV, DEV_PASSAGES)
    test = build("test", TEST, TEST_PASSAGES)
    # authorities named in dev vs test (for the overlap report)
    def names(recs):
        s = set()
        for r in recs:
            e = r["expect"]
            if "authority" in e:
                s.add(e["authority"])
            if r["intent"] == "comparison":
                s.update(e["authorities"])
        return s
    for split, recs in (("dev", dev), ("test", test)):
        with open(os.path.join(HERE, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        counts = defaultdict(int)
        for r in recs:
            counts[r["intent"]] += 1
        print(split, len(recs), dict(counts))
    print("authorities named in both dev and test:", sorted(names(dev) & names(test)))
    print("skipped non-PDF manifest rows:", SKIPPED)


if __name__ == "__main__":
    main()
