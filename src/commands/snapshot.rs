//! `deskctl snapshot`: open the target through the shared path (migrating only an ephemeral
//! cluster), read ONE catalog snapshot and write the check file that locks it in
//! (`crate::snapshot`) to `--output` (refused if it exists, unless `--force`) or standard
//! output. Read-only; must not know check-file keys.

use std::process::ExitCode;

use super::{print_text, read_target, Open};
use crate::catalog::Scope;
use crate::config::{RunConfig, SnapshotOptions};
use crate::lint::RuleCtx;
use crate::snapshot;

pub async fn run(cfg: &RunConfig, o: SnapshotOptions) -> anyhow::Result<ExitCode> {
    crate::report::refuse_existing_output(o.output.as_deref(), o.force)?;
    let target = Open::new("snapshot", &o.migrations, &o.history);
    let scope = Scope::with_policy_expressions(o.schemas.clone());
    let got = read_target(cfg, &target, &scope, &o.schemas).await?;
    let cx = RuleCtx::new(&got.snap, &[]).skipping_history(&o.history);
    let doc = snapshot::document(&cx, &o.schemas);
    let text = snapshot::render::render(&doc);
    match &o.output {
        Some(path) => crate::report::write_new_file(path, &text, o.force, "the check file")?,
        None => print_text(&text)?,
    }
    if cfg.verbose > 0 {
        eprintln!(
            "snapshot: {} check(s) for {}",
            doc.checks().count(),
            o.schemas.join(", ")
        );
    }
    Ok(super::exit(false))
}
