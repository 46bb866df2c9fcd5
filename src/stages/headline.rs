//! The `headline` stage: the figures behind each published claim, and whether each claim holds
//! on them.
//! Read from the scored table and its summaries (one computation of every figure); the
//! correlations are numeric kernels on the table's columns.

use crate::columns::f64_slice;
use crate::model::weights::Weights;
use crate::model::REGIONS;
use crate::stages::score::{self, Scored};
use crate::stats::{self, Correlation};
use polars::prelude::*;
use serde::Serialize;

/// The two CSUs the blog compared, as named in ccgs.csv.
pub const DEFAULT_CSU_A: &str = "NHS Hertfordshire and Essex CSU";
pub const DEFAULT_CSU_B: &str = "NHS North of England CSU";

/// The figures behind the five published claims.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub n_ccgs: usize,
    pub n_with_conditions: usize,
    pub share_with_conditions: f64,
    pub size: Correlation,
    pub size_pearson: Correlation,
    pub deprivation: Correlation,
    pub deprivation_pearson: Correlation,
    pub region_n: [usize; 4],
    pub region_medians: [f64; 4],
    pub lowest_region: usize,
    pub highest_region: usize,
    /// Highest regional median over lowest (infinite when the lowest median is 0).
    pub median_ratio: f64,
    pub csu_a_n: usize,
    pub csu_b_n: usize,
    pub csu_a_mean: f64,
    pub csu_b_mean: f64,
    pub csu_ratio: f64,
}

/// Per region (in `REGIONS` order): CCGs, median score, CCGs with conditions; regions without
/// CCGs have n = 0 and a NaN median.
fn by_region(regions: &DataFrame) -> PolarsResult<([usize; 4], [f64; 4], usize)> {
    let names = regions.column("region")?.str()?;
    let n = regions.column("n_ccgs")?.u32()?;
    let median = regions.column("median_score")?.f64()?;
    let with = regions.column("n_with_conditions")?.u32()?;
    let (mut region_n, mut medians, mut n_with) = ([0usize; 4], [f64::NAN; 4], 0usize);
    for i in 0..regions.height() {
        let r = REGIONS
            .iter()
            .position(|x| Some(*x) == names.get(i))
            .expect("regions are validated at ingest");
        region_n[r] = n.get(i).unwrap_or(0) as usize;
        medians[r] = median.get(i).unwrap_or(f64::NAN);
        n_with += with.get(i).unwrap_or(0) as usize;
    }
    Ok((region_n, medians, n_with))
}

/// Per region (in `REGIONS` order): CCGs and median score, from a region summary.
pub fn regional_medians(regions: &DataFrame) -> PolarsResult<([usize; 4], [f64; 4])> {
    by_region(regions).map(|(n, m, _)| (n, m))
}

/// (CCGs, mean score) of one CSU from the CSU summary; (0, NaN) when absent.
fn csu_mean(csus: &DataFrame, name: &str) -> PolarsResult<(usize, f64)> {
    let names = csus.column("csu")?.str()?;
    let n = csus.column("n_ccgs")?.u32()?;
    let mean = csus.column("mean_score")?.f64()?;
    Ok((0..csus.height())
        .find(|&i| names.get(i) == Some(name))
        .map(|i| {
            (
                n.get(i).unwrap_or(0) as usize,
                mean.get(i).unwrap_or(f64::NAN),
            )
        })
        .unwrap_or((0, f64::NAN)))
}

pub fn headline(s: &Scored, compare: (&str, &str)) -> PolarsResult<Headline> {
    let score = f64_slice(&s.ccgs, "composite_score")?;
    let population = f64_slice(&s.ccgs, "population")?;
    let imd = f64_slice(&s.ccgs, "imd_score")?;
    let (region_n, region_medians, with) = by_region(&s.regions)?;
    let (lowest_region, highest_region, median_ratio) = median_spread(&region_medians, &region_n);
    let (csu_a_n, csu_a_mean) = csu_mean(&s.csus, compare.0)?;
    let (csu_b_n, csu_b_mean) = csu_mean(&s.csus, compare.1)?;
    let n = score.len();
    Ok(Headline {
        n_ccgs: n,
        n_with_conditions: with,
        share_with_conditions: with as f64 / n as f64,
        size: stats::spearman_test(score, population),
        size_pearson: stats::pearson_test(score, population),
        deprivation: stats::spearman_test(score, imd),
        deprivation_pearson: stats::pearson_test(score, imd),
        region_n,
        region_medians,
        lowest_region,
        highest_region,
        median_ratio,
        csu_a_n,
        csu_b_n,
        csu_a_mean,
        csu_b_mean,
        csu_ratio: ratio(csu_a_mean, csu_b_mean),
    })
}

impl Headline {
    /// The figure each claim is judged on, in `CLAIMS` order (the share, the two rank
    /// correlations, the median ratio, the CSU ratio).
    pub fn claim_figures(&self) -> [f64; 5] {
        [
            self.share_with_conditions,
            self.size.r,
            self.deprivation.r,
            self.median_ratio,
            self.csu_ratio,
        ]
    }
}

/// Score the count table under a scheme and compute the headline figures: what robustness,
/// sensitivity and the reconstruction's calibration judge the claims on.
pub fn judge(counts: &DataFrame, w: &Weights, compare: (&str, &str)) -> PolarsResult<Headline> {
    headline(&score::score_for_headline(counts, w)?, compare)
}

/// Ratio of highest to lowest median among regions that have CCGs, with their indices.
pub fn median_spread(medians: &[f64; 4], n: &[usize; 4]) -> (usize, usize, f64) {
    // No allocation: this runs inside every bootstrap resample and permutation.
    let present = || (0..4).filter(|&r| n[r] > 0);
    let Some(lo) = present().min_by(|&a, &b| medians[a].total_cmp(&medians[b]).then(a.cmp(&b)))
    else {
        return (0, 0, f64::NAN);
    };
    let hi = present()
        .max_by(|&a, &b| medians[a].total_cmp(&medians[b]).then(b.cmp(&a)))
        .expect("a region is present");
    (lo, hi, ratio(medians[hi], medians[lo]))
}

/// Whether the North's median is strictly below every other region's (a tie is not "lowest":
/// with whole-number scores ties are common, and must not count in the North's favour).
pub fn north_strictly_lowest(medians: &[f64; 4], n: &[usize; 4]) -> bool {
    n[0] > 0 && (1..4).all(|r| n[r] == 0 || medians[0] < medians[r])
}

/// a / b, with 0/0 undefined (NaN) and a/0 infinite.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        if a == 0.0 {
            f64::NAN
        } else {
            f64::INFINITY
        }
    } else {
        a / b
    }
}

/// The five published claims, in report order.
pub const CLAIMS: [&str; 5] = [
    "with_conditions",
    "no_size_relation",
    "no_deprivation_relation",
    "regional_median_spread",
    "csu_ratio",
];

/// A claim's verdict on some figures. A figure that is undefined (NaN, or a ratio whose
/// denominator is zero) is never "reproduced": the claim cannot be assessed, and the reason says
/// why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Reproduced,
    NotReproduced,
    CannotBeAssessed(String),
}

impl Verdict {
    fn of(holds: bool) -> Verdict {
        if holds {
            Verdict::Reproduced
        } else {
            Verdict::NotReproduced
        }
    }

    /// The same three words everywhere: terminal, findings, tables.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::CannotBeAssessed(_) => "cannot be assessed",
        }
    }

    pub fn reproduced(&self) -> bool {
        *self == Verdict::Reproduced
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::CannotBeAssessed(r) => Some(r),
            _ => None,
        }
    }
}

/// Why a rank correlation is undefined, if it is.
fn undefined_correlation(c: &Correlation, with: &str) -> Option<String> {
    (!c.r.is_finite() || !c.p_value.is_finite()).then(|| {
        format!(
            "Spearman's rho is undefined: every CCG has the same score, or the same {with} ({} CCGs)",
            c.n
        )
    })
}

/// Why the regional comparison is undefined, if it is.
fn undefined_spread(h: &Headline) -> Option<String> {
    if let Some(r) = (0..4).find(|&r| h.region_n[r] == 0) {
        return Some(format!("{} has no CCGs", REGIONS[r]));
    }
    if h.median_ratio.is_nan() {
        return Some("every regional median is 0, so their ratio is 0/0".into());
    }
    h.median_ratio.is_infinite().then(|| {
        format!(
            "the lowest regional median ({}) is 0, so the ratio's denominator is zero",
            REGIONS[h.lowest_region]
        )
    })
}

/// Why the CSU comparison is undefined, if it is.
fn undefined_csu_ratio(h: &Headline, compare: (&str, &str)) -> Option<String> {
    if h.csu_a_n == 0 || h.csu_b_n == 0 {
        let missing = if h.csu_a_n == 0 { compare.0 } else { compare.1 };
        return Some(format!("no CCG is served by {missing}"));
    }
    (!h.csu_ratio.is_finite()).then(|| {
        format!(
            "the mean score of {} is 0, so the ratio's denominator is zero",
            compare.1
        )
    })
}

/// The claims' criteria, in one place for the verdicts on the data and for the bounds over the
/// consistent set. "Four in five": 75% to 85% with conditions.
pub fn share_holds(share: f64) -> bool {
    (0.75..=0.85).contains(&share)
}

/// Significance level of the rank-correlation claims.
pub const SIGNIFICANCE: f64 = 0.05;

/// No relation to size: Spearman's rho not significant.
pub fn size_relation_holds(c: &Correlation) -> bool {
    c.p_value >= SIGNIFICANCE
}

/// No relation to deprivation (if anything, the more deprived did better): no significant
/// positive rho.
pub fn deprivation_relation_holds(c: &Correlation) -> bool {
    c.r <= 0.0 || c.p_value >= SIGNIFICANCE
}

/// "About four-fold": the highest regional median at least this many times the lowest.
pub const SPREAD_AT_LEAST: f64 = 3.0;

/// The regional spread on these medians: a finite ratio of at least `SPREAD_AT_LEAST`, the
/// North strictly lowest.
pub fn spread_holds(medians: &[f64; 4], n: &[usize; 4]) -> bool {
    let (_, _, ratio) = median_spread(medians, n);
    ratio.is_finite() && ratio >= SPREAD_AT_LEAST && north_strictly_lowest(medians, n)
}

/// "More than 30 times".
pub const CSU_RATIO_OVER: f64 = 30.0;

pub fn csu_ratio_holds(ratio: f64) -> bool {
    ratio.is_finite() && ratio > CSU_RATIO_OVER
}

/// Each claim's verdict on these figures (criteria documented in findings.md).
pub fn verdicts(h: &Headline, compare: (&str, &str)) -> [Verdict; 5] {
    let judge = |undefined: Option<String>, holds: bool| match undefined {
        Some(reason) => Verdict::CannotBeAssessed(reason),
        None => Verdict::of(holds),
    };
    [
        // "Four in five": between 75% and 85% of CCGs had at least one condition.
        judge(
            (h.n_ccgs == 0).then(|| "there are no CCGs".to_string()),
            share_holds(h.share_with_conditions),
        ),
        // No relation to size: Spearman's rho not significant at 5%.
        judge(
            undefined_correlation(&h.size, "registered population"),
            size_relation_holds(&h.size),
        ),
        // None to deprivation (if anything, more deprived did better): no significant positive rho.
        judge(
            undefined_correlation(&h.deprivation, "deprivation score"),
            deprivation_relation_holds(&h.deprivation),
        ),
        // About four-fold, North lowest: a ratio of at least 3 with the North lowest.
        judge(
            undefined_spread(h),
            spread_holds(&h.region_medians, &h.region_n),
        ),
        // More than 30 times.
        judge(
            undefined_csu_ratio(h, compare),
            csu_ratio_holds(h.csu_ratio),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::fixtures::{ccg, level_ones, table};

    /// Four CCGs per region; CCG k of region r has counts[r][k] level-I conditions, so its
    /// score under count weights is that number. CSU B is the North's, A the South's.
    fn tiny() -> DataFrame {
        let counts = [[0, 1, 1, 2], [2, 4, 4, 6], [1, 2, 3, 3], [4, 8, 8, 9]];
        let (mut ccgs, mut conditions) = (vec![], vec![]);
        for (r, row) in counts.iter().enumerate() {
            for (k, &c) in row.iter().enumerate() {
                let code = format!("{r}{k}");
                let csu = ["B", "C", "C", "A"][r];
                let population = 100 + (k * 4 + r) as u64;
                ccgs.push(ccg(&code, REGIONS[r], csu, "", population, 10.0 + k as f64));
                conditions.extend(level_ones(&code, c));
            }
        }
        table(&ccgs, &conditions)
    }

    #[test]
    fn headline_by_hand() {
        let w = Weights {
            name: "count".into(),
            levels: [1.0; 6],
            legal_direction: 0.0,
        };
        let h = judge(&tiny(), &w, ("A", "B")).unwrap();
        // medians: N (1+1)/2 = 1, M&E 4, London 2.5, South 8 → ratio 8, North lowest
        assert_eq!(h.region_medians, [1.0, 4.0, 2.5, 8.0]);
        assert_eq!(h.region_n, [4, 4, 4, 4]);
        assert_eq!((h.lowest_region, h.highest_region), (0, 3));
        assert_eq!(h.median_ratio, 8.0);
        // 15 of 16 CCGs have ≥ 1 condition
        assert_eq!(h.n_with_conditions, 15);
        // CSU A (South) mean 29/4, CSU B (North) mean 4/4 = 1
        assert_eq!(h.csu_a_mean, 7.25);
        assert_eq!(h.csu_ratio, 7.25);
        let v = verdicts(&h, ("A", "B"));
        assert_eq!(v[0], Verdict::NotReproduced);
        assert_eq!(v[3], Verdict::Reproduced);
        assert_eq!(v[4], Verdict::NotReproduced);
    }

    #[test]
    fn a_tie_for_lowest_median_is_not_the_north_lowest() {
        let n = [5, 5, 5, 5];
        assert!(north_strictly_lowest(&[1.0, 2.0, 3.0, 4.0], &n));
        assert!(!north_strictly_lowest(&[2.0, 2.0, 3.0, 4.0], &n));
        assert!(!north_strictly_lowest(&[3.0, 2.0, 3.0, 4.0], &n));
        // An empty region does not count; an empty North is never lowest.
        assert!(north_strictly_lowest(
            &[2.0, f64::NAN, 3.0, 4.0],
            &[5, 0, 5, 5]
        ));
        assert!(!north_strictly_lowest(
            &[f64::NAN, 1.0, 3.0, 4.0],
            &[0, 5, 5, 5]
        ));
    }

    #[test]
    fn undefined_figures_cannot_be_assessed_and_say_why() {
        // Every score 0: no rank correlation, every regional median 0, CSU means 0/0.
        let w = Weights {
            name: "zero".into(),
            levels: [0.0; 6],
            legal_direction: 1.0,
        };
        let h = judge(&tiny(), &w, ("A", "B")).unwrap();
        let v = verdicts(&h, ("A", "B"));
        assert_eq!(
            v[0],
            Verdict::NotReproduced,
            "15 of 16 with conditions is not 75-85%"
        );
        for (k, words) in [
            (1, "Spearman"),
            (2, "Spearman"),
            (3, "0/0"),
            (4, "denominator"),
        ] {
            let reason = v[k]
                .reason()
                .unwrap_or_else(|| panic!("claim {k}: {:?}", v[k]));
            assert!(reason.contains(words), "claim {k}: {reason}");
            assert!(!v[k].reproduced());
        }
        // An absent CSU and an absent region are named.
        let h = judge(&tiny(), &Weights::doubling(), ("A", "Nobody")).unwrap();
        assert!(verdicts(&h, ("A", "Nobody"))[4]
            .reason()
            .unwrap()
            .contains("Nobody"));
        let mut h2 = h.clone();
        h2.region_n[2] = 0;
        assert!(verdicts(&h2, ("A", "B"))[3]
            .reason()
            .unwrap()
            .contains("London"));
    }
}
