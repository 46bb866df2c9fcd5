//! Tests of `scripts/rerun.sh`, the cron wrapper around `ccg-divide analyse`: exit codes, the
//! log, the skip-if-unchanged manifest check and the lock. Each test works in its own temp dir
//! with a copy of the small fixture and runs the script with bash, pointing CCG_DIVIDE_BIN at
//! the test build so the script never runs cargo.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_ccg-divide");

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

/// The script needs flock(1) (util-linux); without it these tests print a note and pass.
fn have_flock(test: &str) -> bool {
    let found = Command::new("bash")
        .args(["-c", "command -v flock"])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        eprintln!("note: flock not found on PATH; skipping {test}");
    }
    found
}

/// A temp dir holding `data/` (a copy of the fixture), and the paths the script is given.
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
    /// from the temp dir with a clean environment for the script's own variables.
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

    fn spawn(&self, opts: &[&str], bin: &Path) -> Child {
        self.cmd(opts)
            .env("CCG_DIVIDE_BIN", bin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A stand-in for the binary that waits until `open_gate` is called, then execs the real
    /// one: it keeps a run inside its critical section for as long as a test needs. It gives up
    /// (exit 1) after 30 s so a broken test cannot hang.
    fn gated_bin(&self) -> PathBuf {
        let path = self.path().join("gated-ccg-divide");
        let gate = self.path().join("gate");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n\
                 i=0\n\
                 while [ ! -e '{gate}' ]; do\n\
                 \x20   i=$((i + 1))\n\
                 \x20   if [ $i -gt 600 ]; then echo 'gate never opened' >&2; exit 1; fi\n\
                 \x20   sleep 0.05\n\
                 done\n\
                 exec '{BIN}' \"$@\"\n",
                gate = gate.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn open_gate(&self) {
        std::fs::write(self.path().join("gate"), "").unwrap();
    }
}

/// The script run from `cwd` with CCG_DIVIDE_BIN set to the test build, RERUN_LOG/RERUN_LOCK
/// unset and TMPDIR (where it keeps a capture of analyse's output) set to `tmp`.
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
    if !have_flock("first_run_writes_outputs_and_logs_start_and_end") {
        return;
    }
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
    assert_whole_output(&ws);

    let log = ws.log_text();
    let ev = events(&log);
    let (_, pid, first) = ev.first().expect("log has events");
    assert!(first.starts_with("start: rerun.sh "), "{log}");
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
    if !have_flock("unchanged_inputs_are_skipped_changed_inputs_rerun_and_force_runs") {
        return;
    }
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
    let o = ws.run(&[]);
    assert_exit(&o, 0);
    let log = ws.log_text();
    assert_eq!(
        count(&log, "inputs changed since last successful run"),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited with status 0"), 2, "{log}");
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
    let log = ws.log_text();
    assert_eq!(
        count(&log, "--force given; running regardless of inputs"),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited with status 0"), 3, "{log}");
    let forced = snapshot(&ws.out);
    assert_eq!(bytes_of(&forced), bytes_of(&second));
    let ino = |s: &Snapshot| s.iter().find(|e| e.0 == "findings.json").unwrap().3;
    assert_ne!(
        ino(&forced),
        ino(&second),
        "--force did not rewrite the outputs"
    );
    assert_whole_output(&ws);
}

#[test]
fn new_files_in_the_data_dir_trigger_a_rerun_hidden_ones_do_not() {
    if !have_flock("new_files_in_the_data_dir_trigger_a_rerun_hidden_ones_do_not") {
        return;
    }
    let ws = Ws::new();
    assert_exit(&ws.run(&[]), 0);
    std::fs::write(ws.data.join(".editor-swap"), "x").unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);

    std::fs::create_dir(ws.data.join("notes")).unwrap();
    std::fs::write(ws.data.join("notes/readme.txt"), "x").unwrap();
    assert_exit(&ws.run(&[]), 0);
    let log = ws.log_text();
    assert_eq!(
        count(
            &log,
            "notes/readme.txt is newer than the last successful run"
        ),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited with status 0"), 2, "{log}");
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 2);
}

#[test]
fn symlinked_data_dir_is_searched_for_new_files() {
    if !have_flock("symlinked_data_dir_is_searched_for_new_files") {
        return;
    }
    // data -> store: a common deployment; find must follow the link to see new files.
    let ws = Ws::new();
    let store = ws.path().join("store");
    std::fs::rename(&ws.data, &store).unwrap();
    std::os::unix::fs::symlink(&store, &ws.data).unwrap();
    assert_exit(&ws.run(&[]), 0);
    assert_exit(&ws.run(&[]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);

    std::fs::write(store.join("notes.txt"), "x").unwrap();
    assert_exit(&ws.run(&[]), 0);
    let log = ws.log_text();
    assert_eq!(
        count(&log, "notes.txt is newer than the last successful run"),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "analyse exited with status 0"), 2, "{log}");
}

#[test]
fn invalid_input_exits_3_with_one_line_and_keeps_previous_outputs() {
    if !have_flock("invalid_input_exits_3_with_one_line_and_keeps_previous_outputs") {
        return;
    }
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
    if !have_flock("unusable_ccg_divide_bin_exits_5") {
        return;
    }
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
    assert_eq!(count(&ws.log_text(), "end: exit 5"), 3);
}

#[test]
fn relative_paths_env_defaults_and_default_lock() {
    if !have_flock("relative_paths_env_defaults_and_default_lock") {
        return;
    }
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
    if !have_flock("no_wait_exits_75_while_another_run_holds_the_lock") {
        return;
    }
    let ws = Ws::new();
    let gated = ws.gated_bin();
    let first = ws.spawn(&[], &gated);
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

    ws.open_gate();
    let o = first.wait_with_output().unwrap();
    assert_exit(&o, 0);
    assert_whole_output(&ws);

    // With the lock free again, --no-wait runs normally (and skips: nothing changed).
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_eq!(count(&ws.log_text(), "; skipping"), 1);
}

#[test]
fn an_external_lock_holder_blocks_no_wait_runs() {
    if !have_flock("an_external_lock_holder_blocks_no_wait_runs") {
        return;
    }
    // Anyone holding flock on the lock file (here flock(1) itself) counts as a run in progress.
    let ws = Ws::new();
    let gate = ws.path().join("gate");
    let mut holder = Command::new("flock")
        .arg(&ws.lock)
        .args([
            "sh",
            "-c",
            "i=0; while [ ! -e \"$1\" ] && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.05; done",
            "sh",
        ])
        .arg(&gate)
        .spawn()
        .unwrap();
    wait_until("flock to take the lock", || {
        !Command::new("flock")
            .args(["--nonblock"])
            .arg(&ws.lock)
            .arg("true")
            .status()
            .unwrap()
            .success()
    });
    assert_exit(&ws.run(&["--no-wait"]), 75);
    ws.open_gate();
    assert!(holder.wait().unwrap().success());
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_whole_output(&ws);
}

#[test]
fn simultaneous_runs_serialise_on_the_lock() {
    if !have_flock("simultaneous_runs_serialise_on_the_lock") {
        return;
    }
    let ws = Ws::new();
    let gated = ws.gated_bin();
    let a = ws.spawn(&[], &gated);
    let b = ws.spawn(&[], &gated);
    // One run is in analyse (held at the gate), the other is blocked on the lock.
    wait_until("one run in analyse and one waiting for the lock", || {
        let log = ws.log_text();
        count(&log, "running: ") == 1 && count(&log, "; waiting") == 1
    });
    ws.open_gate();
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
        assert!(err.starts_with("rerun.sh: "), "{err}");
        assert!(err.contains("--help"), "{err}");
    }
    let err = text(
        &bare_cmd(ws.path(), &ws.tmp)
            .arg("--bogus")
            .output()
            .unwrap()
            .stderr,
    );
    assert!(err.contains("unknown argument '--bogus'"), "{err}");
    // A lock inside the output directory would be swapped away with it: refused.
    let inside = ws.out.join("rerun.lock");
    let o = bare_cmd(ws.path(), &ws.tmp)
        .arg("--output-dir")
        .arg(&ws.out)
        .arg("--lock")
        .arg(&inside)
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(
        text(&o.stderr).contains("inside the output directory"),
        "{}",
        describe(&o)
    );
    // Nothing ran and nothing was written.
    assert!(!ws.log.exists() && !ws.out.exists() && !ws.lock.exists());

    let o = bare_cmd(ws.path(), &ws.tmp).arg("--help").output().unwrap();
    assert_exit(&o, 0);
    assert!(
        text(&o.stdout).starts_with("Usage: scripts/rerun.sh"),
        "{}",
        describe(&o)
    );
    // cron runs the script directly, so it must be executable with a working shebang.
    let mode = std::fs::metadata(script()).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "scripts/rerun.sh is not executable: {mode:o}"
    );
    let o = Command::new(script()).arg("--help").output().unwrap();
    assert_exit(&o, 0);

    // A usage error of analyse itself (an unknown argument after `--`) is also exit 2.
    if have_flock("usage_errors_exit_2 (analyse part)") {
        let o = ws.cmd(&[]).arg("--no-such-flag").output().unwrap();
        assert_exit(&o, 2);
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("exit 2 (usage error)"), "{err}");
        assert!(err.contains("--no-such-flag"), "{err}");
        assert!(!ws.out.exists());
    }
}

fn send_term(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {}", child.id());
}

#[test]
fn sigterm_during_analyse_stops_it_and_exits_143_at_once() {
    if !have_flock("sigterm_during_analyse_stops_it_and_exits_143_at_once") {
        return;
    }
    let ws = Ws::new();
    let gated = ws.gated_bin();
    let run = ws.spawn(&[], &gated);
    wait_until("the run to start analyse", || {
        count(&ws.log_text(), "running: ") == 1
    });
    let sent = Instant::now();
    send_term(&run);
    // Analyse is still held at the gate: the script must not wait for it to finish.
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

    // analyse was stopped too: opening the gate now lets nothing through.
    ws.open_gate();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !ws.out.exists(),
        "analyse kept running after rerun.sh was killed"
    );
    // The lock was released and the capture file removed.
    let tmp: Vec<_> = std::fs::read_dir(&ws.tmp).unwrap().flatten().collect();
    assert!(tmp.is_empty(), "capture files left in TMPDIR: {tmp:?}");
    assert_exit(&ws.run(&["--no-wait"]), 0);
    assert_whole_output(&ws);
}

#[test]
fn sigterm_while_waiting_for_the_lock_exits_143_at_once() {
    if !have_flock("sigterm_while_waiting_for_the_lock_exits_143_at_once") {
        return;
    }
    let ws = Ws::new();
    let gated = ws.gated_bin();
    let holder = ws.spawn(&[], &gated);
    wait_until("the first run to start analyse", || {
        count(&ws.log_text(), "running: ") == 1
    });
    let waiter = ws.spawn(&[], &gated);
    let waiter_pid = waiter.id().to_string();
    wait_until("the second run to wait for the lock", || {
        count(&ws.log_text(), "; waiting") == 1
    });
    send_term(&waiter);
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

    ws.open_gate();
    assert_exit(&holder.wait_with_output().unwrap(), 0);
    assert_whole_output(&ws);
}
