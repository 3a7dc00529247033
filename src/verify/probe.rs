//! Runs the probe (behaviour) checks of one verify run: ONE transaction that is always rolled
//! back, `statement_timeout` / `lock_timeout` set inside it, and a savepoint per check that is
//! rolled back after the check whatever it did. A failing or hung check becomes an error row and
//! the run goes on. Must never commit, and must not evaluate static checks.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::catalog::Snapshot;
use crate::checks::{Check, Outcome, ProbeEnv};
use crate::report::{result_of, CheckResult};

/// Limits applied to behaviour checks.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSettings {
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
        }
    }
}

const SAVEPOINT: &str = "deskctl_check";

/// Run `checks[i]` for each i in `which` (all probe kinds), in order. Returns one result each.
pub async fn run_all(
    client: &Client,
    snap: &Snapshot,
    checks: &[Check],
    which: &[usize],
    settings: &ProbeSettings,
) -> Vec<CheckResult> {
    let mut out = Vec::with_capacity(which.len());
    // Numbers only: nothing from a check file reaches these statements.
    let begin = format!(
        "begin; set local statement_timeout = {}; set local lock_timeout = {}",
        settings.statement_timeout.as_millis(),
        settings.lock_timeout.as_millis()
    );
    if let Err(e) = client.batch_execute(&begin).await {
        let _ = client.batch_execute("rollback").await;
        for &i in which {
            let c = &checks[i];
            out.push(result_of(
                c,
                Outcome::error(format!(
                    "could not start the rollback-only transaction: {e}"
                )),
                0.0,
            ));
        }
        return out;
    }
    // Which tables RLS protects, for the steps' run-time checks (one catalog read).
    let rls_tables = match crate::checks::behaviour::state::read_rls_tables(client).await {
        Ok(t) => t,
        Err(e) => {
            let _ = client.batch_execute("rollback").await;
            for &i in which {
                out.push(result_of(
                    &checks[i],
                    Outcome::error(format!("could not read which tables have RLS: {e}")),
                    0.0,
                ));
            }
            return out;
        }
    };
    let env = ProbeEnv {
        client,
        snapshot: snap,
        statement_timeout: settings.statement_timeout,
        rls_tables: &rls_tables,
    };
    let mut broken: Option<String> = None;
    for &i in which {
        let c = &checks[i];
        if let Some(why) = &broken {
            out.push(result_of(c, Outcome::error(format!("not run: {why}")), 0.0));
            continue;
        }
        let t = Instant::now();
        let outcome = match client
            .batch_execute(&format!("savepoint {SAVEPOINT}"))
            .await
        {
            Err(e) => Outcome::error(format!("could not set a savepoint: {e}")),
            Ok(()) => {
                let o = c
                    .spec
                    .run_probe(&c.ctx(), &env)
                    .await
                    .unwrap_or_else(|| Outcome::error("not a behaviour check"));
                // Undo everything the check did, whether it succeeded or failed.
                if let Err(e) = client
                    .batch_execute(&format!("rollback to savepoint {SAVEPOINT}"))
                    .await
                {
                    broken = Some(format!("the connection failed after check {}: {e}", c.id));
                }
                o
            }
        };
        out.push(result_of(c, outcome, t.elapsed().as_secs_f64() * 1000.0));
    }
    // Always roll back: verify never changes data.
    let _ = client.batch_execute("rollback").await;
    out
}
