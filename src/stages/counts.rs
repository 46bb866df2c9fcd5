//! The `count` stage: the relational work, done once. The conditions counted per CCG by support
//! level at ingest (`model::counts`) are joined to the CCGs, with directions and provenance: one
//! row per CCG. Every score, summary, statistic and chart reads this table (a score under any
//! weighting is the level counts times the weight vector, see `score.rs`).

pub use crate::model::counts::{per_ccg, LEVEL_COLUMNS};
use crate::model::Evidence;
use polars::prelude::*;

/// The CCG × level count table (`per_ccg` joined to the CCGs): the CCG frame's columns plus level_1 … level_6, n_directions,
/// n_reconstructed, n_conditions, max_level and evidence, one row per CCG sorted by ods_code.
/// CCGs without conditions have zero counts. `evidence` (ods_code, evidence), from
/// `ccg_outcomes.csv`, gives each CCG's evidence class; without it a CCG is "reconstructed"
/// when any of its rows is, else "published" (the official tables list every CCG).
pub fn count_table(
    ccgs: &DataFrame,
    per_ccg: &DataFrame,
    evidence: Option<&DataFrame>,
) -> PolarsResult<DataFrame> {
    let mut counted: Vec<&str> = LEVEL_COLUMNS.to_vec();
    counted.extend(["n_directions", "n_reconstructed"]);
    let table = ccgs
        .clone()
        .lazy()
        .join(
            per_ccg.clone().lazy(),
            [col("ods_code")],
            [col("ods_code")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(
            counted
                .iter()
                .map(|c| col(*c).fill_null(lit(0u32)))
                .collect::<Vec<_>>(),
        )
        .with_columns([n_conditions(), max_level()]);
    let table = match evidence {
        Some(ev) => table.join(
            ev.clone().lazy(),
            [col("ods_code")],
            [col("ods_code")],
            JoinArgs::new(JoinType::Left),
        ),
        None => table.with_column(
            when(col("n_reconstructed").gt(lit(0u32)))
                .then(lit(Evidence::Reconstructed.as_str()))
                .otherwise(lit(Evidence::Published.as_str()))
                .alias("evidence"),
        ),
    };
    let mut out = table
        .sort(["ods_code"], SortMultipleOptions::default())
        .collect()?;
    // One chunk per column, so the numeric kernels can borrow plain slices.
    out.rechunk_mut();
    Ok(out)
}

fn n_conditions() -> Expr {
    LEVEL_COLUMNS
        .iter()
        .map(|c| col(*c))
        .reduce(|a, b| a + b)
        .expect("six levels")
        .alias("n_conditions")
}

/// The highest support level among a CCG's conditions (0 without conditions).
fn max_level() -> Expr {
    LEVEL_COLUMNS
        .iter()
        .enumerate()
        .fold(lit(0i32), |acc, (i, c)| {
            when(col(*c).gt(lit(0u32)))
                .then(lit(i as i32 + 1))
                .otherwise(acc)
        })
        .alias("max_level")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{strings, u32_slice};
    use crate::model;
    use crate::stages::fixtures::{self, cond};

    fn ccg(code: &str, region: &str) -> crate::model::Ccg {
        fixtures::ccg(code, region, "C", "", 1000, 10.0)
    }

    #[test]
    fn counts_per_level_directions_and_provenance_by_hand() {
        let ccgs = model::ccgs_frame(&[
            ccg("B", "London"),
            ccg("A", "North of England"),
            ccg("C", "London"),
        ])
        .unwrap();
        let conditions = model::conditions_frame(&[
            cond("A", 1, false, false),
            cond("A", 1, false, true),
            cond("A", 4, true, false),
            cond("B", 3, false, false),
        ])
        .unwrap();
        let t = count_table(&ccgs, &per_ccg(&conditions).unwrap(), None).unwrap();
        // Sorted by ods_code: A, B, C; C has no rows.
        assert_eq!(strings(&t, "ods_code").unwrap(), ["A", "B", "C"]);
        assert_eq!(u32_slice(&t, "level_1").unwrap(), [2, 0, 0]);
        assert_eq!(u32_slice(&t, "level_3").unwrap(), [0, 1, 0]);
        assert_eq!(u32_slice(&t, "level_4").unwrap(), [1, 0, 0]);
        assert_eq!(u32_slice(&t, "n_directions").unwrap(), [1, 0, 0]);
        assert_eq!(u32_slice(&t, "n_conditions").unwrap(), [3, 1, 0]);
        assert_eq!(u32_slice(&t, "n_reconstructed").unwrap(), [1, 0, 0]);
        let max: Vec<i32> = t
            .column("max_level")
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(max, [4, 3, 0]);
        assert_eq!(
            strings(&t, "evidence").unwrap(),
            ["reconstructed", "published", "published"]
        );
    }
}
