//! The `significance` stage: is the regional divide more than chance? Kruskal–Wallis across
//! regions, pairwise Mann–Whitney tests (Holm-adjusted), and a permutation test of the max/min
//! median ratio.

use crate::model::REGIONS;
use crate::progress::{Progress, EVERY};
use crate::stages::groups::Groups;
use crate::stages::headline::median_spread;
use crate::stages::median_sampler::{median_of_counts, split_counts, Sampler, ValueCounts};
use crate::stats;
use rand::seq::SliceRandom;
use serde::Serialize;

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

/// `observed` is the headline's max/min median ratio (the statistic the permutation test refers
/// to its shuffled distribution).
pub fn significance(
    g: &Groups,
    observed: f64,
    permutations: usize,
    seed: u64,
    progress: &Progress,
) -> Significance {
    // Regions without CCGs count for nothing in the test (nor in its degrees of freedom).
    let (kruskal_h, kruskal_df, kruskal_p) = stats::kruskal_wallis(&g.region);
    Significance {
        kruskal_h,
        kruskal_df,
        kruskal_p,
        pairwise: pairwise(g),
        permutations,
        permutation_p: permutation_p(g, observed, permutations, seed, progress),
    }
}

fn pairwise(g: &Groups) -> Vec<(String, String, f64, f64, f64)> {
    let mut pairs = Vec::new();
    for a in 0..4 {
        for b in a + 1..4 {
            if !g.region[a].is_empty() && !g.region[b].is_empty() {
                let (u, p) = stats::mann_whitney(&g.region[a], &g.region[b]);
                pairs.push((REGIONS[a].to_string(), REGIONS[b].to_string(), u, p));
            }
        }
    }
    let adjusted = stats::holm(&pairs.iter().map(|p| p.3).collect::<Vec<_>>());
    pairs
        .into_iter()
        .zip(adjusted)
        .map(|((a, b, u, p), adj)| (a, b, u, p, adj))
        .collect()
}

/// Permutation test of the max/min median ratio, by the cheaper exact sampler for these scores.
/// Shuffling the region labels is the same as shuffling the scores and cutting them into blocks
/// of the regions' sizes (`Sampler::Items`, no allocation per shuffle); with many tied scores
/// it is cheaper still to draw how many copies of each distinct score each block gets
/// (`Sampler::Counts`, `median_sampler::split_counts`): same distribution. The shuffles are split into
/// two fixed halves, each with its own seeded stream, run on two threads: the count is the same
/// whatever the scheduling.
fn permutation_p(
    g: &Groups,
    observed: f64,
    permutations: usize,
    seed: u64,
    progress: &Progress,
) -> f64 {
    let pooled = ValueCounts::of(&g.all);
    let sampler = Sampler::for_scores(g.all.len(), pooled.values.len());
    permutation_p_by(g, observed, permutations, seed, sampler, progress)
}

fn permutation_p_by(
    g: &Groups,
    observed: f64,
    permutations: usize,
    seed: u64,
    sampler: Sampler,
    progress: &Progress,
) -> f64 {
    let n = g.region_sizes();
    let sizes = n.map(|x| x as u64);
    let pooled = ValueCounts::of(&g.all);
    stats::permutation_p_on_two_streams(seed, permutations, |rng, count| {
        let mut buf = g.all.clone();
        let mut blocks = vec![vec![0u64; pooled.values.len()]; 4];
        let mut at_least = 0usize;
        for i in 0..count {
            if i % EVERY == 0 {
                progress.advance(
                    "permutation test",
                    count.min(i + EVERY) as u64 - i as u64,
                    permutations as u64,
                );
            }
            let mut pm = [f64::NAN; 4];
            match sampler {
                Sampler::Items => {
                    buf.shuffle(rng);
                    let mut start = 0;
                    for r in 0..4 {
                        pm[r] = stats::median_in_place(&mut buf[start..start + n[r]]);
                        start += n[r];
                    }
                }
                Sampler::Counts => {
                    split_counts(&pooled, &sizes, rng, &mut blocks);
                    for r in 0..4 {
                        pm[r] = median_of_counts(&pooled.values, &blocks[r]);
                    }
                }
            }
            let r = median_spread(&pm, &n).2;
            if r >= observed || (observed.is_nan() && r.is_nan()) {
                at_least += 1;
            }
        }
        at_least
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(score: &[f64], region: &[usize]) -> Groups {
        let mut g = Groups {
            all: score.to_vec(),
            region: Default::default(),
            csu_a: vec![],
            csu_b: vec![],
        };
        assert_eq!(score.len(), region.len());
        for (s, &r) in score.iter().zip(region) {
            g.region[r].push(*s);
        }
        g
    }

    #[test]
    fn permutation_p_matches_exact_enumeration() {
        // Scores 1..8, two CCGs per region in order: medians 1.5, 3.5, 5.5, 7.5, ratio 5.
        // Enumerating all 2,520 distinct label assignments (python, itertools), 72 have a
        // max/min median ratio of at least 5: exact p = 72/2520 = 0.02857.
        let score: Vec<f64> = (1..=8).map(f64::from).collect();
        let g = blocks(&score, &[0, 0, 1, 1, 2, 2, 3, 3]);
        // Monte Carlo standard error at 20,000 shuffles is about 0.0012; both samplers.
        for sampler in [Sampler::Items, Sampler::Counts] {
            let p = permutation_p_by(&g, 5.0, 20_000, 11, sampler, &Progress::default());
            assert!((p - 72.0 / 2520.0).abs() < 0.005, "{sampler:?}: {p}");
        }
        // With ties (two copies of each score 1..4), both samplers agree with the exact
        // enumeration too: medians 1, 2, 3, 4 by region, ratio 4; by python over all 2,520
        // assignments, 72 have a ratio of at least 4 (p = 0.0286).
        let tied = blocks(
            &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0],
            &[0, 0, 1, 1, 2, 2, 3, 3],
        );
        for sampler in [Sampler::Items, Sampler::Counts] {
            let p = permutation_p_by(&tied, 4.0, 20_000, 11, sampler, &Progress::default());
            assert!((p - 72.0 / 2520.0).abs() < 0.005, "{sampler:?}: {p}");
        }
    }

    #[test]
    fn permutations_are_seeded() {
        let score: Vec<f64> = (0..16).map(|i| f64::from(i % 5)).collect();
        let region: Vec<usize> = (0..16).map(|i| i % 4).collect();
        let g = blocks(&score, &region);
        let a = significance(&g, 2.0, 500, 7, &Progress::default());
        let b = significance(&g, 2.0, 500, 7, &Progress::default());
        assert_eq!(a.permutation_p, b.permutation_p);
    }
}
