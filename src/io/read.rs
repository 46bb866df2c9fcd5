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
//! The CSV files are read by polars and validated with expressions (the fast path). When
//! anything is off, the strict reader of `table.rs` reads the file again and names the file,
//! line and column of the first problem (the precise path).

use crate::error::InputError;
pub use crate::io::files::{read_hashed, sha256_hex, InputFile, CCGS_FILE, WEIGHTS_FILE};
use crate::io::table::{self, Schema, Table};
use crate::io::{decode, workbook};
use crate::model::counts::{per_ccg, LEVEL_COLUMNS};
use crate::model::weights::Weights;
use crate::model::{
    self, parse_support_level, Ccg, CcgOutcome, Condition, Evidence, Provenance, CSU_BASES, REGIONS,
};
use polars::prelude::*;
use polars_io::csv::read::CsvReadOptions;
use polars_io::SerReader;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

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

pub const CONDITIONS_FILE: &str = "conditions.csv";
pub const OUTCOMES_FILE: &str = "ccg_outcomes.csv";
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

/// The fast path: CSV text into an all-String frame named by the schema-checked header, or
/// None when the text is not plain (not UTF-8, a row with the wrong number of fields, a field
/// padded with whitespace, no data rows, or anything polars refuses). Header problems are
/// reported at once.
fn fast_frame(
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

/// A column that must hold one of `allowed` exactly: null where it does not.
fn one_of(value: Expr, allowed: &[&str]) -> Expr {
    allowed
        .iter()
        .fold(lit(false), |acc, a| acc.or(value.clone().eq(lit(*a))))
}

/// A value mapped through (spellings, code) pairs: null when no spelling matches.
fn mapped(value: Expr, table: &[(&[&str], i32)]) -> Expr {
    table
        .iter()
        .fold(lit(NULL).cast(DataType::Int32), |acc, (spellings, code)| {
            when(one_of(value.clone(), spellings))
                .then(lit(*code))
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

/// `ccgs.csv` into the CCG frame.
fn read_ccgs(path: &Path, bytes: &[u8]) -> Result<DataFrame, InputError> {
    read_ccgs_from(path, bytes, FAST_PATH_MIN_BYTES)
}

/// `read_ccgs`, taking the fast path for files of at least `min_bytes`.
fn read_ccgs_from(path: &Path, bytes: &[u8], min_bytes: usize) -> Result<DataFrame, InputError> {
    let strict = || -> Result<DataFrame, InputError> {
        let ccgs = parse_ccgs(&table::parse(path, bytes, &CCG_SCHEMA)?)?;
        model::ccgs_frame(&ccgs).map_err(|e| internal(path, e))
    };
    let Some(raw) = fast_frame(path, bytes, &CCG_SCHEMA, min_bytes)? else {
        return strict();
    };
    match typed_ccgs(&raw) {
        Ok(Some(frame)) => Ok(frame),
        _ => strict(),
    }
}

fn region_index(region: Expr) -> Expr {
    let spellings: Vec<[&str; 1]> = REGIONS.iter().map(|r| [*r]).collect();
    let table: Vec<(&[&str], i32)> = spellings
        .iter()
        .enumerate()
        .map(|(i, s)| (&s[..], i as i32))
        .collect();
    mapped(region, &table).cast(DataType::UInt32)
}

/// The CCG frame with types, when every row is valid (None: let the strict reader explain).
fn typed_ccgs(raw: &DataFrame) -> PolarsResult<Option<DataFrame>> {
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
            region_index(col("region")).alias("region_index"),
            col("csu").alias("csu"),
            basis.clone().alias("csu_basis"),
            one_of(basis.clone(), &["named", "area"]).alias("csu_confirmed"),
            team.alias("area_team"),
            col("population")
                .cast(DataType::UInt64)
                .cast(DataType::Float64)
                .alias("population"),
            col("imd_score").cast(DataType::Float64).alias("imd_score"),
            wave.clone().cast(DataType::Int32).alias("wave"),
            one_of(basis, &CSU_BASES).alias("basis_ok"),
            wave.clone()
                .is_null()
                .or(one_of(wave, &["1", "2", "3", "4"]))
                .alias("wave_ok"),
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
        .and(col("wave_ok"))
        .and(col("ods_code").n_unique().eq(len()));
    if !all_rows(&typed, valid)? {
        return Ok(None);
    }
    Ok(Some(typed.drop_many(["basis_ok", "wave_ok"])))
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
    let strict = || -> Result<(DataFrame, DataFrame), InputError> {
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
    };
    let Some(raw) = fast_frame(path, bytes, &CONDITION_SCHEMA, min_bytes)? else {
        return strict();
    };
    match typed_conditions(&raw, ccgs) {
        Ok(Some(pair)) => Ok(pair),
        _ => strict(),
    }
}

/// Support levels as printed: digits or Roman numerals (any case, as `parse_support_level`).
const LEVEL_SPELLINGS: [(&[&str], i32); 6] = [
    (&["1", "I", "i"], 1),
    (&["2", "II", "ii", "Ii", "iI"], 2),
    (&["3", "III", "iii"], 3),
    (&["4", "IV", "iv", "Iv", "iV"], 4),
    (&["5", "V", "v"], 5),
    (&["6", "VI", "vi", "Vi", "vI"], 6),
];
const BOOLEAN_SPELLINGS: [(&[&str], i32); 2] = [
    (&["true", "TRUE", "True", "yes", "YES", "Yes", "1"], 1),
    (&["false", "FALSE", "False", "no", "NO", "No", "0"], 0),
];

/// The condition frame with types and its per-CCG counts, when every row is valid and every
/// code a CCG (None: let the strict reader explain).
fn typed_conditions(
    raw: &DataFrame,
    ccgs: &DataFrame,
) -> PolarsResult<Option<(DataFrame, DataFrame)>> {
    // Levels as digits and booleans as true/false are the usual spellings: a plain cast and
    // two comparisons. Only a file with other spellings pays for mapping every one.
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

/// The typed condition columns, when every row is valid: with `every_spelling`, Roman
/// numerals and yes/no as well as digits and true/false.
fn typed_condition_columns(
    raw: &DataFrame,
    every_spelling: bool,
) -> PolarsResult<Option<DataFrame>> {
    let provenance = if raw.column("provenance").is_ok() {
        col("provenance")
    } else {
        lit("published")
    };
    let (level, direction) = if every_spelling {
        (
            mapped(col("support_level"), &LEVEL_SPELLINGS),
            mapped(col("legal_direction"), &BOOLEAN_SPELLINGS).cast(DataType::Boolean),
        )
    } else {
        let digits = col("support_level").cast(DataType::Int32);
        let d = col("legal_direction");
        (
            when(
                digits
                    .clone()
                    .gt_eq(lit(1))
                    .and(digits.clone().lt_eq(lit(6))),
            )
            .then(digits)
            .otherwise(lit(NULL).cast(DataType::Int32)),
            when(d.clone().eq(lit("true")))
                .then(lit(true))
                .when(d.eq(lit("false")))
                .then(lit(false))
                .otherwise(lit(NULL).cast(DataType::Boolean)),
        )
    };
    let typed = raw
        .clone()
        .lazy()
        .select([
            col("ods_code").alias("ods_code"),
            col("criterion").fill_null(lit("")).alias("criterion"),
            level.alias("support_level"),
            direction.alias("legal_direction"),
            provenance
                .clone()
                .eq(lit("reconstructed"))
                .alias("reconstructed"),
            one_of(provenance, &["published", "reconstructed"]).alias("provenance_ok"),
        ])
        .collect()?;
    let valid = present(col("ods_code"))
        .and(col("support_level").is_not_null())
        .and(col("legal_direction").is_not_null())
        .and(col("provenance_ok"));
    Ok(all_rows(&typed, valid)?.then(|| typed.drop_many(["provenance_ok"])))
}

fn internal(path: &Path, e: PolarsError) -> InputError {
    InputError::file(path, format!("internal error while reading: {e}"))
}

// The precise path: the strict reader, row by row, with located errors.

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
            Some(b) => t.cell(row, b).one_of(&CSU_BASES)?.to_string(),
            None => "unknown".to_string(),
        };
        let wave = match wave.map(|w| t.cell(row, w)) {
            Some(cell) if !cell.text().is_empty() => {
                Some(cell.one_of(&["1", "2", "3", "4"])?.parse().unwrap())
            }
            _ => None,
        };
        out.push(Ccg {
            ods_code: code,
            name: t.cell(row, name).non_empty()?.to_string(),
            region: t.cell(row, region).one_of(&REGIONS)?.to_string(),
            csu: t.cell(row, csu).non_empty()?.to_string(),
            csu_basis,
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
        let level_cell = t.cell(row, level);
        let support_level = parse_support_level(level_cell.text()).ok_or_else(|| {
            level_cell.error(format!(
                "expected a support level 1 to 6 (or I to VI), found {:?}",
                level_cell.text()
            ))
        })?;
        let provenance = match prov {
            Some(p) => match t.cell(row, p).one_of(&["published", "reconstructed"])? {
                "published" => Provenance::Published,
                _ => Provenance::Reconstructed,
            },
            None => Provenance::Published,
        };
        out.push(Condition {
            ods_code: code.to_string(),
            criterion: t.cell(row, crit).text().to_string(),
            support_level,
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
        let ev_cell = t.cell(row, ev);
        out.push(CcgOutcome {
            ods_code: code.to_string(),
            wave: t
                .cell(row, wave)
                .one_of(&["1", "2", "3", "4"])?
                .parse()
                .unwrap(),
            wave_provenance: match t.cell(row, wprov).one_of(&["published", "reconstructed"])? {
                "published" => Provenance::Published,
                _ => Provenance::Reconstructed,
            },
            n_conditions,
            legal_direction,
            evidence: Evidence::parse(ev_cell.one_of(&Evidence::ALL)?).unwrap(),
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

#[cfg(test)]
mod tests {
    use super::*;

    const CCGS: &str = "ods_code,name,region,csu,csu_basis,population,imd_score,wave,note\n\
        N01,North One,North of England,C1,named,100000,30,1,a note\n\
        N02,\"North, Two\",North of England,C1,area,200000,25.5,,\n\
        L01,London One,London,C2,geography,250000,35,3,x\n";
    const CONDITIONS: &str = "ods_code,criterion,support_level,legal_direction,provenance,source\n\
        N01,1.3B,1,false,published,\"a, source\"\n\
        N01,,4,true,reconstructed,x\n\
        L01,2.2A,2,false,published,\n";

    /// Both readers on the same bytes: the fast path (from 0 bytes) and the strict one.
    fn both(
        ccgs: &str,
        conditions: &str,
    ) -> [Result<(DataFrame, DataFrame, DataFrame), InputError>; 2] {
        [0, usize::MAX].map(|min| {
            let c = read_ccgs_from(Path::new("ccgs.csv"), ccgs.as_bytes(), min)?;
            let (rows, counts) =
                read_conditions_from(Path::new("conditions.csv"), conditions.as_bytes(), &c, min)?;
            Ok((c, rows, counts))
        })
    }

    fn same(a: &DataFrame, b: &DataFrame) -> bool {
        let sort = |d: &DataFrame| {
            d.sort(
                ["ods_code"],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unwrap()
        };
        sort(a).equals_missing(&sort(b))
    }

    #[test]
    fn fast_and_strict_readers_give_the_same_frames() {
        let variants = [
            (CCGS.to_string(), CONDITIONS.to_string()),
            // Roman numerals and yes/no: the fast path's second spelling pass.
            (
                CCGS.to_string(),
                CONDITIONS
                    .replace(",1,false", ",I,no")
                    .replace(",4,true", ",iv,YES"),
            ),
            // Padding and CRLF: the fast path declines; the strict reader trims.
            (
                CCGS.replace("North One", " North One ")
                    .replace('\n', "\r\n"),
                CONDITIONS.to_string(),
            ),
        ];
        for (ccgs, conditions) in variants {
            let [fast, strict] = both(&ccgs, &conditions);
            let (fast, strict) = (fast.unwrap(), strict.unwrap());
            assert!(same(&fast.0, &strict.0), "ccgs\n{}\n{}", fast.0, strict.0);
            assert!(
                same(&fast.1, &strict.1),
                "conditions\n{}\n{}",
                fast.1,
                strict.1
            );
            assert!(same(&fast.2, &strict.2), "counts\n{}\n{}", fast.2, strict.2);
        }
        // The plain files and the Roman spellings really take the fast path.
        let c = read_ccgs_from(Path::new("ccgs.csv"), CCGS.as_bytes(), 0).unwrap();
        let raw = fast_frame(Path::new("ccgs.csv"), CCGS.as_bytes(), &CCG_SCHEMA, 0).unwrap();
        assert!(typed_ccgs(&raw.unwrap()).unwrap().is_some());
        let roman = CONDITIONS.replace(",1,false", ",I,no");
        let raw = fast_frame(Path::new("c.csv"), roman.as_bytes(), &CONDITION_SCHEMA, 0).unwrap();
        assert!(typed_conditions(&raw.unwrap(), &c).unwrap().is_some());
        let [fast, _] = both(CCGS, CONDITIONS);
        let (c, _, counts) = fast.unwrap();
        assert_eq!(
            crate::columns::strings(&c, "name").unwrap()[1],
            "North, Two"
        );
        assert_eq!(c.column("wave").unwrap().i32().unwrap().get(1), None);
        // N01: one level-I and one level-IV directed condition; L01 one level-II.
        let n01 = counts
            .clone()
            .lazy()
            .filter(col("ods_code").eq(lit("N01")))
            .collect()
            .unwrap();
        let get = |c: &str| n01.column(c).unwrap().u32().unwrap().get(0).unwrap();
        assert_eq!(
            [
                get("level_1"),
                get("level_4"),
                get("n_directions"),
                get("n_reconstructed")
            ],
            [1, 1, 1, 1]
        );
    }

    #[test]
    fn the_fast_path_hands_bad_rows_to_the_strict_reader_for_a_located_error() {
        let cases = [
            (
                CONDITIONS.replace("L01,2.2A,2", "X99,2.2A,2"),
                4,
                "unknown CCG \"X99\"",
            ),
            (CONDITIONS.replace(",4,true", ",7,true"), 3, "support level"),
            (
                CONDITIONS.replace(",4,true", ",4,maybe"),
                3,
                "true or false",
            ),
            (
                CONDITIONS.replace("N01,,4", "N01,,4,true"),
                3,
                "expected 6 fields",
            ),
        ];
        for (conditions, line, message) in cases {
            let [fast, strict] = both(CCGS, &conditions);
            let (fast, strict) = (fast.unwrap_err(), strict.unwrap_err());
            assert_eq!(fast, strict);
            assert_eq!(fast.line, Some(line), "{fast}");
            assert!(fast.message.contains(message), "{fast}");
        }
        let bad_ccgs = CCGS.replace("200000", "lots");
        let [fast, _] = both(&bad_ccgs, CONDITIONS);
        let e = fast.unwrap_err();
        assert_eq!(
            (e.line, e.column.clone().map(|c| c.0)),
            (Some(3), Some(6)),
            "{e}"
        );
    }
}
