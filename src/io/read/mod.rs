//! Stage 1: read and validate the inputs (the edge where input I/O happens).
//!
//! Files in the data directory:
//! - `ccgs.csv` (required): one row per CCG;
//! - `conditions.csv` (required): one row per condition, in the official outcome format, and
//!   optionally `ccg_outcomes.csv` (per-CCG wave and evidence class). Both are read from the data
//!   directory itself when it holds a `conditions.csv` (official tables a user supplies), and
//!   otherwise from its `reconstructed/` folder (the shipped reconstruction);
//! - `weights.toml` (required unless `--weights` is given).
//!
//! This module finds the files (`InputPaths`), reads each in whatever form the analyst saved it
//! (`decode`, `workbook`) and puts `Inputs` together. Two readers share the work, both holding
//! every column to the one table of `io::rules`: `fast` (polars, validation with expressions)
//! reads large CSV files, and when anything is off, or the file is small, `strict` reads it row
//! by row and names the file, line and column of the first problem. `ccg_outcomes.csv` is read
//! by the strict reader only.

mod fast;
mod strict;
#[cfg(test)]
mod tests;

use crate::error::InputError;
pub use crate::io::files::{
    read_hashed, sha256_hex, InputFile, CCGS_FILE, CONDITIONS_FILE, OUTCOMES_FILE, WEIGHTS_FILE,
};
use crate::io::table::{self, Schema};
use crate::io::{decode, workbook};
use crate::model::weights::Weights;
use crate::model::{self, Ccg, CcgOutcome};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
pub use strict::{parse_ccgs, parse_outcomes};

/// Everything `analyse` reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// One row per CCG: ods_code, name, region, region_index, csu, csu_basis, csu_confirmed,
    /// population, imd_score, wave (see `model::ccgs_frame`).
    pub ccgs: DataFrame,
    /// One row per condition: ods_code, criterion, support_level, legal_direction, reconstructed.
    pub conditions: DataFrame,
    /// The conditions counted per CCG (`stages::counts::per_ccg`), computed once at ingest,
    /// where it also shows whether every condition belongs to a CCG.
    pub condition_counts: DataFrame,
    pub outcomes: Option<Vec<CcgOutcome>>,
    pub weights: Weights,
    pub files: Vec<InputFile>,
    /// What was read in another form than UTF-8 CSV (encoding, workbook sheet), for stderr.
    pub notes: Vec<String>,
    /// Area team names by code, from the optional `area_teams.csv`.
    pub area_team_names: HashMap<String, String>,
    /// The recorded calibration run, from the optional `calibration.json`.
    pub calibration: Option<crate::io::calibration::CalibrationRecord>,
}

impl Inputs {
    /// Each CCG's evidence class from ccg_outcomes.csv, when present.
    pub fn evidence(&self) -> PolarsResult<Option<DataFrame>> {
        self.outcomes
            .as_ref()
            .map(|o| model::evidence_frame(o.iter().map(|o| (o.ods_code.as_str(), o.evidence))))
            .transpose()
    }
}

/// Optional: names of the NHS CB's area teams, by code.
pub const AREA_TEAMS_FILE: &str = "area_teams.csv";

/// `area_teams.csv`: area_team → area_team_name.
fn read_area_teams(path: &Path, bytes: &[u8]) -> Result<HashMap<String, String>, InputError> {
    let schema = Schema {
        required: &["area_team", "area_team_name"],
        optional: &["region", "n_ccgs", "source"],
        allow_empty: false,
    };
    let t = table::parse(path, bytes, &schema)?;
    let (code, name) = (t.req("area_team"), t.req("area_team_name"));
    t.rows
        .iter()
        .map(|row| {
            Ok((
                t.cell(row, code).non_empty()?.to_string(),
                t.cell(row, name).non_empty()?.to_string(),
            ))
        })
        .collect()
}
/// Where the shipped reconstruction lives inside the data directory.
pub const RECONSTRUCTED_DIR: &str = "reconstructed";

pub const CCG_SCHEMA: Schema = Schema {
    required: &[
        "ods_code",
        "name",
        "region",
        "csu",
        "population",
        "imd_score",
    ],
    optional: &["csu_basis", "wave", "area_team"],
    allow_empty: false,
};

const CONDITION_SCHEMA: Schema = Schema {
    required: &["ods_code", "criterion", "support_level", "legal_direction"],
    // The official tables carry no provenance: absent means published.
    optional: &["provenance", "source"],
    allow_empty: true,
};

pub use crate::model::OUTCOME_COLUMNS;

const OUTCOME_SCHEMA: Schema = Schema {
    required: OUTCOME_COLUMNS.split_at(7).0,
    optional: OUTCOME_COLUMNS.split_at(7).1,
    allow_empty: false,
};

/// The folder holding `conditions.csv` and `ccg_outcomes.csv`: the data directory when it has
/// its own `conditions.csv`, else its `reconstructed/` folder.
pub fn conditions_dir(data_dir: &Path) -> PathBuf {
    let reconstructed = data_dir.join(RECONSTRUCTED_DIR);
    let own = table_file(data_dir, CONDITIONS_FILE).exists();
    if !own && reconstructed.join(CONDITIONS_FILE).exists() {
        reconstructed
    } else {
        data_dir.to_path_buf()
    }
}

/// `dir/name` (a `.csv`), or the Excel workbook of the same name (`.xlsx`) when only that exists.
pub fn table_file(dir: &Path, name: &str) -> PathBuf {
    let csv = dir.join(name);
    let xlsx = csv.with_extension("xlsx");
    if !csv.exists() && xlsx.exists() {
        xlsx
    } else {
        csv
    }
}

/// A table file's bytes as UTF-8 CSV text for `read`, whatever form the analyst saved it in:
/// an Excel workbook (its sheet as CSV; errors then located by sheet, row and column), or CSV
/// in UTF-8, UTF-16 or Windows-1252 (`decode`). Notes say what was read when it was not plain
/// UTF-8 CSV.
fn read_table_file<T>(
    path: &Path,
    bytes: &[u8],
    notes: &mut Vec<String>,
    read: impl FnOnce(&Path, &[u8]) -> Result<T, InputError>,
) -> Result<T, InputError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        let (text, sheet) = workbook::to_csv(path, bytes, &stem)?;
        notes.push(format!("{}: read sheet '{}'", path.display(), sheet.name));
        return read(path, text.as_bytes()).map_err(|e| sheet.locate(e));
    }
    let (text, note) = decode::to_utf8(path, bytes)?;
    notes.extend(note);
    read(path, &text)
}

/// ccgs.csv (or ccgs.xlsx; CSV in any encoding `decode` reads) as records, for `reconstruct`,
/// which runs before there are conditions to load; the notes say how it was read.
pub fn load_ccg_records(data_dir: &Path) -> Result<(Vec<Ccg>, Vec<String>), InputError> {
    let (mut files, mut notes) = (Vec::new(), Vec::new());
    let ccgs = read_hashed(
        &table_file(data_dir, CCGS_FILE),
        &mut files,
        |path, bytes| {
            read_table_file(path, bytes, &mut notes, |path, text| {
                parse_ccgs(&table::parse(path, text, &CCG_SCHEMA)?)
            })
        },
    )?;
    Ok((ccgs, notes))
}

/// Where each input of `analyse` is, for a data directory and weights: the one list of files
/// both `load` (with `Published::load`) reads and `rerun` checks for changes.
#[derive(Debug, Clone, PartialEq)]
pub struct InputPaths {
    pub ccgs: PathBuf,
    pub conditions: PathBuf,
    pub outcomes: Option<PathBuf>,
    pub weights: PathBuf,
    pub area_teams: Option<PathBuf>,
    pub calibration: Option<PathBuf>,
    /// `DATA_DIR/published/`'s files, when that folder exists.
    pub published: Option<Vec<PathBuf>>,
}

impl InputPaths {
    /// The files `analyse` would read now. `weights` overrides `DIR/weights.toml`.
    pub fn of(data_dir: &Path, weights: Option<&Path>) -> InputPaths {
        let dir = conditions_dir(data_dir);
        let optional = |p: PathBuf| p.exists().then_some(p);
        let published = data_dir.join(crate::io::published::DIR);
        InputPaths {
            ccgs: table_file(data_dir, CCGS_FILE),
            conditions: table_file(&dir, CONDITIONS_FILE),
            outcomes: optional(dir.join(OUTCOMES_FILE)),
            weights: weights
                .map(Path::to_path_buf)
                .unwrap_or_else(|| data_dir.join(WEIGHTS_FILE)),
            area_teams: optional(data_dir.join(AREA_TEAMS_FILE)),
            calibration: optional(data_dir.join(crate::io::calibration::FILE)),
            published: published
                .is_dir()
                .then(|| crate::io::published::Files::of(&published).list(&published)),
        }
    }

    /// Every file, in the order `analyse` reads them (the order of `inputs.sha256`).
    pub fn list(&self) -> Vec<PathBuf> {
        [
            Some(&self.ccgs),
            Some(&self.conditions),
            self.outcomes.as_ref(),
        ]
        .into_iter()
        .chain([
            Some(&self.weights),
            self.area_teams.as_ref(),
            self.calibration.as_ref(),
        ])
        .flatten()
        .chain(self.published.iter().flatten())
        .cloned()
        .collect()
    }
}

/// Read all inputs from a data directory. `weights` overrides `DIR/weights.toml`.
pub fn load(data_dir: &Path, weights: Option<&Path>) -> Result<Inputs, InputError> {
    if !data_dir.is_dir() {
        return Err(InputError::file(data_dir, "data directory not found"));
    }
    let paths = InputPaths::of(data_dir, weights);
    let (mut files, mut notes) = (Vec::new(), Vec::new());
    let ccgs = read_hashed(&paths.ccgs, &mut files, |path, bytes| {
        read_table_file(path, bytes, &mut notes, read_ccgs)
    })?;
    let (conditions, condition_counts) =
        read_hashed(&paths.conditions, &mut files, |path, bytes| {
            read_table_file(path, bytes, &mut notes, |path, text| {
                read_conditions(path, text, &ccgs)
            })
        })?;
    let outcomes = match &paths.outcomes {
        Some(path) => {
            let table = read_hashed(path, &mut files, |path, bytes| {
                read_table_file(path, bytes, &mut notes, |path, text| {
                    table::parse(path, text, &OUTCOME_SCHEMA)
                })
            })?;
            Some(parse_outcomes(&table, &ccgs, &condition_counts)?)
        }
        None => None,
    };
    let weights = read_hashed(&paths.weights, &mut files, Weights::parse_bytes)?;
    let area_team_names = match &paths.area_teams {
        Some(path) => read_hashed(path, &mut files, |path, bytes| {
            read_table_file(path, bytes, &mut notes, read_area_teams)
        })?,
        None => HashMap::new(),
    };
    let calibration = match &paths.calibration {
        Some(path) => Some(read_hashed(
            path,
            &mut files,
            crate::io::calibration::parse,
        )?),
        None => None,
    };
    Ok(Inputs {
        ccgs,
        conditions,
        condition_counts,
        outcomes,
        weights,
        files,
        notes,
        area_team_names,
        calibration,
    })
}

/// Files smaller than this go straight to the strict reader: polars' fixed cost of a read
/// (about 10 ms per file here) is more than the strict reader needs for them. The default data
/// (about 120 kB per file) is read this way; polars carries the volume.
const FAST_PATH_MIN_BYTES: usize = 1 << 20;

/// `ccgs.csv` into the CCG frame.
fn read_ccgs(path: &Path, bytes: &[u8]) -> Result<DataFrame, InputError> {
    read_ccgs_from(path, bytes, FAST_PATH_MIN_BYTES)
}

/// `read_ccgs`, taking the fast path for files of at least `min_bytes`.
fn read_ccgs_from(path: &Path, bytes: &[u8], min_bytes: usize) -> Result<DataFrame, InputError> {
    let Some(raw) = fast::frame(path, bytes, &CCG_SCHEMA, min_bytes)? else {
        return strict::ccgs(path, bytes);
    };
    match fast::typed_ccgs(&raw) {
        Ok(Some(frame)) => Ok(frame),
        _ => strict::ccgs(path, bytes),
    }
}

/// `conditions.csv` into the condition frame and its per-CCG counts; every ods_code must be a
/// CCG of `ccgs`.
fn read_conditions(
    path: &Path,
    bytes: &[u8],
    ccgs: &DataFrame,
) -> Result<(DataFrame, DataFrame), InputError> {
    read_conditions_from(path, bytes, ccgs, FAST_PATH_MIN_BYTES)
}

/// `read_conditions`, taking the fast path for files of at least `min_bytes`.
fn read_conditions_from(
    path: &Path,
    bytes: &[u8],
    ccgs: &DataFrame,
    min_bytes: usize,
) -> Result<(DataFrame, DataFrame), InputError> {
    let Some(raw) = fast::frame(path, bytes, &CONDITION_SCHEMA, min_bytes)? else {
        return strict::conditions(path, bytes, ccgs);
    };
    match fast::typed_conditions(&raw, ccgs) {
        Ok(Some(pair)) => Ok(pair),
        _ => strict::conditions(path, bytes, ccgs),
    }
}

fn internal(path: &Path, e: PolarsError) -> InputError {
    InputError::file(path, format!("internal error while reading: {e}"))
}
