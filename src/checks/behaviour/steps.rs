//! Running behaviour steps: setup, then each step in a savepoint of its own, impersonating as it
//! says, pipelined on the client (one round trip per step), stopping at the first step that does
//! not meet its expectation. Must not commit or end the transaction, or open connections.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

use super::expect::{compare, Expect, Got, Verdict};
use super::r#as::{settings_statement, As, Originals};
use super::safety::{owner_of_query, refusal};
use super::sqlstate::error_text;
use crate::catalog::Snapshot;
use crate::checks::model::Ctx;
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
    pub fn joined(&self) -> String {
        self.0
            .iter()
            .map(|s| s.trim().trim_end_matches(';').trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(";\n")
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

/// Run `setup` (as the connecting user) then `steps` in order, each in a savepoint of its own,
/// impersonating as the step says, stopping at the first step that does not meet its
/// expectation. Every step is checked against the safety rules before anything runs. The
/// caller's savepoint undoes everything afterwards. Statements are pipelined: one round trip
/// per step.
pub async fn run_steps(
    client: &Client,
    snap: &Snapshot,
    ctx: &Ctx<'_>,
    setup: Option<&str>,
    steps: &[Step],
    rules: RunRules,
) -> Outcome {
    // Refuse before running anything.
    let mut roles: Vec<String> = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
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
    let mut passed: Vec<String> = Vec::new();
    // What the previous step left behind, undone at the head of the next step's round trip:
    // `Some(true)`: it failed as expected, roll its savepoint back; `Some(false)`: keep its data,
    // put the connecting user's role, claims and settings back.
    let mut pending: Option<bool> = None;
    let undo_sql =
        format!("rollback to savepoint {STEP_SAVEPOINT}; release savepoint {STEP_SAVEPOINT}");
    let release_sql = format!("release savepoint {STEP_SAVEPOINT}");

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
        let setup_sql = if i == 0 { setup } else { None };
        let read_originals = i == 0 && multi;
        let pre = prelude(STEP_SAVEPOINT, role);
        let settings = settings_statement(&step.as_, role);

        let restore = match (pending, &originals) {
            (Some(false), Some(o)) => Some(o.restore_statement()),
            (Some(false), None) => {
                return Outcome::error("internal: the session's settings were not read")
            }
            _ => None,
        };

        // One round trip: [the previous step's cleanup] [setup] [originals] savepoint + role,
        // claims/settings, query.
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
        let f_setup = async {
            match setup_sql {
                Some(sql) => Some(client.batch_execute(sql).await),
                None => None,
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
        let f_query = client.simple_query(&step.query);
        let (r_clean, r_setup, r_orig, r_pre, r_set, r_query) =
            futures_util::join!(f_clean, f_setup, f_orig, f_pre, f_set, f_query);

        if let Some(Err(e)) = r_clean {
            return Outcome::error(prefixed(
                &label,
                format!("could not restore the session after the previous step: {e}"),
            ));
        }

        if let Some(Err(e)) = r_setup {
            return Outcome::error(format!("setup failed: {}", error_text(&e)));
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
        let got = match &r_query {
            Ok(msgs) => Got::from_messages(msgs),
            Err(e) => Got::from_error(e),
        };
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
