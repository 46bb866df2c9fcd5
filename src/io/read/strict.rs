//! The strict reader: row by row over `io::table`, each cell checked against `io::rules`, so
//! that the first problem is named by file, line and column. It reads what the fast reader
//! declines, and `ccg_outcomes.csv` (small, and cross-checked against the other two files).

use super::{internal, CCG_SCHEMA, CONDITIONS_FILE, CONDITION_SCHEMA, OUTCOME_COLUMNS};
use crate::error::InputError;
use crate::io::files::CCGS_FILE;
use crate::io::rules;
use crate::io::table::{self, Table};
use crate::model::counts::{per_ccg, LEVEL_COLUMNS};
use crate::model::{self, Ccg, CcgOutcome, Condition, Evidence, Provenance};
use polars::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Parse `ccgs.csv` rows.
pub fn parse_ccgs(t: &Table) -> Result<Vec<Ccg>, InputError> {
    let required: Vec<usize> = CCG_SCHEMA.required.iter().map(|c| t.req(c)).collect();
    let &[ods, name, region, csu, pop, imd] = &required[..] else {
        unreachable!("CCG_SCHEMA requires six columns")
    };
    let basis = t.col("csu_basis");
    let team = t.col("area_team");
    let wave = t.col("wave");
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let code_cell = t.cell(row, ods);
        let code = code_cell.non_empty()?.to_string();
        if let Some(first) = seen.insert(code.clone(), row.line) {
            return Err(code_cell.error(format!(
                "duplicate ods_code {code:?} (first on line {first})"
            )));
        }
        let population = t.cell(row, pop).count()?;
        if population == 0 {
            return Err(t.cell(row, pop).error("population must be positive"));
        }
        let imd_cell = t.cell(row, imd);
        let imd_score = imd_cell.number()?;
        if imd_score < 0.0 {
            return Err(imd_cell.error(format!(
                "deprivation score must be non-negative, found {imd_score}"
            )));
        }
        let csu_basis = match basis {
            Some(b) => t.cell(row, b).word(&rules::CSU_BASIS)?,
            None => "unknown",
        };
        let wave = match wave.map(|w| t.cell(row, w)) {
            Some(cell) if !cell.text().is_empty() => Some(cell.code(&rules::WAVE)? as u8),
            _ => None,
        };
        out.push(Ccg {
            ods_code: code,
            name: t.cell(row, name).non_empty()?.to_string(),
            region: t.cell(row, region).word(&rules::REGION)?.to_string(),
            csu: t.cell(row, csu).non_empty()?.to_string(),
            csu_basis: csu_basis.to_string(),
            area_team: team
                .map(|c| t.cell(row, c).text().to_string())
                .unwrap_or_default(),
            population,
            imd_score,
            wave,
        });
    }
    Ok(out)
}

/// `ccgs.csv` into the CCG frame.
pub(super) fn ccgs(path: &Path, bytes: &[u8]) -> Result<DataFrame, InputError> {
    let ccgs = parse_ccgs(&table::parse(path, bytes, &CCG_SCHEMA)?)?;
    model::ccgs_frame(&ccgs).map_err(|e| internal(path, e))
}

/// `conditions.csv` into the condition frame and its per-CCG counts; every ods_code must be a
/// CCG of `ccgs`.
pub(super) fn conditions(
    path: &Path,
    bytes: &[u8],
    ccgs: &DataFrame,
) -> Result<(DataFrame, DataFrame), InputError> {
    let codes = ccgs.column("ods_code").map_err(|e| internal(path, e))?;
    let known: HashSet<&str> = codes
        .str()
        .map_err(|e| internal(path, e))?
        .iter()
        .flatten()
        .collect();
    let rows = parse_conditions(path, bytes, &known)?;
    let frame = model::conditions_frame(&rows).map_err(|e| internal(path, e))?;
    let counts = per_ccg(&frame).map_err(|e| internal(path, e))?;
    Ok((frame, counts))
}

/// Parse `conditions.csv` (streamed: it can hold millions of rows); every ods_code must be a
/// known CCG.
fn parse_conditions(
    path: &Path,
    bytes: &[u8],
    known: &HashSet<&str>,
) -> Result<Vec<Condition>, InputError> {
    let mut out = Vec::new();
    let mut columns = None;
    table::parse_each(path, bytes, &CONDITION_SCHEMA, |t, row| {
        let &mut (ods, crit, level, dir, prov, source) = columns.get_or_insert_with(|| {
            let [ods, crit, level, dir] =
                ["ods_code", "criterion", "support_level", "legal_direction"].map(|c| t.req(c));
            (ods, crit, level, dir, t.col("provenance"), t.col("source"))
        });
        let code_cell = t.cell(row, ods);
        let code = code_cell.non_empty()?;
        if !known.contains(code) {
            return Err(code_cell.error(format!(
                "condition for unknown CCG {code:?} (not in {CCGS_FILE})"
            )));
        }
        let provenance = match prov {
            Some(p) => provenance(t.cell(row, p).code(&rules::PROVENANCE)?),
            None => Provenance::Published,
        };
        out.push(Condition {
            ods_code: code.to_string(),
            criterion: t.cell(row, crit).text().to_string(),
            support_level: t.cell(row, level).code(&rules::SUPPORT_LEVEL)? as u8,
            legal_direction: t.cell(row, dir).boolean()?,
            provenance,
            source: source
                .map(|s| t.cell(row, s).text().to_string())
                .unwrap_or_default(),
        });
        Ok(())
    })?;
    Ok(out)
}

/// A provenance by its code in `rules::PROVENANCE`.
fn provenance(code: i32) -> Provenance {
    if code == 1 {
        Provenance::Reconstructed
    } else {
        Provenance::Published
    }
}

/// Parse `ccg_outcomes.csv`, cross-checking it against the CCG list and the condition rows.
pub fn parse_outcomes(
    t: &Table,
    ccgs: &DataFrame,
    condition_counts: &DataFrame,
) -> Result<Vec<CcgOutcome>, InputError> {
    let [ods, wave, wprov, n, dir, ev, method, _] = OUTCOME_COLUMNS.map(|c| t.col(c).unwrap_or(0));
    let counts = rows_per_ccg(condition_counts).map_err(|e| internal(&t.path, e))?;
    let names = ccg_names(ccgs).map_err(|e| internal(&t.path, e))?;
    let known: HashSet<&str> = names.iter().map(|(code, _)| code.as_str()).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let code_cell = t.cell(row, ods);
        let code = code_cell.non_empty()?;
        if !known.contains(code) {
            return Err(code_cell.error(format!("unknown CCG {code:?} (not in {CCGS_FILE})")));
        }
        if !seen.insert(code.to_string()) {
            return Err(code_cell.error(format!("duplicate ods_code {code:?}")));
        }
        let n_cell = t.cell(row, n);
        let n_conditions = n_cell.count()?;
        let (rows, directed) = counts.get(code).copied().unwrap_or((0, false));
        if rows != n_conditions {
            return Err(n_cell.error(format!(
                "says {n_conditions} conditions but {CONDITIONS_FILE} has {rows} rows for {code}"
            )));
        }
        let dir_cell = t.cell(row, dir);
        let legal_direction = dir_cell.boolean()?;
        if legal_direction != directed {
            return Err(dir_cell.error(format!(
                "legal_direction={legal_direction} disagrees with the rows of {CONDITIONS_FILE} for {code}"
            )));
        }
        out.push(CcgOutcome {
            ods_code: code.to_string(),
            wave: t.cell(row, wave).code(&rules::WAVE)? as u8,
            wave_provenance: provenance(t.cell(row, wprov).code(&rules::PROVENANCE)?),
            n_conditions,
            legal_direction,
            evidence: Evidence::parse(t.cell(row, ev).word(&rules::EVIDENCE)?).unwrap(),
            method: t.cell(row, method).text().to_string(),
        });
    }
    if let Some((code, name)) = names.iter().find(|(code, _)| !seen.contains(code)) {
        return Err(InputError::file(
            &t.path,
            format!("no row for CCG {code} ({name}); every CCG in {CCGS_FILE} needs one"),
        ));
    }
    Ok(out)
}

/// Condition rows and whether any is directed, per CCG (from the per-CCG counts).
fn rows_per_ccg(condition_counts: &DataFrame) -> PolarsResult<HashMap<String, (u64, bool)>> {
    let codes = condition_counts.column("ods_code")?.str()?;
    let levels: Vec<&UInt32Chunked> = LEVEL_COLUMNS
        .iter()
        .map(|c| condition_counts.column(c)?.u32())
        .collect::<PolarsResult<_>>()?;
    let directions = condition_counts.column("n_directions")?.u32()?;
    Ok((0..condition_counts.height())
        .filter_map(|i| {
            let rows: u64 = levels.iter().map(|l| l.get(i).unwrap_or(0) as u64).sum();
            Some((codes.get(i)?.to_string(), (rows, directions.get(i)? > 0)))
        })
        .collect())
}

/// (ods_code, name) of every CCG, in file order.
fn ccg_names(ccgs: &DataFrame) -> PolarsResult<Vec<(String, String)>> {
    let codes = ccgs.column("ods_code")?.str()?;
    let names = ccgs.column("name")?.str()?;
    Ok(codes
        .iter()
        .zip(names.iter())
        .map(|(c, n)| (c.unwrap_or("").to_string(), n.unwrap_or("").to_string()))
        .collect())
}
