//! NHS England's later ratings of the CCGs (`later_ratings.csv`), their national totals
//! (`later_rating_totals.csv`), the mergers that joined 2013 CCGs (`ccg_mergers.csv`) and, when
//! present, the statements about groups of CCGs (`later_rating_groups.csv`).

use super::read_table;
use crate::error::InputError;
use crate::io::files::InputFile;
use crate::io::rules::{RATING, RELATION};
use crate::io::table::{Row, Schema, Table};
use crate::model::published::{
    GroupStatement, LaterRating, LaterRecord, Merger, RatingTotal, Relation, LATER_GROUPS,
    LATER_RATINGS, LATER_TOTALS, MERGERS, RATINGS,
};
use std::path::Path;

/// The later record: ratings, totals, mergers, and the group statements when `groups_file`.
pub(super) fn load_later(
    dir: &Path,
    groups_file: bool,
    files: &mut Vec<InputFile>,
) -> Result<LaterRecord, InputError> {
    Ok(LaterRecord {
        ratings: load_ratings(dir, files)?,
        totals: load_totals(dir, files)?,
        mergers: load_mergers(dir, files)?,
        groups: if groups_file {
            load_groups(dir, files)?
        } else {
            Vec::new()
        },
    })
}

/// ods_codes separated by `;`.
fn codes(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// An optional true/false column: false where the column or the value is missing.
fn flag(t: &Table, row: &Row, name: &str) -> Result<bool, InputError> {
    match t.col(name).map(|c| t.cell(row, c)) {
        Some(cell) if cell.optional().is_some() => cell.boolean(),
        _ => Ok(false),
    }
}

fn load_ratings(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<LaterRating>, InputError> {
    let t = read_table(
        files,
        &dir.join(LATER_RATINGS),
        &Schema {
            required: &["year", "ccg_name", "ods_codes", "rating", "source_url"],
            optional: &["special_measures", "derived", "note"],
            allow_empty: false,
        },
    )?;
    let mut ratings = Vec::new();
    for row in &t.rows {
        let sm = t.col("special_measures").map(|c| t.cell(row, c));
        ratings.push(LaterRating {
            year: t.cell(row, t.req("year")).non_empty()?.to_string(),
            ccg_name: t.cell(row, t.req("ccg_name")).non_empty()?.to_string(),
            ods_codes: codes(t.cell(row, t.req("ods_codes")).non_empty()?),
            rating: t.cell(row, t.req("rating")).word(&RATING)?.to_string(),
            special_measures: match sm {
                Some(cell) if cell.optional().is_some() => Some(cell.boolean()?),
                _ => None,
            },
            derived: flag(&t, row, "derived")?,
            source_url: t.cell(row, t.req("source_url")).non_empty()?.to_string(),
            line: row.line,
        });
    }
    Ok(ratings)
}

fn load_totals(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<RatingTotal>, InputError> {
    let t = read_table(
        files,
        &dir.join(LATER_TOTALS),
        &Schema {
            required: &["year", "rating", "total", "source_url"],
            optional: &["derived", "note"],
            allow_empty: false,
        },
    )?;
    let mut totals = Vec::new();
    for row in &t.rows {
        let rating = t.cell(row, t.req("rating"));
        let parts: Vec<&str> = rating.non_empty()?.split('+').collect();
        let ok = rating.text() == "all"
            || parts.iter().all(|r| RATINGS.contains(r))
                && parts
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
                    == parts.len();
        if !ok {
            return Err(rating.error(format!(
                "expected all, one of {} or several joined by + (outstanding+good); found {:?}",
                RATINGS.join(" | "),
                rating.text()
            )));
        }
        totals.push(RatingTotal {
            year: t.cell(row, t.req("year")).non_empty()?.to_string(),
            rating: rating.text().to_string(),
            total: t.cell(row, t.req("total")).count()? as u32,
            derived: flag(&t, row, "derived")?,
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
            line: row.line,
        });
    }
    Ok(totals)
}

fn load_mergers(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Merger>, InputError> {
    let t = read_table(
        files,
        &dir.join(MERGERS),
        &Schema {
            required: &[
                "effective",
                "merged_ccg_name",
                "ods_codes_2013",
                "source_url",
            ],
            optional: &["merged_ods_code", "note"],
            allow_empty: true,
        },
    )?;
    let mut mergers = Vec::new();
    for row in &t.rows {
        mergers.push(Merger {
            effective: t.cell(row, t.req("effective")).non_empty()?.to_string(),
            merged_name: t
                .cell(row, t.req("merged_ccg_name"))
                .non_empty()?
                .to_string(),
            ods_codes: codes(t.cell(row, t.req("ods_codes_2013")).non_empty()?),
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
        });
    }
    Ok(mergers)
}

fn load_groups(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<GroupStatement>, InputError> {
    let t = read_table(
        files,
        &dir.join(LATER_GROUPS),
        &Schema {
            required: &[
                "year",
                "rating",
                "group",
                "ods_codes",
                "count",
                "relation",
                "source_url",
                "quote",
            ],
            optional: &["derived", "note"],
            allow_empty: true,
        },
    )?;
    let mut groups = Vec::new();
    for row in &t.rows {
        groups.push(GroupStatement {
            year: t.cell(row, t.req("year")).non_empty()?.to_string(),
            rating: t.cell(row, t.req("rating")).word(&RATING)?.to_string(),
            group: t.cell(row, t.req("group")).non_empty()?.to_string(),
            ods_codes: codes(t.cell(row, t.req("ods_codes")).text()),
            count: t.cell(row, t.req("count")).count()? as u32,
            relation: match t.cell(row, t.req("relation")).code(&RELATION)? {
                0 => Relation::Exactly,
                1 => Relation::AtLeast,
                _ => Relation::AtMost,
            },
            derived: flag(&t, row, "derived")?,
            source_url: t.cell(row, t.req("source_url")).non_empty()?.to_string(),
            line: row.line,
        });
    }
    Ok(groups)
}
