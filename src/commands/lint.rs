//! `deskctl lint`: lints the migration set (the pending files of `--database-url`'s history
//! with `--history`, else every file) with `crate::lint::migration` and writes the report in the
//! chosen format. Thin: the set and the rules live in `migrate::lint` and `lint::migration`.
//! Reads the history read-only; must not change the database.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::LintFormat;
use crate::config::{ConfigError, LintOptions, RunConfig};
use crate::db::{self, PresetUse};
use crate::lint::migration;
use crate::migrate::lint::{pending, set_of};
use crate::migrate::source::{self, MigrationFile};
use crate::report::migration_lint as render;
use crate::report::Level;

fn threshold(f: crate::cli::FailOn) -> Level {
    super::output::threshold(f)
}

/// `deskctl lint`.
pub async fn run(cfg: &RunConfig, o: LintOptions) -> anyhow::Result<ExitCode> {
    migration::validate_disabled(&o.disable).map_err(ConfigError::Usage)?;
    let sources = source::load(&o.dir)?;
    let (scope, files): (&'static str, Vec<&MigrationFile>) = if o.use_history {
        let db = db::open(cfg, PresetUse::OnlyEphemeral).await?;
        crate::migrate::read_only_session(&db.client).await?;
        let p = pending(&db.client, &sources, &o.history).await;
        db.close().await;
        ("pending", p?)
    } else {
        (
            "",
            sources.files.iter().chain(&sources.repeatables).collect(),
        )
    };
    let scope = render::Linted {
        scope: if scope.is_empty() { "migration" } else { scope },
        files: files.iter().map(|f| f.path.clone()).collect(),
    };
    let set = set_of(&files, &o.exposed_schemas);
    let out = migration::lint(&set, &o.disable);
    let fails = out.worst().is_some_and(|w| w >= threshold(o.fail_on));
    let code = if fails {
        crate::exit::FAILED
    } else {
        crate::exit::OK
    };
    let mut buf = Vec::new();
    match o.format {
        LintFormat::Text => render::text(&out, &scope, cfg.color && o.output.is_none(), &mut buf)?,
        LintFormat::Json => render::json(&out, &scope, code, &mut buf)?,
        LintFormat::Sarif => render::sarif(&out, &mut buf)?,
        LintFormat::Github => render::github(&out, &scope, &mut buf)?,
    }
    match &o.output {
        Some(p) => std::fs::write(p, &buf)
            .with_context(|| format!("cannot write the lint report to {}", p.display()))?,
        None => {
            let mut so = std::io::stdout().lock();
            match so.write_all(&buf).and_then(|()| so.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r.context("cannot write the lint report to standard output")?,
            }
        }
    }
    Ok(ExitCode::from(code))
}
