//! `deskctl access`: open the target (migrating an ephemeral cluster first), read ONE catalog
//! snapshot inside a REPEATABLE READ READ ONLY transaction that is rolled back, build the
//! matrix (`crate::access`) and render it. With `--persona`: the persona is found with the
//! check-file loader (the same personas and fixtures verify uses) before connecting, and the
//! matrix is probed for it (`access::probe`, one transaction always rolled back). Changes
//! nothing in the database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::access::probe::{PersonaInfo, ProbeError, ProbePlan};
use crate::access::{self, MatrixFormat};
use crate::catalog::Scope;
use crate::checks::behaviour::{As, Defs, Given, GivenRefs};
use crate::checks::names::Names;
use crate::checks::validator::Validator;
use crate::cli::{AccessArgs, AccessFormat};
use crate::config::{millis, ConfigError, HistoryTable, RunConfig};
use crate::lint::RuleCtx;

use super::{check_schemas, open_and_migrate, read_catalog, write_out, Open};

/// `--persona` and what goes with it.
#[derive(Debug, Clone)]
pub struct PersonaOptions {
    pub name: String,
    /// Check files or directories to find it in.
    pub checks: Vec<PathBuf>,
    /// `--use`: fixtures to apply first.
    pub fixtures: Vec<String>,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
}

/// Options for `access`, resolved from flags and deskctl.toml.
#[derive(Debug, Clone)]
pub struct AccessOptions {
    pub schemas: Vec<String>,
    pub roles: Vec<String>,
    pub format: MatrixFormat,
    pub output: Option<PathBuf>,
    pub migrations: PathBuf,
    pub history: HistoryTable,
    pub persona: Option<PersonaOptions>,
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
                AccessFormat::Table => MatrixFormat::Table,
                AccessFormat::Markdown => MatrixFormat::Markdown,
                AccessFormat::Json => MatrixFormat::Json,
                AccessFormat::Html => MatrixFormat::Html,
            },
            output: a.output.clone(),
            migrations: cfg.migrations_dir(&a.dir),
            history: cfg.history_table(&a.dir)?,
            persona: match &a.persona {
                None => None,
                Some(name) => Some(PersonaOptions {
                    name: name.clone(),
                    checks: if !a.checks.is_empty() {
                        a.checks.clone()
                    } else {
                        cfg.project
                            .checks
                            .clone()
                            .unwrap_or_else(|| vec![PathBuf::from("checks")])
                    },
                    fixtures: a
                        .fixtures
                        .iter()
                        .flat_map(|f| f.split(','))
                        .map(|f| f.trim().to_string())
                        .filter(|f| !f.is_empty())
                        .collect(),
                    statement_timeout: millis(
                        "--statement-timeout",
                        a.statement_timeout
                            .or(cfg.project.verify.statement_timeout_ms)
                            .unwrap_or(5_000),
                    )?,
                    lock_timeout: millis(
                        "--lock-wait",
                        a.lock_wait
                            .or(cfg.project.verify.lock_timeout_ms)
                            .unwrap_or(2_000),
                    )?,
                }),
            },
        })
    }
}

/// Find `--persona` in the check files with verify's loader (every problem of the files is a
/// load error, exit 2) and resolve its rows and `--use` fixtures as a check's would be.
pub fn load_persona(p: &PersonaOptions) -> anyhow::Result<ProbePlan> {
    let (_, defs) = crate::checks::loader::load_paths_with_defs(&p.checks)?;
    let files = p
        .checks
        .iter()
        .map(|c| c.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    // The same persona reached through several files (a shared file they include) is one.
    let mut found: Vec<&Defs> = Vec::new();
    for d in &defs {
        if let Some(q) = d.personas.get(&p.name) {
            if !found.iter().any(|f| f.personas[&p.name] == *q) {
                found.push(d);
            }
        }
    }
    let at = |d: &Defs, name: &str| {
        let l = &d.personas[name].at;
        format!("{}:{}", l.file.display(), l.line)
    };
    let defs_of = match found.as_slice() {
        [one] => *one,
        [] => {
            let mut declared: Vec<String> = Vec::new();
            let mut names: Vec<&str> = Vec::new();
            for d in &defs {
                for n in d.personas.keys() {
                    let s = format!("{n} ({})", at(d, n));
                    if !declared.contains(&s) {
                        declared.push(s);
                        names.push(n);
                    }
                }
            }
            let hint = match crate::words::closest(&p.name, names.iter().copied()) {
                Some(c) => format!(" (did you mean `{c}`?)"),
                None => String::new(),
            };
            let known = if declared.is_empty() {
                "no persona is declared there: write [personas.NAME] with its role and claims (docs/checks.md)".to_string()
            } else {
                format!("personas declared: {}", declared.join(", "))
            };
            return Err(ConfigError::Usage(format!(
                "--persona: unknown persona `{}` in {files}{hint}; {known}",
                p.name
            ))
            .into());
        }
        many => {
            let places: Vec<String> = many.iter().map(|d| at(d, &p.name)).collect();
            return Err(ConfigError::Usage(format!(
                "--persona: `{}` is declared differently in several files ({}); pass the one to use with --checks FILE",
                p.name,
                places.join(", ")
            ))
            .into());
        }
    };
    let persona = &defs_of.personas[&p.name];
    let mut as_ = As {
        persona: Some(p.name.clone()),
        explicit_persona: true,
        ..Default::default()
    };
    let uses = Names(p.fixtures.clone());
    let mut given = Given::default();
    let mut v = Validator::default();
    GivenRefs {
        as_: vec![("--persona".to_string(), &mut as_)],
        uses: (!p.fixtures.is_empty()).then_some(&uses),
        at: None,
        given: &mut given,
    }
    .resolve(defs_of, &mut v);
    if !v.problems.is_empty() {
        let lines: Vec<String> = v
            .problems
            .iter()
            .map(|k| {
                let key = if k.path.starts_with("use") {
                    "--use"
                } else {
                    "--persona"
                };
                match &k.hint {
                    Some(h) => format!("{key}: {} (hint: {h})", k.message),
                    None => format!("{key}: {}", k.message),
                }
            })
            .collect();
        return Err(ConfigError::Usage(lines.join("\n")).into());
    }
    let mut probe_as = as_.clone();
    // The label names the persona; `As::label` needs the snapshot only for the connecting user.
    probe_as.bypass = false;
    let sub = as_
        .claims
        .as_ref()
        .and_then(|c| c.get("sub"))
        .map(|s| match s {
            serde_json::Value::String(s) => format!(" (sub {s})"),
            other => format!(" (sub {other})"),
        })
        .unwrap_or_default();
    Ok(ProbePlan {
        info: PersonaInfo {
            name: p.name.clone(),
            role: persona.role.clone(),
            label: format!("persona {}: {}{sub}", p.name, persona.role),
            declared_at: format!("{}:{}", persona.at.file.display(), persona.at.line),
            rows_created: given.rows.len(),
            fixtures: p.fixtures.clone(),
            rolled_back: true,
        },
        as_: probe_as,
        given,
        statement_timeout: p.statement_timeout,
        lock_timeout: p.lock_timeout,
    })
}

pub async fn run(cfg: &RunConfig, o: AccessOptions) -> anyhow::Result<ExitCode> {
    // The persona first: a bad check file or name costs no connection.
    let plan = o.persona.as_ref().map(load_persona).transpose()?;
    let target = Open::new("access", &o.migrations, &o.history);
    let db = open_and_migrate(cfg, &target).await?;
    let snap = read_catalog(&db, &Scope::with_policy_expressions(o.schemas.clone())).await;
    let display = db.display.clone();
    let snap = match snap {
        Ok(s) => s,
        Err(e) => {
            db.close().await;
            return Err(e);
        }
    };
    let m = match matrix(&snap, &o, plan.as_ref(), &display) {
        Ok(mut m) => {
            let probed = match &plan {
                Some(plan) => access::probe::run(&db.client, &snap, &mut m, plan).await,
                None => Ok(()),
            };
            db.close().await;
            probed.map(|()| m).map_err(|e| match e {
                ProbeError::Setup(msg) => anyhow::Error::from(ConfigError::Usage(msg)),
                other => anyhow::Error::from(other),
            })?
        }
        Err(e) => {
            db.close().await;
            return Err(e);
        }
    };
    write_out(o.output.as_deref(), |w| access::render(&m, o.format, w))?;
    Ok(ExitCode::from(crate::exit::OK))
}

/// The static matrix: every chosen role, or only the persona's.
fn matrix(
    snap: &crate::catalog::Snapshot,
    o: &AccessOptions,
    plan: Option<&ProbePlan>,
    display: &str,
) -> anyhow::Result<access::Matrix> {
    check_schemas(snap, &o.schemas)?;
    let cx = RuleCtx::new(snap, &[]).skipping_history(&o.history);
    let rels = access::relations(&cx);
    let roles = match plan {
        Some(p) => {
            if snap.role(&p.info.role).is_none() {
                return Err(ConfigError::Usage(format!(
                    "--persona: persona `{}` (declared at {}) runs as {}",
                    p.info.name,
                    p.info.declared_at,
                    crate::checks::behaviour::unknown_role(snap, &p.info.role)
                ))
                .into());
            }
            vec![p.info.role.clone()]
        }
        None => access::choose_roles(&cx, &rels, &o.roles)
            .map_err(|e| ConfigError::Usage(format!("--roles: {e}")))?,
    };
    Ok(access::build(&cx, display, &roles))
}
