//! `deskctl verify`: load the check files (before connecting: bad files never start a cluster),
//! open the target through the shared path (migrating first when asked, always on an ephemeral
//! cluster), read ONE catalog snapshot, evaluate (`crate::verify`), report and exit. Owns the
//! order of those steps and the verbose timings; must not evaluate or render by itself.

use std::process::ExitCode;
use std::time::Instant;

use super::report_and_exit;
use super::target::{migrate, open, read_catalog, Open};
use crate::catalog;
use crate::checks;
use crate::config::{RunConfig, VerifyOptions};
use crate::db;
use crate::report::{CheckResult, Report};
use crate::verify::{evaluate_loaded, filter, ProbeSettings};
use crate::words::plural;

pub async fn run(cfg: &RunConfig, o: VerifyOptions) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // pgTAP test files (.sql) run natively next to the TOML checks.
    let (pgtap_files, check_paths) = checks::kinds::pgtap::partition(&o.paths);
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
    let target = Open {
        migrate_url: o.migrate,
        seeds: &seeds,
        seed_warnings: &o.seed_warnings,
        ..Open::new("verify", &o.migrations, &o.history)
    };
    let mut db = open(cfg, &target).await?;
    let connected = started.elapsed();
    migrate(cfg, &target, &mut db).await?;
    let migrated = started.elapsed();

    let settings = ProbeSettings {
        statement_timeout: o.statement_timeout,
        lock_timeout: o.lock_timeout,
    };
    let mut report = Report::new("verify", &db.display);
    let t0 = Instant::now();
    let snap = read_catalog(&db, &scope).await?;
    let snapshot_ms = ms(t0.elapsed());
    let evaluated = evaluate_loaded(
        &db.client,
        Some(db.second_connection()),
        &checks,
        &snap,
        &settings,
        &mut report,
    )
    .await;
    let pgtap_rows = checks::kinds::pgtap::run(&db.client, &pgtap_files, &settings).await;
    report
        .results
        .extend(pgtap_rows.into_iter().map(crate::report::tap_row));
    report.duration_ms = ms(started.elapsed());
    let lost = db.client.is_closed();
    db.close().await;

    if cfg.verbose > 0 {
        eprintln!(
            "verify: {} checks from {} path(s); load {:.1} ms, connect {:.1} ms, migrate {:.1} ms, \
snapshot {:.1} ms ({} queries on {} connection(s)), evaluate {:.1} ms{}, total {:.1} ms",
            checks.len(),
            o.paths.len(),
            ms(loaded),
            ms(connected - loaded),
            ms(migrated - connected),
            snapshot_ms,
            catalog::QUERY_COUNT,
            snap.connections,
            evaluated.ms,
            probes_note(&evaluated),
            report.duration_ms
        );
    }
    if cfg.verbose > 1 {
        eprintln!("verify: evaluate by kind: {}", by_kind(&report.results));
    }

    let t = report.totals();
    let code = report_and_exit(
        cfg,
        &mut report,
        o.format,
        o.output.as_deref(),
        t.failed > 0 || t.errors > 0,
    )?;
    if lost {
        // The rows say what could not run; the exit code says why: database trouble, not a FAIL.
        return Err(db::ConnectionLost("verify").into());
    }
    // This is the command's last step before the process exits: freeing the checks, the snapshot
    // and the report object by object would cost ~10 ms on 12,000 checks for nothing.
    std::mem::forget(snap);
    std::mem::forget(checks);
    std::mem::forget(report);
    Ok(code)
}

/// ` (12 behaviour checks on 2 connections, 1 run again alone)`, or nothing without them.
fn probes_note(e: &crate::verify::Evaluated) -> String {
    if e.probes == 0 {
        return String::new();
    }
    let again = if e.rerun > 0 {
        format!(", {} run again alone", e.rerun)
    } else {
        String::new()
    };
    format!(
        " ({} behaviour checks on {} connection(s){again})",
        e.probes, e.connections
    )
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
        .map(|(k, n, t)| format!("{k} {n} {} {t:.1} ms", plural(*n, "check", "checks")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
