//! Shared test helpers (only crates the tests already depend on, so test builds reuse the release
//! build's dependency features exactly).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "ccg-divide-test-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary under test (one release build, shared with the other steps).
pub const BIN: &str = env!("CARGO_BIN_EXE_ccg-divide");

pub fn tempdir() -> std::io::Result<TempDir> {
    Ok(TempDir::new())
}

/// Every file `analyse` writes for data without `published/` (the fixtures).
pub const OUTPUTS: [&str; 16] = [
    "distribution.png",
    "region_medians.png",
    "csu_scores.png",
    "score_vs_population.png",
    "score_vs_deprivation.png",
    "funnel_population.png",
    "ccg_scores.csv",
    "region_summary.csv",
    "csu_summary.csv",
    "robustness.csv",
    "csu_within_region.csv",
    "findings.json",
    "findings.md",
    "report.html",
    "weights_used.toml",
    "inputs.sha256",
];

/// Resampling cut down for runs on the default data whose resampled figures a test does not
/// read (seconds, not tens of seconds).
pub const QUICK: [&str; 6] = [
    "--bootstrap",
    "100",
    "--permutations",
    "100",
    "--sensitivity-seeds",
    "2",
];

/// Every file in `dir` with its bytes, sorted by name.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = files_under(dir)
        .into_iter()
        .map(|(name, path)| (name, std::fs::read(path).unwrap()))
        .collect();
    v.sort();
    v
}

/// Every file under a directory, subfolders included: (path relative to it with `/`, path).
pub fn files_under(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = vec![];
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, d)) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                stack.push((format!("{name}/"), e.path()));
            } else {
                out.push((name, e.path()));
            }
        }
    }
    out.sort();
    out
}

/// Text as Excel on Windows saves it (Windows-1252): ASCII, and the curly apostrophe as 0x92;
/// any other character is a mistake in the test.
pub fn to_cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{2019}' => 0x92,
            c if c.is_ascii() => c as u8,
            c => panic!("{c} has no place in these tests' Windows-1252"),
        })
        .collect()
}

/// The hand-worked fixture (tests/fixtures/small).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

/// A temp dir with a copy of the fixture in `data/`.
pub fn workspace() -> (TempDir, PathBuf) {
    let dir = tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for f in ["ccgs.csv", "conditions.csv", "weights.toml"] {
        std::fs::copy(fixture().join(f), data.join(f)).unwrap();
    }
    (dir, data)
}

/// The fixture's CSV files as an Excel workbook each (numbers as numbers).
pub fn write_workbook(csv: &Path, xlsx: &Path, sheet: &str) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(csv)
        .unwrap();
    let numeric = ["population", "imd_score", "wave", "support_level"];
    let mut header: Vec<String> = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        if i == 0 {
            header = rec.iter().map(String::from).collect();
        }
        for (j, cell) in rec.iter().enumerate() {
            let (row, col) = (i as u32, j as u16);
            match cell.parse::<f64>() {
                Ok(x) if i > 0 && numeric.contains(&header[j].as_str()) => {
                    ws.write_number(row, col, x).unwrap();
                }
                _ if cell.is_empty() => {}
                _ => {
                    ws.write_string(row, col, cell).unwrap();
                }
            }
        }
    }
    book.save(xlsx).unwrap();
}
