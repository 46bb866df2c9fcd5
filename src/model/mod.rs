//! The vocabulary every part shares: the NHS CB's regions, support levels, how a value is known
//! (provenance, evidence class), and the record types that the reconstruction generates.
//! Bulk data travels as polars frames (see `stages::counts`); these records are for the
//! row-wise work on 211 CCGs (reconstruction, published facts). How each is spelt in the
//! input files (which spellings a reader accepts) is `io::rules`.

pub mod calibration;
pub mod counts;
pub mod published;
pub mod weights;

use polars::prelude::*;

/// One input file read, with its hash (for the rerun manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    pub path: std::path::PathBuf,
    pub sha256: String,
}

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

/// The NHS CB's four regions of 2013, in the order used in every table and chart.
pub const REGIONS: [&str; 4] = [
    "North of England",
    "Midlands and East of England",
    "London",
    "South of England",
];

/// Support levels I–VI (I toolkit … IV team inserted; V functions removed; VI officer replaced).
pub const LEVELS: usize = 6;

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
pub const CSU_CONFIRMED: [&str; 2] = ["named", "area"];

/// Whether a CSU basis is one of `CSU_CONFIRMED`.
pub fn csu_confirmed(basis: &str) -> bool {
    CSU_CONFIRMED.contains(&basis)
}

/// One CCG of `ccgs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ccg {
    pub ods_code: String,
    pub name: String,
    pub region: String,
    pub csu: String,
    pub csu_basis: String,
    /// The NHS CB area team's code (empty when ccgs.csv has no `area_team` column).
    pub area_team: String,
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

/// One condition row of `conditions.csv`.
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

/// The CCG frame's columns, as ingest produces them (see `io::read`).
pub fn ccgs_frame(ccgs: &[Ccg]) -> PolarsResult<DataFrame> {
    df!(
        "ods_code" => ccgs.iter().map(|c| c.ods_code.as_str()).collect::<Vec<_>>(),
        "name" => ccgs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "region" => ccgs.iter().map(|c| c.region.as_str()).collect::<Vec<_>>(),
        "region_index" => ccgs.iter().map(|c| REGIONS.iter().position(|r| *r == c.region).map(|i| i as u32)).collect::<Vec<_>>(),
        "csu" => ccgs.iter().map(|c| c.csu.as_str()).collect::<Vec<_>>(),
        "csu_basis" => ccgs.iter().map(|c| c.csu_basis.as_str()).collect::<Vec<_>>(),
        "csu_confirmed" => ccgs.iter().map(|c| csu_confirmed(&c.csu_basis)).collect::<Vec<_>>(),
        "area_team" => ccgs.iter().map(|c| c.area_team.as_str()).collect::<Vec<_>>(),
        "population" => ccgs.iter().map(|c| c.population as f64).collect::<Vec<_>>(),
        "imd_score" => ccgs.iter().map(|c| c.imd_score).collect::<Vec<_>>(),
        "wave" => ccgs.iter().map(|c| c.wave.map(i32::from)).collect::<Vec<_>>(),
    )
}

/// The condition frame's columns: what the count stage reads.
pub fn conditions_frame(conditions: &[Condition]) -> PolarsResult<DataFrame> {
    df!(
        "ods_code" => conditions.iter().map(|c| c.ods_code.as_str()).collect::<Vec<_>>(),
        "criterion" => conditions.iter().map(|c| c.criterion.as_str()).collect::<Vec<_>>(),
        "support_level" => conditions.iter().map(|c| i32::from(c.support_level)).collect::<Vec<_>>(),
        "legal_direction" => conditions.iter().map(|c| c.legal_direction).collect::<Vec<_>>(),
        "reconstructed" => conditions.iter().map(|c| c.provenance == Provenance::Reconstructed).collect::<Vec<_>>(),
    )
}

/// The condition rows of a conditions frame (`conditions_frame`, or as ingest produces it) as
/// records; the frame carries no source.
pub fn condition_records(frame: &DataFrame) -> PolarsResult<Vec<Condition>> {
    let codes = crate::columns::strings(frame, "ods_code")?;
    let criteria = crate::columns::strings(frame, "criterion")?;
    let levels = frame.column("support_level")?.i32()?;
    let directions = frame.column("legal_direction")?.bool()?;
    let reconstructed = frame.column("reconstructed")?.bool()?;
    Ok(codes
        .into_iter()
        .enumerate()
        .map(|(i, ods_code)| Condition {
            ods_code,
            criterion: criteria[i].clone(),
            support_level: levels.get(i).unwrap_or(0) as u8,
            legal_direction: directions.get(i).unwrap_or(false),
            provenance: if reconstructed.get(i).unwrap_or(true) {
                Provenance::Reconstructed
            } else {
                Provenance::Published
            },
            source: String::new(),
        })
        .collect())
}

#[cfg(test)]
mod record_tests {
    use super::*;

    #[test]
    fn condition_records_read_back_what_conditions_frame_wrote() {
        let rows = vec![
            Condition {
                ods_code: "A".into(),
                criterion: "3.1.1C".into(),
                support_level: 4,
                legal_direction: true,
                provenance: Provenance::Published,
                source: String::new(),
            },
            Condition {
                ods_code: "B".into(),
                criterion: String::new(),
                support_level: 1,
                legal_direction: false,
                provenance: Provenance::Reconstructed,
                source: String::new(),
            },
        ];
        assert_eq!(
            condition_records(&conditions_frame(&rows).unwrap()).unwrap(),
            rows
        );
    }
}

/// (ods_code, evidence): each CCG's evidence class, for the count table.
pub fn evidence_frame<'a>(
    classes: impl Iterator<Item = (&'a str, Evidence)>,
) -> PolarsResult<DataFrame> {
    let (codes, ev): (Vec<&str>, Vec<&str>) = classes.map(|(c, e)| (c, e.as_str())).unzip();
    df!("ods_code" => codes, "evidence" => ev)
}

/// The CCG records back from a validated CCG frame (for the row-wise reconstruction).
pub fn ccg_records(frame: &DataFrame) -> PolarsResult<Vec<Ccg>> {
    let s = |name: &str| crate::columns::strings(frame, name);
    let (codes, names, regions, csus, bases) = (
        s("ods_code")?,
        s("name")?,
        s("region")?,
        s("csu")?,
        s("csu_basis")?,
    );
    let teams = s("area_team")?;
    let population = frame.column("population")?.f64()?;
    let imd = frame.column("imd_score")?.f64()?;
    let wave = frame.column("wave")?.i32()?;
    Ok((0..frame.height())
        .map(|i| Ccg {
            ods_code: codes[i].clone(),
            name: names[i].clone(),
            region: regions[i].clone(),
            csu: csus[i].clone(),
            csu_basis: bases[i].clone(),
            area_team: teams[i].clone(),
            population: population.get(i).unwrap_or(0.0) as u64,
            imd_score: imd.get(i).unwrap_or(f64::NAN),
            wave: wave.get(i).map(|w| w as u8),
        })
        .collect())
}
