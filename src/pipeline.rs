//! The `analyse` pipeline as a short list of named stages:
//! ingest → score → summarise → test → render → write. Only the first and last two touch files.

use crate::analysis::{self, Scored};
use crate::charts::{self, Bar};
use crate::frames;
use crate::ingest::{self, Evidence, Inputs, Provenance, REGIONS};
use crate::output::Staging;
use crate::published::Published;
use crate::report::{self, Findings, ProvenanceSummary};
use crate::score;
use anyhow::Result;
use polars::prelude::DataFrame;
use std::path::PathBuf;

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
}

impl AnalyseOptions {
    pub fn new(data_dir: impl Into<PathBuf>, output_dir: impl Into<PathBuf>) -> Self {
        AnalyseOptions {
            data_dir: data_dir.into(),
            output_dir: output_dir.into(),
            weights: None,
            compare: (
                analysis::DEFAULT_CSU_A.into(),
                analysis::DEFAULT_CSU_B.into(),
            ),
            seed: 2013,
            bootstrap: 2000,
            permutations: 10_000,
            sensitivity_seeds: 20,
        }
    }
}

/// Everything computed, before anything is written.
pub struct Results {
    /// Seconds spent in each stage, in order.
    pub timings: Vec<(String, f64)>,
    pub scores: DataFrame,
    pub regions: DataFrame,
    pub csus: DataFrame,
    pub findings: Findings,
    pub scored: Scored,
    pub score: Vec<f64>,
}

/// What a finished run reports back to the command line.
pub struct RunSummary {
    pub output_dir: PathBuf,
    pub files: Vec<String>,
    pub warnings: Vec<String>,
    pub claims: Vec<(String, bool, String)>,
    pub reconstructed_ccgs: usize,
    pub n_ccgs: usize,
    /// Seconds per stage (ingest, score, …, write), for the benchmark.
    pub timings: Vec<(String, f64)>,
}

/// Records how long each named stage took.
struct Stopwatch(std::time::Instant, Vec<(String, f64)>);

impl Stopwatch {
    fn new() -> Self {
        Stopwatch(std::time::Instant::now(), vec![])
    }
    fn lap(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        self.1
            .push((stage.to_string(), (now - self.0).as_secs_f64()));
        self.0 = now;
    }
}

/// Run the whole pipeline and write every output atomically.
pub fn analyse(opts: &AnalyseOptions) -> Result<RunSummary> {
    let mut clock = Stopwatch::new();
    let inputs = ingest::load(&opts.data_dir, opts.weights.as_deref())?;
    let published = Published::load_if_present(&opts.data_dir)?;
    clock.lap("ingest + validate");
    let warnings = match &published {
        Some(p) => crate::checkdata::check(&inputs, p)
            .into_iter()
            .filter(|c| !c.ok)
            .map(|c| {
                format!(
                    "check-data MISMATCH: {} (published {}, data {})",
                    c.item, c.published, c.data
                )
            })
            .collect(),
        None => vec![],
    };
    // Prepare the output first: an unwritable output fails fast, before any long computation.
    let staging = Staging::new(&opts.output_dir)?;
    clock.lap("check-data + prepare output");
    let mut results = compute(&inputs, published.as_ref(), opts)?;
    let mut stage_times = std::mem::take(&mut results.timings);
    let files = write_outputs(
        &results,
        &inputs,
        published.as_ref(),
        &staging,
        &mut stage_times,
    )?;
    clock.0 = std::time::Instant::now();
    staging.commit()?;
    clock.lap("commit");
    let mut timings = clock.1;
    timings.splice(2..2, stage_times);
    let f = &results.findings;
    Ok(RunSummary {
        output_dir: opts.output_dir.clone(),
        files,
        warnings,
        claims: f
            .claims
            .iter()
            .map(|c| (c.id.clone(), c.reproduced, c.ours.clone()))
            .collect(),
        reconstructed_ccgs: f.provenance.ccgs_reconstructed,
        n_ccgs: f.provenance.n_ccgs,
        timings,
    })
}

/// Stages 2–6: pure computation from inputs to results.
pub fn compute(
    inputs: &Inputs,
    published: Option<&Published>,
    opts: &AnalyseOptions,
) -> Result<Results> {
    let mut clock = Stopwatch::new();
    let evidence = ingest::evidence_by_ccg(inputs);
    let ccg_df = frames::ccg_frame(&inputs.ccgs, &evidence)?;
    let cond_df = frames::condition_frame(&inputs.conditions)?;
    let scores = score::composite_scores(&ccg_df, &cond_df, &inputs.weights)?;
    let regions = score::region_summary(&scores)?;
    let csus = score::csu_summary(&scores)?;
    clock.lap("score + summarise (polars)");

    let scored = analysis::scored(&inputs.ccgs, &inputs.conditions, &evidence);
    let score = frames::f64s(&scores, "composite_score")?;
    // The polars scores are paired with `scored`'s columns by position: both sort by ods_code.
    let codes = scores.column("ods_code")?.str()?;
    anyhow::ensure!(
        codes.len() == scored.ods_code.len()
            && codes
                .iter()
                .zip(&scored.ods_code)
                .all(|(a, b)| a == Some(b.as_str())),
        "internal error: score table and CCG list are not in the same order"
    );
    let compare = (opts.compare.0.as_str(), opts.compare.1.as_str());
    let headline = analysis::headline(&scored, &score, compare);
    clock.lap("headline + correlations");
    let significance = analysis::significance(&score, &scored.region, opts.permutations, opts.seed);
    clock.lap("significance (permutations)");
    let intervals = analysis::bootstrap(&scored, &score, compare, opts.bootstrap, opts.seed);
    clock.lap("bootstrap");
    let robustness = analysis::robustness(&scored, &inputs.weights, compare);
    let confirmed = scored.subset(|i| scored.csu_confirmed[i]);
    let confirmed_ratio =
        analysis::headline(&confirmed, &confirmed.scores(&inputs.weights), compare).csu_ratio;
    let sensitivity = match published {
        Some(p) if opts.sensitivity_seeds > 0 => Some(crate::reconstruct::sensitivity(
            inputs,
            p,
            &inputs.weights,
            compare,
            opts.sensitivity_seeds,
        )?),
        _ => None,
    };
    clock.lap("robustness + sensitivity");
    let published_only = published.map(|p| crate::published::published_only(p, &inputs.ccgs));

    let provenance = provenance_summary(inputs, &evidence);
    let behind_all = behind(&scored, |_| true);
    let behind_csu = behind(&scored, |i| {
        scored.csu[i] == compare.0 || scored.csu[i] == compare.1
    });
    let claims = report::claims(
        &headline,
        &intervals,
        &robustness,
        sensitivity.as_ref(),
        &[behind_all, behind_all, behind_all, behind_all, behind_csu],
        compare,
        &significance,
    );
    let region_rows = (0..4)
        .filter(|&r| headline.region_n[r] > 0)
        .map(|r| report::RegionRow {
            region: REGIONS[r].into(),
            n_ccgs: headline.region_n[r],
            median: headline.region_medians[r],
            median_ci_95: intervals.region_median[r],
        })
        .collect();
    let findings = Findings {
        title: "Clinical commissioning groups: a north-south divide? Reproduction and stress test"
            .into(),
        provenance,
        weights: inputs.weights.clone(),
        compare_csus: opts.compare.clone(),
        claims,
        headline,
        regions: region_rows,
        significance,
        intervals,
        csu_ratio_confirmed_only: Some(confirmed_ratio).filter(|r| !r.is_nan()),
        funnel_outside: crate::funnel::outside(&scored.population, &score),
        robustness,
        published_only,
        sensitivity,
        seed: opts.seed,
    };
    clock.lap("findings");
    Ok(Results {
        timings: clock.1,
        scores,
        regions,
        csus,
        findings,
        scored,
        score,
    })
}

/// Share of CCGs (and of their condition rows) not wholly published, among those selected.
fn behind(s: &Scored, keep: impl Fn(usize) -> bool) -> (f64, f64) {
    let idx: Vec<usize> = (0..s.ods_code.len()).filter(|&i| keep(i)).collect();
    let not_published = idx
        .iter()
        .filter(|&&i| s.evidence[i] != Evidence::Published)
        .count();
    let rows: u32 = idx.iter().map(|&i| s.n_conditions(i)).sum();
    let rec: u32 = idx.iter().map(|&i| s.reconstructed_rows[i]).sum();
    (
        not_published as f64 / idx.len().max(1) as f64,
        if rows == 0 {
            0.0
        } else {
            rec as f64 / rows as f64
        },
    )
}

fn provenance_summary(
    inputs: &Inputs,
    evidence: &std::collections::HashMap<String, Evidence>,
) -> ProvenanceSummary {
    let count = |e: Evidence| {
        inputs
            .ccgs
            .iter()
            .filter(|c| evidence.get(&c.ods_code) == Some(&e))
            .count()
    };
    let mut methods: Vec<String> = inputs
        .outcomes
        .iter()
        .flatten()
        .filter(|o| {
            o.evidence != Evidence::Published || o.wave_provenance == Provenance::Reconstructed
        })
        .map(|o| o.method.clone())
        .filter(|m| !m.is_empty())
        .collect();
    methods.sort();
    methods.dedup();
    ProvenanceSummary {
        n_ccgs: inputs.ccgs.len(),
        ccgs_published: count(Evidence::Published),
        ccgs_count_published: count(Evidence::CountPublished),
        ccgs_reconstructed: count(Evidence::Reconstructed),
        condition_rows: inputs.conditions.len(),
        condition_rows_reconstructed: inputs
            .conditions
            .iter()
            .filter(|c| c.provenance == Provenance::Reconstructed)
            .count(),
        waves_reconstructed: inputs
            .outcomes
            .iter()
            .flatten()
            .filter(|o| o.wave_provenance == Provenance::Reconstructed)
            .count(),
        calibrated_to_findings: methods.iter().any(|m| m.contains("published-findings")),
        methods,
    }
}

/// Stages 7–8: charts, tables and findings into the staging directory. Returns the file names.
pub fn write_outputs(
    r: &Results,
    inputs: &Inputs,
    published: Option<&Published>,
    out: &Staging,
    timings: &mut Vec<(String, f64)>,
) -> Result<Vec<String>> {
    let mut clock = Stopwatch::new();
    let f = &r.findings;
    let p = &f.provenance;
    let note = format!(
        "Source: ccg-divide, reproducing The King's Fund (2013) 'Clinical commissioning groups: a north-south divide?'. \
         {} of {} CCGs ({:.0}%) rest wholly on reconstructed data{}; see findings.md. Weights: {}.",
        p.ccgs_reconstructed,
        p.n_ccgs,
        100.0 * p.ccgs_reconstructed as f64 / p.n_ccgs.max(1) as f64,
        if p.calibrated_to_findings { ", calibrated to the published findings" } else { "" },
        f.weights.name
    );
    let score_label = format!("Composite score ({} weights)", f.weights.name);
    let regions = frames::strs(&r.scores, "region")?;

    // distribution.png
    let dist: Vec<(f64, String)> = r
        .score
        .iter()
        .copied()
        .zip(regions.iter().cloned())
        .collect();
    charts::distribution(&out.path("distribution.png"), &dist, &score_label, &note)?;

    // region_medians.png
    let bars: Vec<Bar> = f
        .regions
        .iter()
        .map(|row| Bar {
            label: row.region.clone(),
            value: row.median,
            interval: Some(row.median_ci_95),
            colour: REGIONS
                .iter()
                .position(|x| *x == row.region)
                .map(|i| charts::REGION_COLOURS[i]),
        })
        .collect();
    charts::labelled_bars(
        &out.path("region_medians.png"),
        &format!(
            "Median composite score by NHS CB region: highest {}x the lowest",
            report::approx(f.headline.median_ratio)
        ),
        &format!(
            "Median score (bars: bootstrap 95% interval, {} resamples)",
            f.intervals.resamples
        ),
        &bars,
        &note,
    )?;

    // csu_scores.png: mean per CSU, with intervals for the two compared CSUs.
    let csu_names = frames::strs(&r.csus, "csu")?;
    let csu_means = frames::f64s(&r.csus, "mean_score")?;
    let csu_n = frames::f64s(&r.csus, "n_ccgs")?;
    let csu_bars: Vec<Bar> = csu_names
        .iter()
        .zip(&csu_means)
        .zip(&csu_n)
        .map(|((name, mean), n)| Bar {
            label: format!("{} ({})", name.trim_start_matches("NHS "), *n as usize),
            value: *mean,
            interval: if *name == f.compare_csus.0 {
                Some(f.intervals.csu_a_mean)
            } else if *name == f.compare_csus.1 {
                Some(f.intervals.csu_b_mean)
            } else {
                None
            },
            // The two compared CSUs stand out; in-house support is not a CSU, so it is grey.
            colour: if *name == f.compare_csus.0 || *name == f.compare_csus.1 {
                Some(charts::HIGHLIGHT)
            } else if name.eq_ignore_ascii_case("in-house") {
                Some(charts::MUTED)
            } else {
                None
            },
        })
        .collect();
    charts::horizontal_bars(
        &out.path("csu_scores.png"),
        &format!(
            "Mean composite score by CSU: {} vs {}, {}x",
            short_csu(&f.compare_csus.0),
            short_csu(&f.compare_csus.1),
            report::approx(f.headline.csu_ratio)
        ),
        "Mean composite score per CCG (CCGs in brackets; orange: the two compared, with bootstrap 95% intervals; grey: no CSU)",
        &csu_bars,
        &note,
    )?;

    // Scatter plots.
    let pop = frames::f64s(&r.scores, "population")?;
    let imd = frames::f64s(&r.scores, "imd_score")?;
    let pts = |x: &[f64]| -> Vec<(f64, f64, String)> {
        x.iter()
            .zip(&r.score)
            .zip(&regions)
            .map(|((a, b), c)| (*a, *b, c.clone()))
            .collect()
    };
    let h = &f.headline;
    charts::scatter(
        &out.path("score_vs_population.png"),
        &charts::Scatter {
            title: &format!(
                "Score vs registered population: Spearman rho = {:.2} (p = {:.2}), Pearson r = {:.2}",
                h.size.r, h.size.p_value, h.size_pearson.r
            ),
            x_label: "Registered population, April-June 2013 (log scale)",
            y_label: &score_label,
            log_x: true,
        },
        &pts(&pop),
        &note,
    )?;
    charts::scatter(
        &out.path("score_vs_deprivation.png"),
        &charts::Scatter {
            title: &format!(
                "Score vs deprivation: Spearman rho = {:.2} (p = {:.2}), Pearson r = {:.2}",
                h.deprivation.r, h.deprivation.p_value, h.deprivation_pearson.r
            ),
            x_label: "IMD 2010 score (higher = more deprived)",
            y_label: &score_label,
            log_x: false,
        },
        &pts(&imd),
        &note,
    )?;
    charts::funnel(
        &out.path("funnel_population.png"),
        "Funnel plot: score against CCG size, with control limits",
        "Registered population (log scale)",
        &score_label,
        &crate::funnel::funnel(&pop, &r.score, &regions),
        &format!("{note} Limits: overall mean ± z·SD·sqrt(mean population / population), z = 1.96 and 3.09."),
    )?;
    if let Some(po) = &f.published_only {
        let groups: Vec<String> = po.reviews.iter().map(|x| x.0.clone()).collect();
        let series: Vec<(String, Vec<f64>)> = REGIONS
            .iter()
            .enumerate()
            .map(|(ri, name)| {
                (
                    name.to_string(),
                    po.reviews.iter().map(|x| x.2[ri] as f64).collect(),
                )
            })
            .collect();
        charts::grouped_bars(
            &out.path("directions_by_region.png"),
            "CCGs under legal directions by region, at authorisation and each published review",
            "CCGs under legal directions (named in sources)",
            &groups,
            &series,
            "Source: published facts only (data/published/facts.csv: BMJ, HSJ, Healthcare Leader, Pulse); no reconstruction involved.",
        )?;
    }

    clock.lap("charts (PNG)");
    // Tables and findings.
    out.write("ccg_scores.csv", report::frame_csv(&r.scores)?)?;
    out.write("region_summary.csv", report::frame_csv(&r.regions)?)?;
    out.write("csu_summary.csv", report::frame_csv(&r.csus)?)?;
    out.write("robustness.csv", report::robustness_csv(&f.robustness)?)?;
    out.write("findings.json", serde_json::to_string_pretty(f)? + "\n")?;
    out.write("findings.md", report::findings_markdown(f))?;
    out.write("weights_used.toml", inputs.weights.to_toml())?;
    // Every file the run read, published facts included, so a rerun can tell if any changed.
    let manifest: String = inputs
        .files
        .iter()
        .chain(published.iter().flat_map(|p| &p.files))
        .map(|x| format!("{}  {}\n", x.sha256, x.path.display()))
        .collect();
    out.write("inputs.sha256", manifest)?;

    clock.lap("tables + findings");
    timings.extend(clock.1);
    let mut files: Vec<String> = std::fs::read_dir(out.path(""))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(files)
}

/// "NHS Hertfordshire and Essex CSU" → "Hertfordshire and Essex", for chart titles.
fn short_csu(name: &str) -> &str {
    let name = name.strip_prefix("NHS ").unwrap_or(name);
    name.strip_suffix(" CSU").unwrap_or(name)
}
