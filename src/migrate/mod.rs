//! Applying versioned SQL migrations through refinery, safely. (Being built: issue 3.)

use std::path::Path;
use std::process::ExitCode;

use crate::config::{HistoryTable, MigrateOptions, RunConfig, StatusOptions};

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

/// What `apply_pending` did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ApplySummary {
    /// Migrations applied by this call, in order: (version, name).
    pub applied: Vec<(i64, String)>,
}

/// Apply every pending migration in `dir` (same safety as `deskctl migrate`: lock, drift
/// refusal, exact errors). Prints nothing on stdout.
pub async fn apply_pending(
    _client: &mut tokio_postgres::Client,
    _dir: &Path,
    _history: &HistoryTable,
) -> Result<ApplySummary, MigrateError> {
    Err(MigrateError::Input("applying migrations is not built yet".into()))
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
