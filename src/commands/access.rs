//! `deskctl access`: open the target (migrating an ephemeral cluster first), read ONE catalog
//! snapshot inside a REPEATABLE READ READ ONLY transaction that is rolled back, build the
//! matrix (`crate::access`) and render it. Changes nothing in the database.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::access::{self, Format};
use crate::catalog::Scope;
use crate::cli::{AccessArgs, AccessFormat};
use crate::config::{ConfigError, HistoryTable, RunConfig};
use crate::lint::Ctx;

use super::{read_target, write_out, Open, Read};

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
    let target = Open::new("access", &o.migrations, &o.history);
    let scope = Scope::with_expressions(o.schemas.clone());
    let Read { snap, display, .. } = read_target(cfg, &target, &scope, &o.schemas).await?;
    let cx = Ctx::new(&snap, &[]).skipping_history(&o.history);
    let rels = access::relations(&cx);
    let roles = access::choose_roles(&cx, &rels, &o.roles)
        .map_err(|e| ConfigError::Usage(format!("--roles: {e}")))?;
    let m = access::build(&cx, &display, &roles);
    write_out(o.output.as_deref(), |w| access::render(&m, o.format, w))?;
    Ok(ExitCode::from(crate::exit::OK))
}
