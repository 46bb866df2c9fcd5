//! `ccg-divide analyse`: the whole pipeline, and the summary it prints.

use ccg_divide::commands;
use ccg_divide::error::exit;
use ccg_divide::pipeline::{self, AnalyseOptions, RunSummary};
use ccg_divide::progress::Progress;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Directory holding ccgs.csv, conditions.csv, weights.toml (and optionally ccg_outcomes.csv, published/).
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory to (re)create with every output; replaced atomically on success.
    #[arg(long, default_value = "output")]
    pub output_dir: PathBuf,
    /// Severity weights file [default: DATA_DIR/weights.toml].
    #[arg(long)]
    pub weights: Option<PathBuf>,
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
    /// Write stage timings and peak memory as JSON to this file (read by the benchmark harness, `cargo bench`).
    #[arg(long, hide = true)]
    timings: Option<PathBuf>,
    /// No progress bars (they are drawn only when stderr is a terminal anyway).
    #[arg(long)]
    quiet: bool,
}

impl Args {
    /// The pipeline's options; progress bars only if asked for and stderr is a terminal.
    pub fn options(&self, bars: bool) -> AnalyseOptions {
        AnalyseOptions {
            weights: self.weights.clone(),
            seed: self.seed,
            bootstrap: self.bootstrap,
            permutations: self.permutations,
            sensitivity_seeds: self.sensitivity_seeds,
            compare: (self.csu_a.clone(), self.csu_b.clone()),
            progress: if bars && !self.quiet && std::io::stderr().is_terminal() {
                progress_bars()
            } else {
                Progress::default()
            },
            ..AnalyseOptions::new(self.data_dir.clone(), self.output_dir.clone())
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let s = pipeline::analyse(&args.options(true))?;
    if let Some(path) = args.timings {
        let report = commands::timings::ChildReport {
            stages: s.timings.clone(),
            peak_rss_kib: commands::timings::peak_rss_kib(),
        };
        std::fs::write(path, serde_json::to_string(&report)?)?;
    }
    for line in summary(&s) {
        match line {
            Line::Out(l) => println!("{l}"),
            Line::Err(l) => eprintln!("{l}"),
        }
    }
    Ok(exit::OK)
}

/// One line of the summary, for stdout or stderr.
pub enum Line {
    Out(String),
    Err(String),
}

/// The command line's summary of a finished run, line by line (`rerun` logs the same lines).
pub fn summary(s: &RunSummary) -> Vec<Line> {
    let mut lines: Vec<Line> = s
        .notes
        .iter()
        .map(|n| Line::Err(format!("note: {n}")))
        .collect();
    lines.extend(
        s.warnings
            .iter()
            .map(|w| Line::Err(format!("warning: {w}"))),
    );
    lines.push(Line::Out(format!(
        "wrote {} files to {} ({} of {} CCGs rest wholly on reconstructed data; see report.html)",
        s.files.len(),
        s.output_dir.display(),
        s.reconstructed_ccgs,
        s.n_ccgs
    )));
    for c in &s.claims {
        let label = match c.verdict.reason() {
            Some(reason) => format!("cannot be assessed: {reason}"),
            None if c.verdict.reproduced() => "reproduced".to_string(),
            None => "NOT reproduced".to_string(),
        };
        lines.push(Line::Out(format!("  {:<24} {label:<14} {}", c.id, c.ours)));
        // The second part of the verdict: what every dataset consistent with the record allows.
        if let Some((status, range)) = &c.record {
            lines.push(Line::Out(format!(
                "  {:<24} {status} in the published record: {range}",
                ""
            )));
        }
    }
    lines
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
