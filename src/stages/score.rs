//! The `score + summarise` stage: the composite score (level counts times the weight vector) and
//! its summaries by region and by CSU, as polars expressions over the count table.

use crate::model::weights::Weights;
use crate::stages::counts::LEVEL_COLUMNS;
use polars::prelude::*;

/// Composite score = Σ_level weight(level) · conditions at that level + direction weight ·
/// directed conditions. The one definition of the score, for every scheme and every table.
pub fn composite_score(w: &Weights) -> Expr {
    LEVEL_COLUMNS
        .iter()
        .zip(w.levels)
        .map(|(c, lw)| col(*c).cast(DataType::Float64) * lit(lw))
        .fold(
            col("n_directions").cast(DataType::Float64) * lit(w.legal_direction),
            |acc, term| acc + term,
        )
        .alias("composite_score")
}

/// The count table with `composite_score` under these weights (same rows, same order).
pub fn scored(counts: &DataFrame, w: &Weights) -> PolarsResult<DataFrame> {
    let mut out = counts
        .clone()
        .lazy()
        .with_column(composite_score(w))
        .collect()?;
    out.rechunk_mut();
    Ok(out)
}

/// The columns of `ccg_scores.csv`, in order.
pub const CCG_SCORE_COLUMNS: [&str; 13] = [
    "ods_code",
    "name",
    "region",
    "csu",
    "csu_confirmed",
    "population",
    "imd_score",
    "evidence",
    "composite_score",
    "n_conditions",
    "max_level",
    "n_directions",
    "n_reconstructed",
];

/// Summary statistics of composite_score per group (region or CSU), sorted by group name.
fn group_summary(scored: &DataFrame, by: &str) -> PolarsResult<LazyFrame> {
    let score = || col("composite_score");
    Ok(scored
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
        .sort([by], SortMultipleOptions::default()))
}

/// Per region: count, mean, median, quartiles (sorted by region name).
pub fn region_summary(scored: &DataFrame) -> PolarsResult<DataFrame> {
    group_summary(scored, "region")?.collect()
}

/// Per CSU (sorted by mean, highest first, then name).
pub fn csu_summary(scored: &DataFrame) -> PolarsResult<DataFrame> {
    group_summary(scored, "csu")?
        .sort(
            ["mean_score", "csu"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()
}

/// The scored table and its two summaries under one weighting scheme.
pub struct Scored {
    pub ccgs: DataFrame,
    pub regions: DataFrame,
    pub csus: DataFrame,
}

pub fn score_and_summarise(counts: &DataFrame, w: &Weights) -> PolarsResult<Scored> {
    let ccgs = scored(counts, w)?;
    Ok(Scored {
        regions: region_summary(&ccgs)?,
        csus: csu_summary(&ccgs)?,
        ccgs,
    })
}

/// The scored table with only the summary columns the headline reads (polars then computes
/// only those aggregations): for the many rescorings of robustness, sensitivity and the
/// reconstruction's calibration.
pub fn score_for_headline(counts: &DataFrame, w: &Weights) -> PolarsResult<Scored> {
    let ccgs = scored(counts, w)?;
    let keep = |names: &[&str]| names.iter().map(|n| col(*n)).collect::<Vec<_>>();
    Ok(Scored {
        regions: group_summary(&ccgs, "region")?
            .select(keep(&[
                "region",
                "n_ccgs",
                "n_with_conditions",
                "median_score",
            ]))
            .collect()?,
        csus: group_summary(&ccgs, "csu")?
            .select(keep(&["csu", "n_ccgs", "mean_score"]))
            .collect()?,
        ccgs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::f64_slice;
    use crate::stages::fixtures::{self, table};

    /// Three CCGs with conditions at known levels; scores worked out by hand.
    fn counts() -> DataFrame {
        let ccg = |code: &str| fixtures::ccg(code, "London", "C", "", 1000, 1.0);
        let cond =
            |code: &str, level: u8, directed: bool| fixtures::cond(code, level, directed, false);
        table(
            &[ccg("A"), ccg("B"), ccg("C")],
            &[
                cond("A", 1, false),
                cond("A", 3, false),
                cond("A", 3, false),
                cond("A", 4, true),
                cond("B", 2, false),
                cond("B", 6, true),
            ],
        )
    }

    #[test]
    fn scores_equal_hand_computed_values_under_two_schemes() {
        let t = counts();
        // Doubling (1, 2, 4, 8, 16, 32), +5 per direction:
        //   A = 1 + 4 + 4 + 8 + 5 = 22;  B = 2 + 32 + 5 = 39;  C = 0.
        let w = Weights {
            name: "doubling+5".into(),
            levels: [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            legal_direction: 5.0,
        };
        let s = scored(&t, &w).unwrap();
        assert_eq!(f64_slice(&s, "composite_score").unwrap(), [22.0, 39.0, 0.0]);
        // Count (every condition 1, no direction weight): A = 4, B = 2, C = 0.
        let w = Weights {
            name: "count".into(),
            levels: [1.0; 6],
            legal_direction: 0.0,
        };
        let s = scored(&t, &w).unwrap();
        assert_eq!(f64_slice(&s, "composite_score").unwrap(), [4.0, 2.0, 0.0]);
    }

    #[test]
    fn summaries_by_hand() {
        let w = Weights {
            name: "count".into(),
            levels: [1.0; 6],
            legal_direction: 0.0,
        };
        let s = score_and_summarise(&counts(), &w).unwrap();
        // One region, scores 4, 2, 0: mean 2, median 2, q1 1, q3 3; 2 of 3 with conditions.
        let r = &s.regions;
        assert_eq!(r.height(), 1);
        let get = |c: &str| {
            r.column(c)
                .unwrap()
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
                .unwrap()
        };
        assert_eq!(
            [
                get("n_ccgs"),
                get("n_with_conditions"),
                get("mean_score"),
                get("median_score"),
                get("q1_score"),
                get("q3_score")
            ],
            [3.0, 2.0, 2.0, 2.0, 1.0, 3.0]
        );
    }
}
