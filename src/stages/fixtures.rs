//! Test fixtures shared by the stages' hand-worked tests: CCG and condition records, and the
//! count table they make.

use crate::model::{self, Ccg, Condition, Provenance};
use crate::stages::counts::{count_table, per_ccg};
use polars::prelude::DataFrame;

/// A CCG in `region` with a CSU, an area team, and size/deprivation as given.
pub fn ccg(code: &str, region: &str, csu: &str, area_team: &str, population: u64, imd: f64) -> Ccg {
    Ccg {
        ods_code: code.into(),
        name: format!("{code} CCG"),
        region: region.into(),
        csu: csu.into(),
        csu_basis: "named".into(),
        area_team: area_team.into(),
        population,
        imd_score: imd,
        wave: None,
    }
}

/// A condition at `level` for `code`.
pub fn cond(code: &str, level: u8, directed: bool, reconstructed: bool) -> Condition {
    Condition {
        ods_code: code.into(),
        criterion: String::new(),
        support_level: level,
        legal_direction: directed,
        provenance: if reconstructed {
            Provenance::Reconstructed
        } else {
            Provenance::Published
        },
        source: String::new(),
    }
}

/// `n` undirected level-I conditions (a score of `n` under count weights).
pub fn level_ones(code: &str, n: usize) -> Vec<Condition> {
    (0..n).map(|_| cond(code, 1, false, false)).collect()
}

/// The count table of these records.
pub fn table(ccgs: &[Ccg], conditions: &[Condition]) -> DataFrame {
    let ccgs = model::ccgs_frame(ccgs).unwrap();
    let conditions = model::conditions_frame(conditions).unwrap();
    count_table(&ccgs, &per_ccg(&conditions).unwrap(), None).unwrap()
}
