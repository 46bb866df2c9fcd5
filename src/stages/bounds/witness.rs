//! A solution of the consistent set as a dataset in the official format (conditions.csv and
//! ccg_outcomes.csv), and the proof that it is consistent: `check-data`'s checks, all ok.

use super::record::{Record, Unit};
use super::search::Solution;
use crate::model::published::Published;
use crate::model::{self, CcgOutcome, Condition, Evidence, Provenance};
use crate::stages::data_checks;
use crate::stages::reconstruct::Reconstruction;
use polars::prelude::*;

/// How a witness's outcomes were made (ccg_outcomes.csv `method`, once per CCG).
pub const METHOD: &str = "witness: a dataset consistent with the published record that attains a bound (ccg-divide bounds)";
/// Each condition row's `source` (short: a witness can hold thousands of rows).
pub const ROW_SOURCE: &str = "witness";

/// The dataset of a solution, rows in the order the CCG's published rows come first.
pub fn dataset(rec: &Record, sol: &Solution) -> Reconstruction {
    let mut conditions = vec![];
    let mut outcomes = vec![];
    for (u, unit) in rec.units.iter().enumerate() {
        let rows = &sol.rows[u];
        conditions.extend(condition_rows(unit, rows, ROW_SOURCE));
        let count_published = unit.count.is_some();
        outcomes.push(CcgOutcome {
            ods_code: unit.code.clone(),
            wave: rec.classes[sol.class_of[u]].wave,
            wave_provenance: if unit.wave_published {
                Provenance::Published
            } else {
                Provenance::Reconstructed
            },
            n_conditions: rows.len() as u64,
            legal_direction: rows.iter().any(|r| r.1),
            evidence: if count_published {
                Evidence::CountPublished
            } else {
                Evidence::Reconstructed
            },
            method: METHOD.into(),
        });
    }
    Reconstruction {
        conditions,
        outcomes,
        attempts: 0,
    }
}

/// A CCG's rows as conditions, its published rows (criterion and level) first; rows not
/// published carry `source`.
pub fn condition_rows(unit: &Unit, rows: &[(u8, bool)], source: &str) -> Vec<Condition> {
    rows.iter()
        .enumerate()
        .map(|(i, &(level, directed))| {
            let fixed = unit.fixed.get(i);
            let published = fixed.is_some_and(|f| f.level == Some(level));
            Condition {
                ods_code: unit.code.clone(),
                criterion: fixed.map(|f| f.criterion.clone()).unwrap_or_default(),
                support_level: level,
                legal_direction: directed,
                provenance: if published {
                    Provenance::Published
                } else {
                    Provenance::Reconstructed
                },
                source: if published {
                    "published (data/published/itemised_conditions.csv)".into()
                } else {
                    source.into()
                },
            }
        })
        .collect()
}

/// The count table of a dataset, and the published facts it contradicts (none for a witness).
pub fn check(
    data: &Reconstruction,
    ccg_frame: &DataFrame,
    p: &Published,
) -> PolarsResult<(DataFrame, Vec<String>)> {
    let counts = data.count_table(ccg_frame)?;
    let conditions = model::conditions_frame(&data.conditions)?;
    let bad = data_checks::check(&counts, &conditions, Some(&data.outcomes), p)?
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: published {}, data {}", c.item, c.published, c.data))
        .collect();
    Ok((counts, bad))
}
