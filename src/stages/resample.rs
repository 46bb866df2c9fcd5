//! The `bootstrap` stage: percentile bootstrap intervals for the regional medians, their ratio
//! and the CSU comparison (CCGs resampled with replacement within each region and within each
//! CSU).

use crate::progress::{Progress, EVERY};
use crate::stages::groups::Groups;
use crate::stages::headline::{median_spread, north_strictly_lowest, ratio};
use crate::stages::median_sampler::{Resampler, Sampler, ValueCounts};
use crate::stats;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

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

/// Equal when every figure is the same, an undefined end (NaN, e.g. a ratio over a zero median)
/// matching an undefined end: two runs that leave the same ends undefined say the same thing.
impl PartialEq for Intervals {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let pair = |a: &(f64, f64), b: &(f64, f64)| same(a.0, b.0) && same(a.1, b.1);
        let Intervals {
            resamples,
            region_median,
            median_ratio,
            csu_a_mean,
            csu_b_mean,
            csu_ratio,
            north_lowest_share,
        } = self;
        *resamples == other.resamples
            && region_median
                .iter()
                .zip(&other.region_median)
                .all(|(a, b)| pair(a, b))
            && pair(median_ratio, &other.median_ratio)
            && pair(csu_a_mean, &other.csu_a_mean)
            && pair(csu_b_mean, &other.csu_b_mean)
            && pair(csu_ratio, &other.csu_ratio)
            && same(*north_lowest_share, other.north_lowest_share)
    }
}

/// Bootstrap, resampling CCGs with replacement within each region (and within each compared
/// CSU), by the cheaper exact sampler for these scores (`median_sampler::Sampler`).
pub fn bootstrap(g: &Groups, resamples: usize, seed: u64, progress: &Progress) -> Intervals {
    let sampler = Sampler::for_scores(g.all.len(), ValueCounts::of(&g.all).values.len());
    bootstrap_by(g, resamples, seed, sampler, progress)
}

fn bootstrap_by(
    g: &Groups,
    resamples: usize,
    seed: u64,
    sampler: Sampler,
    progress: &Progress,
) -> Intervals {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut regions = g.region.each_ref().map(|x| Resampler::new(x, sampler));
    let (mut a, mut b) = (
        Resampler::new(&g.csu_a, sampler),
        Resampler::new(&g.csu_b, sampler),
    );
    let n = g.region_sizes();
    let mut medians: [Vec<f64>; 4] = Default::default();
    let (mut ratios, mut a_means, mut b_means, mut csu_ratios) = (vec![], vec![], vec![], vec![]);
    let mut north_lowest = 0usize;
    for i in 0..resamples {
        if i % EVERY == 0 {
            let step = resamples.min(i + EVERY) - i;
            progress.advance("bootstrap", step as u64, resamples as u64);
        }
        let mut m = [f64::NAN; 4];
        for r in 0..4 {
            if n[r] > 0 {
                m[r] = regions[r].median(&mut rng);
                medians[r].push(m[r]);
            }
        }
        ratios.push(median_spread(&m, &n).2);
        north_lowest += usize::from(north_strictly_lowest(&m, &n));
        if !g.csu_a.is_empty() && !g.csu_b.is_empty() {
            let (ma, mb) = (a.mean(&mut rng), b.mean(&mut rng));
            a_means.push(ma);
            b_means.push(mb);
            csu_ratios.push(ratio(ma, mb));
        }
    }
    Intervals {
        resamples,
        region_median: medians.map(stats::percentile_interval_95),
        median_ratio: stats::percentile_interval_95(ratios),
        csu_a_mean: stats::percentile_interval_95(a_means),
        csu_b_mean: stats::percentile_interval_95(b_means),
        csu_ratio: stats::percentile_interval_95(csu_ratios),
        north_lowest_share: north_lowest as f64 / resamples.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_is_seeded_and_medians_stay_in_range() {
        let g = Groups {
            all: vec![],
            region: [
                vec![0.0, 1.0, 1.0, 2.0],
                vec![2.0, 4.0, 4.0, 6.0],
                vec![1.0, 2.0, 3.0, 3.0],
                vec![4.0, 8.0, 8.0, 9.0],
            ],
            csu_a: vec![4.0, 8.0, 8.0, 9.0],
            csu_b: vec![0.0, 1.0, 1.0, 2.0],
        };
        for sampler in [Sampler::Items, Sampler::Counts] {
            let i1 = bootstrap_by(&g, 200, 3, sampler, &Progress::default());
            let i2 = bootstrap_by(&g, 200, 3, sampler, &Progress::default());
            assert_eq!(i1, i2);
            // Each interval holds the sample's own figure and is not a single point (a
            // resampler that drew from the wrong group, or never varied, would fail this).
            let (lo, hi) = i1.region_median[3];
            assert!(lo <= 8.0 && 8.0 <= hi && lo < hi, "{sampler:?} {lo} {hi}");
            let (lo, hi) = i1.csu_b_mean;
            assert!(lo <= 1.0 && 1.0 <= hi && lo < hi, "{sampler:?} {lo} {hi}");
        }
    }

    #[test]
    fn intervals_compare_by_value_with_undefined_ends_alike() {
        let i = Intervals {
            resamples: 10,
            region_median: [(0.0, 2.0), (1.0, 3.0), (2.0, 4.0), (3.0, 5.0)],
            median_ratio: (3.0, f64::NAN),
            csu_a_mean: (1.0, 2.0),
            csu_b_mean: (0.5, 1.0),
            csu_ratio: (1.0, 4.0),
            north_lowest_share: 0.5,
        };
        assert_eq!(i, i.clone());
        let mut other = i.clone();
        other.region_median[3].1 = 5.5;
        assert_ne!(i, other);
        let mut other = i.clone();
        other.median_ratio.1 = 9.0;
        assert_ne!(i, other);
        let mut other = i.clone();
        other.north_lowest_share = f64::NAN;
        assert_ne!(i, other);
    }
}
