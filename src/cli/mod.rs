//! The command line, one module per command (xsv style): each owns its clap arguments, its run
//! function and its printing. The library never prints; `main.rs` only parses, dispatches and
//! maps errors to exit codes.

pub mod analyse;
pub mod calibration;
pub mod check_data;
pub mod reconstruct;
pub mod rerun;
pub mod synth;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ccg-divide",
    version,
    about = "Reproduce and stress-test 'Clinical commissioning groups: a north-south divide?' (2013)",
    long_about = "Reproduce and stress-test 'Clinical commissioning groups: a north-south divide?' (The King's Fund, 2013).\n\n\
        Exit codes: 0 success; 1 unexpected failure; 2 command-line usage error; \
        3 invalid input data (or check-data found a mismatch); 4 output cannot be written."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline: score CCGs, group by region and CSU, test, chart, write findings.
    Analyse(analyse::Args),
    /// Write conditions.csv and ccg_outcomes.csv: published facts kept, the rest reconstructed by seed.
    Reconstruct(reconstruct::Args),
    /// Generate synthetic inputs (N organisations, about ten conditions each) for benchmarks.
    Synth(synth::Args),
    /// Do the tests keep their promise? Rejection rates at 5% over reconstructions with no effect
    /// put in; written to DATA_DIR/calibration.json for findings.md.
    Calibration(calibration::Args),
    /// Compare the data with every published fact and aggregate (exit 3 on any mismatch).
    CheckData(check_data::Args),
    /// Re-run `analyse` if its inputs changed since the last successful run (for cron: one run
    /// at a time, a log, silent unless a run fails or changes a claim's verdict or figure).
    Rerun(rerun::Args),
}

/// Run the parsed command; the exit code on success (check-data reports mismatches by code).
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Analyse(args) => analyse::run(args),
        Command::Reconstruct(args) => reconstruct::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Calibration(args) => calibration::run(args),
        Command::CheckData(args) => check_data::run(args),
        Command::Rerun(args) => rerun::run(args),
    }
}

/// How inputs not in UTF-8 CSV were read (encoding, workbook sheet), on stderr.
pub fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("note: {n}");
    }
}
