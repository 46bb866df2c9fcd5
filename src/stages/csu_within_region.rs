//! CSU or region? CSUs sit inside regions, so each CSU is compared with the other CSUs of its
//! own region (like with like), and a permutation test that shuffles CSU labels only within
//! regions asks whether CSUs differ once region is accounted for.

use crate::columns::{f64_slice, strings, u32_slice};
use crate::model::REGIONS;
use crate::progress::Progress;
use crate::stages::headline::ratio;
use crate::stats;
use polars::prelude::*;
use rand::seq::SliceRandom;
use serde::Serialize;
use std::collections::BTreeMap;

/// One CSU against the other CSUs of its region.
#[derive(Debug, Clone, Serialize)]
pub struct CsuInRegion {
    pub region: String,
    pub csu: String,
    pub n_ccgs: usize,
    pub mean_score: f64,
    pub median_score: f64,
    pub others_n: usize,
    pub others_mean: f64,
    pub others_median: f64,
    /// This CSU's mean over the other CSUs' mean, within the region.
    pub ratio_of_means: f64,
    /// Mann–Whitney test of this CSU's CCGs against the region's other CCGs.
    pub mann_whitney_p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CsuWithinRegion {
    pub rows: Vec<CsuInRegion>,
    /// Between-CSU sum of squares within regions, and its permutation p-value (CSU labels
    /// shuffled within each region).
    pub statistic: f64,
    pub permutations: usize,
    pub permutation_p: f64,
}

/// Scores grouped by region, then by CSU (a CCG counts in its own region, whatever its CSU
/// serves elsewhere).
type Strata = Vec<BTreeMap<String, Vec<f64>>>;

fn strata(scored: &DataFrame) -> PolarsResult<Strata> {
    let score = f64_slice(scored, "composite_score")?;
    let region = u32_slice(scored, "region_index")?;
    let csu = strings(scored, "csu")?;
    let mut s: Strata = vec![BTreeMap::new(); REGIONS.len()];
    for i in 0..score.len() {
        s[region[i] as usize]
            .entry(csu[i].clone())
            .or_default()
            .push(score[i]);
    }
    Ok(s)
}

/// One region's scores laid end to end, CSU after CSU, and each CSU's number of CCGs: a
/// shuffle of the region's scores is then a relabelling of its CSUs.
#[derive(Clone)]
struct Blocks {
    scores: Vec<f64>,
    sizes: Vec<usize>,
}

fn blocks(s: &Strata) -> Vec<Blocks> {
    s.iter()
        .map(|groups| Blocks {
            scores: groups.values().flatten().copied().collect(),
            sizes: groups.values().map(Vec::len).collect(),
        })
        .collect()
}

/// Σ over CSUs of n·(CSU mean − region mean)², for one region.
fn between_csu(b: &Blocks) -> f64 {
    if b.scores.is_empty() {
        return 0.0;
    }
    let m = stats::mean(&b.scores);
    let mut start = 0;
    b.sizes
        .iter()
        .map(|&n| {
            let sum: f64 = b.scores[start..start + n].iter().sum();
            start += n;
            n as f64 * (sum / n as f64 - m).powi(2)
        })
        .sum()
}

/// Σ over regions and their CSUs of n·(CSU mean − region mean)².
fn between_csu_within_region(s: &Strata) -> f64 {
    blocks(s).iter().map(between_csu).sum()
}

pub fn csu_within_region(
    scored: &DataFrame,
    permutations: usize,
    seed: u64,
    progress: &Progress,
) -> PolarsResult<CsuWithinRegion> {
    let s = strata(scored)?;
    let mut rows = vec![];
    for (r, groups) in s.iter().enumerate() {
        for (csu, own) in groups {
            let others: Vec<f64> = groups
                .iter()
                .filter(|(c, _)| *c != csu)
                .flat_map(|(_, g)| g.iter().copied())
                .collect();
            let (mean, others_mean) = (stats::mean(own), stats::mean(&others));
            rows.push(CsuInRegion {
                region: REGIONS[r].to_string(),
                csu: csu.clone(),
                n_ccgs: own.len(),
                mean_score: mean,
                median_score: stats::median(own),
                others_n: others.len(),
                others_mean,
                others_median: stats::median(&others),
                ratio_of_means: ratio(mean, others_mean),
                mann_whitney_p: if others.is_empty() {
                    f64::NAN
                } else {
                    stats::mann_whitney(own, &others).1
                },
            });
        }
    }
    let statistic = between_csu_within_region(&s);
    Ok(CsuWithinRegion {
        rows,
        statistic,
        permutations,
        permutation_p: permutation_p(&s, statistic, permutations, seed, progress),
    })
}

/// Shuffle scores within each region, keeping each CSU's number of CCGs there. Two fixed
/// halves of the shuffles, each with its own seeded stream, on two threads.
fn permutation_p(
    s: &Strata,
    observed: f64,
    permutations: usize,
    seed: u64,
    progress: &Progress,
) -> f64 {
    let regions = blocks(s);
    stats::permutation_p_on_two_streams(seed, permutations, |rng, count| {
        let mut shuffled = regions.clone();
        let mut at_least = 0usize;
        for i in 0..count {
            if i % crate::progress::EVERY == 0 {
                let step = count.min(i + crate::progress::EVERY) - i;
                progress.advance("CSU within region test", step as u64, permutations as u64);
            }
            let mut total = 0.0;
            for b in shuffled.iter_mut() {
                b.scores.shuffle(rng);
                total += between_csu(b);
            }
            // A relative tolerance: equal partitions must count as "at least as large".
            at_least += usize::from(total >= observed * (1.0 - 1e-12));
        }
        at_least
    })
}

/// csu_within_region.csv.
pub fn table_csv(c: &CsuWithinRegion) -> anyhow::Result<String> {
    use crate::format::num;
    let mut w = crate::format::CsvText::new([
        "region",
        "csu",
        "n_ccgs",
        "mean_score",
        "median_score",
        "others_in_region_n",
        "others_mean",
        "others_median",
        "ratio_of_means",
        "mann_whitney_p",
    ])?;
    for r in &c.rows {
        w.row([
            r.region.clone(),
            r.csu.clone(),
            r.n_ccgs.to_string(),
            num(r.mean_score),
            num(r.median_score),
            r.others_n.to_string(),
            num(r.others_mean),
            num(r.others_median),
            num(r.ratio_of_means),
            num(r.mann_whitney_p),
        ])?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strata_of(regions: &[&[(&str, &[f64])]]) -> Strata {
        let mut s: Strata = vec![BTreeMap::new(); 4];
        for (r, groups) in regions.iter().enumerate() {
            for (csu, scores) in groups.iter() {
                s[r].insert(csu.to_string(), scores.to_vec());
            }
        }
        s
    }

    #[test]
    fn between_csu_sum_of_squares_by_hand() {
        // North: A {1, 3} (mean 2), B {5, 7} (mean 6); region mean 4 → 2·4 + 2·4 = 16.
        // South: one CSU only → 0.
        let s = strata_of(&[
            &[("A", &[1.0, 3.0]), ("B", &[5.0, 7.0])],
            &[],
            &[],
            &[("C", &[9.0, 1.0])],
        ]);
        assert_eq!(between_csu_within_region(&s), 16.0);
    }

    #[test]
    fn within_region_permutation_matches_exact_enumeration() {
        // North: A {1, 2}, B {3, 4}: of the C(4,2) = 6 ways to give A two of the four scores,
        // two ({1,2} and {3,4}) reach the observed sum of squares (4): exact p = 2/6. The
        // other regions hold one CSU each and cannot change the statistic.
        let s = strata_of(&[
            &[("A", &[1.0, 2.0]), ("B", &[3.0, 4.0])],
            &[("M", &[5.0, 9.0])],
            &[],
            &[],
        ]);
        let observed = between_csu_within_region(&s);
        assert_eq!(observed, 4.0);
        let p = permutation_p(&s, observed, 20_000, 3, &Progress::default());
        assert!((p - 1.0 / 3.0).abs() < 0.01, "{p}");
    }
}
