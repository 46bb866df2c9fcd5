//! `ccg-divide reconstruct`: write the seeded reconstruction of conditions and outcomes.

use super::print_notes;
use ccg_divide::commands;
use ccg_divide::error::exit;
use ccg_divide::stages::reconstruct::{self, Calibration};
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Where to write the two files [default: DATA_DIR/reconstructed].
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[arg(long, default_value_t = reconstruct::DEFAULT_SEED)]
    seed: u64,
    /// published-findings: lean the sampling towards the published headline findings (targets, not evidence);
    /// none: no regional or CSU effect.
    #[arg(long, value_enum, default_value_t = CalibrateArg::PublishedFindings)]
    calibrate: CalibrateArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum CalibrateArg {
    PublishedFindings,
    None,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let Args {
        data_dir,
        out_dir,
        seed,
        calibrate,
    } = args;
    let cal = match calibrate {
        CalibrateArg::PublishedFindings => Calibration::PublishedFindings,
        CalibrateArg::None => Calibration::None,
    };
    let out = out_dir.unwrap_or_else(|| data_dir.join(ccg_divide::io::read::RECONSTRUCTED_DIR));
    let rec = commands::reconstruct::run(&data_dir, &out, seed, cal)?;
    print_notes(&rec.notes);
    println!(
        "wrote {} condition rows for {} CCGs to {} (seed {seed}, calibrate {}, accepted draw {}); {} CCGs rest wholly on reconstruction",
        rec.condition_rows,
        rec.ccgs,
        out.display(),
        cal.as_str(),
        rec.attempts,
        rec.ccgs_reconstructed
    );
    Ok(exit::OK)
}
