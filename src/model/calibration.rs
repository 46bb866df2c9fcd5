//! The recorded calibration run (`calibration.json`): how often each test rejected at 5% over
//! reconstructions with no effect put in. Read and written by `io::calibration`.

use serde::{Deserialize, Serialize};

/// One calibration run, as recorded.
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
