//! `deskctl migrate`, `status` and `new`: versioned SQL migrations applied through refinery,
//! safely. Owns the order of a run — read and validate the files (before any connection), take the
//! advisory lock, compare history and files (refusing drift), hand refinery's `Runner` our
//! `runner::Driver`, report — and its table/JSON output. Must not parse flags (config does) nor
//! open connections itself beyond `crate::db::open`.
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

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;

use crate::config::{HistoryTable, MigrateOptions, RunConfig, StatusOptions};
use crate::db::{self, PresetUse};
pub use error::{Drift, Failure, MigrateError, Phase, SourceProblem};
pub use runner::{Done, Outcome, Progress};
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
    fn mode_name(self) -> &'static str {
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
            .filter(|d| d.outcome == Outcome::Applied && !d.repeatable)
            .map(|d| (d.version, d.name.clone()))
            .collect(),
        repeatables: r
            .done
            .iter()
            .filter(|d| d.outcome == Outcome::Applied && d.repeatable)
            .map(Done::label)
            .collect(),
        database_version: r.after,
        notices: r.notices,
    })
}

fn wait_notice(pid: Option<i32>) {
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
    let (resolved, legacy) = history::resolve(client, table).await?;
    let table = &resolved;
    let lock = match plan {
        Plan::DryRun => None,
        _ => Some(lock::acquire(client, table, lock_timeout, on_wait).await?),
    };
    let result = run_locked(
        client,
        sources,
        table,
        plan,
        target,
        progress,
        rehearsal_preset,
    )
    .await;
    if let Some(l) = lock {
        l.release(client).await;
    }
    result.map(|mut r| {
        r.notices.splice(0..0, legacy);
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

async fn run_locked(
    client: &Client,
    sources: &Sources,
    table: &HistoryTable,
    plan: Plan,
    target: Option<i64>,
    progress: Progress<'_>,
    rehearsal_preset: Option<(&str, &str)>,
) -> Result<RunResult, MigrateError> {
    let mut hist = history::read(client, table).await?;
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
    let applied_repeatables = repeatable::read(client, table).await?;
    let reps = repeatable::compare(sources, &applied_repeatables);
    for r in &reps.removed {
        notices.push(repeatable::removed_notice(table, r));
    }
    let before = hist.highest();
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
    if plan == Plan::Apply {
        for f in pending.iter().chain(&reps_pending) {
            if let Some((line, kw)) = &f.transaction_control {
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
                outcome: Outcome::Pending,
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
        });
    }

    if plan == Plan::Rehearse {
        let version: String = client
            .query_one(
                "select pg_catalog.current_setting('server_version_num')",
                &[],
            )
            .await
            .map_err(|error| MigrateError::Database {
                what: "reading the server version".into(),
                error,
            })?
            .get(0);
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
    let mut driver = runner::Driver::new(client, &sources.files, mode, progress);
    let mut res = refinery_runner
        .run_async(&mut driver)
        .await
        .map(|_| ())
        .map_err(|e| MigrateError::Refinery(refinery_text(&e)));
    // Then the repeatables, in name order, through the same driver, under the same lock.
    if res.is_ok() && mode == runner::Mode::Apply {
        res = repeatable::apply(client, table, &reps_pending, &mut driver).await;
    }
    notices.append(&mut driver.notices);
    let done = std::mem::take(&mut driver.done);
    let failure = driver.failure.take();
    let last_applied = done
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Applied | Outcome::Baselined))
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
                    .filter(|d| matches!(d.outcome, Outcome::Applied | Outcome::Baselined))
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

/// Session settings for a migration connection: a killed deskctl must not leave its backend
/// running a long statement (and holding the lock) until the statement ends. PostgreSQL 14+;
/// older servers ignore it.
async fn configure_session(client: &Client) {
    let _ = client
        .batch_execute("set client_connection_check_interval = 1000")
        .await;
}

/// An ephemeral cluster whose server went away mid-run is almost always our own Ctrl-C/SIGTERM
/// handler stopping and deleting it; that handler exits the process when it is done. Give it the
/// time instead of racing it to delete the same directory (a race that can leave it behind).
async fn let_an_interrupt_finish(db: &db::Db, e: &MigrateError) {
    let Some(cluster) = db.cluster.as_ref() else {
        return;
    };
    let server_gone = match e {
        MigrateError::Failed(f) => {
            f.phase == Phase::Connection
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

/// The `--format json` document of `migrate`.
#[derive(Debug, Serialize)]
struct MigrateDoc<'a> {
    command: &'static str,
    mode: &'static str,
    target: String,
    history_table: String,
    directory: &'a Path,
    layout: Option<Layout>,
    ok: bool,
    migrations: Vec<Done>,
    notices: Vec<String>,
    database_version_before: Option<i64>,
    database_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a Failure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    drift: Vec<Drift>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    exit_code: u8,
    duration_ms: f64,
}

fn ms(d: &Done) -> String {
    if d.duration_ms >= 1000.0 {
        format!("{:.2} s", d.duration_ms / 1000.0)
    } else {
        format!("{:.1} ms", d.duration_ms)
    }
}

fn progress_line(d: &Done, color: bool) -> String {
    use owo_colors::OwoColorize;
    let word = match d.outcome {
        Outcome::Applied => "applied",
        Outcome::Rehearsed => "rehearsed",
        Outcome::Baselined => "baselined",
        Outcome::Skipped => "skipped",
        Outcome::Pending => "pending",
    };
    let word = format!("{word:<9}");
    let word = match (color, &d.outcome) {
        (false, _) => word,
        (true, Outcome::Skipped) => word.yellow().to_string(),
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
        (Outcome::Skipped, Some(r)) => {
            let r = crate::report::safe::visible_lines(r);
            format!("{word} {what}: {r}")
        }
        (Outcome::Baselined, _) => format!("{word} {what}"),
        _ => format!("{word} {what} ({})", ms(d)),
    }
}

fn version_text(v: Option<i64>) -> String {
    v.map_or_else(
        || "no version (nothing applied)".to_string(),
        |v| format!("version {v}"),
    )
}

fn summary_text(plan: Plan, r: &RunResult, took: Duration, target: &str) -> String {
    let count = |o: Outcome| {
        r.done
            .iter()
            .filter(|d| d.outcome == o && !d.repeatable)
            .count()
    };
    let reps = |o: Outcome| match r
        .done
        .iter()
        .filter(|d| d.outcome == o && d.repeatable)
        .count()
    {
        0 => String::new(),
        n => format!(" and {n} repeatable(s)"),
    };
    let secs = took.as_secs_f64();
    let above = if r.left_pending > 0 {
        format!("; {} pending above --target", r.left_pending)
    } else {
        String::new()
    };
    match plan {
        Plan::Apply => {
            let n = count(Outcome::Applied);
            let reps = reps(Outcome::Applied);
            if n == 0 && reps.is_empty() {
                format!(
                    "nothing to apply; database at {}{above} ({target})",
                    version_text(r.after)
                )
            } else {
                format!(
                    "applied {n} migration(s){reps} in {secs:.2} s; database at {}{above} ({target})",
                    version_text(r.after)
                )
            }
        }
        Plan::DryRun => format!(
            "dry run: {} migration(s){} would be applied; nothing changed; database at {}{above} ({target})",
            count(Outcome::Pending),
            reps(Outcome::Pending),
            version_text(r.after)
        ),
        Plan::Rehearse => {
            let skipped = count(Outcome::Skipped);
            let skipped = if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            };
            format!(
                "rehearsal passed: {} migration(s){} applied in one transaction and rolled back{skipped}; nothing changed; database at {}{above} ({target})",
                count(Outcome::Rehearsed),
                reps(Outcome::Rehearsed),
                version_text(r.before)
            )
        }
        Plan::Baseline(v) => format!(
            "baselined {} migration(s) up to version {v} without running them; `deskctl migrate` applies the rest ({target})",
            count(Outcome::Baselined)
        ),
    }
}

/// `deskctl migrate`.
pub async fn run_migrate(cfg: &RunConfig, o: MigrateOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Every file is read and checked before anything touches the database.
    let sources = source::load(&o.dir)?;
    if !o.json {
        for w in sources.skip_warnings() {
            eprintln!("{}", crate::report::safe::visible_lines(&w));
        }
    }
    let plan = match (o.baseline, o.dry_run, o.rehearse) {
        (Some(v), _, _) => Plan::Baseline(v),
        (None, true, _) => Plan::DryRun,
        (None, false, true) => Plan::Rehearse,
        _ => Plan::Apply,
    };
    if let Plan::Baseline(v) = plan {
        if sources.by_version(v).is_none() {
            return Err(MigrateError::BaselineUnknown {
                version: v,
                dir: sources.dir.clone(),
            }
            .into());
        }
    }
    if let Some(t) = o.target {
        if sources.by_version(t).is_none() {
            return Err(MigrateError::TargetUnknown {
                version: t,
                dir: sources.dir.clone(),
            }
            .into());
        }
    }
    // --dump writes the schema an applying run leaves (clap refuses it with --dry-run and
    // --rehearse); its path is checked before connecting.
    if let Some(file) = &o.dump {
        dump::check_path(file, &o.dir)?;
    }
    // Seed files too are read before connecting.
    let seeds = seed::read_all(&o.seeds)?;
    if !o.json {
        for w in &o.seed_warnings {
            eprintln!("WARN: {w}");
        }
    }
    // --dry-run and --rehearse change nothing: the preset goes only into a cluster deskctl
    // created, or into the rehearsal's transaction (rolled back with it), never for real.
    let writes = matches!(plan, Plan::Apply | Plan::Baseline(_));
    let db = db::open(
        cfg,
        if writes {
            PresetUse::Install
        } else {
            PresetUse::OnlyEphemeral
        },
    )
    .await?;
    configure_session(&db.client).await;
    if !matches!(plan, Plan::Baseline(_)) {
        let gate = lint::gate(&db.client, &sources, &o.history, &o.lint, o.json, cfg.color).await;
        if !matches!(gate, Ok(None)) {
            db.close().await;
            return gate.map(|c| c.unwrap_or(ExitCode::SUCCESS));
        }
    }
    if plan == Plan::DryRun {
        // Belt and braces: this session cannot write.
        db.client
            .batch_execute("set default_transaction_read_only = on")
            .await
            .map_err(|error| MigrateError::Database {
                what: "making the session read-only".into(),
                error,
            })?;
    }
    let rehearsal_preset = match (plan, cfg.preset, db.cluster.is_some()) {
        (Plan::Rehearse, Some(crate::config::Preset::Supabase), false) => {
            Some(("supabase", db::supabase::SQL))
        }
        _ => None,
    };
    let color = cfg.color;
    let show_progress = !o.json && !cfg.quiet;
    let progress: Progress = if show_progress {
        Some(Box::new(move |d: &Done| {
            if d.outcome != Outcome::Pending {
                println!("{}", progress_line(d, color));
            }
        }))
    } else {
        None
    };
    let late = match o.out_of_order {
        true => out_of_order::for_migrate(&db.client, &sources, &o, color, show_progress).await,
        false => Ok(Vec::new()),
    };
    // A statement that gives up on a lock names the relation and the holder (issue 10, 5).
    let lock_watch = db.lock_watch().await;
    let mut res = match late {
        Err(e) => Err(e),
        Ok(mut late) => run_plan_with(
            &db.client,
            &sources,
            &o.history,
            plan,
            o.target,
            o.lock_timeout,
            progress,
            wait_notice,
            rehearsal_preset,
        )
        .await
        .map(|mut r| {
            late.append(&mut r.done);
            r.done = late;
            r
        }),
    };
    if let Err(MigrateError::Failed(f)) = &mut res {
        if f.sqlstate.as_deref() == Some("55P03") {
            if let Some(seen) = lock_watch.seen() {
                let waited = format!("waited {seen}");
                f.detail = Some(match f.detail.take() {
                    Some(d) => format!("{d}; {waited}"),
                    None => waited,
                });
            }
            f.hint.get_or_insert_with(|| {
                "another session holds the lock (a long transaction, or DDL in progress): let it \
finish, or raise --lock-timeout"
                    .into()
            });
        }
    }
    drop(lock_watch);
    if let Err(e) = &res {
        let_an_interrupt_finish(&db, e).await;
    }
    // Seeds after the migrations, in the same run (Supabase: reset-time data).
    let seeded = match (&res, seeds.is_empty()) {
        (Ok(_), false) => {
            match seed::apply(
                &db.client,
                &seeds,
                cfg.supabase.as_ref().and_then(|p| p.dir.parent()),
            )
            .await
            {
                Ok(done) => done,
                Err(e) => {
                    db.close().await;
                    return Err(e.into());
                }
            }
        }
        _ => Vec::new(),
    };
    let dumped = match (&res, &o.dump) {
        (Ok(_), Some(file)) => Some(dump::write(db.target(), file).await.map(|()| file.clone())),
        _ => None,
    };
    let target = db.display.clone();
    db.close().await;
    let dumped = dumped.transpose()?;
    let took = started.elapsed();
    let mut doc = MigrateDoc {
        command: "migrate",
        mode: plan.mode_name(),
        target: target.clone(),
        history_table: o.history.to_string(),
        directory: &o.dir,
        layout: sources.layout,
        ok: res.is_ok(),
        migrations: Vec::new(),
        notices: Vec::new(),
        database_version_before: None,
        database_version: None,
        failure: None,
        drift: Vec::new(),
        error: None,
        exit_code: 0,
        duration_ms: took.as_secs_f64() * 1000.0,
    };
    match res {
        Ok(r) => {
            if o.json {
                doc.migrations = r.done;
                doc.notices = r.notices;
                doc.database_version_before = r.before;
                doc.database_version = r.after;
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                for n in &r.notices {
                    eprintln!("note: {}", crate::report::safe::visible_lines(n));
                }
                if !cfg.quiet {
                    for (path, outcome) in &seeded {
                        let word = match outcome {
                            seed::SeedOutcome::Seeded => "seeded",
                            seed::SeedOutcome::AlreadySeeded => "seeded before, not run again:",
                            seed::SeedOutcome::Changed => {
                                "changed since it was seeded; not run again (seeds are reset-time data), hash updated:"
                            }
                        };
                        println!("{word} {}", path.display());
                    }
                }
                if plan == Plan::DryRun && !cfg.quiet {
                    if r.done.is_empty() {
                        println!("nothing pending");
                    } else {
                        println!("would apply, in order:");
                        for d in &r.done {
                            let extra = d
                                .reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default();
                            let what = if d.repeatable {
                                d.label()
                            } else {
                                format!("{} {}", d.version, d.name)
                            };
                            println!("  {what}  {}{extra}", d.file.display());
                        }
                    }
                }
                println!("{}", summary_text(plan, &r, took, &target));
                if let (Some(file), false) = (&dumped, cfg.quiet) {
                    println!("schema written to {}", file.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if o.json {
                doc.exit_code = e.exit_code();
                doc.error = Some(e.to_string());
                match &e {
                    MigrateError::Failed(f) => {
                        doc.failure = Some(f);
                        let outcome = if f.rehearsal {
                            Outcome::Rehearsed
                        } else {
                            Outcome::Applied
                        };
                        let versioned = f
                            .applied_before
                            .iter()
                            .filter_map(|(v, _)| sources.by_version(*v));
                        let reps = f.repeatables_before.iter().filter_map(|label| {
                            sources.repeatables.iter().find(|r| &r.label() == label)
                        });
                        doc.migrations = versioned
                            .chain(reps)
                            .map(|m| Done {
                                version: m.version,
                                name: m.name.clone(),
                                file: m.path.clone(),
                                outcome: outcome.clone(),
                                duration_ms: 0.0,
                                reason: None,
                                repeatable: m.repeatable,
                            })
                            .collect();
                        doc.database_version = f.database_version;
                    }
                    MigrateError::Drift { problems, .. } => doc.drift = problems.clone(),
                    _ => {}
                }
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Err(e.into())
        }
    }
}

/// `deskctl status`.
pub async fn run_status(cfg: &RunConfig, o: StatusOptions) -> anyhow::Result<ExitCode> {
    let sources = source::load(&o.dir)?;
    if !o.json {
        for w in sources.skip_warnings() {
            eprintln!("{}", crate::report::safe::visible_lines(&w));
        }
    }
    let db = db::open(cfg, PresetUse::OnlyEphemeral).await?;
    // Belt and braces: this session cannot write.
    db.client
        .batch_execute("set default_transaction_read_only = on")
        .await
        .map_err(|error| MigrateError::Database {
            what: "making the session read-only".into(),
            error,
        })?;
    // The table actually used (an older public one, when that is what this database has).
    let resolved = history::resolve(&db.client, &o.history)
        .await
        .map(|(t, _)| t)
        .unwrap_or_else(|_| o.history.clone());
    let table = resolved.to_string();
    let hist = history::read(&db.client, &o.history).await;
    let applied_repeatables = match &hist {
        Ok(_) => repeatable::read(&db.client, &resolved).await,
        Err(_) => Ok(Vec::new()),
    };
    let target = db.display.clone();
    db.close().await;
    let hist = hist?;
    let applied_repeatables = applied_repeatables?;
    let cmp = history::compare(&sources, &hist);
    let reps = repeatable::compare(&sources, &applied_repeatables);
    let summary = status::Summary::of(&cmp.rows, &reps.rows);
    let doc = status::StatusDoc {
        command: "status",
        target,
        history_table: table,
        history_exists: hist.found.is_some() || hist.supabase.is_some(),
        directory: PathBuf::from(&o.dir),
        layout: sources.layout,
        // Versions only the Supabase CLI recorded count too.
        database_version: cmp
            .rows
            .iter()
            .filter(|r| matches!(r.state, history::State::Applied { .. }))
            .map(|r| r.version)
            .max()
            .max(hist.highest()),
        migrations: cmp.rows,
        repeatables: reps.rows,
        summary,
    };
    if o.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", status::render_table(&doc, cfg.color));
    }
    Ok(if o.exit_code && summary.out_of_sync() {
        ExitCode::from(crate::exit::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `deskctl new NAME`.
pub fn run_new(cfg: &RunConfig, dir: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let path = new::create(dir, name, chrono::Utc::now())?;
    if !cfg.quiet {
        println!("created {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
