//! What each later rating category can show, named in full or in part: the range of each
//! region's count and of the North-against-the-rest test over every placement of the unnamed
//! CCGs that agrees with the published totals and group statements (`placements`); the same
//! for the real 2013 facts against each year's inadequate CCGs; and what became of the CCGs
//! rated inadequate in a fully named year, a year later.

use super::placements::{Reach, Rule, Side, Year};
use super::{body_index, facts_2013, BodyIndex};
use crate::model::published::{LaterRecord, Published, RATINGS};
use crate::stats;
use serde::Serialize;
use std::collections::BTreeSet;

/// Significance level of the tests.
const ALPHA: f64 = 0.05;

/// One test's answer on one placement: significantly higher on side A, lower, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reading {
    Higher,
    Lower,
    NotSignificant,
}

/// How far the published record pins a test down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every CCG in the category is named.
    Complete,
    /// Not every CCG is named, but every placement gives the same conclusion at 5%.
    Settled,
    /// Placements differ in the conclusion.
    Open,
    /// No placement agrees with the published totals and statements.
    Contradictory,
}

/// A 2×2 test over every placement: [[A in, A out], [B in, B out]].
#[derive(Debug, Clone, Serialize)]
pub struct TestRange {
    /// The distinct tables the placements give.
    pub tables: usize,
    /// Side A's count in the category, least and most.
    pub a_in: (u64, u64),
    pub a_size: u64,
    pub b_in: (u64, u64),
    pub b_size: u64,
    /// Fisher's exact test (two-sided), least and greatest p.
    pub p: (f64, f64),
    /// The sample odds ratio, least and greatest (infinite when a cell is empty).
    pub odds_ratio: (f64, f64),
    pub status: Status,
    /// In words: what every placement says, or the ways they differ.
    pub conclusion: String,
}

/// A category of one year: named against published, each region's range, and the North test.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRange {
    pub year: String,
    pub rating: String,
    pub named: usize,
    /// Named rows whose rating or year is derived rather than stated.
    pub named_derived: usize,
    pub published_total: Option<u32>,
    /// A published total over several categories holding this one ("outstanding+good: 120").
    pub shared_total: Option<(String, u32)>,
    /// The totals or group statements bounding the placements include derived figures.
    pub uses_derived_totals: bool,
    pub rated: [usize; 4],
    /// Each region's count in the category over every placement, least and most.
    pub region_range: [(usize, usize); 4],
    pub north_vs_rest: TestRange,
}

/// A real 2013 fact against a later category, over every placement.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionRange {
    pub fact: String,
    pub year: String,
    pub rating: String,
    pub test: TestRange,
}

/// The CCGs rated inadequate in a fully named year, a year later.
#[derive(Debug, Clone, Serialize)]
pub struct Persistence {
    pub from_year: String,
    pub to_year: String,
    pub ccgs: usize,
    /// Per category a year later: (rating, named, least, most).
    pub later: Vec<(String, usize, usize, usize)>,
    /// Still inadequate, North of England against the other regions (within these CCGs).
    pub north_vs_rest: TestRange,
    pub uses_derived: bool,
}

/// One year's bodies and the placement problem over them.
pub(super) struct YearModel {
    pub(super) bodies: BodyIndex,
    pub(super) year: Year,
    derived_named: Vec<bool>,
    derived_bounds: bool,
}

pub(super) fn year_model(
    year: &str,
    codes: &[String],
    regions: &[u32],
    later: &LaterRecord,
) -> YearModel {
    let b = body_index(year, codes, regions, later);
    let n = b.region.len();
    let mut named = vec![None; n];
    let mut derived_named = vec![false; n];
    for r in later.ratings.iter().filter(|r| r.year == year) {
        let cat = RATINGS.iter().position(|x| *x == r.rating);
        if let Some(&i) = r.ods_codes.first().and_then(|c| b.index_of_code.get(c)) {
            // A body named twice is a check-data failure; the first naming stands here.
            if named[i].is_none() {
                named[i] = cat;
                derived_named[i] = r.derived;
            }
        }
    }
    let mut derived_bounds = false;
    let totals: Vec<(Vec<usize>, u32)> = later
        .totals
        .iter()
        .filter(|t| t.year == year && !t.categories().is_empty())
        .inspect(|t| derived_bounds |= t.derived)
        .map(|t| (t.categories(), t.total))
        .collect();
    let rules: Vec<Rule> = later
        .groups
        .iter()
        .filter(|g| g.year == year && !g.ods_codes.is_empty())
        .filter_map(|g| {
            derived_bounds |= g.derived;
            let members: BTreeSet<usize> = g
                .ods_codes
                .iter()
                .filter_map(|c| b.index_of_code.get(c).copied())
                .collect();
            let (lo, hi) = g.range();
            Some(Rule {
                cat: RATINGS.iter().position(|x| *x == g.rating)?,
                members: members.into_iter().collect(),
                lo,
                hi: hi.min(n as u32),
            })
        })
        .collect();
    YearModel {
        year: Year::new(named, totals, rules, RATINGS.len()),
        bodies: b,
        derived_named,
        derived_bounds,
    }
}

/// Fisher's test and the odds ratio over every reachable table. `named_a`/`named_b`: named
/// bodies of each side in the category; sizes include named and unnamed.
fn test_range(reach: &Reach, named: (u64, u64), size: (u64, u64), complete: bool) -> TestRange {
    let (mut p, mut or) = ((f64::INFINITY, 0.0f64), (f64::INFINITY, 0.0f64));
    let (mut a_in, mut b_in) = ((u64::MAX, 0), (u64::MAX, 0));
    let mut readings = BTreeSet::new();
    let mut tables = 0;
    for (a, b) in reach.each() {
        let (ka, kb) = (named.0 + u64::from(a), named.1 + u64::from(b));
        let t = [ka, size.0 - ka, kb, size.1 - kb];
        // Clamped: summed probabilities can stray a rounding error outside [0, 1].
        let pv = stats::fisher_exact(t[0], t[1], t[2], t[3]).clamp(0.0, 1.0);
        let ratio = (t[0] * t[3]) as f64 / (t[1] * t[2]) as f64;
        let ratio = if ratio.is_nan() { 1.0 } else { ratio };
        tables += 1;
        p = (p.0.min(pv), p.1.max(pv));
        or = (or.0.min(ratio), or.1.max(ratio));
        a_in = (a_in.0.min(ka), a_in.1.max(ka));
        b_in = (b_in.0.min(kb), b_in.1.max(kb));
        readings.insert(if pv >= ALPHA {
            Reading::NotSignificant
        } else if t[0] * t[3] > t[1] * t[2] {
            Reading::Higher
        } else {
            Reading::Lower
        });
    }
    let status = match (tables, readings.len(), complete) {
        (0, _, _) => Status::Contradictory,
        (_, _, true) => Status::Complete,
        (_, 1, _) => Status::Settled,
        _ => Status::Open,
    };
    let word = |r: &Reading| match r {
        Reading::Higher => "more often (Fisher p < 0.05)",
        Reading::Lower => "less often (Fisher p < 0.05)",
        Reading::NotSignificant => "no difference at 5% (Fisher)",
    };
    let conclusion = match status {
        Status::Contradictory => "no placement agrees with the published totals".into(),
        Status::Complete | Status::Settled => word(readings.first().expect("a reading")).into(),
        Status::Open => format!(
            "open: placements give {}",
            readings.iter().map(word).collect::<Vec<_>>().join(" or ")
        ),
    };
    TestRange {
        tables,
        a_in,
        a_size: size.0,
        b_in,
        b_size: size.1,
        p,
        odds_ratio: or,
        status,
        conclusion,
    }
}

/// Sides for a test: A where `in_a`, B where `in_b`, unnamed bodies only matter.
fn sides(m: &YearModel, in_a: impl Fn(usize) -> bool, in_b: impl Fn(usize) -> bool) -> Vec<Side> {
    (0..m.bodies.region.len())
        .map(|i| {
            if in_a(i) {
                Side::A
            } else if in_b(i) {
                Side::B
            } else {
                Side::Neither
            }
        })
        .collect()
}

/// Named bodies in `cat` among those `within`, and how many bodies are `within`.
fn named_and_size(m: &YearModel, cat: usize, within: impl Fn(usize) -> bool) -> (u64, u64) {
    let n = m.bodies.region.len();
    let members: Vec<usize> = (0..n).filter(|&i| within(i)).collect();
    (
        members
            .iter()
            .filter(|&&i| m.year.named[i] == Some(cat))
            .count() as u64,
        members.len() as u64,
    )
}

/// A test of side A against side B on category `cat`.
fn two_sides(
    m: &YearModel,
    cat: usize,
    in_a: &dyn Fn(usize) -> bool,
    in_b: &dyn Fn(usize) -> bool,
    complete: bool,
) -> TestRange {
    let side = sides(m, in_a, in_b);
    let reach = m.year.reach(cat, &side);
    let (na, sa) = named_and_size(m, cat, in_a);
    let (nb, sb) = named_and_size(m, cat, in_b);
    test_range(&reach, (na, nb), (sa, sb), complete)
}

pub(super) fn category_ranges(
    later: &LaterRecord,
    models: &[(String, YearModel)],
) -> Vec<CategoryRange> {
    let mut out = vec![];
    for (year, m) in models {
        let n = m.bodies.region.len();
        let region = |i: usize| m.bodies.region[i];
        for (cat, rating) in RATINGS.iter().enumerate() {
            let named: Vec<usize> = (0..n).filter(|&i| m.year.named[i] == Some(cat)).collect();
            let published_total = later
                .totals
                .iter()
                .find(|t| t.year == *year && t.rating == *rating)
                .map(|t| t.total);
            let shared_total = later
                .totals
                .iter()
                .find(|t| {
                    t.year == *year && t.categories().len() > 1 && t.categories().contains(&cat)
                })
                .map(|t| (t.rating.clone(), t.total));
            let complete = published_total == Some(named.len() as u32);
            let mut rated = [0usize; 4];
            for r in m.bodies.region.iter().flatten() {
                rated[*r] += 1;
            }
            let region_range: [(usize, usize); 4] = std::array::from_fn(|r| {
                let side = sides(m, |i| region(i) == Some(r), |_| false);
                let fixed = named.iter().filter(|&&i| region(i) == Some(r)).count();
                m.year
                    .a_range(cat, &side)
                    .map_or((fixed, fixed), |(lo, hi)| {
                        (fixed + lo as usize, fixed + hi as usize)
                    })
            });
            let north_vs_rest = two_sides(
                m,
                cat,
                &|i| region(i) == Some(0),
                &|i| region(i).is_some_and(|r| r != 0),
                complete,
            );
            out.push(CategoryRange {
                year: year.clone(),
                rating: rating.to_string(),
                named: named.len(),
                named_derived: named.iter().filter(|&&i| m.derived_named[i]).count(),
                published_total,
                shared_total,
                uses_derived_totals: m.derived_bounds,
                rated,
                region_range,
                north_vs_rest,
            });
        }
    }
    out
}

/// The real 2013 facts against each year's inadequate CCGs.
pub(super) fn prediction_ranges(
    p: &Published,
    models: &[(String, YearModel)],
    categories: &[CategoryRange],
) -> Vec<PredictionRange> {
    let inadequate = RATINGS.len() - 1;
    let mut out = vec![];
    for (year, m) in models {
        let complete = categories.iter().any(|c| {
            c.year == *year
                && c.rating == RATINGS[inadequate]
                && c.north_vs_rest.status == Status::Complete
        });
        for (fact, set) in facts_2013(p).into_iter().filter(|(_, s)| !s.is_empty()) {
            let with: BTreeSet<usize> = set
                .iter()
                .filter_map(|c| m.bodies.index_of_code.get(c))
                .copied()
                .collect();
            let test = two_sides(
                m,
                inadequate,
                &|i| with.contains(&i),
                &|i| !with.contains(&i),
                complete,
            );
            out.push(PredictionRange {
                fact,
                year: year.clone(),
                rating: RATINGS[inadequate].to_string(),
                test,
            });
        }
    }
    out
}

/// For each fully named inadequate category, the same CCGs a year later.
pub(super) fn persistence(
    models: &[(String, YearModel)],
    categories: &[CategoryRange],
) -> Vec<Persistence> {
    let inadequate = RATINGS.len() - 1;
    let mut out = vec![];
    for pair in models.windows(2) {
        let ((from, m0), (to, m1)) = (&pair[0], &pair[1]);
        let complete = categories.iter().any(|c| {
            c.year == *from
                && c.rating == RATINGS[inadequate]
                && c.north_vs_rest.status == Status::Complete
        });
        if !complete {
            continue;
        }
        // The bodies of the later year that were inadequate the year before.
        let codes: Vec<&String> = m0
            .bodies
            .index_of_code
            .iter()
            .filter(|(_, &i)| m0.year.named[i] == Some(inadequate))
            .map(|(c, _)| c)
            .collect();
        let group: BTreeSet<usize> = codes
            .iter()
            .filter_map(|c| m1.bodies.index_of_code.get(*c))
            .copied()
            .collect();
        let later_counts = RATINGS
            .iter()
            .enumerate()
            .map(|(cat, rating)| {
                let side = sides(m1, |i| group.contains(&i), |_| false);
                let fixed = group
                    .iter()
                    .filter(|&&i| m1.year.named[i] == Some(cat))
                    .count();
                let (lo, hi) = m1
                    .year
                    .a_range(cat, &side)
                    .map_or((fixed, fixed), |(lo, hi)| {
                        (fixed + lo as usize, fixed + hi as usize)
                    });
                (rating.to_string(), fixed, lo, hi)
            })
            .collect();
        let region = |i: usize| m1.bodies.region[i];
        let north_vs_rest = two_sides(
            m1,
            inadequate,
            &|i| group.contains(&i) && region(i) == Some(0),
            &|i| group.contains(&i) && region(i).is_some_and(|r| r != 0),
            false,
        );
        out.push(Persistence {
            from_year: from.clone(),
            to_year: to.clone(),
            ccgs: group.len(),
            later: later_counts,
            north_vs_rest,
            uses_derived: m1.derived_bounds || group.iter().any(|&i| m1.derived_named[i]),
        });
    }
    out
}
