//! `deskctl verify`: load check files, snapshot the catalog, evaluate, report. (Being built: issue 4.)

use std::process::ExitCode;

use crate::config::{RunConfig, VerifyOptions};

pub async fn run(_cfg: &RunConfig, _o: VerifyOptions) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl verify is not built yet")
}
