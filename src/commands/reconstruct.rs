//! `reconstruct`: write `conditions.csv` and `ccg_outcomes.csv` from the published facts and a
//! seed (the procedure itself is `stages::reconstruct`).

use crate::io::published::Published;
use crate::io::read::{load_ccg_records, CONDITIONS_FILE, OUTCOMES_FILE, WEIGHTS_FILE};
use crate::io::write::replace_file;
use crate::model::weights::Weights;
use crate::model::Evidence;
use crate::stages::reconstruct::{reconstruct, Calibration, Reconstruction};
use anyhow::{Context, Result};
use std::path::Path;

/// What a reconstruction run reports.
pub struct Summary {
    pub condition_rows: usize,
    pub ccgs: usize,
    pub ccgs_reconstructed: usize,
    pub attempts: usize,
    /// How ccgs.csv was read when it was not UTF-8 CSV (encoding, workbook sheet).
    pub notes: Vec<String>,
}

/// Reconstruct from `data_dir` (ccgs.csv, published/, weights.toml) into `out_dir`.
pub fn run(data_dir: &Path, out_dir: &Path, seed: u64, cal: Calibration) -> Result<Summary> {
    let (ccgs, notes) = load_ccg_records(data_dir)?;
    let p = Published::load(&data_dir.join(crate::io::published::DIR))?;
    let weights_path = data_dir.join(WEIGHTS_FILE);
    let weights = if weights_path.exists() {
        Weights::load(&weights_path)?
    } else {
        Weights::doubling()
    };
    let rec = reconstruct(&ccgs, &p, &weights, seed, cal)?;
    write(out_dir, &rec, &p)?;
    Ok(Summary {
        condition_rows: rec.conditions.len(),
        ccgs: rec.outcomes.len(),
        ccgs_reconstructed: rec
            .outcomes
            .iter()
            .filter(|o| o.evidence == Evidence::Reconstructed)
            .count(),
        attempts: rec.attempts,
        notes,
    })
}

/// conditions.csv and ccg_outcomes.csv as text (the official format plus provenance).
pub fn to_csv(rec: &Reconstruction, p: &Published) -> Result<(String, String)> {
    crate::render::tables::reconstruction_csv(rec, p)
}

/// Write the reconstruction into `out_dir` (each file replaced atomically).
pub fn write(out_dir: &Path, rec: &Reconstruction, p: &Published) -> Result<()> {
    let (conditions, outcomes) = to_csv(rec, p)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    replace_file(out_dir, CONDITIONS_FILE, &conditions)?;
    replace_file(out_dir, OUTCOMES_FILE, &outcomes)
}
