//! The migration history: which table it is (`resolve`, the ONE place that decides: deskctl's own
//! table in the private schema `deskctl` by default, or an older `public.refinery_schema_history`),
//! its rows, the Supabase CLI's `supabase_migrations.schema_migrations` next to it, and the
//! comparison of both with the files (drift, pending, status rows). Reading is read-only; the
//! only writes here are the Supabase interop ones `migrate` asks for under its lock (`adopt`:
//! versions the Supabase CLI applied become deskctl history rows; `record_supabase`: versions
//! deskctl applied are recorded where `supabase migration list` reads them). Applying files and
//! writing refinery's own rows is refinery's job, driven by `runner`.

use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

use super::error::{Drift, MigrateError};
use super::source::{MigrationFile, Sources};
use crate::config::HistoryTable;
use crate::db::{quote_ident, row_now};

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub applied_on: String,
    pub checksum: u64,
}

/// The `applied_on` of a version only the Supabase CLI recorded (it keeps no time).
pub const BY_SUPABASE_CLI: &str = "by the Supabase CLI";

/// The Supabase CLI's history table.
pub const SUPABASE_TABLE: &str = "supabase_migrations.schema_migrations";

/// Which history table this database uses. A configured table is taken as written. The default
/// is `deskctl.refinery_schema_history`, unless that does not exist and an older unqualified
/// `refinery_schema_history` is found through the search path (deskctl before 0.2 created it in
/// `public`): then that one, with a notice saying how to move it. Every caller that needs the
/// table's identity (history, the lock, refinery) goes through this function. The table it
/// returns is settled (`is_default` false): resolving that one again asks the server nothing.
pub async fn resolve(
    client: &Client,
    table: &HistoryTable,
) -> Result<(HistoryTable, Option<String>), MigrateError> {
    if !table.is_default {
        return Ok((table.clone(), None));
    }
    let row = row_now(
        client,
        "select pg_catalog.to_regclass($1) is not null as private_exists,
                (select n.nspname::text
                   from pg_catalog.pg_class c
                   join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                  where c.oid = pg_catalog.to_regclass($2)) as legacy_schema",
        &[(&table.qualified(), Type::TEXT), (&table.name, Type::TEXT)],
    )
    .await
    .map_err(|error| MigrateError::Database {
        what: "looking up the history table".into(),
        error,
    })?;
    let private_exists = row.as_ref().is_some_and(|r| r.get("private_exists"));
    let legacy: Option<String> = row.and_then(|r| r.get("legacy_schema"));
    match legacy {
        Some(schema) if !private_exists && Some(&schema) != table.schema.as_ref() => {
            let notice = format!(
                "the history table is {schema}.{} (where older deskctl versions created it); \
to move it out of the API's reach: create schema if not exists {private}; alter table {}.{} set schema {private}",
                table.name,
                quote_ident(&schema),
                quote_ident(&table.name),
                private = crate::config::DEFAULT_HISTORY_SCHEMA
            );
            Ok((
                HistoryTable {
                    schema: Some(schema),
                    name: table.name.clone(),
                    is_default: false,
                },
                Some(notice),
            ))
        }
        _ => Ok((
            HistoryTable {
                is_default: false,
                ..table.clone()
            },
            None,
        )),
    }
}

/// What the history table holds.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// `schema.table` as found (quoted), when the table exists.
    pub found: Option<String>,
    /// Rows ordered by version.
    pub rows: Vec<AppliedRow>,
    /// The version column is int4 (created by refinery without int8-versions).
    pub version_is_int4: bool,
    /// Versions in `supabase_migrations.schema_migrations` (the Supabase CLI's history), as
    /// text; `None` when that table does not exist.
    pub supabase: Option<Vec<String>>,
}

impl History {
    pub fn highest(&self) -> Option<i64> {
        self.rows.last().map(|r| r.version)
    }
}

/// Read the history table without creating it. `table` is resolved like refinery does (unquoted,
/// so case-folded, through the search path when unqualified).
pub async fn read(client: &Client, table: &HistoryTable) -> Result<History, MigrateError> {
    let (table, _) = resolve(client, table).await?;
    // Both lookups go out together (tokio-postgres pipelines them on the connection): one round
    // trip, then one for the rows.
    let (supabase, mut h) = tokio::try_join!(read_supabase(client), read_own(client, &table))?;
    h.supabase = supabase;
    Ok(h)
}

/// The versions the Supabase CLI recorded, or `None` without its table.
pub async fn read_supabase(client: &Client) -> Result<Option<Vec<String>>, MigrateError> {
    let exists = row_now(
        client,
        "select pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null as exists",
        &[],
    )
    .await
    .map_err(MigrateError::db(format!("looking up {SUPABASE_TABLE}")))?
    .is_some_and(|r| r.get("exists"));
    if !exists {
        return Ok(None);
    }
    let rows = client
        .query_typed(
            "select version::text as version from supabase_migrations.schema_migrations order by version",
            &[],
        )
        .await
        .map_err(MigrateError::db(format!("reading {SUPABASE_TABLE}")))?;
    let mut versions: Vec<String> = rows.iter().map(|r| r.get("version")).collect();
    versions.sort();
    Ok(Some(versions))
}

async fn read_own(client: &Client, table: &HistoryTable) -> Result<History, MigrateError> {
    let db = |what: &str| MigrateError::db(format!("reading the history table {table}: {what}"));
    let row = row_now(
        client,
        "select n.nspname::text as schema, c.relname::text as name,
                (select pg_catalog.format_type(a.atttypid, a.atttypmod)
                   from pg_catalog.pg_attribute a
                  where a.attrelid = c.oid and a.attname = 'version' and not a.attisdropped)
                  as version_type
           from (select pg_catalog.to_regclass($1) as oid) r
           left join pg_catalog.pg_class c on c.oid = r.oid
           left join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
        &[(&table.qualified(), Type::TEXT)],
    )
    .await
    .map_err(db("looking it up"))?;
    let Some(row) = row else {
        return Ok(History::default());
    };
    let (Some(schema), Some(name)) = (
        row.get::<_, Option<String>>("schema"),
        row.get::<_, Option<String>>("name"),
    ) else {
        return Ok(History::default());
    };
    let version_type: Option<String> = row.get("version_type");
    let found = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
    let rows = client
        .query_typed(
            &format!(
                "select version::int8 as version, name::text as name, applied_on::text as applied_on, \
                 checksum::text as checksum from {found} order by version"
            ),
            &[],
        )
        .await
        .map_err(db("selecting its rows"))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let version: i64 = r.get("version");
        let checksum_text: Option<String> = r.get("checksum");
        let checksum = checksum_text
            .as_deref()
            .and_then(|c| c.trim().parse::<u64>().ok())
            .ok_or_else(|| MigrateError::History {
                table: table.to_string(),
                problem: format!(
                    "version {version} has checksum {:?}, which is not a 64-bit unsigned number",
                    checksum_text.unwrap_or_default()
                ),
            })?;
        out.push(AppliedRow {
            version,
            name: r.get::<_, Option<String>>("name").unwrap_or_default(),
            applied_on: r.get::<_, Option<String>>("applied_on").unwrap_or_default(),
            checksum,
        });
    }
    Ok(History {
        found: Some(found),
        rows: out,
        version_is_int4: version_type.as_deref() == Some("integer"),
        supabase: None,
    })
}

/// Files the Supabase CLI applied (its table lists their version) that deskctl's history lacks.
pub fn applied_by_supabase_cli<'a>(
    sources: &'a Sources,
    history: &History,
) -> Vec<&'a MigrationFile> {
    let Some(cli) = &history.supabase else {
        return Vec::new();
    };
    let own: std::collections::BTreeSet<i64> = history.rows.iter().map(|r| r.version).collect();
    sources
        .files
        .iter()
        .filter(|f| !own.contains(&f.version) && cli.binary_search(&f.version_text).is_ok())
        .collect()
}

/// Record `files` in deskctl's history as applied (they were, by the Supabase CLI), creating the
/// table when needed. Runs in one transaction; the caller holds the migration lock.
pub async fn adopt(
    client: &Client,
    table: &HistoryTable,
    files: &[&MigrationFile],
) -> Result<(), MigrateError> {
    if files.is_empty() {
        return Ok(());
    }
    let q = table.qualified();
    let mut sql = String::from("BEGIN;\n");
    sql.push_str(&super::runner::history_table_ddl(&q));
    sql.push('\n');
    let now = applied_on_now();
    for f in files {
        sql.push_str(&format!(
            "INSERT INTO {q} (version, name, applied_on, checksum) VALUES ({}, {}, {}, {});\n",
            f.version,
            crate::db::quote_literal(&f.name),
            crate::db::quote_literal(&now),
            crate::db::quote_literal(&f.checksum.to_string())
        ));
    }
    sql.push_str("COMMIT;");
    if let Err(error) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(MigrateError::Database {
            what: format!("recording the versions the Supabase CLI applied in {table}"),
            error,
        });
    }
    Ok(())
}

/// Record applied `files` in `supabase_migrations.schema_migrations` the way the Supabase CLI
/// does (its DDL, then version, name and the statements), skipping versions already there, so
/// `supabase migration list` sees what deskctl applied.
pub async fn record_supabase(
    client: &Client,
    files: &[&MigrationFile],
) -> Result<(), MigrateError> {
    if files.is_empty() {
        return Ok(());
    }
    let what = format!("recording applied migrations in {SUPABASE_TABLE}");
    let rows: Vec<(&MigrationFile, String, Vec<String>)> = files
        .iter()
        .map(|f| {
            let body = f.body();
            let statements = match f.parsed().strict() {
                Ok(sts) => sts.iter().map(|s| s.text(body).to_string()).collect(),
                Err(_) => vec![body.to_string()],
            };
            let raw_name = f
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(super::source::supabase_match)
                .map(|(_, n)| n.to_string())
                .unwrap_or_else(|| f.name.clone());
            (*f, raw_name, statements)
        })
        .collect();
    // The DDL, then one INSERT per file, each in its own transaction as before, sent together:
    // one round trip, not one per file.
    let (ddl, inserts) = futures_util::join!(
        client.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
             CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
             ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
             ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
        ),
        futures_util::future::join_all(rows.iter().map(|(f, raw_name, statements)| async move {
            client
                .query_typed(
                    "INSERT INTO supabase_migrations.schema_migrations (version, name, statements)
                     VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
                    &[
                        (&f.version_text, Type::TEXT),
                        (raw_name, Type::TEXT),
                        (statements, Type::TEXT_ARRAY),
                    ],
                )
                .await
        }))
    );
    ddl.map_err(MigrateError::db(what.as_str()))?;
    inserts
        .into_iter()
        .find_map(Result::err)
        .map_or(Ok(()), |e| Err(MigrateError::db(what)(e)))
}

/// The state of one version, for `status` and for the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VersionState {
    Applied { applied_on: String },
    Pending { out_of_order: bool },
    Divergent { applied_on: String, what: String },
    Missing { applied_on: String },
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub version: i64,
    pub name: String,
    pub file: Option<std::path::PathBuf>,
    #[serde(flatten)]
    pub state: VersionState,
}

/// Files versus history: every version's state, and the drift that makes `migrate` refuse.
pub struct HistoryComparison<'a> {
    pub rows: Vec<StatusRow>,
    pub drift: Vec<Drift>,
    /// Files never applied, in version order (out-of-order ones included; they are drift too).
    pub pending: Vec<&'a MigrationFile>,
}

pub fn compare<'a>(sources: &'a Sources, history: &History) -> HistoryComparison<'a> {
    let highest = history.highest();
    let mut rows = Vec::new();
    let mut drift = Vec::new();
    let mut pending = Vec::new();
    let applied: std::collections::BTreeMap<i64, &AppliedRow> =
        history.rows.iter().map(|r| (r.version, r)).collect();
    for f in &sources.files {
        match applied.get(&f.version) {
            Some(a) if a.name == f.name && a.checksum == f.checksum => rows.push(StatusRow {
                version: f.version,
                name: f.name.clone(),
                file: Some(f.path.clone()),
                state: VersionState::Applied {
                    applied_on: a.applied_on.clone(),
                },
            }),
            Some(a) => {
                let name_changed = a.name != f.name;
                // Same content under the applied name would give the applied checksum.
                let content_changed = !name_changed
                    || refinery_core::Migration::unapplied(
                        &format!("V{}__{}", f.version, a.name),
                        &f.sql,
                    )
                    .map(|m| m.checksum() != a.checksum)
                    .unwrap_or(true);
                let d = Drift::Changed {
                    version: f.version,
                    file: f.path.clone(),
                    applied_name: a.name.clone(),
                    file_name: f.name.clone(),
                    name_changed,
                    content_changed,
                    applied_on: a.applied_on.clone(),
                };
                let what = match (name_changed, content_changed) {
                    (true, true) => "name and content changed",
                    (true, false) => "name changed",
                    _ => "content changed",
                };
                rows.push(StatusRow {
                    version: f.version,
                    name: f.name.clone(),
                    file: Some(f.path.clone()),
                    state: VersionState::Divergent {
                        applied_on: a.applied_on.clone(),
                        what: what.into(),
                    },
                });
                drift.push(d);
            }
            None if history
                .supabase
                .as_ref()
                .is_some_and(|cli| cli.binary_search(&f.version_text).is_ok()) =>
            {
                rows.push(StatusRow {
                    version: f.version,
                    name: f.name.clone(),
                    file: Some(f.path.clone()),
                    state: VersionState::Applied {
                        applied_on: BY_SUPABASE_CLI.into(),
                    },
                })
            }
            None => {
                let out_of_order = highest.is_some_and(|h| f.version < h);
                if let (true, Some(h)) = (out_of_order, highest) {
                    drift.push(Drift::BelowApplied {
                        version: f.version,
                        file: f.path.clone(),
                        highest: h,
                    });
                }
                rows.push(StatusRow {
                    version: f.version,
                    name: f.name.clone(),
                    file: Some(f.path.clone()),
                    state: VersionState::Pending { out_of_order },
                });
                pending.push(f);
            }
        }
    }
    for a in &history.rows {
        if sources.by_version(a.version).is_none() {
            drift.push(Drift::Missing {
                version: a.version,
                name: a.name.clone(),
                applied_on: a.applied_on.clone(),
            });
            rows.push(StatusRow {
                version: a.version,
                name: a.name.clone(),
                file: None,
                state: VersionState::Missing {
                    applied_on: a.applied_on.clone(),
                },
            });
        }
    }
    rows.sort_by_key(|r| r.version);
    drift.sort_by_key(|d| match d {
        Drift::Changed { version, .. }
        | Drift::Missing { version, .. }
        | Drift::BelowApplied { version, .. } => *version,
    });
    HistoryComparison {
        rows,
        drift,
        pending,
    }
}

/// The current time as refinery writes `applied_on`: RFC 3339 in UTC, whole seconds
/// (`2026-12-01T18:30:00Z`).
pub fn applied_on_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::source::testing::sources;

    fn applied(f: &MigrationFile) -> AppliedRow {
        AppliedRow {
            version: f.version,
            name: f.name.clone(),
            applied_on: "2026-01-01T00:00:00Z".into(),
            checksum: f.checksum,
        }
    }

    #[test]
    fn drift_names_what_differs() {
        let (_d, s) = sources(&[
            ("V1__one.sql", "select 1;"),
            ("V2__two.sql", "select 2;"),
            ("V3__three.sql", "select 3;"),
            ("V5__five.sql", "select 5;"),
        ]);
        let mut h = History {
            found: Some("x".into()),
            ..Default::default()
        };
        let mut r1 = applied(&s.files[0]);
        r1.checksum ^= 1; // content changed
        let mut r2 = applied(&s.files[1]);
        r2.name = "deux".into();
        r2.checksum = refinery_core::Migration::unapplied("V2__deux", "select 2;")
            .unwrap()
            .checksum(); // renamed only
        h.rows = vec![
            r1,
            r2,
            AppliedRow {
                version: 4,
                name: "four".into(),
                applied_on: "t".into(),
                checksum: 1,
            },
            applied(&s.files[3]),
        ];
        let c = compare(&s, &h);
        assert_eq!(c.drift.len(), 4, "{:#?}", c.drift);
        let text: Vec<String> = c.drift.iter().map(|d| d.to_string()).collect();
        assert!(text[0].contains("V1__one.sql") && text[0].contains("its content changed"));
        assert!(text[1].contains("name changed (`deux` → `two`)") && !text[1].contains("content"));
        assert!(
            text[2].contains("V3__three.sql")
                && text[2].contains("below the highest applied version 5")
        );
        assert!(text[3].contains("version 4 (four)") && text[3].contains("no file"));
        assert_eq!(c.pending.len(), 1);
    }

    #[test]
    fn versions_the_supabase_cli_applied_are_found_by_their_digits() {
        let (_d, s) = sources(&[
            ("20240101000000_a.sql", "select 1;"),
            ("20240102_b.sql", "select 2;"),
            ("20240103000000_c.sql", "select 3;"),
        ]);
        let h = History {
            supabase: Some(vec!["20240101000000".into(), "20240102".into()]),
            ..Default::default()
        };
        let cli: Vec<&str> = applied_by_supabase_cli(&s, &h)
            .iter()
            .map(|f| f.version_text.as_str())
            .collect();
        assert_eq!(cli, vec!["20240101000000", "20240102"]);
        assert!(applied_by_supabase_cli(&s, &History::default()).is_empty());
    }

    #[test]
    fn never_migrated_is_all_pending() {
        let (_d, s) = sources(&[("V1__one.sql", "select 1;")]);
        let c = compare(&s, &History::default());
        assert!(c.drift.is_empty());
        assert_eq!(
            c.rows[0].state,
            VersionState::Pending {
                out_of_order: false
            }
        );
    }
}
