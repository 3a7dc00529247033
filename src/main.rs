//! Thin entry point: parse the command line, run, map the outcome to an exit code.
//! The only place that exits.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match deskctl::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match deskctl::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", deskctl::render_error(&err));
            ExitCode::from(deskctl::exit_code_of(&err))
        }
    }
}
