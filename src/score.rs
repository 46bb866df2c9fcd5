//! Stages 2–5: composite score per CCG, and its summaries by region and by CSU (polars, lazy).

use crate::weights::Weights;
use polars::prelude::*;

/// Stage 2: composite score per CCG = Σ weight(support level) + direction weight per directed condition.
/// CCGs without conditions score 0. Output: the CCG frame plus composite_score, n_conditions,
/// max_level, n_directions, n_reconstructed; sorted by ods_code.
pub fn composite_scores(
    ccgs: &DataFrame,
    conditions: &DataFrame,
    weights: &Weights,
) -> PolarsResult<DataFrame> {
    let level_weights = df!(
        "support_level" => (1..=weights.levels.len() as i32).collect::<Vec<_>>(),
        "level_weight" => weights.levels.to_vec(),
    )?;
    let per_ccg = conditions
        .clone()
        .lazy()
        .join(
            level_weights.lazy(),
            [col("support_level")],
            [col("support_level")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            (col("level_weight")
                + col("legal_direction").cast(DataType::Float64) * lit(weights.legal_direction))
            .alias("condition_weight"),
        )
        .group_by([col("ods_code")])
        .agg([
            col("condition_weight").sum().alias("composite_score"),
            len().cast(DataType::UInt32).alias("n_conditions"),
            col("support_level").max().alias("max_level"),
            col("legal_direction")
                .cast(DataType::UInt32)
                .sum()
                .alias("n_directions"),
            col("reconstructed")
                .cast(DataType::UInt32)
                .sum()
                .alias("n_reconstructed"),
        ]);
    ccgs.clone()
        .lazy()
        .join(
            per_ccg,
            [col("ods_code")],
            [col("ods_code")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("composite_score").fill_null(lit(0.0)),
            col("n_conditions").fill_null(lit(0u32)),
            col("max_level").fill_null(lit(0i32)),
            col("n_directions").fill_null(lit(0u32)),
            col("n_reconstructed").fill_null(lit(0u32)),
        ])
        .sort(["ods_code"], SortMultipleOptions::default())
        .collect()
}

/// Summary statistics of composite_score per group (region or CSU), sorted by group name.
fn group_summary(scores: &DataFrame, by: &str) -> PolarsResult<DataFrame> {
    let score = || col("composite_score");
    scores
        .clone()
        .lazy()
        .group_by([col(by)])
        .agg([
            len().cast(DataType::UInt32).alias("n_ccgs"),
            col("n_conditions")
                .gt(lit(0u32))
                .cast(DataType::UInt32)
                .sum()
                .alias("n_with_conditions"),
            score().mean().alias("mean_score"),
            score().median().alias("median_score"),
            score()
                .quantile(lit(0.25), QuantileMethod::Linear)
                .alias("q1_score"),
            score()
                .quantile(lit(0.75), QuantileMethod::Linear)
                .alias("q3_score"),
            score().min().alias("min_score"),
            score().max().alias("max_score"),
            col("n_conditions")
                .cast(DataType::Float64)
                .mean()
                .alias("mean_conditions"),
            col("csu_confirmed")
                .cast(DataType::UInt32)
                .sum()
                .alias("n_csu_confirmed"),
            col("evidence")
                .neq(lit("published"))
                .cast(DataType::UInt32)
                .sum()
                .alias("n_not_fully_published"),
        ])
        .sort([by], SortMultipleOptions::default())
        .collect()
}

/// Stage 4: per region — count, mean, median, quartiles.
pub fn region_summary(scores: &DataFrame) -> PolarsResult<DataFrame> {
    group_summary(scores, "region")
}

/// Stage 5: per CSU — count, mean and median score (sorted by mean, highest first, then name).
pub fn csu_summary(scores: &DataFrame) -> PolarsResult<DataFrame> {
    group_summary(scores, "csu")?
        .lazy()
        .sort(
            ["mean_score", "csu"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()
}
