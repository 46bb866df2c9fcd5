//! The report's document, section by section, from the findings value: one place for every
//! sentence, table and caption that findings.md and report.html show. `document` lists the
//! sections in reading order; each group of sections has its file: `banner.rs`, `claims.rs`,
//! `scores.rs` (regions, size and deprivation, CSUs), `structure.rs`, `robustness.rs`
//! (weightings and reconstruction sensitivity), `published_only.rs`, `later_ratings.rs` and
//! `methods.rs` (methods and files); "What the published record settles" is in
//! `render/record.rs`.

mod banner;
mod claims;
mod later_ratings;
mod methods;
mod published_only;
mod robustness;
mod scores;
mod structure;

use crate::render::document::{para, text, Block, Document, Inline, Section};
use crate::stages::findings::Findings;
use crate::stages::headline::Verdict;
use banner::banner;
use claims::claims_section;
use later_ratings::later_ratings_section;
use methods::{files_section, methods_section};
use published_only::published_only_section;
use robustness::{robustness_section, sensitivity_section};
use scores::{csu_section, regions_section, size_section};
use structure::structure_section;

/// The whole report, in reading order.
pub fn document(f: &Findings) -> Document {
    let sections: [fn(&Findings) -> Option<Section>; 12] = [
        claims_section,
        crate::render::record::record_section,
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

/// The published analysis whose claims are tested (the "Published" column).
pub const PUBLISHED_ANALYSIS: (&str, &str) = (
    "The King's Fund (2013), \"Clinical commissioning groups: a north-south divide?\"",
    "https://www.kingsfund.org.uk/insight-and-analysis/blogs/clinical-commissioning-groups-north-south-divide",
);

/// Short names for the five claims, in `CLAIMS` order, for tables that list them.
const CLAIM_NAMES: [&str; 5] = [
    "with conditions",
    "size",
    "deprivation",
    "regional spread",
    "CSU ratio",
];

/// "4. regional spread", for table rows.
fn claim_name(k: usize) -> String {
    format!("{}. {}", k + 1, CLAIM_NAMES[k])
}

/// A line opening each section computed on the scores, when those rest on a reconstruction
/// tuned to the findings (so no result reads as a fact about the real CCGs).
fn reconstruction_notice(f: &Findings) -> Option<Block> {
    f.provenance.calibrated_to_findings.then(|| {
        para(&format!(
            "**On reconstructed data.** The scores here rest wholly on reconstruction for {} of {} CCGs, \
             tuned to the published findings (see the box at the top).",
            f.provenance.ccgs_reconstructed, f.provenance.n_ccgs
        ))
    })
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
