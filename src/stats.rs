//! Statistics on plain slices: order statistics, rank correlation, and the tests the report uses.
//! Distributions come from statrs; everything here is deterministic.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::factorial::ln_binomial;
use statrs::stats_tests::{fishers_exact, Alternative};

pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile by linear interpolation between order statistics (R type 7, numpy default).
pub fn quantile(x: &[f64], q: f64) -> f64 {
    quantile_sorted(&sorted(x), q)
}

pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// The 2.5% and 97.5% quantiles of bootstrap draws (a percentile interval). NaN draws (an
/// undefined figure in that resample) are left out; infinite ratios sort last, so an interval
/// can honestly end at infinity.
pub fn percentile_interval_95(mut draws: Vec<f64>) -> (f64, f64) {
    draws.retain(|x| !x.is_nan());
    draws.sort_by(f64::total_cmp);
    (
        quantile_sorted(&draws, 0.025),
        quantile_sorted(&draws, 0.975),
    )
}

/// Median by selection (linear time: it runs inside every resample).
pub fn median(x: &[f64]) -> f64 {
    median_in_place(&mut x.to_vec())
}

/// Median without copying; reorders `v` (for hot loops that own a scratch buffer).
pub fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        hi
    } else {
        let lo = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// Ranks 1..n, ties given their average rank.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
    ranks
}

pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&average_ranks(x), &average_ranks(y))
}

/// A correlation with its two-sided p-value and 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Correlation {
    pub r: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub n: usize,
}

/// The smallest |r| significant at 5% (two-sided) among n pairs, by the same t approximation
/// as `correlation_p_value` (0.135 for 211 CCGs).
pub fn critical_correlation(n: usize) -> f64 {
    if n < 3 {
        return f64::NAN;
    }
    let df = (n - 2) as f64;
    let t = StudentsT::new(0.0, 1.0, df)
        .expect("df > 0")
        .inverse_cdf(0.975);
    t / (df + t * t).sqrt()
}

/// Two-sided p-value of a correlation coefficient by the t approximation with n−2 df
/// (as R's cor.test for Pearson, and scipy's spearmanr).
pub fn correlation_p_value(r: f64, n: usize) -> f64 {
    if n < 3 || !r.is_finite() {
        return f64::NAN;
    }
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = (n - 2) as f64;
    let t = r * (df / (1.0 - r * r)).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    2.0 * dist.cdf(-t.abs())
}

/// 95% interval by Fisher's z; `se_factor` is 1 for Pearson and 1.06 for Spearman (Fieller et al. 1957).
fn fisher_interval(r: f64, n: usize, se_factor: f64) -> (f64, f64) {
    if n < 4 || !r.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let z = r.clamp(-0.999_999, 0.999_999).atanh();
    let se = (se_factor / (n as f64 - 3.0)).sqrt();
    let q = Normal::standard().inverse_cdf(0.975);
    ((z - q * se).tanh(), (z + q * se).tanh())
}

pub fn pearson_test(x: &[f64], y: &[f64]) -> Correlation {
    let r = pearson(x, y);
    let (ci_low, ci_high) = fisher_interval(r, x.len(), 1.0);
    Correlation {
        r,
        p_value: correlation_p_value(r, x.len()),
        ci_low,
        ci_high,
        n: x.len(),
    }
}

pub fn spearman_test(x: &[f64], y: &[f64]) -> Correlation {
    let r = spearman(x, y);
    let (ci_low, ci_high) = fisher_interval(r, x.len(), 1.06);
    Correlation {
        r,
        p_value: correlation_p_value(r, x.len()),
        ci_low,
        ci_high,
        n: x.len(),
    }
}

/// Kruskal–Wallis H (tie-corrected), its degrees of freedom and chi-squared p-value.
pub fn kruskal_wallis(groups: &[Vec<f64>]) -> (f64, usize, f64) {
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let ranks = average_ranks(&all);
    let mut h = 0.0;
    let mut start = 0;
    for g in groups {
        let r: f64 = ranks[start..start + g.len()].iter().sum();
        if !g.is_empty() {
            h += r * r / g.len() as f64;
        }
        start += g.len();
    }
    h = 12.0 / (n * (n + 1.0)) * h - 3.0 * (n + 1.0);
    let ties = tie_sum(&all);
    let correction = 1.0 - ties / (n * n * n - n);
    if correction > 0.0 {
        h /= correction;
    }
    let df = groups
        .iter()
        .filter(|g| !g.is_empty())
        .count()
        .saturating_sub(1);
    let p = if df == 0 {
        f64::NAN
    } else {
        1.0 - ChiSquared::new(df as f64).expect("df > 0").cdf(h)
    };
    (h, df, p)
}

/// Σ (t³ − t) over groups of tied values.
fn tie_sum(x: &[f64]) -> f64 {
    let v = sorted(x);
    let mut s = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        s += t * t * t - t;
        i = j + 1;
    }
    s
}

/// Mann–Whitney U of `a` against `b`, with the two-sided p-value from the normal
/// approximation with tie and continuity corrections (R's wilcox.test, exact = FALSE).
pub fn mann_whitney(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let ranks = average_ranks(&all);
    let r1: f64 = ranks[..a.len()].iter().sum();
    let u = r1 - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let mu = n1 * n2 / 2.0;
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - tie_sum(&all) / (n * (n - 1.0)))).sqrt();
    if sigma == 0.0 || !sigma.is_finite() {
        return (u, 1.0);
    }
    let z = ((u - mu).abs() - 0.5).max(0.0) / sigma;
    (u, (2.0 * (1.0 - Normal::standard().cdf(z))).min(1.0))
}

/// Holm's step-down adjustment of p-values (returned in the input order).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (k, &i) in idx.iter().enumerate() {
        running = running.max(((m - k) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Two-sided Fisher's exact test for the 2×2 table [[a, b], [c, d]] (statrs; the p-value sums
/// the probabilities of all tables with the same margins no more likely than the observed one).
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    fishers_exact(&[a, b, c, d], Alternative::TwoSided).unwrap_or(f64::NAN)
}

/// Fisher's exact test of one group against the rest: `k[g]` of `n[g]` in the group against
/// the other groups' `k` of `n` together (a region against the other regions, say).
pub fn fisher_group_vs_rest(k: &[usize], n: &[usize], g: usize) -> f64 {
    let (k_rest, n_rest) = (
        k.iter().sum::<usize>() - k[g],
        n.iter().sum::<usize>() - n[g],
    );
    fisher_exact(
        k[g] as u64,
        (n[g] - k[g]) as u64,
        k_rest as u64,
        (n_rest - k_rest) as u64,
    )
}

/// A permutation p-value, (1 + hits) / (1 + shuffles). The shuffles are split into two fixed
/// halves, each with its own seeded stream, run on two threads: the count is the same whatever
/// the scheduling. `hits(rng, count)` does `count` shuffles and says how many reached the
/// observed statistic.
pub fn permutation_p_on_two_streams(
    seed: u64,
    permutations: usize,
    hits: impl Fn(&mut rand_chacha::ChaCha8Rng, usize) -> usize + Sync,
) -> f64 {
    use rand::SeedableRng;
    let half = |stream: u64, count: usize| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        hits(&mut rng, count)
    };
    let first = permutations / 2;
    let at_least = std::thread::scope(|s| {
        let other = s.spawn(|| half(1, permutations - first));
        half(0, first) + other.join().expect("permutation thread")
    });
    (1 + at_least) as f64 / (1 + permutations) as f64
}

/// The conditional maximum-likelihood odds ratio of the 2×2 table [[a, b], [c, d]] with its
/// exact 95% interval (as R's fisher.test and scipy's `odds_ratio(kind="conditional")`): the
/// first cell follows Fisher's noncentral hypergeometric distribution given the margins, and
/// the bounds are the odds ratios under which the observed cell sits in a 2.5% tail. A cell at
/// the edge of its range gives an estimate of 0 or infinity and a one-sided bound.
pub fn odds_ratio_exact(a: u64, b: u64, c: u64, d: u64) -> (f64, f64, f64) {
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    let (lo, hi) = (row1.saturating_sub(n - col1), row1.min(col1));
    // log C(row1, x) + log C(n - row1, col1 - x): the weights at odds ratio 1.
    let base: Vec<f64> = (lo..=hi)
        .map(|x| ln_binomial(row1, x) + ln_binomial(n - row1, col1 - x))
        .collect();
    // Probabilities of each x under odds ratio e^t.
    let pmf = |t: f64| -> Vec<f64> {
        let logs: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, w)| w + t * (lo + i as u64) as f64)
            .collect();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / total).collect()
    };
    let k = (a - lo) as usize;
    let mean = |t: f64| {
        pmf(t)
            .iter()
            .enumerate()
            .map(|(i, p)| (lo + i as u64) as f64 * p)
            .sum::<f64>()
    };
    let upper_tail = |t: f64| pmf(t)[k..].iter().sum::<f64>();
    let lower_tail = |t: f64| pmf(t)[..=k].iter().sum::<f64>();
    // f increasing in t: the t where f(t) = target, by bisection on log odds ratio.
    let solve = |f: &dyn Fn(f64) -> f64, target: f64| -> f64 {
        let (mut l, mut h) = (-60.0f64, 60.0f64);
        for _ in 0..200 {
            let m = (l + h) / 2.0;
            if f(m) < target {
                l = m;
            } else {
                h = m;
            }
        }
        ((l + h) / 2.0).exp()
    };
    let estimate = if a == lo {
        0.0
    } else if a == hi {
        f64::INFINITY
    } else {
        solve(&mean, a as f64)
    };
    let low = if a == lo {
        0.0
    } else {
        solve(&upper_tail, 0.025)
    };
    let high = if a == hi {
        f64::INFINITY
    } else {
        solve(&|t| -lower_tail(t), -0.025)
    };
    (estimate, low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_critical_correlation_is_where_p_crosses_5_percent() {
        for n in [10, 211, 5000] {
            let r = critical_correlation(n);
            assert!((correlation_p_value(r, n) - 0.05).abs() < 1e-9, "n = {n}");
        }
        // By hand for 211 pairs: t(0.975, 209) = 1.9713, r = t / sqrt(209 + t^2) = 0.1351.
        assert!((critical_correlation(211) - 0.1351).abs() < 5e-4);
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn order_statistics_by_hand() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[2.0, 2.0, 9.0, 1.0, 7.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        // type 7: h = 3 * 0.25 = 0.75 → 1 + 0.75 * (2 - 1)
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0]),
            vec![2.0, 3.5, 3.5, 1.0]
        );
    }

    #[test]
    fn pearson_and_spearman_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 5.0, 4.0, 5.0];
        // Σdxdy = 6, Σdx² = 10, Σdy² = 6 → r = 6 / √60
        assert!(close(pearson(&x, &y), 6.0 / 60f64.sqrt(), 1e-12));
        // ranks of y: 1, 2.5, 4.5, 2.5, 4.5 → Σ = 7, Σdy² = 9 → ρ = 7 / √90
        assert!(close(spearman(&x, &y), 7.0 / 90f64.sqrt(), 1e-12));
        // t = r √(3 / (1 − r²)) = 2.1213 on 3 df → p = 0.1240 (R: cor.test)
        assert!(close(
            correlation_p_value(6.0 / 60f64.sqrt(), 5),
            0.1240,
            5e-4
        ));
    }

    #[test]
    fn tied_data_use_the_tie_corrections() {
        // Hand-worked in python from the textbook formulas (average ranks; H divided by
        // 1 − Σ(t³−t)/(N³−N); with 3 groups the chi-squared(2) tail is exp(−H/2)).
        let (h, df, p) = kruskal_wallis(&[
            vec![1.0, 2.0, 2.0, 3.0],
            vec![2.0, 3.0, 3.0, 4.0],
            vec![4.0, 4.0, 5.0, 5.0],
        ]);
        assert_eq!(df, 2);
        assert!((h - 8.018_315_018_315_018).abs() < 1e-9, "{h}");
        assert!((p - 0.018_148_678_893_497_73).abs() < 1e-9, "{p}");
        // Mann–Whitney with ties: U = 4; sigma with the tie term, continuity 0.5, normal tail
        // by erfc: p = 0.0497460 (as R's wilcox.test(exact = FALSE, correct = TRUE)).
        let (u, p) = mann_whitney(&[1.0, 2.0, 2.0, 3.0, 3.0], &[2.0, 3.0, 4.0, 4.0, 5.0, 5.0]);
        assert_eq!(u, 4.0);
        assert!((p - 0.049_745_990_721_503_01).abs() < 1e-9, "{p}");
    }

    #[test]
    fn spearman_interval_by_fisher_z_with_the_1_06_factor() {
        // tanh(atanh(0.5) ± 1.959964·sqrt(1.06/17)), by hand.
        let (lo, hi) = fisher_interval(0.5, 20, 1.06);
        assert!((lo - 0.059_820_438_577_174_83).abs() < 1e-9, "{lo}");
        assert!((hi - 0.777_382_238_586_295_6).abs() < 1e-9, "{hi}");
    }

    #[test]
    fn kruskal_wallis_textbook() {
        // Rank sums 6, 15, 24 of n = 9: H = 12/90 · (36 + 225 + 576)/3 − 30 = 7.2; p = e^(−3.6)
        let (h, df, p) = kruskal_wallis(&[
            vec![1.0, 2.0, 3.0],
            vec![4.0, 5.0, 6.0],
            vec![7.0, 8.0, 9.0],
        ]);
        assert!(close(h, 7.2, 1e-12));
        assert_eq!(df, 2);
        assert!(close(p, (-3.6f64).exp(), 1e-9));
    }

    #[test]
    fn mann_whitney_normal_approximation() {
        // U = 0, μ = 4.5, σ = √5.25, z = (4.5 − 0.5)/σ = 1.7457 → p = 0.0809 (R: wilcox.test exact=FALSE)
        let (u, p) = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert_eq!(u, 0.0);
        assert!(close(p, 0.0809, 5e-4), "{p}");
    }

    #[test]
    fn holm_adjustment() {
        assert_eq!(holm(&[0.01, 0.04, 0.03]), vec![0.03, 0.06, 0.06]);
    }

    #[test]
    fn exact_odds_ratios_match_an_independent_implementation() {
        // Values from scipy 1.17 `odds_ratio(table, kind="conditional")`, 95% interval.
        let cases = [
            (
                (3, 1, 1, 3),
                (6.408319658199662, 0.21173559544657966, 626.2435305888141),
            ),
            (
                (2, 13, 24, 170),
                (1.08928301324918, 0.11264814718674268, 5.288942384296489),
            ),
            (
                (5, 10, 21, 173),
                (4.077172942244284, 0.9963677191775295, 14.700377968295681),
            ),
        ];
        for ((a, b, c, d), (est, lo, hi)) in cases {
            let (e, l, h) = odds_ratio_exact(a, b, c, d);
            for (ours, theirs) in [(e, est), (l, lo), (h, hi)] {
                assert!(
                    (ours / theirs - 1.0).abs() < 1e-6,
                    "{a},{b},{c},{d}: {ours} vs {theirs}"
                );
            }
        }
        // A zero cell: estimate 0, lower bound 0, upper 1.9401821293734398 (scipy).
        let (e, l, h) = odds_ratio_exact(0, 15, 26, 168);
        assert_eq!((e, l), (0.0, 0.0));
        assert!((h / 1.9401821293734398 - 1.0).abs() < 1e-6, "{h}");
    }

    #[test]
    fn one_group_against_the_rest() {
        // Group 0 holds the one "yes" among four groups of one: [[1, 0], [0, 3]]; with one
        // "yes" in four, P(it falls in group 0) = 1/4, and the other table (3/4) is more
        // likely, so the two-sided p is 1/4.
        assert!((fisher_group_vs_rest(&[1, 0, 0, 0], &[1, 1, 1, 1], 0) - 0.25).abs() < 1e-12);
        // Group 1 against the rest: [[0, 1], [1, 2]], which is the likelier table: p = 1.
        assert!((fisher_group_vs_rest(&[1, 0, 0, 0], &[1, 1, 1, 1], 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn fisher_tea_tasting() {
        // Fisher's lady tasting tea, [[3,1],[1,3]]: two-sided p = 34/70
        assert!(close(fisher_exact(3, 1, 1, 3), 34.0 / 70.0, 1e-9));
        // [[4,0],[0,4]]: p = 2/70
        assert!(close(fisher_exact(4, 0, 0, 4), 2.0 / 70.0, 1e-9));
    }
}
