//! The claims judged again: under other severity weightings ("Robustness to the severity
//! weighting") and on reconstructions without tuning ("Reconstruction sensitivity").

use super::{claim_name, reconstruction_notice, section, verdict_badge};
use crate::format::{fixed, num, pct, times};
use crate::render::document::{para, table, text, Block, Section};
use crate::stages::findings::Findings;
use crate::stages::headline::{north_strictly_lowest, CLAIMS};

pub(super) fn robustness_section(f: &Findings) -> Option<Section> {
    let mut header = vec!["Claim".to_string()];
    header.extend(f.robustness.iter().map(|r| r.scheme.clone()));
    let rows = (0..CLAIMS.len())
        .map(|k| {
            let mut row = vec![vec![text(claim_name(k))]];
            for r in &f.robustness {
                let figure = match k {
                    0 => pct(r.headline.share_with_conditions),
                    1 => format!("rho {}", fixed(r.headline.size.r, 2)),
                    2 => format!("rho {}", fixed(r.headline.deprivation.r, 2)),
                    3 => {
                        let h = &r.headline;
                        let tie = if north_strictly_lowest(&h.region_medians, &h.region_n) {
                            ""
                        } else {
                            "; North not strictly lowest"
                        };
                        format!("{}{tie}", times(h.median_ratio))
                    }
                    _ => times(r.headline.csu_ratio),
                };
                row.push(vec![
                    verdict_badge(r.verdicts[k].label()),
                    text(format!(" ({figure})")),
                ]);
            }
            row
        })
        .collect();
    let mut blocks: Vec<Block> = reconstruction_notice(f).into_iter().collect();
    blocks.extend([
        para("Each claim judged again under other severity weightings (verdict, with the figure in brackets):"),
        Block::Table {
            caption: "Each claim's verdict (and figure) under each severity weighting scheme".into(),
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
    ]);
    section("robustness", "Robustness to the severity weighting", blocks)
}

pub(super) fn sensitivity_section(f: &Findings) -> Option<Section> {
    let blocks = match &f.sensitivity {
        Some(sv) => {
            let n = sv.seeds.len();
            vec![
                para(&format!(
                    "What the published facts imply when everything unpublished is filled in with no regional or CSU \
                     difference: the data were reconstructed afresh with {n} seeds under `--calibrate {}` (every \
                     published fact and aggregate still holds), and the claims rechecked with the same weights:",
                    sv.calibration
                )),
                table(
                    "sensitivity",
                    "Reconstruction sensitivity: in how many fresh reconstructions each claim holds",
                    &["Claim", "Reproduced in", "Cannot be assessed in"],
                    (0..CLAIMS.len())
                        .map(|k| {
                            vec![
                                claim_name(k),
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
                     facts alone imply for them. Seeds are a sample; \"What the published record settles\" gives \
                     the exact range of each figure over every dataset consistent with the published facts.",
                ),
            ]
        }
        None => vec![para(
            "Not run: the data directory has no `published/` facts to reconstruct from.",
        )],
    };
    section("sensitivity", "Reconstruction sensitivity", blocks)
}
