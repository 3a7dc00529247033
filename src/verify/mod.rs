//! Evaluating loaded checks against ONE catalog snapshot: static checks read only the snapshot,
//! probe checks run in a transaction that is always rolled back (`probe`), `--only`/`--skip`
//! selection (`filter`). The command around it is `crate::commands::verify`. Must not change
//! data, render, or query the catalog per check.

pub mod filter;
pub mod probe;

use std::time::Instant;

use tokio_postgres::Client;

use crate::catalog::{OpenSecond, Snapshot};
use crate::checks::{Check, CheckPhase};
use crate::report::{result_of, CheckResult, Report, Status};

pub use probe::{ProbeSettings, SHARE_PROBES_AT};

/// How `evaluate_loaded` went: its time, and the connections the behaviour checks ran on.
#[derive(Debug, Clone, Copy)]
pub struct Evaluated {
    pub ms: f64,
    /// Behaviour checks run, and on how many connections (0 when none ran).
    pub probes: usize,
    pub connections: usize,
    /// Behaviour checks run again on one connection after an error on two.
    pub rerun: usize,
}

/// Evaluate every check against an already read snapshot into `report.results`, in check order
/// (probe checks on `client`, and on a second connection from `second` for a large set, each in
/// one transaction that is always rolled back).
pub async fn evaluate_loaded(
    client: &Client,
    second: Option<OpenSecond<'_>>,
    checks: &[Check],
    snap: &Snapshot,
    settings: &ProbeSettings,
    report: &mut Report,
) -> Evaluated {
    let t1 = Instant::now();
    let mut results = evaluate_static(checks, snap);
    let probes: Vec<usize> = checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.phase() == CheckPhase::Probe)
        .map(|(i, _)| i)
        .collect();
    let (mut connections, mut rerun, count) = (0, 0, probes.len());
    if !probes.is_empty() {
        let run = probe::run_all(client, second, snap, checks, &probes, settings).await;
        (connections, rerun) = (run.connections, run.rerun);
        for (i, r) in probes.into_iter().zip(run.results) {
            results[i] = Some(r);
        }
    }
    report.results.extend(results.into_iter().map(|r| {
        r.unwrap_or_else(|| CheckResult::new("?", "?", Status::Error, "check was not evaluated"))
    }));
    Evaluated {
        ms: ms(t1.elapsed()),
        probes: count,
        connections,
        rerun,
    }
}

/// Evaluate the static checks against a snapshot; probe checks are left `None`. Large sets are
/// shared out over the machine's cores (`crate::par`: batches of 4, since one check may cost a
/// thousand times another, and only with 512+ checks per thread); results keep check order.
/// bench/verify counts the instructions spent in `*evaluate_static*` (callgrind
/// `--toggle-collect`), which every thread's `Check::evaluate_static` matches.
#[inline(never)]
pub fn evaluate_static(checks: &[Check], snap: &Snapshot) -> Vec<Option<CheckResult>> {
    crate::par::map_in_order(checks, 512, 4, |c| {
        let t = Instant::now();
        c.evaluate_static(snap)
            .map(|o| result_of(c, o, ms(t.elapsed())))
    })
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{RelKind, Relation};

    #[test]
    fn shared_out_evaluation_gives_every_result_in_check_order() {
        // Tables t0..t299, RLS on every third: checks that pass and fail, cheap and costly.
        let mut snap = Snapshot {
            scope: vec!["public".into()],
            ..Default::default()
        };
        for i in 0..300 {
            let mut t = Relation::new("public", &format!("t{i}"), RelKind::Table);
            t.rls_enabled = i % 3 == 0;
            snap.relations.push(t);
        }
        let snap = snap.finish();
        let mut toml = String::new();
        for i in 0..3000 {
            match i % 4 {
                0 => toml.push_str(&format!(
                    "[[rls]]\nid = \"r{i}\"\ntables = [\"t{}\"]\n",
                    i % 300
                )),
                1 => toml.push_str(&format!(
                    "[[exists]]\nid = \"e{i}\"\ntable = \"t{}\"\n",
                    i % 400
                )),
                2 => toml.push_str(&format!(
                    "[[count]]\nid = \"c{i}\"\ncomponent = \"Tables\"\nobject = \"table\"\nexpect = {}\n",
                    i % 2 * 300
                )),
                _ => toml.push_str(&format!("[[rls]]\nid = \"a{i}\"\nall = true\n")),
            }
        }
        let checks = crate::checks::testkit::load(&toml).unwrap();
        assert_eq!(checks.len(), 3000);
        let one_by_one: Vec<(String, Status, String)> = checks
            .iter()
            .map(|c| {
                let r = result_of(c, c.evaluate_static(&snap).unwrap(), 0.0);
                (r.id, r.status, r.detail)
            })
            .collect();
        let shared: Vec<(String, Status, String)> = evaluate_static(&checks, &snap)
            .into_iter()
            .map(|r| {
                let r = r.expect("every static check has a result");
                (r.id, r.status, r.detail)
            })
            .collect();
        assert_eq!(shared, one_by_one);
        assert!(shared.iter().any(|r| r.1 == Status::Pass));
        assert!(shared.iter().any(|r| r.1 == Status::Fail));
    }
}
