//! `analyse` as a short list of named stages. Reading inputs and writing outputs happen only at
//! the two ends; every stage between is a pure function of what came before.
//!
//! read → `compute` (count, check-data, score + summarise, headline, groups, significance,
//! bootstrap, robustness, confirmed CSUs, sensitivity, the published record's bounds,
//! published-only evidence, later ratings, area teams, adjusted region effect, decomposition,
//! CSUs within regions, funnel, provenance, run record, calibration status, claims) →
//! `write_outputs` (charts, tables, findings.md/json, report.html) → commit

use crate::io::output::Staging;
use crate::io::published::Published;
use crate::io::read::{self, Inputs};
use crate::model::{self, REGIONS};
use crate::progress::Progress;
use crate::render::{figures, html, markdown, sections, tables};
use crate::stages::counts::count_table;
use crate::stages::findings::{self, Findings, RegionRow};
use crate::stages::groups::groups;
use crate::stages::headline::{self, Headline};
use crate::stages::resample::{bootstrap, Intervals};
use crate::stages::robustness::{confirmed_csu_ratio, robustness};
use crate::stages::score::{score_and_summarise, Scored, CCG_SCORE_COLUMNS};
use crate::stages::significance::significance;
use crate::stages::{
    adjusted, area_teams, csu_within_region, data_checks, decomposition, funnel, later_ratings,
    published_only, sensitivity,
};
use anyhow::Result;
use polars::prelude::*;
use std::path::PathBuf;

/// `analyse`'s defaults, shared by the command line and `command_line` (which leaves a default
/// out of the reproducing command, so the two must agree).
pub const DEFAULT_SEED: u64 = 2013;
pub const DEFAULT_BOOTSTRAP: usize = 2000;
pub const DEFAULT_PERMUTATIONS: usize = 10_000;
pub const DEFAULT_SENSITIVITY_SEEDS: usize = 20;
/// The stage computing what the published record settles (named in the benchmark's target).
pub const BOUNDS_STAGE: &str = "published record: bounds and witnesses";

#[derive(Debug, Clone)]
pub struct AnalyseOptions {
    pub data_dir: PathBuf,
    pub output_dir: PathBuf,
    pub weights: Option<PathBuf>,
    /// The two CSUs to compare (default: Hertfordshire and Essex vs North of England).
    pub compare: (String, String),
    /// Seed for every resampling stage (bootstrap, permutations).
    pub seed: u64,
    pub bootstrap: usize,
    pub permutations: usize,
    /// Reconstruction seeds for the sensitivity stage (0 to skip).
    pub sensitivity_seeds: usize,
    /// Where the long stages report their progress (nowhere by default).
    pub progress: Progress,
}

impl AnalyseOptions {
    pub fn new(data_dir: impl Into<PathBuf>, output_dir: impl Into<PathBuf>) -> Self {
        AnalyseOptions {
            data_dir: data_dir.into(),
            output_dir: output_dir.into(),
            weights: None,
            compare: (
                headline::DEFAULT_CSU_A.into(),
                headline::DEFAULT_CSU_B.into(),
            ),
            seed: DEFAULT_SEED,
            bootstrap: DEFAULT_BOOTSTRAP,
            permutations: DEFAULT_PERMUTATIONS,
            sensitivity_seeds: DEFAULT_SENSITIVITY_SEEDS,
            progress: Progress::default(),
        }
    }

    /// The command that reproduces a run with these options from the repository (the output
    /// directory left out: it changes where, not what).
    pub fn command_line(&self) -> String {
        let defaults = AnalyseOptions::new("data", "output");
        let mut args = vec!["cargo run --release -- analyse".to_string()];
        let mut flag = |name: &str, value: String, default: String| {
            if value != default {
                args.push(format!("--{name} {}", shell_word(&value)));
            }
        };
        flag(
            "data-dir",
            self.data_dir.display().to_string(),
            defaults.data_dir.display().to_string(),
        );
        if let Some(w) = &self.weights {
            flag("weights", w.display().to_string(), String::new());
        }
        flag("csu-a", self.compare.0.clone(), defaults.compare.0);
        flag("csu-b", self.compare.1.clone(), defaults.compare.1);
        // The seed always, so a reader sees it in the command.
        flag("seed", self.seed.to_string(), String::new());
        flag(
            "bootstrap",
            self.bootstrap.to_string(),
            defaults.bootstrap.to_string(),
        );
        flag(
            "permutations",
            self.permutations.to_string(),
            defaults.permutations.to_string(),
        );
        flag(
            "sensitivity-seeds",
            self.sensitivity_seeds.to_string(),
            defaults.sensitivity_seeds.to_string(),
        );
        args.join(" ")
    }

    fn compare(&self) -> (&str, &str) {
        (self.compare.0.as_str(), self.compare.1.as_str())
    }
}

/// A word for a POSIX shell: as it is when safe, else in single quotes.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Shuffles for the within-region CSU test, at most: 1,000 (a p-value resolution of 0.001 is
/// ample), and no more than 10 million scores shuffled in all, since every shuffle moves every
/// score (100 shuffles at 100,000 CCGs).
fn csu_permutations(requested: usize, n_ccgs: usize) -> usize {
    requested.min(1000).min(10_000_000 / n_ccgs.max(1)).max(1)
}

/// Bootstrap resamples for the decomposition: at most 200, and no more than a million CCGs
/// re-ranked in all (each resample ranks every score); below 20 resamples none are drawn and
/// the shares go without intervals (from 50,000 CCGs on).
fn decomposition_resamples(requested: usize, n_ccgs: usize) -> usize {
    let n = requested.min(200).min(1_000_000 / n_ccgs.max(1));
    if n < 20 {
        0
    } else {
        n
    }
}

/// Everything computed, before anything is written.
pub struct Results {
    /// The scored table (the count table with scores) and its summaries.
    pub scored: Scored,
    pub findings: Findings,
    /// Published facts the data disagree with (from `data_checks`).
    pub warnings: Vec<String>,
}

/// What a finished run reports back to the command line.
pub struct RunSummary {
    pub output_dir: PathBuf,
    pub files: Vec<String>,
    pub warnings: Vec<String>,
    /// How inputs not in UTF-8 CSV were read (encoding, workbook sheet).
    pub notes: Vec<String>,
    pub claims: Vec<ClaimLine>,
    pub reconstructed_ccgs: usize,
    pub n_ccgs: usize,
    /// Seconds per stage (read, count, …, commit), for the benchmark.
    pub timings: Vec<(String, f64)>,
}

/// One claim as the terminal shows it: the verdict on the data and what the published record
/// says (status and range), when it was bounded.
pub struct ClaimLine {
    pub id: String,
    pub verdict: crate::stages::headline::Verdict,
    pub ours: String,
    pub record: Option<(String, String)>,
}

/// Records how long each named stage took.
pub struct Stopwatch(std::time::Instant, Vec<(String, f64)>);

impl Stopwatch {
    pub fn new() -> Self {
        Stopwatch(std::time::Instant::now(), vec![])
    }
    /// Run one stage and record its time under `name`.
    pub fn stage<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let out = f();
        self.lap(name);
        out
    }

    pub fn lap(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        self.1
            .push((stage.to_string(), (now - self.0).as_secs_f64()));
        self.0 = now;
    }
}

impl Default for Stopwatch {
    fn default() -> Self {
        Self::new()
    }
}

/// Run the whole pipeline and write every output atomically.
pub fn analyse(opts: &AnalyseOptions) -> Result<RunSummary> {
    let mut clock = Stopwatch::new();
    let inputs = read::load(&opts.data_dir, opts.weights.as_deref())?;
    let published = Published::load_if_present(&opts.data_dir)?;
    clock.lap("ingest + validate");
    // Prepare the output first: an unwritable output fails fast, before any long computation.
    let staging = Staging::new(&opts.output_dir)?;
    clock.lap("prepare output");
    let results = compute(&inputs, published.as_ref(), opts, &mut clock)?;
    write_outputs(&results, &inputs, published.as_ref(), &staging, &mut clock)?;
    let files = staging.file_names()?;
    staging.commit()?;
    clock.lap("commit");
    let f = &results.findings;
    Ok(RunSummary {
        output_dir: opts.output_dir.clone(),
        files,
        warnings: results.warnings,
        notes: inputs.notes.clone(),
        claims: f
            .claims
            .iter()
            .map(|c| ClaimLine {
                id: c.id.clone(),
                verdict: c.verdict.clone(),
                ours: c.ours.clone(),
                record: c
                    .published_record
                    .as_ref()
                    .map(|r| (r.status.replace('_', " "), r.range.clone())),
            })
            .collect(),
        reconstructed_ccgs: f.provenance.ccgs_reconstructed,
        n_ccgs: f.provenance.n_ccgs,
        timings: clock.1,
    })
}

// Long because: the stage list in order, one named, timed stage per statement; split, it scatters.
/// The stages between reading and writing: pure computation from inputs to results. Each line
/// is one named, timed stage returning one named value; `Findings` is assembled from those
/// values alone.
pub fn compute(
    inputs: &Inputs,
    published: Option<&Published>,
    opts: &AnalyseOptions,
    clock: &mut Stopwatch,
) -> Result<Results> {
    let (compare, w, seed) = (opts.compare(), &inputs.weights, opts.seed);
    let counts = clock.stage("count", || {
        Ok(count_table(
            &inputs.ccgs,
            &inputs.condition_counts,
            inputs.evidence()?.as_ref(),
        )?)
    })?;
    let warnings = clock.stage("check-data", || mismatches(&counts, inputs, published))?;
    let scored = clock.stage("score + summarise", || Ok(score_and_summarise(&counts, w)?))?;
    let headline = clock.stage("headline", || Ok(headline::headline(&scored, compare)?))?;
    let groups = clock.stage("groups", || Ok(groups(&scored.ccgs, compare)?))?;
    let significance = clock.stage("significance (permutations)", || {
        Ok(significance(
            &groups,
            headline.median_ratio,
            opts.permutations,
            seed,
            &opts.progress,
        ))
    })?;
    let intervals = clock.stage("bootstrap", || {
        Ok(bootstrap(&groups, opts.bootstrap, seed, &opts.progress))
    })?;
    let robustness = clock.stage("robustness", || {
        Ok(robustness(&counts, w, &headline, compare)?)
    })?;
    let csu_ratio_confirmed_only = clock.stage("confirmed CSUs", || {
        Ok(confirmed_csu_ratio(&counts, w, compare)?)
    })?;
    let sensitivity = clock.stage("sensitivity", || sensitivity_stage(inputs, published, opts))?;
    let record = clock.stage(BOUNDS_STAGE, || {
        record_bounds_stage(inputs, published, opts)
    })?;
    let published_only = clock.stage("published-only evidence", || {
        published
            .map(|p| published_only::published_only(p, &counts))
            .transpose()
            .map_err(Into::into)
    })?;
    let later_ratings = clock.stage("later ratings", || {
        Ok(published
            .map(|p| later_ratings::later_ratings(p, &counts))
            .transpose()?
            .flatten())
    })?;
    let area_teams = clock.stage("area teams", || {
        Ok(area_teams::area_teams(
            &scored.ccgs,
            &inputs.area_team_names,
        )?)
    })?;
    let adjusted_region = clock.stage("adjusted region effect", || {
        Ok(adjusted::adjusted_region(&scored.ccgs)?)
    })?;
    let decomposition = clock.stage("decomposition", || {
        let resamples = decomposition_resamples(opts.bootstrap, scored.ccgs.height());
        Ok(decomposition::decomposition(&scored.ccgs, resamples, seed)?)
    })?;
    let csu_within_region = clock.stage("CSUs within regions", || {
        let shuffles = csu_permutations(opts.permutations, scored.ccgs.height());
        Ok(csu_within_region::csu_within_region(
            &scored.ccgs,
            shuffles,
            seed,
            &opts.progress,
        )?)
    })?;
    let funnel_outside = clock.stage("funnel", || funnel_stage(&scored))?;
    let provenance = clock.stage("provenance", || {
        Ok(findings::provenance_summary(
            &counts,
            inputs.outcomes.as_deref(),
        )?)
    })?;
    let run = clock.stage("run record", || Ok(run_record(inputs, published, opts)))?;
    let calibration = clock.stage("calibration status", || {
        Ok(calibration_status(inputs, published))
    })?;
    let claims = clock.stage("claims", || {
        let shares = reconstructed_shares_by_claim(&counts, compare)?;
        let (s, r) = (sensitivity.as_ref(), record.as_ref());
        let mut claims = findings::claims(
            &headline,
            &intervals,
            &robustness,
            s,
            &shares,
            compare,
            &significance,
        );
        findings::attach_record(&mut claims, r);
        Ok(claims)
    })?;
    let regions = region_rows(&headline, &intervals);
    let findings = Findings {
        title: TITLE.into(),
        provenance,
        weights: w.clone(),
        compare_csus: opts.compare.clone(),
        claims,
        regions,
        headline,
        significance,
        intervals,
        csu_ratio_confirmed_only,
        funnel_outside,
        robustness,
        area_teams,
        adjusted_region,
        calibration,
        decomposition,
        csu_within_region,
        published_only,
        later_ratings,
        sensitivity,
        record,
        seed,
        run,
    };
    Ok(Results {
        scored,
        findings,
        warnings,
    })
}

const TITLE: &str =
    "Clinical commissioning groups: a north-south divide? Reproduction and stress test";

/// CCGs outside the funnel plot's limits (score against population).
fn funnel_stage(scored: &Scored) -> Result<((usize, usize), (usize, usize))> {
    let population = crate::columns::f64_slice(&scored.ccgs, "population")?;
    let score = crate::columns::f64_slice(&scored.ccgs, "composite_score")?;
    Ok(funnel::outside(population, score))
}

/// The command that reproduces the run, every file it read (published facts included, so a
/// rerun can tell if any changed) and the sources cited.
fn run_record(
    inputs: &Inputs,
    published: Option<&Published>,
    opts: &AnalyseOptions,
) -> findings::RunRecord {
    findings::RunRecord {
        command: opts.command_line(),
        inputs: read_files(inputs, published)
            .map(|x| (x.path.display().to_string(), x.sha256.clone()))
            .collect(),
        sources: published.map(Published::sources).unwrap_or_default(),
    }
}

fn read_files<'a>(
    inputs: &'a Inputs,
    published: Option<&'a Published>,
) -> impl Iterator<Item = &'a read::InputFile> + Clone {
    inputs
        .files
        .iter()
        .chain(published.into_iter().flat_map(|p| &p.files))
}

/// The recorded calibration run, and whether the inputs it was made from have changed since.
fn calibration_status(
    inputs: &Inputs,
    published: Option<&Published>,
) -> Option<(crate::io::calibration::CalibrationRecord, bool)> {
    inputs.calibration.clone().map(|r| {
        let read = read_files(inputs, published);
        let stale = r.inputs_sha256 != crate::io::calibration::input_hashes(read);
        (r, stale)
    })
}

/// Reconstruct under `--calibrate none` and judge again (needs published facts; 0 seeds skips).
fn sensitivity_stage(
    inputs: &Inputs,
    published: Option<&Published>,
    opts: &AnalyseOptions,
) -> Result<Option<sensitivity::Sensitivity>> {
    let Some(p) = published.filter(|_| opts.sensitivity_seeds > 0) else {
        return Ok(None);
    };
    Ok(Some(sensitivity::sensitivity(
        &model::ccg_records(&inputs.ccgs)?,
        &inputs.ccgs,
        p,
        &inputs.weights,
        opts.compare(),
        opts.sensitivity_seeds,
        &opts.progress,
    )?))
}

/// Every claim's figure over every dataset consistent with the published record, for every
/// weighting scheme (needs published facts).
fn record_bounds_stage(
    inputs: &Inputs,
    published: Option<&Published>,
    opts: &AnalyseOptions,
) -> Result<Option<crate::stages::bounds::RecordBounds>> {
    let Some(p) = published else { return Ok(None) };
    let schemes = crate::model::weights::Weights::alternatives(&inputs.weights);
    let ccgs = model::ccg_records(&inputs.ccgs)?;
    let mut rb = crate::stages::bounds::record_bounds(&ccgs, p, &schemes, opts.compare())?;
    // Fragility on the data analysed (when its waves are known) and on an untuned
    // reconstruction with the default seed.
    let analysed: Vec<model::Condition> = model::condition_records(&inputs.conditions)?;
    let untuned = crate::stages::reconstruct::reconstruct(
        &ccgs,
        p,
        &inputs.weights,
        DEFAULT_SEED,
        crate::stages::reconstruct::Calibration::None,
    )?;
    let mut datasets: Vec<(String, &[model::Condition], &[model::CcgOutcome])> = vec![];
    if let Some(o) = inputs.outcomes.as_deref() {
        datasets.push(("the data analysed".into(), &analysed, o));
    }
    let untuned_name = format!("an untuned reconstruction (--calibrate none, seed {DEFAULT_SEED})");
    datasets.push((untuned_name, &untuned.conditions, &untuned.outcomes));
    let record = rb
        .record(crate::stages::bounds::Assumptions::PublishedOnly)
        .clone();
    let solver = crate::stages::bounds::search::Solver::new(&record, &inputs.weights);
    // Claims the published record settles or rules out: no consistent dataset turns them.
    let closed: Vec<&str> = ["regional_median_spread", "csu_ratio"]
        .into_iter()
        .filter(|c| {
            rb.claim(crate::stages::bounds::Assumptions::PublishedOnly, c)
                .is_some_and(|b| {
                    b.status
                        .is_some_and(|s| s != crate::stages::bounds::RecordStatus::Open)
                })
        })
        .collect();
    let fragility = crate::stages::bounds::fragility::fragility(
        &solver,
        &inputs.weights,
        opts.compare(),
        &datasets,
        &closed,
    );
    rb.fragility = fragility;
    Ok(Some(rb))
}

/// For each claim, the shares of its CCGs and rows that rest on reconstruction: all CCGs for
/// the first four, the two compared CSUs' for the fifth.
fn reconstructed_shares_by_claim(
    counts: &DataFrame,
    compare: (&str, &str),
) -> Result<[(f64, f64); 5]> {
    let all = findings::reconstructed_shares(counts, lit(true))?;
    let csus = findings::reconstructed_shares(
        counts,
        col("csu")
            .eq(lit(compare.0))
            .or(col("csu").eq(lit(compare.1))),
    )?;
    Ok([all, all, all, all, csus])
}

/// Published facts and aggregates that the data contradict, as warnings (none without them).
fn mismatches(counts: &DataFrame, inputs: &Inputs, p: Option<&Published>) -> Result<Vec<String>> {
    let Some(p) = p else { return Ok(vec![]) };
    Ok(
        data_checks::check(counts, &inputs.conditions, inputs.outcomes.as_deref(), p)?
            .into_iter()
            .filter(|c| !c.ok)
            .map(|c| {
                format!(
                    "check-data MISMATCH: {} (published {}, data {})",
                    c.item, c.published, c.data
                )
            })
            .collect(),
    )
}

fn region_rows(h: &Headline, intervals: &Intervals) -> Vec<RegionRow> {
    (0..4)
        .filter(|&r| h.region_n[r] > 0)
        .map(|r| RegionRow {
            region: REGIONS[r].into(),
            n_ccgs: h.region_n[r],
            median: h.region_medians[r],
            median_ci_95: intervals.region_median[r],
        })
        .collect()
}

/// Charts, tables and findings into the staging directory.
pub fn write_outputs(
    r: &Results,
    inputs: &Inputs,
    published: Option<&Published>,
    out: &Staging,
    clock: &mut Stopwatch,
) -> Result<()> {
    let f = &r.findings;
    let mut vectors = figures::draw_all(&out.path(""), f, &r.scored)?;
    clock.lap("charts (PNG and SVG)");
    let ccg_scores = r.scored.ccgs.select(CCG_SCORE_COLUMNS)?;
    out.write("ccg_scores.csv", tables::frame_csv(&ccg_scores)?)?;
    out.write("region_summary.csv", tables::frame_csv(&r.scored.regions)?)?;
    out.write("csu_summary.csv", tables::frame_csv(&r.scored.csus)?)?;
    out.write(
        "robustness.csv",
        tables::robustness_csv(&f.robustness, f.record.as_ref())?,
    )?;
    if let Some(b) = crate::render::record::bounds_csv(f)? {
        out.write("bounds.csv", b)?;
    }
    if let (Some(rb), Some(p)) = (&f.record, published) {
        for (dir, conditions, outcomes) in crate::render::record::witnesses(rb, p)? {
            out.write(&format!("{dir}/conditions.csv"), conditions)?;
            out.write(&format!("{dir}/ccg_outcomes.csv"), outcomes)?;
        }
    }
    out.write(
        "csu_within_region.csv",
        csu_within_region::table_csv(&f.csu_within_region)?,
    )?;
    if let Some(a) = &f.area_teams {
        out.write("area_team_summary.csv", area_teams::summary_csv(a)?)?;
    }
    out.write("findings.json", serde_json::to_string_pretty(f)? + "\n")?;
    out.write("weights_used.toml", inputs.weights.to_toml())?;
    let manifest: String = f
        .run
        .inputs
        .iter()
        .map(|(path, sha256)| format!("{sha256}  {path}\n"))
        .collect();
    out.write("inputs.sha256", manifest)?;
    clock.lap("tables + findings");
    // findings.md and report.html: one document, two renderings.
    let doc = sections::document(f);
    out.write("findings.md", markdown::markdown(&doc))?;
    let mut charts = std::collections::BTreeMap::new();
    for file in doc.figures() {
        let chart = match vectors.remove(file) {
            Some(v) => html::Embed::Svg {
                desktop: v.desktop,
                phone: v.phone,
            },
            None => html::Embed::Png(out.read(file)?),
        };
        charts.insert(file.to_string(), chart);
    }
    out.write("report.html", html::report_html(&doc, &charts)?)?;
    clock.lap("findings.md + report.html");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reproducing_command_names_the_seed_and_every_option_changed() {
        let mut o = AnalyseOptions::new("data", "elsewhere");
        assert_eq!(
            o.command_line(),
            "cargo run --release -- analyse --seed 2013"
        );
        o.data_dir = "my data".into();
        o.weights = Some("w's.toml".into());
        o.permutations = 500;
        o.compare.1 = "NHS South CSU".into();
        assert_eq!(
            o.command_line(),
            "cargo run --release -- analyse --data-dir 'my data' --weights 'w'\\''s.toml' \
             --csu-b 'NHS South CSU' --seed 2013 --permutations 500"
        );
    }
}
