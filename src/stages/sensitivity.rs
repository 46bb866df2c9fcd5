//! The `sensitivity` stage: reconstruction sensitivity. The data are reconstructed afresh under
//! `--calibrate none` (no regional or CSU effect put in) for several seeds, and each claim is
//! judged again: how often it holds is what the published facts alone imply for it.

use crate::model::published::Published;
use crate::model::weights::Weights;
use crate::model::Ccg;
use crate::progress::Progress;
use crate::stages::headline::{judge, verdicts, Verdict};
use crate::stages::reconstruct::{reconstruct, Calibration};
use anyhow::Result;
use polars::prelude::DataFrame;
use serde::Serialize;

/// How often each claim holds across reconstruction seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    pub calibration: String,
    pub seeds: Vec<u64>,
    pub holds: [usize; 5],
    /// Seeds under which the claim cannot be assessed (an undefined figure).
    pub cannot_be_assessed: [usize; 5],
    /// Each seed's figure for each claim (share, the two rank correlations, the median ratio,
    /// the CSU ratio), in seed order: the marks of bounds.png.
    pub figures: Vec<[f64; 5]>,
}

/// Seeds used by the sensitivity stage.
pub fn sensitivity_seeds(n: usize) -> Vec<u64> {
    (1..=n as u64).collect()
}

/// `ccgs` and `ccg_frame` are the same CCGs as records (for the reconstruction) and as the
/// frame (for the count table). Seeds run on two threads; the tally does not depend on order.
pub fn sensitivity(
    ccgs: &[Ccg],
    ccg_frame: &DataFrame,
    p: &Published,
    weights: &Weights,
    compare: (&str, &str),
    n_seeds: usize,
    progress: &Progress,
) -> Result<Sensitivity> {
    let seeds = sensitivity_seeds(n_seeds);
    let judge_seed = |seed: u64| -> Result<([Verdict; 5], [f64; 5])> {
        let rec = reconstruct(ccgs, p, weights, seed, Calibration::None)?;
        let h = judge(&rec.count_table(ccg_frame)?, weights, compare)?;
        progress.advance("reconstruction sensitivity", 1, n_seeds as u64);
        let figures = h.claim_figures();
        Ok((verdicts(&h, compare), figures))
    };
    let (first, second) = seeds.split_at(seeds.len() / 2);
    let tally = |part: &[u64]| -> Result<Vec<([Verdict; 5], [f64; 5])>> {
        part.iter().map(|&s| judge_seed(s)).collect()
    };
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| tally(second));
        (tally(first), other.join().expect("sensitivity thread"))
    });
    let (mut holds, mut cannot_be_assessed) = ([0usize; 5], [0usize; 5]);
    let mut figures = vec![];
    for (v, fig) in a?.into_iter().chain(b?) {
        figures.push(fig);
        for k in 0..5 {
            holds[k] += usize::from(v[k].reproduced());
            cannot_be_assessed[k] += usize::from(v[k].reason().is_some());
        }
    }
    Ok(Sensitivity {
        calibration: Calibration::None.as_str().into(),
        seeds,
        holds,
        cannot_be_assessed,
        figures,
    })
}
