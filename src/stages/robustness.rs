//! The `robustness` and `confirmed CSUs` stages: do the claims survive other severity weightings,
//! and counting only CCGs whose CSU a source confirms? Each scheme rescores the same count table.

use crate::model::weights::Weights;
use crate::stages::headline::{judge, verdicts, Headline, Verdict};
use polars::prelude::*;
use serde::Serialize;

/// One row of the robustness table: a weighting scheme and how each claim fares under it.
#[derive(Debug, Clone, Serialize)]
pub struct RobustnessRow {
    pub scheme: String,
    pub weights: Weights,
    pub headline: Headline,
    pub verdicts: [Verdict; 5],
}

/// Every scheme of `Weights::alternatives(default)`; the first is `default` itself, whose
/// figures `headline` already holds (not scored a second time).
pub fn robustness(
    counts: &DataFrame,
    default: &Weights,
    headline: &Headline,
    compare: (&str, &str),
) -> PolarsResult<Vec<RobustnessRow>> {
    let row = |w: Weights| -> PolarsResult<RobustnessRow> {
        let is_default = w.levels == default.levels && w.legal_direction == default.legal_direction;
        let h = if is_default {
            headline.clone()
        } else {
            judge(counts, &w, compare)?
        };
        Ok(RobustnessRow {
            scheme: w.name.clone(),
            verdicts: verdicts(&h, compare),
            headline: h,
            weights: w,
        })
    };
    // The schemes are independent: half on a second thread, then back in scheme order.
    let mut schemes = Weights::alternatives(default);
    let second = schemes.split_off(schemes.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            second
                .into_iter()
                .map(row)
                .collect::<PolarsResult<Vec<_>>>()
        });
        let first = schemes
            .into_iter()
            .map(row)
            .collect::<PolarsResult<Vec<_>>>();
        (first, other.join().expect("robustness thread"))
    });
    Ok(a?.into_iter().chain(b?).collect())
}

/// The CSU ratio counting only CCGs whose CSU assignment a source confirms (named or
/// area-level); None when it is 0/0, infinite when only the second CSU's confirmed CCGs all
/// score 0.
pub fn confirmed_csu_ratio(
    counts: &DataFrame,
    w: &Weights,
    compare: (&str, &str),
) -> PolarsResult<Option<f64>> {
    let confirmed = counts
        .clone()
        .lazy()
        .filter(col("csu_confirmed"))
        .collect()?;
    let ratio = judge(&confirmed, w, compare)?.csu_ratio;
    Ok(Some(ratio).filter(|r| !r.is_nan()))
}
