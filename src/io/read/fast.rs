//! The fast reader: polars reads the CSV text into an all-String frame, and expressions built
//! from `io::rules` type and validate every column at once. It never explains a problem: when
//! anything is off it answers None, and `read` hands the file to the strict reader for a located
//! error.

use crate::error::InputError;
use crate::io::rules::{self, Vocabulary};
use crate::io::table::{self, Schema};
use crate::model::counts::per_ccg;
use crate::model::{Provenance, CSU_CONFIRMED};
use polars::prelude::*;
use polars_io::csv::read::CsvReadOptions;
use polars_io::SerReader;
use std::path::Path;

/// CSV text into an all-String frame named by the schema-checked header, or None when the text
/// is not plain (not UTF-8, a row with the wrong number of fields, a field padded with
/// whitespace, no data rows, or anything polars refuses) or smaller than `min_bytes`. Header
/// problems are reported at once.
pub(super) fn frame(
    path: &Path,
    bytes: &[u8],
    schema: &Schema,
    min_bytes: usize,
) -> Result<Option<DataFrame>, InputError> {
    if bytes.len() < min_bytes {
        return Ok(None);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(None);
    }
    let header = table::header(path, text, schema)?;
    if !table::is_plain_csv(text.as_bytes(), header.len()) {
        return Ok(None);
    }
    let columns = polars::prelude::Schema::from_iter(
        header
            .iter()
            .map(|h| Field::new(h.as_str().into(), DataType::String)),
    );
    // Only the schema's columns, and not `source`: free text the analysis never reads.
    let wanted: Vec<PlSmallStr> = header
        .iter()
        .filter(|h| h.as_str() != "source")
        .filter(|h| schema.required.contains(&h.as_str()) || schema.optional.contains(&h.as_str()))
        .map(|h| h.as_str().into())
        .collect();
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(columns)))
        .with_columns(Some(wanted.into()))
        .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes()))
        .finish();
    Ok(frame.ok())
}

/// Whether a value is one of `allowed` exactly (null where the value is null).
fn one_of<'a>(value: Expr, allowed: impl IntoIterator<Item = &'a str>) -> Expr {
    allowed
        .into_iter()
        .fold(lit(false), |acc, a| acc.or(value.clone().eq(lit(a))))
}

/// A value's code in a vocabulary, null when no spelling matches: with `every_spelling`, every
/// spelling the vocabulary accepts (every mix of case where it takes any case), else only each
/// code's usual spelling (the cheap first try).
fn mapped(value: Expr, vocabulary: &Vocabulary, every_spelling: bool) -> Expr {
    let spellings: Vec<(String, i32)> = if every_spelling {
        vocabulary.accepted()
    } else {
        let usual = vocabulary.usual().into_iter();
        usual.map(|(s, code)| (s.to_string(), code)).collect()
    };
    vocabulary
        .usual()
        .iter()
        .fold(lit(NULL).cast(DataType::Int32), |acc, &(_, code)| {
            let these = spellings.iter().filter(|(_, c)| *c == code);
            when(one_of(value.clone(), these.map(|(s, _)| s.as_str())))
                .then(lit(code))
                .otherwise(acc)
        })
}

fn present(value: Expr) -> Expr {
    value.clone().is_not_null().and(value.neq(lit("")))
}

/// Whether every row satisfies `valid` (null counts as not valid).
fn all_rows(frame: &DataFrame, valid: Expr) -> PolarsResult<bool> {
    let ok = frame
        .clone()
        .lazy()
        .select([valid.fill_null(lit(false)).all(true).alias("ok")])
        .collect()?;
    Ok(ok.column("ok")?.bool()?.get(0).unwrap_or(false))
}

/// The CCG frame with types, when every row is valid (None: let the strict reader explain).
pub(super) fn typed_ccgs(raw: &DataFrame) -> PolarsResult<Option<DataFrame>> {
    let has = |c: &str| raw.column(c).is_ok();
    let basis = if has("csu_basis") {
        col("csu_basis")
    } else {
        lit("unknown")
    };
    let wave = if has("wave") {
        col("wave")
    } else {
        lit(NULL).cast(DataType::String)
    };
    let team = if has("area_team") {
        col("area_team").fill_null(lit(""))
    } else {
        lit("")
    };
    let typed = raw
        .clone()
        .lazy()
        .select([
            col("ods_code").alias("ods_code"),
            col("name").alias("name"),
            col("region").alias("region"),
            mapped(col("region"), &rules::REGION, true)
                .cast(DataType::UInt32)
                .alias("region_index"),
            col("csu").alias("csu"),
            basis.clone().alias("csu_basis"),
            one_of(basis.clone(), CSU_CONFIRMED).alias("csu_confirmed"),
            team.alias("area_team"),
            col("population")
                .cast(DataType::UInt64)
                .cast(DataType::Float64)
                .alias("population"),
            col("imd_score").cast(DataType::Float64).alias("imd_score"),
            mapped(wave.clone(), &rules::WAVE, true).alias("wave"),
            mapped(basis, &rules::CSU_BASIS, true)
                .is_not_null()
                .alias("basis_ok"),
            wave.is_null().alias("no_wave"),
        ])
        .collect()?;
    let valid = present(col("ods_code"))
        .and(present(col("name")))
        .and(present(col("csu")))
        .and(col("region_index").is_not_null())
        .and(col("population").gt(lit(0.0)))
        .and(col("imd_score").is_finite())
        .and(col("imd_score").gt_eq(lit(0.0)))
        .and(col("basis_ok"))
        .and(col("no_wave").or(col("wave").is_not_null()))
        .and(col("ods_code").n_unique().eq(len()));
    if !all_rows(&typed, valid)? {
        return Ok(None);
    }
    Ok(Some(typed.drop_many(["basis_ok", "no_wave"])))
}

/// The condition frame with types and its per-CCG counts, when every row is valid and every
/// code a CCG (None: let the strict reader explain).
pub(super) fn typed_conditions(
    raw: &DataFrame,
    ccgs: &DataFrame,
) -> PolarsResult<Option<(DataFrame, DataFrame)>> {
    // Levels as digits and booleans as true/false are the usual spellings: a few comparisons.
    // Only a file with other spellings pays for comparing with every one.
    let typed = match typed_condition_columns(raw, false)? {
        Some(t) => t,
        None => match typed_condition_columns(raw, true)? {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    let counts = per_ccg(&typed)?;
    let known = ccgs
        .clone()
        .lazy()
        .select([col("ods_code"), lit(true).alias("known")]);
    let codes = counts
        .clone()
        .lazy()
        .select([col("ods_code")])
        .join(
            known,
            [col("ods_code")],
            [col("ods_code")],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    if !all_rows(&codes, col("known"))? {
        return Ok(None);
    }
    Ok(Some((typed, counts)))
}

/// The typed condition columns, when every row is valid: with `every_spelling`, every spelling
/// of `rules` (Roman numerals, yes/no, any case), else only the usual ones (digits, true/false).
fn typed_condition_columns(
    raw: &DataFrame,
    every_spelling: bool,
) -> PolarsResult<Option<DataFrame>> {
    let provenance = if raw.column("provenance").is_ok() {
        col("provenance")
    } else {
        lit(Provenance::Published.as_str())
    };
    let typed = raw
        .clone()
        .lazy()
        .select([
            col("ods_code").alias("ods_code"),
            col("criterion").fill_null(lit("")).alias("criterion"),
            mapped(col("support_level"), &rules::SUPPORT_LEVEL, every_spelling)
                .alias("support_level"),
            mapped(col("legal_direction"), &rules::BOOLEAN, every_spelling)
                .cast(DataType::Boolean)
                .alias("legal_direction"),
            mapped(provenance, &rules::PROVENANCE, true)
                .cast(DataType::Boolean)
                .alias("reconstructed"),
        ])
        .collect()?;
    let valid = present(col("ods_code"))
        .and(col("support_level").is_not_null())
        .and(col("legal_direction").is_not_null())
        .and(col("reconstructed").is_not_null());
    Ok(all_rows(&typed, valid)?.then_some(typed))
}
