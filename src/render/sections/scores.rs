//! The sections read straight off the scores: "Regions", "Size and deprivation" and "CSUs".

use super::{reconstruction_notice, section};
use crate::format::{approx, ci, num, p_text, pct};
use crate::render::chart::Chart;
use crate::render::document::{para, table, text, Block, Section};
use crate::stages::findings::Findings;

/// "p = 0.012" → "0.012" for table cells headed "p".
fn p_cell(p: f64) -> String {
    p_text(p)
        .trim_start_matches("p ")
        .trim_start_matches("= ")
        .to_string()
}

/// A section's opening: the line on reconstructed scores (when tuned), then its two charts.
fn opening(f: &Findings, charts: [Chart; 2]) -> Vec<Block> {
    let mut blocks: Vec<Block> = reconstruction_notice(f).into_iter().collect();
    blocks.extend(charts.into_iter().filter_map(|c| c.figure(f)));
    blocks
}

pub(super) fn regions_section(f: &Findings) -> Option<Section> {
    let mut blocks = opening(f, [Chart::Distribution, Chart::RegionMedians]);
    blocks.push(table(
        "regions",
        "Composite score by NHS CB region: CCGs, median and its bootstrap 95% interval",
        &[
            "Region",
            "CCGs",
            "Median score",
            "95% interval of the median",
        ],
        f.regions
            .iter()
            .map(|r| {
                vec![
                    r.region.clone(),
                    r.n_ccgs.to_string(),
                    num(r.median),
                    ci(r.median_ci_95),
                ]
            })
            .collect(),
    ));
    let s = &f.significance;
    blocks.push(para(&format!(
        "Kruskal–Wallis across regions: H = {:.2} on {} df, {}. Permutation test of the median ratio ({} shuffles): {}. \
         The North had the lowest median in {} of bootstrap resamples.",
        s.kruskal_h,
        s.kruskal_df,
        p_text(s.kruskal_p),
        s.permutations,
        p_text(s.permutation_p),
        pct(f.intervals.north_lowest_share)
    )));
    blocks.push(para("Pairwise Mann–Whitney tests (Holm-adjusted):"));
    blocks.push(table(
        "pairwise",
        "Pairwise Mann–Whitney tests between the regions (Holm-adjusted)",
        &["Region A", "Region B", "U", "p", "p (Holm)"],
        s.pairwise
            .iter()
            .map(|(a, b, u, p, adj)| vec![a.clone(), b.clone(), num(*u), p_cell(*p), p_cell(*adj)])
            .collect(),
    ));
    section("regions", "Regions", blocks)
}

pub(super) fn size_section(f: &Findings) -> Option<Section> {
    let mut blocks = opening(f, [Chart::ScoreVsPopulation, Chart::ScoreVsDeprivation]);
    blocks.push(para(
        "`funnel_population.png` plots each CCG's score against its registered population with limits that narrow \
         as CCGs get larger (mean ± z·SD·√(mean population / population), SD estimated from the data). If small CCGs \
         did worse, they would crowd above the wide end of the funnel. Lower limits below zero are drawn at zero \
         (scores cannot be negative), so no CCG can fall below them.",
    ));
    // The counts outside the limits are in the caption (captions.rs), said once.
    blocks.extend(Chart::FunnelPopulation.figure(f));
    section("size", "Size and deprivation", blocks)
}

pub(super) fn csu_section(f: &Findings) -> Option<Section> {
    let mut blocks: Vec<Block> = reconstruction_notice(f).into_iter().collect();
    let mut text_ = format!(
        "{} vs {}: mean score {} (95% interval {}) vs {} (95% interval {}); ratio {} (95% interval {}).",
        f.compare_csus.0,
        f.compare_csus.1,
        approx(f.headline.csu_a_mean),
        ci(f.intervals.csu_a_mean),
        approx(f.headline.csu_b_mean),
        ci(f.intervals.csu_b_mean),
        approx(f.headline.csu_ratio),
        ci(f.intervals.csu_ratio)
    );
    if let Some(r) = f.csu_ratio_confirmed_only {
        text_.push_str(&format!(
            " Counting only CCGs whose CSU is confirmed by a source (named or area-level): ratio {}{}.",
            approx(r),
            if (r - f.headline.csu_ratio).abs() < 1e-12 {
                " (unchanged: every CCG of the two compared CSUs has a confirmed assignment)"
            } else {
                ""
            }
        ));
    }
    // CSU names come from the data: plain text.
    blocks.push(Block::Paragraph {
        inlines: vec![text(text_)],
    });
    blocks.extend(Chart::CsuScores.figure(f));
    blocks.push(para(
        "All CSUs: see `csu_summary.csv` and `csu_scores.png`.",
    ));
    section("csus", "CSUs", blocks)
}
