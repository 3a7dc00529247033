//! Evaluating loaded checks against ONE catalog snapshot: static checks read only the snapshot,
//! probe checks run in a transaction that is always rolled back (`probe`), `--only`/`--skip`
//! selection (`filter`). The command around it is `crate::commands::verify`. Must not change
//! data, render, or query the catalog per check.

pub mod filter;
pub mod probe;

use std::time::Instant;

use tokio_postgres::Client;

use crate::catalog::Snapshot;
use crate::checks::{Check, CheckPhase};
use crate::report::{result_of, CheckResult, Report, Status};

pub use probe::ProbeSettings;

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
        .filter(|(_, c)| c.phase() == CheckPhase::Probe)
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
                .map(|o| result_of(c, o, ms(t.elapsed())))
        })
        .collect()
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
