//! "Region, area team or CSU?": area teams left out one at a time, the compared CSUs within
//! their regions, the region effect adjusted for size and deprivation, the share of variation
//! each level explains, and whether the tests keep their promise (the calibration run).

use super::{reconstruction_notice, section};
use crate::format::{self, approx, ci, num, p_text, pct, times};
use crate::render::chart::Chart;
use crate::render::document::{inlines, para, subheading, table, text, Block, Section};
use crate::stages::findings::Findings;

pub(super) fn structure_section(f: &Findings) -> Option<Section> {
    let mut blocks: Vec<Block> = reconstruction_notice(f).into_iter().collect();
    area_team_part(&mut blocks, f);
    csu_part(&mut blocks, f);
    adjusted_part(&mut blocks, f);
    decomposition_part(&mut blocks, f);
    calibration_part(&mut blocks, f);
    section("structure", "Region, area team or CSU?", blocks)
}

/// Do the tests keep their promise? The recorded calibration run, if any.
fn calibration_part(blocks: &mut Vec<Block>, f: &Findings) {
    blocks.push(subheading("Do the tests keep their promise?"));
    let Some((c, stale)) = &f.calibration else {
        blocks.push(para(
            "Do these tests keep their promise (about 5% rejections when there is no divide)? \
             Not recorded for these data: run `cargo run --release -- calibration`.",
        ));
        return;
    };
    blocks.push(para(&format!(
        "On {} reconstructions with no regional or CSU \
         effect put in (`--calibrate none`; `{}`), each should reject at 5% about 5% of the time. \
         The reconstructions keep every published fact, and some differ by region (a region's \
         published average number of conditions, the CCGs under legal directions), so this is not a pure \
         null: rates above 5% mix that published structure with any miscalibration of a test.{}",
        c.seeds,
        c.command,
        if *stale {
            " (**stale**: ccgs.csv, the weights or the published facts changed since; rerun it)"
        } else {
            ""
        }
    )));
    blocks.push(table(
        "calibration",
        "How often each test of a divide rejects at 5% on reconstructions with no effect put in",
        &["Test", "Rejected at 5%", "Rate"],
        c.rejections
            .iter()
            .map(|(test, r, n)| vec![test.clone(), format!("{r} of {n}"), format::share(*r, *n)])
            .collect(),
    ));
}

/// How much of the variation each level explains, on ranks.
fn decomposition_part(blocks: &mut Vec<Block>, f: &Findings) {
    let d = &f.decomposition;
    let parts: Vec<String> = d
        .shares
        .iter()
        .filter(|s| f.area_teams.is_some() || !s.level.starts_with("area team"))
        .map(|s| {
            let interval = if d.resamples > 0 && s.ci_95.0.is_finite() && s.ci_95.1.is_finite() {
                format!("bootstrap {} to {}, ", pct(s.ci_95.0), pct(s.ci_95.1))
            } else {
                String::new()
            };
            format!(
                "{} {} ({interval}{} expected by chance)",
                s.level,
                pct(s.share),
                pct(s.chance)
            )
        })
        .collect();
    blocks.push(subheading("How much of the variation each level explains"));
    blocks.push(para(&format!(
        "Share of the variation in score ranks explained (between-group sum of squares; {} \
         bootstrap resamples): {}. Many small groups explain some variation by chance alone, \
         and resampling inflates that, so compare each share with its chance level. Area teams \
         and CSUs overlap, so their shares are each within region, not additive.",
        d.resamples,
        parts.join("; ")
    )));
}

/// The region effect once size and deprivation are held fixed.
fn adjusted_part(blocks: &mut Vec<Block>, f: &Findings) {
    let Some(a) = &f.adjusted_region else {
        return;
    };
    let effects: Vec<String> = a
        .effects
        .iter()
        .map(|e| format!("{} {} ({})", e.term, approx(e.estimate), ci(e.ci_95)))
        .collect();
    blocks.push(subheading("Adjusted for size and deprivation"));
    blocks.push(para(&format!(
        "Adjusted for size and deprivation (least squares of log(1 + score) on region, log \
         registered population and IMD score, {} CCGs; 95% intervals): {}. The three region \
         effects together: F = {}, {}. {}",
        a.n,
        effects.join("; "),
        approx(a.f_region),
        p_text(a.p_region),
        if a.divide_survives {
            "The divide survives adjustment: the regions differ beyond size and deprivation, the North lowest."
        } else {
            "The divide does not clearly survive adjustment (the region effects are not jointly significant at 5% with the North lowest)."
        }
    )));
}

/// The two compared CSUs against the other CSUs of their own regions, beside the headline ratio.
fn csu_part(blocks: &mut Vec<Block>, f: &Findings) {
    let c = &f.csu_within_region;
    let mut text_ = format!(
        "CSUs sit inside regions, so the headline comparison ({} over {}: {}) mixes a CSU \
         difference with a regional one. Like with like, each against the other CSUs of its own \
         region:",
        f.compare_csus.0,
        f.compare_csus.1,
        times(f.headline.csu_ratio)
    );
    for name in [&f.compare_csus.0, &f.compare_csus.1] {
        match c.rows.iter().filter(|r| &r.csu == name).max_by_key(|r| r.n_ccgs) {
            Some(r) => text_.push_str(&format!(
                " {} (mean {}, {} CCGs) vs the other CSUs of {} (mean {}, {} CCGs): {}, Mann–Whitney {};",
                r.csu,
                approx(r.mean_score),
                r.n_ccgs,
                r.region,
                approx(r.others_mean),
                r.others_n,
                times(r.ratio_of_means),
                p_text(r.mann_whitney_p)
            )),
            None => text_.push_str(&format!(" {name}: no CCGs;")),
        }
    }
    text_.pop();
    blocks.push(subheading("CSUs within their regions"));
    blocks.push(Block::Paragraph {
        inlines: vec![text(format!("{text_}."))],
    });
    blocks.push(para(&format!(
        "Do CSUs differ once region is accounted for? Between-CSU sum of squares within regions \
         {}; shuffling CSU labels only within regions ({} shuffles): {}. All CSUs: \
         `csu_within_region.csv`.",
        approx(c.statistic),
        c.permutations,
        p_text(c.permutation_p)
    )));
}

fn area_team_part(blocks: &mut Vec<Block>, f: &Findings) {
    let Some(a) = &f.area_teams else {
        return;
    };
    let (lo, hi) = a.ratio_range();
    let mut text_ = format!(
        "The NHS CB assessed CCGs through {} area teams. Leaving out one area team at a time, the \
         regional ratio (highest regional median over the lowest; {} with every CCG) ranges from \
         {} to {}.",
        a.teams.len(),
        times(a.regional_ratio),
        times(lo),
        if hi.is_finite() {
            times(hi)
        } else {
            "infinity (without some area team a region's median is 0)".to_string()
        }
    );
    if let Some(t) = a.carrying_most() {
        text_.push_str(&format!(
            " It falls furthest without {} ({}, {} CCGs, median {}): {}, with {} lowest.",
            t.name,
            t.region,
            t.n_ccgs,
            num(t.median_score),
            times(t.regional_ratio_without),
            t.lowest_region_without
        ));
    }
    blocks.push(subheading("Area teams"));
    let mut para_ = vec![text(text_)];
    para_.extend(inlines(
        " See `area_team_medians.png` and `area_team_summary.csv`.",
    ));
    blocks.push(Block::Paragraph { inlines: para_ });
    blocks.extend(Chart::AreaTeamMedians.figure(f));
    blocks.push(table(
        "area-teams",
        "Median score by NHS CB area team, and the regional ratio leaving each team out",
        &[
            "Region",
            "Area team",
            "CCGs",
            "Median score",
            "Regional ratio without it",
        ],
        a.teams
            .iter()
            .map(|t| {
                vec![
                    t.region.clone(),
                    t.name.clone(),
                    t.n_ccgs.to_string(),
                    num(t.median_score),
                    times(t.regional_ratio_without),
                ]
            })
            .collect(),
    ));
}
