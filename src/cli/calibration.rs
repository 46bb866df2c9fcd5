//! `ccg-divide calibration`: rejection rates of the tests with no effect put in, recorded in
//! DATA_DIR/calibration.json.

use ccg_divide::commands;
use ccg_divide::error::exit;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Reconstructions (seeds 1..N) under --calibrate none.
    #[arg(long, default_value_t = 100)]
    seeds: usize,
    /// Shuffles per permutation test on each reconstruction.
    #[arg(long, default_value_t = 200)]
    permutations: usize,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let Args {
        data_dir,
        seeds,
        permutations,
    } = args;
    let command =
        format!("cargo run --release -- calibration --seeds {seeds} --permutations {permutations}");
    let r = commands::calibration::run(&data_dir, seeds, permutations, &command)?;
    let path = data_dir.join(ccg_divide::io::calibration::FILE);
    // Atomically: an interrupted run leaves the previous record whole.
    ccg_divide::io::write::replace_file(
        &data_dir,
        ccg_divide::io::calibration::FILE,
        &(serde_json::to_string_pretty(&r)? + "\n"),
    )?;
    for (test, rejected, n) in &r.rejections {
        println!("  {test:<48} rejected {rejected} of {n}");
    }
    println!("wrote {}", path.display());
    Ok(exit::OK)
}
