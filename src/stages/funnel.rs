//! Funnel plot limits (after Spiegelhalter 2005): if a CCG's score were the overall mean plus
//! noise whose variance shrinks with size, σ²·(n̄/n), its score would fall within
//! mean ± z·σ·√(n̄/n). σ is estimated from the data on that scale, so the limits carry the
//! observed overdispersion (as FunnelPlotR does) rather than assuming Poisson noise.

use crate::stats;

/// Funnel plot: each CCG's score against population with control limits around the overall mean.
pub struct Funnel {
    pub points: Vec<(f64, f64, String)>,
    /// (population, lower95, upper95, lower99.8, upper99.8) sampled along the x range.
    pub limits: Vec<(f64, f64, f64, f64, f64)>,
    pub centre: f64,
}

/// z for two-sided 95% and 99.8% limits.
const Z95: f64 = 1.959_964;
const Z998: f64 = 3.090_232;

/// Centre, scale σ and mean population n̄ of the funnel.
fn funnel_parameters(population: &[f64], score: &[f64]) -> (f64, f64, f64) {
    let centre = stats::mean(score);
    let nbar = stats::mean(population);
    let scaled: Vec<f64> = population
        .iter()
        .zip(score)
        .map(|(n, y)| (y - centre) * (n / nbar).sqrt())
        .collect();
    let k = scaled.len() as f64;
    let sigma = (scaled.iter().map(|z| z * z).sum::<f64>() / (k - 1.0).max(1.0)).sqrt();
    (centre, sigma, nbar)
}

pub fn funnel(population: &[f64], score: &[f64], region: &[String]) -> Funnel {
    let (centre, sigma, nbar) = funnel_parameters(population, score);
    let lo = population
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(1.0);
    let hi = population.iter().copied().fold(1.0, f64::max);
    let steps = 120;
    let limits = (0..=steps)
        .map(|i| {
            let n = lo * (hi / lo).powf(i as f64 / steps as f64);
            let half = |z: f64| z * sigma * (nbar / n).sqrt();
            (
                n,
                centre - half(Z95),
                centre + half(Z95),
                centre - half(Z998),
                centre + half(Z998),
            )
        })
        .collect();
    Funnel {
        points: population
            .iter()
            .zip(score)
            .zip(region)
            .map(|((n, y), r)| (*n, *y, r.clone()))
            .collect(),
        limits,
        centre,
    }
}

/// How many points fall outside the 95% and 99.8% limits (above, below).
pub fn outside(population: &[f64], score: &[f64]) -> ((usize, usize), (usize, usize)) {
    let (centre, sigma, nbar) = funnel_parameters(population, score);
    let mut out = ((0, 0), (0, 0));
    for (n, y) in population.iter().zip(score) {
        let half = sigma * (nbar / n).sqrt();
        if *y > centre + Z95 * half {
            out.0 .0 += 1;
        }
        if *y < centre - Z95 * half {
            out.0 .1 += 1;
        }
        if *y > centre + Z998 * half {
            out.1 .0 += 1;
        }
        if *y < centre - Z998 * half {
            out.1 .1 += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_by_hand() {
        // populations 100 and 400 (n̄ = 250), scores 1 and 3 (mean 2):
        // scaled residuals −1·√0.4 and 1·√1.6; σ² = (0.4 + 1.6)/1 = 2
        let (c, s, nbar) = funnel_parameters(&[100.0, 400.0], &[1.0, 3.0]);
        assert_eq!(c, 2.0);
        assert_eq!(nbar, 250.0);
        assert!((s - 2f64.sqrt()).abs() < 1e-12);
        // Limits narrow as size grows.
        let f = funnel(&[100.0, 400.0], &[1.0, 3.0], &["a".into(), "b".into()]);
        let first = f.limits.first().unwrap();
        let last = f.limits.last().unwrap();
        assert!(first.2 - first.1 > last.2 - last.1);
    }
}
