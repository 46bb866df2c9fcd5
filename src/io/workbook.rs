//! Excel workbooks (`ccgs.xlsx`, `conditions.xlsx`): the sheet named like the file (`ccgs`,
//! `conditions`), else the first sheet, turned into CSV text for the same readers and checks;
//! their errors are then located by sheet, row and column of the workbook.

use crate::error::InputError;
use crate::format::CsvText;
use calamine::{Data, Reader};
use std::io::Cursor;
use std::path::Path;

/// Where the sheet's cells sit in the workbook (0-based first row and column of its data).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    first_row: u64,
    first_col: usize,
}

impl Sheet {
    /// An error about the CSV text, located in the workbook instead: line → row, field → column.
    pub fn locate(&self, mut e: InputError) -> InputError {
        e.sheet = Some(self.name.clone());
        e.line = e.line.map(|l| l + self.first_row);
        e.column = e.column.map(|(c, name)| (c + self.first_col, name));
        e
    }
}

/// The workbook's sheet for `stem` as CSV text, and where it sits.
pub fn to_csv(path: &Path, bytes: &[u8], stem: &str) -> Result<(String, Sheet), InputError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| InputError::file(path, format!("cannot read the workbook: {e}")))?;
    let names = book.sheet_names();
    let name = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(stem))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| InputError::file(path, "the workbook has no sheets"))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| InputError::file(path, format!("cannot read sheet '{name}': {e}")))?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let width = range.width();
    let mut csv = CsvText::headless();
    for row in range.rows() {
        let cells: Vec<String> = (0..width)
            .map(|i| row.get(i).map(cell_text).unwrap_or_default())
            .collect();
        csv.row(cells).map_err(|e| internal(path, e))?;
    }
    let text = csv.finish().map_err(|e| internal(path, e))?;
    Ok((
        text,
        Sheet {
            name,
            first_row: u64::from(first_row),
            first_col: first_col as usize,
        },
    ))
}

/// A cell as the CSV readers expect it: whole numbers without ".0", line breaks inside a cell
/// as spaces (so a sheet row stays one line, for error positions).
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.replace(['\r', '\n'], " "),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn internal(path: &Path, e: anyhow::Error) -> InputError {
    InputError::file(path, format!("cannot convert the workbook: {e}"))
}
