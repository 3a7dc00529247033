//! The one open-target(-and-migrate) path of every command that reads a database: connect (or
//! start an ephemeral cluster), migrate when the target is deskctl's own cluster or when asked
//! (`verify --migrate`, preset and seeds included), and read ONE catalog snapshot inside a
//! REPEATABLE READ READ ONLY transaction ([`catalog::load_consistent`]). Must not evaluate,
//! diagnose or render anything.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::catalog::{self, Scope, Snapshot};
use crate::config::{ConfigError, DbTarget, HistoryTable, RunConfig};
use crate::db::{self, Db, PresetUse};

/// What to open and whether to migrate it first.
#[derive(Debug, Clone, Copy)]
pub struct Open<'a> {
    /// The command, for messages (`diagnose: applied 3 migration(s) from ...`).
    pub what: &'static str,
    pub migrations: &'a Path,
    pub history: &'a HistoryTable,
    /// Migrate a database given by URL too (`verify --migrate`): the preset is installed there
    /// first. An ephemeral cluster is always migrated (it is deskctl's own); with `false` a URL
    /// target is never written to.
    pub migrate_url: bool,
    /// Seed files applied after the migrations (read before connecting), and the warnings about
    /// seed globs matching nothing, printed when migrating.
    pub seeds: &'a [(PathBuf, String)],
    pub seed_warnings: &'a [String],
}

impl<'a> Open<'a> {
    /// Open a target, migrating it only when it is an ephemeral cluster.
    pub fn new(what: &'static str, migrations: &'a Path, history: &'a HistoryTable) -> Open<'a> {
        Open {
            what,
            migrations,
            history,
            migrate_url: false,
            seeds: &[],
            seed_warnings: &[],
        }
    }
}

/// Open the database; migrate (and seed) it when it is an ephemeral cluster or `o.migrate_url`.
pub async fn open_and_migrate(cfg: &RunConfig, o: &Open<'_>) -> anyhow::Result<Db> {
    let mut db = open(cfg, o).await?;
    migrate(cfg, o, &mut db).await?;
    Ok(db)
}

/// Whether [`migrate`] will write to this target.
fn migrates(cfg: &RunConfig, o: &Open<'_>) -> bool {
    matches!(cfg.target, DbTarget::Ephemeral { .. }) || o.migrate_url
}

/// Connect (or start the ephemeral cluster) without writing anything to a database given by URL
/// (the Supabase preset goes only into an ephemeral cluster): `ping`, `status`.
pub async fn connect(cfg: &RunConfig) -> anyhow::Result<Db> {
    Ok(db::open(cfg, PresetUse::OnlyEphemeral).await?)
}

/// Connect (or start the ephemeral cluster), the preset installed only where [`migrate`] will
/// write anyway.
pub async fn open(cfg: &RunConfig, o: &Open<'_>) -> anyhow::Result<Db> {
    let ephemeral = matches!(cfg.target, DbTarget::Ephemeral { .. });
    let preset_use = if migrates(cfg, o) && !ephemeral {
        PresetUse::Install
    } else {
        PresetUse::OnlyEphemeral
    };
    Ok(db::open(cfg, preset_use).await?)
}

/// The migration step of [`open_and_migrate`]: nothing unless the target is an ephemeral cluster
/// or `o.migrate_url`.
pub async fn migrate(cfg: &RunConfig, o: &Open<'_>, db: &mut Db) -> anyhow::Result<()> {
    if !migrates(cfg, o) {
        return Ok(());
    }
    let ephemeral = matches!(cfg.target, DbTarget::Ephemeral { .. });
    let summary = crate::migrate::apply_pending(&mut db.client, o.migrations, o.history)
        .await
        .with_context(|| {
            format!(
                "migrating {}from {} before {} failed",
                if ephemeral {
                    "the ephemeral cluster "
                } else {
                    ""
                },
                o.migrations.display(),
                o.what
            )
        })?;
    if cfg.verbose > 0 {
        eprintln!(
            "{}: applied {} migration(s) from {}",
            o.what,
            summary.applied.len(),
            o.migrations.display()
        );
    }
    for w in o.seed_warnings {
        eprintln!("WARN: {w}");
    }
    if !o.seeds.is_empty() {
        let root = cfg.supabase.as_ref().and_then(|p| p.dir.parent());
        crate::migrate::seed::apply(&db.client, o.seeds, root)
            .await
            .context("seeding after the migrations failed")?;
    }
    Ok(())
}

/// Read the catalog once, consistently and read-only ([`catalog::load_consistent_shared`]: a
/// large catalog's policy expressions are read by a second connection too), naming the holder
/// of any lock that makes us wait.
pub async fn read_catalog(db: &Db, scope: &Scope) -> anyhow::Result<Snapshot> {
    db.watch_locks(
        "reading the catalog",
        catalog::load_consistent_shared(&db.client, scope, Some(db.second_connection())),
    )
    .await
}

/// One read of a target by a command that needs nothing else from the database.
pub struct Read {
    pub snap: Snapshot,
    /// The target as shown to users (password masked).
    pub display: String,
    /// Time spent reading the catalog, in ms.
    pub read_ms: f64,
}

/// Open (migrating an ephemeral cluster), read one snapshot of `scope`, close; then refuse
/// `requested` schemas that do not exist (a typo would check nothing).
pub async fn read_target(
    cfg: &RunConfig,
    o: &Open<'_>,
    scope: &Scope,
    requested: &[String],
) -> anyhow::Result<Read> {
    let db = open_and_migrate(cfg, o).await?;
    let t = Instant::now();
    let snap = read_catalog(&db, scope).await;
    let display = db.display.clone();
    db.close().await;
    let snap = snap?;
    let read_ms = t.elapsed().as_secs_f64() * 1000.0;
    check_schemas(&snap, requested)?;
    Ok(Read {
        snap,
        display,
        read_ms,
    })
}

/// Requested schemas that do not exist are input errors (a typo would check nothing).
pub fn check_schemas(snap: &Snapshot, requested: &[String]) -> Result<(), ConfigError> {
    let missing: Vec<&String> = requested
        .iter()
        .filter(|s| snap.schema(s).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ConfigError::Usage(format!(
        "schema{} {} do{} not exist in the database",
        if missing.len() == 1 { "" } else { "s" },
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        if missing.len() == 1 { "es" } else { "" }
    )))
}
