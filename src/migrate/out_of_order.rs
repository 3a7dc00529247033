//! `migrate --out-of-order`: apply pending versions below the highest applied one (branches
//! merged late), which refinery's `Runner` never does. Under the migration lock, after the same
//! drift check as a normal run (only "below the highest applied" is let through), each such file
//! goes through the same `runner::Driver` as any migration (one transaction with its history row,
//! or `-- deskctl:no-transaction`), in version order. The caller then runs the normal plan for
//! the versions above. `apply` does not print (`announce` gets the list before anything is
//! applied); `for_migrate` prints the list and progress for `deskctl migrate`.

use std::time::Duration;

use refinery_core::traits::r#async::AsyncTransaction;
use tokio_postgres::Client;

use super::error::Drift;
use super::runner::{self, Done, Driver, Mode, Progress};
use super::source::{MigrationFile, Sources};
use super::{history, lock, MigrateError};
use crate::config::HistoryTable;

/// refinery's history INSERT for one file (names are `[A-Za-z0-9_]`, validated by `source`).
fn insert(table: &HistoryTable, f: &MigrationFile) -> String {
    let applied_on = history::applied_on_now();
    format!(
        "INSERT INTO {} (version, name, applied_on, checksum) VALUES ({}, '{}', '{}', '{}')",
        table.qualified(),
        f.version,
        f.name.replace('\'', "''"),
        applied_on,
        f.checksum
    )
}

/// Apply the out-of-order pending files (at most `target`). Returns what was applied.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    target: Option<i64>,
    lock_timeout: Duration,
    progress: Progress<'_>,
    announce: impl FnOnce(&[&MigrationFile], i64),
    on_wait: impl FnMut(Option<i32>),
) -> Result<Vec<Done>, MigrateError> {
    let l = lock::acquire(client, table, lock_timeout, on_wait).await?;
    let res = async {
        let (table, _) = history::resolve(client, table).await?;
        let table = &table;
        let hist = history::read(client, table).await?;
        let cmp = history::compare(sources, &hist);
        let other: Vec<Drift> = cmp
            .drift
            .iter()
            .filter(|d| !matches!(d, Drift::BelowApplied { .. }))
            .cloned()
            .collect();
        if !other.is_empty() {
            return Err(MigrateError::Drift {
                dir: sources.dir.clone(),
                table: table.to_string(),
                problems: other,
            });
        }
        let Some(highest) = hist.highest() else {
            return Ok(Vec::new());
        };
        let late: Vec<&MigrationFile> = cmp
            .pending
            .iter()
            .copied()
            .filter(|f| f.version < highest && target.is_none_or(|t| f.version <= t))
            .collect();
        if late.is_empty() {
            return Ok(Vec::new());
        }
        announce(&late, highest);
        let mut driver = Driver::new(client, &sources.files, Mode::Apply, progress);
        // The driver's first call is refinery's "make sure the history table exists".
        driver
            .execute(std::iter::once(
                runner::history_table_ddl(&table.qualified()).as_str(),
            ))
            .await
            .map_err(|e| MigrateError::Refinery(e.to_string()))?;
        for f in &late {
            let ins = insert(table, f);
            if let Err(e) = driver.execute(["", ins.as_str()].into_iter()).await {
                return Err(match driver.failure.take() {
                    Some(mut fail) => {
                        fail.database_version = Some(highest);
                        MigrateError::Failed(Box::new(fail))
                    }
                    None => MigrateError::Refinery(e.to_string()),
                });
            }
        }
        Ok(std::mem::take(&mut driver.done))
    }
    .await;
    l.release(client).await;
    res
}

/// `migrate --out-of-order`'s step before the normal run: lists the late versions on stdout
/// (unless quiet or JSON), then applies them with progress lines.
pub async fn for_migrate(
    client: &Client,
    sources: &Sources,
    o: &crate::config::MigrateOptions,
    color: bool,
    show: bool,
) -> Result<Vec<Done>, MigrateError> {
    let progress: Progress = if show {
        Some(Box::new(move |d: &Done| {
            println!("{}", super::progress_line(d, color))
        }))
    } else {
        None
    };
    apply(
        client,
        sources,
        &o.history,
        o.target,
        o.lock_timeout,
        progress,
        |late, highest| {
            if show {
                println!(
                    "out of order: {} pending version(s) below the highest applied version {highest}, applied first:",
                    late.len()
                );
                for f in late {
                    println!("  {} {}  {}", f.version, f.name, f.path.display());
                }
            }
        },
        super::wait_notice,
    )
    .await
}
