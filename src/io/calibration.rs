//! The record `ccg-divide calibration` leaves in the data directory (`calibration.json`):
//! how often each test of a divide rejected at 5% on reconstructions with no effect put in.

use crate::error::InputError;
use crate::io::read::{InputFile, CCGS_FILE, WEIGHTS_FILE};
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
    /// SHA-256 of ccgs.csv and weights.toml when it was run (to tell a stale record).
    pub inputs_sha256: Vec<String>,
}

/// The hashes of ccgs.csv and weights.toml among the files read.
pub fn input_hashes(files: &[InputFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n == CCGS_FILE || n == WEIGHTS_FILE)
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
