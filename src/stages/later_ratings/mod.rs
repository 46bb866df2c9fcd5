//! What came later: NHS England's own ratings of CCGs (2015/16 assurance, 2016/17 and 2017/18
//! annual assessments), published by name, set against the 2013 regions and the real 2013 facts
//! (directions, published condition counts). Published facts only: no reconstruction.
//! Here: the categories, the rates by region and the 2013 facts as predictors where every CCG
//! in a category is named (complete), and the check-data rows; every category, named in full or
//! in part, is tested over every placement of the unnamed CCGs in `ranges` (with `placements`).
//! A CCG formed by a merger counts once, for the merged body.

pub mod placements;
pub mod ranges;

use crate::columns::{strings, u32_slice};
use crate::model::published::{
    LaterRecord, Published, Relation, LATER_GROUPS, LATER_TOTALS, RATINGS,
};
use crate::stats;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// A rating category in a year: how many CCGs the sources name, of the published total.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub year: String,
    pub rating: String,
    pub named: usize,
    pub published_total: Option<u32>,
    /// Every CCG in the category is named.
    pub complete: bool,
}

/// A complete category by 2013 region (bodies rated that year, and in the category).
#[derive(Debug, Clone, Serialize)]
pub struct RegionRates {
    pub year: String,
    pub rating: String,
    pub rated: [usize; 4],
    pub in_category: [usize; 4],
    /// Fisher's exact test, North of England against the other three regions.
    pub fisher_p_north_vs_rest: f64,
    /// Each region against the rest, Holm-adjusted over the four.
    pub holm_p_each_vs_rest: [f64; 4],
}

/// A real 2013 fact against a later complete category: the 2×2 table
/// [[with fact and rated so, with fact not], [without fact and rated so, without not]].
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub fact: String,
    pub outcome: String,
    pub table: [u64; 4],
    pub odds_ratio: f64,
    pub odds_ratio_ci_95: (f64, f64),
    pub fisher_p: f64,
    /// Plain words: more often, less often, or too few to tell.
    pub reading: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LaterRatings {
    pub categories: Vec<Category>,
    pub by_region: Vec<RegionRates>,
    pub predictions: Vec<Prediction>,
    /// Every category, named in full or in part: its exact range over the placements.
    pub ranges: Vec<ranges::CategoryRange>,
    /// The 2013 facts against each year's inadequate CCGs, over the placements.
    pub prediction_ranges: Vec<ranges::PredictionRange>,
    /// What became of a fully named year's inadequate CCGs a year later.
    pub persistence: Vec<ranges::Persistence>,
    /// Statements the placements could not use, and why.
    pub not_used: Vec<String>,
}

/// The bodies rated in a year, numbered: each 2013 CCG, or the merged CCG it had become by the
/// year's end (31 March). Each 2013 ODS code maps to its body's index, and each index to the
/// body's 2013 region (None when a merger crossed regions).
pub(crate) struct BodyIndex {
    pub(crate) index_of_code: HashMap<String, usize>,
    /// Per body index.
    pub(crate) region: Vec<Option<usize>>,
}

/// The last day of a rating year ("2015/16" → "2016-03-31"), to compare with merger dates.
fn year_end(year: &str) -> String {
    year.get(..4)
        .and_then(|y| y.parse::<u32>().ok())
        .map(|y| format!("{}-03-31", y + 1))
        .unwrap_or_default()
}

/// The bodies rated in `year`: the 2013 CCGs (`codes`, `regions`) after the mergers effective by
/// the year's end.
pub(crate) fn body_index(
    year: &str,
    codes: &[String],
    regions: &[u32],
    later: &LaterRecord,
) -> BodyIndex {
    let end = year_end(year);
    let region_of: HashMap<&str, usize> = codes
        .iter()
        .zip(regions)
        .map(|(c, &r)| (c.as_str(), r as usize))
        .collect();
    let mut b = BodyIndex {
        index_of_code: HashMap::new(),
        region: vec![],
    };
    for m in later
        .mergers
        .iter()
        .filter(|m| m.effective.as_str() <= end.as_str())
    {
        let rs: BTreeSet<Option<&usize>> = m
            .ods_codes
            .iter()
            .map(|c| region_of.get(c.as_str()))
            .collect();
        let region = match rs.into_iter().collect::<Vec<_>>().as_slice() {
            [Some(r)] => Some(**r),
            _ => None,
        };
        for c in &m.ods_codes {
            b.index_of_code.insert(c.clone(), b.region.len());
        }
        b.region.push(region);
    }
    for (c, &r) in codes.iter().zip(regions) {
        if !b.index_of_code.contains_key(c) {
            b.index_of_code.insert(c.clone(), b.region.len());
            b.region.push(Some(r as usize));
        }
    }
    b
}

pub fn later_ratings(p: &Published, counts: &DataFrame) -> PolarsResult<Option<LaterRatings>> {
    let later = &p.later;
    if later.ratings.is_empty() {
        return Ok(None);
    }
    let codes = strings(counts, "ods_code")?;
    let regions = u32_slice(counts, "region_index")?;
    let categories = categories(later);
    let (mut by_region, mut predictions) = (vec![], vec![]);
    for c in categories.iter().filter(|c| c.complete) {
        let b = body_index(&c.year, &codes, regions, later);
        let rated: BTreeSet<usize> = later
            .ratings
            .iter()
            .filter(|r| r.year == c.year && r.rating == c.rating)
            .filter_map(|r| {
                r.ods_codes
                    .first()
                    .and_then(|k| b.index_of_code.get(k))
                    .copied()
            })
            .collect();
        by_region.push(region_rates(c, &b, &rated));
        predictions.extend(predict(c, &b, &rated, p));
    }
    let years: BTreeSet<&str> = later.ratings.iter().map(|r| r.year.as_str()).collect();
    let models: Vec<(String, ranges::YearModel)> = years
        .into_iter()
        .map(|y| (y.to_string(), ranges::year_model(y, &codes, regions, later)))
        .collect();
    let ranges = ranges::category_ranges(later, &models);
    let prediction_ranges = ranges::prediction_ranges(p, &models, &ranges);
    let persistence = ranges::persistence(&models, &ranges);
    let not_used = models
        .iter()
        .flat_map(|(y, m)| m.year.dropped.iter().map(move |d| format!("{y}: {d}")))
        .collect();
    Ok(Some(LaterRatings {
        categories,
        by_region,
        predictions,
        ranges,
        prediction_ranges,
        persistence,
        not_used,
    }))
}

fn categories(later: &LaterRecord) -> Vec<Category> {
    let years: BTreeSet<&str> = later.ratings.iter().map(|r| r.year.as_str()).collect();
    let mut out = vec![];
    for year in years {
        for rating in RATINGS {
            let named = later
                .ratings
                .iter()
                .filter(|r| r.year == year && r.rating == rating)
                .count();
            let published_total = later
                .totals
                .iter()
                .find(|t| t.year == year && t.rating == rating)
                .map(|t| t.total);
            out.push(Category {
                year: year.to_string(),
                rating: rating.to_string(),
                named,
                complete: published_total == Some(named as u32),
                published_total,
            });
        }
    }
    out
}

fn region_rates(c: &Category, b: &BodyIndex, rated: &BTreeSet<usize>) -> RegionRates {
    let (mut n, mut k) = ([0usize; 4], [0usize; 4]);
    for (i, r) in b.region.iter().enumerate() {
        if let Some(r) = r {
            n[*r] += 1;
            k[*r] += usize::from(rated.contains(&i));
        }
    }
    let raw: Vec<f64> = (0..4)
        .map(|r| stats::fisher_group_vs_rest(&k, &n, r))
        .collect();
    let holm = stats::holm(&raw);
    RegionRates {
        year: c.year.clone(),
        rating: c.rating.clone(),
        rated: n,
        in_category: k,
        fisher_p_north_vs_rest: raw[0],
        holm_p_each_vs_rest: [holm[0], holm[1], holm[2], holm[3]],
    }
}

/// The real 2013 facts, each a set of 2013 CCGs: directions at authorisation, and directions
/// still in force at the May 2014 review.
pub(crate) fn facts_2013(p: &Published) -> Vec<(String, BTreeSet<String>)> {
    let directed: BTreeSet<String> = p
        .outcomes
        .iter()
        .filter(|o| o.legal_direction)
        .map(|o| o.ods_code.clone())
        .collect();
    let may2014: BTreeSet<String> = [
        "legal_directions_may2014",
        "legal_directions_2014_19remaining",
    ]
    .iter()
    .flat_map(|f| p.ccgs_with_fact(f))
    .collect();
    vec![
        (
            "given legal directions at authorisation (2013)".into(),
            directed,
        ),
        (
            "under legal directions at the May 2014 review".into(),
            may2014,
        ),
    ]
}

fn predict(c: &Category, b: &BodyIndex, rated: &BTreeSet<usize>, p: &Published) -> Vec<Prediction> {
    facts_2013(p)
        .into_iter()
        .filter(|(_, set)| !set.is_empty())
        .map(|(fact, set)| {
            let with: BTreeSet<usize> = set.iter().filter_map(|c| b.index_of_code.get(c)).copied().collect();
            let mut t = [0u64; 4];
            for i in 0..b.region.len() {
                let cell = usize::from(!with.contains(&i)) * 2 + usize::from(!rated.contains(&i));
                t[cell] += 1;
            }
            let (or, lo, hi) = stats::odds_ratio_exact(t[0], t[1], t[2], t[3]);
            let fisher_p = stats::fisher_exact(t[0], t[1], t[2], t[3]);
            let outcome = format!("rated {} in {}", c.rating.replace('_', " "), c.year);
            let interval = format!(
                "the 95% interval of the odds ratio ({} to {})",
                crate::format::approx(lo),
                crate::format::approx(hi)
            );
            let direction = if or > 1.0 { "more" } else { "less" };
            let reading = if lo > 1.0 || hi < 1.0 {
                format!("{direction} often {outcome} than the rest")
            } else if fisher_p < 0.05 {
                format!(
                    "borderline: {direction} often by Fisher's test (p = {}), but {interval} just includes 1",
                    crate::format::approx(fisher_p)
                )
            } else {
                format!("too few to tell: {interval} includes 1")
            };
            Prediction {
                fact,
                outcome,
                table: t,
                odds_ratio: or,
                odds_ratio_ci_95: (lo, hi),
                fisher_p,
                reading,
            }
        })
        .collect()
}

/// Named vs published per category, unknown codes, and CCGs counted twice in a year (directly
/// or through a merger), as check-data rows: (item, published, data, ok).
pub fn checks(
    later: &LaterRecord,
    known: &BTreeSet<String>,
) -> Vec<(String, String, String, bool)> {
    let mut out = named_within_totals(later);
    out.extend(unknown_codes(later, known));
    let years: BTreeSet<&str> = later.ratings.iter().map(|r| r.year.as_str()).collect();
    out.extend(year_checks(later, known, &years));
    out.extend(rated_twice(later, &years));
    out
}

/// Per published total (of one category or several): the CCGs named, at most the total.
fn named_within_totals(later: &LaterRecord) -> Vec<(String, String, String, bool)> {
    let mut out = vec![];
    for c in categories(later) {
        if let Some(total) = c.published_total {
            out.push((
                format!(
                    "later ratings {} {}: CCGs named (at most the published total)",
                    c.year, c.rating
                ),
                total.to_string(),
                c.named.to_string(),
                c.named as u32 <= total,
            ));
        }
    }
    for t in later.totals.iter().filter(|t| t.categories().len() > 1) {
        let cats = t.categories();
        let named = later
            .ratings
            .iter()
            .filter(|r| r.year == t.year && cats.iter().any(|&c| RATINGS[c] == r.rating))
            .count();
        out.push((
            format!(
                "later ratings {} {}: CCGs named (at most the published total)",
                t.year, t.rating
            ),
            t.total.to_string(),
            named.to_string(),
            named as u32 <= t.total,
        ));
    }
    out
}

/// Codes that are not 2013 CCGs, in the ratings and in the group statements.
fn unknown_codes(
    later: &LaterRecord,
    known: &BTreeSet<String>,
) -> Vec<(String, String, String, bool)> {
    let mut out = vec![];
    let named = later.ratings.iter().map(|r| {
        let item = format!(
            "later_ratings.csv line {} ({}): ods_codes",
            r.line, r.ccg_name
        );
        (item, &r.ods_codes)
    });
    let groups = later.groups.iter().map(|g| {
        let item = format!("{LATER_GROUPS} line {} ({}): ods_codes", g.line, g.group);
        (item, &g.ods_codes)
    });
    for (item, codes) in named.chain(groups) {
        let unknown: Vec<&str> = codes
            .iter()
            .filter(|c| !known.contains(*c))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            out.push((
                item,
                "2013 CCGs".into(),
                format!("unknown {}", unknown.join(";")),
                false,
            ));
        }
    }
    out
}

/// CCGs rated more than once in a year, directly or through a merger (a merged body's rating
/// covers all its 2013 CCGs).
fn rated_twice(later: &LaterRecord, years: &BTreeSet<&str>) -> Vec<(String, String, String, bool)> {
    let mut out = vec![];
    for &year in years {
        let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
        for r in later.ratings.iter().filter(|r| r.year == year) {
            // A merged body's rating covers all its 2013 CCGs, named or not.
            let mut covered: BTreeSet<String> = r.ods_codes.iter().cloned().collect();
            let end = year_end(year);
            for m in later.mergers.iter().filter(|m| m.effective <= end) {
                if m.ods_codes.iter().any(|c| covered.contains(c)) {
                    covered.extend(m.ods_codes.iter().cloned());
                }
            }
            for c in covered {
                seen.entry(c).or_default().push(r.line);
            }
        }
        let mut twice: Vec<(String, Vec<u64>)> =
            seen.into_iter().filter(|(_, l)| l.len() > 1).collect();
        twice.sort();
        for (code, lines) in twice {
            out.push((
                format!("later ratings {year}: {code} rated once"),
                "1".into(),
                format!(
                    "{} (lines {})",
                    lines.len(),
                    lines
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                false,
            ));
        }
    }
    out
}

/// Per rating year: the bodies rated against the published count, each group statement
/// against the named rows, and whether any placement of the unnamed CCGs agrees with every
/// total and statement at once.
fn year_checks(
    later: &LaterRecord,
    known: &BTreeSet<String>,
    years: &BTreeSet<&str>,
) -> Vec<(String, String, String, bool)> {
    let codes: Vec<String> = known.iter().cloned().collect();
    let no_regions = vec![0u32; codes.len()];
    let mut out = vec![];
    for &year in years {
        let m = ranges::year_model(year, &codes, &no_regions, later);
        let rated = m.bodies.region.len();
        if let Some(all) = later
            .totals
            .iter()
            .find(|t| t.year == year && t.rating == "all")
        {
            out.push((
                format!("later ratings {year}: CCGs rated (2013 CCGs after mergers)"),
                all.total.to_string(),
                rated.to_string(),
                all.total as usize == rated,
            ));
        }
        for g in later
            .groups
            .iter()
            .filter(|g| g.year == year && !g.ods_codes.is_empty())
        {
            let members: BTreeSet<usize> = g
                .ods_codes
                .iter()
                .filter_map(|c| m.bodies.index_of_code.get(c).copied())
                .collect();
            let cat = RATINGS.iter().position(|r| *r == g.rating);
            let named = members
                .iter()
                .filter(|&&i| m.year.named[i].is_some() && m.year.named[i] == cat)
                .count() as u32;
            let open = members
                .iter()
                .filter(|&&i| m.year.named[i].is_none())
                .count() as u32;
            let (lo, hi) = g.range();
            let relation = match g.relation {
                Relation::Exactly => "exactly",
                Relation::AtLeast => "at least",
                Relation::AtMost => "at most",
            };
            out.push((
                format!(
                    "{LATER_GROUPS} line {} ({year} {}: {})",
                    g.line,
                    g.rating.replace('_', " "),
                    g.group
                ),
                format!("{relation} {}", g.count),
                format!("{named} named so, {open} not named"),
                named <= hi && named + open >= lo,
            ));
        }
        let fits = m.year.consistent();
        out.push((
            format!(
                "later ratings {year}: the named CCGs, totals and group statements fit together"
            ),
            "some placement of the unnamed CCGs".into(),
            if fits {
                "some placement".into()
            } else {
                format!("none: see the {year} rows of {LATER_TOTALS} and {LATER_GROUPS}")
            },
            fits,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::published::{LaterRating, Merger, Outcome, RatingTotal};
    use crate::model::{self, Ccg, REGIONS};
    use crate::stages::fixtures;

    fn rating(year: &str, codes: &str, rating: &str, line: u64) -> LaterRating {
        LaterRating {
            year: year.into(),
            ccg_name: codes.into(),
            ods_codes: codes.split(';').map(String::from).collect(),
            rating: rating.into(),
            special_measures: None,
            derived: false,
            source_url: "x".into(),
            line,
        }
    }

    /// Eight 2013 CCGs; N2 and N3 merged in April 2015; S1 was given directions in 2013.
    fn fixture() -> (Published, DataFrame) {
        let ccgs: Vec<Ccg> = [
            ("N1", 0),
            ("N2", 0),
            ("N3", 0),
            ("M1", 1),
            ("M2", 1),
            ("L1", 2),
            ("S1", 3),
            ("S2", 3),
        ]
        .iter()
        .map(|(c, r)| fixtures::ccg(c, REGIONS[*r], "C", "", 1000, 1.0))
        .collect();
        let total = |rating: &str, total| RatingTotal {
            year: "2015/16".into(),
            rating: rating.into(),
            total,
            derived: false,
            source_url: "x".into(),
            line: 0,
        };
        let p = Published {
            dir: "published".into(),
            aggregates: vec![],
            outcomes: vec![Outcome {
                ods_code: "S1".into(),
                name: "S1".into(),
                conditions: None,
                legal_direction: true,
                top_level: None,
                level_iv_or_higher: None,
                source_url: "x".into(),
            }],
            itemised: vec![],
            facts: vec![],
            later: LaterRecord {
                ratings: vec![
                    rating("2015/16", "S1", "inadequate", 2),
                    rating("2015/16", "S2", "inadequate", 3),
                    rating("2015/16", "M1", "inadequate", 4),
                    rating("2015/16", "N2;N3", "outstanding", 5),
                ],
                totals: vec![total("inadequate", 3), total("outstanding", 2)],
                mergers: vec![Merger {
                    effective: "2015-04-01".into(),
                    merged_name: "N23".into(),
                    ods_codes: vec!["N2".into(), "N3".into()],
                    source_url: "x".into(),
                }],
                groups: vec![],
            },
            csu_evidence_sources: vec![],
            files: vec![],
        };
        (p, model::ccgs_frame(&ccgs).unwrap())
    }

    #[test]
    fn complete_categories_by_region_and_2013_facts_by_hand() {
        let (p, ccgs) = fixture();
        let l = later_ratings(&p, &ccgs).unwrap().unwrap();
        let complete: Vec<(&str, bool)> = l
            .categories
            .iter()
            .filter(|c| c.published_total.is_some())
            .map(|c| (c.rating.as_str(), c.complete))
            .collect();
        assert_eq!(complete, [("outstanding", false), ("inadequate", true)]);
        // Seven bodies in 2015/16 (N2 and N3 merged): North 2, M&E 2, London 1, South 2.
        let r = &l.by_region[0];
        assert_eq!(r.rated, [2, 2, 1, 2]);
        assert_eq!(r.in_category, [0, 1, 0, 2]);
        // North 0 of 2 vs the rest 3 of 5: hypergeometric (N 7, K 3, n 2) P(0) = 6/21,
        // P(1) = 12/21, P(2) = 3/21; two-sided p = (6 + 3)/21.
        assert!((r.fisher_p_north_vs_rest - 9.0 / 21.0).abs() < 1e-12);
        // Directed in 2013 (S1, inadequate) vs the rest (2 of 6 inadequate): [[1, 0], [2, 4]];
        // P(k = 1) = 3/7 is the least likely table, so p = 3/7.
        let d = &l.predictions[0];
        assert_eq!(d.table, [1, 0, 2, 4]);
        assert!((d.fisher_p - 3.0 / 7.0).abs() < 1e-12);
        assert!(d.reading.starts_with("too few to tell"), "{}", d.reading);
    }

    #[test]
    fn a_partly_named_category_is_tested_over_every_placement_by_hand() {
        let (p, ccgs) = fixture();
        let l = later_ratings(&p, &ccgs).unwrap().unwrap();
        let out = l.ranges.iter().find(|c| c.rating == "outstanding").unwrap();
        // Outstanding: 2 published, the merged N2;N3 named. Inadequate is complete (M1, S1, S2),
        // good and requires improvement have no total: the second outstanding CCG is N1, M2 or
        // L1. North then has 2 of 2 (N1) or 1 of 2; the rest 0 of 5 or 1 of 5.
        assert_eq!(out.region_range, [(1, 2), (0, 1), (0, 1), (0, 0)]);
        let t = &out.north_vs_rest;
        assert_eq!((t.tables, t.a_in, t.b_in), (2, (1, 2), (0, 1)));
        // Hypergeometric N 7, K 2, n 2: P(0) = 10/21, P(1) = 10/21, P(2) = 1/21. North 2 of 2:
        // p = 1/21; North 1 of 2: p = 1.
        assert!(
            (t.p.0 - 1.0 / 21.0).abs() < 1e-12 && (t.p.1 - 1.0).abs() < 1e-12,
            "{t:?}"
        );
        assert_eq!(t.status, ranges::Status::Open);
        // The complete category keeps its single table.
        let inad = l.ranges.iter().find(|c| c.rating == "inadequate").unwrap();
        assert_eq!(inad.north_vs_rest.status, ranges::Status::Complete);
        assert_eq!(inad.north_vs_rest.tables, 1);
    }

    #[test]
    fn check_data_rows_flag_overcounts_unknown_codes_and_double_counting() {
        let (mut p, _) = fixture();
        let known: BTreeSet<String> = ["N1", "N2", "N3", "M1", "M2", "L1", "S1", "S2"]
            .map(String::from)
            .into();
        assert!(checks(&p.later, &known).iter().all(|c| c.3));
        p.later
            .ratings
            .push(rating("2015/16", "N1", "inadequate", 6));
        p.later.ratings.push(rating("2015/16", "X9", "good", 7));
        p.later.ratings.push(rating("2015/16", "N3", "good", 8));
        let bad: Vec<(String, String, String, bool)> = checks(&p.later, &known)
            .into_iter()
            .filter(|c| !c.3)
            .collect();
        let items: Vec<&str> = bad.iter().map(|c| c.0.as_str()).collect();
        assert!(
            items.iter().any(|i| i.contains("inadequate: CCGs named")),
            "{items:?}"
        );
        assert!(bad.iter().any(|c| c.2 == "unknown X9"), "{bad:?}");
        // N3 is rated through the merged N2;N3 body and again on its own.
        assert!(
            bad.iter()
                .any(|c| c.0.ends_with("N3 rated once") && c.2 == "2 (lines 5, 8)"),
            "{bad:?}"
        );
        assert!(
            bad.iter().any(|c| c.0.ends_with("N2 rated once")),
            "{bad:?}"
        );
    }
}
