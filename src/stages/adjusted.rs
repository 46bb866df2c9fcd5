//! Does the regional divide survive adjusting for size and deprivation? A least-squares fit of
//! log(1 + score) on region (the North as baseline), log registered population and the IMD
//! score, with 95% intervals for each region's effect and an F test of the three together.

use crate::columns::{f64_slice, u32_slice};
use crate::model::REGIONS;
use nalgebra::{DMatrix, DVector};
use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, FisherSnedecor, StudentsT};

#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub term: String,
    pub estimate: f64,
    pub ci_95: (f64, f64),
}

#[derive(Debug, Clone, Serialize)]
pub struct AdjustedRegion {
    pub n: usize,
    /// Region effects relative to the North, then log population and IMD, on log(1 + score).
    pub effects: Vec<Effect>,
    /// F test that every region effect is 0, given size and deprivation.
    pub f_region: f64,
    pub p_region: f64,
    /// The region effects are jointly significant at 5% and each other region sits above the
    /// North.
    pub divide_survives: bool,
}

/// Least squares: coefficients, residual sum of squares and (X'X)⁻¹ (None if X is singular).
fn fit(x: &DMatrix<f64>, y: &DVector<f64>) -> Option<(DVector<f64>, f64, DMatrix<f64>)> {
    let xt = x.transpose();
    let chol = (&xt * x).cholesky()?;
    let beta = chol.solve(&(&xt * y));
    let resid = y - x * &beta;
    Some((beta, resid.norm_squared(), chol.inverse()))
}

/// The fit on the scored table; None when it cannot be made: no region beside the North, too
/// few CCGs, a singular design, or a perfect fit (every score equal).
pub fn adjusted_region(scored: &DataFrame) -> PolarsResult<Option<AdjustedRegion>> {
    let score = f64_slice(scored, "composite_score")?;
    let region = u32_slice(scored, "region_index")?;
    let pop = f64_slice(scored, "population")?;
    let imd = f64_slice(scored, "imd_score")?;
    let n = score.len();
    let present: Vec<usize> = (1..4).filter(|r| region.contains(&(*r as u32))).collect();
    let columns = |with_regions: bool| -> DMatrix<f64> {
        let dummies = if with_regions { present.len() } else { 0 };
        DMatrix::from_fn(n, 3 + dummies, |i, j| match j {
            0 => 1.0,
            j if j <= dummies => f64::from(region[i] as usize == present[j - 1]),
            j if j == dummies + 1 => pop[i].ln(),
            _ => imd[i],
        })
    };
    let y = DVector::from_iterator(n, score.iter().map(|s| s.ln_1p()));
    let (full, reduced) = (columns(true), columns(false));
    let p = full.ncols();
    if present.is_empty() || n <= p {
        return Ok(None);
    }
    let (Some((beta, rss, inv)), Some((_, rss_reduced, _))) = (fit(&full, &y), fit(&reduced, &y))
    else {
        return Ok(None);
    };
    let df = (n - p) as f64;
    let sigma2 = rss / df;
    if !(sigma2 > 0.0 && sigma2.is_finite()) {
        // A perfect fit (every score equal, say): no interval or test is defined.
        return Ok(None);
    }
    let t = StudentsT::new(0.0, 1.0, df)
        .expect("df > 0")
        .inverse_cdf(0.975);
    let names: Vec<String> = present
        .iter()
        .map(|&r| format!("{} (vs North of England)", REGIONS[r]))
        .chain(["log registered population".into(), "IMD score".into()])
        .collect();
    let effects: Vec<Effect> = names
        .into_iter()
        .enumerate()
        .map(|(k, term)| {
            let j = k + 1;
            let se = (sigma2 * inv[(j, j)]).sqrt();
            Effect {
                term,
                estimate: beta[j],
                ci_95: (beta[j] - t * se, beta[j] + t * se),
            }
        })
        .collect();
    let q = present.len() as f64;
    let f_region = ((rss_reduced - rss).max(0.0) / q) / sigma2;
    let p_region = 1.0 - FisherSnedecor::new(q, df).expect("df > 0").cdf(f_region);
    let divide_survives =
        p_region < 0.05 && effects[..present.len()].iter().all(|e| e.estimate > 0.0);
    Ok(Some(AdjustedRegion {
        n,
        effects,
        f_region,
        p_region,
        divide_survives,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From numpy.linalg.lstsq and scipy.stats (t and F), on the data of the test below.
    #[allow(clippy::excessive_precision)]
    const EXPECTED: ([(f64, f64, f64); 5], f64, f64) = (
        [
            (-1.0672019660983139, -3.970762382155498, 1.83635844995887),
            (1.508861204246479, 0.19515180991871173, 2.8225705985742464),
            (-0.7483800284044615, -3.8000789832688033, 2.3033189264598803),
            (0.5203397219031201, -0.6502141948424223, 1.6908936386486624),
            (
                -0.16510401092800175,
                -0.33205026888510975,
                0.0018422470291062365,
            ),
        ],
        8.936950659592272,
        0.10229887253688344,
    );

    #[test]
    fn fit_matches_an_independent_least_squares() {
        // Eight CCGs, two per region; values and the expected fit from numpy.linalg.lstsq and
        // scipy.stats (t and F distributions), computed outside this program.
        let df = df!(
            "composite_score" => [0.0, 3.0, 6.0, 12.0, 3.0, 5.0, 10.0, 20.0],
            "region_index" => [0u32, 0, 1, 1, 2, 2, 3, 3],
            "population" => [100000.0, 250000.0, 300000.0, 150000.0, 250000.0, 120000.0, 180000.0, 90000.0],
            "imd_score" => [30.0, 25.0, 15.0, 10.0, 35.0, 28.0, 12.0, 8.0],
        )
        .unwrap();
        let a = adjusted_region(&df).unwrap().unwrap();
        let want = EXPECTED;
        assert_eq!(a.effects.len(), want.0.len());
        for (e, (est, lo, hi)) in a.effects.iter().zip(want.0) {
            assert!(
                (e.estimate - est).abs() < 1e-9,
                "{}: {} vs {est}",
                e.term,
                e.estimate
            );
            assert!(
                (e.ci_95.0 - lo).abs() < 1e-6 && (e.ci_95.1 - hi).abs() < 1e-6,
                "{}",
                e.term
            );
        }
        assert!((a.f_region - want.1).abs() < 1e-6, "{}", a.f_region);
        assert!((a.p_region - want.2).abs() < 1e-6, "{}", a.p_region);
    }
}
