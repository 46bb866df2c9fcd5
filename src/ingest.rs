//! Stage 1: read and validate the inputs into typed records (the edge where I/O happens).
//!
//! Files in the data directory:
//! - `ccgs.csv` (required): one row per CCG;
//! - `conditions.csv` (required): one row per condition, in the official outcome format;
//! - `ccg_outcomes.csv` (optional): per-CCG wave and evidence class, written by `reconstruct`;
//! - `weights.toml` (required unless `--weights` is given).

use crate::error::InputError;
use crate::table::{self, Schema, Table};
use crate::weights::Weights;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The NHS CB's four regions of 2013, in the order used in every table and chart.
pub const REGIONS: [&str; 4] = [
    "North of England",
    "Midlands and East of England",
    "London",
    "South of England",
];

/// How a CCG's CSU assignment is known (see data/README.md).
pub const CSU_BASES: [&str; 6] = [
    "named",
    "area",
    "plan",
    "geography",
    "low_confidence",
    "unknown",
];

/// CSU bases counted as "confirmed" (a source names the CCG or its area).
pub fn csu_confirmed(basis: &str) -> bool {
    matches!(basis, "named" | "area")
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ccg {
    pub ods_code: String,
    pub name: String,
    pub region: String,
    pub csu: String,
    pub csu_basis: String,
    pub population: u64,
    pub imd_score: f64,
    pub wave: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provenance {
    Published,
    Reconstructed,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Published => "published",
            Provenance::Reconstructed => "reconstructed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub ods_code: String,
    pub criterion: String,
    pub support_level: u8,
    pub legal_direction: bool,
    pub provenance: Provenance,
    pub source: String,
}

/// How much of a CCG's outcome is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evidence {
    /// Count and support levels published (or published as fully authorised).
    Published,
    /// The number of conditions is published, their support levels are reconstructed.
    CountPublished,
    /// Nothing about the outcome is published: reconstructed.
    Reconstructed,
}

impl Evidence {
    pub const ALL: [&'static str; 3] = ["published", "count_published", "reconstructed"];
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Published => "published",
            Evidence::CountPublished => "count_published",
            Evidence::Reconstructed => "reconstructed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "published" => Some(Evidence::Published),
            "count_published" => Some(Evidence::CountPublished),
            "reconstructed" => Some(Evidence::Reconstructed),
            _ => None,
        }
    }
}

/// Per-CCG authorisation outcome metadata (`ccg_outcomes.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct CcgOutcome {
    pub ods_code: String,
    pub wave: u8,
    pub wave_provenance: Provenance,
    pub n_conditions: u64,
    pub legal_direction: bool,
    pub evidence: Evidence,
    pub method: String,
}

/// One input file read, with its hash (for the rerun manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: PathBuf,
    pub sha256: String,
}

/// Everything `analyse` reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub ccgs: Vec<Ccg>,
    pub conditions: Vec<Condition>,
    pub outcomes: Option<Vec<CcgOutcome>>,
    pub weights: Weights,
    pub files: Vec<InputFile>,
}

pub const CCGS_FILE: &str = "ccgs.csv";
pub const CONDITIONS_FILE: &str = "conditions.csv";
pub const OUTCOMES_FILE: &str = "ccg_outcomes.csv";
pub const WEIGHTS_FILE: &str = "weights.toml";

/// The header expectations of ccgs.csv.
pub fn ccg_schema() -> Schema<'static> {
    CCG_SCHEMA
}

const CCG_SCHEMA: Schema = Schema {
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

const OUTCOME_SCHEMA: Schema = Schema {
    required: &[
        "ods_code",
        "wave",
        "wave_provenance",
        "n_conditions",
        "legal_direction",
        "evidence",
        "method",
    ],
    optional: &["source"],
    allow_empty: false,
};

/// Read all inputs from a data directory. `weights` overrides `DIR/weights.toml`.
pub fn load(data_dir: &Path, weights: Option<&Path>) -> Result<Inputs, InputError> {
    if !data_dir.is_dir() {
        return Err(InputError::file(data_dir, "data directory not found"));
    }
    let mut files = Vec::new();
    let dir = |name: &str| data_dir.join(name);
    let ccgs = read_hashed(&dir(CCGS_FILE), &mut files, |path, bytes| {
        parse_ccgs(&table::parse(path, bytes, &CCG_SCHEMA)?)
    })?;
    let known: HashSet<&str> = ccgs.iter().map(|c| c.ods_code.as_str()).collect();
    let conditions = read_hashed(&dir(CONDITIONS_FILE), &mut files, |path, bytes| {
        parse_conditions(path, bytes, &known)
    })?;
    let outcome_table = if dir(OUTCOMES_FILE).exists() {
        Some(read_hashed(
            &dir(OUTCOMES_FILE),
            &mut files,
            |path, bytes| table::parse(path, bytes, &OUTCOME_SCHEMA),
        )?)
    } else {
        None
    };
    let outcomes = outcome_table
        .map(|t| parse_outcomes(&t, &ccgs, &conditions))
        .transpose()?;

    let weights_path = weights
        .map(Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join(WEIGHTS_FILE));
    let weights_bytes = std::fs::read(&weights_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::file(&weights_path, "weights file not found"),
        _ => InputError::file(&weights_path, format!("cannot read weights file: {e}")),
    })?;
    let weights_text = String::from_utf8(weights_bytes.clone())
        .map_err(|_| InputError::file(&weights_path, "weights file is not valid UTF-8"))?;
    let weights = Weights::parse(&weights_path, weights_text.trim_start_matches('\u{feff}'))?;
    files.push(InputFile {
        path: weights_path,
        sha256: sha256_hex(&weights_bytes),
    });
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

/// Support level as 1–6, also accepting Roman numerals I–VI as printed in the NHS CB tables.
pub fn parse_support_level(s: &str) -> Option<u8> {
    // Without allocating: this runs once per condition row.
    const NAMES: [(&str, &str); 6] = [
        ("1", "I"),
        ("2", "II"),
        ("3", "III"),
        ("4", "IV"),
        ("5", "V"),
        ("6", "VI"),
    ];
    let s = s.trim();
    NAMES
        .iter()
        .position(|(digit, roman)| s == *digit || s.eq_ignore_ascii_case(roman))
        .map(|i| i as u8 + 1)
}

/// Parse `conditions.csv` (streamed: it can hold millions of rows); every ods_code must be a
/// known CCG.
pub fn parse_conditions(
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
    ccgs: &[Ccg],
    conditions: &[Condition],
) -> Result<Vec<CcgOutcome>, InputError> {
    let [ods, wave, wprov, n, dir, ev, method] = [
        "ods_code",
        "wave",
        "wave_provenance",
        "n_conditions",
        "legal_direction",
        "evidence",
        "method",
    ]
    .map(|c| t.req(c));
    let mut counts: HashMap<&str, (u64, bool)> = HashMap::new();
    for c in conditions {
        let e = counts.entry(c.ods_code.as_str()).or_default();
        e.0 += 1;
        e.1 |= c.legal_direction;
    }
    let known: HashSet<&str> = ccgs.iter().map(|c| c.ods_code.as_str()).collect();
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
    if let Some(missing) = ccgs.iter().find(|c| !seen.contains(&c.ods_code)) {
        return Err(InputError::file(
            &t.path,
            format!(
                "no row for CCG {} ({}); every CCG in {CCGS_FILE} needs one",
                missing.ods_code, missing.name
            ),
        ));
    }
    Ok(out)
}

/// The evidence class of each CCG: from `ccg_outcomes.csv` when present, otherwise from the
/// condition rows (a CCG without rows counts as published: the official tables list every CCG).
pub fn evidence_by_ccg(inputs: &Inputs) -> HashMap<String, Evidence> {
    if let Some(outcomes) = &inputs.outcomes {
        return outcomes
            .iter()
            .map(|o| (o.ods_code.clone(), o.evidence))
            .collect();
    }
    let mut ev: HashMap<String, Evidence> = inputs
        .ccgs
        .iter()
        .map(|c| (c.ods_code.clone(), Evidence::Published))
        .collect();
    for c in &inputs.conditions {
        if c.provenance == Provenance::Reconstructed {
            ev.insert(c.ods_code.clone(), Evidence::Reconstructed);
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::parse_support_level;

    #[test]
    fn support_levels_accept_digits_and_roman_numerals_only() {
        assert_eq!(parse_support_level("1"), Some(1));
        assert_eq!(parse_support_level(" 3 "), Some(3));
        assert_eq!(parse_support_level("iv"), Some(4));
        assert_eq!(parse_support_level("V"), Some(5));
        assert_eq!(parse_support_level("VI"), Some(6));
        for bad in ["", "0", "7", "IIII", "VII", "3.0", "three"] {
            assert_eq!(parse_support_level(bad), None, "{bad:?}");
        }
    }
}
