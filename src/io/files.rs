//! Reading an input file whole, with its SHA-256 recorded (the rerun manifest, the calibration
//! record's staleness), and the names of the data directory's own files. A leaf: the readers
//! (`read`, `published`, `calibration`) all use it, and it uses none of them.

use crate::error::InputError;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const CCGS_FILE: &str = "ccgs.csv";
pub const CONDITIONS_FILE: &str = "conditions.csv";
pub const OUTCOMES_FILE: &str = "ccg_outcomes.csv";
pub const WEIGHTS_FILE: &str = "weights.toml";

pub use crate::model::InputFile;

/// Read a file and parse it with `parse`, recording its SHA-256 (computed on the second core
/// while this one parses: with large inputs both take a while).
pub fn read_hashed<T>(
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
