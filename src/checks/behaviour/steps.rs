//! Running behaviour steps: setup, then each step in a savepoint of its own, impersonating as it
//! says, pipelined on the client (one round trip per step), stopping at the first step that does
//! not meet its expectation. Every piece of a check's SQL is parsed first (`safety::statements`)
//! and sent statement by statement, each one also parsed by the server through the extended
//! protocol (whose Parse refuses several commands in one string); the structural checks of
//! `state` bracket every step, and a client-side deadline with a cancel request bounds it. Must
//! not commit or end the transaction, or open connections.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

use std::time::Duration;

use futures_util::future::join_all;
use tokio_postgres::SimpleQueryMessage;

use super::expect::{compare, Expect, Got, Verdict};
use super::r#as::{settings_statement, As, Originals};
use super::safety::{owner_of_query, refusal, statements};
use super::sqlstate::error_text;
use super::state::{state_sql, unbound, RlsTable, SessionState};
use crate::catalog::Snapshot;
use crate::checks::names::Ctx;
use crate::checks::Outcome;
use crate::db::quote_ident;

/// One step, resolved from a check file.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Option<String>,
    pub as_: As,
    pub query: String,
    pub expect: Expect,
}

/// One SQL text or a list of them (run in order): `setup = "..."` or `setup = ["...", "..."]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlList(pub Vec<String>);

impl SqlList {
    /// Every statement of every text, in order, as deskctl will send them, or why none is sent
    /// (see `safety::statements`). `key` names the list in messages (`setup`, `seed`).
    pub fn statements(&self, key: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for (i, sql) in self.0.iter().enumerate() {
            let path = if self.0.len() == 1 {
                key.to_string()
            } else {
                format!("{key}.{i}")
            };
            out.extend(statements(&path, sql)?);
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for SqlList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SqlList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("SQL text or a list of SQL texts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SqlList, E> {
                Ok(SqlList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SqlList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(SqlList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Savepoint each step runs in (nested in the check's savepoint).
const STEP_SAVEPOINT: &str = "deskctl_step";

/// `savepoint x; set local role "r"` (the role quoted; nothing else from the check file).
pub fn prelude(savepoint: &str, role: Option<&str>) -> String {
    match role {
        Some(r) => format!("savepoint {savepoint}; set local role {}", quote_ident(r)),
        None => format!("savepoint {savepoint}"),
    }
}

/// Run a statement whose parameters are all text, in one round trip (no prepare).
pub async fn exec_text(
    client: &Client,
    sql: &str,
    params: &[String],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    client.query_typed(sql, &typed).await
}

/// Like `exec_text`, with NULL-able parameters.
pub async fn exec_opt_text(
    client: &Client,
    sql: &str,
    params: &[Option<String>],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
        .collect();
    client.query_typed(sql, &typed).await
}

/// How steps are checked before they run.
#[derive(Debug, Clone, Copy)]
pub struct RunRules {
    /// Refuse steps WITHOUT a role whose RLS-dependent expectation reads a table the
    /// connecting user bypasses RLS on (scenarios; not `[[sql]]`, which runs as the connecting
    /// user on purpose).
    pub connecting_rule: bool,
    /// Name steps `step N` in details (several steps).
    pub numbered: bool,
}

fn step_label(i: usize, step: &Step, rules: &RunRules) -> String {
    match (&step.name, rules.numbered) {
        (Some(n), true) => format!("step {} ({n})", i + 1),
        (None, true) => format!("step {}", i + 1),
        (Some(n), false) => n.clone(),
        (None, false) => String::new(),
    }
}

fn prefixed(label: &str, rest: String) -> String {
    if label.is_empty() {
        rest
    } else {
        format!("{label}: {rest}")
    }
}

/// Limits of a run of steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// The client-side deadline of one round trip (a step with its setup); when it passes, a
    /// cancel request is sent and the check is an error. `None`: no deadline.
    pub deadline: Option<Duration>,
}

impl Limits {
    /// A deadline that leaves the server's own `statement_timeout` room to fire first: one
    /// timeout per statement of the round trip, plus two seconds. None when the timeout is 0.
    pub fn for_statements(statement_timeout: Duration, statements: usize) -> Limits {
        Limits {
            deadline: (!statement_timeout.is_zero())
                .then(|| statement_timeout * (statements as u32 + 1) + Duration::from_secs(2)),
        }
    }
}

/// Send one statement of a check's SQL: the server parses it through the extended protocol
/// (Parse refuses several commands in one string; inside the transaction block a refused
/// Parse aborts the transaction, so the same text cannot run after it), then runs it through
/// the simple protocol for PostgreSQL's text output. Both are pipelined: one round trip.
pub async fn send_one(
    client: &Client,
    sql: &str,
) -> Result<Vec<SimpleQueryMessage>, tokio_postgres::Error> {
    let (parsed, ran) = futures_util::join!(client.prepare(sql), client.simple_query(sql));
    match parsed {
        // 25P02: the Parse came after an earlier failure, or the statement itself failed and
        // aborted the transaction before the client's type look-ups; the run says which.
        Err(e) if e.code() != Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) => {
            Err(e)
        }
        _ => ran,
    }
}

/// Send a check's statements in order (pipelined): what the last gave, or the first error.
pub async fn send_all(client: &Client, stmts: &[String]) -> Got {
    let results = join_all(stmts.iter().map(|s| send_one(client, s))).await;
    let mut last = Got::Rows {
        count: 0,
        columns: 0,
        rows: Vec::new(),
    };
    let mut failed: Option<Got> = None;
    for r in &results {
        match r {
            Ok(msgs) => last = Got::from_messages(msgs),
            Err(e) => {
                let g = Got::from_error(e);
                // The first real error, not the "transaction is aborted" that follows it.
                let aborted = g.error_code() == Some("25P02");
                if failed.is_none()
                    || (!aborted && failed.as_ref().and_then(Got::error_code) == Some("25P02"))
                {
                    failed = Some(g);
                }
            }
        }
    }
    failed.unwrap_or(last)
}

/// Run `fut` within `limits`; on the deadline, send PostgreSQL a cancel request for whatever the
/// connection is running and return `Err` saying so, once the connection has settled. The
/// postmaster delivers a cancel as two SIGINTs (to the backend, then to its process group), and
/// a SIGINT cancels whatever statement runs when it arrives: the second one can land on a later
/// statement, the next check's. So what was already sent is let finish first (the statement
/// that overran ends with the cancel, the rest of the round trip fails behind it), then the
/// backend is left idle for [`CANCEL_GRACE`]: PostgreSQL drops a cancel that reaches an idle
/// backend. Waiting for the round trip is bounded by [`SETTLE`].
pub async fn bounded<T>(
    client: &Client,
    limits: &Limits,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, String> {
    let Some(d) = limits.deadline else {
        return Ok(fut.await);
    };
    let mut fut = std::pin::pin!(fut);
    if let Ok(v) = tokio::time::timeout(d, fut.as_mut()).await {
        return Ok(v);
    }
    let token = client.cancel_token();
    let cancelled = tokio::time::timeout(
        Duration::from_secs(5),
        token.cancel_query(tokio_postgres::NoTls),
    )
    .await;
    let how = match cancelled {
        Ok(Ok(())) => {
            if tokio::time::timeout(SETTLE, fut.as_mut()).await.is_ok() {
                tokio::time::sleep(CANCEL_GRACE).await;
            }
            "a cancel request was sent".to_string()
        }
        Ok(Err(e)) => format!("the cancel request failed: {e}"),
        Err(_) => "the cancel request got no answer".to_string(),
    };
    Err(format!(
        "did not finish within {:.1} s (deskctl's own deadline, which holds even when the server's statement_timeout was switched off); {how}",
        d.as_secs_f64()
    ))
}

/// How long a cancelled round trip may take to finish ([`bounded`]).
const SETTLE: Duration = Duration::from_secs(5);
/// How long the backend is left idle after a cancelled round trip, for a late SIGINT of the
/// cancel to arrive while PostgreSQL ignores it ([`bounded`]).
const CANCEL_GRACE: Duration = Duration::from_millis(50);

const FIX_RLS: &str = "run it as an API role (as = { role = \"authenticated\", claims = { sub = \"...\" } }), or add bypass = true to `as` if bypassing RLS is what it tests";

fn touched_reason(t: &RlsTable, why: &str, role: &str, ctx: &Ctx) -> String {
    let shown = ctx.show(&crate::catalog::QualName::new(&t.schema, &t.name));
    match why {
        "superuser" => format!("{role} is a superuser, so RLS on {shown} does not apply to it"),
        "bypassrls" => format!("{role} has BYPASSRLS, so RLS on {shown} does not apply to it"),
        _ => format!(
            "{role} owns {shown} (owner {}), which has RLS enabled but not FORCE ROW LEVEL SECURITY, so RLS does not apply to it",
            t.owner
        ),
    }
}

/// Run `setup` (as the connecting user) then `steps` in order, each in a savepoint of its own,
/// impersonating as the step says, stopping at the first step that does not meet its
/// expectation. Every step is checked against the safety rules before anything runs, and its
/// session state is checked around it (`state`). The caller's savepoint undoes everything
/// afterwards. Statements are pipelined: one round trip per step.
pub async fn run_steps(
    ctx: &Ctx<'_>,
    setup: Option<&SqlList>,
    given: &super::given::Given,
    steps: &[Step],
    rules: RunRules,
    env: &crate::checks::ProbeEnv<'_>,
) -> Outcome {
    let (client, snap): (&Client, &Snapshot) = (env.client, env.snapshot);
    let statement_timeout = env.statement_timeout;
    // Refuse before running anything.
    let setup_stmts = match setup.map(|s| s.statements("setup")).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(why) => return Outcome::error(format!("not run: {why}")),
    };
    let mut roles: Vec<String> = Vec::with_capacity(steps.len());
    let mut queries: Vec<Vec<String>> = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let key = if rules.numbered {
            format!("step.{i}.query")
        } else {
            "query".to_string()
        };
        match statements(&key, &s.query) {
            Ok(q) => queries.push(q),
            Err(why) => {
                return Outcome::error(prefixed(
                    &step_label(i, s, &rules),
                    format!("not run: {why}"),
                ))
            }
        }
        let role = match s.as_.role.as_deref() {
            Some("owner") if snap.role("owner").is_none() => {
                match owner_of_query(snap, ctx, &s.query) {
                    Ok(o) => o,
                    Err(why) => {
                        return Outcome::error(prefixed(
                            &step_label(i, s, &rules),
                            format!("not run: {why}"),
                        ))
                    }
                }
            }
            Some(r) => r.to_string(),
            None => snap.current_user.clone(),
        };
        let mut resolved = s.clone();
        if resolved.as_.role.is_some() {
            resolved.as_.role = Some(role.clone());
        }
        if let Some(why) = refusal(snap, ctx, &resolved, &role, rules.connecting_rule) {
            return Outcome::error(prefixed(
                &step_label(i, s, &rules),
                format!("refused to run as {}: {why}", resolved.as_.label(snap)),
            ));
        }
        roles.push(role);
    }

    let multi = steps.len() > 1;
    let names = if multi {
        Originals::names_for(steps.iter().map(|s| &s.as_))
    } else {
        Vec::new()
    };
    let mut originals: Option<Originals> = None;
    let mut baseline: Option<SessionState> = None;
    let mut passed: Vec<String> = Vec::new();
    // What the previous step left behind, undone at the head of the next step's round trip:
    // `Some(true)`: it failed as expected, roll its savepoint back; `Some(false)`: keep its data,
    // put the connecting user's role, claims and settings back.
    let mut pending: Option<bool> = None;
    let undo_sql =
        format!("rollback to savepoint {STEP_SAVEPOINT}; release savepoint {STEP_SAVEPOINT}");
    let release_sql = format!("release savepoint {STEP_SAVEPOINT}");
    let baseline_sql = state_sql(&[], &[]);

    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let role = step.as_.role.as_ref().map(|_| roles[i].as_str());
        let label = step_label(i, step, &rules);
        let who = {
            let mut a = step.as_.clone();
            if a.role.is_some() {
                a.role = Some(roles[i].clone());
            }
            a.label(snap)
        };
        let first = i == 0;
        let read_originals = first && multi;
        let pre = prelude(STEP_SAVEPOINT, role);
        let settings = settings_statement(&step.as_, role);
        let setting_names: Vec<String> = step.as_.settings.keys().cloned().collect();
        // Which RLS tables the step reads is only watched when a pass could come from RLS not
        // applying; `[[sql]]` without `as` runs as the connecting user on purpose.
        let watch_rls = step.expect.depends_on_rls()
            && !step.as_.bypass
            && (step.as_.role.is_some() || rules.connecting_rule);
        let effective = role.unwrap_or(snap.current_user.as_str());
        let watch = if watch_rls {
            unbound(snap, effective, env.rls_tables)
        } else {
            Vec::new()
        };
        let state = state_sql(&setting_names, &watch);

        let restore = match (pending, &originals) {
            (Some(false), Some(o)) => Some(o.restore_statement()),
            (Some(false), None) => {
                return Outcome::error("internal: the session's settings were not read")
            }
            _ => None,
        };

        // One round trip: [the previous step's cleanup] [baseline state, setup, originals]
        // savepoint + role, claims/settings, state, the query, state.
        let f_clean = async {
            match (pending, &restore) {
                (Some(true), _) => Some(client.batch_execute(&undo_sql).await),
                (Some(false), Some((sql, params))) => {
                    let (a, b) = futures_util::join!(
                        client.batch_execute(&release_sql),
                        exec_opt_text(client, sql, params)
                    );
                    Some(a.and(b.map(|_| ())))
                }
                _ => None,
            }
        };
        let f_base = async {
            if first {
                Some(client.simple_query(&baseline_sql).await)
            } else {
                None
            }
        };
        let f_setup = async {
            if first {
                super::given::send_given(client, given, "setup", &setup_stmts).await
            } else {
                Ok(())
            }
        };
        let f_orig = async {
            if read_originals {
                let sql = Originals::read_statement(&names);
                Some(exec_text(client, &sql, &names).await)
            } else {
                None
            }
        };
        let f_pre = client.batch_execute(&pre);
        let f_set = async {
            match &settings {
                Some((sql, params)) => Some(exec_text(client, sql, params).await),
                None => None,
            }
        };
        let f_before = client.simple_query(&state);
        let f_query = send_all(client, &queries[i]);
        let f_after = client.simple_query(&state);
        let n_stmts = queries[i].len()
            + if first {
                setup_stmts.len() + given.rows.len() + given.fixtures.len()
            } else {
                0
            };
        let limits = Limits::for_statements(statement_timeout, n_stmts);
        let joined = bounded(client, &limits, async {
            futures_util::join!(
                f_clean, f_base, f_setup, f_orig, f_pre, f_set, f_before, f_query, f_after
            )
        })
        .await;
        let (r_clean, r_base, r_setup, r_orig, r_pre, r_set, r_before, got, r_after) = match joined
        {
            Ok(r) => r,
            Err(why) => return Outcome::error(prefixed(&label, why)),
        };

        if let Some(Err(e)) = r_clean {
            return Outcome::error(prefixed(
                &label,
                format!("could not restore the session after the previous step: {e}"),
            ));
        }
        if let Some(r) = r_base {
            match r
                .map_err(|e| error_text(&e))
                .and_then(|m| SessionState::from_messages(&m, &[]))
            {
                Ok(s) => baseline = Some(s),
                Err(e) => {
                    return Outcome::error(format!("could not read the session's state: {e}"))
                }
            }
        }
        if let Err(e) = r_setup {
            return Outcome::error(format!("setup failed: {e}"));
        }
        if let Some(r) = r_orig {
            match r {
                Ok(rows) if !rows.is_empty() => {
                    originals = Some(Originals::from_row(names.clone(), &rows[0]))
                }
                Ok(_) => return Outcome::error("could not read the session's settings"),
                Err(e) => {
                    return Outcome::error(format!("could not read the session's settings: {e}"))
                }
            }
        }
        if let Err(e) = r_pre {
            return Outcome::error(prefixed(
                &label,
                format!("could not impersonate {who}: {}", error_text(&e)),
            ));
        }
        if let Some(Err(e)) = r_set {
            return Outcome::error(prefixed(
                &label,
                format!(
                    "could not set the claims/settings of {who}: {}",
                    error_text(&e)
                ),
            ));
        }
        let Some(base) = &baseline else {
            return Outcome::error("internal: the session's state was not read");
        };
        // Before the query: exactly the role and claims the step claims, the guarded settings
        // as they were before the check's setup, the same transaction.
        let before = match r_before
            .map_err(|e| error_text(&e))
            .and_then(|m| SessionState::from_messages(&m, &setting_names))
        {
            Ok(s) => s,
            Err(e) => {
                return Outcome::error(prefixed(
                    &label,
                    format!("could not read the session's state before the step: {e}"),
                ))
            }
        };
        let mut wrong = before.guard_changes_since(base);
        let want_user = role.unwrap_or(base.current_user.as_str());
        if before.current_user != want_user {
            wrong.push(format!(
                "it would have run as {} instead of {want_user}",
                before.current_user
            ));
        }
        let want_claims = step.as_.claims_json(role).or_else(|| base.claims.clone());
        if before.claims != want_claims {
            wrong.push(format!(
                "its request.jwt.claims would have been {} instead of {}",
                before.claims.as_deref().unwrap_or("unset"),
                want_claims.as_deref().unwrap_or("unset")
            ));
        }
        if !wrong.is_empty() {
            let whose = if first && !setup_stmts.is_empty() {
                "the check's setup (or an earlier step) changed the session"
            } else {
                "an earlier step changed the session"
            };
            return Outcome::error(prefixed(
                &label,
                format!("not trusted: {whose}: {}", wrong.join("; ")),
            ));
        }
        // After the query (when it succeeded: a failed statement's changes are undone with it):
        // nothing of the above changed, and no RLS table the role is not bound by was read.
        if got.error_code().is_none() {
            let after = match r_after
                .map_err(|e| error_text(&e))
                .and_then(|m| SessionState::from_messages(&m, &setting_names))
            {
                Ok(s) => s,
                Err(e) => {
                    return Outcome::error(prefixed(
                        &label,
                        format!("could not read the session's state after the step: {e}"),
                    ))
                }
            };
            let changed = after.changes_since(&before);
            if !changed.is_empty() {
                return Outcome::error(prefixed(
                    &label,
                    format!(
                        "not trusted: the step ran as {who} but changed the session: {}",
                        changed.join("; ")
                    ),
                ));
            }
            if let Some((t, why)) = after.touched_since(&before, &watch).first() {
                let who_note = if step.as_.role.is_some() {
                    String::new()
                } else {
                    "the step has no role and runs as the connecting user; ".to_string()
                };
                return Outcome::error(prefixed(
                    &label,
                    format!(
                        "not trusted: {who_note}{}, the step read it, and the expectation depends on RLS; {FIX_RLS}",
                        touched_reason(t, why, &before.current_user, ctx)
                    ),
                ));
            }
        }
        // A lone step without `as` (`[[sql]]`, `[[rejects]]`) needs no "as ..." in its detail.
        let who = if step.as_ == As::default() && !rules.numbered {
            String::new()
        } else {
            format!("as {who}: ")
        };
        match compare(&step.expect, &got) {
            Verdict::Pass(what) => passed.push(prefixed(&label, format!("{who}{what}"))),
            Verdict::Fail(why) => {
                let mut d = prefixed(&label, format!("{who}{why}"));
                if !passed.is_empty() {
                    d.push_str(&format!(" (after {})", passed.join("; ")));
                }
                return Outcome::fail(d);
            }
            Verdict::Error(why) => return Outcome::error(prefixed(&label, format!("{who}{why}"))),
        }
        if last {
            break;
        }
        pending = Some(got.error_code().is_some());
    }
    Outcome::pass(passed.join("; "))
}

crate::any_of_schema!(
    SqlList,
    "SQL text or a list of SQL texts",
    |g| serde_json::json!({ "type": "string" }),
    serde_json::json!({ "type": "array", "items": { "type": "string" } })
);
