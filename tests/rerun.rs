//! Tests of `ccg-divide rerun`, the cron job, run as cron runs it (through `scripts/rerun.sh`,
//! which execs the binary, so the child's pid is the rerun's): exit codes, the log, the
//! skip-if-unchanged check against the files analyse reads, the lock, signals, and the news of
//! changed verdicts. Each test works in its own temp dir with a copy of the small fixture, with
//! CCG_DIVIDE_BIN pointing at the test build so the script never runs cargo. Nothing here needs
//! a tool beyond bash: the lock is the binary's own (`File::lock`), and tests hold it the same way.

mod common;

use ccg_divide::io::published::Published;
use ccg_divide::io::read::{self, InputPaths};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::BIN;

/// Small resampling counts keep a run well under a second; no sensitivity stage (the fixture
/// has no published/ directory).
const FAST: [&str; 6] = [
    "--bootstrap",
    "200",
    "--permutations",
    "500",
    "--sensitivity-seeds",
    "0",
];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rerun.sh")
}

/// A temp dir holding `data/` (a copy of the fixture), and the paths the rerun is given.
struct Ws {
    dir: common::TempDir,
    data: PathBuf,
    out: PathBuf,
    log: PathBuf,
    lock: PathBuf,
    tmp: PathBuf,
}

impl Ws {
    fn new() -> Ws {
        let dir = common::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        for f in ["ccgs.csv", "conditions.csv", "weights.toml"] {
            std::fs::copy(common::fixture().join(f), data.join(f)).unwrap();
        }
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        Ws {
            out: dir.path().join("output"),
            log: dir.path().join("logs/rerun.log"),
            lock: dir.path().join("output.lock"),
            data,
            tmp,
            dir,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `bash scripts/rerun.sh OPTS --data-dir .. --output-dir .. --log .. --lock .. -- FAST`, run
    /// from the temp dir with a clean environment for the rerun's own variables.
    fn cmd(&self, opts: &[&str]) -> Command {
        let mut c = bare_cmd(self.path(), &self.tmp);
        c.args(opts)
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--output-dir")
            .arg(&self.out)
            .arg("--log")
            .arg(&self.log)
            .arg("--lock")
            .arg(&self.lock)
            .arg("--")
            .args(FAST);
        c
    }

    fn run(&self, opts: &[&str]) -> Output {
        self.cmd(opts).output().unwrap()
    }

    fn spawn(&self, opts: &[&str]) -> Child {
        self.cmd(opts)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// A run that reruns analyse for `reason` (logged once), its `nth` successful analyse.
    #[track_caller]
    fn assert_reruns(&self, reason: &str, nth: usize) -> String {
        let o = self.run(&[]);
        assert_exit(&o, 0);
        let log = self.log_text();
        assert_once(&log, &format!("{reason}; running"));
        assert_eq!(count(&log, "analyse exited with status 0"), nth, "{log}");
        log
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Hold a run inside analyse for as long as a test needs: data/ccgs.csv becomes a FIFO, so
    /// analyse's first read blocks until `Gate::open` writes the file's bytes into it.
    fn gate(&self) -> Gate {
        let fifo = self.data.join("ccgs.csv");
        let bytes = std::fs::read(&fifo).unwrap();
        std::fs::remove_file(&fifo).unwrap();
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
        Gate {
            fifo,
            bytes,
            parked: self.path().join("ccgs.csv.parked"),
        }
    }

    /// Hold the lock from this process, as another rerun (or anyone using flock) would.
    fn hold_lock(&self) -> File {
        let f = File::create(&self.lock).unwrap();
        f.lock().unwrap();
        f
    }

    /// Whether the lock is free now (taken and let go at once if it is).
    fn lock_is_free(&self) -> bool {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.lock)
            .unwrap();
        f.try_lock().is_ok()
    }
}

struct Gate {
    fifo: PathBuf,
    bytes: Vec<u8>,
    parked: PathBuf,
}

impl Gate {
    /// Let the run blocked on the FIFO read the real bytes; the FIFO is replaced by the regular
    /// file (by rename, before the reader sees the end) so later runs hash the same bytes.
    fn open(self) {
        let start = Instant::now();
        let mut w = loop {
            // O_NONBLOCK: fails (ENXIO) while no reader has the FIFO open, instead of hanging.
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.fifo)
            {
                Ok(w) => break w,
                Err(e) => {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "no reader on the gate: {e}"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        assert!(self.bytes.len() < 60_000, "the gate's bytes fit the pipe");
        w.write_all(&self.bytes).unwrap();
        self.close();
        drop(w);
    }

    /// Put the regular file back without letting anyone through.
    fn close(&self) {
        std::fs::write(&self.parked, &self.bytes).unwrap();
        std::fs::rename(&self.parked, &self.fifo).unwrap();
    }
}

/// The script run from `cwd` with CCG_DIVIDE_BIN set to the test build, RERUN_LOG/RERUN_LOCK
/// unset and TMPDIR set to `tmp` (which must stay empty).
fn bare_cmd(cwd: &Path, tmp: &Path) -> Command {
    let mut c = Command::new("bash");
    c.arg(script())
        .current_dir(cwd)
        .env("CCG_DIVIDE_BIN", BIN)
        .env("TMPDIR", tmp)
        .env_remove("RERUN_LOG")
        .env_remove("RERUN_LOCK")
        .stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

#[track_caller]
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", describe(o));
}

/// Every file in a directory: name, bytes, mtime and inode (a rerun of analyse replaces the
/// directory, so even byte-identical outputs get new inodes and times).
type Snapshot = Vec<(String, Vec<u8>, SystemTime, u64)>;

fn snapshot(dir: &Path) -> Snapshot {
    let mut v: Snapshot = common::files_under(dir)
        .into_iter()
        .map(|(name, path)| {
            let m = std::fs::metadata(&path).unwrap();
            (
                name,
                std::fs::read(&path).unwrap(),
                m.modified().unwrap(),
                m.ino(),
            )
        })
        .collect();
    v.sort();
    v
}

fn bytes_of(s: &Snapshot) -> Vec<(&str, &[u8])> {
    s.iter()
        .map(|(n, b, _, _)| (n.as_str(), b.as_slice()))
        .collect()
}

/// `2026-11-23T09:10:18Z`
fn is_iso_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Log lines written by the script itself: `TIMESTAMP [PID] MESSAGE`.
fn events(log: &str) -> Vec<(&str, &str, &str)> {
    log.lines()
        .filter_map(|l| {
            let (ts, rest) = l.split_once(' ')?;
            let rest = rest.strip_prefix('[')?;
            let (pid, msg) = rest.split_once("] ")?;
            is_iso_utc(ts).then_some((ts, pid, msg))
        })
        .collect()
}

fn count(log: &str, needle: &str) -> usize {
    events(log)
        .iter()
        .filter(|(_, _, m)| m.contains(needle))
        .count()
}

/// The message is in the log exactly once (the log shown if not).
#[track_caller]
fn assert_once(log: &str, needle: &str) {
    assert_eq!(count(log, needle), 1, "`{needle}` not logged once:\n{log}");
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The output directory is complete and consistent, and no staging directory is left beside it.
#[track_caller]
fn assert_whole_output(ws: &Ws) {
    for f in common::OUTPUTS {
        assert!(ws.out.join(f).is_file(), "missing output/{f}");
    }
    let json = std::fs::read(ws.out.join("findings.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).expect("findings.json parses");
    assert!(v.is_object(), "findings.json is not an object");
    let manifest = std::fs::read_to_string(ws.out.join("inputs.sha256")).unwrap();
    let listed: Vec<&str> = manifest.lines().collect();
    assert_eq!(listed.len(), 3, "manifest:\n{manifest}");
    for line in listed {
        let (hash, path) = line.split_once("  ").expect("`<hash>  <path>` lines");
        assert_eq!(hash.len(), 64, "{line}");
        assert!(hash.bytes().all(|c| c.is_ascii_hexdigit()), "{line}");
        assert!(Path::new(path).is_file(), "listed input {path} missing");
    }
    let leftovers: Vec<String> = std::fs::read_dir(ws.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".output."))
        .collect();
    assert!(leftovers.is_empty(), "leftover staging dirs: {leftovers:?}");
    let tmp: Vec<_> = std::fs::read_dir(&ws.tmp).unwrap().flatten().collect();
    assert!(tmp.is_empty(), "capture files left in TMPDIR: {tmp:?}");
}

#[test]
fn first_run_writes_outputs_and_logs_start_and_end() {
    let ws = Ws::new();
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    // Silent on success (stderr is not a terminal here).
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{}",
        describe(&o)
    );
    assert!(ws.out.join("findings.json").is_file());
    assert!(ws.out.join("inputs.sha256").is_file());
    assert!(
        !ws.out.join("changes.md").exists(),
        "no previous run, no news"
    );
    assert_whole_output(&ws);

    let log = ws.log_text();
    let ev = events(&log);
    let (_, pid, first) = ev.first().expect("log has events");
    assert!(
        first.starts_with("start: ccg-divide rerun --root "),
        "{log}"
    );
    assert!(first.contains("--sensitivity-seeds 0"), "{log}");
    let (_, end_pid, last) = ev.last().unwrap();
    assert!(last.starts_with("end: exit 0 (ok"), "{log}");
    assert_eq!(pid, end_pid, "one run, one pid:\n{log}");
    assert!(ev.iter().all(|(_, p, _)| p == pid), "{log}");
    assert_eq!(count(&log, "lock acquired"), 1, "{log}");
    assert_eq!(count(&log, "analyse exited with status 0"), 1, "{log}");
    // The last line of the file is the end line, with an ISO-8601 UTC timestamp.
    let last_line = log.lines().last().unwrap();
    assert!(last_line.contains("end: exit 0"), "{log}");
    assert!(is_iso_utc(&last_line[..20]), "{last_line}");
    let year: u32 = last_line[..4].parse().unwrap();
    assert!(year >= 2024, "{last_line}");
    // analyse's own summary is kept in the log.
    let wrote = format!("wrote {} files to", common::OUTPUTS.len());
    assert!(log.contains(&wrote), "{log}");
}

#[test]
fn unchanged_inputs_are_skipped_changed_inputs_rerun_and_force_runs() {
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    let first = snapshot(&ws.out);

    // Unchanged: skipped, outputs untouched (bytes, mtimes, inodes).
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", describe(&o));
    let log = ws.log_text();
    assert_eq!(
        count(&log, "inputs unchanged since last successful run; skipping"),
        1
    );
    assert!(
        log.lines()
            .last()
            .unwrap()
            .contains("end: exit 0 (ok; skipped)"),
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited"), 1, "{log}");
    assert_eq!(
        snapshot(&ws.out),
        first,
        "a skipped run touched the outputs"
    );

    // A valid edit of conditions.csv: N01's support level 1 -> 5 changes its score.
    let cond = ws.data.join("conditions.csv");
    let before = std::fs::read_to_string(&cond).unwrap();
    let after = before.replace("N01,1.3B,1,false", "N01,1.3B,5,false");
    assert_ne!(before, after, "fixture changed; update this test");
    std::fs::write(&cond, after).unwrap();
    ws.assert_reruns(
        &format!(
            "inputs changed since last successful run: {} changed",
            cond.display()
        ),
        2,
    );
    let second = snapshot(&ws.out);
    let get =
        |s: &Snapshot, name: &str| -> Vec<u8> { s.iter().find(|e| e.0 == name).unwrap().1.clone() };
    assert_ne!(
        get(&first, "ccg_scores.csv"),
        get(&second, "ccg_scores.csv")
    );
    assert_ne!(get(&first, "inputs.sha256"), get(&second, "inputs.sha256"));
    assert_whole_output(&ws);

    // And once more unchanged: skipped again.
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 2);
    assert_eq!(snapshot(&ws.out), second);

    // --force runs although nothing changed: same bytes (fixed seed), new files.
    let o = ws.run(&["--force"]);
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", describe(&o));
    let log = ws.log_text();
    assert_eq!(
        count(&log, "--force given; running regardless of inputs"),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited with status 0"), 3, "{log}");
    let forced = snapshot(&ws.out);
    // The same bytes, but for the news: the edit changed figures, the forced run nothing.
    let news = |s: &Snapshot| s.iter().any(|e| e.0 == "changes.md");
    assert!(news(&second) && !news(&forced));
    let mut analysed = bytes_of(&second);
    analysed.retain(|(n, _)| *n != "changes.md");
    assert_eq!(bytes_of(&forced), analysed);
    let ino = |s: &Snapshot| s.iter().find(|e| e.0 == "findings.json").unwrap().3;
    assert_ne!(
        ino(&forced),
        ino(&second),
        "--force did not rewrite the outputs"
    );
    assert_whole_output(&ws);

    // A missing findings.json (an output folder tampered with) is no basis for a skip.
    std::fs::remove_file(ws.out.join("findings.json")).unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "previous output incomplete"), 1);
    assert_whole_output(&ws);
}

#[test]
fn added_and_removed_inputs_rerun_files_analyse_does_not_read_do_not() {
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    // Not inputs: a hidden file, a notes folder.
    std::fs::write(ws.data.join(".editor-swap"), "x").unwrap();
    std::fs::create_dir(ws.data.join("notes")).unwrap();
    std::fs::write(ws.data.join("notes/readme.txt"), "x").unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);

    // An added input (calibration.json, which analyse reads when present) reruns.
    let calibration = ws.data.join("calibration.json");
    let repo_data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    std::fs::copy(repo_data.join("calibration.json"), &calibration).unwrap();
    ws.assert_reruns(
        &format!("last successful run did not read {}", calibration.display()),
        2,
    );
    let manifest = std::fs::read_to_string(ws.out.join("inputs.sha256")).unwrap();
    assert!(
        manifest.contains(&calibration.display().to_string()),
        "{manifest}"
    );
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 2);

    // A removed one reruns too.
    std::fs::remove_file(&calibration).unwrap();
    ws.assert_reruns(
        &format!(
            "last successful run read {}, which is no input now",
            calibration.display()
        ),
        3,
    );
    assert_whole_output(&ws);
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 3);
}

#[test]
fn xlsx_data_folders_are_seen_as_unchanged_and_changed() {
    // The drift this command ends: a data folder holding ccgs.xlsx was never "unchanged".
    let ws = Ws::new();
    common::write_workbook(
        &ws.data.join("ccgs.csv"),
        &ws.data.join("ccgs.xlsx"),
        "ccgs",
    );
    common::write_workbook(
        &ws.data.join("conditions.csv"),
        &ws.data.join("conditions.xlsx"),
        "Sheet1",
    );
    std::fs::remove_file(ws.data.join("ccgs.csv")).unwrap();
    std::fs::remove_file(ws.data.join("conditions.csv")).unwrap();
    assert_exit(&ws.run(&[]), 0);
    let manifest = std::fs::read_to_string(ws.out.join("inputs.sha256")).unwrap();
    assert!(manifest.contains("/data/ccgs.xlsx\n"), "{manifest}");
    assert!(manifest.contains("/data/conditions.xlsx\n"), "{manifest}");
    let first = snapshot(&ws.out);
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", describe(&o));
    assert_eq!(count(&ws.log_text(), "; skipping"), 1, "{}", ws.log_text());
    assert_eq!(snapshot(&ws.out), first);

    // A CSV saved beside the workbook is what analyse reads from then on: a rerun.
    std::fs::copy(common::fixture().join("ccgs.csv"), ws.data.join("ccgs.csv")).unwrap();
    assert_exit(&ws.run(&[]), 0);
    let log = ws.log_text();
    assert_eq!(count(&log, "last successful run did not read"), 1, "{log}");
    assert_eq!(count(&log, "analyse exited with status 0"), 2, "{log}");
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 2);
}

/// Every file analyse read, as it records them, for a data directory.
fn files_read(data: &Path, weights: Option<&Path>) -> Vec<PathBuf> {
    let inputs = read::load(data, weights).unwrap();
    let published = Published::load_if_present(data).unwrap();
    inputs
        .files
        .iter()
        .chain(published.iter().flat_map(|p| &p.files))
        .map(|f| f.path.clone())
        .collect()
}

#[test]
fn the_rerun_check_lists_exactly_the_files_analyse_reads() {
    // The default data: conditions from reconstructed/, ccg_outcomes.csv, area_teams.csv,
    // calibration.json and every published file.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let listed = InputPaths::of(&data, None).list();
    assert_eq!(listed, files_read(&data, None));
    for f in [
        "reconstructed/conditions.csv",
        "reconstructed/ccg_outcomes.csv",
        "area_teams.csv",
        "calibration.json",
        "published/later_rating_groups.csv",
        "published/csu_evidence.csv",
    ] {
        assert!(listed.contains(&data.join(f)), "{f} not listed: {listed:?}");
    }
    // With other weights.
    let weights = common::fixture().join("weights.toml");
    assert_eq!(
        InputPaths::of(&data, Some(&weights)).list(),
        files_read(&data, Some(&weights))
    );

    // The fixture as CSV, then as workbooks.
    let ws = Ws::new();
    assert_eq!(
        InputPaths::of(&ws.data, None).list(),
        files_read(&ws.data, None)
    );
    assert_eq!(InputPaths::of(&ws.data, None).list().len(), 3);
    for (name, sheet) in [("ccgs", "ccgs"), ("conditions", "Sheet1")] {
        let csv = ws.data.join(format!("{name}.csv"));
        common::write_workbook(&csv, &ws.data.join(format!("{name}.xlsx")), sheet);
        std::fs::remove_file(csv).unwrap();
    }
    let listed = InputPaths::of(&ws.data, None).list();
    assert_eq!(listed, files_read(&ws.data, None));
    assert_eq!(
        listed,
        ["ccgs.xlsx", "conditions.xlsx", "weights.toml"].map(|f| ws.data.join(f))
    );
}

#[test]
fn symlinked_data_dir_is_checked_through_the_link() {
    // data -> store: a common deployment.
    let ws = Ws::new();
    let store = ws.path().join("store");
    std::fs::rename(&ws.data, &store).unwrap();
    std::os::unix::fs::symlink(&store, &ws.data).unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);

    // An edit made in the store is seen through the link.
    let weights = store.join("weights.toml");
    let text = std::fs::read_to_string(&weights).unwrap();
    std::fs::write(&weights, format!("{text}# edited\n")).unwrap();
    ws.assert_reruns(
        &format!(
            "inputs changed since last successful run: {} changed",
            ws.data.join("weights.toml").display()
        ),
        2,
    );
}

#[test]
fn invalid_input_exits_3_with_one_line_and_keeps_previous_outputs() {
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    let good = snapshot(&ws.out);

    let ccgs = ws.data.join("ccgs.csv");
    let original = std::fs::read(&ccgs).unwrap();
    let text_before = String::from_utf8(original.clone()).unwrap();
    // Line 3 is N02; its population (column 6) becomes non-numeric.
    let bad = text_before.replace(",200000,25,", ",lots,25,");
    assert_ne!(bad, text_before, "fixture changed; update this test");
    std::fs::write(&ccgs, bad).unwrap();

    let o = ws.run(&[]);
    assert_exit(&o, 3);
    assert!(o.stdout.is_empty(), "{}", describe(&o));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "one summary line expected:\n{err}");
    assert!(err.ends_with('\n'), "{err:?}");
    assert!(err.contains("exit 3 (invalid input data)"), "{err}");
    assert!(
        err.contains(&format!("{}: line 3", ccgs.display())),
        "{err}"
    );
    assert!(err.contains("population"), "{err}");
    assert!(
        err.contains(&ws.log.display().to_string()),
        "names the log: {err}"
    );
    let log = ws.log_text();
    assert!(log.contains("error: "), "{log}");
    assert!(log.lines().last().unwrap().contains("end: exit 3"), "{log}");
    // The previous outputs are byte-identical (and were not replaced at all).
    assert_eq!(snapshot(&ws.out), good);
    assert_whole_output(&ws);

    // A failed run leaves the manifest of the last good run: fixing the file (back to the
    // bytes that run read) means nothing changed since, so the next run is skipped.
    std::fs::write(&ccgs, &original).unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);
    assert_eq!(snapshot(&ws.out), good);
}

#[test]
fn unusable_ccg_divide_bin_exits_5() {
    let ws = Ws::new();
    let not_exec = ws.path().join("not-executable");
    std::fs::write(&not_exec, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&not_exec, std::fs::Permissions::from_mode(0o644)).unwrap();
    let missing = ws.path().join("missing");
    let a_dir = ws.path().join("data");
    for bin in [&not_exec, &missing, &a_dir] {
        let o = ws.cmd(&[]).env("CCG_DIVIDE_BIN", bin).output().unwrap();
        assert_exit(&o, 5);
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("exit 5 (build failed)"), "{err}");
        assert!(
            err.contains(&format!(
                "CCG_DIVIDE_BIN={} is not an executable file",
                bin.display()
            )),
            "{err}"
        );
        assert!(!ws.out.exists(), "no output expected");
    }
    // Without a binary there is nothing to keep the log or take the lock: stderr says it all.
    assert!(!ws.log.exists() && !ws.lock.exists());
}

#[test]
fn relative_paths_env_defaults_and_default_lock() {
    // Relative options, RERUN_LOG and CCG_DIVIDE_BIN are taken relative to where the script is
    // run; the lock defaults to OUTPUT-DIR.lock beside the output directory.
    let ws = Ws::new();
    std::fs::create_dir(ws.path().join("bin")).unwrap();
    std::os::unix::fs::symlink(BIN, ws.path().join("bin/ccg-divide")).unwrap();
    let run = || {
        bare_cmd(ws.path(), &ws.tmp)
            .env("CCG_DIVIDE_BIN", "bin/ccg-divide")
            .env("RERUN_LOG", "env-logs/run.log")
            .args(["--data-dir", "./data/", "--output-dir", "results", "--"])
            .args(FAST)
            .output()
            .unwrap()
    };
    let o = run();
    assert_exit(&o, 0);
    assert!(ws.path().join("results/findings.json").is_file());
    assert!(
        ws.path().join("results.lock").is_file(),
        "default lock file"
    );
    let log = std::fs::read_to_string(ws.path().join("env-logs/run.log")).unwrap();
    assert_eq!(count(&log, "analyse exited with status 0"), 1, "{log}");
    let lock = ws.path().join("results.lock");
    assert_eq!(
        count(&log, &format!("lock acquired: {}", lock.display())),
        1,
        "{log}"
    );
    // The manifest records the paths given to analyse, so the same relative options from the
    // same directory are recognised as unchanged.
    assert_exit(&run(), 0);
    let log = std::fs::read_to_string(ws.path().join("env-logs/run.log")).unwrap();
    assert_eq!(count(&log, "; skipping"), 1, "{log}");

    // RERUN_LOCK is the default for --lock.
    let o = bare_cmd(ws.path(), &ws.tmp)
        .env("RERUN_LOCK", "env.lock")
        .args(["--force", "--log", "other.log", "--data-dir", "data"])
        .args(["--output-dir", "results", "--"])
        .args(FAST)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    assert!(ws.path().join("env.lock").is_file());
    let log = std::fs::read_to_string(ws.path().join("other.log")).unwrap();
    assert_eq!(count(&log, "analyse exited with status 0"), 1, "{log}");
}

#[test]
fn no_wait_exits_75_while_another_run_holds_the_lock() {
    let ws = Ws::new();
    let gate = ws.gate();
    let first = ws.spawn(&[]);
    // The first run holds the lock and is inside analyse (held at the gate).
    wait_until("the first run to start analyse", || {
        count(&ws.log_text(), "running: ") == 1
    });

    let o = ws.run(&["--no-wait"]);
    assert_exit(&o, 75);
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("another rerun is in progress"), "{err}");
    assert!(err.contains(&ws.lock.display().to_string()), "{err}");
    let log = ws.log_text();
    assert_eq!(count(&log, "exiting (--no-wait)"), 1, "{log}");
    assert_eq!(count(&log, "end: exit 75 (lock busy)"), 1, "{log}");
    assert!(!ws.out.exists(), "the refused run must not write output");

    gate.open();
    let o = first.wait_with_output().unwrap();
    assert_exit(&o, 0);
    assert_whole_output(&ws);

    // With the lock free again, --no-wait runs normally (and skips: nothing changed).
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);
}

#[test]
fn an_external_lock_holder_blocks_no_wait_runs_and_is_waited_for() {
    // Anyone holding the lock file's lock (here this test) counts as a run in progress.
    let ws = Ws::new();
    let held = ws.hold_lock();
    assert_exit(&ws.run(&["--no-wait"]), 75);
    assert!(!ws.out.exists());
    // Without --no-wait the run waits, and goes on once the lock is let go.
    let waiter = ws.spawn(&[]);
    wait_until("the run to wait for the lock", || {
        count(&ws.log_text(), "is held by another run; waiting") == 1
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!ws.out.exists(), "ran while the lock was held");
    assert_eq!(count(&ws.log_text(), "lock acquired"), 0);
    drop(held);
    let o = waiter.wait_with_output().unwrap();
    assert_exit(&o, 0);
    let log = ws.log_text();
    assert_eq!(count(&log, "waited "), 1, "{log}");
    assert_eq!(count(&log, "analyse exited with status 0"), 1, "{log}");
    assert_whole_output(&ws);
    assert!(ws.lock_is_free());
    assert_exit(&ws.run(&["--no-wait"]), 0);
}

#[test]
fn simultaneous_runs_serialise_on_the_lock() {
    let ws = Ws::new();
    let gate = ws.gate();
    let a = ws.spawn(&[]);
    let b = ws.spawn(&[]);
    // One run is in analyse (held at the gate), the other is blocked on the lock.
    wait_until("one run in analyse and one waiting for the lock", || {
        let log = ws.log_text();
        count(&log, "running: ") == 1 && count(&log, "; waiting") == 1
    });
    gate.open();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_exit(&a, 0);
    assert_exit(&b, 0);
    assert!(a.stderr.is_empty() && b.stderr.is_empty());

    let log = ws.log_text();
    let ev = events(&log);
    // The run that waited is the one that then found the inputs unchanged and skipped.
    let waiter = ev
        .iter()
        .find(|(_, _, m)| m.ends_with("is held by another run; waiting"))
        .map(|(_, p, _)| *p)
        .expect("a waiting line");
    let runner = ev
        .iter()
        .find(|(_, _, m)| m.starts_with("running: "))
        .map(|(_, p, _)| *p)
        .unwrap();
    assert_ne!(waiter, runner, "{log}");
    let said = |pid: &str, what: &str| ev.iter().any(|(_, p, m)| *p == pid && m.contains(what));
    assert!(said(waiter, "waited "), "{log}");
    assert!(
        said(
            waiter,
            "inputs unchanged since last successful run; skipping"
        ),
        "{log}"
    );
    assert!(said(runner, "analyse exited with status 0"), "{log}");
    assert_eq!(count(&log, "analyse exited"), 1, "{log}");
    assert_eq!(count(&log, "end: exit 0"), 2, "{log}");
    // The waiter acquired the lock only after the runner ended.
    let pos = |pid: &str, what: &str| {
        ev.iter()
            .position(|(_, p, m)| *p == pid && m.starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` from {pid}:\n{log}"))
    };
    assert!(
        pos(runner, "end: exit 0") < pos(waiter, "lock acquired"),
        "{log}"
    );
    assert_whole_output(&ws);
}

#[test]
fn usage_errors_exit_2() {
    let ws = Ws::new();
    for args in [
        &["--bogus"][..],
        &["--log"][..],
        &["--lock="][..],
        &["--force", "extra"][..],
    ] {
        let o = bare_cmd(ws.path(), &ws.tmp).args(args).output().unwrap();
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("--help"), "{err}");
    }
    let err = text(
        &bare_cmd(ws.path(), &ws.tmp)
            .arg("--bogus")
            .output()
            .unwrap()
            .stderr,
    );
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    // A lock (or log) inside the output directory would be swapped away with it: refused.
    for opt in ["--lock", "--log"] {
        let inside = ws.out.join("rerun.lock");
        let o = bare_cmd(ws.path(), &ws.tmp)
            .arg("--output-dir")
            .arg(&ws.out)
            .arg(opt)
            .arg(&inside)
            .output()
            .unwrap();
        assert_exit(&o, 2);
        assert!(
            text(&o.stderr).contains("inside the output directory"),
            "{}",
            describe(&o)
        );
    }
    // Nothing ran and nothing was written.
    assert!(!ws.log.exists() && !ws.out.exists() && !ws.lock.exists());
    assert!(!ws.path().join("logs").exists());

    let o = bare_cmd(ws.path(), &ws.tmp).arg("--help").output().unwrap();
    assert_exit(&o, 0);
    let help = text(&o.stdout);
    assert!(help.contains("Usage: ccg-divide rerun"), "{}", describe(&o));
    for opt in ["--force", "--no-wait", "--log", "--lock", "--data-dir"] {
        assert!(help.contains(opt), "{opt} missing from help:\n{help}");
    }
    // cron runs the script directly, so it must be executable with a working shebang.
    let mode = std::fs::metadata(script()).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "scripts/rerun.sh is not executable: {mode:o}"
    );
    let o = Command::new(script())
        .arg("--help")
        .env("CCG_DIVIDE_BIN", BIN)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let lines = std::fs::read_to_string(script()).unwrap().lines().count();
    assert!(lines < 40, "scripts/rerun.sh has {lines} lines");

    // A usage error of analyse itself (an unknown argument after `--`) is also exit 2.
    let o = ws.cmd(&[]).arg("--no-such-flag").output().unwrap();
    assert_exit(&o, 2);
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("exit 2 (usage error)"), "{err}");
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(!ws.out.exists());
}

fn send(signal: libc::c_int, child: &Child) {
    // SAFETY: a signal to a child of this process that has not been waited for.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn sigterm_during_analyse_stops_it_and_exits_143_at_once() {
    let ws = Ws::new();
    let gate = ws.gate();
    let run = ws.spawn(&[]);
    wait_until("the run to start analyse", || {
        count(&ws.log_text(), "running: ") == 1
    });
    let sent = Instant::now();
    send(libc::SIGTERM, &run);
    // Analyse is still held at the gate: the run must not wait for it to finish.
    let o = run.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_exit(&o, 143);
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("interrupted by SIGTERM"), "{err}");
    let log = ws.log_text();
    assert_eq!(count(&log, "interrupted by SIGTERM"), 1, "{log}");
    assert!(
        log.lines().last().unwrap().contains("end: exit 143"),
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited"), 0, "{log}");

    // analyse stopped with it: nothing was written, and the lock is free.
    gate.close();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !ws.out.exists(),
        "analyse kept running after the rerun was killed"
    );
    assert!(ws.lock_is_free());
    let tmp: Vec<_> = std::fs::read_dir(&ws.tmp).unwrap().flatten().collect();
    assert!(tmp.is_empty(), "files left in TMPDIR: {tmp:?}");
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_whole_output(&ws);
}

#[test]
fn sigterm_while_waiting_for_the_lock_exits_143_at_once() {
    let ws = Ws::new();
    let gate = ws.gate();
    let holder = ws.spawn(&[]);
    wait_until("the first run to start analyse", || {
        count(&ws.log_text(), "running: ") == 1
    });
    let waiter = ws.spawn(&[]);
    let waiter_pid = waiter.id().to_string();
    wait_until("the second run to wait for the lock", || {
        count(&ws.log_text(), "; waiting") == 1
    });
    send(libc::SIGTERM, &waiter);
    let o = waiter.wait_with_output().unwrap();
    assert_exit(&o, 143);
    // It gave up while the lock was still held: the holder has not finished.
    let log = ws.log_text();
    assert_eq!(count(&log, "analyse exited"), 0, "{log}");
    assert!(
        events(&log)
            .iter()
            .any(|(_, p, m)| *p == waiter_pid && *m == "interrupted by SIGTERM"),
        "{log}"
    );

    gate.open();
    assert_exit(&holder.wait_with_output().unwrap(), 0);
    assert_whole_output(&ws);
}

#[test]
fn a_run_killed_mid_analyse_leaves_the_outputs_whole_and_the_lock_free() {
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    let good = snapshot(&ws.out);
    // A large synthetic input keeps analyse busy for a few seconds.
    let synth = ws.path().join("synth");
    let o = Command::new(BIN)
        .args(["synth", "--n", "100000", "--out"])
        .arg(&synth)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let keep = ws.path().join("fixture");
    std::fs::rename(&ws.data, &keep).unwrap();
    std::fs::rename(&synth, &ws.data).unwrap();

    let mut run = ws.spawn(&[]);
    // Mid-analyse: inputs read, its staging directory beside output/ being written.
    let staging = ws.path().join(format!(".output.tmp-{}", run.id()));
    wait_until("analyse to start writing", || staging.is_dir());
    run.kill().unwrap();
    let status = run.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let log = ws.log_text();
    assert_eq!(
        count(&log, "analyse exited"),
        1,
        "only the first run's:\n{log}"
    );

    // The previous outputs, untouched; the lock went with the process.
    assert_eq!(snapshot(&ws.out), good, "a killed run touched output/");
    assert!(ws.lock_is_free(), "the lock is still held");

    // The inputs back as the last good run read them: nothing to do.
    std::fs::remove_dir_all(&ws.data).unwrap();
    std::fs::rename(&keep, &ws.data).unwrap();
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);
    assert_eq!(snapshot(&ws.out), good);
    // The next real run clears what the killed one left.
    assert_exit(&ws.run(&["--force"]), 0);
    assert_whole_output(&ws);
    assert!(!staging.exists());
}

#[test]
fn changed_verdicts_and_figures_are_news_and_nothing_else_is() {
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    let changes = ws.out.join("changes.md");

    // A changed input that changes no claim: silent, no changes.md.
    let weights = ws.data.join("weights.toml");
    let text0 = std::fs::read_to_string(&weights).unwrap();
    std::fs::write(&weights, format!("{text0}# a comment\n")).unwrap();
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    assert!(
        o.stderr.is_empty() && o.stdout.is_empty(),
        "{}",
        describe(&o)
    );
    assert!(!changes.exists());
    let log = ws.log_text();
    assert_eq!(count(&log, "analyse exited with status 0"), 2, "{log}");
    assert_eq!(
        count(&log, "no claim's verdict or headline figure changed"),
        1,
        "{log}"
    );

    // Steeper weights: the CSU ratio goes from NOT reproduced to reproduced, figures move.
    let steeper = text0.replace("3 = 4\n", "3 = 40\n");
    assert_ne!(steeper, text0, "fixture changed; update this test");
    std::fs::write(&weights, steeper).unwrap();
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.out.join("findings.json")).unwrap()).unwrap();
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    assert!(o.stdout.is_empty(), "{}", describe(&o));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "one line on stderr:\n{err}");
    assert!(err.contains("change(s) to claims"), "{err}");
    assert!(err.contains(&changes.display().to_string()), "{err}");
    assert!(err.contains(&ws.log.display().to_string()), "{err}");
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.out.join("findings.json")).unwrap()).unwrap();
    let claim = |v: &serde_json::Value, field: &str| -> String {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "csu_ratio")
            .unwrap()[field]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (v0, v1) = (
        claim(&before, "verdict_words"),
        claim(&after, "verdict_words"),
    );
    let (f0, f1) = (claim(&before, "ours"), claim(&after, "ours"));
    assert_ne!(v0, v1);
    assert_ne!(f0, f1);
    let md = std::fs::read_to_string(&changes).unwrap();
    assert!(
        md.contains(&format!("| csu_ratio | verdict | {v0} | {v1} |")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| csu_ratio | figure | {f0} | {f1} |")),
        "{md}"
    );
    let log = ws.log_text();
    assert_eq!(count(&log, "news: "), 1, "{log}");
    assert_eq!(
        count(&log, &format!("csu_ratio verdict: {v0} → {v1}")),
        1,
        "{log}"
    );
    assert_eq!(
        count(&log, &format!("csu_ratio figure: {f0} → {f1}")),
        1,
        "{log}"
    );
    assert!(
        log.lines().last().unwrap().contains("end: exit 0 (ok"),
        "{log}"
    );

    // Skipped, then rerun with nothing new: silent again, and the old news goes with the old
    // outputs.
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", describe(&o));
    assert!(
        changes.exists(),
        "a skipped run keeps the outputs as they were"
    );
    let o = ws.run(&["--force"]);
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", describe(&o));
    assert!(!changes.exists());
    assert_eq!(count(&ws.log_text(), "news: "), 1);
}
