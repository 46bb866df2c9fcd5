//! `ccg-divide check-data`: the data against every published fact (exit 3 on a mismatch).

use super::print_notes;
use ccg_divide::commands;
use ccg_divide::error::exit;
use ccg_divide::stages::data_checks;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
}

pub fn run(Args { data_dir }: Args) -> anyhow::Result<i32> {
    let (checks, notes) = commands::check_data::run(&data_dir)?;
    print_notes(&notes);
    print!("{}", data_checks::table(&checks));
    Ok(if checks.iter().all(|c| c.ok) {
        exit::OK
    } else {
        exit::INVALID_INPUT
    })
}
