//! How much of the variation in scores does each level explain? On the ranks of the scores
//! (robust to the long right tail): the share of the total sum of squares between regions,
//! between area teams within regions, and between CSUs within regions, with percentile
//! bootstrap intervals (CCGs resampled with replacement).

use crate::columns::{f64_slice, strings, u32_slice};
use crate::stats;
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub level: String,
    pub share: f64,
    /// Percentile bootstrap interval (NaN without resamples). Between-group shares of small
    /// groups are biased upwards in resamples (a duplicated CCG sits in its own group twice),
    /// so the interval can lie above the estimate: read it with `chance`.
    pub ci_95: (f64, f64),
    /// The share expected with no effect at all: (groups − parent groups) / (CCGs − 1).
    pub chance: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decomposition {
    pub resamples: usize,
    pub shares: Vec<Share>,
}

/// Σ over groups of n·(group mean − parent mean)², groups nested in parents (parent of every
/// row given by `parent`, group by `group`).
fn between(values: &[f64], parent: &[usize], group: &[usize]) -> f64 {
    // Ordered maps: the sum over groups must run in the same order every time (same bytes out).
    let mut parent_sum: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    let mut group_sum: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    for i in 0..values.len() {
        let p = parent_sum.entry(parent[i]).or_default();
        p.0 += values[i];
        p.1 += 1.0;
        let g = group_sum.entry((parent[i], group[i])).or_default();
        g.0 += values[i];
        g.1 += 1.0;
    }
    group_sum
        .iter()
        .map(|((p, _), (sum, n))| {
            let (psum, pn) = parent_sum[p];
            n * (sum / n - psum / pn).powi(2)
        })
        .sum()
}

/// Shares of the rank sum of squares: region, area team within region, CSU within region.
fn shares(score: &[f64], region: &[usize], team: &[usize], csu: &[usize]) -> [f64; 3] {
    let ranks = stats::average_ranks(score);
    let mean = stats::mean(&ranks);
    let total: f64 = ranks.iter().map(|r| (r - mean).powi(2)).sum();
    let nation = vec![0usize; ranks.len()];
    [
        between(&ranks, &nation, region),
        between(&ranks, region, team),
        between(&ranks, region, csu),
    ]
    .map(|ss| ss / total)
}

/// Numbers for the labels of a text column.
fn codes(labels: &[String]) -> Vec<usize> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    labels
        .iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(l.as_str()).or_insert(next)
        })
        .collect()
}

pub fn decomposition(
    scored: &DataFrame,
    resamples: usize,
    seed: u64,
) -> PolarsResult<Decomposition> {
    let score = f64_slice(scored, "composite_score")?;
    let region: Vec<usize> = u32_slice(scored, "region_index")?
        .iter()
        .map(|&r| r as usize)
        .collect();
    let team = codes(&strings(scored, "area_team")?);
    let csu = codes(&strings(scored, "csu")?);
    let observed = shares(score, &region, &team, &csu);
    let distinct = |v: &[usize], parent: &[usize]| -> f64 {
        let pairs: std::collections::HashSet<(usize, usize)> =
            parent.iter().copied().zip(v.iter().copied()).collect();
        let parents: std::collections::HashSet<usize> = parent.iter().copied().collect();
        (pairs.len() as f64 - parents.len() as f64) / (score.len() as f64 - 1.0)
    };
    let nation = vec![0usize; score.len()];
    let chance = [
        distinct(&region, &nation),
        distinct(&team, &region),
        distinct(&csu, &region),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = score.len();
    let mut draws: [Vec<f64>; 3] = Default::default();
    for _ in 0..resamples {
        let idx: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        let pick = |v: &[usize]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let s: Vec<f64> = idx.iter().map(|&i| score[i]).collect();
        let b = shares(&s, &pick(&region), &pick(&team), &pick(&csu));
        for k in 0..3 {
            if b[k].is_finite() {
                draws[k].push(b[k]);
            }
        }
    }
    let levels = ["region", "area team within region", "CSU within region"];
    let shares = (0..3)
        .map(|k| Share {
            level: levels[k].to_string(),
            share: observed[k],
            ci_95: stats::percentile_interval_95(std::mem::take(&mut draws[k])),
            chance: chance[k],
        })
        .collect();
    Ok(Decomposition { resamples, shares })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_by_hand() {
        // Scores 1..8 (ranks 1..8, mean 4.5, total SS 42). Regions {1,2,3,4} and {5,6,7,8}:
        // means 2.5 and 6.5, SS between = 4·4 + 4·4 = 32 → 32/42. Teams {1,2},{3,4},{5,6},{7,8}
        // within the regions: each team mean is 1 from its region's, SS = 8·1 = 8 → 8/42.
        // CSUs {1,3},{2,4},{5,7},{6,8}: team means 2 and 3 around 2.5 → SS = 8·0.25 = 2 → 2/42.
        let score: Vec<f64> = (1..=8).map(f64::from).collect();
        let region = [0, 0, 0, 0, 1, 1, 1, 1];
        let team = [0, 0, 1, 1, 2, 2, 3, 3];
        let csu = [0, 1, 0, 1, 2, 3, 2, 3];
        let s = shares(&score, &region, &team, &csu);
        let want = [32.0 / 42.0, 8.0 / 42.0, 2.0 / 42.0];
        assert_eq!(s.len(), want.len());
        for (got, want) in s.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{s:?}");
        }
    }
}
