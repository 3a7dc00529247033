//! The connection refinery drives: `Driver` implements refinery's `AsyncTransaction`,
//! `AsyncQuery` and `AsyncMigrate` around a tokio-postgres `Client`, so refinery's `Runner` keeps
//! the ordering and its divergent/missing checks while deskctl adds per-migration progress and
//! timing, exact failures (the `DbError` with position mapped to file:line:col), files run outside
//! a transaction or in parts, INVALID-index refusal, and baseline. Statement boundaries and kinds
//! come from `sqltext` (PostgreSQL's parser). Must not take the lock, read the files or print: the
//! caller does.
//!
//! A transactional migration is one round trip: `BEGIN`, then the file followed by refinery's
//! history INSERT as one simple-protocol query, then `COMMIT`, pipelined. An error stops the file's
//! query before the INSERT, and `COMMIT` of an aborted transaction rolls it back.
//!
//! A pipelining driver (`Driver::pipelined`, what `migrate` uses) also sends the next plain files
//! before the answers of the previous ones have come back, so the server never waits for the
//! client between files. The server itself keeps a failure from letting a later file commit (see
//! `send_pipelined`); the caller must call `Driver::finish` once refinery is done.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use serde::Serialize;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryStream};

use super::error::{FailedDuring, Failure};
use super::source::MigrationFile;
use crate::sqltext::{self, Kind, Statement};

/// How the driver treats what refinery hands it (`--rehearse` does not go through refinery:
/// see `rehearse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One transaction per migration (non-transactional files: none).
    Apply,
    /// Only record history rows (refinery's fake target).
    Baseline,
}

/// One part of a file that does not run as one transaction: statement indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Consecutive statements in one transaction.
    Tx(Vec<usize>),
    /// One statement on its own, outside any transaction block.
    Alone(usize),
}

/// What happened to one migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationOutcome {
    Applied,
    Rehearsed,
    Baselined,
    Skipped,
    Pending,
}

/// One migration handled by this run.
#[derive(Debug, Clone, Serialize)]
#[serde(into = "DoneDoc")]
pub struct Done {
    /// 0 for a repeatable (shown as `null` in JSON).
    pub version: i64,
    pub name: String,
    pub file: PathBuf,
    pub outcome: MigrationOutcome,
    pub duration_ms: f64,
    pub reason: Option<String>,
    /// A repeatable migration (`R__{name}.sql`).
    pub repeatable: bool,
}

impl Done {
    /// `V{version}__{name}`, or `R__{name}`.
    pub fn label(&self) -> String {
        if self.repeatable {
            format!("R__{}", self.name)
        } else {
            format!("V{}__{}", self.version, self.name)
        }
    }
}

/// How `Done` reads in JSON: a repeatable has no version.
#[derive(Serialize)]
struct DoneDoc {
    version: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    repeatable: bool,
    name: String,
    file: PathBuf,
    outcome: MigrationOutcome,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<Done> for DoneDoc {
    fn from(d: Done) -> DoneDoc {
        DoneDoc {
            version: (!d.repeatable).then_some(d.version),
            repeatable: d.repeatable,
            name: d.name,
            file: d.file,
            outcome: d.outcome,
            duration_ms: d.duration_ms,
            reason: d.reason,
        }
    }
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

/// At most this many pipelined files are sent and not yet answered: enough to keep the server
/// busy across a round trip of ~10 ms (1,000 one-table files through a 10 ms round trip: 3.5 s
/// with 4, 1.1 s with 16), few enough that progress lines keep up and that a killed run leaves
/// few files still to be applied by the server.
const PIPELINE_DEPTH: usize = 16;

/// The check a pipelined file's query starts with: `SAVEPOINT` fails outside a transaction block
/// (a block only the previous file's successful `COMMIT` opens), and the rest of that query is
/// then skipped. ASCII: PostgreSQL's error positions in the file count from just after it.
const STEP_CHECK: &str = "SAVEPOINT deskctl_step;\n";

/// A pipelined file: sent, its answers not read yet.
struct InFlight<'a> {
    file: &'a MigrationFile,
    sent: Instant,
    /// `BEGIN`, sent only before a file no pipelined file precedes.
    begin: Option<Result<SimpleQueryStream, tokio_postgres::Error>>,
    body: Result<SimpleQueryStream, tokio_postgres::Error>,
    end: Result<SimpleQueryStream, tokio_postgres::Error>,
}

/// A pipelining driver's state: whether the last query sent ends in an open transaction block
/// (every pipelined file's last query ends with `BEGIN` for the next one), and when the last
/// answer came.
#[derive(Default)]
struct Pipeline {
    open: bool,
    answered_at: Option<Instant>,
}

pub struct Driver<'a> {
    client: &'a Client,
    files: HashMap<i64, &'a MigrationFile>,
    mode: Mode,
    calls: usize,
    progress: Progress<'a>,
    pub done: Vec<Done>,
    pub failure: Option<Failure>,
    pub notices: Vec<String>,
    server_version: Option<i32>,
    pipeline: Option<Pipeline>,
    in_flight: VecDeque<InFlight<'a>>,
    /// The `COMMIT` ending the last pipelined file's block, sent and not answered yet.
    closing: Option<Result<SimpleQueryStream, tokio_postgres::Error>>,
    /// refinery's history table DDL, sent but not answered yet: its answer is read with that of
    /// the history query refinery sends next, so that both take one round trip.
    table_ddl: Option<Result<SimpleQueryStream, tokio_postgres::Error>>,
    /// Why that DDL failed (the run stops there; the caller reports this error).
    pub table_error: Option<tokio_postgres::Error>,
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
            server_version: None,
            pipeline: None,
            in_flight: VecDeque::new(),
            closing: None,
            table_ddl: None,
            table_error: None,
        }
    }

    /// This driver sends plain transactional files ahead of the answers to earlier ones (see
    /// `send_pipelined`). The caller must then call [`Driver::finish`] after the last file.
    pub fn pipelined(mut self) -> Driver<'a> {
        self.pipeline = Some(Pipeline::default());
        self
    }

    /// After a run through this driver ended with `res`: the answers of the files still in
    /// flight. A failure among them makes the run fail (the failure is in `failure`); after an
    /// error they are only read, and the transaction a failure left open is rolled back.
    pub async fn finish(
        &mut self,
        res: Result<(), super::MigrateError>,
    ) -> Result<(), super::MigrateError> {
        if res.is_err() {
            if !self.in_flight.is_empty() || self.pipeline.as_ref().is_some_and(|p| p.open) {
                self.abandon().await;
            }
            return res;
        }
        self.settle_all()
            .await
            .map_err(|e| super::MigrateError::Refinery(e.to_string()))
    }

    fn record(
        &mut self,
        file: &MigrationFile,
        outcome: MigrationOutcome,
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
            repeatable: file.repeatable,
        };
        if let Some(p) = self.progress.as_mut() {
            p(&d);
        }
        self.done.push(d);
    }

    fn applied_so_far(&self) -> Vec<(i64, String)> {
        self.done
            .iter()
            .filter(|d| {
                matches!(
                    d.outcome,
                    MigrationOutcome::Applied | MigrationOutcome::Rehearsed
                )
            })
            .filter(|d| !d.repeatable)
            .map(|d| (d.version, d.name.clone()))
            .collect()
    }

    fn repeatables_so_far(&self) -> Vec<String> {
        self.done
            .iter()
            .filter(|d| {
                matches!(
                    d.outcome,
                    MigrationOutcome::Applied | MigrationOutcome::Rehearsed
                )
            })
            .filter(|d| d.repeatable)
            .map(Done::label)
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
        f.repeatables_before = self.repeatables_so_far();
        self.failure = Some(f);
        DriverError::Failed
    }

    /// Apply one file and run `record` (the SQL writing its history row) with it: in its
    /// transaction, or after it for a `-- deskctl:no-transaction` file or one run in parts.
    pub async fn apply_file(
        &mut self,
        file: &'a MigrationFile,
        record: &str,
    ) -> Result<(), DriverError> {
        if self.pipeline.is_some() && pipelinable(file) {
            return self.send_pipelined(file, record).await;
        }
        // Anything else runs alone: the answers to the files before it first.
        self.settle_all().await?;
        if file.no_transaction {
            let statements = &file.parsed().statements;
            let parts = self.parts(statements, true).await?;
            self.apply_in_parts(file, statements, &parts, record).await
        } else {
            self.apply_transactional(file, record).await
        }
    }

    /// Send a plain file (see `pipelinable`) without waiting for its answers, after at most
    /// `PIPELINE_DEPTH - 1` files still unanswered: two queries (three for a file no pipelined
    /// file precedes, which sends `BEGIN` first).
    ///
    /// 1. `STEP_CHECK`, then the file. The transaction block this runs in is the one the
    ///    previous file's last query opened after its `COMMIT` succeeded. When that `COMMIT`
    ///    failed (a deferred constraint), the rest of that query, its `BEGIN`, was skipped: the
    ///    `SAVEPOINT` then fails outside a transaction block and nothing of this file runs. A
    ///    failure that leaves the transaction aborted stops every later query by itself.
    /// 2. `SAVEPOINT` again (it fails outside a transaction block: if the file ended deskctl's
    ///    transaction itself, the history row is not written), the history row, `COMMIT`, and
    ///    `BEGIN` for the next file.
    ///
    /// The answers are read in order by `settle_oldest`; `settle_all` ends the last block.
    async fn send_pipelined(
        &mut self,
        file: &'a MigrationFile,
        record: &str,
    ) -> Result<(), DriverError> {
        while self.in_flight.len() >= PIPELINE_DEPTH {
            self.settle_oldest().await?;
        }
        let Some(p) = self.pipeline.as_mut() else {
            return Err(DriverError::Internal("pipelining is off".into()));
        };
        let begin = match std::mem::replace(&mut p.open, true) {
            true => None,
            false => Some(self.client.simple_query_raw("BEGIN").await),
        };
        let text = file.body();
        let mut body = String::with_capacity(STEP_CHECK.len() + text.len());
        body.push_str(STEP_CHECK);
        body.push_str(text);
        let body = self.client.simple_query_raw(&body).await;
        let end = format!("SAVEPOINT deskctl_step;\n{record};\nCOMMIT;\nBEGIN");
        let end = self.client.simple_query_raw(&end).await;
        self.in_flight.push_back(InFlight {
            file,
            sent: Instant::now(),
            begin,
            body,
            end,
        });
        Ok(())
    }

    /// Read the answers of every pipelined file still in flight, in order, and end the
    /// transaction block the last one opened (its `COMMIT` goes out before those answers are
    /// read: no round trip of its own).
    async fn settle_all(&mut self) -> Result<(), DriverError> {
        if let Some(p) = self.pipeline.as_mut().filter(|p| p.open) {
            p.open = false;
            self.closing = Some(self.client.simple_query_raw("COMMIT").await);
        }
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        match self.closing.take() {
            Some(c) => match drain(c).await {
                (_, Some(e)) => Err(DriverError::Db(e)),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Read the answers of the oldest pipelined file: record it, or on failure read (and
    /// discard) those of the files after it, end the aborted transaction and fail.
    async fn settle_oldest(&mut self) -> Result<(), DriverError> {
        let Some(f) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let file = f.file;
        let started = self
            .pipeline
            .as_ref()
            .and_then(|p| p.answered_at)
            .map_or(f.sent, |at| at.max(f.sent));
        // All answers, in order, whatever they are: the connection then holds nothing of this
        // file.
        let begin_err = match f.begin {
            Some(b) => drain(b).await.1,
            None => None,
        };
        let (completed, body_err) = drain(f.body).await;
        let (ended, end_err) = drain(f.end).await;
        let statements = &file.parsed().statements;
        let failed = if let Some(e) = begin_err {
            Some(failure(file, &e, None, 0, FailedDuring::Connection))
        } else if let Some(e) = body_err {
            let positioned = e.as_db_error().and_then(|d| d.position()).is_some();
            Some(match completed {
                0 if e.as_db_error().is_none() => {
                    failure(file, &e, None, 0, FailedDuring::Connection)
                }
                // Not even the check ran, and the error has no position: the check failed (a
                // failed COMMIT before it is reported for its own file first, so here the BEGIN
                // after a committed file failed).
                0 if !positioned => Failure {
                    message: format!(
                        "deskctl's transaction for it was not open, so nothing of it ran ({})",
                        super::error::pg_text(&e)
                    ),
                    ..failure(file, &e, None, 0, FailedDuring::Connection)
                },
                // Statement n of the file failed, or (0) PostgreSQL's parser refused the query
                // before running any of it: the position names the statement.
                n => {
                    let st = n.checked_sub(1).and_then(|i| statements.get(i));
                    failure_in_query(file, &e, st, 0, STEP_CHECK.len(), FailedDuring::Statement)
                }
            })
        } else if let Some(e) = end_err {
            match ended {
                // The SAVEPOINT: outside a transaction block.
                0 => Some(Failure {
                    message: "the file ended deskctl's transaction itself: PostgreSQL ran a COMMIT or ROLLBACK inside it (what ran before that is committed); its history row was not written".into(),
                    ..failure(file, &e, None, 0, FailedDuring::History)
                }),
                1 => Some(failure(file, &e, None, 0, FailedDuring::History)),
                2 => Some(failure(file, &e, None, 0, FailedDuring::Commit)),
                // Committed with its history row; the next file's BEGIN failed (the next
                // file's check reports it).
                _ => {
                    if let Some(p) = self.pipeline.as_mut() {
                        p.open = false;
                    }
                    None
                }
            }
        } else {
            None
        };
        if let Some(fail) = failed {
            self.abandon().await;
            return Err(self.fail(fail));
        }
        let now = Instant::now();
        if let Some(p) = self.pipeline.as_mut() {
            p.answered_at = Some(now);
        }
        self.record(file, MigrationOutcome::Applied, now - started, None);
        Ok(())
    }

    /// After a failure: read the answers of the files still in flight (errors: the failure left
    /// the transaction aborted, or their check stopped them) and of the block's `COMMIT` if it
    /// was sent, then roll back the transaction left open, if any (outside one, ROLLBACK only
    /// warns).
    async fn abandon(&mut self) {
        for f in std::mem::take(&mut self.in_flight) {
            if let Some(b) = f.begin {
                let _ = drain(b).await;
            }
            for s in [f.body, f.end] {
                let _ = drain(s).await;
            }
        }
        if let Some(c) = self.closing.take() {
            let _ = drain(c).await;
        }
        if let Some(p) = self.pipeline.as_mut() {
            p.open = false;
        }
        let _ = self.client.batch_execute("ROLLBACK").await;
    }

    /// Run a transactional migration: one transaction with its history row, or in parts when
    /// it holds statements that cannot run in a transaction block (see `parts`).
    async fn apply_transactional(
        &mut self,
        file: &'a MigrationFile,
        insert: &str,
    ) -> Result<(), DriverError> {
        let t0 = Instant::now();
        let body = file.body();
        let statements = &file.parsed().statements;
        let parts = self.parts(statements, false).await?;
        if parts.iter().any(|p| matches!(p, Part::Alone(_))) {
            return self.apply_in_parts(file, statements, &parts, insert).await;
        }
        let mut msg = String::with_capacity(body.len() + insert.len() + 4);
        msg.push_str(body);
        msg.push_str("\n;\n");
        msg.push_str(insert);
        // Queue every request before reading any answer: one round trip.
        let begin = self.client.simple_query_raw("BEGIN").await;
        let main = self.client.simple_query_raw(&msg).await;
        let commit = self.client.simple_query_raw("COMMIT").await;
        if let (_, Some(e)) = drain(begin).await {
            let f = failure(file, &e, None, 0, FailedDuring::Connection);
            return Err(self.fail(f));
        }
        let (completed, err) = drain(main).await;
        if let Some(e) = err {
            let _ = drain(commit).await; // rolls the aborted transaction back
            let positioned_in_body = match e.as_db_error().and_then(|d| d.position()) {
                Some(ErrorPosition::Original(p)) => {
                    Some(sqltext::char_pos_to_byte(&msg, *p as usize) < body.len())
                }
                _ => None,
            };
            let f = match (positioned_in_body, statements.get(completed)) {
                (Some(false), _) | (None, None) => {
                    failure(file, &e, None, 0, FailedDuring::History)
                }
                (_, st) => failure(file, &e, st, 0, FailedDuring::Statement),
            };
            return Err(self.fail(f));
        }
        if let (_, Some(e)) = drain(commit).await {
            let f = failure(file, &e, None, 0, FailedDuring::Commit);
            return Err(self.fail(f));
        }
        self.record(file, MigrationOutcome::Applied, t0.elapsed(), None);
        Ok(())
    }

    /// How a file runs: a `-- deskctl:no-transaction` file statement by statement; a
    /// transactional file holding statements that cannot run in a transaction block (CREATE
    /// INDEX CONCURRENTLY, VACUUM, ALTER TYPE ... ADD VALUE before PostgreSQL 12, ...) the way the
    /// Supabase CLI runs it: the statements between them in transactions, each of them alone.
    /// Otherwise one part: the whole file in one transaction.
    async fn parts(
        &mut self,
        statements: &[Statement],
        no_transaction: bool,
    ) -> Result<Vec<Part>, DriverError> {
        let mut parts = Vec::new();
        let mut group = Vec::new();
        for (i, st) in statements.iter().enumerate() {
            if no_transaction || self.needs_own_transaction(st).await? {
                if !group.is_empty() {
                    parts.push(Part::Tx(std::mem::take(&mut group)));
                }
                parts.push(Part::Alone(i));
            } else {
                group.push(i);
            }
        }
        if !group.is_empty() {
            parts.push(Part::Tx(group));
        }
        Ok(parts)
    }

    async fn needs_own_transaction(&mut self, st: &Statement) -> Result<bool, DriverError> {
        if matches!(st.kind(), Kind::NoTransaction(_)) {
            return Ok(true);
        }
        if st.node.as_ref().is_some_and(sqltext::adds_enum_value) {
            return Ok(self.server_version().await? < 120_000);
        }
        Ok(false)
    }

    async fn server_version(&mut self) -> Result<i32, DriverError> {
        if let Some(v) = self.server_version {
            return Ok(v);
        }
        let v: String = self
            .client
            .query_one(
                "select pg_catalog.current_setting('server_version_num') as server_version_num",
                &[],
            )
            .await?
            .get("server_version_num");
        let v = v.parse().unwrap_or(i32::MAX);
        self.server_version = Some(v);
        Ok(v)
    }

    /// Run a file in parts (see `parts`), then refuse to record it while an index it creates is
    /// INVALID (an interrupted or failed CREATE INDEX CONCURRENTLY), then record it.
    async fn apply_in_parts(
        &mut self,
        file: &'a MigrationFile,
        statements: &[Statement],
        parts: &[Part],
        insert: &str,
    ) -> Result<(), DriverError> {
        let t0 = Instant::now();
        let body = file.body();
        let alone: Vec<(usize, String)> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Alone(i) if !file.no_transaction => {
                    let st = &statements[*i];
                    let what = st
                        .kind()
                        .describe()
                        .unwrap_or_else(|| "ALTER TYPE ... ADD VALUE".into());
                    Some((sqltext::line_col(body, st.start).0, what))
                }
                _ => None,
            })
            .collect();
        let mark = |mut f: Failure| {
            f.no_transaction = true;
            f.ran_in_parts = alone.clone();
            f
        };
        // An index this file creates that exists INVALID (left by an interrupted run): running
        // the file again would fail on it, or skip it (IF NOT EXISTS) and record a broken index.
        let leftovers = invalid_named_indexes(self.client, statements).await?;
        if !leftovers.is_empty() {
            let f = Failure {
                message: format!(
                    "index {} that this file creates already exists and is INVALID (left by an interrupted CREATE INDEX CONCURRENTLY); nothing of this file was run",
                    leftovers.join(", ")
                ),
                invalid_indexes: leftovers,
                ..blank_failure(file, FailedDuring::InvalidIndex)
            };
            return Err(self.fail(mark(f)));
        }
        let before = invalid_indexes(self.client).await?;
        let mut fail = None;
        for part in parts {
            let err = match part {
                Part::Alone(i) => {
                    let st = &statements[*i];
                    drain(self.client.simple_query_raw(st.text(body)).await)
                        .await
                        .1
                        .map(|e| failure(file, &e, Some(st), st.start, FailedDuring::Statement))
                }
                Part::Tx(ix) => self.run_group(file, statements, ix).await,
            };
            if err.is_some() {
                fail = err;
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
            return Err(self.fail(mark(f)));
        }
        if !left.is_empty() {
            let f = Failure {
                message: format!(
                    "it left {} INVALID index(es): {} (a CREATE INDEX CONCURRENTLY that did not finish)",
                    left.len(),
                    left.join(", ")
                ),
                invalid_indexes: left,
                ..blank_failure(file, FailedDuring::InvalidIndex)
            };
            return Err(self.fail(mark(f)));
        }
        if let Err(e) = self.client.batch_execute(insert).await {
            let f = failure(file, &e, None, 0, FailedDuring::History);
            return Err(self.fail(mark(f)));
        }
        if !alone.is_empty() {
            let list: Vec<String> = alone
                .iter()
                .map(|(l, w)| format!("{w} (line {l})"))
                .collect();
            self.notices.push(format!(
                "{} ran in parts, as the Supabase CLI runs it: {} cannot run inside a transaction block, so each ran on its own and the statements around them in their own transactions (not atomic; mark the file `{}` to say so)",
                file.path.display(),
                list.join(", "),
                super::source::NO_TRANSACTION_MARKER
            ));
        }
        self.record(file, MigrationOutcome::Applied, t0.elapsed(), None);
        Ok(())
    }

    /// Statements `ix` (consecutive) of a file in one transaction: BEGIN, their text, COMMIT,
    /// pipelined. The failure, if any.
    async fn run_group(
        &mut self,
        file: &MigrationFile,
        statements: &[Statement],
        ix: &[usize],
    ) -> Option<Failure> {
        let body = file.body();
        let (first, last) = (&statements[*ix.first()?], &statements[*ix.last()?]);
        let begin = self.client.simple_query_raw("BEGIN").await;
        let main = self
            .client
            .simple_query_raw(&body[first.start..last.end])
            .await;
        let commit = self.client.simple_query_raw("COMMIT").await;
        if let (_, Some(e)) = drain(begin).await {
            return Some(failure(file, &e, None, 0, FailedDuring::Connection));
        }
        let (completed, err) = drain(main).await;
        if let Some(e) = err {
            let _ = drain(commit).await; // rolls the aborted transaction back
            let st = ix.get(completed).map(|&i| &statements[i]);
            return Some(failure(file, &e, st, first.start, FailedDuring::Statement));
        }
        if let (_, Some(e)) = drain(commit).await {
            return Some(failure(file, &e, None, 0, FailedDuring::Commit));
        }
        None
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
            self.record(file, MigrationOutcome::Baselined, took, None);
        }
        Ok(queries.len())
    }
}

/// A file the pipeline may send ahead: transactional, parsed by PostgreSQL's parser, and holding
/// nothing that needs the file alone in its transaction or outside one (transaction control, a
/// statement that cannot run in a transaction block, ALTER TYPE ... ADD VALUE, SET TRANSACTION,
/// which must come first in its transaction). Everything else runs alone, as before.
fn pipelinable(file: &MigrationFile) -> bool {
    let parsed = file.parsed();
    !file.no_transaction
        && parsed.error.is_none()
        && parsed.statements.iter().all(|st| match st.kind() {
            Kind::TransactionControl(_) | Kind::NoTransaction(_) => false,
            // SET TRANSACTION and the settings it stands for (transaction_isolation, ...): first
            // in their transaction, and never in a subtransaction (a pipelined file runs in one).
            Kind::Set { name, .. } if name.starts_with("transaction") => false,
            _ => !st.node.as_ref().is_some_and(sqltext::adds_enum_value),
        })
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
            "select i.indexrelid::int8 as oid,
                    pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as qualified
               from pg_catalog.pg_index i
               join pg_catalog.pg_class c on c.oid = i.indexrelid
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where not i.indisvalid
              order by qualified",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("oid"), r.get("qualified")))
        .collect())
}

/// The indexes named by the CREATE INDEX statements of a file that exist and are INVALID:
/// qualified names. An index lives in its table's schema (the written one, else the one the
/// table resolves to through the search path).
async fn invalid_named_indexes(
    client: &Client,
    statements: &[Statement],
) -> Result<Vec<String>, DriverError> {
    let mut out = Vec::new();
    for idx in statements
        .iter()
        .filter_map(|s| s.node.as_ref().and_then(sqltext::created_index))
    {
        let Some(name) = idx.name else { continue };
        let row = client
            .query_opt(
                "select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as qualified
                   from pg_catalog.pg_class c
                   join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                   join pg_catalog.pg_index i on i.indexrelid = c.oid
                  where c.relname = $1 and not i.indisvalid
                    and n.nspname = coalesce($2::text,
                          (select tn.nspname from pg_catalog.pg_class t
                             join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
                            where t.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($3::text))))",
                &[&name, &idx.table_schema, &idx.table],
            )
            .await?;
        if let Some(r) = row {
            let q: String = r.get("qualified");
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    Ok(out)
}

/// A statement's first line for messages, at most `max` characters, ` …` when cut.
pub(super) fn first_line(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    let mut shown: String = first.chars().take(max).collect();
    if shown.len() < first.len() || text.lines().nth(1).is_some() {
        shown.push_str(" …");
    }
    shown
}

pub(super) fn blank_failure(file: &MigrationFile, phase: FailedDuring) -> Failure {
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
        ran_in_parts: Vec::new(),
        applied_before: Vec::new(),
        repeatables_before: Vec::new(),
        database_version: None,
        no_transaction: file.no_transaction,
        rehearsal: false,
        repeatable: file.repeatable,
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
pub(super) fn failure(
    file: &MigrationFile,
    e: &tokio_postgres::Error,
    statement: Option<&Statement>,
    sent_at: usize,
    phase: FailedDuring,
) -> Failure {
    failure_in_query(file, e, statement, sent_at, 0, phase)
}

/// [`failure`] of a file whose query started with `prefix` characters (ASCII) of deskctl's own
/// before the text sent from `sent_at`.
fn failure_in_query(
    file: &MigrationFile,
    e: &tokio_postgres::Error,
    statement: Option<&Statement>,
    sent_at: usize,
    prefix: usize,
    phase: FailedDuring,
) -> Failure {
    let mut statement = statement;
    let body = file.body();
    let mut f = blank_failure(file, phase);
    match e.as_db_error() {
        Some(db) => {
            f.sqlstate = Some(db.code().code().to_string());
            f.message = db.message().to_string();
            f.detail = db.detail().map(str::to_string);
            f.hint = db.hint().map(str::to_string);
            f.context = db.where_().map(str::to_string);
            if phase == FailedDuring::Statement {
                let mut at = statement.map(|s| s.start);
                if let Some(ErrorPosition::Original(p)) = db.position() {
                    let sent = &body[sent_at..];
                    let p = (*p as usize).saturating_sub(prefix);
                    let byte = sent_at + sqltext::char_pos_to_byte(sent, p);
                    // PostgreSQL's parser refuses a whole query before running any of it: then
                    // the position, not the count of statements that ran, names the statement.
                    statement = file
                        .parsed()
                        .statements
                        .iter()
                        .find(|s| byte <= s.end)
                        .or(statement);
                    at = Some(byte);
                    let (l, c) = sqltext::line_col(body, at.unwrap_or(0));
                    f.line = Some(l);
                    f.column = Some(c);
                } else if let (Some(st), Some(n)) =
                    (statement, f.context.as_deref().and_then(inline_block_line))
                {
                    // A DO block: its body's line N is the file's line (opening $$ line + N - 1).
                    if let Some(first) = sqltext::dollar_quote_start(body, st) {
                        f.line = Some(sqltext::line_col(body, first).0 + n - 1);
                    }
                }
                if f.line.is_none() {
                    if let Some(a) = at {
                        let (l, c) = sqltext::line_col(body, a);
                        f.line = Some(l);
                        f.column = Some(c);
                    }
                }
                if let Some(st) = statement {
                    // As written, with its `;` when one ends it.
                    let end = if body[st.end..].starts_with(';') {
                        st.end + 1
                    } else {
                        st.end
                    };
                    f.statement = Some(first_line(&body[st.start..end], 120));
                }
            }
        }
        None => {
            f.phase = FailedDuring::Connection;
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
    let create = private_table_ddl(
        table,
        "version int8 PRIMARY KEY,
             name VARCHAR(255),
             applied_on VARCHAR(255),
             checksum VARCHAR(255)",
    );
    format!("{schema}{create}")
}

/// `CREATE TABLE table(columns)` when it does not exist, then no privileges for PUBLIC, `anon`
/// and `authenticated` (deskctl's own tables: the history, its log, the repeatables' history;
/// the schema exists: the history table's DDL created it). `table` is made of validated names.
pub fn private_table_ddl(table: &str, columns: &str) -> String {
    format!(
        "DO $deskctl$
BEGIN
  IF pg_catalog.to_regclass('{table}') IS NULL THEN
    CREATE TABLE {table}({columns});
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
            // refinery first asserts the history table exists, then always reads it (`query`),
            // where this answer is read.
            self.table_ddl = Some(self.client.simple_query_raw(&queries.join("\n")).await);
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
                self.apply_file(file, insert).await?;
                Ok(2)
            }
            Mode::Baseline => self.baseline(&queries).await,
        }
    }
}

impl AsyncQuery<Vec<refinery_core::Migration>> for Driver<'_> {
    async fn query(&mut self, query: &str) -> Result<Vec<refinery_core::Migration>, Self::Error> {
        let ddl = self.table_ddl.take();
        let (ddl_error, rows) = tokio::join!(
            async {
                match ddl {
                    Some(d) => drain(d).await.1,
                    None => None,
                }
            },
            self.client.query_typed(query, &[])
        );
        if let Some(e) = ddl_error {
            self.table_error = Some(e);
            return Err(DriverError::Failed);
        }
        let rows = rows?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            // refinery's own query: `SELECT version, name, applied_on, checksum FROM ...`.
            let version: i64 = match row.try_get::<_, i64>("version") {
                Ok(v) => v,
                Err(_) => row.try_get::<_, i32>("version").map(i64::from)?,
            };
            let name: Option<String> = row.try_get("name")?;
            let applied_on: Option<String> = row.try_get("applied_on")?;
            let checksum: Option<String> = row.try_get("checksum")?;
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
    fn only_plain_transactional_files_are_pipelined() {
        let files = [
            ("V1__plain.sql", "create table a (x int);\ncreate policy p on a using (x > 0);\nset local lock_timeout = '1s';", true),
            ("V2__empty.sql", "-- nothing yet\n", true),
            ("V3__own_commit.sql", "create table b (x int);\nCoMmIt;", false),
            ("V4__savepoint.sql", "savepoint s;\ncreate table c (x int);\nrelease s;", false),
            ("V5__concurrently.sql", "create index concurrently i on a (x);", false),
            ("V6__enum.sql", "alter type mood add value 'meh';", false),
            ("V7__isolation.sql", "set transaction isolation level serializable;\nselect 1;", false),
            ("V8__marked.sql", "-- deskctl:no-transaction\ncreate table d (x int);", false),
            ("V9__syntax.sql", "create tabel e (x int);", false),
            ("V10__read_only.sql", "set local transaction_read_only = on;\nselect 1;", false),
            ("V11__deferrable.sql", "SET transaction_deferrable TO on;", false),
            ("V12__default.sql", "set default_transaction_isolation = 'serializable';", true),
        ];
        let (_d, s) = super::super::source::testing::sources(
            &files.iter().map(|&(n, b, _)| (n, b)).collect::<Vec<_>>(),
        );
        for (name, _, want) in files {
            let f = s
                .files
                .iter()
                .find(|f| name.starts_with(&format!("V{}__", f.version)))
                .unwrap();
            assert_eq!(pipelinable(f), want, "{name}");
        }
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
