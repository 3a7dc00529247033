//! `deskctl new NAME`: create the next, empty migration file in the configured migrations
//! directory and print its path. Thin: naming and refusing to overwrite live in
//! `crate::migrate::new`; must not hold that logic nor touch a database.

use std::process::ExitCode;

use crate::cli::NewArgs;
use crate::config::RunConfig;

/// Run `deskctl new` with its parsed arguments and the resolved configuration.
pub fn run(cfg: &RunConfig, a: &NewArgs) -> anyhow::Result<ExitCode> {
    let dir = cfg.migrations_dir(&a.dir);
    let path = crate::migrate::new::create(&dir, &a.name, time::OffsetDateTime::now_utc())?;
    if !cfg.quiet {
        println!("created {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
