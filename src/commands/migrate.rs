//! `deskctl migrate` and `status`: read and check every file before connecting, open the
//! target (`status` through the shared read-only `connect`), run the plan (`crate::migrate`) and
//! print its progress, summary or `--format json` document. Must not hold migration logic.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{connect, print_json, print_text};
use crate::config::{MigrateOptions, RunConfig, StatusOptions};
use crate::db::{self, PresetUse};
use crate::migrate::{
    configure_session, dump, history, let_an_interrupt_finish, lint, out_of_order, progress_line,
    repeatable, run_plan_with, seed, source, status, wait_notice, Done, Drift, Failure, Layout,
    MigrateError, MigrationOutcome, Phases, Plan, Progress, RunResult,
};

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

fn version_text(v: Option<i64>) -> String {
    v.map_or_else(
        || "no version (nothing applied)".to_string(),
        |v| format!("version {v}"),
    )
}

fn summary_text(plan: Plan, r: &RunResult, took: Duration, target: &str) -> String {
    let count = |o: MigrationOutcome| {
        r.done
            .iter()
            .filter(|d| d.outcome == o && !d.repeatable)
            .count()
    };
    let reps = |o: MigrationOutcome| match r
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
            let n = count(MigrationOutcome::Applied);
            let reps = reps(MigrationOutcome::Applied);
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
            count(MigrationOutcome::Pending),
            reps(MigrationOutcome::Pending),
            version_text(r.after)
        ),
        Plan::Rehearse => {
            let skipped = count(MigrationOutcome::Skipped);
            let skipped = if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            };
            format!(
                "rehearsal passed: {} migration(s){} applied in one transaction and rolled back{skipped}; nothing changed; database at {}{above} ({target})",
                count(MigrationOutcome::Rehearsed),
                reps(MigrationOutcome::Rehearsed),
                version_text(r.before)
            )
        }
        Plan::Baseline(v) => format!(
            "baselined {} migration(s) up to version {v} without running them; `deskctl migrate` applies the rest ({target})",
            count(MigrationOutcome::Baselined)
        ),
    }
}

/// `deskctl migrate`.
pub async fn run(cfg: &RunConfig, o: MigrateOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut phases = Phases::start();
    // Every file is read and checked before anything touches the database.
    let sources = source::load(&o.dir)?;
    phases.mark("read files");
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
    phases.mark("connect");
    if !matches!(plan, Plan::Baseline(_)) {
        let gate = lint::gate(&db.client, &sources, &o.history, &o.lint, o.json, cfg.color).await;
        if !matches!(gate, Ok(None)) {
            db.close().await;
            return gate.map(|c| c.unwrap_or(ExitCode::SUCCESS));
        }
        phases.mark("lint gate");
    }
    if plan == Plan::DryRun {
        crate::migrate::read_only_session(&db.client).await?;
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
            if d.outcome != MigrationOutcome::Pending {
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
    phases.mark("lock watch");
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
    if let Ok(r) = &mut res {
        phases.append(std::mem::take(&mut r.phases));
    }
    phases.mark("seeds, dump, close");
    if cfg.verbose > 0 {
        eprintln!("migrate: {}", phases.render());
    }
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
                print_json(&doc)?;
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
                            MigrationOutcome::Rehearsed
                        } else {
                            MigrationOutcome::Applied
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
                print_json(&doc)?;
            }
            Err(e.into())
        }
    }
}

/// `deskctl status`.
pub async fn status(cfg: &RunConfig, o: StatusOptions) -> anyhow::Result<ExitCode> {
    let sources = source::load(&o.dir)?;
    if !o.json {
        for w in sources.skip_warnings() {
            eprintln!("{}", crate::report::safe::visible_lines(&w));
        }
    }
    let db = connect(cfg).await?;
    crate::migrate::read_only_session(&db.client).await?;
    // The table actually used (an older public one, when that is what this database has).
    let resolved = history::resolve(&db.client, &o.history)
        .await
        .map(|(t, _)| t)
        .unwrap_or_else(|_| o.history.clone());
    let table = resolved.to_string();
    // Read together (one round trip, as in `migrate`); a settled table is not resolved again.
    let (hist, applied_repeatables) = tokio::join!(
        history::read(&db.client, &resolved),
        repeatable::read(&db.client, &resolved)
    );
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
            .filter(|r| matches!(r.state, history::VersionState::Applied { .. }))
            .map(|r| r.version)
            .max()
            .max(hist.highest()),
        migrations: cmp.rows,
        repeatables: reps.rows,
        summary,
    };
    if o.json {
        print_json(&doc)?;
    } else {
        print_text(&status::render_table(&doc, cfg.color))?;
    }
    Ok(if o.exit_code && summary.out_of_sync() {
        ExitCode::from(crate::exit::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
