//! Medians (and means) of resamples and random splits, drawn fast: scores as distinct values
//! with counts (`ValueCounts`). The median of a resample, or of a random split into regions,
//! depends only on how many copies of each value it holds; drawing those counts
//! (hypergeometric for a split, binomial for resampling with replacement) gives exactly the same
//! distribution as shuffling or resampling the scores one by one, at a cost that grows with the
//! number of distinct values rather than with the number of CCGs.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Hypergeometric};

/// How a resampling kernel draws: one score at a time (cheapest when most scores differ), or
/// counts of distinct scores (cheapest when many tie, as whole-number scores of many CCGs do).
/// Both give exactly the same distribution; a given input always takes the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    Items,
    Counts,
}

impl Sampler {
    /// Counts pay once there are several times as many scores as distinct values.
    pub fn for_scores(n: usize, distinct: usize) -> Sampler {
        if n > 8 * distinct {
            Sampler::Counts
        } else {
            Sampler::Items
        }
    }
}

/// One group's scores, ready to be resampled with replacement by either sampler.
pub struct Resampler<'a> {
    items: &'a [f64],
    value_counts: ValueCounts,
    /// How many copies of each value the latest resample drew (`Sampler::Counts`).
    counts: Vec<u64>,
    /// The latest resample itself (`Sampler::Items`).
    scratch: Vec<f64>,
    sampler: Sampler,
}

impl<'a> Resampler<'a> {
    pub fn new(items: &'a [f64], sampler: Sampler) -> Self {
        let value_counts = ValueCounts::of(items);
        Resampler {
            items,
            counts: vec![0; value_counts.values.len()],
            value_counts,
            scratch: Vec::with_capacity(items.len()),
            sampler,
        }
    }

    fn draw(&mut self, rng: &mut impl Rng) {
        match self.sampler {
            Sampler::Items => {
                let n = self.items.len();
                self.scratch.clear();
                self.scratch
                    .extend((0..n).map(|_| self.items[rng.gen_range(0..n)]));
            }
            Sampler::Counts => resample_counts(&self.value_counts, rng, &mut self.counts),
        }
    }

    /// The median of a fresh resample.
    pub fn median(&mut self, rng: &mut impl Rng) -> f64 {
        self.draw(rng);
        match self.sampler {
            Sampler::Items => crate::stats::median_in_place(&mut self.scratch),
            Sampler::Counts => median_of_counts(&self.value_counts.values, &self.counts),
        }
    }

    /// The mean of a fresh resample.
    pub fn mean(&mut self, rng: &mut impl Rng) -> f64 {
        self.draw(rng);
        match self.sampler {
            Sampler::Items => crate::stats::mean(&self.scratch),
            Sampler::Counts => mean_of_counts(&self.value_counts.values, &self.counts),
        }
    }
}

/// ValueCounts values in increasing order, and how many times each occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueCounts {
    pub values: Vec<f64>,
    pub counts: Vec<u64>,
}

impl ValueCounts {
    pub fn of(x: &[f64]) -> ValueCounts {
        let mut sorted = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut d = ValueCounts {
            values: vec![],
            counts: vec![],
        };
        for v in sorted {
            if d.values.last() == Some(&v) {
                *d.counts.last_mut().unwrap() += 1;
            } else {
                d.values.push(v);
                d.counts.push(1);
            }
        }
        d
    }

    pub fn len(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// The median of a multiset given as counts of `values` (n = Σ counts > 0), as `stats::median`
/// computes it: the middle value, or the mean of the two middle values.
pub fn median_of_counts(values: &[f64], counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return f64::NAN;
    }
    let (lo_rank, hi_rank) = ((n - 1) / 2, n / 2);
    let (mut seen, mut lo) = (0u64, f64::NAN);
    for (v, &c) in values.iter().zip(counts) {
        if lo.is_nan() && seen + c > lo_rank {
            lo = *v;
        }
        if seen + c > hi_rank {
            return if n % 2 == 1 { *v } else { (lo + *v) / 2.0 };
        }
        seen += c;
    }
    unreachable!("ranks lie within n")
}

/// Σ value · count / n.
fn mean_of_counts(values: &[f64], counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    values
        .iter()
        .zip(counts)
        .map(|(v, &c)| v * c as f64)
        .sum::<f64>()
        / n as f64
}

/// Counts of a resample with replacement of `d.len()` items from `d` (multinomial, drawn as a
/// chain of binomials), written into `out`.
fn resample_counts(d: &ValueCounts, rng: &mut impl Rng, out: &mut [u64]) {
    let mut left = d.len();
    let mut weight_left = left;
    for (k, &m) in d.counts.iter().enumerate() {
        out[k] = if left == 0 {
            0
        } else if m == weight_left {
            left
        } else {
            let p = m as f64 / weight_left as f64;
            Binomial::new(left, p).expect("0 <= p <= 1").sample(rng)
        };
        left -= out[k];
        weight_left -= m;
    }
}

/// Below this many copies of a value, a split places them one by one: cheaper than setting up
/// a hypergeometric sampler, and the same distribution.
const FEW: u64 = 16;

/// Counts of a random split of `d` into groups of the given sizes (Σ sizes = d.len()): each
/// group drawn without replacement from what the earlier groups left (hypergeometric chains).
/// `out[g]` receives group g's counts.
pub fn split_counts(d: &ValueCounts, sizes: &[u64], rng: &mut impl Rng, out: &mut [Vec<u64>]) {
    let mut remaining = d.counts.clone();
    let mut total_left = d.len();
    for (g, &size) in sizes.iter().enumerate() {
        let mut draws = size;
        let mut pool = total_left;
        for (k, m) in remaining.iter_mut().enumerate() {
            let c = if draws == 0 || *m == 0 {
                0
            } else if pool == draws {
                *m
            } else if *m == pool {
                draws
            } else if *m <= FEW {
                // A few copies: place each in turn (no sampler to set up).
                let (mut c, mut d, mut left) = (0, draws, pool);
                for _ in 0..*m {
                    if rng.gen_range(0..left) < d {
                        c += 1;
                        d -= 1;
                    }
                    left -= 1;
                }
                c
            } else {
                Hypergeometric::new(pool, *m, draws)
                    .expect("valid urn")
                    .sample(rng)
            };
            out[g][k] = c;
            pool -= *m;
            draws -= c;
            *m -= c;
        }
        total_left -= size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn medians_and_means_of_counts_match_the_plain_ones() {
        for x in [
            vec![4.0, 1.0, 3.0, 2.0],
            vec![5.0, 1.0, 3.0],
            vec![2.0, 2.0, 9.0, 1.0, 7.0, 3.0],
            vec![0.0, 0.0, 0.0, 1.0],
            vec![7.5],
        ] {
            let d = ValueCounts::of(&x);
            assert_eq!(
                median_of_counts(&d.values, &d.counts),
                stats::median(&x),
                "{x:?}"
            );
            assert_eq!(
                mean_of_counts(&d.values, &d.counts),
                stats::mean(&x),
                "{x:?}"
            );
        }
        assert_eq!(
            ValueCounts::of(&[3.0, 1.0, 3.0, 0.0]),
            ValueCounts {
                values: vec![0.0, 1.0, 3.0],
                counts: vec![1, 1, 2]
            }
        );
    }

    #[test]
    fn splits_and_resamples_keep_their_totals() {
        let d = ValueCounts::of(&[0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 5.0, 9.0, 9.0, 9.0]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut out = vec![vec![0u64; d.values.len()]; 3];
        for _ in 0..200 {
            split_counts(&d, &[3, 3, 4], &mut rng, &mut out);
            for (g, size) in [3u64, 3, 4].iter().enumerate() {
                assert_eq!(out[g].iter().sum::<u64>(), *size);
            }
            for k in 0..d.values.len() {
                assert_eq!(out.iter().map(|o| o[k]).sum::<u64>(), d.counts[k]);
            }
            let mut r = vec![0u64; d.values.len()];
            resample_counts(&d, &mut rng, &mut r);
            assert_eq!(r.iter().sum::<u64>(), 10);
        }
    }

    #[test]
    fn a_split_is_uniform_over_assignments() {
        // Values {0, 1, 1, 2} split into two groups of 2. By hand, C(4,2) = 6 equally likely
        // pairs for group 0: 01, 01, 02, 11, 12, 12; so {0,1} has probability 2/6, {1,2} 2/6,
        // {0,2} 1/6 and {1,1} 1/6.
        let d = ValueCounts::of(&[0.0, 1.0, 1.0, 2.0]);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut out = vec![vec![0u64; 3]; 2];
        let (mut pair01, mut pair11, n) = (0, 0, 60_000);
        for _ in 0..n {
            split_counts(&d, &[2, 2], &mut rng, &mut out);
            pair01 += usize::from(out[0] == [1, 1, 0]);
            pair11 += usize::from(out[0] == [0, 2, 0]);
        }
        let (f01, f11) = (pair01 as f64 / n as f64, pair11 as f64 / n as f64);
        assert!((f01 - 2.0 / 6.0).abs() < 0.01, "{f01}");
        assert!((f11 - 1.0 / 6.0).abs() < 0.01, "{f11}");
    }
}
