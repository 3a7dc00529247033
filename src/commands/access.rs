//! `deskctl access`: open the target (migrating an ephemeral cluster first), read ONE catalog
//! snapshot inside a REPEATABLE READ READ ONLY transaction that is rolled back, build the
//! matrix (`crate::access`) and render it. Changes nothing in the database.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::access::{self, Format};
use crate::catalog::Scope;
use crate::cli::{AccessArgs, AccessFormat};
use crate::config::{ConfigError, HistoryTable, RunConfig};
use crate::lint::{self, Ctx};

/// Options for `access`, resolved from flags and deskctl.toml.
#[derive(Debug, Clone)]
pub struct AccessOptions {
    pub schemas: Vec<String>,
    pub roles: Vec<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub migrations: PathBuf,
    pub history: HistoryTable,
}

impl AccessOptions {
    pub fn resolve(cfg: &RunConfig, a: &AccessArgs) -> Result<AccessOptions, ConfigError> {
        let schemas = if !a.schemas.is_empty() {
            a.schemas.clone()
        } else {
            cfg.project
                .schemas
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| vec!["public".into()])
        };
        let roles: Vec<String> = a
            .roles
            .iter()
            .flat_map(|r| r.split(','))
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        Ok(AccessOptions {
            schemas,
            roles,
            format: match a.format {
                AccessFormat::Table => Format::Table,
                AccessFormat::Markdown => Format::Markdown,
                AccessFormat::Json => Format::Json,
                AccessFormat::Html => Format::Html,
            },
            output: a.output.clone(),
            migrations: cfg.migrations_dir(&a.dir),
            history: cfg.history_table(&a.dir)?,
        })
    }
}

pub async fn run(cfg: &RunConfig, o: AccessOptions) -> anyhow::Result<ExitCode> {
    let db = lint::open_and_migrate(cfg, &o.migrations, &o.history, "access").await?;
    let snap = db
        .watch_locks(
            "reading the catalog",
            lint::read_snapshot(&db.client, &Scope::with_expressions(o.schemas.clone())),
        )
        .await;
    let display = db.display.clone();
    db.close().await;
    let snap = snap?;
    lint::check_schemas(&snap, &o.schemas)?;
    let cx = Ctx::new(&snap, &[]).skipping_history(&o.history);
    let rels = access::relations(&cx);
    let roles = access::choose_roles(&cx, &rels, &o.roles)
        .map_err(|e| ConfigError::Usage(format!("--roles: {e}")))?;
    let m = access::build(&cx, &display, &roles);
    write_out(o.output.as_deref(), |w| access::render(&m, o.format, w))?;
    Ok(ExitCode::from(crate::exit::OK))
}

/// Write through `f` to `path` or standard output (a closed pipe is not an error).
pub fn write_out(
    path: Option<&std::path::Path>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot write to {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            f(&mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("cannot write to {}", p.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match f(&mut w).and_then(|()| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}
