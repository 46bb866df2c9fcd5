//! CSV text as every output and `reconstruct` writes it: RFC 4180 quoting, `\n` line ends.

/// Build CSV text row by row.
pub struct CsvText(csv::Writer<Vec<u8>>);

impl CsvText {
    pub fn new<I, S>(header: I) -> anyhow::Result<CsvText>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut w = CsvText::headless();
        w.row(header)?;
        Ok(w)
    }

    /// CSV text without a header (the caller's first row is its header).
    pub fn headless() -> CsvText {
        CsvText(
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(vec![]),
        )
    }

    pub fn row<I, S>(&mut self, fields: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        Ok(self.0.write_record(fields)?)
    }

    pub fn finish(self) -> anyhow::Result<String> {
        Ok(String::from_utf8(self.0.into_inner()?)?)
    }
}

/// Replace `dir/name` with `text` atomically (written beside it, then renamed).
pub fn replace_file(dir: &std::path::Path, name: &str, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))
}
