//! "Evidence from published facts alone": legal directions by region and at each review, with
//! no reconstruction.

use super::section;
use crate::format::{self, p_text};
use crate::model::REGIONS;
use crate::render::chart::Chart;
use crate::render::document::{para, table, Section};
use crate::stages::findings::Findings;

pub(super) fn published_only_section(f: &Findings) -> Option<Section> {
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
            "CCGs given legal directions at authorisation, by region (named CCGs only)",
            &["Region", "CCGs", "Given legal directions at authorisation", "Rate"],
            po.directions_by_region
                .iter()
                .map(|(r, n, d)| {
                    vec![
                        r.clone(),
                        n.to_string(),
                        d.to_string(),
                        format::share(*d, *n),
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
            "CCGs under legal directions at each published review, by region (named CCGs only)",
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
        blocks.extend(Chart::DirectionsByRegion.figure(f));
    }
    if let Some(c) = &po.conditional_may2014 {
        blocks.push(para(&format!(
            "Still authorised with conditions at the May 2014 review (published totals): North of England {} of {} CCGs, \
             the rest {} of {} ({}); Fisher's exact test, North vs the rest: {}.",
            c.north_conditional,
            c.north_ccgs,
            c.rest_conditional,
            c.rest_ccgs,
            format::share(c.rest_conditional, c.rest_ccgs),
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
