//! The report's document, section by section, from the findings value: one place for every
//! sentence, table and caption that findings.md and report.html show.

use crate::format::{approx, ci, num, p_text, pct};
use crate::model::REGIONS;
use crate::render::captions;
use crate::render::document::{
    inlines, link, para, subheading, table, text, Block, Document, Inline, Section,
};
use crate::stages::findings::{Claim, Findings};
use crate::stages::headline::{Verdict, CLAIMS};
use crate::stages::later_ratings::LaterRatings;

/// The whole report, in reading order.
pub fn document(f: &Findings) -> Document {
    let sections: [fn(&Findings) -> Option<Section>; 11] = [
        claims_section,
        regions_section,
        structure_section,
        size_section,
        csu_section,
        robustness_section,
        published_only_section,
        later_ratings_section,
        sensitivity_section,
        methods_section,
        files_section,
    ];
    Document {
        title: f.title.clone(),
        banner: banner(f),
        sections: sections.iter().filter_map(|s| s(f)).collect(),
    }
}

fn section(id: &str, title: &str, blocks: Vec<Block>) -> Option<Section> {
    Some(Section {
        id: id.into(),
        title: title.into(),
        blocks,
    })
}

/// A chart's block, when the run draws it.
fn figure(f: &Findings, file: &str) -> Option<Block> {
    captions::caption(f, file).map(|(alt, caption)| Block::Figure {
        file: file.into(),
        alt,
        caption: inlines(&caption),
    })
}

/// A verdict as a badge, with its reason when it cannot be assessed.
pub fn verdict_cell(v: &Verdict) -> Vec<Inline> {
    let mut cell = vec![verdict_badge(v.label())];
    if let Some(reason) = v.reason() {
        cell.push(text(format!(" ({reason})")));
    }
    cell
}

/// A verdict label ("reproduced", "not reproduced", "cannot be assessed") as a badge.
fn verdict_badge(label: &str) -> Inline {
    Inline::Verdict {
        text: label.into(),
        class: label.replace(' ', "-"),
    }
}

/// Before any result: how much rests on reconstruction, and whether it was calibrated to the
/// findings it is tested against.
fn banner(f: &Findings) -> Vec<Block> {
    let p = &f.provenance;
    let wholly = p.ccgs_reconstructed;
    let share = |a: usize, b: usize| pct(a as f64 / b.max(1) as f64);
    let mut blocks = vec![];
    let lead = if wholly == 0 && p.condition_rows_reconstructed == 0 {
        "**Nothing here rests on reconstruction**: every CCG's outcome comes from the input tables as given.".to_string()
    } else {
        format!(
            "**{wholly} of {} CCGs ({}) rest wholly on reconstructed data**, and {} of the condition rows are reconstructed. {}",
            p.n_ccgs,
            share(wholly, p.n_ccgs),
            share(p.condition_rows_reconstructed, p.condition_rows),
            if p.calibrated_to_findings {
                "**The reconstruction was calibrated to the published findings** (`--calibrate published-findings`): \
                 their holding below is a property of the calibration, not evidence for them."
            } else {
                "The reconstruction was **not** calibrated to the published findings."
            }
        )
    };
    blocks.push(para(&lead));
    let mut detail = format!(
        "In detail: {} CCGs have a published number of conditions whose support levels are reconstructed, and {} a fully \
         published outcome (published count and levels, or published as fully authorised); {} of {} condition rows \
         and {} CCGs' authorisation waves are reconstructed.",
        p.ccgs_count_published,
        p.ccgs_published,
        p.condition_rows_reconstructed,
        p.condition_rows,
        p.waves_reconstructed
    );
    if !p.methods.is_empty() {
        detail.push_str(&format!(" Reconstruction: {}.", p.methods.join("; ")));
    }
    blocks.push(para(&detail));
    if p.calibrated_to_findings {
        blocks.push(para(
            "What the published facts alone imply (`--calibrate none`) is under \"Reconstruction sensitivity\"; \
             \"Evidence from published facts alone\" uses no reconstruction at all.",
        ));
    }
    blocks
}

fn claims_section(f: &Findings) -> Option<Section> {
    let rows: Vec<Vec<Vec<Inline>>> = f
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| claim_row(i, c))
        .collect();
    let mut blocks = vec![Block::Table {
        class: "claims".into(),
        header: [
            "No.",
            "Claim",
            "Published",
            "Ours",
            "95% interval",
            "p-value",
            "Verdict",
            "CCGs behind it not wholly published",
            "Reconstructed rows behind it",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
    }];
    if f.published_only.is_some() {
        blocks.push(para(
            "Claim 1's figure is itself a published total (43 fully authorised, 168 with conditions), which every \
             reconstruction must match exactly: it does not depend on the reconstruction, although most individual \
             CCGs' outcomes do.",
        ));
    }
    blocks.push(para("How each claim is judged:"));
    blocks.push(Block::List {
        ordered: true,
        items: f
            .claims
            .iter()
            .map(|c| inlines(&format!("{}: {}.", c.id, c.criterion)))
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

fn claim_row(i: usize, c: &Claim) -> Vec<Vec<Inline>> {
    vec![
        vec![text((i + 1).to_string())],
        vec![text(&c.statement)],
        vec![text(&c.published)],
        vec![text(&c.ours)],
        vec![text(c.interval_95.map(ci).unwrap_or_else(|| "–".into()))],
        vec![text(c.p_value.map(p_text).unwrap_or_else(|| "–".into()))],
        verdict_cell(&c.verdict),
        vec![text(pct(c.reconstructed_ccg_share))],
        vec![text(pct(c.reconstructed_row_share))],
    ]
}

/// "p = 0.012" → "0.012" for table cells headed "p".
fn p_cell(p: f64) -> String {
    p_text(p)
        .trim_start_matches("p ")
        .trim_start_matches("= ")
        .to_string()
}

fn regions_section(f: &Findings) -> Option<Section> {
    let mut blocks: Vec<Block> = ["distribution.png", "region_medians.png"]
        .iter()
        .filter_map(|c| figure(f, c))
        .collect();
    blocks.push(table(
        "regions",
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
        &["Region", "Region", "U", "p", "p (Holm)"],
        s.pairwise
            .iter()
            .map(|(a, b, u, p, adj)| vec![a.clone(), b.clone(), num(*u), p_cell(*p), p_cell(*adj)])
            .collect(),
    ));
    section("regions", "Regions", blocks)
}

fn structure_section(f: &Findings) -> Option<Section> {
    let mut blocks = vec![];
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
         The reconstructions keep every published fact, and some differ by region (Midlands and \
         East's published average of 6 conditions, the directed CCGs), so this is not a pure \
         null: rates above 5% mix that published structure with any miscalibration of a test.{}",
        c.seeds,
        c.command,
        if *stale {
            " (**stale**: ccgs.csv or the weights changed since; rerun it)"
        } else {
            ""
        }
    )));
    blocks.push(table(
        "calibration",
        &["Test", "Rejected at 5%", "Rate"],
        c.rejections
            .iter()
            .map(|(test, r, n)| {
                vec![
                    test.clone(),
                    format!("{r} of {n}"),
                    pct(*r as f64 / (*n).max(1) as f64),
                ]
            })
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
            let interval = if d.resamples > 0 {
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
        "CSUs sit inside regions, so the headline comparison ({} over {}: {}x) mixes a CSU \
         difference with a regional one. Like with like, each against the other CSUs of its own \
         region:",
        f.compare_csus.0,
        f.compare_csus.1,
        approx(f.headline.csu_ratio)
    );
    for name in [&f.compare_csus.0, &f.compare_csus.1] {
        match c.rows.iter().filter(|r| &r.csu == name).max_by_key(|r| r.n_ccgs) {
            Some(r) => text_.push_str(&format!(
                " {} (mean {}, {} CCGs) vs the other CSUs of {} (mean {}, {} CCGs): {}x, Mann–Whitney {};",
                r.csu,
                approx(r.mean_score),
                r.n_ccgs,
                r.region,
                approx(r.others_mean),
                r.others_n,
                approx(r.ratio_of_means),
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
    let (lo, hi) = a
        .teams
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), t| {
            (
                l.min(t.regional_ratio_without),
                h.max(t.regional_ratio_without),
            )
        });
    let mut text_ = format!(
        "The NHS CB assessed CCGs through {} area teams. Leaving out one area team at a time, the \
         regional ratio (highest regional median over the lowest; {}x with every CCG) ranges from \
         {}x to {}.",
        a.teams.len(),
        approx(a.regional_ratio),
        approx(lo),
        if hi.is_finite() {
            format!("{}x", approx(hi))
        } else {
            "infinity (without some area team a region's median is 0)".to_string()
        }
    );
    if let Some(t) = a.carrying_most() {
        text_.push_str(&format!(
            " It falls furthest without {} ({}, {} CCGs, median {}): {}x, with {} lowest.",
            t.name,
            t.region,
            t.n_ccgs,
            num(t.median_score),
            approx(t.regional_ratio_without),
            t.lowest_region_without
        ));
    }
    blocks.push(subheading("Area teams"));
    let mut para_ = vec![text(text_)];
    para_.extend(inlines(
        " See `area_team_medians.png` and `area_team_summary.csv`.",
    ));
    blocks.push(Block::Paragraph { inlines: para_ });
    blocks.extend(figure(f, "area_team_medians.png"));
    blocks.push(table(
        "area-teams",
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
                    format!("{}x", approx(t.regional_ratio_without)),
                ]
            })
            .collect(),
    ));
}

fn size_section(f: &Findings) -> Option<Section> {
    let mut blocks: Vec<Block> = ["score_vs_population.png", "score_vs_deprivation.png"]
        .iter()
        .filter_map(|c| figure(f, c))
        .collect();
    blocks.push(para(
        "`funnel_population.png` plots each CCG's score against its registered population with limits that narrow \
         as CCGs get larger (mean ± z·SD·√(mean population / population), SD estimated from the data). If small CCGs \
         did worse, they would crowd above the wide end of the funnel. Lower limits below zero are not drawn \
         (scores cannot be negative).",
    ));
    // The counts outside the limits are in the caption (captions.rs), said once.
    blocks.extend(figure(f, "funnel_population.png"));
    section("size", "Size and deprivation", blocks)
}

fn csu_section(f: &Findings) -> Option<Section> {
    let mut blocks = vec![];
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
    blocks.extend(figure(f, "csu_scores.png"));
    blocks.push(para(
        "All CSUs: see `csu_summary.csv` and `csu_scores.png`.",
    ));
    section("csus", "CSUs", blocks)
}

fn robustness_section(f: &Findings) -> Option<Section> {
    let mut header = vec!["Claim".to_string()];
    header.extend(f.robustness.iter().map(|r| r.scheme.clone()));
    let rows = CLAIMS
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let mut row = vec![vec![text(*id)]];
            for r in &f.robustness {
                let figure = match k {
                    0 => pct(r.headline.share_with_conditions),
                    1 => format!("rho {:.2}", r.headline.size.r),
                    2 => format!("rho {:.2}", r.headline.deprivation.r),
                    3 => format!("{}x", approx(r.headline.median_ratio)),
                    _ => format!("{}x", approx(r.headline.csu_ratio)),
                };
                row.push(vec![
                    verdict_badge(r.verdicts[k].label()),
                    text(format!(" ({figure})")),
                ]);
            }
            row
        })
        .collect();
    let blocks = vec![
        para("Each claim judged again under other severity weightings (verdict, with the figure in brackets):"),
        Block::Table {
            class: "robustness".into(),
            header,
            rows,
        },
        para("Schemes:"),
        Block::List {
            ordered: false,
            items: f
                .robustness
                .iter()
                .map(|r| {
                    vec![text(format!(
                        "{}: levels {}, direction +{}",
                        r.scheme,
                        r.weights.levels_text(),
                        num(r.weights.legal_direction)
                    ))]
                })
                .collect(),
        },
    ];
    section("robustness", "Robustness to the severity weighting", blocks)
}

fn published_only_section(f: &Findings) -> Option<Section> {
    let Some(po) = &f.published_only else {
        return section(
            "published-only",
            "Evidence from published facts alone",
            vec![para(
                "Not available: the data directory has no `published/` facts.",
            )],
        );
    };
    let mut blocks = vec![
        para("No reconstruction is involved here: these counts use only the named CCGs in `data/published/`."),
        table(
            "directions",
            &["Region", "CCGs", "Given legal directions at authorisation", "Rate"],
            po.directions_by_region
                .iter()
                .map(|(r, n, d)| {
                    vec![
                        r.clone(),
                        n.to_string(),
                        d.to_string(),
                        pct(*d as f64 / (*n).max(1) as f64),
                    ]
                })
                .collect(),
        ),
        para(&format!(
            "Fisher's exact test, North vs the rest (directed or not): {}.",
            p_text(po.fisher_p_north_vs_rest)
        )),
    ];
    if !po.reviews.is_empty() {
        blocks.push(para(
            "CCGs under legal directions at each published review (named CCGs only):",
        ));
        let mut header = vec!["Review", "Total"];
        header.extend(REGIONS);
        blocks.push(table(
            "reviews",
            &header,
            po.reviews
                .iter()
                .map(|(label, total, by)| {
                    let mut row = vec![label.clone(), total.to_string()];
                    row.extend(by.iter().map(|x| x.to_string()));
                    row
                })
                .collect(),
        ));
        blocks.extend(figure(f, "directions_by_region.png"));
    }
    if let Some(c) = &po.conditional_may2014 {
        blocks.push(para(&format!(
            "Still authorised with conditions at the May 2014 review (published totals): North of England {} of {} CCGs, \
             the rest {} of {} ({}); Fisher's exact test, North vs the rest: {}.",
            c.north_conditional,
            c.north_ccgs,
            c.rest_conditional,
            c.rest_ccgs,
            pct(c.rest_conditional as f64 / c.rest_ccgs.max(1) as f64),
            p_text(c.fisher_p)
        )));
    }
    blocks.extend(po.notes.iter().map(|n| para(n)));
    section(
        "published-only",
        "Evidence from published facts alone",
        blocks,
    )
}

fn later_ratings_section(f: &Findings) -> Option<Section> {
    let l = f.later_ratings.as_ref()?;
    let mut blocks = vec![
        para(
            "NHS England later rated every CCG itself, and the ratings were published by name: real \
             per-CCG outcomes, with no reconstruction (`data/published/later_ratings.csv`, a source on \
             every row). A category is tested only where the sources name every CCG in it; a CCG formed \
             by a merger counts once. None of this changes the verdicts on the 2013 claims above.",
        ),
        table(
            "later-categories",
            &[
                "Year",
                "Rating",
                "CCGs named",
                "Published total",
                "Complete",
            ],
            l.categories
                .iter()
                .map(|c| {
                    vec![
                        c.year.clone(),
                        c.rating.replace('_', " "),
                        c.named.to_string(),
                        c.published_total
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "not published".into()),
                        if c.complete { "yes" } else { "no: not tested" }.into(),
                    ]
                })
                .collect(),
        ),
    ];
    later_by_region(&mut blocks, l);
    blocks.extend(figure(f, "later_ratings_by_region.png"));
    later_predictions(&mut blocks, l);
    blocks.push(para(
        "What this cannot show: the later ratings judge different things (finance, quality, \
         leadership in 2015-17) from the 2013 conditions; categories the sources name only in part \
         are not tested, because the unnamed CCGs could sit in any region; and a handful of CCGs per \
         cell leaves wide intervals.",
    ));
    section(
        "later-ratings",
        "What came later (NHS England's ratings)",
        blocks,
    )
}

fn later_by_region(blocks: &mut Vec<Block>, l: &LaterRatings) {
    for r in &l.by_region {
        blocks.push(para(&format!(
            "**{} {}**, by 2013 region:",
            r.year,
            r.rating.replace('_', " ")
        )));
        blocks.push(table(
            "later-by-region",
            &[
                "Region",
                "CCGs rated",
                "In this category",
                "Rate",
                "p vs the rest (Holm)",
            ],
            (0..4)
                .map(|k| {
                    vec![
                        REGIONS[k].to_string(),
                        r.rated[k].to_string(),
                        r.in_category[k].to_string(),
                        pct(r.in_category[k] as f64 / r.rated[k].max(1) as f64),
                        p_text(r.holm_p_each_vs_rest[k]),
                    ]
                })
                .collect(),
        ));
        blocks.push(para(&format!(
            "North of England against the rest (Fisher's exact test): {}.",
            p_text(r.fisher_p_north_vs_rest)
        )));
    }
}

fn later_predictions(blocks: &mut Vec<Block>, l: &LaterRatings) {
    if l.predictions.is_empty() {
        return;
    }
    blocks.push(para("Did 2013 predict later? Real 2013 facts only:"));
    blocks.push(table(
        "predictions",
        &[
            "2013 fact",
            "Later",
            "With the fact",
            "Without",
            "Odds ratio (95% exact interval)",
            "Fisher p",
            "Reading",
        ],
        l.predictions
            .iter()
            .map(|p| {
                let [a, b, c, d] = p.table;
                vec![
                    p.fact.clone(),
                    p.outcome.clone(),
                    format!("{a} of {}", a + b),
                    format!("{c} of {}", c + d),
                    format!("{} ({})", approx(p.odds_ratio), ci(p.odds_ratio_ci_95)),
                    p_text(p.fisher_p),
                    p.reading.clone(),
                ]
            })
            .collect(),
    ));
}

fn sensitivity_section(f: &Findings) -> Option<Section> {
    let blocks = match &f.sensitivity {
        Some(sv) => {
            let n = sv.seeds.len();
            vec![
                para(&format!(
                    "The data were reconstructed afresh with {n} seeds under `--calibrate {}` (no regional or CSU effect; \
                     every published fact and aggregate still holds), and the claims rechecked with the same weights:",
                    sv.calibration
                )),
                table(
                    "sensitivity",
                    &["Claim", "Reproduced in", "Cannot be assessed in"],
                    CLAIMS
                        .iter()
                        .enumerate()
                        .map(|(k, id)| {
                            vec![
                                id.to_string(),
                                format!("{} of {n} seeds", sv.holds[k]),
                                format!("{} of {n} seeds", sv.cannot_be_assessed[k]),
                            ]
                        })
                        .collect(),
                ),
                para(
                    "Read the last two rows: under this calibration the share with conditions is fixed by the published \
                     totals and no size or deprivation effect is put in, so the first three claims hold by construction. \
                     How often the regional spread and the CSU ratio appear without being put in is what the published \
                     facts alone imply for them.",
                ),
            ]
        }
        None => vec![para(
            "Not run: the data directory has no `published/` facts to reconstruct from.",
        )],
    };
    section("sensitivity", "Reconstruction sensitivity", blocks)
}

/// How to check and rerun: weights, tests, seed, command, inputs' hashes, every source.
fn methods_section(f: &Findings) -> Option<Section> {
    let w = &f.weights;
    let r = &f.run;
    let mut blocks = vec![
        para(&format!(
            "Severity weights ({}): support level I–VI = {}; extra per legal direction = {}. Seed for resampling: {}.",
            w.name,
            w.levels.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", "),
            num(w.legal_direction),
            f.seed
        )),
        para(
            "Tests: Spearman's rank correlation (p by the t approximation, 95% interval by Fisher's z with \
             the 1.06 factor) and Pearson's r; Kruskal–Wallis across regions; a permutation test of the \
             highest-over-lowest regional median ratio; pairwise Mann–Whitney tests with Holm's adjustment; \
             percentile bootstrap intervals; Fisher's exact test and the conditional exact odds ratio for the \
             published facts and later ratings; least squares with an F test for the adjusted region effect; \
             a permutation test shuffling CSU labels within regions.",
        ),
        para("To reproduce this run from the repository (the same inputs give the same bytes):"),
        Block::Paragraph {
            inlines: vec![Inline::Code {
                text: r.command.clone(),
            }],
        },
        para("Inputs read (SHA-256, as in `inputs.sha256`):"),
        Block::Table {
            class: "inputs".into(),
            header: vec!["File".into(), "SHA-256".into()],
            rows: r
                .inputs
                .iter()
                .map(|(path, hash)| {
                    vec![
                        vec![Inline::Code { text: path.clone() }],
                        vec![Inline::Code { text: hash.clone() }],
                    ]
                })
                .collect(),
        },
    ];
    if !r.sources.is_empty() {
        let distinct: std::collections::BTreeSet<&str> = r
            .sources
            .iter()
            .flat_map(|s| s.urls.iter().map(String::as_str))
            .collect();
        blocks.push(subheading("Sources"));
        blocks.push(para(&format!(
            "Every source cited in `data/published/` ({} distinct addresses, listed by file; a \
             file's notes column says what each row takes from its source):",
            distinct.len()
        )));
        for s in &r.sources {
            blocks.push(para(&format!(
                "`{}` ({} rows, {} sources):",
                s.file,
                s.rows,
                s.urls.len()
            )));
            blocks.push(Block::List {
                ordered: false,
                items: s.urls.iter().map(|u| vec![link(u.as_str(), u)]).collect(),
            });
        }
    }
    section("methods", "Methods and data", blocks)
}

fn files_section(_: &Findings) -> Option<Section> {
    section(
        "files",
        "Files",
        vec![para(
            "`report.html` and `findings.md` (this report as one page with the charts inside, and as text), \
             `ccg_scores.csv` (one row per CCG), `region_summary.csv`, `csu_summary.csv`, `robustness.csv`, \
             `findings.json` (everything above, machine-readable), the charts (`*.png`), `weights_used.toml` and `inputs.sha256`.",
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_become_badges_with_their_reason() {
        assert_eq!(
            verdict_cell(&Verdict::CannotBeAssessed("no CCGs".into())),
            vec![
                Inline::Verdict {
                    text: "cannot be assessed".into(),
                    class: "cannot-be-assessed".into()
                },
                text(" (no CCGs)")
            ]
        );
        for v in [Verdict::Reproduced, Verdict::NotReproduced] {
            let cell = verdict_cell(&v);
            assert_eq!(cell.len(), 1);
            let Inline::Verdict { class, .. } = &cell[0] else {
                panic!("{cell:?}")
            };
            assert!(crate::render::document::VERDICT_CLASSES.contains(&class.as_str()));
        }
    }
}
