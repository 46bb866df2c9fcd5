#!/usr/bin/env python3
"""pandas + scipy equivalent of the core computation of `ccg-divide analyse`, for benchmarks.

Usage: python pandas_equivalent.py DATA_DIR [--json OUT.json]
       python pandas_equivalent.py --self-test

Reads DATA_DIR/{ccgs.csv, conditions.csv, weights.toml} (conditions.csv from
DATA_DIR/reconstructed/ when DATA_DIR has none, as `analyse` does) and computes, without resampling:
composite score and condition count per CCG; region and CSU summaries (n, n with conditions,
mean, median, linear-interpolation quartiles, min, max); the headline figures (share of CCGs with
a condition, Spearman and Pearson of score vs population and vs IMD with p-values, regional
medians and their max/min ratio, the Hertfordshire and Essex / North of England CSU mean ratio);
and a Kruskal-Wallis test across regions. Prints one line of compact JSON (or writes it to
--json) with the elapsed computation time in `seconds` (from just before reading the input files
to the last figure; interpreter and import start-up are excluded).

All steps are vectorised pandas/numpy (no Python loop over rows). Not run by tests or CI.
"""

import argparse
import json
import math
import sys
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

REGIONS = [
    "North of England",
    "Midlands and East of England",
    "London",
    "South of England",
]
CSU_A = "NHS Hertfordshire and Essex CSU"
CSU_B = "NHS North of England CSU"

# Support level text (upper-cased, stripped) -> 1..6.
LEVELS = {str(i): i for i in range(1, 7)}
LEVELS.update({r: i for i, r in enumerate(["I", "II", "III", "IV", "V", "VI"], start=1)})
# legal_direction text (lower-cased, stripped) -> bool.
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

CCG_COLUMNS = ["ods_code", "name", "region", "csu", "population", "imd_score"]
CONDITION_COLUMNS = ["ods_code", "criterion", "support_level", "legal_direction"]


class InputError(Exception):
    pass


def read_weights(path):
    with open(path, "rb") as f:
        table = tomllib.load(f)
    try:
        levels = table["support_level"]
        by_level = np.array([np.nan] + [float(levels[str(i)]) for i in range(1, 7)])
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: [support_level] needs numeric keys 1 to 6 ({e})") from None
    return {
        "name": str(table.get("name", "")),
        "levels": by_level,  # index = support level; index 0 unused
        "legal_direction": float(table.get("legal_direction", 0.0)),
    }


def check_header(path, required):
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")


def map_text(series, table, normalise, what, path):
    """Map a text column through `table` by factorising it first (the few distinct values are
    normalised and looked up; the rows are mapped by array indexing)."""
    codes, uniques = pd.factorize(series)
    keys = pd.Index(uniques).astype(str)
    keys = keys.str.strip().str.upper() if normalise == "upper" else keys.str.strip().str.lower()
    mapped = keys.map(table)
    bad = mapped.isna()
    if bad.any():
        raise InputError(f"{path}: unexpected {what} {list(uniques[np.asarray(bad)][:5])!r}")
    return np.asarray(mapped.to_numpy(), dtype=object)[codes] if len(codes) else np.array([])


def finite(x):
    """A JSON-safe float: NaN and infinities become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def ratio(a, b):
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return None
    return a / b


def correlation(fn, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns and returns NaN
        res = fn(x, y)
    return {"r": finite(res.statistic), "p_value": finite(res.pvalue)}


def summarise(scores, by):
    g = scores.groupby(by, sort=True)
    s = g["composite_score"]
    out = pd.DataFrame(
        {
            "n_ccgs": g.size(),
            "n_with_conditions": g["has_conditions"].sum(),
            "mean": s.mean(),
            "median": s.median(),
            "q1": s.quantile(0.25),  # linear interpolation (numpy default)
            "q3": s.quantile(0.75),
            "min": s.min(),
            "max": s.max(),
        }
    )
    out.index.name = by
    return out


def records(frame):
    rows = frame.reset_index().to_dict(orient="records")
    return [
        {k: (finite(v) if isinstance(v, float) else (int(v) if isinstance(v, (np.integer, int)) else v))
         for k, v in r.items()}
        for r in rows
    ]


def compute(data_dir):
    data_dir = Path(data_dir)
    ccg_path = data_dir / "ccgs.csv"
    # As the Rust loader: DATA_DIR/conditions.csv if present, else DATA_DIR/reconstructed/.
    cond_path = data_dir / "conditions.csv"
    if not cond_path.exists() and (data_dir / "reconstructed" / "conditions.csv").exists():
        cond_path = data_dir / "reconstructed" / "conditions.csv"

    t0 = time.perf_counter()

    # 1. Read the inputs.
    weights = read_weights(data_dir / "weights.toml")
    check_header(ccg_path, CCG_COLUMNS)
    check_header(cond_path, CONDITION_COLUMNS)
    ccgs = pd.read_csv(
        ccg_path,
        usecols=CCG_COLUMNS,
        dtype={"ods_code": str, "name": str, "region": str, "csu": str,
               "population": np.int64, "imd_score": np.float64},
        na_filter=False,
    )
    cond = pd.read_csv(
        cond_path,
        usecols=["ods_code", "support_level", "legal_direction"],
        dtype=str,
        na_filter=False,
    )
    if ccgs["ods_code"].duplicated().any():
        raise InputError(f"{ccg_path}: duplicate ods_code")
    bad_region = ~ccgs["region"].isin(REGIONS)
    if bad_region.any():
        raise InputError(f"{ccg_path}: unknown region {ccgs.loc[bad_region, 'region'].iloc[0]!r}")
    level = map_text(cond["support_level"], LEVELS, "upper", "support level", cond_path).astype(np.int64)
    directed = map_text(cond["legal_direction"], BOOLEANS, "lower", "legal_direction", cond_path).astype(bool)

    # 2. Composite score and condition count per CCG (CCGs without conditions: 0).
    cond_weight = weights["levels"][level] + weights["legal_direction"] * directed
    per_ccg = (
        pd.DataFrame({"ods_code": cond["ods_code"], "w": cond_weight})
        .groupby("ods_code", sort=False)["w"]
        .agg(composite_score="sum", n_conditions="size")
    )
    unknown = ~per_ccg.index.isin(ccgs["ods_code"])
    if unknown.any():
        raise InputError(f"{cond_path}: condition for unknown CCG {per_ccg.index[unknown][0]!r}")
    scores = ccgs.join(per_ccg, on="ods_code")
    scores["composite_score"] = scores["composite_score"].fillna(0.0)
    scores["n_conditions"] = scores["n_conditions"].fillna(0).astype(np.int64)
    scores["has_conditions"] = scores["n_conditions"] > 0

    # 3. Region and CSU summaries (CSUs: highest mean first, then by name).
    regions = summarise(scores, "region")
    csus = summarise(scores, "csu").reset_index().sort_values(
        ["mean", "csu"], ascending=[False, True], kind="stable").set_index("csu")

    # 4. Headline figures.
    score = scores["composite_score"].to_numpy()
    population = scores["population"].to_numpy(dtype=np.float64)
    imd = scores["imd_score"].to_numpy()
    n = len(scores)
    n_with = int(scores["has_conditions"].sum())
    region_medians = regions["median"]
    med_max, med_min = float(region_medians.max()), float(region_medians.min())
    csu_means = csus["mean"]
    mean_a = float(csu_means[CSU_A]) if CSU_A in csu_means.index else None
    mean_b = float(csu_means[CSU_B]) if CSU_B in csu_means.index else None
    headline = {
        "n_ccgs": n,
        "n_condition_rows": int(len(cond)),
        "n_with_conditions": n_with,
        "share_with_conditions": finite(n_with / n) if n else None,
        "spearman_population": correlation(stats.spearmanr, score, population),
        "spearman_imd": correlation(stats.spearmanr, score, imd),
        "pearson_population": correlation(stats.pearsonr, score, population),
        "pearson_imd": correlation(stats.pearsonr, score, imd),
        "region_medians": {k: finite(v) for k, v in region_medians.items()},
        "region_median_ratio": ratio(med_max, med_min),
        "csu_mean_a": {"csu": CSU_A, "mean": mean_a},
        "csu_mean_b": {"csu": CSU_B, "mean": mean_b},
        "csu_mean_ratio": ratio(mean_a, mean_b),
    }

    # 5. Kruskal-Wallis across regions.
    groups = [g.to_numpy() for _, g in scores.groupby("region", sort=True)["composite_score"]]
    groups = [g for g in groups if len(g)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all values identical: H is NaN
            kw = stats.kruskal(*groups) if len(groups) >= 2 else None
    except ValueError:  # older scipy raises on all-identical values
        kw = None
    kruskal = {
        "h": finite(kw.statistic) if kw else None,
        "df": len(groups) - 1,
        "p_value": finite(kw.pvalue) if kw else None,
    }

    seconds = time.perf_counter() - t0
    return {
        "data_dir": str(data_dir),
        "weights": weights["name"],
        "headline": headline,
        "kruskal_wallis_regions": kruskal,
        "regions": records(regions),
        "csus": records(csus),
        "seconds": seconds,
    }, scores


def self_test():
    fixture = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "small"
    out, scores = compute(fixture)
    want = {"N01": 1, "N02": 0, "M01": 12, "M02": 6, "L01": 3, "L02": 4, "S01": 4, "S02": 0}
    got = dict(zip(scores["ods_code"], scores["composite_score"]))
    assert got == want, got
    h = out["headline"]
    close = lambda a, b: a is not None and abs(a - b) < 1e-12  # noqa: E731
    assert h["n_with_conditions"] == 6 and close(h["share_with_conditions"], 0.75), h
    assert h["region_medians"] == {"London": 3.5, "Midlands and East of England": 9.0,
                                   "North of England": 0.5, "South of England": 2.0}, h
    assert close(h["region_median_ratio"], 18.0), h
    assert h["csu_mean_a"]["mean"] == 9.0 and h["csu_mean_b"]["mean"] == 0.5, h
    assert close(h["csu_mean_ratio"], 18.0), h
    assert close(h["spearman_population"]["r"], 0.44581549075848886), h
    assert close(h["spearman_imd"]["r"], -0.10844160586017297), h
    assert close(h["pearson_population"]["r"], 0.6523667480211451), h
    me = next(r for r in out["regions"] if r["region"] == "Midlands and East of England")
    assert me == {"region": "Midlands and East of England", "n_ccgs": 2, "n_with_conditions": 2,
                  "mean": 9.0, "median": 9.0, "q1": 7.5, "q3": 10.5, "min": 6.0, "max": 12.0}, me
    print(f"self-test passed ({fixture})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data_dir", nargs="?", help="directory with ccgs.csv, conditions.csv, weights.toml")
    p.add_argument("--json", metavar="OUT.json", help="write the JSON here instead of stdout")
    p.add_argument("--self-test", action="store_true", help="check the figures on tests/fixtures/small")
    args = p.parse_args(argv)
    if args.self_test:
        self_test()
        return 0
    if not args.data_dir:
        p.error("DATA_DIR is required")
    try:
        out, _ = compute(args.data_dir)
    except (InputError, OSError, ValueError, tomllib.TOMLDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(out, separators=(",", ":"), allow_nan=False)
    if args.json:
        Path(args.json).write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
