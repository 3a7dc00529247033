//! The migration set the lint rules read and the lint gate `migrate` runs first: which files
//! make up the set (pending files: those the target database's history lacks; every file when no
//! database URL is given or with `--all`) and, for `migrate`, stopping before anything is
//! applied when a rule finds an error. `deskctl lint` itself is `commands::lint`. Reads the
//! history read-only; must not change the database.

use std::process::ExitCode;

use tokio_postgres::Client;

use super::source::{MigrationFile, Sources};
use super::MigrateError;
use super::{history, repeatable};
use crate::config::{ConfigError, HistoryTable, LintGate};
use crate::lint::migration::{self, File, GateOutcome, Set};
use crate::report::migration_lint as render;
use crate::report::Level;

/// The lint set of these files, in application order.
pub fn set_of(files: &[&MigrationFile], exposed: &[String]) -> Set {
    super::source::parse_all(files);
    Set::new(
        files
            .iter()
            .map(|f| File::parsed(&f.path, f.body(), f.parsed(), !f.no_transaction))
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
    let (resolved, _) = history::resolve(client, table).await?;
    let (hist, reps) = tokio::try_join!(
        history::read(client, &resolved),
        repeatable::read(client, &resolved)
    )?;
    let mut files = history::compare(sources, &hist).pending;
    files.extend(repeatable::compare(sources, &reps).pending);
    Ok(files)
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
    let scope = render::Linted {
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
