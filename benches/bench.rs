//! The benchmark harness: end-to-end and per-stage cost of `analyse`, on the default data and
//! on synthetic inputs of growing size, side by side with an equivalent pandas + scipy script
//! (`scripts/bench/`). Each run is a fresh process (start to last file written); the child
//! reports its stage timings and peak memory through a side file (`--timings`, see
//! `ccg_divide::commands::timings`).
//!
//! Not part of the installed binary: it starts child processes and builds a Python virtual
//! environment, which a user's `ccg-divide` has no business doing. Run it with
//!
//! ```text
//! cargo bench -- --write BENCHMARKS.md
//! ```
//!
//! (`cargo bench` builds the release binary first and tells this harness where it is.)

use anyhow::{bail, Context, Result};
use ccg_divide::commands::timings::ChildReport;
use ccg_divide::io::read::{conditions_dir, CCGS_FILE, CONDITIONS_FILE};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Time `ccg-divide analyse` end to end and per stage")]
struct Args {
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
    /// Passed by `cargo bench` to every benchmark; nothing to do with it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The command that regenerates BENCHMARKS.md, as the report states it.
const COMMAND: &str = "cargo bench -- --write BENCHMARKS.md";

fn main() -> Result<()> {
    let args = Args::parse();
    // Built by `cargo bench` alongside this harness (release profile).
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_ccg-divide"));
    let work = std::env::temp_dir().join(format!("ccg-divide-bench-{}", std::process::id()));
    let (pandas, note) = if args.no_pandas {
        (None, Some("--no-pandas given".to_string()))
    } else {
        match Pandas::prepare(Path::new("scripts/bench"), &args.venv) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    };
    let rows = run(
        &exe,
        &args.data_dir,
        &args.sizes,
        args.runs.max(1),
        pandas.as_ref(),
        &work,
    );
    let _ = std::fs::remove_dir_all(&work);
    let md = markdown(&rows?, COMMAND, note.as_deref());
    print!("{md}");
    if let Some(path) = args.write {
        std::fs::write(path, &md)?;
    }
    Ok(())
}

/// The pandas + scipy script on the same input: process wall time (median) and its own
/// computation time (`seconds`, imports excluded).
#[derive(Debug, Clone)]
pub struct PandasRun {
    pub wall_s: f64,
    pub compute_s: f64,
}

#[derive(Debug, Clone)]
pub struct BenchRow {
    pub label: String,
    pub organisations: usize,
    pub condition_rows: usize,
    pub input_bytes: u64,
    pub wall_s: Vec<f64>,
    pub peak_rss_mib: f64,
    pub stages: Vec<(String, f64)>,
    pub args: Vec<String>,
    pub pandas: Option<PandasRun>,
}

impl BenchRow {
    pub fn median_wall(&self) -> f64 {
        ccg_divide::stats::median(&self.wall_s)
    }

    fn stage(&self, prefix: &str) -> f64 {
        self.stages
            .iter()
            .filter(|x| x.0.starts_with(prefix))
            .map(|x| x.1)
            .sum()
    }

    /// Input read per second of the ingest stage, in MB/s.
    pub fn ingest_mb_s(&self) -> f64 {
        self.input_bytes as f64 / 1e6 / self.stage("ingest")
    }

    fn full_resampling(&self) -> bool {
        self.label.ends_with("default resampling")
    }
}

fn run_once(exe: &Path, data: &Path, args: &[String], work: &Path) -> Result<(f64, ChildReport)> {
    let report = work.join("timings.json");
    let start = Instant::now();
    let o = Command::new(exe)
        .arg("analyse")
        .arg("--data-dir")
        .arg(data)
        .arg("--output-dir")
        .arg(work.join("output"))
        .arg("--timings")
        .arg(&report)
        .args(args)
        .output()
        .context("cannot start analyse")?;
    let wall = start.elapsed().as_secs_f64();
    if !o.status.success() {
        bail!("analyse failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let r: ChildReport = serde_json::from_slice(&std::fs::read(&report)?)?;
    Ok((wall, r))
}

/// One input: what to call it, where it is, how big, and analyse's extra arguments.
struct Input<'a> {
    label: String,
    data: &'a Path,
    organisations: usize,
    condition_rows: usize,
    args: Vec<String>,
    runs: usize,
}

fn measure(exe: &Path, input: Input, python: Option<&Pandas>, work: &Path) -> Result<BenchRow> {
    let (mut walls, mut last) = (vec![], None);
    for _ in 0..input.runs {
        let (w, r) = run_once(exe, input.data, &input.args, work)?;
        walls.push(w);
        last = Some(r);
    }
    let r = last.expect("at least one run");
    let pandas = match python {
        // Once per input without resampling (the script does none); the full-resampling row
        // repeats the reduced row's input.
        Some(p) if !input.label.ends_with("default resampling") => {
            Some(p.run(input.data, input.runs.min(3), work)?)
        }
        _ => None,
    };
    Ok(BenchRow {
        label: input.label,
        organisations: input.organisations,
        condition_rows: input.condition_rows,
        input_bytes: input_bytes(input.data)?,
        wall_s: walls,
        peak_rss_mib: r.peak_rss_kib as f64 / 1024.0,
        stages: r.stages,
        args: input.args,
        pandas,
    })
}

fn input_bytes(data: &Path) -> Result<u64> {
    let tables = conditions_dir(data);
    Ok(std::fs::metadata(data.join(CCGS_FILE))?.len()
        + std::fs::metadata(tables.join(CONDITIONS_FILE))?.len())
}

fn data_rows(path: &Path) -> Result<usize> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .count()
        .saturating_sub(1))
}

/// The pandas + scipy equivalent, in a virtual environment the benchmark makes itself.
pub struct Pandas {
    python: PathBuf,
    script: PathBuf,
}

impl Pandas {
    /// Create (once) a virtual environment under `venv` with scripts/bench/requirements.txt.
    pub fn prepare(scripts: &Path, venv: &Path) -> Result<Pandas> {
        let python = venv.join("bin/python");
        let ready = venv.join(".requirements-installed");
        let requirements = scripts.join("requirements.txt");
        if !ready.exists() {
            let ok = |c: &mut Command| c.status().map(|s| s.success()).unwrap_or(false);
            if !ok(Command::new("python3").arg("-m").arg("venv").arg(venv)) {
                bail!("cannot create a virtual environment at {}", venv.display());
            }
            if !ok(Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "-r"])
                .arg(&requirements))
            {
                bail!("pip could not install {}", requirements.display());
            }
            std::fs::write(&ready, "")?;
        }
        Ok(Pandas {
            python,
            script: scripts.join("pandas_equivalent.py"),
        })
    }

    fn run(&self, data: &Path, runs: usize, work: &Path) -> Result<PandasRun> {
        let out = work.join("pandas.json");
        let (mut walls, mut compute) = (vec![], 0.0);
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            let o = Command::new(&self.python)
                .arg(&self.script)
                .arg(data)
                .arg("--json")
                .arg(&out)
                .output()
                .context("cannot start the pandas script")?;
            walls.push(start.elapsed().as_secs_f64());
            if !o.status.success() {
                bail!(
                    "pandas script failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out)?)?;
            compute = v["seconds"].as_f64().unwrap_or(f64::NAN);
        }
        Ok(PandasRun {
            wall_s: ccg_divide::stats::median(&walls),
            compute_s: compute,
        })
    }
}

/// Run the benchmark: default data (`runs` times), then synthetic sizes with reduced
/// resampling, and once at the largest size with analyse's default resampling.
pub fn run(
    exe: &Path,
    default_data: &Path,
    sizes: &[usize],
    runs: usize,
    pandas: Option<&Pandas>,
    work: &Path,
) -> Result<Vec<BenchRow>> {
    std::fs::create_dir_all(work)?;
    let tables = conditions_dir(default_data);
    let mut rows = vec![measure(
        exe,
        Input {
            label: "default data (all stages)".into(),
            data: default_data,
            organisations: data_rows(&default_data.join(CCGS_FILE))?,
            condition_rows: data_rows(&tables.join(CONDITIONS_FILE))?,
            args: vec![],
            runs,
        },
        pandas,
        work,
    )?];
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for &n in sizes {
        let dir: PathBuf = work.join(format!("synth-{n}"));
        let cond = ccg_divide::commands::synth::write(&dir, n, 42)?;
        let reduced = [
            "--bootstrap",
            "200",
            "--permutations",
            "200",
            "--sensitivity-seeds",
            "0",
        ];
        let mut inputs = vec![(format!("synthetic N = {n}"), reduced.to_vec())];
        if n == largest {
            inputs.push((
                format!("synthetic N = {n}, default resampling"),
                vec!["--sensitivity-seeds", "0"],
            ));
        }
        for (label, args) in inputs {
            let input = Input {
                label,
                data: &dir,
                organisations: n,
                condition_rows: cond,
                args: args.into_iter().map(String::from).collect(),
                runs: if n >= 100_000 { runs.clamp(1, 3) } else { runs },
            };
            rows.push(measure(exe, input, pandas, work)?);
        }
    }
    Ok(rows)
}

/// Machine description for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kib| format!("{:.0} GiB RAM", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown RAM".into());
    format!(
        "{cpu}, {cores} cores available, {mem}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// One target: what it asks, and whether a row meets it.
struct Target {
    text: &'static str,
    applies: fn(&BenchRow) -> bool,
    met: fn(&BenchRow) -> bool,
}

const LARGE: usize = 100_000;

const TARGETS: [Target; 6] = [
    Target {
        text: "default data, all stages: ≤ 0.08 s",
        applies: |r| r.label.starts_with("default"),
        met: |r| r.median_wall() <= 0.08,
    },
    Target {
        text: "default data, what the published record settles (five schemes, two assumption sets): ≤ 0.05 s",
        applies: |r| r.label.starts_with("default"),
        met: |r| {
            r.stages
                .iter()
                .any(|(s, t)| s == ccg_divide::pipeline::BOUNDS_STAGE && *t <= 0.05)
        },
    },
    Target {
        text: "100k organisations / 1M rows, reduced resampling: ≤ 1 s",
        applies: |r| r.organisations >= LARGE && !r.full_resampling(),
        met: |r| r.median_wall() <= 1.0,
    },
    Target {
        text: "100k organisations / 1M rows, default resampling: ≤ 2 s and ≤ 500 MiB",
        applies: |r| r.organisations >= LARGE && r.full_resampling(),
        met: |r| r.median_wall() <= 2.0 && r.peak_rss_mib <= 500.0,
    },
    Target {
        text: "ingest at 1M rows: ≥ 300 MB/s",
        applies: |r| r.organisations >= LARGE && !r.full_resampling(),
        met: |r| r.ingest_mb_s() >= 300.0,
    },
    Target {
        text: "our wall time over pandas' at 1M rows, reduced resampling: ≤ 0.25",
        applies: |r| r.organisations >= LARGE && !r.full_resampling() && r.pandas.is_some(),
        met: |r| {
            r.pandas
                .as_ref()
                .is_some_and(|p| r.median_wall() / p.wall_s <= 0.25)
        },
    },
];

fn target_lines(rows: &[BenchRow]) -> String {
    let mut s = String::new();
    for t in &TARGETS {
        let judged: Vec<&BenchRow> = rows.iter().filter(|r| (t.applies)(r)).collect();
        let verdict = match judged.as_slice() {
            [] => "not measured".to_string(),
            rs if rs.iter().all(|r| (t.met)(r)) => "**met**".to_string(),
            rs => {
                let r = rs.iter().find(|r| !(t.met)(r)).expect("one missed");
                let mut st = r.stages.clone();
                st.sort_by(|a, b| b.1.total_cmp(&a.1));
                format!(
                    "**missed** ({}: largest stages {})",
                    r.label,
                    st.iter()
                        .take(3)
                        .map(|(n, t)| format!("{n} {t:.3} s"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        s.push_str(&format!("- {}: {verdict}\n", t.text));
    }
    s
}

fn results_table(rows: &[BenchRow]) -> String {
    let mut s = String::from(
        "| input | organisations | condition rows | runs | wall (s, median) | peak memory (MiB) | ingest (MB/s) | pandas wall (s) | pandas compute (s) | ours / pandas (wall) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let (pw, pc, ratio) = match &r.pandas {
            Some(p) => (
                format!("{:.3}", p.wall_s),
                format!("{:.3}", p.compute_s),
                format!("{:.2}", r.median_wall() / p.wall_s),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.3} | {:.0} | {:.0} | {pw} | {pc} | {ratio} |\n",
            r.label,
            r.organisations,
            r.condition_rows,
            r.wall_s.len(),
            r.median_wall(),
            r.peak_rss_mib,
            r.ingest_mb_s(),
        ));
    }
    s
}

fn stage_table(rows: &[BenchRow]) -> String {
    let stages: Vec<String> = rows
        .first()
        .map(|r| r.stages.iter().map(|x| x.0.clone()).collect())
        .unwrap_or_default();
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let mut s = format!(
        "| stage | {} |\n|---|{}\n",
        labels.join(" | "),
        "---|".repeat(rows.len())
    );
    for st in &stages {
        s.push_str(&format!("| {st} |"));
        for r in rows {
            match r.stages.iter().find(|x| &x.0 == st) {
                Some(x) => s.push_str(&format!(" {:.4} |", x.1)),
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}

/// What stands in the way of the targets this machine misses, as measured while building the
/// ingest (timers around each step, on the 1M-row synthetic input; not re-measured by a run).
const OBSTACLES: &str = "\n## What stands in the way\n\n\
- **Ingest (≥ 300 MB/s).** polars-io's CSV reader by itself takes about 0.19 s for the 56 MB \
  conditions file on 2 cores (about 300 MB/s), before any validation. On top of it: the plain-CSV \
  pre-check (field counts, padding; about 0.06 s), typing and validating the columns (about \
  0.04 s), and grouping a million rows by their text ods_code (about 0.12 s: polars' group-by on \
  text is the slow part; numbering the codes first in a hash map was no faster). Reaching the \
  target would need the reader, the pre-check and the grouping fused into one pass over the bytes.\n\
- **1M rows with reduced resampling (≤ 1 s), and ours over pandas (≤ 0.25).** Ingest is over half \
  of the run; the rest is the five robustness schemes (each a rescoring, two group-bys and two \
  rank correlations over 100,000 CCGs), three scatter/funnel charts of 100,000 points, and \
  writing ccg_scores.csv. The pandas script's process spends about 1.5 s importing pandas and \
  scipy, and draws no chart and writes no table, so the wall-time ratio flatters neither side; \
  its own computation time is in the table too. The findings stage now also holds the \
  within-region CSU permutation test (capped at 10 million scores shuffled: 100 shuffles at \
  100,000 CCGs), the decomposition of variation by level (no bootstrap from 50,000 CCGs), the area-team recomputations and the adjusted regression.\n\
- **Default data (≤ 0.08 s).** The 20 reconstruction-sensitivity seeds each run the count, score \
  and summary queries, and each polars query has a fixed cost of the order of a millisecond; \
  with the 10,000-shuffle permutation test and ten charts (each drawn as PNG and as SVG in two \
  layouts, on two threads) the run \
  needs about 0.2 s of CPU, so two cores cannot finish it in 0.08 s. The bounds of what the \
  published record settles now add more than all of that (next item).\n\
- **What the published record settles (≤ 0.05 s).** Ten searches (five weighting schemes under two \
  assumption sets, two threads taking them as they come free), each about 20 to 80 ms of CPU, \
  and the fewest changes turning claims 4 and 5. History: 0.70 s; about 0.24 s once the class \
  assignment was rebuilt (each group starts in its best class and only the surplus moves, by \
  shortest paths over the 14 classes); 0.37 s when undecided searches began refining their \
  prices and trading classes (which proved Midlands and East's highest median); 0.22 s after \
  a region's two middle order statistics shared their probes, each probe started at the \
  prices that decided the one before, and directions were priced at what they are worth (which \
  also proved every remaining end of claims 1, 4 and 5); about 0.25 s, last run, with claim 5's \
  fewest changes counted with Midlands and East's totals kept (a knapsack of about 17 ms on the \
  untuned reconstruction, which made that count exact: 5). What remains is the number of \
  searches: claim 4 makes about 50 to 140 per job (every region's median pushed at once, each \
  order statistic bisected, Midlands and East's totals priced over a ternary search of prices, \
  refined between them where undecided), claims 2 and 3 about 10 to 100 with a term for every \
  CCG. The bounds depend only on ccgs.csv, the published facts and the weights, not on the \
  conditions analysed; a cache by those inputs' hashes would remove the cost from every rerun \
  but the first, and was not added (a stale cache after a code change would be worse than a \
  slow first run).\n";

/// The results as Markdown (the body of BENCHMARKS.md). `pandas_note` says why the comparison
/// is missing, when it is.
pub fn markdown(rows: &[BenchRow], command: &str, pandas_note: Option<&str>) -> String {
    let mut s = format!(
        "# Benchmarks\n\nProduced by `{command}` on: {}.\n\n\
         Wall time is process start to last file written (median of the runs); peak memory is the \
         process's VmHWM; ingest is the input bytes (ccgs.csv + conditions.csv) over the time of \
         the ingest stage (read, validate, count per CCG). The pandas columns are \
         `scripts/bench/pandas_equivalent.py` on the same input (same scores, summaries, \
         correlations and Kruskal–Wallis; no resampling, charts or tables): its whole process, \
         and its own computation time without interpreter start-up and imports.\n\n",
        machine()
    );
    if let Some(note) = pandas_note {
        s.push_str(&format!("pandas comparison not run: {note}.\n\n"));
    }
    s.push_str("## Targets\n\n");
    s.push_str(&target_lines(rows));
    s.push_str("\n## Results\n\n");
    s.push_str(&results_table(rows));
    s.push_str(&format!(
        "\nSynthetic runs pass `{}` (reduced resampling); the default-data run uses analyse's \
         defaults (2,000 bootstrap resamples, 10,000 permutations, 20 reconstruction seeds), and \
         the largest size is run once more with the default resampling.\n",
        rows.get(1).map(|r| r.args.join(" ")).unwrap_or_default()
    ));
    s.push_str(OBSTACLES);
    s.push_str("\n## Time per stage (seconds, last run)\n\n");
    s.push_str(&stage_table(rows));
    s.push_str(BUILD_TIME);
    s
}

/// The clean-build measurement, taken by hand (a clean build takes minutes; see the file).
const BUILD_TIME: &str = include_str!("build-time.md");
