//! Command line: parse arguments, call the library, print, and exit with a meaningful code.

use ccg_divide::commands;
use ccg_divide::error::{exit, exit_code};
use ccg_divide::pipeline::{self, AnalyseOptions};
use ccg_divide::progress::Progress;
use ccg_divide::stages::data_checks;
use ccg_divide::stages::reconstruct::{self, Calibration};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ccg-divide",
    version,
    about = "Reproduce and stress-test 'Clinical commissioning groups: a north-south divide?' (2013)",
    long_about = "Reproduce and stress-test 'Clinical commissioning groups: a north-south divide?' (The King's Fund, 2013).\n\n\
        Exit codes: 0 success; 1 unexpected failure; 2 command-line usage error; \
        3 invalid input data (or check-data found a mismatch); 4 output cannot be written."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline: score CCGs, group by region and CSU, test, chart, write findings.
    Analyse {
        /// Directory holding ccgs.csv, conditions.csv, weights.toml (and optionally ccg_outcomes.csv, published/).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Directory to (re)create with every output; replaced atomically on success.
        #[arg(long, default_value = "output")]
        output_dir: PathBuf,
        /// Severity weights file [default: DATA_DIR/weights.toml].
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Seed for bootstrap and permutation tests.
        #[arg(long, default_value_t = pipeline::DEFAULT_SEED)]
        seed: u64,
        /// Bootstrap resamples for the 95% intervals.
        #[arg(long, default_value_t = pipeline::DEFAULT_BOOTSTRAP)]
        bootstrap: usize,
        /// Shuffles of region labels for the permutation test.
        #[arg(long, default_value_t = pipeline::DEFAULT_PERMUTATIONS)]
        permutations: usize,
        /// Reconstruction seeds for the sensitivity stage (0 to skip; needs DATA_DIR/published/).
        #[arg(long, default_value_t = pipeline::DEFAULT_SENSITIVITY_SEEDS)]
        sensitivity_seeds: usize,
        /// First CSU of the comparison (as named in ccgs.csv).
        #[arg(long, default_value = ccg_divide::stages::headline::DEFAULT_CSU_A)]
        csu_a: String,
        /// Second CSU of the comparison.
        #[arg(long, default_value = ccg_divide::stages::headline::DEFAULT_CSU_B)]
        csu_b: String,
        /// Write stage timings and peak memory as JSON to this file (used by `bench`).
        #[arg(long, hide = true)]
        timings: Option<PathBuf>,
        /// No progress bars (they are drawn only when stderr is a terminal anyway).
        #[arg(long)]
        quiet: bool,
    },
    /// Write conditions.csv and ccg_outcomes.csv: published facts kept, the rest reconstructed by seed.
    Reconstruct {
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
    },
    /// Generate synthetic inputs (N organisations, about ten conditions each) for benchmarks.
    Synth {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Time `analyse` end to end and per stage on the default data and on synthetic inputs.
    Bench {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Synthetic sizes (organisations).
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        sizes: Vec<usize>,
        /// Runs per input (median reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Write the report here (e.g. BENCHMARKS.md) as well as printing it.
        #[arg(long)]
        write: Option<PathBuf>,
        /// Skip the pandas comparison (it needs python3 and PyPI for its virtual environment).
        #[arg(long)]
        no_pandas: bool,
        /// Where the pandas comparison's virtual environment lives (made on first use).
        #[arg(long, default_value = "target/bench-venv")]
        venv: PathBuf,
    },
    /// Do the tests keep their promise? Rejection rates at 5% over reconstructions with no effect
    /// put in; written to DATA_DIR/calibration.json for findings.md.
    Calibration {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Reconstructions (seeds 1..N) under --calibrate none.
        #[arg(long, default_value_t = 100)]
        seeds: usize,
        /// Shuffles per permutation test on each reconstruction.
        #[arg(long, default_value_t = 200)]
        permutations: usize,
    },
    /// Compare the data with every published fact and aggregate (exit 3 on any mismatch).
    CheckData {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CalibrateArg {
    PublishedFindings,
    None,
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit_code(&e)
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Analyse {
            data_dir,
            output_dir,
            weights,
            seed,
            bootstrap,
            permutations,
            sensitivity_seeds,
            csu_a,
            csu_b,
            timings,
            quiet,
        } => {
            let opts = AnalyseOptions {
                weights,
                seed,
                bootstrap,
                permutations,
                sensitivity_seeds,
                compare: (csu_a, csu_b),
                progress: if !quiet && std::io::stderr().is_terminal() {
                    progress_bars()
                } else {
                    Progress::default()
                },
                ..AnalyseOptions::new(data_dir, output_dir)
            };
            analyse(&opts, timings)
        }
        Command::Reconstruct {
            data_dir,
            out_dir,
            seed,
            calibrate,
        } => {
            let cal = match calibrate {
                CalibrateArg::PublishedFindings => Calibration::PublishedFindings,
                CalibrateArg::None => Calibration::None,
            };
            let out =
                out_dir.unwrap_or_else(|| data_dir.join(ccg_divide::io::read::RECONSTRUCTED_DIR));
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
        Command::Synth { n, out, seed } => {
            let rows = commands::synth::write(&out, n, seed)?;
            println!(
                "wrote {n} organisations and {rows} condition rows to {}",
                out.display()
            );
            Ok(exit::OK)
        }
        Command::Bench {
            data_dir,
            sizes,
            runs,
            write,
            no_pandas,
            venv,
        } => bench(&data_dir, &sizes, runs, write, no_pandas, &venv),
        Command::Calibration {
            data_dir,
            seeds,
            permutations,
        } => {
            let command = format!(
                "cargo run --release -- calibration --seeds {seeds} --permutations {permutations}"
            );
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
        Command::CheckData { data_dir } => {
            let (checks, notes) = commands::check_data::run(&data_dir)?;
            print_notes(&notes);
            print!("{}", data_checks::table(&checks));
            Ok(if checks.iter().all(|c| c.ok) {
                exit::OK
            } else {
                exit::INVALID_INPUT
            })
        }
    }
}

/// How inputs not in UTF-8 CSV were read (encoding, workbook sheet), on stderr.
fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("note: {n}");
    }
}

fn analyse(opts: &AnalyseOptions, timings: Option<PathBuf>) -> anyhow::Result<i32> {
    let s = pipeline::analyse(opts)?;
    if let Some(path) = timings {
        let report = commands::bench::ChildReport {
            stages: s.timings.clone(),
            peak_rss_kib: commands::bench::peak_rss_kib(),
        };
        std::fs::write(path, serde_json::to_string(&report)?)?;
    }
    print_run(&s);
    Ok(exit::OK)
}

/// Bars for the long stages on stderr, one per stage, each finished when its total is reached.
fn progress_bars() -> Progress {
    use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
    use std::collections::HashMap;
    let multi = MultiProgress::new();
    let bars: std::sync::Mutex<HashMap<&'static str, ProgressBar>> = Default::default();
    Progress::new(move |stage, done, total| {
        let mut bars = bars.lock().expect("progress bars");
        let bar = bars.entry(stage).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(total));
            if let Ok(style) = ProgressStyle::with_template("{msg:28} {wide_bar} {pos}/{len} {eta}")
            {
                bar.set_style(style);
            }
            bar.set_message(stage);
            bar
        });
        bar.inc(done);
        if bar.position() >= total {
            bar.finish();
        }
    })
}

/// The command line's summary of a finished run.
fn print_run(s: &pipeline::RunSummary) {
    print_notes(&s.notes);
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "wrote {} files to {} ({} of {} CCGs rest wholly on reconstructed data; see report.html)",
        s.files.len(),
        s.output_dir.display(),
        s.reconstructed_ccgs,
        s.n_ccgs
    );
    for c in &s.claims {
        let label = match c.verdict.reason() {
            Some(reason) => format!("cannot be assessed: {reason}"),
            None if c.verdict.reproduced() => "reproduced".to_string(),
            None => "NOT reproduced".to_string(),
        };
        println!("  {:<24} {label:<14} {}", c.id, c.ours);
        // The second part of the verdict: what every dataset consistent with the record allows.
        if let Some((status, range)) = &c.record {
            println!("  {:<24} {status} in the published record: {range}", "");
        }
    }
}

fn bench(
    data_dir: &std::path::Path,
    sizes: &[usize],
    runs: usize,
    write: Option<PathBuf>,
    no_pandas: bool,
    venv: &std::path::Path,
) -> anyhow::Result<i32> {
    let exe = std::env::current_exe()?;
    let work = std::env::temp_dir().join(format!("ccg-divide-bench-{}", std::process::id()));
    let (pandas, note) = if no_pandas {
        (None, Some("--no-pandas given".to_string()))
    } else {
        match commands::bench::Pandas::prepare(std::path::Path::new("scripts/bench"), venv) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    };
    let rows = commands::bench::run(&exe, data_dir, sizes, runs.max(1), pandas.as_ref(), &work);
    let _ = std::fs::remove_dir_all(&work);
    let md = commands::bench::markdown(
        &rows?,
        "cargo run --release -- bench --write BENCHMARKS.md",
        note.as_deref(),
    );
    print!("{md}");
    if let Some(path) = write {
        std::fs::write(path, &md)?;
    }
    Ok(exit::OK)
}
