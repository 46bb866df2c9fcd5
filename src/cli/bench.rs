//! `ccg-divide bench`: time `analyse` end to end and per stage.
//!
//! Still a command of the installed binary for now; the harness (child processes, a Python
//! virtual environment, pip) is to move out of it (a separate binary target or an xtask), issue 21
//! part 3.

use ccg_divide::commands;
use ccg_divide::error::exit;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Synthetic sizes (organisations).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Runs per input (median reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the report here (e.g. BENCHMARKS.md) as well as printing it.
    #[arg(long)]
    write: Option<PathBuf>,
    /// Skip the pandas comparison (it needs python3 and PyPI for its virtual environment).
    #[arg(long)]
    no_pandas: bool,
    /// Where the pandas comparison's virtual environment lives (made on first use).
    #[arg(long, default_value = "target/bench-venv")]
    venv: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let exe = std::env::current_exe()?;
    let work = std::env::temp_dir().join(format!("ccg-divide-bench-{}", std::process::id()));
    let (pandas, note) = if args.no_pandas {
        (None, Some("--no-pandas given".to_string()))
    } else {
        match commands::bench::Pandas::prepare(Path::new("scripts/bench"), &args.venv) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    };
    let rows = commands::bench::run(
        &exe,
        &args.data_dir,
        &args.sizes,
        args.runs.max(1),
        pandas.as_ref(),
        &work,
    );
    let _ = std::fs::remove_dir_all(&work);
    let md = commands::bench::markdown(
        &rows?,
        "cargo run --release -- bench --write BENCHMARKS.md",
        note.as_deref(),
    );
    print!("{md}");
    if let Some(path) = args.write {
        std::fs::write(path, &md)?;
    }
    Ok(exit::OK)
}
