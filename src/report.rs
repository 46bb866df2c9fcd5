//! Stage 8: tables (CSV), findings (JSON and Markdown). Pure: everything returns bytes or text.

use crate::analysis::{Headline, Intervals, RobustnessRow, Significance, CLAIMS};
use crate::ingest::REGIONS;
use crate::weights::Weights;
use polars::prelude::*;
use serde::Serialize;

/// Numbers in CSV and Markdown: whole numbers plainly, others to at most 4 decimals.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A number for prose and chart titles: three significant figures (CSV files keep `num`).
pub fn approx(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return num(v);
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A DataFrame as CSV text (RFC 4180 quoting, `\n` line ends).
pub fn frame_csv(df: &DataFrame) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(vec![]);
    w.write_record(df.get_column_names().iter().map(|n| n.as_str()))?;
    let cols = df.columns();
    for i in 0..df.height() {
        let row: Vec<String> = cols
            .iter()
            .map(|c| match c.get(i) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(AnyValue::String(s)) => s.to_string(),
                Ok(AnyValue::StringOwned(s)) => s.to_string(),
                Ok(AnyValue::Boolean(b)) => b.to_string(),
                Ok(AnyValue::Float64(f)) => num(f),
                Ok(AnyValue::Float32(f)) => num(f as f64),
                Ok(v) => v.to_string(),
            })
            .collect();
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

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
    pub reproduced: bool,
    pub criterion: String,
    pub p_value: Option<f64>,
    pub interval_95: Option<(f64, f64)>,
    /// Share of the CCGs behind this claim whose outcome is not wholly published.
    pub reconstructed_ccg_share: f64,
    /// Share of the condition rows behind this claim that are reconstructed.
    pub reconstructed_row_share: f64,
    /// Scheme → holds, from the robustness stage.
    pub robustness: Vec<(String, bool)>,
    /// Share of reconstruction seeds (calibration none) under which the claim holds.
    pub sensitivity_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub region: String,
    pub n_ccgs: usize,
    pub median: f64,
    pub median_ci_95: (f64, f64),
}

/// Reconstruction sensitivity: how often each claim holds across seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    pub calibration: String,
    pub seeds: Vec<u64>,
    pub holds: [usize; 5],
}

/// Evidence that involves no reconstruction at all.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedOnly {
    /// Per region: (CCGs, CCGs given legal directions at authorisation).
    pub directions_by_region: Vec<(String, usize, usize)>,
    pub fisher_p_north_vs_rest: f64,
    /// Per published review: label, total CCGs under directions, and by region.
    pub reviews: Vec<(String, usize, [usize; 4])>,
    /// Still conditional in May 2014 (published totals): North (with, of n), rest (with, of n),
    /// Fisher's exact p for North vs the rest.
    pub conditional_may2014: Option<ConditionalNorthVsRest>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionalNorthVsRest {
    pub north_conditional: usize,
    pub north_ccgs: usize,
    pub rest_conditional: usize,
    pub rest_ccgs: usize,
    pub fisher_p: f64,
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
    pub sensitivity: Option<Sensitivity>,
    pub seed: u64,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {:.3}", p)
    }
}

fn ci(i: (f64, f64)) -> String {
    format!("{} to {}", approx(i.0), approx(i.1))
}

/// Build the claim rows from the analysis results.
#[allow(clippy::too_many_arguments)]
pub fn claims(
    h: &Headline,
    intervals: &Intervals,
    robustness: &[RobustnessRow],
    sensitivity: Option<&Sensitivity>,
    behind: &[(f64, f64); 5],
    compare: (&str, &str),
    significance: &Significance,
) -> Vec<Claim> {
    let verdicts = crate::analysis::verdicts(h);
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
            format!(
                "Spearman rho = {:.3} (95% CI {:.2} to {:.2}), {}; Pearson r = {:.3}",
                h.size.r, h.size.ci_low, h.size.ci_high, p_text(h.size.p_value), h.size_pearson.r
            ),
            h.size.r,
            "holds if Spearman's rho of score with registered population is not significant at 5%".into(),
            Some(h.size.p_value),
            Some((h.size.ci_low, h.size.ci_high)),
        ),
        (
            "No relation to deprivation; more deprived areas did, if anything, slightly better.".into(),
            "no relation, slightly negative (no figure published)".into(),
            format!(
                "Spearman rho = {:.3} (95% CI {:.2} to {:.2}), {}; Pearson r = {:.3}",
                h.deprivation.r,
                h.deprivation.ci_low,
                h.deprivation.ci_high,
                p_text(h.deprivation.p_value),
                h.deprivation_pearson.r
            ),
            h.deprivation.r,
            "holds unless score rises significantly (5%) with the IMD deprivation score".into(),
            Some(h.deprivation.p_value),
            Some((h.deprivation.ci_low, h.deprivation.ci_high)),
        ),
        (
            "Four-fold variation between the median scores of the four regions, the North lowest.".into(),
            "about 4x, North of England lowest".into(),
            format!(
                "{}x ({} median {} / {} median {}); lowest: {}",
                approx(h.median_ratio),
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
                "{}x (mean {} over {} CCGs vs {} over {} CCGs)",
                approx(h.csu_ratio),
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
                reproduced: verdicts[k],
                criterion,
                p_value,
                interval_95,
                reconstructed_ccg_share: behind[k].0,
                reconstructed_row_share: behind[k].1,
                robustness: robustness
                    .iter()
                    .map(|r| (r.scheme.clone(), r.holds[k]))
                    .collect(),
                sensitivity_share: sensitivity
                    .map(|s| s.holds[k] as f64 / s.seeds.len().max(1) as f64),
            },
        )
        .collect()
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// findings.md: the report an analyst reads first.
pub fn findings_markdown(f: &Findings) -> String {
    let p = &f.provenance;
    let mut md = String::new();
    let push = |md: &mut String, s: &str| {
        md.push_str(s);
        md.push('\n');
    };
    push(&mut md, &format!("# {}\n", f.title));
    let wholly = p.ccgs_reconstructed;
    push(
        &mut md,
        &format!(
            "**How much of this rests on reconstruction.** Of {} CCGs, **{} ({}) rest wholly on reconstructed data**, \
             {} have a published number of conditions whose support levels are reconstructed, and {} have a fully \
             published outcome (published count and levels, or published as fully authorised). {} of {} condition rows ({}) \
             are reconstructed; {} CCGs' authorisation waves are reconstructed.",
            p.n_ccgs,
            wholly,
            pct(wholly as f64 / p.n_ccgs.max(1) as f64),
            p.ccgs_count_published,
            p.ccgs_published,
            p.condition_rows_reconstructed,
            p.condition_rows,
            pct(p.condition_rows_reconstructed as f64 / p.condition_rows.max(1) as f64),
            p.waves_reconstructed
        ),
    );
    md.push('\n');
    if !p.methods.is_empty() {
        push(
            &mut md,
            &format!("Reconstruction: {}.", p.methods.join("; ")),
        );
        md.push('\n');
    }
    if p.calibrated_to_findings {
        push(
            &mut md,
            "**Caution:** the reconstructed rows were calibrated to the published findings (`--calibrate published-findings`). \
             Those findings holding below is a property of the calibration, not evidence for them. The section \
             *Reconstruction sensitivity* shows what the published facts alone imply (`--calibrate none`), and \
             *Evidence from published facts alone* uses no reconstruction at all.",
        );
        md.push('\n');
    }
    let w = &f.weights;
    push(
        &mut md,
        &format!(
            "Severity weights ({}): support level I–VI = {}; extra per legal direction = {}. Seed for resampling: {}.\n",
            w.name,
            w.levels.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", "),
            num(w.legal_direction),
            f.seed
        ),
    );

    push(&mut md, "## The published claims\n");
    push(&mut md, "| # | Claim | Published | Ours | 95% interval | p-value | Reproduced | CCGs behind it not wholly published | Reconstructed rows behind it |");
    push(&mut md, "|---|---|---|---|---|---|---|---|---|");
    for (i, c) in f.claims.iter().enumerate() {
        push(
            &mut md,
            &format!(
                "| {} | {} | {} | {} | {} | {} | **{}** | {} | {} |",
                i + 1,
                c.statement,
                c.published,
                c.ours,
                c.interval_95.map(ci).unwrap_or_else(|| "–".into()),
                c.p_value.map(p_text).unwrap_or_else(|| "–".into()),
                yes_no(c.reproduced),
                pct(c.reconstructed_ccg_share),
                pct(c.reconstructed_row_share),
            ),
        );
    }
    md.push('\n');
    if f.published_only.is_some() {
        push(
            &mut md,
            "Claim 1's figure is itself a published total (43 fully authorised, 168 with conditions), which every \
             reconstruction must match exactly: it does not depend on the reconstruction, although most individual \
             CCGs' outcomes do.\n",
        );
    }
    push(&mut md, "How each claim is judged:\n");
    for (i, c) in f.claims.iter().enumerate() {
        push(&mut md, &format!("{}. {}: {}.", i + 1, c.id, c.criterion));
    }
    push(
        &mut md,
        "\nThe p-value for the regional spread is from a permutation test of the max/min median ratio \
         (region labels shuffled); the intervals are percentile bootstrap intervals (resampling CCGs within region, or within CSU).\n",
    );

    push(&mut md, "## Regions\n");
    push(
        &mut md,
        "| Region | CCGs | Median score | 95% interval of the median |",
    );
    push(&mut md, "|---|---|---|---|");
    for r in &f.regions {
        push(
            &mut md,
            &format!(
                "| {} | {} | {} | {} |",
                r.region,
                r.n_ccgs,
                num(r.median),
                ci(r.median_ci_95)
            ),
        );
    }
    let s = &f.significance;
    push(
        &mut md,
        &format!(
            "\nKruskal–Wallis across regions: H = {:.2} on {} df, {}. Permutation test of the median ratio ({} shuffles): {}. \
             The North had the lowest median in {} of bootstrap resamples.\n",
            s.kruskal_h,
            s.kruskal_df,
            p_text(s.kruskal_p),
            s.permutations,
            p_text(s.permutation_p),
            pct(f.intervals.north_lowest_share)
        ),
    );
    push(&mut md, "Pairwise Mann–Whitney tests (Holm-adjusted):\n");
    push(&mut md, "| Region | Region | U | p | p (Holm) |");
    push(&mut md, "|---|---|---|---|---|");
    for (a, b, u, p, adj) in &s.pairwise {
        push(
            &mut md,
            &format!(
                "| {a} | {b} | {} | {} | {} |",
                num(*u),
                p_text(*p).trim_start_matches("p ").trim_start_matches("= "),
                p_text(*adj)
                    .trim_start_matches("p ")
                    .trim_start_matches("= ")
            ),
        );
    }
    md.push('\n');

    push(&mut md, "## Size (funnel plot)\n");
    let ((a95, b95), (a998, b998)) = f.funnel_outside;
    push(
        &mut md,
        &format!(
            "`funnel_population.png` plots each CCG's score against its registered population with limits that narrow \
             as CCGs get larger (mean ± z·SD·√(mean population / population), SD estimated from the data). If small CCGs \
             did worse, they would crowd above the wide end of the funnel. Outside the 95% limits: {a95} above, {b95} below \
             (about {} expected by chance on each side); outside the 99.8% limits: {a998} above, {b998} below. \
             Lower limits below zero are not drawn (scores cannot be negative).\n",
            approx(0.025 * f.headline.n_ccgs as f64),
        ),
    );
    push(&mut md, "## CSUs\n");
    push(
        &mut md,
        &format!(
            "{} vs {}: mean score {} (95% interval {}) vs {} (95% interval {}); ratio {} (95% interval {}).",
            f.compare_csus.0,
            f.compare_csus.1,
            approx(f.headline.csu_a_mean),
            ci(f.intervals.csu_a_mean),
            approx(f.headline.csu_b_mean),
            ci(f.intervals.csu_b_mean),
            approx(f.headline.csu_ratio),
            ci(f.intervals.csu_ratio)
        ),
    );
    match f.csu_ratio_confirmed_only {
        Some(r) => push(
            &mut md,
            &format!(
                "\n\nCounting only CCGs whose CSU is confirmed by a source (named or area-level): ratio {}{}.\n",
                approx(r),
                if (r - f.headline.csu_ratio).abs() < 1e-12 {
                    " (unchanged: every CCG of the two compared CSUs has a confirmed assignment)"
                } else {
                    ""
                }
            ),
        ),
        None => push(&mut md, "\n"),
    }
    push(
        &mut md,
        "All CSUs: see `csu_summary.csv` and `csu_scores.png`.\n",
    );

    push(&mut md, "## Robustness to the severity weighting\n");
    let mut header = "| Claim |".to_string();
    let mut rule = "|---|".to_string();
    for r in &f.robustness {
        header.push_str(&format!(" {} |", r.scheme));
        rule.push_str("---|");
    }
    push(&mut md, &header);
    push(&mut md, &rule);
    for (k, id) in CLAIMS.iter().enumerate() {
        let mut line = format!("| {id} |");
        for r in &f.robustness {
            let figure = match k {
                0 => pct(r.headline.share_with_conditions),
                1 => format!("rho {:.2}", r.headline.size.r),
                2 => format!("rho {:.2}", r.headline.deprivation.r),
                3 => format!("{}x", approx(r.headline.median_ratio)),
                _ => format!("{}x", approx(r.headline.csu_ratio)),
            };
            line.push_str(&format!(
                " {} ({}) |",
                if r.holds[k] { "holds" } else { "fails" },
                figure
            ));
        }
        push(&mut md, &line);
    }
    push(&mut md, "\nSchemes: ");
    for r in &f.robustness {
        push(
            &mut md,
            &format!(
                "- {}: levels {}, direction +{}",
                r.scheme,
                r.weights
                    .levels
                    .iter()
                    .map(|x| num(*x))
                    .collect::<Vec<_>>()
                    .join("/"),
                num(r.weights.legal_direction)
            ),
        );
    }
    md.push('\n');

    push(&mut md, "## Evidence from published facts alone\n");
    match &f.published_only {
        Some(po) => {
            push(&mut md, "No reconstruction is involved here: these counts use only the named CCGs in `data/published/`.\n");
            push(
                &mut md,
                "| Region | CCGs | Given legal directions at authorisation | Rate |",
            );
            push(&mut md, "|---|---|---|---|");
            for (r, n, d) in &po.directions_by_region {
                push(
                    &mut md,
                    &format!(
                        "| {r} | {n} | {d} | {} |",
                        pct(*d as f64 / (*n).max(1) as f64)
                    ),
                );
            }
            push(
                &mut md,
                &format!(
                    "\nFisher's exact test, North vs the rest (directed or not): {}.\n",
                    p_text(po.fisher_p_north_vs_rest)
                ),
            );
            if !po.reviews.is_empty() {
                push(
                    &mut md,
                    "CCGs under legal directions at each published review (named CCGs only):\n",
                );
                push(
                    &mut md,
                    &format!("| Review | Total | {} |", REGIONS.join(" | ")),
                );
                push(&mut md, "|---|---|---|---|---|---|");
                for (label, total, by) in &po.reviews {
                    push(
                        &mut md,
                        &format!(
                            "| {label} | {total} | {} |",
                            by.iter()
                                .map(|x| x.to_string())
                                .collect::<Vec<_>>()
                                .join(" | ")
                        ),
                    );
                }
            }
            if let Some(c) = &po.conditional_may2014 {
                push(
                    &mut md,
                    &format!(
                        "\nStill authorised with conditions at the May 2014 review (published totals): North of England {} of {} CCGs, \
                         the rest {} of {} ({}); Fisher's exact test, North vs the rest: {}.",
                        c.north_conditional,
                        c.north_ccgs,
                        c.rest_conditional,
                        c.rest_ccgs,
                        pct(c.rest_conditional as f64 / c.rest_ccgs.max(1) as f64),
                        p_text(c.fisher_p)
                    ),
                );
            }
            for n in &po.notes {
                push(&mut md, &format!("\n{n}"));
            }
            md.push('\n');
        }
        None => push(
            &mut md,
            "Not available: the data directory has no `published/` facts.\n",
        ),
    }

    push(&mut md, "## Reconstruction sensitivity\n");
    match &f.sensitivity {
        Some(sv) => {
            push(
                &mut md,
                &format!(
                    "The data were reconstructed afresh with {} seeds under `--calibrate {}` (no regional or CSU effect; \
                     every published fact and aggregate still holds), and the claims rechecked with the same weights:\n",
                    sv.seeds.len(),
                    sv.calibration
                ),
            );
            push(&mut md, "| Claim | Holds in |");
            push(&mut md, "|---|---|");
            for (k, id) in CLAIMS.iter().enumerate() {
                push(
                    &mut md,
                    &format!("| {id} | {} of {} seeds |", sv.holds[k], sv.seeds.len()),
                );
            }
            push(
                &mut md,
                "\nRead the last two rows: under this calibration the share with conditions is fixed by the published \
                 totals and no size or deprivation effect is put in, so the first three claims hold by construction. \
                 How often the regional spread and the CSU ratio appear without being put in is what the published \
                 facts alone imply for them.",
            );
            md.push('\n');
        }
        None => push(
            &mut md,
            "Not run: the data directory has no `published/` facts to reconstruct from.\n",
        ),
    }
    push(
        &mut md,
        "## Files\n\n`ccg_scores.csv` (one row per CCG), `region_summary.csv`, `csu_summary.csv`, `robustness.csv`, \
         `findings.json` (everything above, machine-readable), the charts (`*.png`), `weights_used.toml` and `inputs.sha256`.",
    );
    md
}

/// robustness.csv: one row per scheme × claim.
pub fn robustness_csv(rows: &[RobustnessRow]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(vec![]);
    w.write_record([
        "scheme",
        "level_weights",
        "direction_weight",
        "claim",
        "figure",
        "holds",
    ])?;
    for r in rows {
        let h = &r.headline;
        let figures = [
            h.share_with_conditions,
            h.size.r,
            h.deprivation.r,
            h.median_ratio,
            h.csu_ratio,
        ];
        for (k, id) in CLAIMS.iter().enumerate() {
            w.write_record([
                r.scheme.clone(),
                r.weights
                    .levels
                    .iter()
                    .map(|x| num(*x))
                    .collect::<Vec<_>>()
                    .join("/"),
                num(r.weights.legal_direction),
                id.to_string(),
                num(figures[k]),
                r.holds[k].to_string(),
            ])?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_plainly() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1.0 / 3.0), "0.3333");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(approx(31.392), "31.4");
        assert_eq!(approx(103.4091), "103");
        assert_eq!(approx(0.46153), "0.462");
        assert_eq!(approx(4.0), "4");
        assert_eq!(approx(-0.1299), "-0.13");
    }

    #[test]
    fn frame_to_csv_quotes_and_formats() {
        let df = df!("name" => ["a,b", "c"], "x" => [1.5, 2.0]).unwrap();
        assert_eq!(frame_csv(&df).unwrap(), "name,x\n\"a,b\",1.5\nc,2\n");
    }
}
