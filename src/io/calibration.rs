//! The record `ccg-divide calibration` leaves in the data directory (`calibration.json`):
//! how often each test of a divide rejected at 5% on reconstructions with no effect put in.

use crate::error::InputError;
use crate::io::files::{InputFile, CCGS_FILE, WEIGHTS_FILE};
use std::path::Path;

pub const FILE: &str = "calibration.json";

pub use crate::model::calibration::CalibrationRecord;

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
