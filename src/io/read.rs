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
use crate::io::table::{self, Schema, Table};
use crate::io::weights::Weights;
use crate::model::{
    self, parse_support_level, Ccg, CcgOutcome, Condition, Evidence, Provenance, CSU_BASES, REGIONS,
};
use polars::prelude::*;
use polars_io::csv::read::CsvReadOptions;
use polars_io::SerReader;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One input file read, with its hash (for the rerun manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: PathBuf,
    pub sha256: String,
}

/// Everything `analyse` reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// One row per CCG: ods_code, name, region, region_index, csu, csu_basis, csu_confirmed,
    /// population, imd_score, wave (see `model::ccgs_frame`).
    pub ccgs: DataFrame,
    /// One row per condition: ods_code, criterion, support_level, legal_direction, reconstructed.
    pub conditions: DataFrame,
    pub outcomes: Option<Vec<CcgOutcome>>,
    pub weights: Weights,
    pub files: Vec<InputFile>,
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

pub const CCGS_FILE: &str = "ccgs.csv";
pub const CONDITIONS_FILE: &str = "conditions.csv";
pub const OUTCOMES_FILE: &str = "ccg_outcomes.csv";
pub const WEIGHTS_FILE: &str = "weights.toml";
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
    optional: &["csu_basis", "wave"],
    allow_empty: false,
};

const CONDITION_SCHEMA: Schema = Schema {
    required: &["ods_code", "criterion", "support_level", "legal_direction"],
    // The official tables carry no provenance: absent means published.
    optional: &["provenance", "source"],
    allow_empty: true,
};

/// The columns of `ccg_outcomes.csv`, as `reconstruct` writes them; all but `source` required.
pub const OUTCOME_COLUMNS: [&str; 8] = [
    "ods_code",
    "wave",
    "wave_provenance",
    "n_conditions",
    "legal_direction",
    "evidence",
    "method",
    "source",
];

const OUTCOME_SCHEMA: Schema = Schema {
    required: OUTCOME_COLUMNS.split_at(7).0,
    optional: OUTCOME_COLUMNS.split_at(7).1,
    allow_empty: false,
};

/// The folder holding `conditions.csv` and `ccg_outcomes.csv`: the data directory when it has
/// its own `conditions.csv`, else its `reconstructed/` folder.
pub fn conditions_dir(data_dir: &Path) -> PathBuf {
    let reconstructed = data_dir.join(RECONSTRUCTED_DIR);
    if !data_dir.join(CONDITIONS_FILE).exists() && reconstructed.join(CONDITIONS_FILE).exists() {
        reconstructed
    } else {
        data_dir.to_path_buf()
    }
}

/// Read all inputs from a data directory. `weights` overrides `DIR/weights.toml`.
pub fn load(data_dir: &Path, weights: Option<&Path>) -> Result<Inputs, InputError> {
    if !data_dir.is_dir() {
        return Err(InputError::file(data_dir, "data directory not found"));
    }
    let mut files = Vec::new();
    let ccgs = read_hashed(&data_dir.join(CCGS_FILE), &mut files, read_ccgs)?;
    let dir = conditions_dir(data_dir);
    let conditions = read_hashed(&dir.join(CONDITIONS_FILE), &mut files, |path, bytes| {
        read_conditions(path, bytes, &ccgs)
    })?;
    let outcomes = if dir.join(OUTCOMES_FILE).exists() {
        let table = read_hashed(&dir.join(OUTCOMES_FILE), &mut files, |path, bytes| {
            table::parse(path, bytes, &OUTCOME_SCHEMA)
        })?;
        Some(parse_outcomes(&table, &ccgs, &conditions)?)
    } else {
        None
    };
    let weights_path = weights
        .map(Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join(WEIGHTS_FILE));
    let weights = read_hashed(&weights_path, &mut files, Weights::parse_bytes)?;
    Ok(Inputs {
        ccgs,
        conditions,
        outcomes,
        weights,
        files,
    })
}

/// Read a file and parse it with `parse`, recording its SHA-256 (computed on the second core
/// while this one parses: with large inputs both take a while).
pub(crate) fn read_hashed<T>(
    path: &Path,
    files: &mut Vec<InputFile>,
    parse: impl FnOnce(&Path, &[u8]) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::file(path, "file not found"),
        _ => InputError::file(path, format!("cannot read file: {e}")),
    })?;
    let (sha256, parsed) = std::thread::scope(|s| {
        let hash = s.spawn(|| sha256_hex(&bytes));
        let parsed = parse(path, &bytes);
        (hash.join().expect("hashing thread"), parsed)
    });
    files.push(InputFile {
        path: path.to_path_buf(),
        sha256,
    });
    parsed
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fast path: CSV text into an all-String frame named by the schema-checked header, or
/// None when the text is not plain (not UTF-8, a row with the wrong number of fields, a field
/// padded with whitespace, no data rows, or anything polars refuses). Header problems are
/// reported at once.
fn fast_frame(path: &Path, bytes: &[u8], schema: &Schema) -> Result<Option<DataFrame>, InputError> {
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
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(columns)))
        .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes()))
        .finish();
    Ok(frame.ok())
}

/// A text column as read (fields padded with whitespace never reach the fast path: see
/// `table::is_plain_csv`); an empty field reads as null.
fn text(name: &str) -> Expr {
    col(name)
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
    let strict = || -> Result<DataFrame, InputError> {
        let ccgs = parse_ccgs(&table::parse(path, bytes, &CCG_SCHEMA)?)?;
        model::ccgs_frame(&ccgs).map_err(|e| internal(path, e))
    };
    let Some(raw) = fast_frame(path, bytes, &CCG_SCHEMA)? else {
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
        text("csu_basis")
    } else {
        lit("unknown")
    };
    let wave = if has("wave") {
        text("wave")
    } else {
        lit(NULL).cast(DataType::String)
    };
    let typed = raw
        .clone()
        .lazy()
        .select([
            text("ods_code").alias("ods_code"),
            text("name").alias("name"),
            text("region").alias("region"),
            region_index(text("region")).alias("region_index"),
            text("csu").alias("csu"),
            basis.clone().alias("csu_basis"),
            one_of(basis.clone(), &["named", "area"]).alias("csu_confirmed"),
            text("population")
                .cast(DataType::UInt64)
                .cast(DataType::Float64)
                .alias("population"),
            text("imd_score").cast(DataType::Float64).alias("imd_score"),
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

/// `conditions.csv` into the condition frame; every ods_code must be a CCG of `ccgs`.
fn read_conditions(path: &Path, bytes: &[u8], ccgs: &DataFrame) -> Result<DataFrame, InputError> {
    let strict = || -> Result<DataFrame, InputError> {
        let codes = ccgs
            .column("ods_code")
            .map_err(|e| internal(path, e))?
            .str()
            .map_err(|e| internal(path, e))?;
        let known: HashSet<&str> = codes.iter().flatten().collect();
        let rows = parse_conditions(path, bytes, &known)?;
        model::conditions_frame(&rows).map_err(|e| internal(path, e))
    };
    let Some(raw) = fast_frame(path, bytes, &CONDITION_SCHEMA)? else {
        return strict();
    };
    match typed_conditions(&raw, ccgs) {
        Ok(Some(frame)) => Ok(frame),
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

/// The condition frame with types, when every row is valid (None: let the strict reader explain).
fn typed_conditions(raw: &DataFrame, ccgs: &DataFrame) -> PolarsResult<Option<DataFrame>> {
    let provenance = if raw.column("provenance").is_ok() {
        text("provenance")
    } else {
        lit("published")
    };
    let typed = raw
        .clone()
        .lazy()
        .select([
            text("ods_code").alias("ods_code"),
            text("criterion").fill_null(lit("")).alias("criterion"),
            mapped(text("support_level"), &LEVEL_SPELLINGS).alias("support_level"),
            mapped(text("legal_direction"), &BOOLEAN_SPELLINGS)
                .cast(DataType::Boolean)
                .alias("legal_direction"),
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
    if !all_rows(&typed, valid)? || !all_known(&typed, ccgs)? {
        return Ok(None);
    }
    Ok(Some(typed.drop_many(["provenance_ok"])))
}

/// Whether every condition's ods_code is a CCG (checked on the distinct codes).
fn all_known(conditions: &DataFrame, ccgs: &DataFrame) -> PolarsResult<bool> {
    let known = ccgs
        .clone()
        .lazy()
        .select([col("ods_code"), lit(true).alias("known")]);
    let codes = conditions
        .clone()
        .lazy()
        .group_by([col("ods_code")])
        .agg([len()])
        .join(
            known,
            [col("ods_code")],
            [col("ods_code")],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    all_rows(&codes, col("known"))
}

fn internal(path: &Path, e: PolarsError) -> InputError {
    InputError::file(path, format!("internal error while reading: {e}"))
}

// The precise path: the strict reader, row by row, with located errors.

/// Parse `ccgs.csv` rows.
pub fn parse_ccgs(t: &Table) -> Result<Vec<Ccg>, InputError> {
    let [ods, name, region, csu, pop, imd] = [
        "ods_code",
        "name",
        "region",
        "csu",
        "population",
        "imd_score",
    ]
    .map(|c| t.req(c));
    let basis = t.col("csu_basis");
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
    conditions: &DataFrame,
) -> Result<Vec<CcgOutcome>, InputError> {
    let [ods, wave, wprov, n, dir, ev, method, _] = OUTCOME_COLUMNS.map(|c| t.col(c).unwrap_or(0));
    let counts = rows_per_ccg(conditions).map_err(|e| internal(&t.path, e))?;
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

/// Condition rows and whether any is directed, per CCG.
fn rows_per_ccg(conditions: &DataFrame) -> PolarsResult<HashMap<String, (u64, bool)>> {
    let per = conditions
        .clone()
        .lazy()
        .group_by([col("ods_code")])
        .agg([
            len().cast(DataType::UInt64).alias("rows"),
            col("legal_direction").any(true).alias("directed"),
        ])
        .collect()?;
    let codes = per.column("ods_code")?.str()?;
    let rows = per.column("rows")?.u64()?;
    let directed = per.column("directed")?.bool()?;
    Ok((0..per.height())
        .filter_map(|i| Some((codes.get(i)?.to_string(), (rows.get(i)?, directed.get(i)?))))
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
