//! Runs the probe (behaviour) checks of one verify run: each connection in ONE transaction that
//! is always rolled back, `statement_timeout` / `lock_timeout` set inside it, and a savepoint
//! every check is rolled back to after it, whatever it did. A failing or hung check becomes an
//! error row and the run goes on. From `SHARE_PROBES_AT` checks on, a second connection (when
//! one opens) takes checks from the same queue in a rolled-back transaction of its own; a check
//! that ends in an error the other connection could have caused (a lock wait, a timeout, a
//! deadlock) is run again afterwards on the first connection alone, so a lock one connection's
//! check waited for on the other's is never what a result says. Must never commit, and must not
//! evaluate static checks.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::catalog::{OpenSecond, Snapshot};
use crate::checks::behaviour::state::RlsTable;
use crate::checks::{Check, Outcome, ProbeEnv};
use crate::report::{result_of, CheckResult, Status};

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

/// Behaviour checks from which a second connection is opened to share them.
pub const SHARE_PROBES_AT: usize = 32;

/// What a probe run gave: one result per check, in the order asked, and how it ran.
#[derive(Debug)]
pub struct ProbeRun {
    pub results: Vec<CheckResult>,
    /// Connections the checks ran on (1 or 2).
    pub connections: usize,
    /// Checks that ended in an error on two connections and were run again alone.
    pub rerun: usize,
}

/// The checks still to run, taken in order by every connection.
struct Queue<'a> {
    which: &'a [usize],
    next: Cell<usize>,
}

impl Queue<'_> {
    /// The next check: its position in `which`.
    fn take(&self) -> Option<usize> {
        let n = self.next.get();
        (n < self.which.len()).then(|| {
            self.next.set(n + 1);
            n
        })
    }
}

/// Run `checks[i]` for each i in `which` (all probe kinds). Returns one result each, in `which`'s
/// order. `second` opens another connection to the same database for a large set.
pub async fn run_all(
    client: &Client,
    second: Option<OpenSecond<'_>>,
    snap: &Snapshot,
    checks: &[Check],
    which: &[usize],
    settings: &ProbeSettings,
) -> ProbeRun {
    let second = second.filter(|_| which.len() >= SHARE_PROBES_AT);
    // The second connection: opened and its transaction begun while the first one starts and
    // runs checks. The first never waits for it: if it is not ready when the first has run out
    // of checks (a pooler queueing it, a slow login), it is dropped unopened.
    let open_begin = async {
        let c = second?().await?;
        begin(&c, settings).await.ok()?;
        Some(c)
    };
    let mut open_begin = std::pin::pin!(open_begin);
    let mut ready: Option<Option<Client>> = None;
    let started = {
        let mut start_first = std::pin::pin!(start(client, settings));
        loop {
            tokio::select! {
                biased;
                r = &mut start_first => break r,
                c = &mut open_begin, if ready.is_none() => ready = Some(c),
            }
        }
    };
    let rls_tables = match started {
        Ok(t) => t,
        Err(why) => {
            let _ = client.batch_execute("rollback").await;
            return ProbeRun {
                results: which
                    .iter()
                    .map(|&i| result_of(&checks[i], Outcome::error(why.clone()), 0.0))
                    .collect(),
                connections: 1,
                rerun: 0,
            };
        }
    };
    let results = RefCell::new(vec![None; which.len()]);
    let queue = Queue {
        which,
        next: Cell::new(0),
    };
    let (stopped, shared) = {
        let joined = Cell::new(false);
        let second_work = async {
            let c = match ready {
                Some(c) => c,
                None => (&mut open_begin).await,
            }?;
            joined.set(true);
            let done =
                take_and_run(&c, snap, checks, &queue, settings, &rls_tables, &results).await;
            let _ = c.batch_execute("rollback").await;
            Some(done)
        };
        let mut second_work = std::pin::pin!(second_work);
        let mut second_done: Option<Option<(Option<String>, usize)>> = None;
        let first_work = take_and_run(
            client,
            snap,
            checks,
            &queue,
            settings,
            &rls_tables,
            &results,
        );
        let mut first_work = std::pin::pin!(first_work);
        let (stopped, _) = loop {
            tokio::select! {
                biased;
                r = &mut first_work => break r,
                r = &mut second_work, if second_done.is_none() => second_done = Some(r),
            }
        };
        if second_done.is_none() && joined.get() {
            // It is running a check (bounded by the run's timeouts): let it finish.
            second_done = Some(second_work.await);
        }
        (stopped, second_done.flatten().is_some_and(|(_, n)| n > 0))
    };
    // Always roll back: verify never changes data (the second connection rolled back its own).
    let _ = client.batch_execute("rollback").await;
    let mut results = results.into_inner();
    let mut rerun = 0;
    if shared {
        // Errors on two connections may come from the other connection's check (a lock it held
        // until its savepoint was rolled back): those checks run again, on one connection.
        let again: Vec<usize> = (0..which.len())
            .filter(|&n| results[n].as_ref().is_some_and(may_be_interference))
            .collect();
        // The RLS tables read at the start serve here too (read once per run, as on one
        // connection).
        if !again.is_empty() && begin(client, settings).await.is_ok() {
            let alone = RefCell::new(vec![None; again.len()]);
            let picked: Vec<usize> = again.iter().map(|&n| which[n]).collect();
            let q = Queue {
                which: &picked,
                next: Cell::new(0),
            };
            take_and_run(client, snap, checks, &q, settings, &rls_tables, &alone).await;
            let _ = client.batch_execute("rollback").await;
            for (n, r) in again.into_iter().zip(alone.into_inner()) {
                if let Some(r) = r {
                    results[n] = Some(r);
                    rerun += 1;
                }
            }
        }
    }
    let why = stopped.unwrap_or_else(|| "the run stopped".into());
    ProbeRun {
        results: results
            .into_iter()
            .zip(which)
            .map(|(r, &i)| {
                r.unwrap_or_else(|| {
                    result_of(&checks[i], Outcome::error(format!("not run: {why}")), 0.0)
                })
            })
            .collect(),
        connections: if shared { 2 } else { 1 },
        rerun,
    }
}

/// What a check on the other connection can cause: waiting past `lock_timeout` (55P03) or
/// `statement_timeout` (57014, or deskctl's own deadline), a deadlock (40P01), a serialization
/// failure (40001). Errors of any other kind (SQL that does not parse, a missing function, a role
/// that does not exist) would be the same alone, and are not run again.
fn may_be_interference(r: &CheckResult) -> bool {
    const CAUSES: [&str; 5] = ["55P03", "57014", "40P01", "40001", "did not finish within"];
    r.status == Status::Error && CAUSES.iter().any(|c| r.detail.contains(c))
}

/// `begin`, the run's limits (numbers only: nothing from a check file reaches this statement)
/// and the one savepoint every check is rolled back to.
fn begin_sql(settings: &ProbeSettings) -> String {
    format!(
        "begin; set local statement_timeout = {}; set local lock_timeout = {}; savepoint {SAVEPOINT}",
        settings.statement_timeout.as_millis(),
        settings.lock_timeout.as_millis()
    )
}

/// Begin the rollback-only transaction on `client`, or why not.
async fn begin(client: &Client, settings: &ProbeSettings) -> Result<(), String> {
    if let Err(e) = client.batch_execute(&begin_sql(settings)).await {
        let _ = client.batch_execute("rollback").await;
        return Err(format!(
            "could not start the rollback-only transaction: {e}"
        ));
    }
    Ok(())
}

/// [`begin`], then read which tables RLS protects (for the steps' run-time checks; one catalog
/// read per run), or why not.
async fn start(client: &Client, settings: &ProbeSettings) -> Result<Vec<RlsTable>, String> {
    begin(client, settings).await?;
    crate::checks::behaviour::state::read_rls_tables(client)
        .await
        .map_err(|e| format!("could not read which tables have RLS: {e}"))
}

/// Run checks taken from `queue` on `client` (in its transaction, at its savepoint) until the
/// queue is empty: each result at its position in `results`. Returns why it stopped taking checks
/// early (the connection failed), and how many it ran.
async fn take_and_run(
    client: &Client,
    snap: &Snapshot,
    checks: &[Check],
    queue: &Queue<'_>,
    settings: &ProbeSettings,
    rls_tables: &[RlsTable],
    results: &RefCell<Vec<Option<CheckResult>>>,
) -> (Option<String>, usize) {
    let env = ProbeEnv {
        client,
        snapshot: snap,
        statement_timeout: settings.statement_timeout,
        rls_tables,
    };
    let undo_sql = format!("rollback to savepoint {SAVEPOINT}");
    // The check whose changes are still to be undone. Its ROLLBACK TO goes out ahead of the next
    // check's first statements, in the same round trip: a ROLLBACK TO that fails aborts the
    // transaction, so nothing the next check sends after it can run (that check is then reported
    // as not run). The last check is undone by the caller's ROLLBACK.
    let mut undo_after: Option<&str> = None;
    let mut taken = 0;
    while let Some(n) = queue.take() {
        taken += 1;
        let c = &checks[queue.which[n]];
        let t = Instant::now();
        let undo = async {
            match undo_after {
                Some(_) => Some(client.batch_execute(&undo_sql).await),
                None => None,
            }
        };
        // `join!` polls `undo` first: its request is queued before any of the check's.
        let ctx = c.ctx();
        let (undone, ran) = futures_util::join!(undo, c.spec.run_probe(&ctx, &env));
        let (outcome, stop) = match (undone, undo_after) {
            (Some(Err(e)), Some(prev)) => {
                let why = format!("the connection failed after check {prev}: {e}");
                (Outcome::error(format!("not run: {why}")), Some(why))
            }
            _ => (
                ran.unwrap_or_else(|| Outcome::error("not a behaviour check")),
                None,
            ),
        };
        results.borrow_mut()[n] = Some(result_of(c, outcome, t.elapsed().as_secs_f64() * 1000.0));
        if stop.is_some() {
            return (stop, taken);
        }
        undo_after = Some(&c.id);
    }
    (None, taken)
}
