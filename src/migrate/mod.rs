//! Versioned SQL migrations applied through refinery, safely: what `deskctl migrate`, `status`
//! and `new` (`crate::commands::migrate`) run. Owns the order of a plan — read and validate the
//! files (before any connection), take the advisory lock, compare history and files (refusing
//! drift), hand refinery's `Runner` our `runner::Driver`. Must not parse flags (config does),
//! print reports (the command does) nor open connections itself beyond `crate::db::open`.
//!
//! Files: `source` (layouts, validation), `lock`, `history` (read-only), `runner` (refinery's
//! connection), `repeatable` (`R__` files, after the versioned ones), `rehearse` (`--rehearse`),
//! `status`, `new`, `error`. SQL text is read by
//! `crate::sqltext` only. See docs/migrate.md.

pub mod dump;
pub mod error;
pub mod history;
pub mod lint;
pub mod lock;
pub mod new;
pub mod out_of_order;
pub mod rehearse;
pub mod repair;
pub mod repeatable;
pub mod runner;
pub mod seed;
pub mod source;
pub mod status;

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::config::HistoryTable;
use crate::db;
pub use error::{Drift, FailedDuring, Failure, MigrateError, SourceProblem};
pub use runner::{Done, MigrationOutcome, Progress};
pub use source::{Layout, MigrationFile, Sources};

/// The lock timeout `apply_pending` uses (the `migrate` default).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What `apply_pending` did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ApplySummary {
    /// Migrations applied by this call, in order: (version, name).
    pub applied: Vec<(i64, String)>,
    /// Repeatable migrations applied by this call, in order (`R__name`).
    pub repeatables: Vec<String>,
    /// The highest applied version afterwards (None: nothing ever applied).
    pub database_version: Option<i64>,
    /// Things worth telling the user (files with their own COMMIT, ...).
    pub notices: Vec<String>,
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Apply,
    DryRun,
    Rehearse,
    Baseline(i64),
}

impl Plan {
    pub(crate) fn mode_name(self) -> &'static str {
        match self {
            Plan::Apply => "apply",
            Plan::DryRun => "dry_run",
            Plan::Rehearse => "rehearse",
            Plan::Baseline(_) => "baseline",
        }
    }
}

/// The result of a successful run.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    pub done: Vec<Done>,
    pub notices: Vec<String>,
    /// Highest applied version before and after.
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// Versions above the target left pending (`--target`).
    pub left_pending: usize,
    /// Where the run's time went (`migrate -v` prints it).
    pub phases: Phases,
}

/// Where a run's wall time went, phase by phase: each mark takes the time since the one before.
#[derive(Debug, Clone, Default)]
pub struct Phases {
    last: Option<Instant>,
    pub spent: Vec<(&'static str, Duration)>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            last: Some(Instant::now()),
            spent: Vec::new(),
        }
    }

    /// The time since the previous mark (or `start`) was spent on `what`.
    pub fn mark(&mut self, what: &'static str) {
        let now = Instant::now();
        if let Some(last) = self.last {
            self.spent.push((what, now - last));
        }
        self.last = Some(now);
    }

    /// Another run's phases after these; marks go on from its last one.
    pub fn append(&mut self, other: Phases) {
        self.spent.extend(other.spent);
        self.last = other.last.or(self.last);
    }

    /// `load 12.3 ms, connect 4.0 ms, ...`
    pub fn render(&self) -> String {
        self.spent
            .iter()
            .map(|(what, d)| format!("{what} {:.1} ms", d.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Apply every pending migration in `dir` (same safety as `deskctl migrate`: lock, drift
/// refusal, exact errors). Prints nothing on stdout; says on stderr when it waits for the lock.
pub async fn apply_pending(
    client: &mut Client,
    dir: &Path,
    history: &HistoryTable,
) -> Result<ApplySummary, MigrateError> {
    let sources = source::load(dir)?;
    for w in sources.skip_warnings() {
        eprintln!("{}", crate::report::safe::visible_lines(&w));
    }
    let r = run_plan(
        client,
        &sources,
        history,
        Plan::Apply,
        None,
        DEFAULT_LOCK_TIMEOUT,
        None,
        wait_notice,
    )
    .await?;
    Ok(ApplySummary {
        applied: r
            .done
            .iter()
            .filter(|d| d.outcome == MigrationOutcome::Applied && !d.repeatable)
            .map(|d| (d.version, d.name.clone()))
            .collect(),
        repeatables: r
            .done
            .iter()
            .filter(|d| d.outcome == MigrationOutcome::Applied && d.repeatable)
            .map(Done::label)
            .collect(),
        database_version: r.after,
        notices: r.notices,
    })
}

pub(crate) fn wait_notice(pid: Option<i32>) {
    match pid {
        Some(p) => eprintln!("waiting for the migration lock held by pid {p}"),
        None => eprintln!("waiting for the migration lock"),
    }
}

/// Lock, compare, run. The lock is not taken for a dry run (it changes nothing).
#[allow(clippy::too_many_arguments)]
pub async fn run_plan(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    plan: Plan,
    target: Option<i64>,
    lock_timeout: Duration,
    progress: Progress<'_>,
    on_wait: impl FnMut(Option<i32>),
) -> Result<RunResult, MigrateError> {
    run_plan_with(
        client,
        sources,
        table,
        plan,
        target,
        lock_timeout,
        progress,
        on_wait,
        None,
    )
    .await
}

/// `run_plan`, with SQL (`(name, text)`, a preset) that a rehearsal runs first inside its
/// transaction, so it is rolled back with it.
#[allow(clippy::too_many_arguments)]
pub async fn run_plan_with(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    plan: Plan,
    target: Option<i64>,
    lock_timeout: Duration,
    progress: Progress<'_>,
    on_wait: impl FnMut(Option<i32>),
    rehearsal_preset: Option<(&str, &str)>,
) -> Result<RunResult, MigrateError> {
    if let Plan::Baseline(v) = plan {
        if sources.by_version(v).is_none() {
            return Err(MigrateError::BaselineUnknown {
                version: v,
                dir: sources.dir.clone(),
            });
        }
    }
    let mut phases = Phases::start();
    // Asked together, one round trip: the lock is one per database, whichever table it is.
    let (resolved, lock) = tokio::join!(history::resolve(client, table), async {
        match plan {
            Plan::DryRun => Ok(None),
            _ => lock::acquire(client, table, lock_timeout, on_wait)
                .await
                .map(Some),
        }
    });
    let lock = lock?;
    let (resolved, legacy) = match resolved {
        Ok(r) => r,
        Err(e) => {
            if let Some(l) = lock {
                l.release(client).await;
            }
            return Err(e);
        }
    };
    let table = &resolved;
    phases.mark("history table and lock");
    let result = run_locked(
        client,
        sources,
        table,
        plan,
        target,
        progress,
        rehearsal_preset,
        &mut phases,
    )
    .await;
    if let Some(l) = lock {
        l.release(client).await;
    }
    phases.mark("supabase record and unlock");
    result.map(|mut r| {
        r.notices.splice(0..0, legacy);
        r.phases = phases;
        r
    })
}

/// Should this run keep `supabase_migrations.schema_migrations` up to date? For Supabase-layout
/// files, when that table exists already or the files are a Supabase project's
/// (`supabase/migrations`): then `supabase migration list` and `deskctl status` agree.
fn records_for_supabase_cli(sources: &Sources, hist: &history::History) -> bool {
    sources.layout == Some(Layout::Supabase)
        && (hist.supabase.is_some()
            || sources.dir.ends_with("supabase/migrations")
            || std::fs::canonicalize(&sources.dir)
                .is_ok_and(|d| d.ends_with("supabase/migrations")))
}

#[allow(clippy::too_many_arguments)]
async fn run_locked(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    plan: Plan,
    target: Option<i64>,
    progress: Progress<'_>,
    rehearsal_preset: Option<(&str, &str)>,
    phases: &mut Phases,
) -> Result<RunResult, MigrateError> {
    // Read together: one round trip for both (see `history::read`).
    let (mut hist, applied_repeatables) = tokio::try_join!(
        history::read(client, table),
        repeatable::read(client, table)
    )?;
    let mut notices = Vec::new();
    // Versions the Supabase CLI applied become deskctl history rows (not for a dry run or a
    // rehearsal, which change nothing: those leave them out of refinery's list below).
    let by_cli = history::applied_by_supabase_cli(sources, &hist);
    if !by_cli.is_empty() && matches!(plan, Plan::Apply | Plan::Baseline(_)) {
        history::adopt(client, table, &by_cli).await?;
        notices.push(format!(
            "{} migration(s) the Supabase CLI applied ({}) are now recorded in {table} too",
            by_cli.len(),
            history::SUPABASE_TABLE
        ));
        hist = history::read(client, table).await?;
    }
    let skip_for_refinery: std::collections::BTreeSet<i64> =
        history::applied_by_supabase_cli(sources, &hist)
            .iter()
            .map(|f| f.version)
            .collect();
    let cmp = history::compare(sources, &hist);
    if !cmp.drift.is_empty() {
        return Err(MigrateError::Drift {
            dir: sources.dir.clone(),
            table: table.to_string(),
            problems: cmp.drift,
        });
    }
    // Repeatables: a changed one is pending, not drift; a removed one is reported.
    let reps = repeatable::compare(sources, &applied_repeatables);
    for r in &reps.removed {
        notices.push(repeatable::removed_notice(table, r));
    }
    let before = hist.highest();
    phases.mark("history read and compared");
    let within = |v: i64| target.is_none_or(|t| v <= t);
    let pending: Vec<&MigrationFile> = cmp
        .pending
        .iter()
        .copied()
        .filter(|f| within(f.version))
        .collect();
    let left_pending = cmp.pending.len() - pending.len();
    // Repeatables are written against the latest schema: with versions left pending above
    // --target they wait for the run that applies those.
    let reps_pending: Vec<&MigrationFile> = if left_pending == 0 {
        reps.pending.clone()
    } else {
        if !reps.pending.is_empty() && !matches!(plan, Plan::Baseline(_)) {
            notices.push(format!(
                "{} pending repeatable migration(s) not applied: {} version(s) above --target stay pending, and repeatables run after all versioned migrations",
                reps.pending.len(),
                left_pending
            ));
        }
        Vec::new()
    };
    if let Plan::Baseline(_) = plan {
        if !hist.rows.is_empty() {
            return Err(MigrateError::BaselineHasHistory {
                table: table.to_string(),
                rows: hist.rows.len(),
            });
        }
    }
    if hist.version_is_int4 {
        if let Some(f) = pending.iter().find(|f| f.version > i64::from(i32::MAX)) {
            return Err(MigrateError::History {
                table: table.to_string(),
                problem: format!(
                    "its version column is integer (int4), too small for version {} ({}); widen it: \
alter table {} alter column version type bigint",
                    f.version,
                    f.path.display(),
                    hist.found.as_deref().unwrap_or_default()
                ),
            });
        }
    }
    // What runs is parsed (on the machine's cores); applied files needed only their checksums.
    if matches!(plan, Plan::Apply | Plan::Rehearse) {
        let run: Vec<&MigrationFile> = pending.iter().chain(&reps_pending).copied().collect();
        source::parse_all(&run);
    }
    if plan == Plan::Apply {
        for f in pending.iter().chain(&reps_pending) {
            if let Some((line, kw)) = &f.transaction_control() {
                notices.push(format!(
                    "{} contains its own {kw} (line {line}): deskctl's transaction for it ends there, so it is not applied atomically with its history row",
                    f.path.display()
                ));
            }
        }
    }
    if plan == Plan::DryRun {
        let done = pending
            .iter()
            .chain(&reps_pending)
            .map(|f| Done {
                version: f.version,
                name: f.name.clone(),
                file: f.path.clone(),
                outcome: MigrationOutcome::Pending,
                duration_ms: 0.0,
                reason: f
                    .no_transaction
                    .then(|| "runs outside a transaction".to_string()),
                repeatable: f.repeatable,
            })
            .collect();
        return Ok(RunResult {
            done,
            notices,
            before,
            after: before,
            left_pending,
            phases: Phases::default(),
        });
    }

    if plan == Plan::Rehearse {
        let version: String = client
            .query_one(
                "select pg_catalog.current_setting('server_version_num') as server_version_num",
                &[],
            )
            .await
            .map_err(|error| MigrateError::Database {
                what: "reading the server version".into(),
                error,
            })?
            .get("server_version_num");
        // Versions the Supabase CLI applied are not pending.
        let pending: Vec<&MigrationFile> = pending
            .iter()
            .copied()
            .filter(|f| !skip_for_refinery.contains(&f.version))
            .chain(reps_pending.iter().copied())
            .collect();
        let plans = rehearse::plan(&pending, version.parse().unwrap_or(i32::MAX))
            .map_err(|problems| MigrateError::RehearsalRefused { problems })?;
        return match rehearse::run(client, &plans, rehearsal_preset, progress).await {
            Ok(r) => {
                notices.extend(r.notices);
                Ok(RunResult {
                    done: r.done,
                    notices,
                    before,
                    after: before,
                    left_pending,
                    phases: Phases::default(),
                })
            }
            Err(MigrateError::Failed(mut f)) => {
                f.database_version = before;
                Err(MigrateError::Failed(f))
            }
            Err(e) => Err(e),
        };
    }
    let mode = match plan {
        Plan::Baseline(_) => runner::Mode::Baseline,
        _ => runner::Mode::Apply,
    };
    let rtarget = match plan {
        Plan::Baseline(v) => refinery_core::Target::FakeVersion(v),
        _ => target.map_or(
            refinery_core::Target::Latest,
            refinery_core::Target::Version,
        ),
    };
    let migrations: Vec<refinery_core::Migration> = sources
        .files
        .iter()
        .filter(|f| !skip_for_refinery.contains(&f.version))
        .map(|f| f.migration.clone())
        .collect();
    let mut refinery_runner = refinery_core::Runner::new(&migrations)
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .set_target(rtarget);
    refinery_runner.set_migration_table_name(table.qualified());
    let mut driver = runner::Driver::new(client, &sources.files, mode, progress).pipelined();
    // Nothing to apply to a history table that exists (the usual run of a deploy): refinery would
    // only ask the server again for that table and the history just read (a round trip).
    let nothing = mode == runner::Mode::Apply
        && hist.found.is_some()
        && reps_pending.is_empty()
        && pending
            .iter()
            .all(|f| skip_for_refinery.contains(&f.version));
    let res = match nothing {
        true => Ok(()),
        false => refinery_runner
            .run_async(&mut driver)
            .await
            .map(|_| ())
            .map_err(|e| match driver.table_error.take() {
                Some(error) => MigrateError::Database {
                    what: format!("creating the history table {table}"),
                    error,
                },
                None => MigrateError::Refinery(refinery_text(&e)),
            }),
    };
    // The answers of the files still in flight, before anything else is sent.
    let mut res = driver.finish(res).await;
    // Then the repeatables, in name order, through the same driver, under the same lock.
    if res.is_ok() && mode == runner::Mode::Apply {
        let r = repeatable::apply(client, table, &reps_pending, &mut driver).await;
        res = driver.finish(r).await;
    }
    phases.mark("apply");
    notices.append(&mut driver.notices);
    let done = std::mem::take(&mut driver.done);
    let failure = driver.failure.take();
    let last_applied = done
        .iter()
        .filter(|d| {
            matches!(
                d.outcome,
                MigrationOutcome::Applied | MigrationOutcome::Baselined
            )
        })
        .filter(|d| !d.repeatable)
        .map(|d| d.version)
        .max();
    let after = match (before, last_applied) {
        (Some(b), Some(a)) => Some(b.max(a)),
        (b, a) => b.or(a),
    };
    if matches!(mode, runner::Mode::Apply | runner::Mode::Baseline)
        && records_for_supabase_cli(sources, &hist)
    {
        let own: std::collections::BTreeSet<i64> = hist
            .rows
            .iter()
            .map(|r| r.version)
            .chain(
                done.iter()
                    .filter(|d| {
                        matches!(
                            d.outcome,
                            MigrationOutcome::Applied | MigrationOutcome::Baselined
                        )
                    })
                    .filter(|d| !d.repeatable)
                    .map(|d| d.version),
            )
            .collect();
        let cli = hist.supabase.clone().unwrap_or_default();
        let missing: Vec<&MigrationFile> = sources
            .files
            .iter()
            .filter(|f| own.contains(&f.version) && cli.binary_search(&f.version_text).is_err())
            .collect();
        if let Err(e) = history::record_supabase(client, &missing).await {
            notices.push(format!(
                "{e} (deskctl's own history is complete; the next migrate retries)"
            ));
        }
    }
    match res {
        Ok(_) => Ok(RunResult {
            done,
            notices,
            before,
            after,
            left_pending,
            phases: Phases::default(),
        }),
        Err(e) => match failure {
            Some(mut f) => {
                f.database_version = if f.rehearsal { before } else { after };
                if let Some(ext) = db::supabase::unavailable_extension(&f.message) {
                    let major = db::server_major(client).await.unwrap_or(0);
                    f.hint = Some(db::supabase::missing_extension(&ext, major));
                }
                Err(MigrateError::Failed(Box::new(f)))
            }
            None => Err(e),
        },
    }
}

fn refinery_text(e: &refinery_core::Error) -> String {
    let mut s = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(&format!(": {t}"));
        }
        cur = c.source();
    }
    s
}

/// Belt and braces for a run that changes nothing (`--dry-run`, `status`, `lint --pending`):
/// this session cannot write.
pub async fn read_only_session(client: &Client) -> Result<(), MigrateError> {
    client
        .batch_execute("set default_transaction_read_only = on")
        .await
        .map_err(|error| MigrateError::Database {
            what: "making the session read-only".into(),
            error,
        })
}

/// Session settings for a migration connection: a killed deskctl must not leave its backend
/// running a long statement (and holding the lock) until the statement ends. PostgreSQL 14+;
/// older servers ignore it.
pub(crate) async fn configure_session(client: &Client) {
    // Sent, not waited for (the next query waits behind it on the connection anyway): its
    // answer matters to no one, an error included (a server before 14 lacks the setting).
    let _ = client
        .simple_query_raw("set client_connection_check_interval = 1000")
        .await;
}

/// An ephemeral cluster whose server went away mid-run is almost always our own Ctrl-C/SIGTERM
/// handler stopping and deleting it; that handler exits the process when it is done. Give it the
/// time instead of racing it to delete the same directory (a race that can leave it behind).
pub(crate) async fn let_an_interrupt_finish(db: &db::Db, e: &MigrateError) {
    let Some(cluster) = db.cluster.as_ref() else {
        return;
    };
    let server_gone = match e {
        MigrateError::Failed(f) => {
            f.phase == FailedDuring::Connection
                || f.sqlstate.as_deref().is_some_and(|s| s.starts_with("57"))
        }
        _ => false,
    } || db.client.is_closed();
    if !server_gone {
        return;
    }
    let t0 = Instant::now();
    while cluster.root().exists() && t0.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ms(d: &Done) -> String {
    if d.duration_ms >= 1000.0 {
        format!("{:.2} s", d.duration_ms / 1000.0)
    } else {
        format!("{:.1} ms", d.duration_ms)
    }
}

/// One line of `migrate`'s progress (also printed by `out_of_order` for late versions).
pub fn progress_line(d: &Done, color: bool) -> String {
    use owo_colors::OwoColorize;
    let word = match d.outcome {
        MigrationOutcome::Applied => "applied",
        MigrationOutcome::Rehearsed => "rehearsed",
        MigrationOutcome::Baselined => "baselined",
        MigrationOutcome::Skipped => "skipped",
        MigrationOutcome::Pending => "pending",
    };
    let word = format!("{word:<9}");
    let word = match (color, &d.outcome) {
        (false, _) => word,
        (true, MigrationOutcome::Skipped) => word.yellow().to_string(),
        (true, _) => word.green().to_string(),
    };
    // Names come from file names and the reason may quote the server: shown, never obeyed.
    let what = if d.repeatable {
        d.label()
    } else {
        format!("{} {}", d.version, d.name)
    };
    let what = crate::report::safe::visible_line(&what);
    match (&d.outcome, &d.reason) {
        (MigrationOutcome::Skipped, Some(r)) => {
            let r = crate::report::safe::visible_lines(r);
            format!("{word} {what}: {r}")
        }
        (MigrationOutcome::Baselined, _) => format!("{word} {what}"),
        _ => format!("{word} {what} ({})", ms(d)),
    }
}
