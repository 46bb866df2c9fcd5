//! Conditions counted per CCG by support level: the grouping of the condition rows, done once
//! at ingest (where it shows whether every condition belongs to a CCG) and joined to the CCGs
//! by `stages::counts`.

use crate::model::LEVELS;
use polars::prelude::*;

/// Column names of the per-level counts, level I first.
pub const LEVEL_COLUMNS: [&str; LEVELS] = [
    "level_1", "level_2", "level_3", "level_4", "level_5", "level_6",
];

/// Conditions counted per CCG that has any: ods_code, level_1 … level_6, n_directions,
/// n_reconstructed. The grouping of the condition rows, done once: ingest checks its codes
/// against the CCGs, and `count_table` joins it to them.
pub fn per_ccg(conditions: &DataFrame) -> PolarsResult<DataFrame> {
    // Indicator columns first, so each aggregation is a plain per-group sum (polars' fast
    // path), not an expression evaluated group by group.
    let mut indicators: Vec<Expr> = LEVEL_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            col("support_level")
                .eq(lit(i as i32 + 1))
                .cast(DataType::UInt32)
                .alias(*name)
        })
        .collect();
    indicators.push(
        col("legal_direction")
            .cast(DataType::UInt32)
            .alias("n_directions"),
    );
    indicators.push(
        col("reconstructed")
            .cast(DataType::UInt32)
            .alias("n_reconstructed"),
    );
    let mut counted: Vec<&str> = LEVEL_COLUMNS.to_vec();
    counted.extend(["n_directions", "n_reconstructed"]);
    let mut frame = conditions.clone();
    frame.rechunk_mut();
    frame
        .lazy()
        .select(
            std::iter::once(col("ods_code"))
                .chain(indicators)
                .collect::<Vec<_>>(),
        )
        .group_by([col("ods_code")])
        .agg(counted.iter().map(|c| col(*c).sum()).collect::<Vec<_>>())
        .collect()
}
