//! The published record (`data/published/`): per-CCG facts, aggregates, and the machine-readable
//! distillations that `reconstruct` and `check-data` use. Nothing here is reconstructed.

use crate::error::InputError;
use crate::io::files::InputFile;
use crate::io::table::{self, Schema};
use crate::model::parse_support_level;
pub use crate::model::published::*;
use std::path::{Path, PathBuf};

/// Which of the optional published files a folder holds: `load` reads by it, and `list` names
/// every file `load` reads, in its order (for `io::read::InputPaths`).
pub struct Files {
    pub later: bool,
    pub later_groups: bool,
    pub csu_evidence: bool,
}

impl Files {
    pub fn of(dir: &Path) -> Files {
        let later = dir.join(LATER_RATINGS).exists();
        Files {
            later,
            later_groups: later && dir.join(LATER_GROUPS).exists(),
            csu_evidence: dir.join(CSU_EVIDENCE).exists(),
        }
    }

    pub fn list(&self, dir: &Path) -> Vec<PathBuf> {
        let later: &[&str] = match (self.later, self.later_groups) {
            (false, _) => &[],
            (true, false) => &[LATER_RATINGS, LATER_TOTALS, MERGERS],
            (true, true) => &[LATER_RATINGS, LATER_TOTALS, MERGERS, LATER_GROUPS],
        };
        let evidence: &[&str] = if self.csu_evidence {
            &[CSU_EVIDENCE]
        } else {
            &[]
        };
        REQUIRED
            .iter()
            .chain(later)
            .chain(evidence)
            .map(|name| dir.join(name))
            .collect()
    }
}

impl Published {
    /// Load `DATA_DIR/published/` if it exists (a user's own official tables may come without it).
    pub fn load_if_present(data_dir: &Path) -> Result<Option<Published>, InputError> {
        let dir = data_dir.join(DIR);
        if !dir.is_dir() {
            return Ok(None);
        }
        Published::load(&dir).map(Some)
    }

    pub fn load(dir: &Path) -> Result<Published, InputError> {
        let which = Files::of(dir);
        let mut files = Vec::new();
        let aggregates = load_aggregates(dir, &mut files)?;
        let outcomes = load_outcomes(dir, &mut files)?;
        let itemised = load_itemised(dir, &mut files)?;
        let facts = load_facts(dir, &mut files)?;
        let later = if which.later {
            load_later(dir, which.later_groups, &mut files)?
        } else {
            LaterRecord::default()
        };
        let csu_evidence_sources = if which.csu_evidence {
            load_csu_evidence(dir, &mut files)?
        } else {
            vec![]
        };
        Ok(Published {
            dir: dir.to_path_buf(),
            aggregates,
            outcomes,
            itemised,
            facts,
            later,
            csu_evidence_sources,
            files,
        })
    }
}

fn read_table(
    files: &mut Vec<InputFile>,
    path: &Path,
    schema: &Schema,
) -> Result<table::Table, InputError> {
    crate::io::files::read_hashed(path, files, |p, bytes| table::parse(p, bytes, schema))
}

fn load_aggregates(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Aggregate>, InputError> {
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

fn load_outcomes(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Outcome>, InputError> {
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
            top_level: match level.optional() {
                Some(v) => Some(
                    parse_support_level(v)
                        .ok_or_else(|| level.error("expected a support level 1 to 6"))?,
                ),
                None => None,
            },
            level_iv_or_higher: match t.cell(row, t.req("level_iv_or_higher")).optional() {
                Some(_) => Some(t.cell(row, t.req("level_iv_or_higher")).count()? as u32),
                None => None,
            },
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
        });
    }
    Ok(outcomes)
}

fn load_itemised(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Itemised>, InputError> {
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
            support_level: match level.optional() {
                Some(v) => Some(
                    parse_support_level(v)
                        .ok_or_else(|| level.error("expected a support level 1 to 6"))?,
                ),
                None => None,
            },
            legal_direction: t.cell(row, t.req("legal_direction")).boolean()?,
            source_url: t.cell(row, t.req("source_url")).text().to_string(),
        });
    }
    Ok(itemised)
}

fn load_facts(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<Fact>, InputError> {
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
fn load_csu_evidence(dir: &Path, files: &mut Vec<InputFile>) -> Result<Vec<String>, InputError> {
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

fn codes(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn load_later(
    dir: &Path,
    groups_file: bool,
    files: &mut Vec<InputFile>,
) -> Result<LaterRecord, InputError> {
    let t = read_table(
        files,
        &dir.join(LATER_RATINGS),
        &Schema {
            required: &["year", "ccg_name", "ods_codes", "rating", "source_url"],
            optional: &["special_measures", "derived", "note"],
            allow_empty: false,
        },
    )?;
    let flag = |t: &table::Table, row: &table::Row, name: &str| -> Result<bool, InputError> {
        match t.col(name).map(|c| t.cell(row, c)) {
            Some(cell) if cell.optional().is_some() => cell.boolean(),
            _ => Ok(false),
        }
    };
    let mut ratings = Vec::new();
    for row in &t.rows {
        let sm = t.col("special_measures").map(|c| t.cell(row, c));
        ratings.push(LaterRating {
            year: t.cell(row, t.req("year")).non_empty()?.to_string(),
            ccg_name: t.cell(row, t.req("ccg_name")).non_empty()?.to_string(),
            ods_codes: codes(t.cell(row, t.req("ods_codes")).non_empty()?),
            rating: t.cell(row, t.req("rating")).one_of(&RATINGS)?.to_string(),
            special_measures: match sm {
                Some(cell) if cell.optional().is_some() => Some(cell.boolean()?),
                _ => None,
            },
            derived: flag(&t, row, "derived")?,
            source_url: t.cell(row, t.req("source_url")).non_empty()?.to_string(),
            line: row.line,
        });
    }
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
    let mut groups = Vec::new();
    if groups_file {
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
        for row in &t.rows {
            groups.push(GroupStatement {
                year: t.cell(row, t.req("year")).non_empty()?.to_string(),
                rating: t.cell(row, t.req("rating")).one_of(&RATINGS)?.to_string(),
                group: t.cell(row, t.req("group")).non_empty()?.to_string(),
                ods_codes: codes(t.cell(row, t.req("ods_codes")).text()),
                count: t.cell(row, t.req("count")).count()? as u32,
                relation: match t
                    .cell(row, t.req("relation"))
                    .one_of(&["exactly", "at_least", "at_most"])?
                {
                    "exactly" => Relation::Exactly,
                    "at_least" => Relation::AtLeast,
                    _ => Relation::AtMost,
                },
                derived: flag(&t, row, "derived")?,
                source_url: t.cell(row, t.req("source_url")).non_empty()?.to_string(),
                line: row.line,
            });
        }
    }
    Ok(LaterRecord {
        ratings,
        totals,
        mergers,
        groups,
    })
}
