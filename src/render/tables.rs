//! The CSV tables behind the charts: `ccg_scores.csv`, `region_summary.csv`, `csu_summary.csv`
//! (frames, written as they are) and `robustness.csv`.

use crate::io::write::CsvText;
use crate::render::format::num;
use crate::stages::headline::CLAIMS;
use crate::stages::robustness::RobustnessRow;
use polars::prelude::*;

/// One column's values as CSV text, read by type once (not cell by cell).
fn column_text(c: &Column) -> PolarsResult<Vec<String>> {
    let s = c.as_materialized_series();
    Ok(match s.dtype() {
        DataType::Float64 => s
            .f64()?
            .iter()
            .map(|v| v.map(num).unwrap_or_default())
            .collect(),
        DataType::String => s
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect(),
        DataType::Boolean => s
            .bool()?
            .iter()
            .map(|v| v.map(|b| b.to_string()).unwrap_or_default())
            .collect(),
        _ => s
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map(|x| x.to_string()).unwrap_or_default())
            .collect(),
    })
}

/// A frame as CSV text (RFC 4180 quoting, `\n` line ends; numbers as `num` prints them).
pub fn frame_csv(df: &DataFrame) -> anyhow::Result<String> {
    let columns: Vec<Vec<String>> = df
        .columns()
        .iter()
        .map(column_text)
        .collect::<PolarsResult<_>>()?;
    let mut w = CsvText::new(df.get_column_names().iter().map(|n| n.as_str()))?;
    for i in 0..df.height() {
        w.row(columns.iter().map(|c| c[i].as_str()))?;
    }
    w.finish()
}

/// robustness.csv: one row per scheme × claim.
pub fn robustness_csv(rows: &[RobustnessRow]) -> anyhow::Result<String> {
    let mut w = CsvText::new([
        "scheme",
        "level_weights",
        "direction_weight",
        "claim",
        "figure",
        "holds",
    ])?;
    for r in rows {
        let h = &r.headline;
        let figures = [
            h.share_with_conditions,
            h.size.r,
            h.deprivation.r,
            h.median_ratio,
            h.csu_ratio,
        ];
        for (k, id) in CLAIMS.iter().enumerate() {
            w.row([
                r.scheme.clone(),
                r.weights
                    .levels
                    .iter()
                    .map(|x| num(*x))
                    .collect::<Vec<_>>()
                    .join("/"),
                num(r.weights.legal_direction),
                id.to_string(),
                num(figures[k]),
                r.holds[k].to_string(),
            ])?;
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_to_csv_quotes_and_formats() {
        let df =
            df!("name" => ["a,b", "c"], "x" => [1.5, 2.0], "n" => [3u32, 4], "ok" => [true, false])
                .unwrap();
        assert_eq!(
            frame_csv(&df).unwrap(),
            "name,x,n,ok\n\"a,b\",1.5,3,true\nc,2,4,false\n"
        );
    }
}
