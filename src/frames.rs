//! Typed records → polars DataFrames (the hand-over from ingest to the lazy stages).

use crate::ingest::{Ccg, Condition, Evidence};
use polars::prelude::*;
use std::collections::HashMap;

/// One row per CCG: ods_code, name, region, csu, csu_confirmed, population, imd_score, evidence.
pub fn ccg_frame(ccgs: &[Ccg], evidence: &HashMap<String, Evidence>) -> PolarsResult<DataFrame> {
    df!(
        "ods_code" => ccgs.iter().map(|c| c.ods_code.as_str()).collect::<Vec<_>>(),
        "name" => ccgs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "region" => ccgs.iter().map(|c| c.region.as_str()).collect::<Vec<_>>(),
        "csu" => ccgs.iter().map(|c| c.csu.as_str()).collect::<Vec<_>>(),
        "csu_confirmed" => ccgs.iter().map(|c| crate::ingest::csu_confirmed(&c.csu_basis)).collect::<Vec<_>>(),
        "population" => ccgs.iter().map(|c| c.population as f64).collect::<Vec<_>>(),
        "imd_score" => ccgs.iter().map(|c| c.imd_score).collect::<Vec<_>>(),
        "evidence" => ccgs.iter().map(|c| evidence.get(&c.ods_code).copied().unwrap_or(Evidence::Published).as_str()).collect::<Vec<_>>(),
    )
}

/// One row per condition: ods_code, support_level, legal_direction, reconstructed.
pub fn condition_frame(conditions: &[Condition]) -> PolarsResult<DataFrame> {
    df!(
        "ods_code" => conditions.iter().map(|c| c.ods_code.as_str()).collect::<Vec<_>>(),
        "support_level" => conditions.iter().map(|c| i32::from(c.support_level)).collect::<Vec<_>>(),
        "legal_direction" => conditions.iter().map(|c| c.legal_direction).collect::<Vec<_>>(),
        "reconstructed" => conditions.iter().map(|c| c.provenance == crate::ingest::Provenance::Reconstructed).collect::<Vec<_>>(),
    )
}

/// Column accessors that turn polars' types into plain vectors for the charts and statistics.
pub fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let s = df.column(name)?.cast(&DataType::Float64)?;
    Ok(s.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

pub fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let s = df.column(name)?;
    Ok(s.str()?
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect())
}
