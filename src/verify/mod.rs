//! `deskctl verify`: load the check files (before connecting: bad files never start a cluster),
//! open the database, migrate first when asked (always on an ephemeral cluster), read ONE catalog
//! snapshot, evaluate static checks against it, run probe checks in a transaction that is always
//! rolled back, and hand the report to the renderers. Owns the order of those steps and the exit
//! code; must not change data, render by itself, or query the catalog per check.

pub mod filter;
pub mod probe;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use tokio_postgres::Client;

use crate::catalog::{self, Snapshot};
use crate::checks::{self, Check, Phase};
use crate::config::{DbTarget, RunConfig, VerifyOptions};
use crate::db::{self, PresetUse};
use crate::report::{CheckResult, Report, Status};

pub use probe::ProbeSettings;

pub async fn run(cfg: &RunConfig, o: VerifyOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // pgTAP test files (.sql) run natively next to the TOML checks.
    let (pgtap_files, check_paths) = checks::pgtap::partition(&o.paths);
    let checks = if check_paths.is_empty() {
        Vec::new()
    } else {
        checks::load_paths(&check_paths)?
    };
    let (checks, unmatched_skip) = filter::select(checks, &o.only, &o.skip)?;
    if checks.is_empty() && pgtap_files.is_empty() {
        // No false green: a run that checks nothing does not pass.
        anyhow::bail!(crate::config::ConfigError::Usage(
            "no checks to run: no check file or pgTAP test was found (the default paths are ./checks, and supabase/tests in a Supabase project), or --only/--skip left every check out"
                .into()
        ));
    }
    for p in unmatched_skip {
        eprintln!("warning: --skip {p} matches no check id or kind");
    }
    let seeds = crate::migrate::seed::read_all(&o.seeds)?;
    let loaded = started.elapsed();
    let scope = checks::scope_for(&checks, &o.schemas);
    let ephemeral = matches!(cfg.target, DbTarget::Ephemeral { .. });
    let preset_use = if o.migrate && !ephemeral {
        PresetUse::Install
    } else {
        PresetUse::OnlyEphemeral
    };
    let mut db = db::open(cfg, preset_use).await?;
    let connected = started.elapsed();

    if o.migrate {
        let summary = crate::migrate::apply_pending(&mut db.client, &o.migrations, &o.history)
            .await
            .with_context(|| {
                format!(
                    "migrating from {} before verifying failed",
                    o.migrations.display()
                )
            })?;
        if cfg.verbose > 0 {
            eprintln!(
                "verify: applied {} migration(s) from {}",
                summary.applied.len(),
                o.migrations.display()
            );
        }
        for w in &o.seed_warnings {
            eprintln!("WARN: {w}");
        }
        let root = cfg.supabase.as_ref().and_then(|p| p.dir.parent());
        crate::migrate::seed::apply(&db.client, &seeds, root)
            .await
            .context("seeding after the migrations failed")?;
    }
    let migrated = started.elapsed();

    let settings = ProbeSettings {
        statement_timeout: o.statement_timeout,
        lock_timeout: o.lock_timeout,
    };
    let mut report = Report::new("verify", &db.display);
    let t0 = Instant::now();
    let snap = db
        .watch_locks(
            "reading the catalog",
            catalog::load_consistent(&db.client, &scope),
        )
        .await?;
    let snapshot_ms = ms(t0.elapsed());
    let evaluate_ms = evaluate_loaded(&db.client, &checks, &snap, &settings, &mut report).await;
    let pgtap_rows = checks::pgtap::run(&db.client, &pgtap_files, &settings).await;
    report.results.extend(pgtap_rows);
    report.duration_ms = ms(started.elapsed());
    let lost = db.client.is_closed();
    db.close().await;

    if cfg.verbose > 0 {
        eprintln!(
            "verify: {} checks from {} path(s); load {:.1} ms, connect {:.1} ms, migrate {:.1} ms, \
snapshot {:.1} ms ({} queries), evaluate {:.1} ms, total {:.1} ms",
            checks.len(),
            o.paths.len(),
            ms(loaded),
            ms(connected - loaded),
            ms(migrated - connected),
            snapshot_ms,
            catalog::QUERY_COUNT,
            evaluate_ms,
            report.duration_ms
        );
    }
    if cfg.verbose > 1 {
        eprintln!("verify: evaluate by kind: {}", by_kind(&report.results));
    }

    report.only_problems = cfg.quiet;
    crate::report::write_report(
        &report,
        o.format,
        o.output.as_deref(),
        cfg.color && o.output.is_none(),
    )?;
    if lost {
        // The rows say what could not run; the exit code says why: database trouble, not a FAIL.
        return Err(db::ConnectionLost("verify").into());
    }
    let t = report.totals();
    // This is the command's last step before the process exits: freeing the checks, the snapshot
    // and the report object by object would cost ~10 ms on 12,000 checks for nothing.
    std::mem::forget(snap);
    std::mem::forget(checks);
    std::mem::forget(report);
    Ok(if t.failed == 0 && t.errors == 0 {
        ExitCode::from(crate::exit::OK)
    } else {
        ExitCode::from(crate::exit::FAILED)
    })
}

/// Evaluate every check against an already read snapshot into `report.results`, in check order
/// (probe checks on `client`, in one transaction that is always rolled back). Returns the time
/// taken, in ms.
pub async fn evaluate_loaded(
    client: &Client,
    checks: &[Check],
    snap: &Snapshot,
    settings: &ProbeSettings,
    report: &mut Report,
) -> f64 {
    let t1 = Instant::now();
    let mut results = evaluate_static(checks, snap);
    let probes: Vec<usize> = checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.phase() == Phase::Probe)
        .map(|(i, _)| i)
        .collect();
    if !probes.is_empty() {
        let outcomes = probe::run_all(client, snap, checks, &probes, settings).await;
        for (i, r) in probes.into_iter().zip(outcomes) {
            results[i] = Some(r);
        }
    }
    report.results.extend(results.into_iter().map(|r| {
        r.unwrap_or_else(|| CheckResult::new("?", "?", Status::Error, "check was not evaluated"))
    }));
    ms(t1.elapsed())
}

/// Evaluate the static checks against a snapshot; probe checks are left `None`. Never inlined:
/// bench/verify counts the instructions spent here (callgrind `--toggle-collect`).
#[inline(never)]
pub fn evaluate_static(checks: &[Check], snap: &Snapshot) -> Vec<Option<CheckResult>> {
    checks
        .iter()
        .map(|c| {
            let t = Instant::now();
            c.evaluate_static(snap)
                .map(|o| c.result(o, ms(t.elapsed())))
        })
        .collect()
}

/// Checks and time per kind, slowest first: `count 7 checks 0.4 ms, exists 2078 checks 3.1 ms`.
fn by_kind(results: &[CheckResult]) -> String {
    let mut kinds: Vec<(&str, usize, f64)> = Vec::new();
    for r in results {
        match kinds.iter_mut().find(|k| k.0 == r.kind) {
            Some(k) => {
                k.1 += 1;
                k.2 += r.duration_ms;
            }
            None => kinds.push((&r.kind, 1, r.duration_ms)),
        }
    }
    kinds.sort_by(|a, b| b.2.total_cmp(&a.2));
    kinds
        .iter()
        .map(|(k, n, t)| {
            format!(
                "{k} {n} {} {t:.1} ms",
                crate::checks::model::plural(*n, "check", "checks")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
