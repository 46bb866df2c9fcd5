#!/usr/bin/env python3
"""Compile ccg-divide's embedded inputs from the shared reference facts.

    python3 scripts/compile_reference.py [--shared ../shared/data] [--data data]

Writes data/ccgs.csv and data/published/{aggregates,outcomes,itemised_conditions,facts}.csv.
This is a one-off, documented build step (standard library only): the pipeline itself never
reads ../shared. Re-running it on the same reference files writes the same bytes.

Every value is copied from the reference table or from a published fact; nothing is invented.
Where the reference is a short label or a paraphrase, the text written here is our own wording.
CSU assignments may be improved by data/published/csu_evidence.csv (hand-curated, with URLs),
which this script applies on top of the reference and records in csu_basis / csu_source.
"""

import argparse
import csv
import os
import sys
from collections import defaultdict

CSU_BASIS = {"R": "named", "A": "area", "P": "plan", "G": "geography", "G?": "low_confidence"}

# Our own one-line description of each kind of per-CCG fact (the sources' wording is not copied).
FACT_NOTES = {
    "wave": "authorisation wave named in the source",
    "wave_applied": "wave the CCG applied for after the autumn 2012 changes (not necessarily the wave it was authorised in)",
    "wave_proposed": "wave proposed for the CCG in May 2012 (superseded)",
    "wave_inferred": "wave deduced, not stated, by the compiler of the reference facts",
    "wave_membership": "considered by the NHS CB sub-committee in this wave",
    "wave_note": "remark on the wave",
    "authorised": "authorised by the NHS CB; number of conditions not stated",
    "authorised_wave1": "authorised in wave 1; number of conditions not stated",
    "authorised_wave2": "authorised in wave 2; number of conditions not stated",
    "authorised_with_conditions": "authorised with at least one condition; number not stated",
    "fully_authorised": "authorised with no conditions (all 119 criteria met)",
    "fully_authorised_mar2013": "fully authorised after the March 2013 review",
    "fully_authorised_oct2013": "fully authorised after the autumn 2013 review",
    "conditions": "initial number of conditions at authorisation",
    "conditions_remaining_jun2013": "conditions still open in June 2013",
    "conditions_remaining_jul2013": "conditions still open after the July 2013 review",
    "conditions_remaining_july2013": "conditions still open after the July 2013 review",
    "conditions_remaining_jan2014": "conditions still open after the January 2014 review",
    "conditions_remaining_may2014": "conditions still open after the May 2014 review",
    "legal_directions": "given legal directions at authorisation",
    "legal_directions_count": "number of legal directions issued to the CCG",
    "legal_directions_july2013": "still under legal directions after the July 2013 review",
    "legal_directions_oct2013": "still under legal directions after the autumn 2013 review",
    "legal_directions_may2014": "still under legal directions after the May 2014 review",
    "legal_directions_2014_19remaining": "one of three CCGs still under directions when 19 CCGs kept conditions (2014)",
    "legal_directions_lifted_by_jul2013_inferred": "deduced: absent from the July 2013 list of directed CCGs",
    "legal_directions_lifted_jan2014": "directions lifted around January 2014",
    "legal_directions_removed_oct2013": "deduced: the one CCG whose directions ended at the autumn 2013 review",
    "legal_directions_new_mar2013_inferred": "deduced: directions added at the March 2013 review",
    "direction_detail": "what the directions covered",
    "functions_removed": "specific functions removed at authorisation",
    "accountable_officer_not_ratified": "NHS CB declined to ratify the accountable officer at authorisation",
    "level6_replace_accountable_officer_july2013": "by July 2013 required to replace its accountable officer, functions limited",
    "ranked_worst_two": "described in the press as one of the two worst-performing CCGs",
    "level4": "level IV support (team or individual inserted) backed by directions",
    "level4_conditions_min": "at least this many conditions at level IV",
    "level_detail": "support levels of some conditions",
    "level_detail_partial": "criteria and support levels listed (source text truncated)",
    "level1_conditions": "conditions at level I (the lowest level of concern)",
    "deferred_from_wave1": "deferred from wave 1 to wave 4",
}

# Published per-CCG outcomes: (initial conditions or None, top level or None, level IV+ count or
# None, note). Built from the facts below; each entry is checked against them in main().
OUTCOME_NOTES = {
    "04G": "source: a legal direction plus a further 13 conditions; read here as 14 conditions, one of them the directed level-IV condition",
    "03G": "the source (July 2013) may give a count after the March review; taken as the initial count",
    "06N": "28 conditions, two at level IV backed by directions (the most in wave 2)",
    "09W": "24 conditions; the financial plan criterion 3.1.1C at level IV with one direction",
    "09J": "22 conditions (the most among undirected wave-2 CCGs); the source shows levels I-III only",
    "06T": "one condition, at the lowest level",
    "07G": "functions removed at authorisation and the accountable officer later to be replaced: level VI taken as the top level",
    "08W": "functions removed and accountable officer not ratified at authorisation: level VI taken as the top level",
    "99E": "functions removed and accountable officer not ratified at authorisation: level VI taken as the top level",
}

ITEMISED = [
    # ods_code, criterion, support level ('' = not published), legal_direction, fact kind for URL, note
    ("09J", "1.1D", 2, False, "level_detail_partial", ""),
    ("09J", "1.4.2B", 2, False, "level_detail_partial", ""),
    ("09J", "2.2B", 2, False, "level_detail_partial", ""),
    ("09J", "2.4.2A", 1, False, "level_detail_partial", ""),
    ("09J", "2.4.2C", 3, False, "level_detail_partial", ""),
    ("09J", "3.1.1B", 3, False, "level_detail_partial", ""),
    ("09J", "3.1.1C", 3, False, "level_detail_partial", ""),
    ("09W", "3.1.1C", 4, True, "level4_conditions_min", "the directed condition"),
    ("09W", "2.2B", 3, False, "level4_conditions_min", ""),
    ("09W", "2.4.1B", 2, False, "level4_conditions_min", ""),
    ("09W", "2.4.2B", 1, False, "level4_conditions_min", ""),
    ("09W", "2.4.2C", 2, False, "level4_conditions_min", ""),
    ("09W", "3.1.1B", 3, False, "level4_conditions_min", ""),
    ("09W", "3.1.1D", 3, False, "level4_conditions_min", ""),
    ("06N", "", 4, True, "level_detail", "one of two level-IV conditions; criterion not published"),
    ("06N", "", 4, True, "level_detail", "one of two level-IV conditions; criterion not published"),
    ("06T", "", 1, False, "level1_conditions", "criterion not published (evidence of collaboration agreements)"),
    ("02T", "3.1.1B", "", False, "conditions", "level not published"),
    ("06H", "3.1.1B", "", False, "conditions", "level not published"),
    ("06H", "3.1.1C", "", False, "conditions", "level not published"),
    ("10C", "1.3B", "", False, "conditions", "level not published"),
    ("10C", "4.2.1E", "", False, "conditions", "level not published"),
    ("10C", "4.2.3D", "", False, "conditions", "level not published"),
    ("10C", "5.3B", "", False, "conditions", "level not published"),
    ("10C", "5.3C", "", False, "conditions", "level not published"),
    ("10C", "6.4F", "", False, "conditions", "level not published"),
    ("10C", "6.4G", "", False, "conditions", "level not published"),
] + [
    ("09F", c, "", False, "conditions", "level not published (source lists 12 of the 13 criteria)")
    for c in ["1.3B", "1.4.2B", "2.4.1B", "2.4.2B", "3.1.1B", "3.1.1C", "3.1.1D", "3.1.1F",
              "3.1.4B", "4.2.1A", "4.2.1B", "5.1A"]
]

REGION_DIRECTIONS = {  # derived from the 15 named directed CCGs (ccgs.csv gives their regions)
    "North of England": 2, "Midlands and East of England": 5, "London": 4, "South of England": 4,
}


def region_scope(region):
    return "region_" + region.lower().replace(" ", "_")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    os.replace(tmp, path)
    print(f"wrote {path} ({len(rows)} rows)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join("..", "shared", "data"))
    ap.add_argument("--data", default="data")
    a = ap.parse_args()

    ref = read(os.path.join(a.shared, "ccgs_2013.csv"))
    extra = {r["ods_code"]: r for r in read(os.path.join(a.shared, "ccgs_2013_extra.csv"))}
    facts = read(os.path.join(a.shared, "authorisation_facts.csv"))
    aggs = read(os.path.join(a.shared, "authorisation_aggregates.csv"))
    by_code = defaultdict(list)
    for f in facts:
        by_code[f["ods_code"]].append(f)

    def fact_url(code, kind, value=None):
        for f in by_code[code]:
            if f["fact"] == kind and (value is None or f["value"] == value):
                return f["source_url"]
        return ""

    overrides = {}
    ev_path = os.path.join(a.data, "published", "csu_evidence.csv")
    if os.path.exists(ev_path):
        for r in read(ev_path):
            # named / area: as the csu_basis codes; later: a CCG-specific source from after
            # April 2013 that agrees with the reference (recorded, but the basis is unchanged).
            if r["basis"] not in ("named", "area", "later"):
                sys.exit(f"{ev_path}: basis must be named, area or later, got {r['basis']!r}")
            prev = overrides.get(r["ods_code"])
            # A CCG-specific source beats an area-level one; the first of equal rank is kept.
            rank = {"later": 0, "area": 1, "named": 2}
            if prev is None or rank[r["basis"]] > rank[prev["basis"]]:
                overrides[r["ods_code"]] = r

    # 1. ccgs.csv
    rows = []
    for r in ref:
        code = r["ods_code"]
        e = extra[code]
        csu, basis, csu_source = r["csu"], CSU_BASIS.get(e["csu_basis"], "unknown"), e["csu_evidence"]
        if not csu:
            basis = "unknown"
        o = overrides.get(code)
        if o and o["basis"] == "later":
            if o["csu"] != csu:
                sys.exit(f"{ev_path}: {code}: a 'later' source must agree with the reference")
            csu_source = f"{csu_source}; later CCG-specific source agrees: {o['note']} ({o['source_url']})"
        elif o:
            if o["csu"] != csu:
                csu_source = f"{o['note']} ({o['source_url']}); reference had {csu} ({e['csu_basis']})"
            else:
                csu_source = f"{o['note']} ({o['source_url']})"
            csu, basis = o["csu"], o["basis"]
        wave = r["wave"]
        wave_source = ""
        if wave:
            wave_source = (fact_url(code, "wave", wave) or fact_url(code, f"authorised_wave{wave}")
                           or fact_url(code, "fully_authorised") or fact_url(code, "authorised")
                           or e["wave_source"])
        rows.append({
            "ods_code": code, "ons_code": r["ons_code"], "name": r["name"], "region": r["region"],
            "area_team": r["area_team"], "csu": csu, "csu_basis": basis, "csu_source": csu_source,
            "population": r["population"], "population_source": r["population_source"],
            "imd_score": r["imd_score"], "imd_source": r["imd_source"],
            "imd2015_score": e["imd2015_official_score"], "wave": wave, "wave_source": wave_source,
            "reference_note": r["notes"],
        })
    rows.sort(key=lambda x: x["ods_code"])
    header = ["ods_code", "ons_code", "name", "region", "area_team", "csu", "csu_basis",
              "csu_source", "population", "population_source", "imd_score", "imd_source",
              "imd2015_score", "wave", "wave_source", "reference_note"]
    write(os.path.join(a.data, "ccgs.csv"), header, rows)
    region_of = {r["ods_code"]: r["region"] for r in rows}

    # 2. aggregates.csv, with normalised scope/metric keys the pipeline reads.
    src = {(g["scope"], g["metric"]): g for g in aggs}

    def agg(scope, metric, value, from_key, note):
        g = src[from_key]
        return [scope, metric, str(value), g["source_url"], note]

    out = []
    w = {  # wave: (ccgs, full, with conditions incl. directed, directed)
        1: (34, 8, 26, 0), 2: (67, 19, 48, 3), 3: (62, 6, 56, 5), 4: (48, 10, 38, 7),
    }
    for n, (size, full, with_c, directed) in w.items():
        s = f"wave{n}"
        size_key = (s, "ccgs_assessed") if n == 1 else (s, "ccgs")
        out.append(agg(s, "ccgs", size, size_key,
                       "35 assessed; Liverpool deferred to wave 4" if n == 1 else "CCGs decided in this wave"))
        out.append(agg(s, "fully_authorised", full, (s, "fully_authorised"), "no conditions"))
        if n in (2, 4):
            undirected = int(src[(s, "with_conditions_no_directions")]["value"])
            assert undirected + directed == with_c, s
            out.append(agg(s, "with_conditions", with_c, (s, "with_conditions_no_directions"),
                           f"derived: {undirected} with conditions but no directions + {directed} directed"))
        elif n == 3:
            out.append(agg(s, "with_conditions", with_c, (s, "with_conditions_incl_directed"),
                           "includes the directed CCGs"))
        else:
            out.append(agg(s, "with_conditions", with_c, (s, "with_conditions"), "range 1 to 14 conditions"))
        assert full + with_c == size, s
        out.append(agg(s, "legal_directions", directed, (s, "legal_directions"), "CCGs given legal directions"))
        if (s, "ccgs_with_level3") in src:
            out.append(agg(s, "ccgs_with_level3", src[(s, "ccgs_with_level3")]["value"], (s, "ccgs_with_level3"),
                           "CCGs with at least one level-III condition (among the undirected)"))
    out.append(agg("wave1", "max_conditions", 14, ("wave1", "with_conditions"), "most conditions of any wave-1 CCG"))
    out.append(agg("wave1", "max_support_level", 3, ("wave1", "with_conditions"), "levels I-III only in wave 1"))
    out.append(agg("wave2", "max_conditions", 28, ("wave2", "max_conditions"), "Herts Valleys (directed)"))
    out.append(agg("wave2", "max_conditions_no_directions", 22, ("wave2", "max_conditions"),
                   "Dartford, Gravesham and Swanley: most among undirected wave-2 CCGs"))
    out.append(agg("wave2_no_directions", "max_support_level", 3, ("wave2", "with_conditions_no_directions"),
                   "undirected wave-2 CCGs had levels I-III only"))
    out.append(agg("all", "ccgs", 211, ("all", "with_conditions"), "all CCGs authorised by April 2013"))
    out.append(agg("all", "fully_authorised", 43, ("all", "fully_authorised_at_authorisation"), "no conditions"))
    out.append(agg("all", "with_conditions", 168, ("all", "with_conditions"), "four in five"))
    out.append(agg("all", "with_legal_directions", 15, ("all", "with_legal_directions"), "named in wave reports"))
    counted = defaultdict(int)
    for f in facts:
        if f["fact"] == "legal_directions" and f["value"] == "1":
            counted[region_of[f["ods_code"]]] += 1
    for region, n in REGION_DIRECTIONS.items():
        assert counted[region] == n, (region, counted[region])
        out.append(agg(region_scope(region), "ccgs_with_legal_directions", n, ("all", "with_legal_directions"),
                       "derived: directed CCGs named in the sources, by region"))
    me = region_scope("Midlands and East of England")
    out.append(agg(me, "ccgs", 61, ("region_midlands_east", "ccgs"), "HSJ regional table (other rows not available)"))
    out.append(agg(me, "avg_conditions_per_ccg", 6, ("region_midlands_east", "avg_conditions_per_ccg"),
                   "average over all 61 CCGs, rounded; the reconstruction targets 6 x 61 = 366 conditions"))
    out.append(agg(me, "number_of_legal_directions", 15, ("region_midlands_east", "number_of_legal_directions"),
                   "individual directions to the 5 directed CCGs (our reading of a garbled table row)"))
    for scope, metric in [("review_mar2013", "fully_authorised_total"), ("review_mar2013", "ccgs_with_directions"),
                          ("review_jul2013", "fully_authorised_total"), ("review_jul2013", "ccgs_with_directions"),
                          ("review_oct2013", "fully_authorised_total"), ("review_oct2013", "ccgs_with_directions"),
                          ("review_may2014", "ccgs_with_conditions"), ("review_may2014", "ccgs_with_directions")]:
        g = src[(scope, metric)]
        out.append([scope, metric, g["value"], g["source_url"], "review after authorisation (not checked against the data)"])
    g = src[("review_may2014", "ccgs_with_conditions")]
    assert "all northern CCGs fully authorised" in g["note"]
    out.append(["review_may2014", "ccgs_with_conditions_north", "0", g["source_url"],
                "the source says every northern CCG was by then fully authorised"])
    write(os.path.join(a.data, "published", "aggregates.csv"), ["scope", "metric", "value", "source_url", "note"], out)

    # 3. outcomes.csv: every CCG with a published initial count or legal directions.
    names = {r["ods_code"]: r["name"] for r in rows}
    outcomes = {}
    for f in facts:
        code, kind = f["ods_code"], f["fact"]
        if kind == "fully_authorised" and f["value"] == "1":
            outcomes.setdefault(code, {})["conditions"] = 0
            outcomes[code]["url"] = f["source_url"]
    for f in facts:
        code, kind = f["ods_code"], f["fact"]
        if kind == "conditions":
            o = outcomes.setdefault(code, {})
            n = int(f["value"]) + (1 if code == "04G" else 0)
            assert o.get("conditions") in (None, n), code
            o["conditions"] = n
            o.setdefault("url", f["source_url"])
        elif kind == "legal_directions" and f["value"] == "1":
            o = outcomes.setdefault(code, {})
            o["direction"] = True
            o.setdefault("url", f["source_url"])
    top = {"06T": 1, "09J": 3, "04G": 4, "06N": 4, "09W": 4, "07G": 6, "08W": 6, "99E": 6}
    iv = {"06N": 2}
    out = []
    for code in sorted(outcomes):
        o = outcomes[code]
        out.append({"ods_code": code, "name": names[code],
                    "conditions": "" if o.get("conditions") is None else o["conditions"],
                    "legal_direction": "true" if o.get("direction") else "false",
                    "top_level": top.get(code, ""), "level_iv_or_higher": iv.get(code, ""),
                    "source_url": o["url"], "note": OUTCOME_NOTES.get(code, "")})
    n_counts = sum(1 for r in out if r["conditions"] != "")
    n_dir = sum(1 for r in out if r["legal_direction"] == "true")
    assert n_counts == 31 and n_dir == 15, (n_counts, n_dir)
    write(os.path.join(a.data, "published", "outcomes.csv"),
          ["ods_code", "name", "conditions", "legal_direction", "top_level", "level_iv_or_higher",
           "source_url", "note"], out)

    # 4. itemised_conditions.csv
    out = []
    for code, crit, level, direction, kind, note in ITEMISED:
        url = fact_url(code, kind)
        assert url, (code, kind)
        out.append([code, crit, level, "true" if direction else "false", url, note])
    write(os.path.join(a.data, "published", "itemised_conditions.csv"),
          ["ods_code", "criterion", "support_level", "legal_direction", "source_url", "note"], out)

    # 5. facts.csv: every per-CCG fact, with our own description of what it records.
    out = []
    for f in sorted(facts, key=lambda f: (f["ods_code"], f["fact"], f["value"], f["source_url"])):
        if f["fact"] not in FACT_NOTES:
            sys.exit(f"no description for fact kind {f['fact']!r}; add one to FACT_NOTES")
        out.append([f["ods_code"], names.get(f["ods_code"], f["ccg_name"]), f["wave"], f["fact"],
                    f["value"], f["source_url"], FACT_NOTES[f["fact"]]])
    write(os.path.join(a.data, "published", "facts.csv"),
          ["ods_code", "name", "wave", "fact", "value", "source_url", "note"], out)


if __name__ == "__main__":
    main()
