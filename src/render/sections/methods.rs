//! "Methods and data" (weights, tests, the command, inputs' hashes, every source) and "Files".

use super::{section, PUBLISHED_ANALYSIS};
use crate::format::num;
use crate::render::document::{link, para, subheading, text, Block, Inline, Section};
use crate::stages::findings::Findings;

/// How to check and rerun: weights, tests, seed, command, inputs' hashes, every source.
pub(super) fn methods_section(f: &Findings) -> Option<Section> {
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
    ];
    if !f.provenance.methods.is_empty() {
        blocks.push(para(&format!(
            "The reconstructed inputs themselves ({}) are rebuilt by `cargo run --release -- reconstruct` \
             with that seed and calibration (`--seed`, `--calibrate`).",
            f.provenance.methods.join("; ")
        )));
    }
    blocks.extend([
        para("Inputs read (SHA-256, as in `inputs.sha256`):"),
        Block::Table {
            caption: "The inputs read, with their SHA-256".into(),
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
    ]);
    sources_part(&mut blocks, f);
    section("methods", "Methods and data", blocks)
}

/// The published analysis, and every source cited in `data/published/`, by file.
fn sources_part(blocks: &mut Vec<Block>, f: &Findings) {
    let r = &f.run;
    blocks.push(subheading("Sources"));
    blocks.push(Block::Paragraph {
        inlines: vec![
            text(format!("The claims tested: {}, ", PUBLISHED_ANALYSIS.0)),
            link(PUBLISHED_ANALYSIS.1, PUBLISHED_ANALYSIS.1),
            text("."),
        ],
    });
    if !r.sources.is_empty() {
        let distinct: std::collections::BTreeSet<&str> = r
            .sources
            .iter()
            .flat_map(|s| s.urls.iter().map(String::as_str))
            .collect();
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
}

pub(super) fn files_section(_: &Findings) -> Option<Section> {
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
