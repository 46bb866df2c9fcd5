//! `check-data`: the data against every published fact and aggregate, as a table.

use crate::io::published::{self, Published};
use crate::io::read;
use crate::stages::counts::count_table;
use crate::stages::data_checks::{self, Check};
use anyhow::Result;
use std::path::Path;

/// Every check, in order (ok or MISMATCH each), and how inputs not in UTF-8 CSV were read.
pub fn run(data_dir: &Path) -> Result<(Vec<Check>, Vec<String>)> {
    let inputs = read::load(data_dir, None)?;
    let p = Published::load(&data_dir.join(published::DIR))?;
    let counts = count_table(
        &inputs.ccgs,
        &inputs.condition_counts,
        inputs.evidence()?.as_ref(),
    )?;
    let checks = data_checks::check(&counts, &inputs.conditions, inputs.outcomes.as_deref(), &p)?;
    Ok((checks, inputs.notes))
}
