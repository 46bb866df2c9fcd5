//! The record `ccg-divide calibration` leaves in the data directory (`calibration.json`):
//! how often each test of a divide rejected at 5% on reconstructions with no effect put in.

use crate::error::InputError;
use crate::io::files::{InputFile, CCGS_FILE, WEIGHTS_FILE};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "calibration.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationRecord {
    pub command: String,
    pub seeds: usize,
    pub permutations: usize,
    /// (test, rejections at 5%, runs where the test could be run)
    pub rejections: Vec<(String, usize, usize)>,
    /// SHA-256 of the files the reconstruction and the tests depend on (ccgs.csv, weights.toml
    /// and the published facts reconstructed from) when it was run, to tell a stale record.
    pub inputs_sha256: Vec<String>,
}

/// The files a calibration run depends on, by name.
const CALIBRATION_INPUTS: [&str; 6] = [
    CCGS_FILE,
    WEIGHTS_FILE,
    "aggregates.csv",
    "outcomes.csv",
    "itemised_conditions.csv",
    "facts.csv",
];

/// The hashes of those files among the files read, in the order read.
pub fn input_hashes<'a>(files: impl IntoIterator<Item = &'a InputFile>) -> Vec<String> {
    files
        .into_iter()
        .filter(|f| {
            f.path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| CALIBRATION_INPUTS.contains(&n))
        })
        .map(|f| f.sha256.clone())
        .collect()
}

/// Parse the record's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<CalibrationRecord, InputError> {
    serde_json::from_slice(bytes).map_err(|e| {
        InputError::at(
            path,
            e.line() as u64,
            format!("invalid calibration record: {e}"),
        )
    })
}
