//! CSV tables: those behind the charts, `ccg_scores.csv`, `region_summary.csv`, `csu_summary.csv`
//! (frames, written as they are) and `robustness.csv`; and a reconstructed dataset's
//! `conditions.csv` and `ccg_outcomes.csv` (written by `reconstruct` and for each witness).

use crate::format::CsvText;
use crate::format::{num, push_num};
use crate::stages::headline::CLAIMS;
use crate::stages::robustness::RobustnessRow;
use polars::prelude::*;

/// A frame as CSV text (RFC 4180 quoting, `\n` line ends; numbers as `num` prints them),
/// written column-typed straight into one buffer: ccg_scores.csv can have 100,000 rows.
pub fn frame_csv(df: &DataFrame) -> anyhow::Result<String> {
    let columns: Vec<Cells> = df
        .columns()
        .iter()
        .map(Cells::of)
        .collect::<PolarsResult<_>>()?;
    let mut out = String::new();
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_text(&mut out, name);
    }
    out.push('\n');
    for row in 0..df.height() {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            c.push(&mut out, row);
        }
        out.push('\n');
    }
    Ok(out)
}

/// A column's values by type, read once.
enum Cells<'a> {
    Float(&'a Float64Chunked),
    Text(&'a StringChunked),
    Flag(&'a BooleanChunked),
    Whole(Int64Chunked),
}

impl<'a> Cells<'a> {
    fn of(c: &'a Column) -> PolarsResult<Cells<'a>> {
        Ok(match c.dtype() {
            DataType::Float64 => Cells::Float(c.f64()?),
            DataType::String => Cells::Text(c.str()?),
            DataType::Boolean => Cells::Flag(c.bool()?),
            _ => Cells::Whole(c.cast(&DataType::Int64)?.i64()?.clone()),
        })
    }

    fn push(&self, out: &mut String, row: usize) {
        use std::fmt::Write;
        match self {
            Cells::Float(c) => push_num(out, c.get(row).unwrap_or(f64::NAN)),
            Cells::Text(c) => push_text(out, c.get(row).unwrap_or("")),
            Cells::Flag(c) => {
                if let Some(b) = c.get(row) {
                    let _ = write!(out, "{b}");
                }
            }
            Cells::Whole(c) => {
                if let Some(x) = c.get(row) {
                    let _ = write!(out, "{x}");
                }
            }
        }
    }
}

/// A text field, quoted when it holds a comma, quote or line break (quotes doubled), as the
/// csv crate writes it.
fn push_text(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// robustness.csv: one row per scheme × claim.
pub fn robustness_csv(
    rows: &[RobustnessRow],
    record: Option<&crate::stages::bounds::RecordBounds>,
) -> anyhow::Result<String> {
    let mut w = CsvText::new([
        "scheme",
        "level_weights",
        "direction_weight",
        "claim",
        "figure",
        "verdict",
        "published_record",
        "published_record_with_assumptions",
    ])?;
    for r in rows {
        let h = &r.headline;
        let figures = h.claim_figures();
        for (k, id) in CLAIMS.iter().enumerate() {
            // What the published record says under this scheme: settled / open / ruled out.
            let status = |a| {
                record
                    .and_then(|rb| rb.of(&r.scheme, a))
                    .and_then(|b| b.claims.iter().find(|c| c.claim == *id))
                    .map_or("not_bounded".to_string(), |c| {
                        crate::stages::findings::status_word(c.status).replace(' ', "_")
                    })
            };
            w.row([
                r.scheme.clone(),
                r.weights.levels_text(),
                num(r.weights.legal_direction),
                id.to_string(),
                num(figures[k]),
                r.verdicts[k].label().to_string(),
                status(crate::stages::bounds::Assumptions::PublishedOnly),
                status(crate::stages::bounds::Assumptions::Reconstruction),
            ])?;
        }
    }
    w.finish()
}

/// conditions.csv and ccg_outcomes.csv as text (the official format plus provenance).
pub fn reconstruction_csv(
    rec: &crate::stages::reconstruct::Reconstruction,
    p: &crate::model::published::Published,
) -> anyhow::Result<(String, String)> {
    let mut conditions = CsvText::new([
        "ods_code",
        "criterion",
        "support_level",
        "legal_direction",
        "provenance",
        "source",
    ])?;
    for c in &rec.conditions {
        conditions.row([
            c.ods_code.as_str(),
            &c.criterion,
            &c.support_level.to_string(),
            if c.legal_direction { "true" } else { "false" },
            c.provenance.as_str(),
            &c.source,
        ])?;
    }
    let mut outcomes = CsvText::new(crate::model::OUTCOME_COLUMNS)?;
    for o in &rec.outcomes {
        outcomes.row([
            o.ods_code.as_str(),
            &o.wave.to_string(),
            o.wave_provenance.as_str(),
            &o.n_conditions.to_string(),
            if o.legal_direction { "true" } else { "false" },
            o.evidence.as_str(),
            &o.method,
            p.outcome(&o.ods_code)
                .map(|x| x.source_url.as_str())
                .unwrap_or(""),
        ])?;
    }
    Ok((conditions.finish()?, outcomes.finish()?))
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
