//! The findings value: every figure the reports show, assembled once at the end of
//! `pipeline::compute` from the stages' values. findings.md, findings.json, report.html, the
//! charts and the tables are all rendered from it. Also the stages that derive its parts: the
//! `provenance` summary and the `claims` rows (with the published record attached).

use crate::format::{approx, num, p_text, pct, times};
use crate::model::calibration::CalibrationRecord;
use crate::model::published::SourceFile;
use crate::model::weights::Weights;
use crate::model::{CcgOutcome, Evidence, Provenance, REGIONS};
use crate::stages::adjusted::AdjustedRegion;
use crate::stages::area_teams::AreaTeams;
use crate::stages::csu_within_region::CsuWithinRegion;
use crate::stages::decomposition::Decomposition;
use crate::stages::headline::{verdicts, Headline, Verdict, CLAIMS};
use crate::stages::later_ratings::LaterRatings;
use crate::stages::published_only::PublishedOnly;
use crate::stages::resample::Intervals;
use crate::stages::robustness::RobustnessRow;
use crate::stages::sensitivity::Sensitivity;
use crate::stages::significance::Significance;
use crate::stats::Correlation;
use polars::prelude::*;
use serde::Serialize;

/// How much of the data rests on reconstruction.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceSummary {
    pub n_ccgs: usize,
    pub ccgs_published: usize,
    pub ccgs_count_published: usize,
    pub ccgs_reconstructed: usize,
    pub condition_rows: usize,
    pub condition_rows_reconstructed: usize,
    pub waves_reconstructed: usize,
    /// Distinct descriptions of how reconstructed rows were made (seed, calibration).
    pub methods: Vec<String>,
    pub calibrated_to_findings: bool,
}

/// One published claim with our figure.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: String,
    pub statement: String,
    pub published: String,
    pub ours: String,
    pub value: f64,
    /// True only when the verdict is "reproduced" (kept for scripts that read this field).
    pub reproduced: bool,
    /// reproduced / not_reproduced / cannot_be_assessed, with the reason for the last.
    #[serde(flatten)]
    pub verdict: Verdict,
    pub criterion: String,
    pub p_value: Option<f64>,
    pub interval_95: Option<(f64, f64)>,
    /// Share of the CCGs behind this claim whose outcome is not wholly published.
    pub reconstructed_ccg_share: f64,
    /// Share of the condition rows behind this claim that are reconstructed.
    pub reconstructed_row_share: f64,
    /// Scheme → verdict label, from the robustness stage.
    pub robustness: Vec<(String, String)>,
    /// Share of reconstruction seeds (calibration none) under which the claim holds.
    pub sensitivity_share: Option<f64>,
    /// What the published record says of the claim over every consistent dataset (None when
    /// the claim is not bounded, or there are no published facts).
    pub published_record: Option<PublishedRecord>,
    /// The verdict as its badge reads: the label, and on reconstructed data what the record
    /// says ("reproduced on reconstructed data; open in the published record").
    pub verdict_words: String,
    /// The badge's class: the verdict's, or `reproduced-open` when a reproduced claim is not
    /// settled by the record (so no plain green badge stands on an open claim).
    pub verdict_class: String,
}

/// A claim over every dataset consistent with the published record.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedRecord {
    /// settled / open / ruled_out / undetermined, under published facts only.
    pub status: String,
    /// The claim's figure over the consistent set, in words.
    pub range: String,
    /// The same with the reconstruction's assumptions added.
    pub status_with_assumptions: String,
    pub range_with_assumptions: String,
    /// What must have been true for the claim to hold, in plain words.
    pub necessary: String,
}

/// A status in words ("ruled out"), or "undetermined" when neither end was proved.
pub fn status_word(s: Option<crate::stages::bounds::RecordStatus>) -> String {
    s.map_or("undetermined", |x| x.label()).to_string()
}

/// Add what the published record says to each claim, and word the badges from it.
pub fn attach_record(claims: &mut [Claim], record: Option<&crate::stages::bounds::RecordBounds>) {
    use crate::stages::bounds::{headline_figure, range_text, Assumptions};
    for c in claims.iter_mut() {
        c.published_record = record.and_then(|r| {
            let only = r.claim(Assumptions::PublishedOnly, &c.id)?;
            let with = r.claim(Assumptions::Reconstruction, &c.id)?;
            let share = c.id == "with_conditions";
            Some(PublishedRecord {
                status: status_word(only.status).replace(' ', "_"),
                range: headline_figure(only)
                    .map(|f| range_text(f, share))
                    .unwrap_or_default(),
                status_with_assumptions: status_word(with.status).replace(' ', "_"),
                range_with_assumptions: headline_figure(with)
                    .map(|f| range_text(f, share))
                    .unwrap_or_default(),
                necessary: only.necessary.clone(),
            })
        });
        let reconstructed = c.reconstructed_ccg_share > 0.0;
        let status = c
            .published_record
            .as_ref()
            .map(|p| p.status.replace('_', " "));
        (c.verdict_words, c.verdict_class) = match (&c.verdict, status.as_deref()) {
            (Verdict::Reproduced, Some("settled")) => ("reproduced".into(), "reproduced".into()),
            (Verdict::Reproduced, _) if !reconstructed => {
                ("reproduced".into(), "reproduced".into())
            }
            (Verdict::Reproduced, Some("ruled out")) => (
                "reproduced on reconstructed data; ruled out by the published record".into(),
                "reproduced-open".into(),
            ),
            (Verdict::Reproduced, Some(s)) => (
                format!("reproduced on reconstructed data; {s} in the published record"),
                "reproduced-open".into(),
            ),
            (Verdict::Reproduced, None) => (
                "reproduced on reconstructed data; not bounded by the published record".into(),
                "reproduced-open".into(),
            ),
            (v, _) => (v.label().to_string(), v.label().replace(' ', "-")),
        };
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub region: String,
    pub n_ccgs: usize,
    pub median: f64,
    pub median_ci_95: (f64, f64),
}

/// What it takes to check and rerun this run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// The command that reproduces this run from the repository.
    pub command: String,
    /// Every file read: (path, SHA-256), as in inputs.sha256.
    pub inputs: Vec<(String, String)>,
    /// Every source address `data/published/` cites, by file.
    pub sources: Vec<SourceFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    pub title: String,
    pub provenance: ProvenanceSummary,
    pub weights: Weights,
    pub compare_csus: (String, String),
    pub claims: Vec<Claim>,
    pub headline: Headline,
    pub regions: Vec<RegionRow>,
    pub significance: Significance,
    pub intervals: Intervals,
    pub csu_ratio_confirmed_only: Option<f64>,
    /// CCGs outside the funnel plot's ((95% above, below), (99.8% above, below)) limits.
    pub funnel_outside: ((usize, usize), (usize, usize)),
    pub robustness: Vec<RobustnessRow>,
    pub published_only: Option<PublishedOnly>,
    /// Region or area team: medians by area team and the regional ratio without each.
    pub area_teams: Option<AreaTeams>,
    /// Each CSU against the other CSUs of its region, and a within-region permutation test.
    pub csu_within_region: CsuWithinRegion,
    /// The region effect adjusted for size and deprivation (None when it cannot be fitted).
    pub adjusted_region: Option<AdjustedRegion>,
    /// Shares of the variation in score ranks by region, area team and CSU within region.
    pub decomposition: Decomposition,
    /// The recorded calibration run (`ccg-divide calibration`), and whether the inputs changed
    /// since it was made.
    pub calibration: Option<(CalibrationRecord, bool)>,
    /// NHS England's later ratings against 2013 (published facts only).
    pub later_ratings: Option<LaterRatings>,
    pub sensitivity: Option<Sensitivity>,
    /// What the published record settles: every claim's figure over every dataset consistent
    /// with it, for every weighting scheme and both assumption sets.
    pub record: Option<crate::stages::bounds::RecordBounds>,
    pub seed: u64,
    /// Not in findings.json: it holds results, so the same data re-saved in another encoding or
    /// as a workbook give the same file. The inputs' hashes are in inputs.sha256 and the report.
    #[serde(skip)]
    pub run: RunRecord,
}

/// Share of the CCGs behind a claim whose outcome is not wholly published, and share of their
/// condition rows that are reconstructed (`keep` selects the CCGs of the count table).
pub fn reconstructed_shares(counts: &DataFrame, keep: Expr) -> PolarsResult<(f64, f64)> {
    let t = counts
        .clone()
        .lazy()
        .filter(keep)
        .select([
            len().cast(DataType::Float64).alias("ccgs"),
            col("evidence")
                .neq(lit(Evidence::Published.as_str()))
                .sum()
                .cast(DataType::Float64)
                .alias("not_published"),
            col("n_conditions")
                .sum()
                .cast(DataType::Float64)
                .alias("rows"),
            col("n_reconstructed")
                .sum()
                .cast(DataType::Float64)
                .alias("reconstructed"),
        ])
        .collect()?;
    let get = |c: &str| -> PolarsResult<f64> { Ok(t.column(c)?.f64()?.get(0).unwrap_or(0.0)) };
    let (ccgs, rows) = (get("ccgs")?, get("rows")?);
    Ok((
        get("not_published")? / ccgs.max(1.0),
        if rows == 0.0 {
            0.0
        } else {
            get("reconstructed")? / rows
        },
    ))
}

/// How much of the data rests on reconstruction, from the count table and ccg_outcomes.csv.
pub fn provenance_summary(
    counts: &DataFrame,
    outcomes: Option<&[CcgOutcome]>,
) -> PolarsResult<ProvenanceSummary> {
    let evidence = crate::columns::strings(counts, "evidence")?;
    let count = |e: Evidence| evidence.iter().filter(|x| *x == e.as_str()).count();
    let sum = |c: &str| -> PolarsResult<usize> {
        Ok(crate::columns::u32_slice(counts, c)?
            .iter()
            .map(|&x| x as usize)
            .sum())
    };
    let outcomes = outcomes.unwrap_or_default();
    let mut methods: Vec<String> = outcomes
        .iter()
        .filter(|o| {
            o.evidence != Evidence::Published || o.wave_provenance == Provenance::Reconstructed
        })
        .map(|o| o.method.clone())
        .filter(|m| !m.is_empty())
        .collect();
    methods.sort();
    methods.dedup();
    Ok(ProvenanceSummary {
        n_ccgs: counts.height(),
        ccgs_published: count(Evidence::Published),
        ccgs_count_published: count(Evidence::CountPublished),
        ccgs_reconstructed: count(Evidence::Reconstructed),
        condition_rows: sum("n_conditions")?,
        condition_rows_reconstructed: sum("n_reconstructed")?,
        waves_reconstructed: outcomes
            .iter()
            .filter(|o| o.wave_provenance == Provenance::Reconstructed)
            .count(),
        calibrated_to_findings: methods.iter().any(|m| m.contains("published-findings")),
        methods,
    })
}

/// A rank correlation with its interval and p, and Pearson's r, for a claim's "ours"; when
/// the scores or the other measure do not vary, the correlation is undefined and says so.
fn correlation_text(rank: &Correlation, linear: &Correlation) -> String {
    if !rank.r.is_finite() || !rank.p_value.is_finite() {
        return "undefined (Spearman's rho needs scores and values that vary)".into();
    }
    format!(
        "Spearman rho = {:.3} (95% CI {:.2} to {:.2}), {}; Pearson r = {:.3}",
        rank.r,
        rank.ci_low,
        rank.ci_high,
        p_text(rank.p_value),
        linear.r
    )
}

// Long because: the five claims' rows side by side, so a reader checks a claim in one place.
/// Build the claim rows from the analysis results.
pub fn claims(
    h: &Headline,
    intervals: &Intervals,
    robustness: &[RobustnessRow],
    sensitivity: Option<&Sensitivity>,
    reconstructed_shares: &[(f64, f64); 5],
    compare: (&str, &str),
    significance: &Significance,
) -> Vec<Claim> {
    let verdicts = verdicts(h, compare);
    let lowest = REGIONS[h.lowest_region];
    let highest = REGIONS[h.highest_region];
    let rows: [(String, String, String, f64, String, Option<f64>, Option<(f64, f64)>); 5] = [
        (
            "Four in five CCGs were authorised with conditions.".into(),
            "168 of 211 (79.6%)".into(),
            format!("{} of {} ({})", h.n_with_conditions, h.n_ccgs, pct(h.share_with_conditions)),
            h.share_with_conditions,
            "holds if 75% to 85% of CCGs had at least one condition".into(),
            None,
            None,
        ),
        (
            "No relation between a CCG's conditions and its size.".into(),
            "no relation (no figure published)".into(),
            correlation_text(&h.size, &h.size_pearson),
            h.size.r,
            "holds if Spearman's rho of score with registered population is not significant at 5%".into(),
            Some(h.size.p_value),
            Some((h.size.ci_low, h.size.ci_high)),
        ),
        (
            "No relation to deprivation; more deprived areas did, if anything, slightly better.".into(),
            "no relation, slightly negative (no figure published)".into(),
            correlation_text(&h.deprivation, &h.deprivation_pearson),
            h.deprivation.r,
            "holds unless score rises significantly (5%) with the IMD deprivation score".into(),
            Some(h.deprivation.p_value),
            Some((h.deprivation.ci_low, h.deprivation.ci_high)),
        ),
        (
            "Four-fold variation between the median scores of the four regions, the North lowest.".into(),
            "about 4x, North of England lowest".into(),
            format!(
                "{} ({} median {} / {} median {}); lowest: {}",
                times(h.median_ratio),
                highest,
                num(h.region_medians[h.highest_region]),
                lowest,
                num(h.region_medians[h.lowest_region]),
                lowest
            ),
            h.median_ratio,
            "holds if the highest regional median is at least 3 times the lowest (finite) and the North's is the lowest".into(),
            Some(significance.permutation_p),
            Some(intervals.median_ratio),
        ),
        (
            format!("CCGs served by {} had on average more than 30 times the severity-weighted conditions of those served by {}.", compare.0, compare.1),
            "more than 30x".into(),
            format!(
                "{} (mean {} over {} CCGs vs {} over {} CCGs)",
                times(h.csu_ratio),
                approx(h.csu_a_mean),
                h.csu_a_n,
                approx(h.csu_b_mean),
                h.csu_b_n
            ),
            h.csu_ratio,
            "holds if the ratio of mean scores exceeds 30".into(),
            None,
            Some(intervals.csu_ratio),
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(
            |(k, (statement, published, ours, value, criterion, p_value, interval_95))| Claim {
                id: CLAIMS[k].into(),
                statement,
                published,
                ours,
                value,
                reproduced: verdicts[k].reproduced(),
                verdict: verdicts[k].clone(),
                criterion,
                p_value,
                interval_95,
                reconstructed_ccg_share: reconstructed_shares[k].0,
                reconstructed_row_share: reconstructed_shares[k].1,
                robustness: robustness
                    .iter()
                    .map(|r| (r.scheme.clone(), r.verdicts[k].label().to_string()))
                    .collect(),
                sensitivity_share: sensitivity
                    .map(|s| s.holds[k] as f64 / s.seeds.len().max(1) as f64),
                published_record: None,
                verdict_words: verdicts[k].label().to_string(),
                verdict_class: verdicts[k].label().replace(' ', "-"),
            },
        )
        .collect()
}
