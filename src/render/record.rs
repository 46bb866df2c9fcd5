//! "What the published record settles": the report's section on the bounds (every claim's
//! figure over every dataset consistent with the published record; listed in `sections/`), the
//! banner's line, the claims table's cell, bounds.csv and each witness as files.

use crate::format::CsvText;
use crate::format::{approx, num, pct};
use crate::model::REGIONS;
use crate::render::document::{para, subheading, table, text, Block, Inline, Section};
use crate::stages::bounds::{slug, Assumptions, Bounds, Figure, RecordBounds};
use crate::stages::findings::{status_word, Claim, Findings};
use crate::stages::headline::Headline;

/// Claim number (1-based) of a claim id, as in the claims table.
fn number(id: &str) -> usize {
    crate::stages::headline::CLAIMS
        .iter()
        .position(|c| *c == id)
        .map_or(0, |k| k + 1)
}

/// The banner's line: how many of the five claims the published record settles.
pub fn banner_line(f: &Findings) -> Option<Block> {
    f.record.as_ref()?;
    let by = |status: &str| -> Vec<String> {
        f.claims
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.published_record
                    .as_ref()
                    .map_or("not_bounded", |r| r.status.as_str())
                    == status
            })
            .map(|(k, _)| (k + 1).to_string())
            .collect()
    };
    let list = |v: &[String]| match v.len() {
        0 => "none".to_string(),
        1 => format!("claim {}", v[0]),
        _ => format!(
            "claims {} and {}",
            v[..v.len() - 1].join(", "),
            v[v.len() - 1]
        ),
    };
    let settled = by("settled");
    let mut s = format!(
        "**The published record settles {} of the five claims** ({}): it holds in every dataset that agrees with every published fact.",
        settled.len(),
        list(&settled)
    );
    for (status, words) in [
        (
            "open",
            "are open: they hold in some consistent datasets and fail in others",
        ),
        ("ruled_out", "are ruled out"),
        ("undetermined", "are undetermined"),
        ("not_bounded", "are not yet bounded"),
    ] {
        let v = by(status);
        if !v.is_empty() {
            s.push_str(&format!(
                " {} {}.",
                capitalise(&list(&v)),
                if v.len() == 1 {
                    words.replacen("are", "is", 1)
                } else {
                    words.to_string()
                }
            ));
        }
    }
    s.push_str(" See \"What the published record settles\".");
    Some(para(&s))
}

fn claim_short(id: &str) -> &'static str {
    match id {
        "regional_median_spread" => "regional spread",
        "csu_ratio" => "CSU ratio",
        _ => "",
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The claims table's cell for the record: its status as a labelled badge, and the range.
pub fn record_cell(c: &Claim) -> Vec<Inline> {
    match &c.published_record {
        Some(r) => vec![
            Inline::Verdict {
                text: r.status.replace('_', " "),
                class: format!("record-{}", r.status.replace('_', "-")),
            },
            text(format!(" {}", r.range)),
        ],
        None => vec![text("not bounded")],
    }
}

/// A figure's cells: lowest, highest, whether each is proved the extreme.
fn end_cells(f: &Figure) -> [String; 2] {
    let show = |v: f64| shown(&f.key, v);
    [&f.min, &f.max].map(|e| {
        if e.value.is_nan() {
            format!("≥ {} (no dataset found)", approx(e.proved))
        } else if e.value.is_infinite() {
            "unbounded".into()
        } else if e.exact {
            show(e.value)
        } else {
            format!("{} (limit {})", show(e.value), show(e.proved))
        }
    })
}

/// How many ends of the bounded figures (claims 1, 4 and 5; the correlations are not bounded
/// exactly), over every scheme and both assumption sets, are proved the extreme, of how many.
fn proved_ends(r: &RecordBounds) -> (usize, usize) {
    r.bounds
        .iter()
        .flat_map(|b| &b.claims)
        .flat_map(|c| &c.figures)
        .filter(|f| !f.key.starts_with("rho_"))
        .flat_map(|f| [&f.min, &f.max])
        .fold((0, 0), |(p, n), e| (p + usize::from(e.exact), n + 1))
}

/// In words: how much of the ranges is proved.
fn proved_ends_text(r: &RecordBounds) -> String {
    let (proved, ends) = proved_ends(r);
    let mut schemes: Vec<&str> = r.bounds.iter().map(|b| b.scheme.as_str()).collect();
    schemes.dedup();
    let over = format!(
        "claims 1, 4 and 5 under {} weighting scheme{} and both sets of facts",
        num(schemes.len() as f64),
        if schemes.len() == 1 { "" } else { "s" }
    );
    if proved == ends {
        format!(
            "**Every one of the {ends} ends** of the ranges of {over} is proved the extreme: a dataset attains it \
             and no consistent dataset goes beyond it."
        )
    } else {
        format!(
            "{proved} of the {ends} ends of the ranges of {over} are proved the extreme; each other end is shown \
             with the limit the search proved."
        )
    }
}

/// The section: what the record allows, the bounds per assumption set, how fragile the verdicts
/// are, the status under every scheme, and each assumption set's list.
pub fn record_section(f: &Findings) -> Option<Section> {
    let r = f.record.as_ref()?;
    let mut blocks = vec![
        para(
            "The NHS CB's per-CCG tables were never published, so a claim can be tested only on reconstructed data. \
             This section asks instead what the published record itself allows: over **every** per-CCG dataset that agrees \
             with every published fact (every count, total, maximum and named outcome in `data/published/`, and the rules \
             of the process), how low and how high can each claim's figure be, and does the claim hold in all of them \
             (**settled**), in none (**ruled out**) or in some (**open**)? Each end below is attained by a dataset written \
             to `output/witnesses/`, which passes every check of `check-data`; where the search could not prove a dataset \
             is the extreme, the proved limit is given beside it.",
        ),
        para(&proved_ends_text(r)),
        para(&format!(
            "Two sets of facts define \"consistent\": **{}**, and **{}**, which adds each modelling choice `reconstruct` makes \
             (listed at the end of this section). Under the {} weights:",
            Assumptions::PublishedOnly.as_str(),
            Assumptions::Reconstruction.as_str(),
            f.weights.name
        )),
    ];
    blocks.extend(crate::render::chart::Chart::Bounds.figure(f));
    bounds_tables(&mut blocks, f, r);
    fragility_table(&mut blocks, r);
    schemes_table(&mut blocks, r);
    blocks.push(para(
        "Claims 2 and 3 (no relation to size or deprivation) are not bounded exactly: their rows give the lowest and \
         highest rank correlation the search found in a consistent dataset, which is enough to show a claim open. How to \
         read a status: \"settled\" means no \
         dataset that agrees with the published record could have overturned the claim; \"open\" means the published record \
         cannot decide it, so a verdict on reconstructed data says more about the reconstruction than about 2013; a figure \
         reproduced on the shipped data of an open claim is marked so in the claims table.",
    ));
    assumption_lists(&mut blocks, r);
    Some(Section {
        id: "record".into(),
        title: "What the published record settles".into(),
        blocks,
    })
}

/// Each assumption set's table of ranges (every claim's figures) under the run's weights, and
/// what each claim needs.
fn bounds_tables(blocks: &mut Vec<Block>, f: &Findings, r: &RecordBounds) {
    for a in Assumptions::ALL {
        let Some(b) = r.bounds.first().and_then(|d| r.of(&d.scheme, a)) else {
            continue;
        };
        blocks.push(subheading(&capitalise(a.as_str())));
        blocks.push(table(
            "bounds",
            &format!(
                "Each claim's figure over every consistent dataset, {}",
                a.as_str()
            ),
            &["Claim", "Figure", "Lowest", "Highest", "Ours"],
            b.claims
                .iter()
                .flat_map(|c| {
                    c.figures.iter().map(move |fig| {
                        let [lo, hi] = end_cells(fig);
                        vec![
                            format!("{}. {}", number(&c.claim), status_word(c.status)),
                            fig.label.clone(),
                            lo,
                            hi,
                            ours(&f.headline, &fig.key, f)
                                .map_or("–".into(), |v| shown(&fig.key, v)),
                        ]
                    })
                })
                .collect(),
        ));
        let items: Vec<Vec<Inline>> = b
            .claims
            .iter()
            .map(|c| {
                vec![text(format!(
                    "Claim {} ({}): {}.",
                    number(&c.claim),
                    status_word(c.status),
                    c.necessary
                ))]
            })
            .collect();
        blocks.push(Block::List {
            ordered: false,
            items,
        });
    }
}

/// How fragile the verdicts are: the fewest CCGs whose changes turn each, when computed.
fn fragility_table(blocks: &mut Vec<Block>, r: &RecordBounds) {
    if r.fragility.is_empty() {
        return;
    }
    blocks.push(para(
        "**How fragile the verdicts are.** The fewest CCGs whose outcomes, changed within the published facts \
         (Midlands and East's totals still met; a CCG leaving its wave, outcome or level-III class needs a second \
         to swap with), turn a verdict the other way, with one set of changes that does, and the fewest proved \
         necessary. One CCG is tried exhaustively; beyond one, the proof lets every changed CCG take any score open \
         to it, so \"exact\" means the changes found meet that proof, and otherwise the number found may not be \
         the fewest:",
    ));
    blocks.push(table(
        "fragility",
        "The fewest CCGs whose change, within the published facts, turns each verdict",
        &[
            "Claim",
            "Data",
            "Verdict there",
            "Fewest CCGs to turn it",
            "Changes",
        ],
        r.fragility
            .iter()
            .map(|x| {
                let fewest = match (x.changes.len(), x.at_least) {
                    (_, None) => "none: no consistent dataset turns it".to_string(),
                    (0, Some(k)) => format!("none found; at least {k}"),
                    (k, Some(_)) if x.exact => format!("{k} (exact)"),
                    (k, Some(l)) => {
                        format!("{k} found; at least {l} proved (not proved fewest)")
                    }
                };
                let changes = x
                    .changes
                    .iter()
                    .map(|c| {
                        if c.from == c.to {
                            format!(
                                "{} {}: {} conditions instead of {}, same score",
                                c.ods_code, c.name, c.conditions_to, c.conditions_from
                            )
                        } else {
                            format!(
                                "{} {}: score {} instead of {}",
                                c.ods_code,
                                c.name,
                                approx(c.to),
                                approx(c.from)
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    format!("{}. {}", number(&x.claim), claim_short(&x.claim)),
                    x.data.clone(),
                    if x.holds {
                        "holds".into()
                    } else {
                        "does not hold".into()
                    },
                    fewest,
                    changes,
                ]
            })
            .collect(),
    ));
}

/// Each claim's status under every weighting scheme, both assumption sets side by side.
fn schemes_table(blocks: &mut Vec<Block>, r: &RecordBounds) {
    blocks.push(para("The same under every weighting scheme (status under published facts only / with the reconstruction's assumptions):"));
    let ids = crate::stages::headline::CLAIMS;
    let mut header = vec!["Scheme".to_string()];
    header.extend(ids.iter().map(|id| format!("Claim {}", number(id))));
    let schemes: Vec<&str> = r
        .bounds
        .iter()
        .map(|b| b.scheme.as_str())
        .fold(vec![], |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    blocks.push(Block::Table {
        caption: "What the published record settles of each claim under every weighting scheme"
            .into(),
        class: "bounds-schemes".into(),
        header,
        rows: schemes
            .iter()
            .map(|s| {
                let mut row = vec![vec![text(*s)]];
                for id in ids {
                    let st = |a| {
                        r.of(s, a)
                            .and_then(|b| b.claims.iter().find(|c| c.claim == id))
                            .map(|c| status_word(c.status))
                    };
                    row.push(vec![text(format!(
                        "{} / {}",
                        st(Assumptions::PublishedOnly).unwrap_or_default(),
                        st(Assumptions::Reconstruction).unwrap_or_default()
                    ))]);
                }
                row
            })
            .collect(),
    });
}

/// What each assumption set takes as given, with its source.
fn assumption_lists(blocks: &mut Vec<Block>, r: &RecordBounds) {
    for (_, name, listed) in &r.assumption_sets {
        blocks.push(para(&format!("**{}**:", capitalise(name))));
        blocks.push(Block::List {
            ordered: false,
            items: listed
                .iter()
                .map(|(what, source)| vec![text(format!("{what} ({source})"))])
                .collect(),
        });
    }
}

/// Our figure for a bounds figure key, from a headline.
pub fn figure_of(h: &Headline, key: &str, compare: (&str, &str)) -> Option<f64> {
    Some(match key {
        "share_with_conditions" => h.share_with_conditions,
        "median_ratio" => h.median_ratio,
        "csu_ratio" => h.csu_ratio,
        "rho_size" => h.size.r,
        "rho_deprivation" => h.deprivation.r,
        k if k == format!("mean_{}", slug(compare.0)) => h.csu_a_mean,
        k if k == format!("mean_{}", slug(compare.1)) => h.csu_b_mean,
        k => {
            h.region_medians[REGIONS
                .iter()
                .position(|r| format!("median_{}", slug(r)) == k)?]
        }
    })
}

fn ours(h: &Headline, key: &str, f: &Findings) -> Option<f64> {
    figure_of(
        h,
        key,
        (f.compare_csus.0.as_str(), f.compare_csus.1.as_str()),
    )
}

fn shown(key: &str, v: f64) -> String {
    if key == "share_with_conditions" {
        pct(v)
    } else {
        approx(v)
    }
}

/// bounds.csv: one row per scheme, assumption set and figure.
pub fn bounds_csv(f: &Findings) -> anyhow::Result<Option<String>> {
    let Some(r) = f.record.as_ref() else {
        return Ok(None);
    };
    let mut w = CsvText::new([
        "scheme",
        "assumptions",
        "claim",
        "figure",
        "published",
        "ours",
        "min",
        "max",
        "min_proved",
        "max_proved",
        "min_exact",
        "max_exact",
        "verdict",
        "necessary_condition",
    ])?;
    let compare = (f.compare_csus.0.as_str(), f.compare_csus.1.as_str());
    for b in &r.bounds {
        let h = f
            .robustness
            .iter()
            .find(|x| x.scheme == b.scheme)
            .map(|x| &x.headline);
        for c in &b.claims {
            let published = f
                .claims
                .iter()
                .find(|x| x.id == c.claim)
                .map(|x| x.published.clone())
                .unwrap_or_default();
            for fig in &c.figures {
                let ours = h
                    .and_then(|h| figure_of(h, &fig.key, compare))
                    .map(num)
                    .unwrap_or_default();
                w.row([
                    b.scheme.clone(),
                    b.assumptions.key().to_string(),
                    c.claim.clone(),
                    fig.key.clone(),
                    published.clone(),
                    ours,
                    num(fig.min.value),
                    num(fig.max.value),
                    num(fig.min.proved),
                    num(fig.max.proved),
                    fig.min.exact.to_string(),
                    fig.max.exact.to_string(),
                    status_word(c.status).replace(' ', "_"),
                    c.necessary.clone(),
                ])?;
            }
        }
    }
    Ok(Some(w.finish()?))
}

/// The witness datasets of the run's own scheme: (folder, conditions.csv, ccg_outcomes.csv).
pub fn witnesses(
    r: &RecordBounds,
    p: &crate::model::published::Published,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut out = vec![];
    let Some(first) = r.bounds.first() else {
        return Ok(out);
    };
    for a in Assumptions::ALL {
        let Some(b): Option<&Bounds> = r.of(&first.scheme, a) else {
            continue;
        };
        let rec = r.record(a);
        for c in &b.claims {
            for fig in &c.figures {
                for (end, e) in [("min", &fig.min), ("max", &fig.max)] {
                    let Some(sol) = &e.solution else { continue };
                    let data = crate::stages::bounds::witness::dataset(rec, sol);
                    let (conditions, outcomes) =
                        crate::render::tables::reconstruction_csv(&data, p)?;
                    out.push((
                        format!("witnesses/{}/{}-{end}", a.key(), fig.key),
                        conditions,
                        outcomes,
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod proved_ends_tests {
    use super::*;
    use crate::stages::bounds::{ClaimBounds, End};

    fn end(value: f64, exact: bool) -> End {
        End {
            value,
            proved: value,
            exact,
            solution: None,
        }
    }

    fn figure(key: &str, min: bool, max: bool) -> Figure {
        Figure {
            key: key.into(),
            label: key.into(),
            min: end(0.0, min),
            max: end(1.0, max),
        }
    }

    fn bounds(scheme: &str, figures: Vec<Figure>) -> Bounds {
        Bounds {
            assumptions: Assumptions::PublishedOnly,
            scheme: scheme.into(),
            claims: vec![ClaimBounds {
                claim: "c".into(),
                status: None,
                figures,
                necessary: String::new(),
                holds: None,
                fails: None,
            }],
        }
    }

    /// Two schemes: four ends of bounded figures, three proved; the correlation's two ends
    /// (never proved) are not counted.
    #[test]
    fn ends_are_counted_over_schemes_leaving_out_the_correlations() {
        let mut r = RecordBounds {
            assumption_sets: vec![],
            bounds: vec![
                bounds(
                    "a",
                    vec![
                        figure("median_x", true, true),
                        figure("rho_size", false, false),
                    ],
                ),
                bounds("b", vec![figure("csu_ratio", true, false)]),
            ],
            records: vec![],
            fragility: vec![],
        };
        assert_eq!(proved_ends(&r), (3, 4));
        let text = proved_ends_text(&r);
        assert!(text.starts_with("3 of the 4 ends"), "{text}");
        assert!(text.contains("under 2 weighting schemes"), "{text}");
        r.bounds[1].claims[0].figures[0].max.exact = true;
        let text = proved_ends_text(&r);
        assert!(text.starts_with("**Every one of the 4 ends**"), "{text}");
    }
}
