//! `deskctl diff A B`: resolve each side (a database URL or conninfo string, `@ephemeral[:DIR]`
//! — a throwaway cluster with DIR's migrations applied —, or a snapshot check file), read its
//! posture (databases: ONE catalog snapshot in a REPEATABLE READ READ ONLY transaction that is
//! rolled back; files: through the check-file loader), compare and render. Exit 0 equal, 1
//! different, 2 bad input, 3 database trouble. Changes nothing in either database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::catalog::Scope;
use crate::cli::{DiffArgs, SimpleFormat};
use crate::config::{ConfigError, DbTarget, HistoryTable, RunConfig};
use crate::diff::{self, posture};
use crate::lint::RuleCtx;

use super::{read_target, write_out, Open};

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL or libpq key=value string.
    Database(String),
    /// A throwaway cluster migrated from a directory (None: the migrations directory in effect).
    Ephemeral(Option<PathBuf>),
    /// A check file written by `deskctl snapshot`.
    File(PathBuf),
}

impl Source {
    pub fn parse(side: &str, raw: &str) -> Result<Source, ConfigError> {
        let t = raw.trim();
        if t == "@ephemeral" {
            return Ok(Source::Ephemeral(None));
        }
        if let Some(dir) = t.strip_prefix("@ephemeral:") {
            return Ok(Source::Ephemeral(Some(PathBuf::from(dir))));
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Source::Database(t.to_string()));
        }
        let p = Path::new(t);
        if p.is_file() {
            return Ok(Source::File(p.to_path_buf()));
        }
        if t.contains('=') && !p.exists() {
            return Ok(Source::Database(t.to_string()));
        }
        Err(ConfigError::Usage(format!(
            "{side}: `{}` is not a database (postgres://… URL or key=value string), \
@ephemeral[:MIGRATIONS_DIR] or an existing snapshot file{}",
            if t.contains('=') || t.contains("://") {
                crate::db::conninfo::mask_password(t)
            } else {
                t.to_string()
            },
            if p.is_dir() {
                " (it is a directory)"
            } else {
                ""
            }
        )))
    }
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub a: Source,
    pub b: Source,
    /// Empty: the file side's schemas, else deskctl.toml's, else public.
    pub schemas: Vec<String>,
    pub json: bool,
    pub migrations: PathBuf,
    pub history: HistoryTable,
}

impl DiffOptions {
    pub fn resolve(cfg: &RunConfig, a: &DiffArgs) -> Result<DiffOptions, ConfigError> {
        Ok(DiffOptions {
            a: Source::parse("A", &a.a)?,
            b: Source::parse("B", &a.b)?,
            schemas: if a.schemas.is_empty() {
                cfg.project.schemas.clone().unwrap_or_default()
            } else {
                a.schemas.clone()
            },
            json: a.format == SimpleFormat::Json,
            migrations: cfg.migrations_dir(&a.dir),
            history: cfg.history_table(&a.dir)?,
        })
    }
}

pub async fn run(cfg: &RunConfig, o: DiffOptions) -> anyhow::Result<ExitCode> {
    // Files first: a bad file is reported before any connection is made.
    let file_checks = |s: &Source| -> anyhow::Result<Option<Vec<crate::checks::Check>>> {
        match s {
            Source::File(p) => Ok(Some(crate::checks::load_paths(std::slice::from_ref(p))?)),
            _ => Ok(None),
        }
    };
    let (ca, cb) = (file_checks(&o.a)?, file_checks(&o.b)?);
    let schemas = if !o.schemas.is_empty() {
        o.schemas.clone()
    } else {
        let from_files: Vec<crate::checks::Check> =
            ca.iter().chain(cb.iter()).flatten().cloned().collect();
        if from_files.is_empty() {
            vec!["public".to_string()]
        } else {
            crate::checks::schemas_needed(&from_files)
        }
    };
    let a = side(cfg, &o, &o.a, ca, &schemas).await?;
    let b = side(cfg, &o, &o.b, cb, &schemas).await?;
    let d = diff::compare(&a, &b);
    write_out(None, |w| {
        if o.json {
            serde_json::to_writer_pretty(&mut *w, &d)?;
            writeln!(w)
        } else {
            crate::report::safe::write_visible(w, |w| diff::render_text(&d, w))
        }
    })?;
    Ok(ExitCode::from(if d.equal {
        crate::exit::OK
    } else {
        crate::exit::FAILED
    }))
}

async fn side(
    cfg: &RunConfig,
    o: &DiffOptions,
    s: &Source,
    checks: Option<Vec<crate::checks::Check>>,
    schemas: &[String],
) -> anyhow::Result<posture::Posture> {
    let (target, migrations) = match s {
        Source::File(p) => {
            return Ok(posture::from_checks(
                &checks.unwrap_or_default(),
                &p.display().to_string(),
            ))
        }
        Source::Database(url) => (DbTarget::Url(url.clone()), o.migrations.clone()),
        Source::Ephemeral(dir) => (
            DbTarget::Ephemeral {
                keep: false,
                tcp_port: None,
            },
            dir.clone().unwrap_or_else(|| o.migrations.clone()),
        ),
    };
    let mut c = cfg.clone();
    c.target = target;
    let target = Open::new("diff", &migrations, &o.history);
    let scope = Scope::with_policy_expressions(schemas.to_vec());
    let got = read_target(&c, &target, &scope, schemas).await?;
    let display = match s {
        Source::Ephemeral(_) => format!("@ephemeral:{}", migrations.display()),
        _ => got.display,
    };
    let snap = got.snap;
    let cx = RuleCtx::new(&snap, &[]).skipping_history(&o.history);
    Ok(posture::from_snapshot(&cx, &display))
}
