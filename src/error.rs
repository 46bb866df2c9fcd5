//! Error kinds that map to distinct exit codes, so scripts (and cron) can tell
//! bad input from an unwritable output from a bug.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit codes of the `ccg-divide` binary (documented in README.md).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INVALID_INPUT: i32 = 3;
    pub const OUTPUT: i32 = 4;
}

/// A problem with an input file, located as precisely as we can.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: PathBuf,
    /// For an Excel workbook: the sheet, and `line` is then its row.
    pub sheet: Option<String>,
    /// 1-based line number in the file (the header is line 1).
    pub line: Option<u64>,
    /// 1-based column (field) number and the column's name.
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl InputError {
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            sheet: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }
    pub fn at(file: &Path, line: u64, message: impl Into<String>) -> Self {
        InputError {
            line: Some(line),
            ..InputError::file(file, message)
        }
    }
    pub fn cell(
        file: &Path,
        line: u64,
        col: usize,
        name: &str,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            line: Some(line),
            column: Some((col, name.to_string())),
            ..InputError::file(file, message)
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet '{sheet}'")?;
        }
        if let Some(line) = self.line {
            let unit = if self.sheet.is_some() { "row" } else { "line" };
            write!(f, ": {unit} {line}")?;
        }
        if let Some((col, name)) = &self.column {
            write!(f, ", column {col} ({name})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// The output directory could not be prepared or written.
#[derive(Debug)]
pub struct OutputError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot write output {}: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for OutputError {}

/// The exit code for an error chain: input problems and output problems get their own codes.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<InputError>()) {
        exit::INVALID_INPUT
    } else if err.chain().any(|e| e.is::<OutputError>()) {
        exit::OUTPUT
    } else {
        exit::FAILURE
    }
}
