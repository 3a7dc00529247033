//! `deskctl history repair --applied V | --reverted V` and `deskctl history rechecksum V`: edit the
//! history table by hand, the way `supabase migration repair` does, under the migration lock (so
//! never while a migration runs), in one transaction with an audit row in the log table next to
//! the history (`<history>_log`), and say what changed. Must not run migration files.

use serde::Serialize;
use tokio_postgres::Client;

use super::source::Sources;
use super::{history, runner, MigrateError};
use crate::config::{HistoryTable, RepairOptions};

/// The log table next to the history table: `<schema.>` + `<name>_log`.
pub fn log_table(table: &HistoryTable) -> String {
    format!("{}_log", table.qualified())
}

/// Creates the log table (once) with the history table's privileges treatment: nothing for
/// PUBLIC, anon and authenticated.
pub fn log_table_ddl(table: &HistoryTable) -> String {
    runner::private_table_ddl(
        &log_table(table),
        "id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT pg_catalog.now(),
      action text NOT NULL,
      version int8,
      name text,
      checksum_before text,
      checksum_after text,
      by_role text NOT NULL DEFAULT current_user,
      note text",
    )
}

/// One change made.
#[derive(Debug, Clone, Serialize)]
pub struct RepairChange {
    pub action: &'static str,
    pub version: i64,
    pub name: String,
    pub checksum_before: Option<String>,
    pub checksum_after: Option<String>,
    /// What happened, in words.
    pub text: String,
}

/// Insert one audit row (inside the caller's transaction).
pub async fn log(
    client: &Client,
    table: &HistoryTable,
    c: &RepairChange,
    note: Option<&str>,
) -> Result<(), MigrateError> {
    client
        .execute(
            &format!(
                "insert into {} (action, version, name, checksum_before, checksum_after, note) values ($1, $2, $3, $4, $5, $6)",
                log_table(table)
            ),
            &[&c.action, &c.version, &c.name, &c.checksum_before, &c.checksum_after, &note],
        )
        .await
        .map_err(MigrateError::db("writing the audit row"))?;
    Ok(())
}

/// Work out the changes against the history as it is.
pub(crate) fn plan(
    o: &RepairOptions,
    sources: &Sources,
    hist: &history::History,
) -> Result<(Vec<RepairChange>, Vec<String>), MigrateError> {
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();
    let row = |v: i64| hist.rows.iter().find(|r| r.version == v);
    let bad = |problem: String| MigrateError::History {
        table: o.history.to_string(),
        problem,
    };
    for &v in &o.applied {
        let Some(f) = sources.by_version(v) else {
            return Err(bad(format!(
                "--applied {v}: no migration file in {} has that version",
                sources.dir.display()
            )));
        };
        if let Some(r) = row(v) {
            unchanged.push(format!(
                "version {v} ({}) is already in the history (applied at {}); nothing changed",
                r.name, r.applied_on
            ));
            continue;
        }
        changes.push(RepairChange {
            action: "repair-applied",
            version: v,
            name: f.name.clone(),
            checksum_before: None,
            checksum_after: Some(f.checksum.to_string()),
            text: format!(
                "marked version {v} ({}) as applied without running {}",
                f.name,
                f.path.display()
            ),
        });
    }
    for &v in &o.reverted {
        let Some(r) = row(v) else {
            unchanged.push(format!(
                "version {v} is not in the history; nothing changed"
            ));
            continue;
        };
        changes.push(RepairChange {
            action: "repair-reverted",
            version: v,
            name: r.name.clone(),
            checksum_before: Some(r.checksum.to_string()),
            checksum_after: None,
            text: format!("removed version {v} ({}, applied at {}) from the history; its schema changes were NOT undone, and `deskctl migrate` will run it again if its file is present", r.name, r.applied_on),
        });
    }
    for &v in &o.rechecksum {
        let Some(r) = row(v) else {
            return Err(bad(format!("rechecksum {v}: version {v} is not in the history (use `deskctl history repair --applied {v}`)")));
        };
        let Some(f) = sources.by_version(v) else {
            return Err(bad(format!(
                "rechecksum {v}: no migration file in {} has that version",
                sources.dir.display()
            )));
        };
        if r.checksum == f.checksum && r.name == f.name {
            unchanged.push(format!(
                "version {v} ({}): the history already matches {}; nothing changed",
                r.name,
                f.path.display()
            ));
            continue;
        }
        let renamed = if r.name != f.name {
            format!(", name `{}` → `{}`", r.name, f.name)
        } else {
            String::new()
        };
        changes.push(RepairChange {
            action: "rechecksum",
            version: v,
            name: f.name.clone(),
            checksum_before: Some(r.checksum.to_string()),
            checksum_after: Some(f.checksum.to_string()),
            text: format!("version {v}: checksum {} → {}{renamed} (accepted the edited {}; it is not run again)", r.checksum, f.checksum, f.path.display()),
        });
    }
    Ok((changes, unchanged))
}

pub(crate) async fn apply(
    client: &Client,
    table: &HistoryTable,
    changes: &[RepairChange],
    note: Option<&str>,
) -> Result<(), MigrateError> {
    let t = table.qualified();
    client
        .batch_execute(&runner::history_table_ddl(&t))
        .await
        .map_err(MigrateError::db("creating the history table"))?;
    client
        .batch_execute(&log_table_ddl(table))
        .await
        .map_err(MigrateError::db("creating the log table"))?;
    client
        .batch_execute("BEGIN")
        .await
        .map_err(MigrateError::db("starting the repair"))?;
    let res = async {
        for c in changes {
            match c.action {
                "repair-applied" => {
                    let applied_on = history::applied_on_now();
                    client
                        .execute(
                            &format!("insert into {t} (version, name, applied_on, checksum) values ($1, $2, $3, $4)"),
                            &[&c.version, &c.name, &applied_on, &c.checksum_after],
                        )
                        .await
                        .map_err(MigrateError::db("inserting the history row"))?;
                }
                "repair-reverted" => {
                    client
                        .execute(&format!("delete from {t} where version = $1"), &[&c.version])
                        .await
                        .map_err(MigrateError::db("deleting the history row"))?;
                }
                _ => {
                    client
                        .execute(
                            &format!("update {t} set checksum = $2, name = $3 where version = $1"),
                            &[&c.version, &c.checksum_after, &c.name],
                        )
                        .await
                        .map_err(MigrateError::db("updating the history row"))?;
                }
            }
            log(client, table, c, note).await?;
        }
        Ok::<(), MigrateError>(())
    }
    .await;
    match res {
        Ok(()) => client
            .batch_execute("COMMIT")
            .await
            .map_err(MigrateError::db("committing the repair")),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}
