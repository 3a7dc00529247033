//! The migration lock: a session-level advisory lock, one per database (the key is a constant;
//! advisory locks are per database), taken by polling `pg_try_advisory_lock` every 100 ms until a timeout. Must never
//! call the blocking `pg_advisory_lock` (a waiting session deadlocks with CREATE INDEX
//! CONCURRENTLY in the holder) and must not print (the caller decides how to say it waits).

use std::time::{Duration, Instant};

use tokio_postgres::types::Type;
use tokio_postgres::Client;

use super::error::MigrateError;
use crate::config::HistoryTable;

const POLL: Duration = Duration::from_millis(100);

/// A held lock. Released by `release`, or by the server when the session ends.
#[derive(Debug)]
pub struct MigrationLock {
    pub key: i64,
}

/// The lock key: one lock per database, whatever the history table is called. Advisory locks
/// are scoped to the current database by the server, so a constant key cannot be spelled two
/// ways (`refinery_schema_history`, `public.refinery_schema_history`, quoted, another
/// search_path): every deskctl migrating this database takes the same lock. The value is the
/// bytes of "deskctl" (big-endian), fixed forever.
pub const KEY: i64 = i64::from_be_bytes(*b"deskctl\0");

/// The pid of the session holding advisory lock `key` in this database, if any.
pub async fn holder(client: &Client, key: i64) -> Result<Option<i32>, MigrateError> {
    let row = crate::db::row_now(
        client,
        "select pid from pg_catalog.pg_locks
          where locktype = 'advisory' and granted and objsubid = 1
            and database = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())
            and classid::int8 = (($1::int8 >> 32) & 4294967295)
            and objid::int8 = ($1::int8 & 4294967295)
          limit 1",
        &[(&key, Type::INT8)],
    )
    .await
    .map_err(MigrateError::db("looking up the migration lock holder"))?;
    Ok(row.map(|r| r.get("pid")))
}

/// Take the lock, polling until `timeout`. `_table` does not enter the key (one lock per
/// database); it stays in the signature for callers that name what they migrate. `on_wait(pid)` is called once, when the first try
/// fails, with the holder's pid when it can be seen.
pub async fn acquire(
    client: &Client,
    _table: &HistoryTable,
    timeout: Duration,
    mut on_wait: impl FnMut(Option<i32>),
) -> Result<MigrationLock, MigrateError> {
    let key = KEY;
    let start = Instant::now();
    let mut waited = false;
    loop {
        let got = crate::db::row_now(
            client,
            "select pg_catalog.pg_try_advisory_lock($1) as got",
            &[(&key, Type::INT8)],
        )
        .await
        .map_err(MigrateError::db("taking the migration lock"))?
        .is_some_and(|r| r.get("got"));
        if got {
            return Ok(MigrationLock { key });
        }
        if !waited {
            waited = true;
            on_wait(holder(client, key).await?);
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(MigrateError::LockTimeout {
                timeout,
                holder: holder(client, key).await?,
            });
        }
        tokio::time::sleep(POLL.min(timeout - elapsed)).await;
    }
}

impl MigrationLock {
    /// Release the lock (errors are ignored: the session's end releases it anyway).
    pub async fn release(self, client: &Client) {
        let _ = crate::db::row_now(
            client,
            "select pg_catalog.pg_advisory_unlock($1)",
            &[(&self.key, Type::INT8)],
        )
        .await;
    }
}
