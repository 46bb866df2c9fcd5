//! Inputs as analysts hold them (issue: inputs and verdicts): Windows-1252 and UTF-16 CSV,
//! Excel workbooks, weights under which nothing counts, figures that are undefined, and
//! property-based mutations of valid inputs that must end in success or a located input error,
//! never a panic, with the previous outputs untouched.

mod common;

use ccg_divide::error::InputError;
use proptest::prelude::*;
use std::path::Path;
use std::process::{Command, Output};

use common::BIN;

use common::{fixture, workspace, write_workbook};

fn analyse(data: &Path, out: &Path) -> Output {
    Command::new(BIN)
        .args(["analyse", "--data-dir"])
        .arg(data)
        .arg("--output-dir")
        .arg(out)
        .args(["--bootstrap", "50", "--permutations", "50"])
        .output()
        .unwrap()
}

fn json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn undefined_figures_are_never_reproduced() {
    // No condition counts except directed ones, and no condition is directed: every score is 0.
    let (dir, data) = workspace();
    let w = std::fs::read_to_string(data.join("weights.toml")).unwrap();
    let w = w
        .replace("legal_direction = 0", "legal_direction = 1")
        .lines()
        .map(|l| match l.split_once(" = ") {
            Some((k, _)) if k.parse::<u8>().is_ok() => format!("{k} = 0"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(data.join("weights.toml"), w).unwrap();
    let c = std::fs::read_to_string(data.join("conditions.csv")).unwrap();
    std::fs::write(data.join("conditions.csv"), c.replace(",true,", ",false,")).unwrap();
    let out = dir.path().join("out");
    let o = analyse(&data, &out);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&out);
    let verdicts: Vec<&str> = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    // 6 of 8 CCGs have conditions (75%): claim 1 stands on counts, not scores.
    assert_eq!(
        verdicts,
        [
            "reproduced",
            "cannot_be_assessed",
            "cannot_be_assessed",
            "cannot_be_assessed",
            "cannot_be_assessed"
        ]
    );
    for c in &j["claims"].as_array().unwrap()[1..] {
        assert_eq!(c["reproduced"], false);
        assert!(!c["reason"].as_str().unwrap().is_empty());
    }
    let md = std::fs::read_to_string(out.join("findings.md")).unwrap();
    // In the claims table (the robustness table shows the same badges per weighting scheme).
    let claims = md
        .split("## The published claims")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    assert_eq!(
        claims.matches("**cannot be assessed** (").count(),
        4,
        "{md}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.matches("cannot be assessed: ").count(),
        4,
        "{stdout}"
    );
    // Undefined figures read as "undefined", never as a blank or a stray "x" (0/0 ratios).
    let ours: Vec<&str> = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ours"].as_str().unwrap())
        .collect();
    assert!(ours[4].starts_with("undefined (mean 0 over"), "{ours:?}");
    for o in &ours {
        assert!(
            !o.contains("NaN") && !o.contains("  ") && !o.starts_with('x'),
            "{o}"
        );
    }
    assert!(!std::fs::read_to_string(out.join("findings.md"))
        .unwrap()
        .contains("NaN"));
    // report.html: each of the four as a grey badge followed by its reason (escaped).
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for c in &j["claims"].as_array().unwrap()[1..] {
        let reason = c["reason"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('\'', "&#x27;")
            .replace('/', "&#x2f;");
        let cell = format!(
            r#"<span class="badge cannot-be-assessed">cannot be assessed</span> ({reason})"#
        );
        assert!(html.contains(&cell), "{cell}");
    }
    let robustness = std::fs::read_to_string(out.join("robustness.csv")).unwrap();
    assert!(robustness
        .lines()
        .next()
        .unwrap()
        .ends_with(",verdict,published_record,published_record_with_assumptions"));
    assert!(robustness.contains(",cannot be assessed,"), "{robustness}");
}

#[test]
fn windows_1252_and_utf16_read_the_same_as_utf8_and_say_so() {
    let (dir, data) = workspace();
    // A curly apostrophe in a CCG name, as Excel on Windows writes it (0x92).
    let ccgs = std::fs::read_to_string(data.join("ccgs.csv"))
        .unwrap()
        .replace("North One CCG", "St Helen\u{2019}s CCG");
    std::fs::write(data.join("ccgs.csv"), &ccgs).unwrap();
    let plain = dir.path().join("plain");
    assert!(analyse(&data, &plain).status.success());

    std::fs::write(data.join("ccgs.csv"), common::to_cp1252(&ccgs)).unwrap();
    let conditions = std::fs::read_to_string(data.join("conditions.csv")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(conditions.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(data.join("conditions.csv"), utf16).unwrap();
    let other = dir.path().join("other");
    let o = analyse(&data, &other);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ccgs.csv: read as Windows-1252"), "{err}");
    assert!(err.contains("conditions.csv: read as UTF-16"), "{err}");
    assert_eq!(
        std::fs::read(plain.join("findings.json")).unwrap(),
        std::fs::read(other.join("findings.json")).unwrap()
    );
    let scores = std::fs::read_to_string(other.join("ccg_scores.csv")).unwrap();
    assert!(scores.contains("St Helen\u{2019}s CCG"), "{scores}");
}

#[test]
fn excel_workbooks_give_the_same_findings_and_located_errors() {
    let (dir, data) = workspace();
    let plain = dir.path().join("plain");
    assert!(analyse(&data, &plain).status.success());
    write_workbook(&data.join("ccgs.csv"), &data.join("ccgs.xlsx"), "ccgs");
    write_workbook(
        &data.join("conditions.csv"),
        &data.join("conditions.xlsx"),
        "Sheet1",
    );
    std::fs::remove_file(data.join("ccgs.csv")).unwrap();
    std::fs::remove_file(data.join("conditions.csv")).unwrap();
    let book = dir.path().join("book");
    let o = analyse(&data, &book);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ccgs.xlsx: read sheet 'ccgs'"), "{err}");
    assert!(
        err.contains("conditions.xlsx: read sheet 'Sheet1'"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(plain.join("findings.json")).unwrap(),
        std::fs::read(book.join("findings.json")).unwrap()
    );
    // A bad population in the third row of the sheet: file, sheet, row and column.
    let ccgs = std::fs::read_to_string(fixture().join("ccgs.csv")).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, ccgs.replacen("200000", "lots", 1)).unwrap();
    write_workbook(&bad, &data.join("ccgs.xlsx"), "ccgs");
    let o = analyse(&data, &book);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("ccgs.xlsx, sheet 'ccgs': row 3, column 6 (population)"),
        "{err}"
    );
    assert!(err.contains("\"lots\""), "{err}");
}

/// One mutation of a valid input file, as a user or a tool might make it.
#[derive(Debug, Clone)]
enum Mutation {
    DropCell(usize),
    DuplicateCell(usize),
    SwapCells(usize, usize),
    InsertBytes(usize, Vec<u8>),
    Truncate(usize),
    Delimiter(u8),
    Empty,
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DropCell),
        any::<usize>().prop_map(Mutation::DuplicateCell),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapCells(a, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(at, b)| Mutation::InsertBytes(at, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        prop_oneof![Just(b';'), Just(b'\t'), Just(b'|')].prop_map(Mutation::Delimiter),
        Just(Mutation::Empty),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn apply(m: &Mutation, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let cells = lines.iter().map(Vec::len).sum::<usize>().max(1);
    let locate = |lines: &Vec<Vec<String>>, k: usize| {
        let mut k = k % cells;
        for (i, l) in lines.iter().enumerate() {
            if k < l.len() {
                return (i, k);
            }
            k -= l.len();
        }
        (0, 0)
    };
    let join = |lines: &Vec<Vec<String>>| {
        lines
            .iter()
            .map(|l| l.join(",") + "\n")
            .collect::<String>()
            .into_bytes()
    };
    match m {
        Mutation::DropCell(k) => {
            let (i, j) = locate(&lines, *k);
            lines[i].remove(j);
            join(&lines)
        }
        Mutation::DuplicateCell(k) => {
            let (i, j) = locate(&lines, *k);
            let c = lines[i][j].clone();
            lines[i].insert(j, c);
            join(&lines)
        }
        Mutation::SwapCells(a, b) => {
            let (i, j) = locate(&lines, *a);
            let k = b % lines[i].len();
            lines[i].swap(j, k);
            join(&lines)
        }
        Mutation::InsertBytes(at, b) => {
            let at = at % (bytes.len() + 1);
            [&bytes[..at], b, &bytes[at..]].concat()
        }
        Mutation::Truncate(at) => bytes[..at % (bytes.len() + 1)].to_vec(),
        Mutation::Delimiter(d) => bytes
            .iter()
            .map(|&b| if b == b',' { *d } else { b })
            .collect(),
        Mutation::Empty => vec![],
        Mutation::DuplicateLine(k) => {
            let i = k % lines.len().max(1);
            if let Some(l) = lines.get(i).cloned() {
                lines.insert(i, l);
            }
            join(&lines)
        }
    }
}

/// An input error must name an input file (a change to ccgs.csv can orphan rows of
/// conditions.csv) and, unless the trouble is the whole file, a position in it.
fn assert_located(e: &InputError) {
    let shown = e.to_string();
    assert!(
        ["ccgs.csv", "conditions.csv"]
            .iter()
            .any(|f| e.file.file_name().is_some_and(|n| n == *f)),
        "error names {}: {shown}",
        e.file.display()
    );
    let whole_file = ["file is empty", "does not decode"];
    assert!(
        e.line.is_some() || whole_file.iter().any(|w| e.message.contains(w)),
        "no position: {shown}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Ingest on a mutated copy: an input or a located input error, never a panic.
    #[test]
    fn mutated_inputs_are_read_or_refused_with_a_position(file in 0usize..2, m in mutation()) {
        let (_dir, data) = workspace();
        let name = ["ccgs.csv", "conditions.csv"][file];
        let bytes = std::fs::read(data.join(name)).unwrap();
        std::fs::write(data.join(name), apply(&m, &bytes)).unwrap();
        if let Err(e) = ccg_divide::io::read::load(&data, None) {
            assert_located(&e);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    /// The whole run on a mutated copy: success, or exit 3 with the previous outputs untouched.
    #[test]
    fn mutated_runs_succeed_or_leave_outputs_untouched(file in 0usize..2, m in mutation()) {
        let (dir, data) = workspace();
        let out = dir.path().join("out");
        let mut opts = ccg_divide::pipeline::AnalyseOptions::new(&data, &out);
        opts.bootstrap = 20;
        opts.permutations = 20;
        ccg_divide::pipeline::analyse(&opts).unwrap();
        let before = std::fs::read(out.join("findings.json")).unwrap();
        let name = ["ccgs.csv", "conditions.csv"][file];
        let bytes = std::fs::read(data.join(name)).unwrap();
        std::fs::write(data.join(name), apply(&m, &bytes)).unwrap();
        if let Err(e) = ccg_divide::pipeline::analyse(&opts) {
            assert_eq!(ccg_divide::error::exit_code(&e), 3, "{e:#}");
            assert_eq!(std::fs::read(out.join("findings.json")).unwrap(), before);
        }
    }
}

#[test]
fn progress_is_reported_only_when_asked_and_changes_no_byte() {
    let (dir, data) = workspace();
    // Not a terminal (tests capture stderr): a successful run prints nothing on stderr.
    let plain = dir.path().join("plain");
    let o = analyse(&data, &plain);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    // A run reporting its progress: every permutation and resample counted, same bytes out.
    let counted = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let sink = counted.clone();
    let mut opts = ccg_divide::pipeline::AnalyseOptions::new(&data, dir.path().join("counted"));
    opts.bootstrap = 50;
    opts.permutations = 1234;
    opts.progress = ccg_divide::progress::Progress::new(move |stage, done, total| {
        let mut m = sink.lock().unwrap();
        let e = m.entry(stage).or_insert((0, total));
        e.0 += done;
    });
    ccg_divide::pipeline::analyse(&opts).unwrap();
    let m = counted.lock().unwrap();
    assert_eq!(m["permutation test"], (1234, 1234));
    assert_eq!(m["bootstrap"], (50, 50));
    let again = dir.path().join("again");
    let o = Command::new(BIN)
        .args(["analyse", "--quiet", "--data-dir"])
        .arg(&data)
        .arg("--output-dir")
        .arg(&again)
        .args(["--bootstrap", "50", "--permutations", "1234"])
        .output()
        .unwrap();
    assert!(o.status.success());
    for f in ["findings.json", "findings.md", "region_medians.png"] {
        assert_eq!(
            std::fs::read(dir.path().join("counted").join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
}
