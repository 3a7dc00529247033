//! Applying versioned SQL migrations through refinery, safely. (Being built: issue 3.)

use std::path::Path;
use std::process::ExitCode;

use crate::config::{MigrateOptions, RunConfig, StatusOptions};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    #[error("{0}")]
    Input(String),
}

impl MigrateError {
    pub fn exit_code(&self) -> u8 {
        crate::exit::INPUT
    }
}

pub fn run_new(_cfg: &RunConfig, _dir: &Path, _name: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl new is not built yet")
}

pub async fn run_migrate(_cfg: &RunConfig, _o: MigrateOptions) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl migrate is not built yet")
}

pub async fn run_status(_cfg: &RunConfig, _o: StatusOptions) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl status is not built yet")
}
