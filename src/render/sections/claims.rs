//! "The published claims": the table of the five claims (ours beside the published figure, the
//! verdict, the published record and how much rests on reconstruction) and how each is judged.

use super::{section, CLAIM_NAMES, PUBLISHED_ANALYSIS};
use crate::format::{ci, p_text, pct};
use crate::render::document::{para, text, Block, Inline, Section};
use crate::stages::findings::{Claim, Findings};

pub(super) fn claims_section(f: &Findings) -> Option<Section> {
    let p = &f.provenance;
    let mut blocks = vec![para(&format!(
        "Each CCG's composite score adds up its conditions, each weighted by its support level (I toolkit, \
         II advice, III NHS CB sign-off, IV a team inserted; V–VI under legal directions), with the {} weights \
         (under Methods and data). The published claims and figures are those of {} (linked under Sources). \
         CSU: commissioning support unit; NHS CB: NHS Commissioning Board; IMD: Index of Multiple Deprivation 2010.",
        f.weights.name, PUBLISHED_ANALYSIS.0
    ))];
    let sensitivity_header = match &f.sensitivity {
        Some(sv) => format!(
            "Reproduced when reconstructed without tuning ({} seeds)",
            sv.seeds.len()
        ),
        None => "Reproduced when reconstructed without tuning".into(),
    };
    let mut header: Vec<String> = [
        "No.",
        "Claim",
        "Published",
        "Ours",
        "95% interval",
        "p-value",
        "Verdict",
        "Published record (every consistent dataset)",
        "CCGs behind it not wholly published",
        "Reconstructed rows behind it",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.push(sensitivity_header);
    let total_fixed = f.published_only.is_some();
    blocks.push(Block::Table {
        caption: "The five published claims: the published and this run's figures, the verdict on the data analysed and what the published record settles".into(),
        class: "claims".into(),
        header,
        rows: f
            .claims
            .iter()
            .enumerate()
            .map(|(i, c)| claim_row(i, c, f, total_fixed && i == 0))
            .collect(),
    });
    if total_fixed {
        blocks.push(para(&format!(
            "Claim 1's figure is itself a published total ({} fully authorised, {} with conditions), which every \
             reconstruction must match exactly: it does not depend on the reconstruction, although most individual \
             CCGs' outcomes do.",
            f.headline.n_ccgs - f.headline.n_with_conditions,
            f.headline.n_with_conditions
        )));
    }
    if p.calibrated_to_findings && f.sensitivity.is_some() {
        blocks.push(para(
            "The last column is the check on the tuning: how often each claim holds when the unpublished \
             data are generated with no regional or CSU difference put in (section \"Reconstruction sensitivity\").",
        ));
    }
    blocks.push(para("How each claim is judged:"));
    blocks.push(Block::List {
        ordered: true,
        items: f
            .claims
            .iter()
            .enumerate()
            .map(|(k, c)| vec![text(format!("{}: {}.", CLAIM_NAMES[k], c.criterion))])
            .collect(),
    });
    blocks.push(para(
        "A claim whose figure is undefined (no rank correlation when every score is equal, a region \
         or CSU without CCGs, a ratio with a zero denominator) cannot be assessed: it is never counted \
         as reproduced.",
    ));
    blocks.push(para(
        "The p-value for the regional spread is from a permutation test of the max/min median ratio \
         (region labels shuffled); the intervals are percentile bootstrap intervals (resampling CCGs within region, or within CSU).",
    ));
    section("claims", "The published claims", blocks)
}

/// One claim's row. The correlations' intervals are given to two decimals, as in "Ours".
fn claim_row(i: usize, c: &Claim, f: &Findings, total_is_published: bool) -> Vec<Vec<Inline>> {
    // Undefined figures show as "–", as findings.json has them (null).
    let interval = match c.interval_95 {
        Some((lo, hi)) if lo.is_nan() || hi.is_nan() => "–".into(),
        Some((lo, hi)) if matches!(i, 1 | 2) => format!("{lo:.2} to {hi:.2}"),
        Some(x) => ci(x),
        None => "–".into(),
    };
    let fixed = if total_is_published {
        " (the figure itself is a published total)"
    } else {
        ""
    };
    vec![
        vec![text((i + 1).to_string())],
        vec![text(&c.statement)],
        vec![text(&c.published)],
        vec![text(&c.ours)],
        vec![text(interval)],
        vec![text(
            c.p_value
                .filter(|p| p.is_finite())
                .map(p_text)
                .unwrap_or_else(|| "–".into()),
        )],
        claim_verdict_cell(c),
        crate::render::record::record_cell(c),
        vec![text(format!("{}{fixed}", pct(c.reconstructed_ccg_share)))],
        vec![text(format!("{}{fixed}", pct(c.reconstructed_row_share)))],
        vec![text(match &f.sensitivity {
            Some(sv) => format!("{} of {} seeds", sv.holds[i], sv.seeds.len()),
            None => "not run".into(),
        })],
    ]
}

/// A claim's verdict as its badge reads: on reconstructed data, with what the published record
/// says when it does not settle the claim (never a bare green badge on an open claim).
fn claim_verdict_cell(c: &Claim) -> Vec<Inline> {
    let mut cell = vec![Inline::Verdict {
        text: c.verdict_words.clone(),
        class: c.verdict_class.clone(),
    }];
    if let Some(reason) = c.verdict.reason() {
        cell.push(text(format!(" ({reason})")));
    }
    cell
}
