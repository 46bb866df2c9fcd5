//! The analysis stages after scoring: headline figures for each published claim, their
//! significance and uncertainty, and their robustness to the severity weighting.
//! Pure functions of plain vectors, so they can be rerun cheaply on resamples and schemes.

use crate::ingest::{Condition, Evidence, REGIONS};
use crate::stats::{self, Correlation};
use crate::weights::{Weights, LEVELS};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;

/// The two CSUs the blog compared, as named in ccgs.csv.
pub const DEFAULT_CSU_A: &str = "NHS Hertfordshire and Essex CSU";
pub const DEFAULT_CSU_B: &str = "NHS North of England CSU";

/// Per-CCG vectors (in ods_code order) that every later stage works on.
#[derive(Debug, Clone)]
pub struct Scored {
    pub ods_code: Vec<String>,
    pub region: Vec<usize>,
    pub csu: Vec<String>,
    pub csu_confirmed: Vec<bool>,
    pub population: Vec<f64>,
    pub imd: Vec<f64>,
    pub evidence: Vec<Evidence>,
    /// Conditions per support level (index 0 = level I) and directed conditions, per CCG.
    pub level_counts: Vec<[u32; LEVELS]>,
    pub directions: Vec<u32>,
    pub reconstructed_rows: Vec<u32>,
}

impl Scored {
    pub fn n_conditions(&self, i: usize) -> u32 {
        self.level_counts[i].iter().sum()
    }

    /// Composite score of every CCG under a weighting scheme.
    pub fn scores(&self, w: &Weights) -> Vec<f64> {
        self.level_counts
            .iter()
            .zip(&self.directions)
            .map(|(counts, &d)| {
                counts
                    .iter()
                    .zip(&w.levels)
                    .map(|(&c, &lw)| c as f64 * lw)
                    .sum::<f64>()
                    + d as f64 * w.legal_direction
            })
            .collect()
    }

    /// Keep only the CCGs for which `keep` is true.
    pub fn subset(&self, keep: impl Fn(usize) -> bool) -> Scored {
        let idx: Vec<usize> = (0..self.ods_code.len()).filter(|&i| keep(i)).collect();
        macro_rules! pick {
            ($f:ident) => {
                idx.iter().map(|&i| self.$f[i].clone()).collect()
            };
        }
        Scored {
            ods_code: pick!(ods_code),
            region: pick!(region),
            csu: pick!(csu),
            csu_confirmed: pick!(csu_confirmed),
            population: pick!(population),
            imd: pick!(imd),
            evidence: pick!(evidence),
            level_counts: pick!(level_counts),
            directions: pick!(directions),
            reconstructed_rows: pick!(reconstructed_rows),
        }
    }
}

/// Build the per-CCG vectors from the typed inputs.
pub fn scored(
    ccgs: &[crate::ingest::Ccg],
    conditions: &[Condition],
    evidence: &HashMap<String, Evidence>,
) -> Scored {
    let mut order: Vec<usize> = (0..ccgs.len()).collect();
    order.sort_by(|&a, &b| ccgs[a].ods_code.cmp(&ccgs[b].ods_code));
    let index: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(k, &i)| (ccgs[i].ods_code.as_str(), k))
        .collect();
    let n = ccgs.len();
    let mut level_counts = vec![[0u32; LEVELS]; n];
    let mut directions = vec![0u32; n];
    let mut reconstructed_rows = vec![0u32; n];
    for c in conditions {
        let k = index[c.ods_code.as_str()];
        level_counts[k][usize::from(c.support_level) - 1] += 1;
        directions[k] += u32::from(c.legal_direction);
        reconstructed_rows[k] +=
            u32::from(c.provenance == crate::ingest::Provenance::Reconstructed);
    }
    let get = |f: &dyn Fn(&crate::ingest::Ccg) -> f64| {
        order.iter().map(|&i| f(&ccgs[i])).collect::<Vec<_>>()
    };
    Scored {
        ods_code: order.iter().map(|&i| ccgs[i].ods_code.clone()).collect(),
        region: order
            .iter()
            .map(|&i| {
                REGIONS
                    .iter()
                    .position(|r| *r == ccgs[i].region)
                    .expect("validated region")
            })
            .collect(),
        csu: order.iter().map(|&i| ccgs[i].csu.clone()).collect(),
        csu_confirmed: order
            .iter()
            .map(|&i| crate::ingest::csu_confirmed(&ccgs[i].csu_basis))
            .collect(),
        population: get(&|c| c.population as f64),
        imd: get(&|c| c.imd_score),
        evidence: order
            .iter()
            .map(|&i| {
                evidence
                    .get(&ccgs[i].ods_code)
                    .copied()
                    .unwrap_or(Evidence::Published)
            })
            .collect(),
        level_counts,
        directions,
        reconstructed_rows,
    }
}

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

pub fn region_medians(score: &[f64], region: &[usize]) -> ([usize; 4], [f64; 4]) {
    let mut groups: [Vec<f64>; 4] = Default::default();
    for (s, &r) in score.iter().zip(region) {
        groups[r].push(*s);
    }
    (
        groups.each_ref().map(|g| g.len()),
        groups.each_ref().map(|g| stats::median(g)),
    )
}

/// Ratio of highest to lowest median among regions that have CCGs, with their indices.
pub fn median_spread(medians: &[f64; 4], n: &[usize; 4]) -> (usize, usize, f64) {
    let present: Vec<usize> = (0..4).filter(|&r| n[r] > 0).collect();
    if present.is_empty() {
        return (0, 0, f64::NAN);
    }
    let lo = *present
        .iter()
        .min_by(|&&a, &&b| medians[a].total_cmp(&medians[b]).then(a.cmp(&b)))
        .unwrap();
    let hi = *present
        .iter()
        .max_by(|&&a, &&b| medians[a].total_cmp(&medians[b]).then(b.cmp(&a)))
        .unwrap();
    (lo, hi, ratio(medians[hi], medians[lo]))
}

/// Whether the North's median is strictly below every other region's (a tie is not "lowest":
/// with whole-number scores ties are common, and must not count in the North's favour).
pub fn north_strictly_lowest(medians: &[f64; 4], n: &[usize; 4]) -> bool {
    n[0] > 0 && (1..4).all(|r| n[r] == 0 || medians[0] < medians[r])
}

fn ratio(a: f64, b: f64) -> f64 {
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

pub fn headline(s: &Scored, score: &[f64], compare: (&str, &str)) -> Headline {
    let n = score.len();
    let with = (0..n).filter(|&i| s.n_conditions(i) > 0).count();
    let (region_n, region_medians) = region_medians(score, &s.region);
    let (lowest_region, highest_region, median_ratio) = median_spread(&region_medians, &region_n);
    let csu_scores = |name: &str| -> Vec<f64> {
        (0..n)
            .filter(|&i| s.csu[i] == name)
            .map(|i| score[i])
            .collect()
    };
    let (a, b) = (csu_scores(compare.0), csu_scores(compare.1));
    let (csu_a_mean, csu_b_mean) = (stats::mean(&a), stats::mean(&b));
    Headline {
        n_ccgs: n,
        n_with_conditions: with,
        share_with_conditions: with as f64 / n as f64,
        size: stats::spearman_test(score, &s.population),
        size_pearson: stats::pearson_test(score, &s.population),
        deprivation: stats::spearman_test(score, &s.imd),
        deprivation_pearson: stats::pearson_test(score, &s.imd),
        region_n,
        region_medians,
        lowest_region,
        highest_region,
        median_ratio,
        csu_a_n: a.len(),
        csu_b_n: b.len(),
        csu_a_mean,
        csu_b_mean,
        csu_ratio: ratio(csu_a_mean, csu_b_mean),
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

/// Whether each claim holds on these figures (criteria documented in findings.md).
pub fn verdicts(h: &Headline) -> [bool; 5] {
    [
        // "Four in five": between 75% and 85% of CCGs had at least one condition.
        (0.75..=0.85).contains(&h.share_with_conditions),
        // No relation to size: Spearman's rho not significant at 5%.
        !(h.size.p_value < 0.05),
        // None to deprivation (if anything, more deprived did better): no significant positive rho.
        h.deprivation.r <= 0.0 || !(h.deprivation.p_value < 0.05),
        // About four-fold, North lowest: a finite ratio of at least 3 with the North lowest.
        h.median_ratio.is_finite()
            && h.median_ratio >= 3.0
            && north_strictly_lowest(&h.region_medians, &h.region_n),
        // More than 30 times.
        h.csu_ratio > 30.0,
    ]
}

/// Significance of the regional divide.
#[derive(Debug, Clone, Serialize)]
pub struct Significance {
    pub kruskal_h: f64,
    pub kruskal_df: usize,
    pub kruskal_p: f64,
    /// (region a, region b, U, raw p, Holm-adjusted p)
    pub pairwise: Vec<(String, String, f64, f64, f64)>,
    pub permutations: usize,
    pub permutation_p: f64,
}

pub fn significance(
    score: &[f64],
    region: &[usize],
    permutations: usize,
    seed: u64,
) -> Significance {
    let mut groups: [Vec<f64>; 4] = Default::default();
    for (s, &r) in score.iter().zip(region) {
        groups[r].push(*s);
    }
    let present: Vec<Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
    let (kruskal_h, kruskal_df, kruskal_p) = stats::kruskal_wallis(&present);
    let mut pairs = Vec::new();
    for a in 0..4 {
        for b in a + 1..4 {
            if !groups[a].is_empty() && !groups[b].is_empty() {
                let (u, p) = stats::mann_whitney(&groups[a], &groups[b]);
                pairs.push((REGIONS[a].to_string(), REGIONS[b].to_string(), u, p));
            }
        }
    }
    let adjusted = stats::holm(&pairs.iter().map(|p| p.3).collect::<Vec<_>>());
    let pairwise = pairs
        .into_iter()
        .zip(adjusted)
        .map(|((a, b, u, p), adj)| (a, b, u, p, adj))
        .collect();

    // Permutation test of the max/min median ratio. Shuffling the region labels is the same as
    // shuffling the scores and cutting them into blocks of the regions' sizes, which needs no
    // allocation per shuffle. The shuffles are split into two fixed halves, each with its own
    // seeded stream, run on two threads: the count is the same whatever the scheduling.
    let (n, medians) = region_medians(score, region);
    let observed = median_spread(&medians, &n).2;
    let half = |stream: u64, count: usize| -> usize {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        let mut buf = score.to_vec();
        let mut at_least = 0usize;
        for _ in 0..count {
            buf.shuffle(&mut rng);
            let mut pm = [f64::NAN; 4];
            let mut start = 0;
            for r in 0..4 {
                pm[r] = stats::median_in_place(&mut buf[start..start + n[r]]);
                start += n[r];
            }
            let r = median_spread(&pm, &n).2;
            if r >= observed || (observed.is_nan() && r.is_nan()) {
                at_least += 1;
            }
        }
        at_least
    };
    let first = permutations / 2;
    let at_least = std::thread::scope(|s| {
        let other = s.spawn(|| half(1, permutations - first));
        half(0, first) + other.join().expect("permutation thread")
    });
    Significance {
        kruskal_h,
        kruskal_df,
        kruskal_p,
        pairwise,
        permutations,
        permutation_p: (1 + at_least) as f64 / (1 + permutations) as f64,
    }
}

/// Percentile bootstrap 95% intervals.
#[derive(Debug, Clone, Serialize)]
pub struct Intervals {
    pub resamples: usize,
    pub region_median: [(f64, f64); 4],
    pub median_ratio: (f64, f64),
    pub csu_a_mean: (f64, f64),
    pub csu_b_mean: (f64, f64),
    pub csu_ratio: (f64, f64),
    /// Share of resamples in which the North region had the lowest median.
    pub north_lowest_share: f64,
}

fn percentile_interval(mut v: Vec<f64>) -> (f64, f64) {
    // Infinite ratios sort last (total order), so an interval can honestly end at infinity.
    v.retain(|x| !x.is_nan());
    v.sort_by(f64::total_cmp);
    (
        stats::quantile_sorted(&v, 0.025),
        stats::quantile_sorted(&v, 0.975),
    )
}

/// Bootstrap, resampling CCGs with replacement within each region (and within each compared CSU).
pub fn bootstrap(
    s: &Scored,
    score: &[f64],
    compare: (&str, &str),
    resamples: usize,
    seed: u64,
) -> Intervals {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut groups: [Vec<f64>; 4] = Default::default();
    for (x, &r) in score.iter().zip(&s.region) {
        groups[r].push(*x);
    }
    let csu = |name: &str| -> Vec<f64> {
        (0..score.len())
            .filter(|&i| s.csu[i] == name)
            .map(|i| score[i])
            .collect()
    };
    let (a, b) = (csu(compare.0), csu(compare.1));
    let mut medians: [Vec<f64>; 4] = Default::default();
    let (mut ratios, mut a_means, mut b_means, mut csu_ratios) = (vec![], vec![], vec![], vec![]);
    let mut north_lowest = 0usize;
    let draw = |g: &[f64], rng: &mut ChaCha8Rng| -> Vec<f64> {
        (0..g.len()).map(|_| g[rng.gen_range(0..g.len())]).collect()
    };
    for _ in 0..resamples {
        let mut m = [f64::NAN; 4];
        let mut n = [0usize; 4];
        for r in 0..4 {
            if !groups[r].is_empty() {
                m[r] = stats::median(&draw(&groups[r], &mut rng));
                n[r] = groups[r].len();
                medians[r].push(m[r]);
            }
        }
        let (_, _, ratio_r) = median_spread(&m, &n);
        north_lowest += usize::from(north_strictly_lowest(&m, &n));
        ratios.push(ratio_r);
        if !a.is_empty() && !b.is_empty() {
            let (ma, mb) = (
                stats::mean(&draw(&a, &mut rng)),
                stats::mean(&draw(&b, &mut rng)),
            );
            a_means.push(ma);
            b_means.push(mb);
            csu_ratios.push(ratio(ma, mb));
        }
    }
    Intervals {
        resamples,
        region_median: medians.map(percentile_interval),
        median_ratio: percentile_interval(ratios),
        csu_a_mean: percentile_interval(a_means),
        csu_b_mean: percentile_interval(b_means),
        csu_ratio: percentile_interval(csu_ratios),
        north_lowest_share: north_lowest as f64 / resamples.max(1) as f64,
    }
}

/// One row of the robustness table: a weighting scheme and how each claim fares under it.
#[derive(Debug, Clone, Serialize)]
pub struct RobustnessRow {
    pub scheme: String,
    pub weights: Weights,
    pub headline: Headline,
    pub holds: [bool; 5],
}

impl Serialize for Weights {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = ser.serialize_struct("Weights", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("support_level", &self.levels)?;
        st.serialize_field("legal_direction", &self.legal_direction)?;
        st.end()
    }
}

pub fn robustness(s: &Scored, default: &Weights, compare: (&str, &str)) -> Vec<RobustnessRow> {
    Weights::alternatives(default)
        .into_iter()
        .map(|w| {
            let h = headline(s, &s.scores(&w), compare);
            RobustnessRow {
                scheme: w.name.clone(),
                holds: verdicts(&h),
                headline: h,
                weights: w,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Scored {
        // Four CCGs per region; region r's CCG k has k level-(r+1) conditions... kept simple:
        // scores under count weights are the condition counts below.
        let counts = [[0, 1, 1, 2], [2, 4, 4, 6], [1, 2, 3, 3], [4, 8, 8, 9]];
        let mut s = Scored {
            ods_code: vec![],
            region: vec![],
            csu: vec![],
            csu_confirmed: vec![],
            population: vec![],
            imd: vec![],
            evidence: vec![],
            level_counts: vec![],
            directions: vec![],
            reconstructed_rows: vec![],
        };
        for (r, row) in counts.iter().enumerate() {
            for (k, &c) in row.iter().enumerate() {
                s.ods_code.push(format!("{r}{k}"));
                s.region.push(r);
                s.csu.push(if r == 0 {
                    "B".into()
                } else if r == 3 {
                    "A".into()
                } else {
                    "C".into()
                });
                s.csu_confirmed.push(true);
                s.population.push(100.0 + (k * 4 + r) as f64);
                s.imd.push(10.0 + k as f64);
                s.evidence.push(Evidence::Published);
                let mut lc = [0u32; LEVELS];
                lc[0] = c;
                s.level_counts.push(lc);
                s.directions.push(0);
                s.reconstructed_rows.push(0);
            }
        }
        s
    }

    #[test]
    fn permutation_p_matches_exact_enumeration() {
        // Scores 1..8, two CCGs per region in order: medians 1.5, 3.5, 5.5, 7.5, ratio 5.
        // Enumerating all 2,520 distinct label assignments (python, itertools), 72 have a
        // max/min median ratio of at least 5: exact p = 72/2520 = 0.02857.
        let score: Vec<f64> = (1..=8).map(f64::from).collect();
        let region = [0, 0, 1, 1, 2, 2, 3, 3];
        let sig = significance(&score, &region, 20_000, 11);
        // Monte Carlo standard error at 20,000 shuffles is about 0.0012.
        assert!(
            (sig.permutation_p - 72.0 / 2520.0).abs() < 0.005,
            "{}",
            sig.permutation_p
        );
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
    fn headline_by_hand() {
        let s = tiny();
        let w = Weights {
            name: "count".into(),
            levels: [1.0; LEVELS],
            legal_direction: 0.0,
        };
        let h = headline(&s, &s.scores(&w), ("A", "B"));
        // medians: N (1+1)/2 = 1, M&E 4, London 2.5, South 8 → ratio 8, North lowest
        assert_eq!(h.region_medians, [1.0, 4.0, 2.5, 8.0]);
        assert_eq!((h.lowest_region, h.highest_region), (0, 3));
        assert_eq!(h.median_ratio, 8.0);
        // 15 of 16 CCGs have ≥ 1 condition
        assert_eq!(h.n_with_conditions, 15);
        // CSU A (South) mean 29/4, CSU B (North) mean 4/4 = 1
        assert_eq!(h.csu_a_mean, 7.25);
        assert_eq!(h.csu_ratio, 7.25);
        let v = verdicts(&h);
        assert!(!v[0] && v[3] && !v[4]);
    }

    #[test]
    fn scores_follow_the_weights() {
        let mut s = tiny();
        s.level_counts[0] = [1, 0, 2, 1, 0, 0];
        s.directions[0] = 1;
        let w = Weights {
            name: "t".into(),
            levels: [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            legal_direction: 5.0,
        };
        // 1·1 + 2·4 + 1·8 + 1·5 = 22
        assert_eq!(s.scores(&w)[0], 22.0);
    }

    #[test]
    fn permutation_and_bootstrap_are_seeded() {
        let s = tiny();
        let score = s.scores(&Weights::doubling());
        let a = significance(&score, &s.region, 500, 7);
        let b = significance(&score, &s.region, 500, 7);
        assert_eq!(a.permutation_p, b.permutation_p);
        assert!(a.permutation_p > 0.0 && a.permutation_p <= 1.0);
        let i1 = bootstrap(&s, &score, ("A", "B"), 200, 3);
        let i2 = bootstrap(&s, &score, ("A", "B"), 200, 3);
        assert_eq!(format!("{i1:?}"), format!("{i2:?}"));
        // Intervals of a median lie within the region's range.
        assert!(i1.region_median[3].0 >= 4.0 && i1.region_median[3].1 <= 9.0);
    }
}
