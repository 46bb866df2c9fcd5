//! `ccg-divide rerun`: the cron job. Takes a lock, skips the run when the inputs are unchanged
//! since the last successful one, runs `analyse` in-process, keeps a timestamped log, and tells
//! cron (one line on stderr) only of a failure or of news: a claim whose verdict or headline
//! figure changed. `scripts/rerun.sh` builds the binary and execs this.

use super::analyse::{self, Line};
use ccg_divide::commands::rerun::{self as decide, CHANGES, FINDINGS};
use ccg_divide::error::{exit, exit_code};
use ccg_divide::pipeline;
use clap::Parser;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{IsTerminal, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Another rerun holds the lock and --no-wait was given (EX_TEMPFAIL).
pub const LOCKED: i32 = 75;

#[derive(clap::Args)]
#[command(after_help = "\
Relative paths given as options (or in RERUN_LOG / RERUN_LOCK) are taken from the directory you run \
in; the defaults are relative to --root (scripts/rerun.sh passes the project root).

Inputs count as unchanged when OUTPUT-DIR/inputs.sha256 (written by analyse on success) lists \
exactly the files analyse would read now (ccgs.csv or .xlsx, conditions in DATA-DIR or \
DATA-DIR/reconstructed, ccg_outcomes.csv, the weights, area_teams.csv, calibration.json, \
published/), every one still has the recorded hash, and OUTPUT-DIR/findings.json exists.

When a run changes a claim's verdict or headline figure against the previous findings.json, \
the changes go to the log and to OUTPUT-DIR/changes.md, and one line to stderr.

Exit codes: 0 ok or skipped; 1 unexpected failure; 2 usage error; 3 invalid input data; \
4 output cannot be written; 75 lock busy with --no-wait; 128+N killed by signal N. \
Silent on success; on failure one summary line goes to stderr (cron mails it). Details in the log.")]
pub struct Args {
    /// Run even if the inputs are unchanged.
    #[arg(long)]
    force: bool,
    /// If another rerun holds the lock, exit 75 at once instead of waiting.
    #[arg(long)]
    no_wait: bool,
    /// Append the run log here [default: $RERUN_LOG or ROOT/logs/rerun.log].
    #[arg(long, value_name = "FILE", value_parser = non_empty)]
    log: Option<PathBuf>,
    /// Lock file [default: $RERUN_LOCK or OUTPUT-DIR.lock, e.g. output.lock].
    #[arg(long, value_name = "FILE", value_parser = non_empty)]
    lock: Option<PathBuf>,
    /// Passed to analyse [default: ROOT/data].
    #[arg(long, value_name = "DIR", value_parser = non_empty)]
    data_dir: Option<PathBuf>,
    /// Passed to analyse [default: ROOT/output].
    #[arg(long, value_name = "DIR", value_parser = non_empty)]
    output_dir: Option<PathBuf>,
    /// Passed to analyse [default: DATA-DIR/weights.toml].
    #[arg(long, value_name = "FILE", value_parser = non_empty)]
    weights: Option<PathBuf>,
    /// Where the defaults live [default: the current directory].
    #[arg(long, value_name = "DIR", value_parser = non_empty)]
    root: Option<PathBuf>,
    /// Further arguments for analyse (e.g. --sensitivity-seeds 50); they are not part of the
    /// "inputs unchanged" check, so use --force after changing them.
    #[arg(last = true, value_name = "ANALYSE-ARGS")]
    analyse_args: Vec<String>,
}

fn non_empty(s: &str) -> Result<PathBuf, String> {
    if s.is_empty() {
        Err("a non-empty value is needed".into())
    } else {
        Ok(PathBuf::from(s))
    }
}

/// `analyse`'s arguments, parsed as its own command line would be.
#[derive(Parser)]
#[command(name = "ccg-divide analyse")]
struct AnalyseLine {
    #[command(flatten)]
    args: analyse::Args,
}

/// Every path the run uses, absolute.
struct Paths {
    root: PathBuf,
    data: PathBuf,
    output: PathBuf,
    weights: Option<PathBuf>,
    log: PathBuf,
    lock: PathBuf,
}

impl Paths {
    fn of(args: &Args) -> std::io::Result<Paths> {
        let cwd = std::env::current_dir()?;
        let user = |p: &Path| normal(&cwd.join(p));
        let env = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let root = user(args.root.as_deref().unwrap_or(Path::new(".")));
        let data = args
            .data_dir
            .as_deref()
            .map_or_else(|| root.join("data"), user);
        let output = args
            .output_dir
            .as_deref()
            .map_or_else(|| root.join("output"), user);
        let log = (args.log.clone().or_else(|| env("RERUN_LOG")))
            .map_or_else(|| root.join("logs/rerun.log"), |p| user(&p));
        // Beside the output directory, never inside it: analyse replaces that directory.
        let lock = (args.lock.clone().or_else(|| env("RERUN_LOCK"))).map_or_else(
            || PathBuf::from(format!("{}.lock", output.display())),
            |p| user(&p),
        );
        Ok(Paths {
            weights: args.weights.as_deref().map(user),
            root,
            data,
            output,
            log,
            lock,
        })
    }
}

/// `p` without `.` components, `..` folded and trailing slashes dropped, so paths join with file
/// names the same way on every run (the manifest records them as joined).
fn normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.parent().is_some() => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let paths = Paths::of(&args)?;
    for f in [&paths.lock, &paths.log] {
        if f.starts_with(&paths.output) && *f != paths.output {
            eprintln!(
                "ccg-divide rerun: {} is inside the output directory {}, which analyse replaces on every run",
                f.display(),
                paths.output.display()
            );
            eprintln!("Try 'ccg-divide rerun --help' for more information.");
            return Ok(exit::USAGE);
        }
    }
    let log = match Log::open(&paths.log) {
        Ok(log) => Arc::new(log),
        Err(e) => {
            eprintln!(
                "ccg-divide rerun: cannot write log file {}: {e}",
                paths.log.display()
            );
            return Ok(exit::FAILURE);
        }
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    log.line(&format!(
        "start: ccg-divide {} (in {})",
        argv.join(" "),
        paths.root.display()
    ));
    watch_signals(&log);
    let line = analyse_line(&paths, &args.analyse_args);
    let analyse_args = match AnalyseLine::try_parse_from(&line) {
        Ok(a) => a.args,
        Err(e) => return Ok(refused(&log, &e)),
    };

    let _lock = match take_lock(&log, &paths.lock, args.no_wait) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };

    if args.force {
        log.line("--force given; running regardless of inputs");
    } else {
        match decide::inputs_unchanged(&paths.data, paths.weights.as_deref(), &paths.output) {
            Ok(()) => {
                log.line("inputs unchanged since last successful run; skipping");
                return Ok(log.finish(exit::OK, "skipped", ""));
            }
            Err(reason) => log.line(&format!("{reason}; running")),
        }
    }

    let previous = read_json(&paths.output.join(FINDINGS));
    log.line(&format!("running: {}", line.join(" ")));
    let (code, detail) = analyse_logged(&log, &analyse_args);
    if code != exit::OK {
        return Ok(log.finish(code, "failed", &detail));
    }
    if let (Some(before), Some(after)) = (previous, read_json(&paths.output.join(FINDINGS))) {
        news(&log, &paths.output, &before, &after);
    }
    Ok(log.finish(exit::OK, "ok", ""))
}

/// `analyse`'s command line: the paths, then the arguments given after `--`.
fn analyse_line(paths: &Paths, extra: &[String]) -> Vec<String> {
    let mut line = vec![
        "ccg-divide analyse".into(),
        "--data-dir".into(),
        paths.data.display().to_string(),
        "--output-dir".into(),
        paths.output.display().to_string(),
    ];
    if let Some(w) = &paths.weights {
        line.extend(["--weights".into(), w.display().to_string()]);
    }
    line.extend(extra.iter().cloned());
    line
}

/// Arguments analyse refuses (a usage error, exit 2; `-- --help` prints its help): logged.
fn refused(log: &Log, e: &clap::Error) -> i32 {
    for l in e.to_string().lines().filter(|l| !l.trim().is_empty()) {
        log.raw(l);
    }
    if !e.use_stderr() {
        print!("{e}");
        return log.finish(exit::OK, "ok", "");
    }
    let detail = e.to_string().lines().next().unwrap_or_default().to_string();
    log.line(&format!("analyse arguments refused: {detail}"));
    log.finish(exit::USAGE, "failed", &detail)
}

/// Run analyse in-process, its summary (or error) into the log between markers; the exit code
/// and, on failure, the error's first line.
/// Run `f`, turning a panic into an error (exit 1), so that a bug in analyse still ends the
/// rerun's log entry with its status and releases the lock in order, rather than ending the
/// process with Rust's 101, a code the table of exit codes does not have.
fn panic_as_error<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(anyhow::anyhow!(
            "analyse panicked (a bug; please report it): {message}"
        ))
    })
}

fn analyse_logged(log: &Log, args: &analyse::Args) -> (i32, String) {
    let pid = std::process::id();
    log.raw(&format!("----- analyse output (pid {pid}) -----"));
    let started = Instant::now();
    let (code, detail) = match panic_as_error(|| pipeline::analyse(&args.options(false))) {
        Ok(s) => {
            for l in analyse::summary(&s) {
                let (Line::Out(l) | Line::Err(l)) = l;
                log.raw(&l);
            }
            (exit::OK, String::new())
        }
        Err(e) => {
            let text = format!("error: {e:#}");
            for l in text.lines() {
                log.raw(l);
            }
            (
                exit_code(&e),
                text.lines().next().unwrap_or_default().to_string(),
            )
        }
    };
    log.raw(&format!("----- end of analyse output (pid {pid}) -----"));
    log.line(&format!(
        "analyse exited with status {code} after {}s",
        started.elapsed().as_secs()
    ));
    (code, detail)
}

/// Log and write what changed in the findings; one line on stderr if anything did.
fn news(log: &Log, output: &Path, before: &serde_json::Value, after: &serde_json::Value) {
    let changes = decide::changes(before, after);
    if changes.is_empty() {
        log.line("no claim's verdict or headline figure changed");
        return;
    }
    log.line(&format!(
        "news: {} change(s) to claims since the previous run:",
        changes.len()
    ));
    for c in &changes {
        log.line(&format!("  {c}"));
    }
    let path = output.join(CHANGES);
    let md = decide::changes_markdown(&changes, &now_utc());
    let written = ccg_divide::io::write::replace_file(output, CHANGES, &md);
    let note = match written {
        Ok(()) => format!("see {}", path.display()),
        Err(e) => {
            log.line(&format!("cannot write {}: {e:#}", path.display()));
            "changes.md could not be written".into()
        }
    };
    eprintln!(
        "ccg-divide rerun: {} change(s) to claims' verdicts or headline figures; {note}; log: {}",
        changes.len(),
        log.path.display()
    );
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Open and lock the lock file (waiting, unless `no_wait`); the lock holds while the file is open.
/// On failure, the exit code, already logged.
fn take_lock(log: &Log, path: &Path, no_wait: bool) -> Result<File, i32> {
    let opened = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(path));
    let file = match opened {
        Ok(f) => f,
        Err(e) => {
            log.line(&format!("cannot open lock file {}: {e}", path.display()));
            let detail = format!("cannot open lock file {}", path.display());
            return Err(log.finish(exit::FAILURE, "failed", &detail));
        }
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) if no_wait => {
            log.line(&format!(
                "another rerun is in progress (lock {}); exiting (--no-wait)",
                path.display()
            ));
            log.line(&format!(
                "end: exit {LOCKED} (lock busy) after {}s",
                log.start.elapsed().as_secs()
            ));
            eprintln!(
                "ccg-divide rerun: another rerun is in progress (lock {}); exiting",
                path.display()
            );
            return Err(LOCKED);
        }
        Err(TryLockError::WouldBlock) => {
            log.line(&format!(
                "lock {} is held by another run; waiting",
                path.display()
            ));
            let waiting = Instant::now();
            if let Err(e) = file.lock() {
                log.line(&format!("cannot lock {}: {e}", path.display()));
                let detail = format!("cannot lock {}", path.display());
                return Err(log.finish(exit::FAILURE, "failed", &detail));
            }
            log.line(&format!(
                "waited {}s for lock {}",
                waiting.elapsed().as_secs(),
                path.display()
            ));
        }
        Err(TryLockError::Error(e)) => {
            log.line(&format!("cannot lock {}: {e}", path.display()));
            let detail = format!("cannot lock {}", path.display());
            return Err(log.finish(exit::FAILURE, "failed", &detail));
        }
    }
    log.line(&format!("lock acquired: {}", path.display()));
    Ok(file)
}

/// The run log: one line per event, `ISO-8601-UTC [PID] message`, appended; echoed to stderr
/// when that is a terminal (run by hand; cron has none, so it stays silent).
struct Log {
    file: File,
    path: PathBuf,
    start: Instant,
    echo: bool,
}

impl Log {
    fn open(path: &Path) -> std::io::Result<Log> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Log {
            file: OpenOptions::new().create(true).append(true).open(path)?,
            path: path.to_path_buf(),
            start: Instant::now(),
            echo: std::io::stderr().is_terminal(),
        })
    }

    /// A timestamped event.
    fn line(&self, message: &str) {
        let line = format!("{} [{}] {message}", now_utc(), std::process::id());
        self.raw(&line);
        if self.echo {
            eprintln!("{line}");
        }
    }

    /// A line as it is (analyse's output), written in one call so runs that share the log do
    /// not cut into each other's lines.
    fn raw(&self, line: &str) {
        let _ = (&self.file).write_all(format!("{line}\n").as_bytes());
    }

    /// Log the end of the run; on failure also one summary line on stderr. The exit code back.
    fn finish(&self, code: i32, outcome: &str, detail: &str) -> i32 {
        let secs = self.start.elapsed().as_secs();
        let words = describe_exit(code);
        self.line(&format!(
            "end: exit {code} ({words}; {outcome}) after {secs}s"
        ));
        if code != exit::OK {
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            };
            eprintln!(
                "ccg-divide rerun: FAILED with exit {code} ({words}) after {secs}s{detail}; log: {}",
                self.path.display()
            );
        }
        code
    }
}

fn describe_exit(code: i32) -> String {
    match code {
        0 => "ok".into(),
        1 => "unexpected failure".into(),
        2 => "usage error".into(),
        3 => "invalid input data".into(),
        4 => "output cannot be written".into(),
        5 => "build failed".into(),
        LOCKED => "lock busy".into(),
        c if c > 128 => format!("killed by signal {}", c - 128),
        _ => "failed".into(),
    }
}

/// SIGINT, SIGTERM and SIGHUP end the run at once, whatever it is doing (waiting for the lock,
/// inside analyse): logged, one line on stderr, exit 128 + N. analyse's staging directory is
/// left for the next run to clear; the outputs are swapped in by rename, so they stay whole,
/// and the lock goes with the process.
fn watch_signals(log: &Arc<Log>) {
    let signals = [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
    ];
    // SAFETY: plain libc calls on a local, initialised signal set. The mask is set before any
    // other thread starts, so every thread inherits it and only `sigwait` below sees the signals.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for (n, _) in signals {
            libc::sigaddset(&mut set, n);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        let mut n: libc::c_int = 0;
        // SAFETY: `set` is initialised and `n` is a valid place for the signal number.
        if unsafe { libc::sigwait(&set, &mut n) } != 0 {
            return;
        }
        let name = signals
            .iter()
            .find(|(s, _)| *s == n)
            .map_or("a signal", |(_, name)| name);
        let what = format!("interrupted by {name}");
        log.line(&what);
        std::process::exit(log.finish(128 + n, "interrupted", &what));
    });
}

/// Now as `2026-11-23T09:10:18Z`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure_with_its_message() {
        let r: anyhow::Result<()> = panic_as_error(|| panic!("median of nothing at {}", 7));
        let e = r.unwrap_err();
        assert_eq!(exit_code(&e), exit::FAILURE);
        assert_eq!(
            e.to_string(),
            "analyse panicked (a bug; please report it): median of nothing at 7"
        );
        let r: anyhow::Result<()> = panic_as_error(|| panic!("a plain message"));
        assert!(r.unwrap_err().to_string().ends_with(": a plain message"));
        // Results pass through untouched.
        assert_eq!(panic_as_error(|| Ok(5)).unwrap(), 5);
        let e = panic_as_error::<()>(|| Err(anyhow::anyhow!("bad"))).unwrap_err();
        assert_eq!(e.to_string(), "bad");
    }
}
