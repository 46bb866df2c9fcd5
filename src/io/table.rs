//! A small, strict CSV reader that knows where every value came from, so that
//! every complaint names the file, line and column. Accepts a UTF-8 BOM and CRLF. Its cells
//! check closed vocabularies against the table of `io::rules`.

use crate::error::InputError;
use crate::io::rules::{self, Vocabulary};
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

/// Parse CSV bytes (already read from `path`) against a schema, keeping every row.
pub fn parse(path: &Path, bytes: &[u8], schema: &Schema) -> Result<Table, InputError> {
    let mut rows = Vec::new();
    let mut table = parse_each(path, bytes, schema, |_, row| {
        rows.push(Row {
            line: row.line,
            fields: row.fields.clone(),
        });
        Ok(())
    })?;
    table.rows = rows;
    Ok(table)
}

/// Parse CSV bytes row by row without keeping them: `each` gets the table (header only) and
/// each data row in turn, in one reused buffer. For large files (a million condition rows)
/// this avoids holding every row in memory and one allocation per row.
// Long because: the precise reader's hot loop keeps line cursor, field count and trimming together.
pub fn parse_each(
    path: &Path,
    bytes: &[u8],
    schema: &Schema,
    mut each: impl FnMut(&Table, &Row) -> Result<(), InputError>,
) -> Result<Table, InputError> {
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
    let (mut reader, header) = open(path, text, schema)?;
    let table = Table {
        path: path.to_path_buf(),
        header,
        rows: Vec::new(),
    };

    // Line numbers from byte offsets: the csv crate's own line count is off with CRLF endings.
    // Rows arrive in order, so a cursor over the newline positions replaces a search per row.
    let mut newlines = memchr_newlines(text.as_bytes());
    let mut lines_before = 0u64;
    let mut line_at = |byte: u64| -> u64 {
        while newlines.peek().is_some_and(|&n| (n as u64) <= byte) {
            newlines.next();
            lines_before += 1;
        }
        lines_before + 1
    };
    let mut row = Row {
        line: 0,
        fields: csv::StringRecord::new(),
    };
    let mut n_rows = 0usize;
    loop {
        match reader.read_record(&mut row.fields) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
                return Err(InputError::at(path, line, format!("malformed CSV: {e}")));
            }
        }
        row.line = row
            .fields
            .position()
            .map(|p| line_at(p.byte()))
            .unwrap_or(0);
        let n = row.fields.len();
        if n == 1 && row.fields[0].trim().is_empty() {
            continue; // a blank line
        }
        if n != table.header.len() {
            let hint = if n < table.header.len() {
                " (a truncated line?)"
            } else {
                " (an extra column, or an unquoted comma?)"
            };
            return Err(InputError::at(
                path,
                row.line,
                format!(
                    "expected {} fields as in the header, found {n}{hint}",
                    table.header.len()
                ),
            ));
        }
        // Trimming allocates, so only rows that need it pay for it.
        if row
            .fields
            .iter()
            .any(|f| f.starts_with(char::is_whitespace) || f.ends_with(char::is_whitespace))
        {
            row.fields.trim();
        }
        n_rows += 1;
        each(&table, &row)?;
    }
    if n_rows == 0 && !schema.allow_empty {
        return Err(InputError::at(path, 2, "no data rows after the header"));
    }
    Ok(table)
}

/// The trimmed header of CSV text, checked against a schema (missing, misspelt, duplicate or
/// empty column names are located errors).
pub fn header(path: &Path, text: &str, schema: &Schema) -> Result<Vec<String>, InputError> {
    open(path, text, schema).map(|(_, header)| header)
}

/// A CSV reader over the text, positioned after its checked header.
fn open<'t>(
    path: &Path,
    text: &'t str,
    schema: &Schema,
) -> Result<(csv::Reader<&'t [u8]>, Vec<String>), InputError> {
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
    Ok((reader, header))
}

/// Whether CSV bytes are plain: every line has exactly `n` fields (quotes respected; a final
/// newline allowed), no field is padded with whitespace, and there is at least one data row.
/// A cheap pre-check for the fast reader: polars fills a short row with nulls and keeps padding
/// where the strict reader rejects the row or trims the field, so anything not plain goes to
/// the strict reader, which trims, or says which line is wrong.
pub fn is_plain_csv(bytes: &[u8], n: usize) -> bool {
    let (mut fields, mut rows, mut in_quotes, mut field_start) = (1usize, 0usize, false, 0usize);
    for i in memchr::memchr3_iter(b',', b'"', b'\n', bytes) {
        match bytes[i] {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => {
                if padded(&bytes[field_start..i]) {
                    return false;
                }
                fields += 1;
                field_start = i + 1;
            }
            b'\n' if !in_quotes => {
                let field = &bytes[field_start..i];
                if fields != n || padded(field.strip_suffix(b"\r").unwrap_or(field)) {
                    return false;
                }
                rows += 1;
                fields = 1;
                field_start = i + 1;
            }
            _ => {}
        }
    }
    // A last line without a newline is a row too; whitespace after the last newline is not.
    let tail = &bytes[field_start..];
    if !tail.iter().all(u8::is_ascii_whitespace) {
        if fields != n || padded(tail) {
            return false;
        }
        rows += 1;
    }
    !in_quotes && rows >= 2
}

/// Whether a raw field (quotes included) has whitespace at either end of its value.
fn padded(field: &[u8]) -> bool {
    let value = match field {
        [b'"', inner @ .., b'"'] => inner,
        _ => field,
    };
    // Only the ends matter. Unicode whitespace counts too (the strict reader trims it), so a
    // non-ASCII byte at either end sends the file to the strict reader, to be safe.
    let doubtful = |b: &u8| b.is_ascii_whitespace() || !b.is_ascii();
    value.first().is_some_and(doubtful) || value.last().is_some_and(doubtful)
}

/// Byte offsets of every `\n`, in order.
fn memchr_newlines(bytes: &[u8]) -> std::iter::Peekable<impl Iterator<Item = usize> + '_> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .peekable()
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

    /// true or false, in any spelling of `rules::BOOLEAN`.
    pub fn boolean(&self) -> Result<bool, InputError> {
        Ok(self.code(&rules::BOOLEAN)? == 1)
    }

    /// The value's code in a vocabulary of `io::rules`.
    pub fn code(&self, vocabulary: &Vocabulary) -> Result<i32, InputError> {
        vocabulary
            .code(self.value)
            .ok_or_else(|| self.error(vocabulary.complaint(self.value)))
    }

    /// The value in its usual spelling in a vocabulary of `io::rules`.
    pub fn word(&self, vocabulary: &Vocabulary) -> Result<&'static str, InputError> {
        self.code(vocabulary).map(|code| vocabulary.word(code))
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
    fn plain_csv_respects_quotes_and_catches_short_blank_and_padded_lines() {
        assert!(is_plain_csv(b"a,b\n1,2\n", 2));
        assert!(is_plain_csv(b"a,b\r\n1,2\r\n3,4", 2));
        assert!(is_plain_csv(b"a,b\n\"x,\ny\",2\n", 2));
        assert!(is_plain_csv(b"a,b\n\"say \"\"hi,\"\"\",2\n", 2));
        assert!(!is_plain_csv(b"a,b\n1\n", 2), "short row");
        assert!(!is_plain_csv(b"a,b\n1,2,3\n", 2), "long row");
        assert!(!is_plain_csv(b"a,b\n1,2\n\n3,4\n", 2), "blank line");
        assert!(!is_plain_csv(b"a,b\n1,2\n3", 2), "truncated last line");
        assert!(!is_plain_csv(b"a,b\n", 2), "header only");
        assert!(!is_plain_csv(b"a,b\n\"1,2\n", 2), "unclosed quote");
        assert!(!is_plain_csv(b"a,b\n1, 2\n", 2), "padded field");
        assert!(!is_plain_csv(b"a,b\n1,2 \r\n", 2), "padded last field");
        assert!(!is_plain_csv(b"a,b\n\" 1\",2\n", 2), "padded quoted field");
        assert!(
            is_plain_csv(b"a,b\n\"x, y\",2\r\n", 2),
            "a comma and space inside quotes"
        );
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
