//! The connection refinery drives: `Driver` implements refinery's `AsyncTransaction`,
//! `AsyncQuery` and `AsyncMigrate` around a tokio-postgres `Client`, so refinery's `Runner` keeps
//! the ordering and its divergent/missing checks while deskctl adds per-migration progress and
//! timing, exact failures (the `DbError` with position mapped to file:line:col), files run outside
//! a transaction, rehearsal (roll back instead of commit) and baseline. Must not take the lock,
//! read the files or print: the caller does.
//!
//! A transactional migration is one round trip: `BEGIN`, then the file followed by refinery's
//! history INSERT as one simple-protocol query, then `COMMIT`, pipelined. An error stops the file's
//! query before the INSERT, and `COMMIT` of an aborted transaction rolls it back.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use serde::Serialize;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::error::{Failure, Phase};
use super::source::MigrationFile;
use super::split::{self, Statement};

/// How the driver treats what refinery hands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One transaction per migration (non-transactional files: none).
    Apply,
    /// Everything in one transaction that the caller rolls back (refinery grouped mode).
    Rehearse,
    /// Only record history rows (refinery's fake target).
    Baseline,
}

/// What happened to one migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Rehearsed,
    Baselined,
    Skipped,
    Pending,
}

/// One migration handled by this run.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub version: i64,
    pub name: String,
    pub file: PathBuf,
    pub outcome: Outcome,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The error refinery sees. The full story of a failed migration is in `Driver::failure`.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{}", super::error::pg_text(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error("migration failed")]
    Failed,
    #[error("{0}")]
    Internal(String),
}

/// Progress callback: called as each migration completes.
pub type Progress<'a> = Option<Box<dyn FnMut(&Done) + Send + 'a>>;

pub struct Driver<'a> {
    client: &'a Client,
    files: HashMap<i64, &'a MigrationFile>,
    mode: Mode,
    calls: usize,
    progress: Progress<'a>,
    pub done: Vec<Done>,
    pub failure: Option<Failure>,
    pub notices: Vec<String>,
}

impl<'a> Driver<'a> {
    pub fn new(
        client: &'a Client,
        files: &'a [MigrationFile],
        mode: Mode,
        progress: Progress<'a>,
    ) -> Driver<'a> {
        Driver {
            client,
            files: files.iter().map(|f| (f.version, f)).collect(),
            mode,
            calls: 0,
            progress,
            done: Vec::new(),
            failure: None,
            notices: Vec::new(),
        }
    }

    fn record(
        &mut self,
        file: &MigrationFile,
        outcome: Outcome,
        took: Duration,
        reason: Option<String>,
    ) {
        let d = Done {
            version: file.version,
            name: file.name.clone(),
            file: file.path.clone(),
            outcome,
            duration_ms: took.as_secs_f64() * 1000.0,
            reason,
        };
        if let Some(p) = self.progress.as_mut() {
            p(&d);
        }
        self.done.push(d);
    }

    fn applied_so_far(&self) -> Vec<(i64, String)> {
        self.done
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Applied | Outcome::Rehearsed))
            .map(|d| (d.version, d.name.clone()))
            .collect()
    }

    fn file_of(&self, insert: &str) -> Result<&'a MigrationFile, DriverError> {
        version_of_insert(insert)
            .and_then(|v| self.files.get(&v).copied())
            .ok_or_else(|| {
                DriverError::Internal(format!(
                    "refinery asked to record a migration deskctl did not plan: {insert}"
                ))
            })
    }

    fn fail(&mut self, mut f: Failure) -> DriverError {
        f.applied_before = self.applied_so_far();
        f.rehearsal = self.mode == Mode::Rehearse;
        self.failure = Some(f);
        DriverError::Failed
    }

    /// Run a transactional migration (or a rehearsal step, already inside the transaction).
    async fn apply_transactional(
        &mut self,
        file: &'a MigrationFile,
        insert: &str,
        own_transaction: bool,
    ) -> Result<(), DriverError> {
        let t0 = Instant::now();
        let body = file.body();
        let mut msg = String::with_capacity(body.len() + insert.len() + 4);
        msg.push_str(body);
        msg.push_str("\n;\n");
        msg.push_str(insert);
        // Queue every request before reading any answer: one round trip.
        let begin = if own_transaction {
            Some(self.client.simple_query_raw("BEGIN").await)
        } else {
            None
        };
        let main = self.client.simple_query_raw(&msg).await;
        let commit = if own_transaction {
            Some(self.client.simple_query_raw("COMMIT").await)
        } else {
            None
        };
        if let Some(b) = begin {
            if let (_, Some(e)) = drain(b).await {
                let f = failure(file, &e, None, 0, Phase::Connection);
                return Err(self.fail(f));
            }
        }
        let (completed, err) = drain(main).await;
        if let Some(e) = err {
            if let Some(c) = commit {
                let _ = drain(c).await; // rolls the aborted transaction back
            }
            let statements = split::split(body);
            let positioned_in_body = match e.as_db_error().and_then(|d| d.position()) {
                Some(ErrorPosition::Original(p)) => {
                    Some(split::char_pos_to_byte(&msg, *p as usize) < body.len())
                }
                _ => None,
            };
            let f = match (positioned_in_body, statements.get(completed)) {
                (Some(false), _) | (None, None) => failure(file, &e, None, 0, Phase::History),
                (_, st) => failure(file, &e, st, 0, Phase::Statement),
            };
            return Err(self.fail(f));
        }
        if let Some(c) = commit {
            if let (_, Some(e)) = drain(c).await {
                let f = failure(file, &e, None, 0, Phase::Commit);
                return Err(self.fail(f));
            }
        }
        let outcome = if own_transaction {
            Outcome::Applied
        } else {
            Outcome::Rehearsed
        };
        self.record(file, outcome, t0.elapsed(), None);
        Ok(())
    }

    /// Run a `-- deskctl:no-transaction` file: statement by statement in autocommit, then check
    /// for INVALID indexes it left, then record it.
    async fn apply_no_transaction(
        &mut self,
        file: &'a MigrationFile,
        insert: &str,
    ) -> Result<(), DriverError> {
        let t0 = Instant::now();
        let body = file.body();
        let before = invalid_indexes(self.client).await?;
        let mut fail = None;
        for st in split::split(body) {
            let (_, err) = drain(self.client.simple_query_raw(st.text(body)).await).await;
            if let Some(e) = err {
                fail = Some(failure(file, &e, Some(&st), st.start, Phase::Statement));
                break;
            }
        }
        let after = match invalid_indexes(self.client).await {
            Ok(a) => a,
            // Keep the statement's error when the connection is gone too.
            Err(_) if fail.is_some() => before.clone(),
            Err(e) => return Err(e),
        };
        let left: Vec<String> = after
            .into_iter()
            .filter(|i| !before.contains(i))
            .map(|(_, name)| name)
            .collect();
        if let Some(mut f) = fail {
            f.invalid_indexes = left;
            f.no_transaction = true;
            return Err(self.fail(f));
        }
        if !left.is_empty() {
            let f = Failure {
                message: format!(
                    "it left {} INVALID index(es): {} (a CREATE INDEX CONCURRENTLY that did not finish)",
                    left.len(),
                    left.join(", ")
                ),
                invalid_indexes: left,
                no_transaction: true,
                ..blank_failure(file, Phase::InvalidIndex)
            };
            return Err(self.fail(f));
        }
        if let Err(e) = self.client.batch_execute(insert).await {
            let mut f = failure(file, &e, None, 0, Phase::History);
            f.no_transaction = true;
            return Err(self.fail(f));
        }
        self.record(file, Outcome::Applied, t0.elapsed(), None);
        Ok(())
    }

    async fn rehearse(&mut self, queries: &[&str]) -> Result<usize, DriverError> {
        for pair in queries.chunks(2) {
            let [_, insert] = pair else {
                return Err(DriverError::Internal(
                    "refinery sent an unpaired grouped query".into(),
                ));
            };
            let file = self.file_of(insert)?;
            let skip = if file.no_transaction {
                Some("it runs outside a transaction (-- deskctl:no-transaction), so it cannot be rehearsed".to_string())
            } else {
                file.transaction_control.as_ref().map(|(line, kw)| {
                    format!("it contains its own {kw} (line {line}), which would end the rehearsal's transaction")
                })
            };
            if let Some(reason) = skip {
                self.notices.push(format!(
                    "skipped V{}__{}: {reason}",
                    file.version, file.name
                ));
                self.record(file, Outcome::Skipped, Duration::ZERO, Some(reason));
                continue;
            }
            self.apply_transactional(file, insert, false).await?;
        }
        Ok(queries.len())
    }

    async fn baseline(&mut self, queries: &[&str]) -> Result<usize, DriverError> {
        let t0 = Instant::now();
        let all = queries.join(";\n");
        let begin = self.client.simple_query_raw("BEGIN").await;
        let main = self.client.simple_query_raw(&all).await;
        let commit = self.client.simple_query_raw("COMMIT").await;
        for s in [begin, main, commit] {
            if let (_, Some(e)) = drain(s).await {
                return Err(DriverError::Db(e));
            }
        }
        let took = t0.elapsed();
        for q in queries {
            let file = self.file_of(q)?;
            self.record(file, Outcome::Baselined, took, None);
        }
        Ok(queries.len())
    }
}

/// The version in refinery's `INSERT INTO t (version, ...) VALUES (v, ...)`.
fn version_of_insert(q: &str) -> Option<i64> {
    let rest = &q[q.find("VALUES (")? + "VALUES (".len()..];
    rest[..rest.find(',')?].trim().parse().ok()
}

/// Read a simple-query stream to its end: statements completed, and the error if one came.
pub(crate) async fn drain(
    s: Result<tokio_postgres::SimpleQueryStream, tokio_postgres::Error>,
) -> (usize, Option<tokio_postgres::Error>) {
    let s = match s {
        Ok(s) => s,
        Err(e) => return (0, Some(e)),
    };
    let mut s = std::pin::pin!(s);
    let mut n = 0;
    while let Some(m) = s.next().await {
        match m {
            Ok(SimpleQueryMessage::CommandComplete(_)) => n += 1,
            Ok(_) => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

/// Indexes marked INVALID in this database: (oid, qualified name).
async fn invalid_indexes(client: &Client) -> Result<Vec<(i64, String)>, DriverError> {
    let rows = client
        .query(
            "select i.indexrelid::int8, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
               from pg_catalog.pg_index i
               join pg_catalog.pg_class c on c.oid = i.indexrelid
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where not i.indisvalid
              order by 2",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn blank_failure(file: &MigrationFile, phase: Phase) -> Failure {
    Failure {
        version: file.version,
        name: file.name.clone(),
        file: file.path.clone(),
        phase,
        line: None,
        column: None,
        sqlstate: None,
        message: String::new(),
        detail: None,
        hint: None,
        context: None,
        statement: None,
        invalid_indexes: Vec::new(),
        applied_before: Vec::new(),
        database_version: None,
        no_transaction: file.no_transaction,
        rehearsal: false,
    }
}

/// The PL/pgSQL line in a DO block's CONTEXT ("PL/pgSQL function inline_code_block line 4 at RAISE").
fn inline_block_line(context: &str) -> Option<usize> {
    let rest =
        &context[context.find("inline_code_block line ")? + "inline_code_block line ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Build the failure record. `statement` is the failing statement when known; `sent_at` is the
/// byte offset in the file body where the text that was sent starts (PostgreSQL positions count
/// characters from there).
fn failure(
    file: &MigrationFile,
    e: &tokio_postgres::Error,
    statement: Option<&Statement>,
    sent_at: usize,
    phase: Phase,
) -> Failure {
    let body = file.body();
    let mut f = blank_failure(file, phase);
    match e.as_db_error() {
        Some(db) => {
            f.sqlstate = Some(db.code().code().to_string());
            f.message = db.message().to_string();
            f.detail = db.detail().map(str::to_string);
            f.hint = db.hint().map(str::to_string);
            f.context = db.where_().map(str::to_string);
            if phase == Phase::Statement {
                let mut at = statement.map(|s| s.start);
                if let Some(ErrorPosition::Original(p)) = db.position() {
                    let sent = &body[sent_at..];
                    at = Some(sent_at + split::char_pos_to_byte(sent, *p as usize));
                    let (l, c) = split::line_col(body, at.unwrap_or(0));
                    f.line = Some(l);
                    f.column = Some(c);
                } else if let (Some(st), Some(n)) =
                    (statement, f.context.as_deref().and_then(inline_block_line))
                {
                    // A DO block: its body's line N is the file's line (opening $$ line + N - 1).
                    if let Some(first) = split::body_start_line(body, st) {
                        f.line = Some(first + n - 1);
                    }
                }
                if f.line.is_none() {
                    if let Some(a) = at {
                        let (l, c) = split::line_col(body, a);
                        f.line = Some(l);
                        f.column = Some(c);
                    }
                }
                if let Some(st) = statement {
                    let text = st.text(body);
                    let first = text.lines().next().unwrap_or("").trim();
                    let mut shown: String = first.chars().take(120).collect();
                    if shown.len() < first.len() || text.lines().nth(1).is_some() {
                        shown.push_str(" …");
                    }
                    f.statement = Some(shown);
                }
            }
        }
        None => {
            f.phase = Phase::Connection;
            f.message = super::error::pg_text(e);
        }
    }
    f
}

/// The history table DDL: refinery's table (int8 versions), the schema created when the name is
/// schema-qualified, and — only when deskctl creates the table — no privileges for PUBLIC and
/// Supabase's API roles (`anon`, `authenticated`), whose default privileges would otherwise let
/// anyone with the anon key rewrite the history through the API. Names were validated to
/// `[A-Za-z0-9_]` by `HistoryTable::parse`, so pasting them (as refinery does) is safe.
pub fn history_table_ddl(table: &str) -> String {
    let schema = match table.split_once('.') {
        Some((schema, _)) => format!("CREATE SCHEMA IF NOT EXISTS {schema};\n"),
        None => String::new(),
    };
    format!(
        "{schema}DO $deskctl$
BEGIN
  IF pg_catalog.to_regclass('{table}') IS NULL THEN
    CREATE TABLE {table}(
             version int8 PRIMARY KEY,
             name VARCHAR(255),
             applied_on VARCHAR(255),
             checksum VARCHAR(255));
    REVOKE ALL ON TABLE {table} FROM PUBLIC;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
      REVOKE ALL ON TABLE {table} FROM anon;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
      REVOKE ALL ON TABLE {table} FROM authenticated;
    END IF;
  END IF;
END
$deskctl$;"
    )
}

impl AsyncTransaction for Driver<'_> {
    type Error = DriverError;

    async fn execute<'b, T: Iterator<Item = &'b str> + Send + 'b>(
        &mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let queries: Vec<&str> = queries.collect();
        self.calls += 1;
        if self.calls == 1 {
            // refinery first asserts the history table exists.
            if self.mode == Mode::Rehearse {
                self.client.batch_execute("BEGIN").await?;
            }
            self.client.batch_execute(&queries.join("\n")).await?;
            return Ok(queries.len());
        }
        match self.mode {
            Mode::Apply => {
                let [_, insert] = queries[..] else {
                    return Err(DriverError::Internal(format!(
                        "refinery sent {} queries for one migration",
                        queries.len()
                    )));
                };
                let file = self.file_of(insert)?;
                if file.no_transaction {
                    self.apply_no_transaction(file, insert).await?;
                } else {
                    self.apply_transactional(file, insert, true).await?;
                }
                Ok(2)
            }
            Mode::Rehearse => self.rehearse(&queries).await,
            Mode::Baseline => self.baseline(&queries).await,
        }
    }
}

impl AsyncQuery<Vec<refinery_core::Migration>> for Driver<'_> {
    async fn query(&mut self, query: &str) -> Result<Vec<refinery_core::Migration>, Self::Error> {
        let rows = self.client.query(query, &[]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let version: i64 = match row.try_get::<_, i64>(0) {
                Ok(v) => v,
                Err(_) => row.try_get::<_, i32>(0).map(i64::from)?,
            };
            let name: Option<String> = row.try_get(1)?;
            let applied_on: Option<String> = row.try_get(2)?;
            let checksum: Option<String> = row.try_get(3)?;
            let applied_on = applied_on
                .as_deref()
                .and_then(|s| {
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let checksum = checksum
                .as_deref()
                .and_then(|c| c.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    DriverError::Internal(format!(
                        "history row for version {version} has a checksum that is not a number"
                    ))
                })?;
            out.push(refinery_core::Migration::applied(
                version,
                name.unwrap_or_default(),
                applied_on,
                checksum,
            ));
        }
        Ok(out)
    }
}

impl AsyncMigrate for Driver<'_> {
    fn assert_migrations_table_query(migration_table_name: &str) -> String {
        history_table_ddl(migration_table_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_version_is_read() {
        assert_eq!(
            version_of_insert("INSERT INTO h (version, name, applied_on, checksum) VALUES (20251204000000, 'x', 't', '1')"),
            Some(20251204000000)
        );
        assert_eq!(version_of_insert("INSERT INTO h VALUES"), None);
    }

    #[test]
    fn do_block_line_is_read_from_context() {
        assert_eq!(
            inline_block_line("PL/pgSQL function inline_code_block line 12 at RAISE"),
            Some(12)
        );
        assert_eq!(inline_block_line("SQL function \"f\" statement 1"), None);
    }

    #[test]
    fn ddl_creates_the_schema_when_qualified() {
        assert!(history_table_ddl("ops.hist").starts_with("CREATE SCHEMA IF NOT EXISTS ops;\nDO "));
        let plain = history_table_ddl("hist");
        assert!(plain.starts_with("DO $deskctl$"));
        assert!(plain.contains("to_regclass('hist') IS NULL"));
        assert!(plain.contains("CREATE TABLE hist("));
    }
}
