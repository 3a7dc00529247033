//! `deskctl diagnose` and `deskctl snapshot`. (Being built: issue 7.)

use std::process::ExitCode;

use crate::config::{DiagnoseOptions, RunConfig, SnapshotOptions};

pub async fn run_diagnose(_cfg: &RunConfig, _o: DiagnoseOptions) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl diagnose is not built yet")
}

pub async fn run_snapshot(_cfg: &RunConfig, _o: SnapshotOptions) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deskctl snapshot is not built yet")
}
