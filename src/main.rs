//! Command line: parse arguments, dispatch to the command's module (`cli/`), and exit with a
//! meaningful code. Each command's arguments, body and printing live in `cli/COMMAND.rs`.

mod cli;

use ccg_divide::error::{exit, exit_code};
use clap::Parser;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit_code(&e)
        }
    };
    std::process::exit(code);
}
