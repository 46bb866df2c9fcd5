//! A small, strict CSV reader that knows where every value came from, so that
//! every complaint names the file, line and column. Accepts a UTF-8 BOM and CRLF.

use crate::error::InputError;
use std::path::{Path, PathBuf};

/// Header expectations for one CSV file.
pub struct Schema<'a> {
    pub required: &'a [&'a str],
    pub optional: &'a [&'a str],
    /// Whether a file with a header but no data rows is acceptable.
    pub allow_empty: bool,
}

/// A parsed CSV file: header plus rows, each row remembering its line number.
#[derive(Debug)]
pub struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug)]
pub struct Row {
    pub line: u64,
    /// The row's fields, trimmed (one allocation per row).
    pub fields: csv::StringRecord,
}

/// Read and check a CSV file against a schema.
pub fn read(path: &Path, schema: &Schema) -> Result<Table, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_string(),
            _ => format!("cannot read file: {e}"),
        };
        InputError::file(path, what)
    })?;
    parse(path, &bytes, schema)
}

/// Parse CSV bytes (already read from `path`) against a schema.
pub fn parse(path: &Path, bytes: &[u8], schema: &Schema) -> Result<Table, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        InputError::at(path, line, "file is not valid UTF-8 text")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(InputError::file(
            path,
            format!(
                "file is empty; expected a header line with columns: {}",
                schema.required.join(",")
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::at(path, 1, format!("cannot parse header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_header(path, &header, schema)?;

    // Line numbers from byte offsets: the csv crate's own line count is off with CRLF endings.
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at =
        |byte: u64| -> u64 { newlines.partition_point(|&n| (n as u64) <= byte) as u64 + 1 };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
                return Err(InputError::at(path, line, format!("malformed CSV: {e}")));
            }
        }
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if record.len() == 1 && record[0].trim().is_empty() {
            continue; // a blank line
        }
        if record.len() != header.len() {
            let hint = if record.len() < header.len() {
                " (a truncated line?)"
            } else {
                " (an extra column, or an unquoted comma?)"
            };
            return Err(InputError::at(
                path,
                line,
                format!(
                    "expected {} fields as in the header, found {}{hint}",
                    header.len(),
                    record.len()
                ),
            ));
        }
        rows.push(Row {
            line,
            fields: {
                let mut r = std::mem::take(&mut record);
                r.trim();
                r
            },
        });
    }
    if rows.is_empty() && !schema.allow_empty {
        return Err(InputError::at(path, 2, "no data rows after the header"));
    }
    Ok(Table {
        path: path.to_path_buf(),
        header,
        rows,
    })
}

fn check_header(path: &Path, header: &[String], schema: &Schema) -> Result<(), InputError> {
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(InputError::cell(
                path,
                1,
                i + 1,
                "",
                "empty column name in header",
            ));
        }
        if header[..i].contains(h) {
            return Err(InputError::cell(
                path,
                1,
                i + 1,
                h,
                "column appears twice in the header",
            ));
        }
    }
    let known: Vec<&str> = schema
        .required
        .iter()
        .chain(schema.optional)
        .copied()
        .collect();
    // A column that is not ours but is one typo away from one of ours is a misspelling.
    for (i, h) in header.iter().enumerate() {
        if known.contains(&h.as_str()) {
            continue;
        }
        let near = known
            .iter()
            .filter(|k| !header.iter().any(|x| x == *k))
            .map(|k| (edit_distance(k, h), *k))
            .filter(|(d, k)| *d <= (k.len() / 3).clamp(1, 2))
            .min();
        if let Some((_, near)) = near {
            return Err(InputError::cell(
                path,
                1,
                i + 1,
                h,
                format!("unknown column '{h}'; did you mean '{near}'?"),
            ));
        }
    }
    for req in schema.required {
        if !header.iter().any(|h| h == req) {
            return Err(InputError::at(
                path,
                1,
                format!(
                    "missing required column '{req}'; the header must contain: {}",
                    schema.required.join(",")
                ),
            ));
        }
    }
    Ok(())
}

/// Levenshtein distance, for "did you mean" hints on misspelt column names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Table {
    /// Index of a column, if present.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Index of a column the schema requires (checked when the table was read).
    pub fn req(&self, name: &str) -> usize {
        self.col(name)
            .unwrap_or_else(|| panic!("required column {name} checked at read time"))
    }

    /// A cell accessor for one row.
    pub fn cell<'a>(&'a self, row: &'a Row, col: usize) -> Cell<'a> {
        Cell {
            path: &self.path,
            line: row.line,
            col,
            name: &self.header[col],
            value: &row.fields[col],
        }
    }

    /// An error located at a row (no particular column).
    pub fn row_error(&self, row: &Row, message: impl Into<String>) -> InputError {
        InputError::at(&self.path, row.line, message)
    }
}

/// One value with its position, with typed parsers that produce located errors.
pub struct Cell<'a> {
    pub path: &'a Path,
    pub line: u64,
    pub col: usize,
    pub name: &'a str,
    pub value: &'a str,
}

impl<'a> Cell<'a> {
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError::cell(self.path, self.line, self.col + 1, self.name, message)
    }

    pub fn text(&self) -> &'a str {
        self.value
    }

    pub fn non_empty(&self) -> Result<&'a str, InputError> {
        if self.value.is_empty() {
            Err(self.error("expected a value, found an empty field"))
        } else {
            Ok(self.value)
        }
    }

    pub fn optional(&self) -> Option<&'a str> {
        (!self.value.is_empty()).then_some(self.value)
    }

    pub fn count(&self) -> Result<u64, InputError> {
        self.value.parse::<u64>().map_err(|_| {
            self.error(format!(
                "expected a non-negative whole number, found {:?}",
                self.value
            ))
        })
    }

    pub fn number(&self) -> Result<f64, InputError> {
        match self.value.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(format!("expected a number, found {:?}", self.value))),
        }
    }

    pub fn boolean(&self) -> Result<bool, InputError> {
        match self.value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(self.error(format!("expected true or false, found {:?}", self.value))),
        }
    }

    /// One of a fixed set of values (exact match).
    pub fn one_of(&self, allowed: &[&str]) -> Result<&'a str, InputError> {
        if allowed.contains(&self.value) {
            Ok(self.value)
        } else {
            Err(self.error(format!(
                "expected one of: {}; found {:?}",
                allowed.join(" | "),
                self.value
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        required: &["a", "bee"],
        optional: &["note"],
        allow_empty: false,
    };

    fn parse_str(s: &str) -> Result<Table, InputError> {
        parse(Path::new("t.csv"), s.as_bytes(), &SCHEMA)
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let t = parse_str("\u{feff}a,bee\r\n1,2\r\n3,4\r\n").unwrap();
        assert_eq!(t.header, vec!["a", "bee"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[1].fields.iter().collect::<Vec<_>>(), vec!["3", "4"]);
    }

    #[test]
    fn misspelt_column_gets_a_hint() {
        let e = parse_str("a,be\n1,2\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert_eq!(e.column, Some((2, "be".to_string())));
        assert!(e.message.contains("did you mean 'bee'"), "{}", e.message);
    }

    #[test]
    fn truncated_line_is_located() {
        let e = parse_str("a,bee\n1,2\n3").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("truncated"), "{}", e.message);
    }

    #[test]
    fn header_only_and_empty_files_are_rejected() {
        assert!(parse_str("a,bee\n")
            .unwrap_err()
            .message
            .contains("no data rows"));
        assert!(parse_str("").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
