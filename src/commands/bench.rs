//! `bench`: end-to-end and per-stage cost of `analyse`, on the default data and on synthetic
//! inputs of growing size. Each run is a fresh process (start to last file written); the child
//! reports its stage timings and peak memory through a side file.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What an `analyse --timings FILE` child writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    pub stages: Vec<(String, f64)>,
    pub peak_rss_kib: u64,
}

#[derive(Debug, Clone)]
pub struct BenchRow {
    pub label: String,
    pub organisations: usize,
    pub condition_rows: usize,
    pub wall_s: Vec<f64>,
    pub peak_rss_mib: f64,
    pub stages: Vec<(String, f64)>,
    pub args: Vec<String>,
}

impl BenchRow {
    pub fn median_wall(&self) -> f64 {
        crate::stats::median(&self.wall_s)
    }
}

/// Peak resident memory of this process (Linux: VmHWM), in KiB; 0 when unknown.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn run_once(
    exe: &Path,
    data: &Path,
    out: &Path,
    args: &[String],
    work: &Path,
) -> Result<(f64, ChildReport)> {
    let report = work.join("timings.json");
    let start = Instant::now();
    let o = Command::new(exe)
        .arg("analyse")
        .arg("--data-dir")
        .arg(data)
        .arg("--output-dir")
        .arg(out)
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

fn measure(
    label: &str,
    exe: &Path,
    data: &Path,
    orgs: usize,
    rows: usize,
    args: Vec<String>,
    runs: usize,
    work: &Path,
) -> Result<BenchRow> {
    let out = work.join("output");
    let mut walls = vec![];
    let mut last = None;
    for _ in 0..runs {
        let (w, r) = run_once(exe, data, &out, &args, work)?;
        walls.push(w);
        last = Some(r);
    }
    let r = last.expect("at least one run");
    Ok(BenchRow {
        label: label.into(),
        organisations: orgs,
        condition_rows: rows,
        wall_s: walls,
        peak_rss_mib: r.peak_rss_kib as f64 / 1024.0,
        stages: r.stages,
        args,
    })
}

/// Run the benchmark: default data (`runs` times), then synthetic sizes (fewer runs at the top).
pub fn run(
    exe: &Path,
    default_data: &Path,
    sizes: &[usize],
    runs: usize,
    work: &Path,
) -> Result<Vec<BenchRow>> {
    std::fs::create_dir_all(work)?;
    let mut rows = vec![];
    let n_default = std::fs::read_to_string(default_data.join("ccgs.csv"))?
        .lines()
        .count()
        .saturating_sub(1);
    let n_cond = std::fs::read_to_string(default_data.join("conditions.csv"))?
        .lines()
        .count()
        .saturating_sub(1);
    rows.push(measure(
        "default data (all stages)",
        exe,
        default_data,
        n_default,
        n_cond,
        vec![],
        runs,
        work,
    )?);
    for &n in sizes {
        let dir: PathBuf = work.join(format!("synth-{n}"));
        let cond = crate::commands::synth::write(&dir, n, 42)?;
        // Resampling is capped for synthetic sizes: its cost is resamples × N by design.
        let args = [
            "--bootstrap",
            "200",
            "--permutations",
            "200",
            "--sensitivity-seeds",
            "0",
        ]
        .map(String::from)
        .to_vec();
        let r = if n >= 100_000 {
            runs.min(2).max(1)
        } else {
            runs
        };
        rows.push(measure(
            &format!("synthetic N = {n}"),
            exe,
            &dir,
            n,
            cond,
            args,
            r,
            work,
        )?);
        if n == *sizes.iter().max().unwrap_or(&0) {
            // Once at the largest size with analyse's own resampling defaults, so the cost of
            // the full bootstrap and permutation test at scale is on record too.
            let args = ["--sensitivity-seeds", "0"].map(String::from).to_vec();
            rows.push(measure(
                &format!("synthetic N = {n}, default resampling"),
                exe,
                &dir,
                n,
                cond,
                args,
                1,
                work,
            )?);
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

/// The results as Markdown (the body of BENCHMARKS.md).
pub fn markdown(rows: &[BenchRow], command: &str) -> String {
    let mut s = String::new();
    s.push_str("# Benchmarks\n\n");
    s.push_str(&format!("Produced by `{command}` on: {}.\n\n", machine()));
    s.push_str("Wall time is process start to last file written (median of the runs); peak memory is the process's VmHWM.\n");
    s.push_str(
        "Targets: default data well under 0.5 s; 100k organisations within 3 s and 1 GiB.\n\n",
    );
    s.push_str("| input | organisations | condition rows | runs | wall (s, median) | per 1k organisations (ms) | peak memory (MiB) | target |\n");
    s.push_str("|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let w = r.median_wall();
        let target = if r.label.starts_with("default") {
            if w < 0.5 {
                "met (< 0.5 s)"
            } else {
                "MISSED (< 0.5 s)"
            }
        } else if r.label.ends_with("default resampling") {
            "– (see below)"
        } else if r.organisations >= 100_000 {
            if w <= 3.0 && r.peak_rss_mib <= 1024.0 {
                "met (≤ 3 s, ≤ 1 GiB)"
            } else {
                "MISSED (≤ 3 s, ≤ 1 GiB)"
            }
        } else {
            "–"
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.3} | {} | {:.0} | {} |\n",
            r.label,
            r.organisations,
            r.condition_rows,
            r.wall_s.len(),
            w,
            if r.label.starts_with("default") || r.label.ends_with("default resampling") {
                // Fixed costs (full resampling, 20 reconstructions) dominate at 211 CCGs.
                "–".to_string()
            } else {
                format!("{:.2}", w * 1e6 / r.organisations.max(1) as f64)
            },
            r.peak_rss_mib,
            target
        ));
    }
    // Growth: time per organisation should stay roughly flat if cost is linear in N.
    let synthetic: Vec<&BenchRow> = rows
        .iter()
        .filter(|r| !r.label.starts_with("default") && !r.label.ends_with("default resampling"))
        .collect();
    if let [.., a, b] = synthetic.as_slice() {
        let per = |r: &BenchRow| r.median_wall() * 1e6 / r.organisations.max(1) as f64;
        s.push_str(&format!(
            "\nGrowth: from N = {} to N = {} ({}x the input) wall time grew {:.1}x, i.e. {:.1} → {:.1} ms per 1k organisations \
             (roughly linear; small inputs carry fixed start-up and chart costs).\n",
            a.organisations,
            b.organisations,
            b.organisations / a.organisations.max(1),
            b.median_wall() / a.median_wall(),
            per(a),
            per(b)
        ));
    }
    for r in rows
        .iter()
        .filter(|r| r.organisations >= 100_000 && !r.label.ends_with("default resampling"))
    {
        if r.median_wall() > 3.0 || r.peak_rss_mib > 1024.0 {
            let mut st = r.stages.clone();
            st.sort_by(|a, b| b.1.total_cmp(&a.1));
            s.push_str(&format!(
                "\n**Target missed at N = {}**: the largest stages are {}.\n",
                r.organisations,
                st.iter()
                    .take(3)
                    .map(|(n, t)| format!("{n} ({t:.2} s)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    s.push_str("\n## Time per stage (seconds, last run)\n\n");
    let stages: Vec<String> = rows
        .first()
        .map(|r| r.stages.iter().map(|x| x.0.clone()).collect())
        .unwrap_or_default();
    s.push_str(&format!(
        "| stage | {} |\n",
        rows.iter()
            .map(|r| r.label.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    s.push_str(&format!("|---|{}\n", "---|".repeat(rows.len())));
    for st in &stages {
        s.push_str(&format!("| {st} |"));
        for r in rows {
            let v = r
                .stages
                .iter()
                .find(|x| &x.0 == st)
                .map(|x| format!(" {:.4} |", x.1))
                .unwrap_or_else(|| " – |".into());
            s.push_str(&v);
        }
        s.push('\n');
    }
    s.push_str("\nSynthetic runs pass: `");
    s.push_str(&rows.get(1).map(|r| r.args.join(" ")).unwrap_or_default());
    s.push_str(
        "`. The resampling stages cost resamples × N, so the synthetic runs use fewer resamples than `analyse`'s \
         defaults (2,000 bootstrap resamples, 10,000 permutations, 20 reconstruction seeds), which the default-data run \
         uses in full. The targets are judged on those reduced runs.",
    );
    if let Some(full) = rows
        .iter()
        .find(|r| r.label.ends_with("default resampling"))
    {
        let reduced = rows
            .iter()
            .find(|r| r.organisations == full.organisations && r.label != full.label);
        let stage = |name: &str| {
            full.stages
                .iter()
                .filter(|x| x.0.starts_with(name))
                .map(|x| x.1)
                .sum::<f64>()
        };
        s.push_str(&format!(
            " With the default resampling, N = {} took {:.1} s{}, of which {:.1} s in the permutation test and {:.1} s \
             in the bootstrap (the permutation test runs on two threads).",
            full.organisations,
            full.median_wall(),
            reduced
                .map(|r| format!(" ({:.1}x the reduced run)", full.median_wall() / r.median_wall()))
                .unwrap_or_default(),
            stage("significance"),
            stage("bootstrap"),
        ));
    }
    s.push('\n');
    s
}
