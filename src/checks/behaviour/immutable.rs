//! `[[immutable]]`: a table cannot be changed. Tries UPDATE, DELETE and TRUNCATE, each in a
//! savepoint of its own that is rolled back, as the table owner and as each listed role (with
//! claims); PASS when every attempt is rejected (SQLSTATE and message reported) or has no effect
//! (0 rows, the row still there unchanged: a role that cannot see it). Names the operation and
//! role that succeeded, and says when row triggers block UPDATE/DELETE but not TRUNCATE. Runs
//! inside the run's rolled-back transaction; must not leave any change behind.

use serde::Deserialize;

use super::scenario::validate_setup;
use crate::catalog::{Relation, Snapshot, TriggerEvent};
use crate::checks::behaviour::safety::statement_refusal;
use crate::checks::behaviour::state::{state_sql, SessionState};
use crate::checks::behaviour::{
    describe_error, error_text, exec_opt_text, exec_text, is_infrastructure, prelude, send_given,
    send_one, settings_statement, As, AsList, Given, GivenRefs, Got, Originals, SqlList,
};
use crate::checks::names::{missing_relation, schemas_of, wrong_kind, Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, ProbeCheck, ProbeEnv};
use crate::db::quote_literal;
use crate::findings::{Message, Problem};
use crate::words::list;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub enum Op {
    #[serde(rename = "UPDATE", alias = "update", alias = "Update")]
    Update,
    #[serde(rename = "DELETE", alias = "delete", alias = "Delete")]
    Delete,
    #[serde(rename = "TRUNCATE", alias = "truncate", alias = "Truncate")]
    Truncate,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
            Op::Truncate => "TRUNCATE",
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Immutable {
    pub table: String,
    /// Operations that must be rejected [default: UPDATE, DELETE, TRUNCATE].
    pub deny: Option<Vec<Op>>,
    /// SQL run first as the connecting user, to create the row to attack.
    pub seed: Option<SqlList>,
    /// Fixtures applied before `seed` (`use = ["tickets"]`).
    #[serde(rename = "use")]
    pub uses: Option<Names>,
    /// Frozen time for the check's SQL (`at = "2026-01-01T00:00:00Z"`).
    pub at: Option<String>,
    /// Persona rows, fixtures and frozen time, resolved by the loader.
    #[serde(skip)]
    pub given: Given,
    /// Roles to try besides the owner (always tried): names, `"owner"`, or
    /// `{ role, claims, settings }`.
    #[serde(rename = "as")]
    pub as_: Option<AsList>,
    /// Which row to attack (an SQL condition on the table, alias `t`) [default: any row].
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// The UPDATE's SET list [default: `<first column> = <first column>`].
    pub set: Option<String>,
}

const ATTEMPT_SAVEPOINT: &str = "deskctl_attempt";

/// One identity the table is attacked as.
#[derive(Debug, Clone)]
struct Who {
    label: String,
    /// `SET LOCAL ROLE` to this (None: stay the connecting user).
    set_role: Option<String>,
    /// The `role` claim default (only for roles given by name).
    claims_role: Option<String>,
    as_: As,
}

#[derive(Debug, Clone, PartialEq)]
enum Res {
    Rejected {
        code: String,
        text: String,
    },
    /// 0 rows, and the row is still there, unchanged.
    NoEffect,
    Succeeded(Option<u64>),
    /// 0 rows reported, yet the row changed or vanished.
    ChangedSilently,
    Error(String),
}

impl Immutable {
    fn ops(&self) -> Vec<Op> {
        self.deny
            .clone()
            .unwrap_or_else(|| vec![Op::Update, Op::Delete, Op::Truncate])
    }

    fn resolve(&self, snap: &Snapshot, rel: &Relation) -> Result<Vec<Who>, String> {
        let me = snap.current_user.as_str();
        let owner_who = || {
            if rel.owner == me {
                Who {
                    label: format!("owner ({me})"),
                    set_role: None,
                    claims_role: None,
                    as_: As::default(),
                }
            } else if can_set_role(snap, me, &rel.owner) {
                Who {
                    label: format!("owner ({})", rel.owner),
                    set_role: Some(rel.owner.clone()),
                    claims_role: None,
                    as_: As::default(),
                }
            } else {
                Who {
                    label: format!(
                        "the connecting user ({me}; it cannot SET ROLE to the owner {})",
                        rel.owner
                    ),
                    set_role: None,
                    claims_role: None,
                    as_: As::default(),
                }
            }
        };
        let mut out = vec![owner_who()];
        for a in self.as_.iter().flat_map(|l| l.0.iter()) {
            let who = match a.role.as_deref() {
                Some("owner") => {
                    let mut w = owner_who();
                    w.as_ = As {
                        role: None,
                        ..a.clone()
                    };
                    w
                }
                Some(r) => {
                    if snap.role(r).is_none() {
                        return Err(crate::checks::behaviour::unknown_role(snap, r));
                    }
                    Who {
                        label: a.label(snap),
                        set_role: Some(r.to_string()),
                        claims_role: Some(r.to_string()),
                        as_: a.clone(),
                    }
                }
                None => Who {
                    label: a.label(snap),
                    set_role: None,
                    claims_role: None,
                    as_: a.clone(),
                },
            };
            // The plain owner is always tried first; do not try it twice.
            if who.as_ == As::default()
                && out
                    .iter()
                    .any(|w| w.set_role == who.set_role && w.as_ == who.as_)
            {
                continue;
            }
            out.push(who);
        }
        Ok(out)
    }

    fn update_set(&self, rel: &Relation) -> Option<String> {
        if let Some(s) = &self.set {
            return Some(s.clone());
        }
        let mut cols: Vec<_> = rel
            .columns
            .iter()
            .filter(|c| !c.generated && c.identity.is_none())
            .collect();
        cols.sort_by_key(|c| c.num);
        cols.first().map(|c| {
            let q = crate::db::quote_ident(&c.name);
            format!("{q} = {q}")
        })
    }
}

/// Whether `me` may `SET ROLE` to `target` (superuser, or a member, directly or not).
fn can_set_role(snap: &Snapshot, me: &str, target: &str) -> bool {
    if me == target || snap.is_superuser(me) {
        return true;
    }
    let mut seen = vec![me.to_string()];
    let mut stack = vec![me.to_string()];
    while let Some(r) = stack.pop() {
        for m in snap
            .role(&r)
            .map(|i| i.member_of.clone())
            .unwrap_or_default()
        {
            if m == target {
                return true;
            }
            if !seen.contains(&m) {
                seen.push(m.clone());
                stack.push(m);
            }
        }
    }
    false
}

/// The row to attack: where it is (partition and ctid) and a fingerprint of its contents.
#[derive(Debug, Clone)]
struct Target {
    ctid: String,
    tableoid: String,
    md5: String,
}

impl Target {
    /// `tableoid = '16384'::oid and ctid = '(0,1)'::tid` (values read from the database, quoted):
    /// one row, also in a partitioned or inherited table.
    fn locate(&self) -> String {
        format!(
            "tableoid = {}::oid and ctid = {}::tid",
            quote_literal(&self.tableoid),
            quote_literal(&self.ctid)
        )
    }
}

/// `where` / `set` are spliced into deskctl's own statement (`wrapped`): it must parse, with
/// PostgreSQL's parser, as exactly that one statement, and hold nothing the safety rules refuse.
fn fragment_problem(key: &str, wrapped: &str) -> Option<String> {
    match crate::sqltext::parse(wrapped) {
        Ok(stmts) if stmts.len() == 1 => {
            statement_refusal(&stmts[0]).map(|r| format!("`{key}` contains {}: {}", r.what, r.why))
        }
        _ => Some(format!(
            "`{key}` must be one SQL expression, without `;` or transaction control"
        )),
    }
}

fn validate_fragment(v: &mut Validator, key: &str, wrapped: &str) {
    if let Some(p) = fragment_problem(key, wrapped) {
        v.error(key, p, None);
    }
}

impl ProbeCheck for Immutable {
    fn validate(&mut self, v: &mut Validator) {
        if self.table.trim().is_empty() {
            v.error("table", "`table` is empty", None);
        }
        if let Some(d) = &self.deny {
            if d.is_empty() {
                v.error(
                    "deny",
                    "`deny` is empty",
                    Some("e.g. deny = [\"UPDATE\", \"DELETE\", \"TRUNCATE\"] (the default)".into()),
                );
            }
            for (i, op) in d.iter().enumerate() {
                if d[..i].contains(op) {
                    v.error(
                        &format!("deny.{i}"),
                        format!("{} is listed twice", op.sql()),
                        None,
                    );
                }
            }
        }
        validate_setup(v, "seed", self.seed.as_ref());
        if let Some(w) = &self.where_ {
            validate_fragment(v, "where", &format!("select 1 from t where ({w})"));
        }
        if let Some(s) = &self.set {
            validate_fragment(v, "set", &format!("update t set {s}"));
        }
        if let Some(l) = &self.as_ {
            if l.0.is_empty() {
                v.error("as", "`as` is empty", None);
            }
            for (i, a) in l.0.iter().enumerate() {
                let path = if l.0.len() == 1 {
                    "as".to_string()
                } else {
                    format!("as.{i}")
                };
                a.validate(v, &path);
            }
        }
    }

    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        schemas_of(ctx.schema, [self.table.as_str()])
    }

    fn given_mut(&mut self) -> Option<GivenRefs<'_>> {
        let mut as_ = Vec::new();
        if let Some(l) = self.as_.as_mut() {
            let one = l.0.len() == 1;
            for (i, a) in l.0.iter_mut().enumerate() {
                let path = if one {
                    "as".to_string()
                } else {
                    format!("as.{i}")
                };
                as_.push((path, a));
            }
        }
        Some(GivenRefs {
            as_,
            uses: self.uses.as_ref(),
            at: self.at.as_ref(),
            given: &mut self.given,
        })
    }

    async fn run(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Outcome {
        let (client, snap) = (env.client, env.snapshot);
        let q = ctx.qual(&self.table);
        let rel = match snap.relation(&q) {
            Some(r) if r.kind.is_table() => r,
            Some(r) => return Outcome::failing(vec![wrong_kind(ctx, &q, r, "table")]),
            None => {
                return Outcome::failing(vec![missing_relation(ctx, snap, &q, "table", &|k| {
                    k.is_table()
                })])
            }
        };
        let whos = match self.resolve(snap, rel) {
            Ok(w) => w,
            Err(e) => return Outcome::error(e),
        };
        let ops = self.ops();
        let table = rel.qual().quoted();
        let shown = ctx.show_rel(rel);
        let need_row = ops.iter().any(|o| *o != Op::Truncate);
        let set = match (need_row && ops.contains(&Op::Update), self.update_set(rel)) {
            (true, None) => {
                return Outcome::error(format!(
                    "{shown} has no plain column to probe an UPDATE with; give set = \"<column> = <value>\""
                ))
            }
            (_, s) => s.unwrap_or_default(),
        };

        // One round trip: seed, the session's settings, the row to attack.
        let names = Originals::names_for(whos.iter().map(|w| &w.as_));
        let seed = match self.seed.as_ref().map(|s| s.statements("seed")).transpose() {
            Ok(s) => s.unwrap_or_default(),
            Err(why) => return Outcome::error(format!("not run: {why}")),
        };
        for (key, wrapped) in [
            (
                "where",
                self.where_
                    .as_ref()
                    .map(|w| format!("select 1 from t where ({w})")),
            ),
            (
                "set",
                self.set.as_ref().map(|s| format!("update t set {s}")),
            ),
        ] {
            if let Some(p) = wrapped.and_then(|w| fragment_problem(key, &w)) {
                return Outcome::error(format!("not run: {p}"));
            }
        }
        let target_sql = format!(
            "select ctid::text, md5(t::text), tableoid::oid::text from {table} t{} limit 1",
            self.where_
                .as_ref()
                .map(|w| format!(" where ({w})"))
                .unwrap_or_default()
        );
        let f_seed = send_given(client, &self.given, "seed", &seed);
        let read_sql = Originals::read_statement(&names);
        let f_orig = exec_text(client, &read_sql, &names);
        let f_target = async {
            if need_row {
                Some(client.simple_query(&target_sql).await)
            } else {
                None
            }
        };
        let (r_seed, r_orig, r_target) = futures_util::join!(f_seed, f_orig, f_target);
        if let Err(e) = r_seed {
            return Outcome::error(format!("seed failed: {e}"));
        }
        let originals = match r_orig {
            Ok(rows) if !rows.is_empty() => Originals::from_row(names, &rows[0]),
            Ok(_) => return Outcome::error("could not read the session's settings"),
            Err(e) => return Outcome::error(format!("could not read the session's settings: {e}")),
        };
        let target = match r_target {
            None => None,
            Some(Err(e)) => {
                return Outcome::error(format!("could not read a row of {shown}: {}", error_text(&e)))
            }
            Some(Ok(msgs)) => match Got::from_messages(&msgs) {
                Got::Rows { rows, .. } if !rows.is_empty() => match (rows[0].first(), rows[0].get(1), rows[0].get(2)) {
                    (Some(Some(ctid)), Some(Some(md5)), Some(Some(tableoid))) => Some(Target {
                        ctid: ctid.clone(),
                        tableoid: tableoid.clone(),
                        md5: md5.clone(),
                    }),
                    _ => None,
                },
                _ => {
                    return Outcome::error(format!(
                        "no row to attack: {shown} has no row{} visible to {}; add seed = \"insert into {shown} ...\"",
                        if self.where_.is_some() { " matching `where`" } else { "" },
                        snap.current_user
                    ))
                }
            },
        };

        let mut results: Vec<(Op, usize, Res, bool)> = Vec::new();
        for &op in &ops {
            for (wi, who) in whos.iter().enumerate() {
                let mut cascade = false;
                let mut res = attempt(
                    client,
                    &table,
                    op,
                    &set,
                    target.as_ref(),
                    who,
                    &originals,
                    false,
                )
                .await;
                if op == Op::Truncate {
                    if let Res::Rejected { code, text } = &res {
                        if code == "0A000" && text.contains("foreign key") {
                            cascade = true;
                            res = attempt(
                                client,
                                &table,
                                op,
                                &set,
                                target.as_ref(),
                                who,
                                &originals,
                                true,
                            )
                            .await;
                        }
                    }
                }
                let broken = matches!(&res, Res::Error(e) if e.starts_with("the connection"));
                results.push((op, wi, res, cascade));
                if broken {
                    return Outcome::error(summarize_errors(&results, &whos));
                }
            }
        }
        if results.iter().any(|r| matches!(r.2, Res::Error(_))) {
            return Outcome::error(summarize_errors(&results, &whos));
        }
        summarize(&results, &whos, &ops, rel, &shown)
    }
}

#[allow(clippy::too_many_arguments)]
async fn attempt(
    client: &tokio_postgres::Client,
    table: &str,
    op: Op,
    set: &str,
    target: Option<&Target>,
    who: &Who,
    originals: &Originals,
    cascade: bool,
) -> Res {
    let (attack, verify) = match (op, target) {
        (Op::Truncate, _) => (
            format!(
                "truncate table {table}{}",
                if cascade { " cascade" } else { "" }
            ),
            None,
        ),
        (_, None) => return Res::Error("no row to attack".into()),
        (Op::Update, Some(t)) => (
            format!("update {table} set {set} where {}", t.locate()),
            Some(t),
        ),
        (Op::Delete, Some(t)) => (format!("delete from {table} where {}", t.locate()), Some(t)),
    };
    let pre = prelude(ATTEMPT_SAVEPOINT, who.set_role.as_deref());
    let settings = settings_statement(&who.as_, who.claims_role.as_deref());
    let (restore_sql, restore_params) = originals.restore_statement();
    let verify_sql = verify.map(|t| {
        format!(
            "select md5(t::text) = {} from {table} t where {}",
            quote_literal(&t.md5),
            t.locate()
        )
    });

    // One round trip: savepoint + role, claims/settings, the attack, [back to the connecting
    // user, is the row unchanged?], roll the attempt back.
    let f_pre = client.batch_execute(&pre);
    let f_set = async {
        match &settings {
            Some((sql, params)) => Some(exec_text(client, sql, params).await),
            None => None,
        }
    };
    // The attempt must run as `who` from start to end: the state read before and after the
    // attack (same statement) catches a `set` fragment or a trigger that switched role, claims
    // or a guarded setting, or ended the transaction, whatever text did it.
    let state = state_sql(&[], &[]);
    let f_before = client.simple_query(&state);
    let f_attack = send_one(client, &attack);
    let f_after = client.simple_query(&state);
    let f_verify = async {
        match &verify_sql {
            Some(v) => {
                let r = exec_opt_text(client, &restore_sql, &restore_params);
                let c = client.simple_query(v);
                let (r, c) = futures_util::join!(r, c);
                Some(r.and(c))
            }
            None => None,
        }
    };
    let undo =
        format!("rollback to savepoint {ATTEMPT_SAVEPOINT}; release savepoint {ATTEMPT_SAVEPOINT}");
    let f_undo = client.batch_execute(&undo);
    let (r_pre, r_set, r_before, r_attack, r_after, r_verify, r_undo) =
        futures_util::join!(f_pre, f_set, f_before, f_attack, f_after, f_verify, f_undo);

    if let Err(e) = r_undo {
        return Res::Error(format!(
            "the connection failed while undoing the attempt: {e}"
        ));
    }
    if let Err(e) = r_pre {
        return Res::Error(format!(
            "could not impersonate {}: {}",
            who.label,
            error_text(&e)
        ));
    }
    if let Some(Err(e)) = r_set {
        return Res::Error(format!(
            "could not set the claims/settings of {}: {}",
            who.label,
            error_text(&e)
        ));
    }
    if let (Ok(before), Ok(after)) = (&r_before, &r_after) {
        match (
            SessionState::from_messages(before, &[]),
            SessionState::from_messages(after, &[]),
        ) {
            (Ok(b), Ok(a)) => {
                let changed = a.changes_since(&b);
                if !changed.is_empty() {
                    return Res::Error(format!(
                        "the {} attempt as {} changed the session: {}",
                        op.sql(),
                        who.label,
                        changed.join("; ")
                    ));
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                return Res::Error(format!("could not read the session state: {e}"))
            }
        }
    }
    let count = match r_attack {
        Err(e) => {
            return match Got::from_error(&e) {
                Got::Error { code, message } if is_infrastructure(&code) => {
                    Res::Error(describe_error(&code, &message))
                }
                Got::Error { code, message } => Res::Rejected {
                    text: describe_error(&code, &message),
                    code,
                },
                Got::Rows { .. } => Res::Error(e.to_string()),
            }
        }
        Ok(msgs) => match Got::from_messages(&msgs) {
            Got::Rows { count, .. } => count,
            Got::Error { message, .. } => return Res::Error(message),
        },
    };
    if op == Op::Truncate {
        return Res::Succeeded(None);
    }
    if count > 0 {
        return Res::Succeeded(Some(count));
    }
    match r_verify {
        Some(Ok(msgs)) => match Got::from_messages(&msgs) {
            Got::Rows { rows, .. }
                if rows.len() == 1 && rows[0].first().and_then(|c| c.as_deref()) == Some("t") =>
            {
                Res::NoEffect
            }
            _ => Res::ChangedSilently,
        },
        Some(Err(e)) => Res::Error(format!("could not re-read the row: {}", error_text(&e))),
        None => Res::NoEffect,
    }
}

fn labels(whos: &[Who], idx: &[usize]) -> String {
    let names: Vec<String> = idx.iter().map(|&i| whos[i].label.clone()).collect();
    list(&names, 10)
}

fn summarize_errors(results: &[(Op, usize, Res, bool)], whos: &[Who]) -> String {
    let errs: Vec<String> = results
        .iter()
        .filter_map(|(op, w, r, _)| match r {
            Res::Error(e) => Some(format!("{} as {}: {e}", op.sql(), whos[*w].label)),
            _ => None,
        })
        .collect();
    errs.join("; ")
}

/// Group `(op, outcome text) → roles`, in first-seen order.
fn grouped<'a>(
    results: &'a [(Op, usize, Res, bool)],
    pick: impl Fn(&'a Res, bool) -> Option<String>,
) -> Vec<(Op, String, Vec<usize>)> {
    let mut out: Vec<(Op, String, Vec<usize>)> = Vec::new();
    for (op, w, r, cascade) in results {
        if let Some(text) = pick(r, *cascade) {
            match out.iter_mut().find(|(o, t, _)| o == op && *t == text) {
                Some(g) => g.2.push(*w),
                None => out.push((*op, text, vec![*w])),
            }
        }
    }
    out
}

fn summarize(
    results: &[(Op, usize, Res, bool)],
    whos: &[Who],
    ops: &[Op],
    rel: &Relation,
    shown: &str,
) -> Outcome {
    let succeeded = grouped(results, |r, cascade| match r {
        Res::Succeeded(Some(n)) => Some(format!(" ({n} row{})", if *n == 1 { "" } else { "s" })),
        Res::Succeeded(None) => Some(if cascade {
            " (with CASCADE)".into()
        } else {
            String::new()
        }),
        Res::ChangedSilently => {
            Some(" (0 rows reported, but the row was changed or removed)".into())
        }
        _ => None,
    });
    let blocked = grouped(results, |r, cascade| {
        match r {
        Res::Rejected { text, .. } => Some(format!(
            "rejected{}: {text}",
            if cascade { " (with CASCADE)" } else { "" }
        )),
        Res::NoEffect => Some("had no effect: 0 rows, the row is still there unchanged (not visible to it, or skipped)".into()),
        _ => None,
    }
    });
    let blocked_text: Vec<String> = blocked
        .iter()
        .map(|(op, text, w)| match text.split_once(": ") {
            Some((head, rest)) if head.starts_with("rejected") => {
                format!("{} {head} as {}: {rest}", op.sql(), labels(whos, w))
            }
            _ => format!("{} as {} {text}", op.sql(), labels(whos, w)),
        })
        .collect();
    if succeeded.is_empty() {
        let skipped: Vec<&str> = [Op::Update, Op::Delete, Op::Truncate]
            .into_iter()
            .filter(|o| !ops.contains(o))
            .map(Op::sql)
            .collect();
        let mut d = format!("{shown} is immutable: {}", blocked_text.join("; "));
        if !skipped.is_empty() {
            d.push_str(&format!(
                " ({} not checked: not in `deny`)",
                skipped.join(", ")
            ));
        }
        return Outcome::pass(d);
    }
    let mut parts: Vec<Message> = succeeded
        .iter()
        .map(|(op, text, w)| Message::Changed {
            op: op.sql().to_string(),
            roles: w.iter().map(|&i| whos[i].label.clone()).collect(),
            effect: text.clone(),
        })
        .collect();
    if succeeded.iter().any(|(op, _, _)| *op == Op::Truncate) {
        if let Some(why) = truncate_gap(results, rel) {
            parts.push(why);
        }
    }
    if !blocked_text.is_empty() {
        parts.push(Message::Blocked(blocked_text));
    }
    Outcome::failing(
        parts
            .into_iter()
            .map(|m| Problem::about(shown, m))
            .collect(),
    )
}

/// "UPDATE/DELETE are blocked by row triggers, but TRUNCATE is not" when that is the case.
fn truncate_gap(results: &[(Op, usize, Res, bool)], rel: &Relation) -> Option<Message> {
    let firing = || rel.triggers.iter().filter(|t| t.enabled.fires());
    if firing().any(|t| t.events.contains(&TriggerEvent::Truncate)) {
        return None;
    }
    let row_triggers: Vec<String> = firing()
        .filter(|t| {
            t.row
                && (t.events.contains(&TriggerEvent::Update)
                    || t.events.contains(&TriggerEvent::Delete))
        })
        .map(|t| t.name.clone())
        .collect();
    if row_triggers.is_empty() {
        return None;
    }
    let row_ops: Vec<&Res> = results
        .iter()
        .filter(|(op, ..)| *op != Op::Truncate)
        .map(|(_, _, r, _)| r)
        .collect();
    let all_blocked = !row_ops.is_empty()
        && row_ops
            .iter()
            .all(|r| matches!(r, Res::Rejected { .. } | Res::NoEffect));
    Some(Message::TruncateGap {
        all_blocked,
        triggers: row_triggers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, QualName, RelKind, Role, Trigger, TriggerEnabled, TriggerTiming};
    use crate::checks::testkit::spec;

    fn load(toml: &str) -> Result<Immutable, String> {
        spec!(Immutable, toml)
    }

    fn audit() -> Relation {
        let mut r = Relation::new("public", "cc_audit_logs", RelKind::Table);
        r.owner = "app".into();
        let mut id = Column::new("id", "uuid");
        id.num = 1;
        let mut ev = Column::new("event_type", "text");
        ev.num = 2;
        r.columns = vec![ev, id];
        r.triggers = vec![Trigger {
            name: "cc_audit_logs_immutable".into(),
            function: QualName::new("public", "cc_audit_logs_immutable"),
            timing: TriggerTiming::Before,
            events: vec![TriggerEvent::Update, TriggerEvent::Delete],
            row: true,
            enabled: TriggerEnabled::Origin,
            definition: None,
        }];
        r
    }

    fn snap(me: &str) -> Snapshot {
        let mut su = Role::new("postgres");
        su.superuser = true;
        let mut deploy = Role::new("deploy");
        deploy.member_of = vec!["app".into()];
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![audit()],
            roles: vec![
                su,
                deploy,
                Role::new("app"),
                Role::new("authenticated"),
                Role::new("ci"),
            ],
            current_user: me.into(),
            ..Default::default()
        }
        .finish()
    }

    #[test]
    fn parses_and_defaults() {
        let i = load(
            r#"
[[immutable]]
table = "cc_audit_logs"
seed = "insert into cc_audit_logs (event_type, actor_type) values ('probe', 'system')"
as = ["owner", "service_role", { role = "authenticated", claims = { sub = "u1" } }]
"#,
        )
        .unwrap();
        assert_eq!(i.ops(), vec![Op::Update, Op::Delete, Op::Truncate]);
        assert_eq!(i.as_.as_ref().unwrap().0.len(), 3);
        let i =
            load("[[immutable]]\ntable = \"t\"\ndeny = [\"update\", \"DELETE\"]\nas = \"anon\"\n")
                .unwrap();
        assert_eq!(i.ops(), vec![Op::Update, Op::Delete]);
        // The default UPDATE sets the first plain column to itself, quoted.
        assert_eq!(i.update_set(&audit()).unwrap(), "\"id\" = \"id\"");
    }

    #[test]
    fn problems_are_located() {
        let e =
            load("[[immutable]]\ntable = \"t\"\ndeny = [\"UPDATE\", \"INSERT\"]\n").unwrap_err();
        assert!(e.contains("t.toml:3:"), "{e}");
        assert!(e.contains("INSERT"), "{e}");
        let e = load("[[immutable]]\ntable = \"t\"\ndeny = [\"UPDATE\", \"UPDATE\"]\nwhere = \"true); commit; select (1\"\nseed = \"rollback\"\n")
            .unwrap_err();
        assert!(
            e.contains("t.toml:3:19: [[immutable]] UPDATE is listed twice"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:4:1: [[immutable]] `where` must be one SQL expression"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:5:1: [[immutable]] `seed` contains ROLLBACK"),
            "{e}"
        );
    }

    #[test]
    fn who_is_the_owner() {
        let i =
            load("[[immutable]]\ntable = \"cc_audit_logs\"\nas = [\"owner\", \"authenticated\"]\n")
                .unwrap();
        let rel = audit();
        // A superuser sets role to the owner; "owner" is not tried twice.
        let w = i.resolve(&snap("postgres"), &rel).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].label, "owner (app)");
        assert_eq!(w[0].set_role.as_deref(), Some("app"));
        assert_eq!(w[1].set_role.as_deref(), Some("authenticated"));
        // The owner itself needs no SET ROLE; a member of the owner may set it.
        assert_eq!(i.resolve(&snap("app"), &rel).unwrap()[0].set_role, None);
        assert_eq!(
            i.resolve(&snap("deploy"), &rel).unwrap()[0]
                .set_role
                .as_deref(),
            Some("app")
        );
        // Anyone else stays the connecting user, and says so.
        let w = i.resolve(&snap("ci"), &rel).unwrap();
        assert_eq!(w[0].set_role, None);
        assert!(
            w[0].label.contains("cannot SET ROLE to the owner app"),
            "{}",
            w[0].label
        );
        // Unknown roles are named.
        let i = load("[[immutable]]\ntable = \"cc_audit_logs\"\nas = \"authenticatd\"\n").unwrap();
        assert!(i
            .resolve(&snap("postgres"), &rel)
            .unwrap_err()
            .contains("did you mean `authenticated`?"));
    }

    #[test]
    fn truncate_gap_is_explained() {
        let whos = vec![Who {
            label: "owner (app)".into(),
            set_role: None,
            claims_role: None,
            as_: As::default(),
        }];
        let rejected = Res::Rejected {
            code: "P0001".into(),
            text: "P0001 raise_exception: cc_audit_logs is immutable: UPDATE is not allowed".into(),
        };
        let results = vec![
            (Op::Update, 0, rejected.clone(), false),
            (Op::Delete, 0, rejected, false),
            (Op::Truncate, 0, Res::Succeeded(None), false),
        ];
        let o = summarize(
            &results,
            &whos,
            &[Op::Update, Op::Delete, Op::Truncate],
            &audit(),
            "cc_audit_logs",
        );
        assert_eq!(o.status, crate::findings::Status::Fail);
        // As data: each problem is about the table, in a typed message the report words.
        insta::assert_json_snapshot!("immutable_truncate_gap", o.problems);
        assert!(o.detail().starts_with("TRUNCATE succeeded as owner (app); UPDATE and DELETE are blocked by row-level trigger cc_audit_logs_immutable, but row-level triggers do not fire on TRUNCATE"), "{}", o.detail());
        assert!(
            o.detail()
                .contains("blocked: UPDATE rejected as owner (app): P0001 raise_exception"),
            "{}",
            o.detail()
        );
        // Without TRUNCATE in `deny`: a pass that says what was not checked.
        let results = &results[..2];
        let o = summarize(
            results,
            &whos,
            &[Op::Update, Op::Delete],
            &audit(),
            "cc_audit_logs",
        );
        assert_eq!(o.status, crate::findings::Status::Pass, "{}", o.detail());
        assert!(
            o.detail()
                .ends_with("(TRUNCATE not checked: not in `deny`)"),
            "{}",
            o.detail()
        );
    }
}
