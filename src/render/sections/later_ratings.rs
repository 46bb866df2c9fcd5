//! "What came later (NHS England's ratings)": each category's test over every placement of the
//! unnamed CCGs, by region, the 2013 facts as predictors, and a year later.

use super::section;
use crate::format::{self, approx, ci, p_text};
use crate::model::REGIONS;
use crate::render::chart::Chart;
use crate::render::document::{para, table, Block, Section};
use crate::stages::findings::Findings;
use crate::stages::later_ratings::LaterRatings;

pub(super) fn later_ratings_section(f: &Findings) -> Option<Section> {
    let l = f.later_ratings.as_ref()?;
    let mut blocks = vec![para(
        "NHS England later rated every CCG itself, and the ratings were published by name: real \
         per-CCG outcomes, with no reconstruction (`data/published/later_ratings.csv`, a source and \
         a quoted phrase on every row). Most categories are named only in part, but the published \
         totals and group statements (`later_rating_totals.csv`, `later_rating_groups.csv`) still \
         bound where the unnamed CCGs can be: each test below is taken over every placement of \
         them that agrees with the record (exact counts, not a sample). A category is *settled* \
         when every placement gives the same conclusion at 5%, *open* when they differ. A CCG \
         formed by a merger counts once. None of this changes the verdicts on the 2013 claims above.",
    )];
    blocks.push(para(&later_settled_words(l)));
    later_categories(&mut blocks, l);
    later_by_region(&mut blocks, l);
    blocks.extend(Chart::LaterRatingsByRegion.figure(f));
    later_predictions(&mut blocks, l);
    later_predictions_ranges(&mut blocks, l);
    later_persistence(&mut blocks, l);
    later_derived(&mut blocks, l);
    for n in &l.not_used {
        blocks.push(para(&format!("Not used in the placements: {n}.")));
    }
    blocks.push(para(
        "What this cannot show: the later ratings judge different things (finance, quality, \
         leadership in 2015-18) from the 2013 conditions; where a category is open, only a fuller \
         list of names can settle it; and a handful of CCGs per cell leaves wide intervals.",
    ));
    section(
        "later-ratings",
        "What came later (NHS England's ratings)",
        blocks,
    )
}

/// Every category, named in full or in part: North of England against the rest over every
/// placement.
fn later_categories(blocks: &mut Vec<Block>, l: &LaterRatings) {
    blocks.push(table(
        "later-categories",
        "NHS England's later ratings: CCGs named in each category, and North of England against the rest",
        &[
            "Year",
            "Rating",
            "CCGs named (derived)",
            "Published total",
            "North of England in it",
            "The rest in it",
            "North vs the rest (Fisher p)",
            "Status and conclusion",
        ],
        l.ranges
            .iter()
            .map(|c| {
                let t = &c.north_vs_rest;
                let total = match (c.published_total, &c.shared_total) {
                    (Some(t), _) => t.to_string(),
                    (None, Some((what, t))) => format!("{t} ({})", what.replace('+', " + ")),
                    (None, None) => "not published".into(),
                };
                vec![
                    c.year.clone(),
                    c.rating.replace('_', " "),
                    format!("{} ({})", c.named, c.named_derived),
                    total,
                    count_range(t.a_in, t.a_size),
                    count_range(t.b_in, t.b_size),
                    p_range(t.p),
                    status_words(t),
                ]
            })
            .collect(),
    ));
}

/// How many named ratings, totals and group statements are derived rather than stated.
fn later_derived(blocks: &mut Vec<Block>, l: &LaterRatings) {
    let derived_totals: Vec<String> = l
        .ranges
        .iter()
        .filter(|c| c.uses_derived_totals)
        .map(|c| c.year.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let derived_named: usize = l.ranges.iter().map(|c| c.named_derived).sum();
    blocks.push(para(&format!(
        "Derived rows: {derived_named} of the named ratings are read from a source that does not \
         state them directly (\"fourth year running\", an unlabelled table, a later year's \
         \"maintained\"); their `derived` column is true and their notes say how. {} A copy \
         of the data without them gives the tests on stated ratings alone.",
        if derived_totals.is_empty() {
            "No total or group statement used here is derived.".to_string()
        } else {
            format!(
                "Derived totals or group statements bound the placements in {} (for example \
                 2017/18's outstanding, good and requires-improvement totals, from published \
                 percentages of 207).",
                derived_totals.join(" and ")
            )
        }
    )));
}

/// "3 of 12 to 9 of 12", or "5 of 12" when fixed.
fn count_range((lo, hi): (u64, u64), of: u64) -> String {
    if lo == hi {
        format!("{lo} of {of}")
    } else {
        format!("{lo} to {hi} of {of}")
    }
}

fn p_range((lo, hi): (f64, f64)) -> String {
    if (hi - lo).abs() < 1e-12 {
        p_text(lo)
    } else {
        format!(
            "{} to {}",
            p_text(lo),
            p_text(hi).trim_start_matches("p = ")
        )
    }
}

fn status_words(t: &crate::stages::later_ratings::ranges::TestRange) -> String {
    use crate::stages::later_ratings::ranges::Status;
    match t.status {
        Status::Complete => format!("complete: {}", t.conclusion),
        Status::Settled => format!(
            "settled over {} possible tables: {}",
            t.tables, t.conclusion
        ),
        Status::Open => format!("{} ({} possible tables)", t.conclusion, t.tables),
        Status::Contradictory => t.conclusion.clone(),
    }
}

/// The section's lead: which categories the record settles, and how many it leaves open.
fn later_settled_words(l: &LaterRatings) -> String {
    use crate::stages::later_ratings::ranges::Status;
    let name = |c: &crate::stages::later_ratings::ranges::CategoryRange| {
        format!("{} {}", c.year, c.rating.replace('_', " "))
    };
    let fixed: Vec<String> = l
        .ranges
        .iter()
        .filter(|c| matches!(c.north_vs_rest.status, Status::Complete | Status::Settled))
        .map(|c| {
            format!(
                "{} ({}; North of England {}: {})",
                name(c),
                if c.north_vs_rest.status == Status::Complete {
                    "every CCG named"
                } else {
                    "settled"
                },
                count_range(c.north_vs_rest.a_in, c.north_vs_rest.a_size),
                c.north_vs_rest.conclusion
            )
        })
        .collect();
    let open = l
        .ranges
        .iter()
        .filter(|c| c.north_vs_rest.status == Status::Open)
        .count();
    format!(
        "**What is settled.** North of England against the other regions: {}. {} of the {} \
         categories are open: the placements the record allows differ in the conclusion.",
        if fixed.is_empty() {
            "no category is settled".to_string()
        } else {
            fixed.join("; ")
        },
        open,
        l.ranges.len()
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
            &format!(
                "{} {}: CCGs in the category by 2013 region",
                r.year,
                r.rating.replace('_', " ")
            ),
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
                        format::share(r.in_category[k], r.rated[k]),
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
        "Did 2013 predict the later ratings? Real 2013 facts against each later category",
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

fn later_predictions_ranges(blocks: &mut Vec<Block>, l: &LaterRatings) {
    if l.prediction_ranges.is_empty() {
        return;
    }
    blocks.push(para(
        "The 2013 facts against each year's inadequate CCGs, over every placement of the unnamed ones:",
    ));
    blocks.push(table(
        "prediction-ranges",
        "2013 facts against each year's inadequate CCGs, over every placement of the unnamed CCGs",
        &[
            "2013 fact",
            "Inadequate in",
            "With the fact",
            "Without",
            "Odds ratio",
            "Fisher p",
            "Status and conclusion",
        ],
        l.prediction_ranges
            .iter()
            .map(|p| {
                let t = &p.test;
                let show = |v: f64| {
                    if v.is_infinite() {
                        "unbounded".to_string()
                    } else {
                        approx(v)
                    }
                };
                let or = if (t.odds_ratio.1 - t.odds_ratio.0).abs() < 1e-12 {
                    show(t.odds_ratio.0)
                } else {
                    format!("{} to {}", show(t.odds_ratio.0), show(t.odds_ratio.1))
                };
                vec![
                    p.fact.clone(),
                    p.year.clone(),
                    count_range(t.a_in, t.a_size),
                    count_range(t.b_in, t.b_size),
                    or,
                    p_range(t.p),
                    status_words(t),
                ]
            })
            .collect(),
    ));
}

fn later_persistence(blocks: &mut Vec<Block>, l: &LaterRatings) {
    for p in &l.persistence {
        let later: Vec<String> = p
            .later
            .iter()
            .map(|(rating, named, lo, hi)| {
                let range = if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo} to {hi}")
                };
                format!("{} {range} ({named} named)", rating.replace('_', " "))
            })
            .collect();
        let t = &p.north_vs_rest;
        blocks.push(para(&format!(
            "**A year later.** The {} CCGs rated inadequate in {} were, in {}: {}{}. Still \
             inadequate by 2013 region: North of England {}, the rest {} ({}; {}).",
            p.ccgs,
            p.from_year,
            p.to_year,
            later.join(", "),
            if p.uses_derived {
                " (the count still inadequate rests on a derived statement: HSJ's \"18 upgraded\")"
            } else {
                ""
            },
            count_range(t.a_in, t.a_size),
            count_range(t.b_in, t.b_size),
            p_range(t.p),
            status_words(t)
        )));
    }
}
