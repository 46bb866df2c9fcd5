//! The published record of the 2013 authorisation: national and regional aggregates
//! (`aggregates.csv`), per-CCG outcomes (`outcomes.csv`), itemised conditions
//! (`itemised_conditions.csv`), facts (`facts.csv`) and the sources of the CSU assignments
//! (`csu_evidence.csv`).

use super::read_table;
use crate::error::InputError;
use crate::io::files::InputFile;
use crate::io::rules::SUPPORT_LEVEL;
use crate::io::table::{Cell, Schema};
use crate::model::published::{
    Aggregate, Fact, Itemised, Outcome, AGGREGATES, CSU_EVIDENCE, FACTS, ITEMISED, OUTCOMES,
};
use std::path::Path;

/// A support level where one is given (an empty cell: not published).
fn optional_level(cell: &Cell) -> Result<Option<u8>, InputError> {
    match cell.optional() {
        Some(_) => Ok(Some(cell.code(&SUPPORT_LEVEL)? as u8)),
        None => Ok(None),
    }
}

pub(super) fn load_aggregates(
    dir: &Path,
    files: &mut Vec<InputFile>,
) -> Result<Vec<Aggregate>, InputError> {
    let agg = read_table(
        files,
        &dir.join(AGGREGATES),
        &Schema {
            required: &["scope", "metric", "value", "source_url"],
            optional: &["note"],
            allow_empty: false,
        },
    )?;
    let aggregates = agg
        .rows
        .iter()
        .map(|r| Aggregate {
            scope: r.fields[agg.req("scope")].to_string(),
            metric: r.fields[agg.req("metric")].to_string(),
            value: r.fields[agg.req("value")].to_string(),
            source_url: r.fields[agg.req("source_url")].to_string(),
        })
        .collect();
    Ok(aggregates)
}

pub(super) fn load_outcomes(
    dir: &Path,
    files: &mut Vec<InputFile>,
) -> Result<Vec<Outcome>, InputError> {
    let t = read_table(
        files,
        &dir.join(OUTCOMES),
        &Schema {
            required: &[
                "ods_code",
                "conditions",
                "legal_direction",
                "top_level",
                "level_iv_or_higher",
                "source_url",
            ],
            optional: &["name", "note"],
            allow_empty: false,
        },
    )?;
    let mut outcomes = Vec::new();
    for row in &t.rows {
        let level = t.cell(row, t.req("top_level"));
        outcomes.push(Outcome {
            ods_code: t.cell(row, t.req("ods_code")).non_empty()?.to_string(),
            name: t
                .col("name")
                .map(|c| row.fields[c].to_string())
                .unwrap_or_default(),
            conditions: match t.cell(row, t.req("conditions")).optional() {
                Some(_) => Some(t.cell(row, t.req("conditions")).count()? as u32),
                None => None,
            },
            legal_direction: t.cell(row, t.req("legal_direction")).boolean()?,
            top_level: optional_level(&level)?,
            level_iv_or_higher: match t.cell(row, t.req("level_iv_or_higher")).optional() {
                Some(_) => Some(t.cell(row, t.req("level_iv_or_higher")).count()? as u32),
                None => None,
            },
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
        });
    }
    Ok(outcomes)
}

pub(super) fn load_itemised(
    dir: &Path,
    files: &mut Vec<InputFile>,
) -> Result<Vec<Itemised>, InputError> {
    let t = read_table(
        files,
        &dir.join(ITEMISED),
        &Schema {
            required: &[
                "ods_code",
                "criterion",
                "support_level",
                "legal_direction",
                "source_url",
            ],
            optional: &["note"],
            allow_empty: true,
        },
    )?;
    let mut itemised = Vec::new();
    for row in &t.rows {
        let level = t.cell(row, t.req("support_level"));
        itemised.push(Itemised {
            ods_code: t.cell(row, t.req("ods_code")).non_empty()?.to_string(),
            criterion: t.cell(row, t.req("criterion")).text().to_string(),
            support_level: optional_level(&level)?,
            legal_direction: t.cell(row, t.req("legal_direction")).boolean()?,
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
        });
    }
    Ok(itemised)
}

pub(super) fn load_facts(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Fact>, InputError> {
    let t = read_table(
        files,
        &dir.join(FACTS),
        &Schema {
            required: &["ods_code", "fact", "value", "source_url"],
            optional: &["name", "wave", "note"],
            allow_empty: false,
        },
    )?;
    let facts = t
        .rows
        .iter()
        .map(|r| Fact {
            ods_code: r.fields[t.req("ods_code")].to_string(),
            fact: r.fields[t.req("fact")].to_string(),
            value: r.fields[t.req("value")].to_string(),
            source_url: r.fields[t.req("source_url")].to_string(),
        })
        .collect();
    Ok(facts)
}

/// The source column of `csu_evidence.csv` (the assignments themselves are compiled into
/// ccgs.csv by scripts/compile_reference.py; here they are only cited).
pub(super) fn load_csu_evidence(
    dir: &Path,
    files: &mut Vec<InputFile>,
) -> Result<Vec<String>, InputError> {
    let t = read_table(
        files,
        &dir.join(CSU_EVIDENCE),
        &Schema {
            required: &["ods_code", "csu", "source_url"],
            optional: &["basis", "note"],
            allow_empty: true,
        },
    )?;
    Ok(t.rows
        .iter()
        .map(|r| r.fields[t.req("source_url")].to_string())
        .collect())
}
