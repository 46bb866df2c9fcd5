//! `calibration`: do the tests keep their promise? The data are reconstructed afresh under
//! `--calibrate none` (no regional or CSU effect put in) for many seeds, and each test of a
//! divide is run on each: how often it rejects at 5% should be near 5%. Too slow for every
//! `analyse`, so the result is written to `data/calibration.json`, which findings.md reports
//! with the command that produced it.

use crate::io::calibration::{input_hashes, CalibrationRecord};
use crate::io::published::{self, Published};
use crate::io::read;
use crate::model;
use crate::progress::Progress;
use crate::stages::groups::groups;
use crate::stages::headline::{headline, DEFAULT_CSU_A, DEFAULT_CSU_B};
use crate::stages::reconstruct::{reconstruct, Calibration};
use crate::stages::score::score_and_summarise;
use crate::stages::{adjusted, csu_within_region, significance};
use crate::stats;
use anyhow::Result;
use std::path::Path;

/// The four tests' p-values on one reconstruction.
fn p_values(
    counts: &polars::prelude::DataFrame,
    w: &crate::model::weights::Weights,
    perms: usize,
    seed: u64,
) -> Result<[Option<f64>; 4]> {
    let scored = score_and_summarise(counts, w)?;
    let compare = (DEFAULT_CSU_A, DEFAULT_CSU_B);
    let h = headline(&scored, compare)?;
    let g = groups(&scored.ccgs, compare)?;
    let present: Vec<Vec<f64>> = g.region.iter().filter(|x| !x.is_empty()).cloned().collect();
    let none = Progress::default();
    let sig = significance::significance(&g, h.median_ratio, perms, seed, &none);
    let csu = csu_within_region::csu_within_region(&scored.ccgs, perms, seed, &none)?;
    let adj = adjusted::adjusted_region(&scored.ccgs)?;
    let finite = |p: f64| Some(p).filter(|p| p.is_finite());
    Ok([
        finite(stats::kruskal_wallis(&present).2),
        finite(sig.permutation_p),
        finite(csu.permutation_p),
        adj.and_then(|a| finite(a.p_region)),
    ])
}

pub fn run(
    data_dir: &Path,
    seeds: usize,
    permutations: usize,
    command: &str,
) -> Result<CalibrationRecord> {
    let inputs = read::load(data_dir, None)?;
    // The CCGs as `analyse` reads them (any encoding or a workbook), not a second reader.
    let ccgs = model::ccg_records(&inputs.ccgs)?;
    let p = Published::load(&data_dir.join(published::DIR))?;
    let frame = &inputs.ccgs;
    let names = [
        "Kruskal–Wallis across regions",
        "permutation test of the regional median ratio",
        "CSU labels shuffled within regions",
        "adjusted region effect (F test)",
    ];
    let mut tally = [(0usize, 0usize); 4];
    for seed in 1..=seeds as u64 {
        let rec = reconstruct(&ccgs, &p, &inputs.weights, seed, Calibration::None)?;
        let ps = p_values(
            &rec.count_table(frame)?,
            &inputs.weights,
            permutations,
            seed,
        )?;
        for (t, p) in tally.iter_mut().zip(ps) {
            if let Some(p) = p {
                t.0 += usize::from(p < 0.05);
                t.1 += 1;
            }
        }
    }
    Ok(CalibrationRecord {
        command: command.to_string(),
        seeds,
        permutations,
        rejections: names
            .iter()
            .zip(tally)
            .map(|(n, (r, runs))| (n.to_string(), r, runs))
            .collect(),
        inputs_sha256: input_hashes(inputs.files.iter().chain(&p.files)),
    })
}
