//! `deskctl lint` and the lint `migrate` runs first: which files make up the migration set
//! (pending files: those the target database's history lacks; every file when no database URL
//! is given or with `--all`), running the rules of `crate::lint::migration` over them, writing
//! the report and the exit code. Reads the history read-only; must not change the database.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use tokio_postgres::Client;

use super::source::{self, MigrationFile, Sources};
use super::MigrateError;
use super::{history, repeatable};
use crate::cli::LintFormat;
use crate::config::{ConfigError, HistoryTable, LintGate, LintOptions, RunConfig};
use crate::db::{self, PresetUse};
use crate::lint::migration::{self, render, File, GateOutcome, Set};
use crate::report::Level;

/// The lint set of these files, in application order.
pub fn set_of(files: &[&MigrationFile], exposed: &[String]) -> Set {
    Set::new(
        files
            .iter()
            .map(|f| File::new(&f.path, f.body(), !f.no_transaction))
            .collect(),
        exposed,
    )
}

/// Files the database has not applied (read-only), then the pending repeatables (never applied
/// or changed), in the order `migrate` runs them.
pub async fn pending<'a>(
    client: &Client,
    sources: &'a Sources,
    table: &HistoryTable,
) -> Result<Vec<&'a MigrationFile>, MigrateError> {
    let hist = history::read(client, table).await?;
    let (resolved, _) = history::resolve(client, table).await?;
    let reps = repeatable::read(client, &resolved).await?;
    let mut files = history::compare(sources, &hist).pending;
    files.extend(repeatable::compare(sources, &reps).pending);
    Ok(files)
}

fn threshold(f: crate::cli::FailOn) -> Level {
    crate::lint::threshold(f)
}

/// `deskctl lint`.
pub async fn run(cfg: &RunConfig, o: LintOptions) -> anyhow::Result<ExitCode> {
    migration::validate_disabled(&o.disable).map_err(ConfigError::Usage)?;
    let sources = source::load(&o.dir)?;
    let (scope, files): (&'static str, Vec<&MigrationFile>) = if o.use_history {
        let db = db::open(cfg, PresetUse::OnlyEphemeral).await?;
        super::read_only_session(&db.client).await?;
        let p = pending(&db.client, &sources, &o.history).await;
        db.close().await;
        ("pending", p?)
    } else {
        (
            "",
            sources.files.iter().chain(&sources.repeatables).collect(),
        )
    };
    let scope = render::Scope {
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

/// `migrate`'s lint of the pending files, after the history is read and before the lock is
/// taken. Files PostgreSQL's parser rejects are left to the server, which reports them with the
/// exact position. Warnings are printed on stderr and do not stop; any error stops the run with
/// exit 1 before anything is changed: `Some(code)`.
pub async fn gate(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    g: &LintGate,
    json: bool,
    color: bool,
) -> anyhow::Result<Option<ExitCode>> {
    if !g.enabled {
        return Ok(None);
    }
    migration::validate_disabled(&g.disable).map_err(ConfigError::Usage)?;
    let files = pending(client, sources, table).await?;
    if files.is_empty() {
        return Ok(None);
    }
    let set = set_of(&files, &g.exposed_schemas);
    let mut out: GateOutcome = migration::lint(&set, &g.disable);
    out.findings.retain(|f| f.rule != migration::SYNTAX_ERROR);
    if out.findings.is_empty() {
        return Ok(None);
    }
    let scope = render::Scope {
        scope: "pending",
        files: files.iter().map(|f| f.path.clone()).collect(),
    };
    let stop = out.worst() == Some(Level::Error);
    if stop && json {
        let mut doc = render::json_doc(&out, &scope, crate::exit::FAILED);
        doc["command"] = "migrate".into();
        doc["ok"] = false.into();
        doc["error"] = stop_text(&out).into();
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let mut buf = Vec::new();
        render::text(&out, &scope, color, &mut buf)?;
        eprint!("{}", String::from_utf8_lossy(&buf));
    }
    if stop {
        eprintln!("error: {}", stop_text(&out));
        return Ok(Some(ExitCode::from(crate::exit::FAILED)));
    }
    Ok(None)
}

fn stop_text(out: &GateOutcome) -> String {
    format!(
        "lint found {} error(s) in the pending migrations; nothing was applied. Fix them, mark a deliberate one with `-- deskctl:allow <rule>`, or run with --no-lint",
        out.count(Level::Error)
    )
}
