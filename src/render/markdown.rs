//! findings.md, built section by section from the findings value.

use crate::format::{approx, ci, num, p_text, pct};
use crate::model::REGIONS;
use crate::stages::findings::Findings;
use crate::stages::headline::CLAIMS;
use crate::stages::later_ratings::LaterRatings;

/// findings.md: the report an analyst reads first.
pub fn findings_markdown(f: &Findings) -> String {
    let mut md = String::new();
    let sections: [fn(&mut String, &Findings); 11] = [
        provenance_section,
        claims_section,
        regions_section,
        structure_section,
        funnel_section,
        csu_section,
        robustness_section,
        published_only_section,
        later_ratings_section,
        sensitivity_section,
        files_section,
    ];
    for section in sections {
        section(&mut md, f);
    }
    md
}

fn push(md: &mut String, s: &str) {
    md.push_str(s);
    md.push('\n');
}

fn provenance_section(md: &mut String, f: &Findings) {
    let p = &f.provenance;
    push(md, &format!("# {}\n", f.title));
    let wholly = p.ccgs_reconstructed;
    push(
        md,
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
        push(md, &format!("Reconstruction: {}.", p.methods.join("; ")));
        md.push('\n');
    }
    if p.calibrated_to_findings {
        push(
            md,
            "**Caution:** the reconstructed rows were calibrated to the published findings (`--calibrate published-findings`). \
             Those findings holding below is a property of the calibration, not evidence for them. The section \
             *Reconstruction sensitivity* shows what the published facts alone imply (`--calibrate none`), and \
             *Evidence from published facts alone* uses no reconstruction at all.",
        );
        md.push('\n');
    }
    let w = &f.weights;
    push(
        md,
        &format!(
            "Severity weights ({}): support level I–VI = {}; extra per legal direction = {}. Seed for resampling: {}.\n",
            w.name,
            w.levels.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", "),
            num(w.legal_direction),
            f.seed
        ),
    );
}

fn claims_section(md: &mut String, f: &Findings) {
    push(md, "## The published claims\n");
    push(md, "| # | Claim | Published | Ours | 95% interval | p-value | Verdict | CCGs behind it not wholly published | Reconstructed rows behind it |");
    push(md, "|---|---|---|---|---|---|---|---|---|");
    for (i, c) in f.claims.iter().enumerate() {
        push(
            md,
            &format!(
                "| {} | {} | {} | {} | {} | {} | **{} | {} | {} |",
                i + 1,
                c.statement,
                c.published,
                c.ours,
                c.interval_95.map(ci).unwrap_or_else(|| "–".into()),
                c.p_value.map(p_text).unwrap_or_else(|| "–".into()),
                match c.verdict.reason() {
                    Some(reason) => format!("{}** ({reason})", c.verdict.label()),
                    None => format!("{}**", c.verdict.label()),
                },
                pct(c.reconstructed_ccg_share),
                pct(c.reconstructed_row_share),
            ),
        );
    }
    md.push('\n');
    if f.published_only.is_some() {
        push(
            md,
            "Claim 1's figure is itself a published total (43 fully authorised, 168 with conditions), which every \
             reconstruction must match exactly: it does not depend on the reconstruction, although most individual \
             CCGs' outcomes do.\n",
        );
    }
    push(md, "How each claim is judged:\n");
    for (i, c) in f.claims.iter().enumerate() {
        push(md, &format!("{}. {}: {}.", i + 1, c.id, c.criterion));
    }
    push(
        md,
        "\nA claim whose figure is undefined (no rank correlation when every score is equal, a region \
         or CSU without CCGs, a ratio with a zero denominator) cannot be assessed: it is never counted \
         as reproduced.",
    );
    push(
        md,
        "\nThe p-value for the regional spread is from a permutation test of the max/min median ratio \
         (region labels shuffled); the intervals are percentile bootstrap intervals (resampling CCGs within region, or within CSU).\n",
    );
}

fn regions_section(md: &mut String, f: &Findings) {
    push(md, "## Regions\n");
    push(
        md,
        "| Region | CCGs | Median score | 95% interval of the median |",
    );
    push(md, "|---|---|---|---|");
    for r in &f.regions {
        push(
            md,
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
        md,
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
    push(md, "Pairwise Mann–Whitney tests (Holm-adjusted):\n");
    push(md, "| Region | Region | U | p | p (Holm) |");
    push(md, "|---|---|---|---|---|");
    for (a, b, u, p, adj) in &s.pairwise {
        push(
            md,
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
}

fn structure_section(md: &mut String, f: &Findings) {
    push(md, "## Region, area team or CSU?\n");
    area_team_part(md, f);
    csu_part(md, f);
    adjusted_part(md, f);
    decomposition_part(md, f);
    calibration_part(md, f);
}

/// Do the tests keep their promise? The recorded calibration run, if any.
fn calibration_part(md: &mut String, f: &Findings) {
    let Some((c, stale)) = &f.calibration else {
        push(
            md,
            "Do these tests keep their promise (about 5% rejections when there is no divide)? \
             Not recorded for these data: run `cargo run --release -- calibration`.\n",
        );
        return;
    };
    push(
        md,
        &format!(
            "Do these tests keep their promise? On {} reconstructions with no regional or CSU \
             effect put in (`--calibrate none`; `{}`), each should reject at 5% about 5% of the time. \
             The reconstructions keep every published fact, and some differ by region (Midlands and \
             East's published average of 6 conditions, the directed CCGs), so this is not a pure \
             null: rates above 5% mix that published structure with any miscalibration of a test.{}\n",
            c.seeds,
            c.command,
            if *stale {
                " (**stale**: ccgs.csv or the weights changed since; rerun it)"
            } else {
                ""
            }
        ),
    );
    push(md, "| Test | Rejected at 5% | Rate |");
    push(md, "|---|---|---|");
    for (test, r, n) in &c.rejections {
        push(
            md,
            &format!(
                "| {test} | {r} of {n} | {} |",
                pct(*r as f64 / (*n).max(1) as f64)
            ),
        );
    }
    md.push('\n');
}

/// How much of the variation each level explains, on ranks.
fn decomposition_part(md: &mut String, f: &Findings) {
    let d = &f.decomposition;
    let parts: Vec<String> = d
        .shares
        .iter()
        .filter(|s| f.area_teams.is_some() || !s.level.starts_with("area team"))
        .map(|s| {
            let interval = if d.resamples > 0 {
                format!("bootstrap {}, ", ci_pct(s.ci_95))
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
    push(
        md,
        &format!(
            "Share of the variation in score ranks explained (between-group sum of squares; {} \
             bootstrap resamples): {}. Many small groups explain some variation by chance alone, \
             and resampling inflates that, so compare each share with its chance level. Area teams \
             and CSUs overlap, so their shares are each within region, not additive.\n",
            d.resamples,
            parts.join("; ")
        ),
    );
}

fn ci_pct(i: (f64, f64)) -> String {
    format!("{} to {}", pct(i.0), pct(i.1))
}

/// The region effect once size and deprivation are held fixed.
fn adjusted_part(md: &mut String, f: &Findings) {
    let Some(a) = &f.adjusted_region else {
        return;
    };
    let effects: Vec<String> = a
        .effects
        .iter()
        .map(|e| format!("{} {} ({})", e.term, approx(e.estimate), ci(e.ci_95)))
        .collect();
    push(
        md,
        &format!(
            "Adjusted for size and deprivation (least squares of log(1 + score) on region, log \
             registered population and IMD score, {} CCGs; 95% intervals): {}. The three region \
             effects together: F = {}, {}. {}\n",
            a.n,
            effects.join("; "),
            approx(a.f_region),
            p_text(a.p_region),
            if a.divide_survives {
                "The divide survives adjustment: the regions differ beyond size and deprivation, the North lowest."
            } else {
                "The divide does not clearly survive adjustment (the region effects are not jointly significant at 5% with the North lowest)."
            }
        ),
    );
}

/// The two compared CSUs against the other CSUs of their own regions, beside the headline ratio.
fn csu_part(md: &mut String, f: &Findings) {
    let c = &f.csu_within_region;
    let mut text = format!(
        "CSUs sit inside regions, so the headline comparison ({} over {}: {}x) mixes a CSU \
         difference with a regional one. Like with like, each against the other CSUs of its own \
         region:",
        f.compare_csus.0,
        f.compare_csus.1,
        approx(f.headline.csu_ratio)
    );
    for name in [&f.compare_csus.0, &f.compare_csus.1] {
        match c.rows.iter().filter(|r| &r.csu == name).max_by_key(|r| r.n_ccgs) {
            Some(r) => text.push_str(&format!(
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
            None => text.push_str(&format!(" {name}: no CCGs;")),
        }
    }
    text.pop();
    push(md, &format!("{text}.\n"));
    push(
        md,
        &format!(
            "Do CSUs differ once region is accounted for? Between-CSU sum of squares within regions \
             {}; shuffling CSU labels only within regions ({} shuffles): {}. All CSUs: \
             `csu_within_region.csv`.\n",
            approx(c.statistic),
            c.permutations,
            p_text(c.permutation_p)
        ),
    );
}

fn area_team_part(md: &mut String, f: &Findings) {
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
    let mut text = format!(
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
        text.push_str(&format!(
            " It falls furthest without {} ({}, {} CCGs, median {}): {}x, with {} lowest.",
            t.name,
            t.region,
            t.n_ccgs,
            num(t.median_score),
            approx(t.regional_ratio_without),
            t.lowest_region_without
        ));
    }
    push(
        md,
        &format!("{text} See `area_team_medians.png` and `area_team_summary.csv`.\n"),
    );
    push(
        md,
        "| Region | Area team | CCGs | Median score | Regional ratio without it |",
    );
    push(md, "|---|---|---|---|---|");
    for t in &a.teams {
        push(
            md,
            &format!(
                "| {} | {} | {} | {} | {}x |",
                t.region,
                t.name,
                t.n_ccgs,
                num(t.median_score),
                approx(t.regional_ratio_without)
            ),
        );
    }
    md.push('\n');
}

fn funnel_section(md: &mut String, f: &Findings) {
    push(md, "## Size (funnel plot)\n");
    let ((a95, b95), (a998, b998)) = f.funnel_outside;
    push(
        md,
        &format!(
            "`funnel_population.png` plots each CCG's score against its registered population with limits that narrow \
             as CCGs get larger (mean ± z·SD·√(mean population / population), SD estimated from the data). If small CCGs \
             did worse, they would crowd above the wide end of the funnel. Outside the 95% limits: {a95} above, {b95} below \
             (about {} expected by chance on each side); outside the 99.8% limits: {a998} above, {b998} below. \
             Lower limits below zero are not drawn (scores cannot be negative).\n",
            approx(0.025 * f.headline.n_ccgs as f64),
        ),
    );
}

fn csu_section(md: &mut String, f: &Findings) {
    push(md, "## CSUs\n");
    push(
        md,
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
            md,
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
        None => push(md, "\n"),
    }
    push(
        md,
        "All CSUs: see `csu_summary.csv` and `csu_scores.png`.\n",
    );
}

fn robustness_section(md: &mut String, f: &Findings) {
    push(md, "## Robustness to the severity weighting\n");
    let mut header = "| Claim |".to_string();
    let mut rule = "|---|".to_string();
    for r in &f.robustness {
        header.push_str(&format!(" {} |", r.scheme));
        rule.push_str("---|");
    }
    push(md, &header);
    push(md, &rule);
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
            line.push_str(&format!(" {} ({}) |", r.verdicts[k].label(), figure));
        }
        push(md, &line);
    }
    push(md, "\nSchemes: ");
    for r in &f.robustness {
        push(
            md,
            &format!(
                "- {}: levels {}, direction +{}",
                r.scheme,
                r.weights.levels_text(),
                num(r.weights.legal_direction)
            ),
        );
    }
    md.push('\n');
}

fn published_only_section(md: &mut String, f: &Findings) {
    push(md, "## Evidence from published facts alone\n");
    match &f.published_only {
        Some(po) => {
            push(md, "No reconstruction is involved here: these counts use only the named CCGs in `data/published/`.\n");
            push(
                md,
                "| Region | CCGs | Given legal directions at authorisation | Rate |",
            );
            push(md, "|---|---|---|---|");
            for (r, n, d) in &po.directions_by_region {
                push(
                    md,
                    &format!(
                        "| {r} | {n} | {d} | {} |",
                        pct(*d as f64 / (*n).max(1) as f64)
                    ),
                );
            }
            push(
                md,
                &format!(
                    "\nFisher's exact test, North vs the rest (directed or not): {}.\n",
                    p_text(po.fisher_p_north_vs_rest)
                ),
            );
            if !po.reviews.is_empty() {
                push(
                    md,
                    "CCGs under legal directions at each published review (named CCGs only):\n",
                );
                push(md, &format!("| Review | Total | {} |", REGIONS.join(" | ")));
                push(md, "|---|---|---|---|---|---|");
                for (label, total, by) in &po.reviews {
                    push(
                        md,
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
                    md,
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
                push(md, &format!("\n{n}"));
            }
            md.push('\n');
        }
        None => push(
            md,
            "Not available: the data directory has no `published/` facts.\n",
        ),
    }
}

fn later_ratings_section(md: &mut String, f: &Findings) {
    let Some(l) = &f.later_ratings else {
        return;
    };
    push(md, "## What came later (NHS England's ratings)\n");
    push(
        md,
        "NHS England later rated every CCG itself, and the ratings were published by name: real \
         per-CCG outcomes, with no reconstruction (`data/published/later_ratings.csv`, a source on \
         every row). A category is tested only where the sources name every CCG in it; a CCG formed \
         by a merger counts once. None of this changes the verdicts on the 2013 claims above.\n",
    );
    push(
        md,
        "| Year | Rating | CCGs named | Published total | Complete |",
    );
    push(md, "|---|---|---|---|---|");
    for c in &l.categories {
        push(
            md,
            &format!(
                "| {} | {} | {} | {} | {} |",
                c.year,
                c.rating.replace('_', " "),
                c.named,
                c.published_total
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "not published".into()),
                if c.complete { "yes" } else { "no: not tested" }
            ),
        );
    }
    later_by_region(md, l);
    later_predictions(md, l);
    push(
        md,
        "\nWhat this cannot show: the later ratings judge different things (finance, quality, \
         leadership in 2015-17) from the 2013 conditions; categories the sources name only in part \
         are not tested, because the unnamed CCGs could sit in any region; and a handful of CCGs per \
         cell leaves wide intervals.\n",
    );
}

fn later_by_region(md: &mut String, l: &LaterRatings) {
    for r in &l.by_region {
        push(
            md,
            &format!(
                "\n**{} {}**, by 2013 region:\n",
                r.year,
                r.rating.replace('_', " ")
            ),
        );
        push(
            md,
            "| Region | CCGs rated | In this category | Rate | p vs the rest (Holm) |",
        );
        push(md, "|---|---|---|---|---|");
        for k in 0..4 {
            push(
                md,
                &format!(
                    "| {} | {} | {} | {} | {} |",
                    REGIONS[k],
                    r.rated[k],
                    r.in_category[k],
                    pct(r.in_category[k] as f64 / r.rated[k].max(1) as f64),
                    p_text(r.holm_p_each_vs_rest[k])
                ),
            );
        }
        push(
            md,
            &format!(
                "\nNorth of England against the rest (Fisher's exact test): {}.",
                p_text(r.fisher_p_north_vs_rest)
            ),
        );
    }
}

fn later_predictions(md: &mut String, l: &LaterRatings) {
    if !l.predictions.is_empty() {
        push(md, "\nDid 2013 predict later? Real 2013 facts only:\n");
        push(md, "| 2013 fact | Later | With the fact | Without | Odds ratio (95% exact interval) | Fisher p | Reading |");
        push(md, "|---|---|---|---|---|---|---|");
        for p in &l.predictions {
            let [a, b, c, d] = p.table;
            push(
                md,
                &format!(
                    "| {} | {} | {a} of {} | {c} of {} | {} ({}) | {} | {} |",
                    p.fact,
                    p.outcome,
                    a + b,
                    c + d,
                    approx(p.odds_ratio),
                    ci(p.odds_ratio_ci_95),
                    p_text(p.fisher_p),
                    p.reading
                ),
            );
        }
    }
}

fn sensitivity_section(md: &mut String, f: &Findings) {
    push(md, "## Reconstruction sensitivity\n");
    match &f.sensitivity {
        Some(sv) => {
            push(
                md,
                &format!(
                    "The data were reconstructed afresh with {} seeds under `--calibrate {}` (no regional or CSU effect; \
                     every published fact and aggregate still holds), and the claims rechecked with the same weights:\n",
                    sv.seeds.len(),
                    sv.calibration
                ),
            );
            push(md, "| Claim | Reproduced in | Cannot be assessed in |");
            push(md, "|---|---|---|");
            for (k, id) in CLAIMS.iter().enumerate() {
                let n = sv.seeds.len();
                push(
                    md,
                    &format!(
                        "| {id} | {} of {n} seeds | {} of {n} seeds |",
                        sv.holds[k], sv.cannot_be_assessed[k]
                    ),
                );
            }
            push(
                md,
                "\nRead the last two rows: under this calibration the share with conditions is fixed by the published \
                 totals and no size or deprivation effect is put in, so the first three claims hold by construction. \
                 How often the regional spread and the CSU ratio appear without being put in is what the published \
                 facts alone imply for them.",
            );
            md.push('\n');
        }
        None => push(
            md,
            "Not run: the data directory has no `published/` facts to reconstruct from.\n",
        ),
    }
}

fn files_section(md: &mut String, _: &Findings) {
    push(
        md,
        "## Files\n\n`ccg_scores.csv` (one row per CCG), `region_summary.csv`, `csu_summary.csv`, `robustness.csv`, \
         `findings.json` (everything above, machine-readable), the charts (`*.png`), `weights_used.toml` and `inputs.sha256`.",
    );
}
