//! `ccg-divide synth`: synthetic inputs for benchmarks.

use ccg_divide::commands;
use ccg_divide::error::exit;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    n: usize,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(Args { n, out, seed }: Args) -> anyhow::Result<i32> {
    let rows = commands::synth::write(&out, n, seed)?;
    println!(
        "wrote {n} organisations and {rows} condition rows to {}",
        out.display()
    );
    Ok(exit::OK)
}
