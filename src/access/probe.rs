//! `access --persona`: the matrix measured for one persona, in ONE read-write transaction that
//! is always rolled back. The persona's declared rows and the fixtures asked for are created
//! first (the behaviour engine's `send_given`: rows as bind parameters, fixtures through its
//! parsed-and-refused path), every relation is counted as the connecting user, then for each
//! relation and command, in a savepoint rolled back at once, the persona's role and claims are
//! set as behaviour steps set them (checked by the engine's state read before and after) and the
//! command is tried: SELECT counts the rows it sees, UPDATE (`set c = c`) and DELETE count the
//! rows they reach, INSERT copies one visible row, TRUNCATE is never tried. The only module of
//! `access` that runs SQL; its SQL is deskctl's own text with quoted identifiers. Must not
//! commit, and must not make decisions about SQL text itself.

use std::time::Duration;

use serde::Serialize;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::{bypass_reason, Access, Cell, Matrix, RelationAccess, StatementKind};
use crate::catalog::{Relation, Snapshot};
use crate::checks::behaviour::given::{send_given, Given};
use crate::checks::behaviour::state::{state_sql, SessionState};
use crate::checks::behaviour::{
    bounded, describe_error, error_text, exec_text, prelude, settings_statement, As, Limits,
};
use crate::db::quote_ident;

/// What probing one cell found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "probe", rename_all = "snake_case")]
pub enum Probe {
    /// The statement ran: the rows the persona saw (SELECT) or reached (UPDATE, DELETE; undone
    /// at once), of `total` rows the connecting user counted (`None`: RLS binds the connecting
    /// user there too, or it could not count them).
    Rows { rows: u64, total: Option<u64> },
    /// INSERT: a copy of a row the persona sees passed the privilege and RLS checks (undone at
    /// once); `then`: the constraint or trigger error that refused the copy afterwards.
    Inserted {
        #[serde(skip_serializing_if = "Option::is_none")]
        then: Option<String>,
    },
    /// The server refused it: no privilege, RLS, a view that cannot be written through.
    No { reason: String },
    /// It failed for a reason that says nothing about access (a timeout, a lock, a trigger):
    /// not measured.
    Unknown { reason: String },
    /// Not tried: TRUNCATE (never probed), INSERT with no visible row to copy.
    NotProbed { reason: String },
}

impl Probe {
    /// `3 of 10 rows`, `all 10`, `no (no grant)`.
    pub fn text(&self) -> String {
        match self {
            Probe::Rows {
                rows,
                total: Some(t),
            } if rows == t && *t > 0 => format!("all {t}"),
            Probe::Rows {
                rows,
                total: Some(t),
            } => format!("{rows} of {t} row{}", if *t == 1 { "" } else { "s" }),
            Probe::Rows { rows, total: None } => format!(
                "{rows} row{} (total unknown)",
                if *rows == 1 { "" } else { "s" }
            ),
            Probe::Inserted { then: None } => "yes (a copy of a visible row)".to_string(),
            Probe::Inserted { then: Some(t) } => format!(
                "yes (a copy of a visible row passed RLS; then {})",
                t.split(':').next().unwrap_or(t)
            ),
            Probe::No { reason } => format!("no ({reason})"),
            Probe::Unknown { reason } => format!("not measured ({reason})"),
            Probe::NotProbed { reason } => format!("not probed ({reason})"),
        }
    }
}

/// The persona a matrix was probed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonaInfo {
    pub name: String,
    pub role: String,
    /// `persona customer1: authenticated (sub 0000…0001)`.
    pub label: String,
    /// `checks/personas.toml:3`.
    pub declared_at: String,
    /// Persona rows created before probing: its own, and those of personas its fixtures name.
    pub rows_created: usize,
    /// Fixtures applied before probing (`--use`), in order.
    pub fixtures: Vec<String>,
    /// Always true: everything ran in one transaction that was rolled back.
    pub rolled_back: bool,
}

/// What to probe with.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    pub info: PersonaInfo,
    /// Role, claims and settings (the persona applied).
    pub as_: As,
    /// Persona rows and fixture statements, resolved by the loader's `GivenRefs`.
    pub given: Given,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
}

/// Why no matrix could be probed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The persona's rows or fixtures failed or misbehaved (exit 2: they do not fit the
    /// database).
    #[error("{0}")]
    Setup(String),
    /// The database failed under the probe (exit 3).
    #[error("{0}")]
    Database(String),
}

const SAVEPOINT: &str = "deskctl_probe";

/// Probe `m` (built for the persona's role only) and fill each cell's `probe`. Everything runs
/// in one transaction that is rolled back whatever happens.
pub async fn run(
    client: &Client,
    snap: &Snapshot,
    m: &mut Matrix,
    plan: &ProbePlan,
) -> Result<(), ProbeError> {
    // Numbers only: nothing from a check file reaches this statement.
    let begin = format!(
        "begin isolation level repeatable read read write; set local statement_timeout = {}; set local lock_timeout = {}",
        plan.statement_timeout.as_millis(),
        plan.lock_timeout.as_millis()
    );
    client.batch_execute(&begin).await.map_err(|e| {
        ProbeError::Database(format!(
            "could not start the rolled-back transaction: {}",
            error_text(&e)
        ))
    })?;
    let r = probe_all(client, snap, m, plan).await;
    // Always: access never changes data.
    let rolled = client.batch_execute("rollback").await;
    r?;
    rolled.map_err(|e| {
        ProbeError::Database(format!("could not roll the probe back: {}", error_text(&e)))
    })?;
    m.persona = Some(plan.info.clone());
    Ok(())
}

async fn probe_all(
    client: &Client,
    snap: &Snapshot,
    m: &mut Matrix,
    plan: &ProbePlan,
) -> Result<(), ProbeError> {
    let db = |what: &str, e: tokio_postgres::Error| {
        ProbeError::Database(format!("{what}: {}", error_text(&e)))
    };
    let baseline_sql = state_sql(&[], &[]);
    let read_state = |msgs: Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>| {
        msgs.map_err(|e| db("could not read the session's state", e))
            .and_then(|m| SessionState::from_messages(&m, &[]).map_err(ProbeError::Database))
    };
    let baseline = read_state(client.simple_query(&baseline_sql).await)?;
    // The persona's rows and fixtures, as the connecting user, in one round trip.
    let n = plan.given.rows.len() + plan.given.fixtures.len();
    let limits = Limits::for_statements(plan.statement_timeout, n);
    bounded(
        client,
        &limits,
        send_given(client, &plan.given, "--persona", &[]),
    )
    .await
    .map_err(ProbeError::Setup)?
    .map_err(|e| ProbeError::Setup(format!("setting up persona `{}`: {e}", plan.info.name)))?;
    let after = read_state(client.simple_query(&baseline_sql).await)?;
    let changed = after.changes_since(&baseline);
    if !changed.is_empty() {
        return Err(ProbeError::Setup(format!(
            "not trusted: the rows or fixtures of persona `{}` changed the session: {}",
            plan.info.name,
            changed.join("; ")
        )));
    }
    let prober = Prober {
        client,
        plan,
        connecting_user: baseline.current_user.clone(),
        baseline,
        limits: Limits::for_statements(plan.statement_timeout, 1),
    };
    for ra in m.relations.iter_mut() {
        let Some(rel) = snap.relation_by(&ra.schema, &ra.name) else {
            continue;
        };
        prober.relation(snap, rel, ra).await?;
    }
    Ok(())
}

/// What one statement in a savepoint gave: rows counted or affected, or the server's error.
type Ran = Result<u64, (String, String)>;

struct Prober<'a> {
    client: &'a Client,
    plan: &'a ProbePlan,
    connecting_user: String,
    /// The session's state before the persona's rows and fixtures.
    baseline: SessionState,
    limits: Limits,
}

impl Prober<'_> {
    async fn relation(
        &self,
        snap: &Snapshot,
        rel: &Relation,
        ra: &mut RelationAccess,
    ) -> Result<(), ProbeError> {
        let name = format!("{}.{}", quote_ident(&rel.schema), quote_ident(&rel.name));
        let count_sql = format!("select pg_catalog.count(*) as n from {name}");
        // The total, as the connecting user, when RLS does not narrow what it sees.
        let total = if bound_by_rls(snap, rel, &self.connecting_user) {
            None
        } else {
            self.run(None, &count_sql).await?.ok()
        };
        let Some(row) = ra.rows.first_mut() else {
            return Ok(());
        };
        let find = |cells: &[Cell], c: StatementKind| cells.iter().position(|x| x.command == c);
        let mut seen: Option<u64> = None;
        for cmd in [
            StatementKind::Select,
            StatementKind::Update,
            StatementKind::Delete,
            StatementKind::Insert,
            StatementKind::Truncate,
        ] {
            let Some(i) = find(&row.cells, cmd) else {
                continue;
            };
            let cell = &row.cells[i];
            let probe = match cmd {
                StatementKind::Select => {
                    let p = self.counted(cell, self.run_as(&count_sql).await?, total);
                    if let Probe::Rows { rows, .. } = p {
                        seen = Some(rows);
                    }
                    p
                }
                StatementKind::Update => match first_column(rel, cell) {
                    Some(c) => {
                        let c = quote_ident(c);
                        let sql = format!("update {name} set {c} = {c}");
                        self.counted(cell, self.run_as(&sql).await?, total)
                    }
                    None => not_probed(cell, "no column it may update"),
                },
                StatementKind::Delete => {
                    let sql = format!("delete from {name}");
                    self.counted(cell, self.run_as(&sql).await?, total)
                }
                StatementKind::Insert => match (seen, insert_columns(rel, cell)) {
                    (Some(n), Some(cols)) if n > 0 => {
                        let cols = cols
                            .iter()
                            .map(|c| quote_ident(c))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let sql = format!(
                            "insert into {name} ({cols}) select {cols} from {name} limit 1"
                        );
                        inserted(cell, self.run_as(&sql).await?)
                    }
                    (_, None) => not_probed(cell, "no column it may insert"),
                    _ => not_probed(cell, "it sees no row to copy; deskctl does not invent rows"),
                },
                StatementKind::Truncate => match &cell.access {
                    Access::No { reason } => Probe::No {
                        reason: reason.clone(),
                    },
                    _ => Probe::NotProbed {
                        reason: "holds the privilege; TRUNCATE ignores RLS and is never tried"
                            .into(),
                    },
                },
            };
            row.cells[i].probe = Some(probe);
        }
        Ok(())
    }

    /// A SELECT / UPDATE / DELETE result as a probe.
    fn counted(&self, cell: &Cell, ran: Ran, total: Option<u64>) -> Probe {
        match ran {
            Ok(rows) => Probe::Rows { rows, total },
            Err((code, message)) => refused(cell, &code, &message),
        }
    }

    async fn run_as(&self, sql: &str) -> Result<Ran, ProbeError> {
        self.run(Some(&self.plan.as_), sql).await
    }

    /// Run deskctl's `sql` in a savepoint, as `as_` (None: the connecting user), with the
    /// session's state read before and after it, then roll the savepoint back: one round trip.
    async fn run(&self, as_: Option<&As>, sql: &str) -> Result<Ran, ProbeError> {
        let client = self.client;
        let role = as_.and_then(|a| a.role.as_deref());
        let pre = prelude(SAVEPOINT, role);
        let settings = as_.and_then(|a| settings_statement(a, role));
        let names: Vec<String> = as_
            .map(|a| a.settings.keys().cloned().collect())
            .unwrap_or_default();
        let state = state_sql(&names, &[]);
        let undo = format!("rollback to savepoint {SAVEPOINT}; release savepoint {SAVEPOINT}");
        let f_set = async {
            match &settings {
                Some((s, p)) => Some(exec_text(client, s, p).await),
                None => None,
            }
        };
        // Each statement is sent when first polled, in this order: simple and one-round-trip
        // extended queries only, so nothing can overtake the savepoint's rollback.
        let joined = bounded(client, &self.limits, async {
            futures_util::join!(
                client.batch_execute(&pre),
                f_set,
                client.simple_query(&state),
                client.simple_query(sql),
                client.simple_query(&state),
                client.batch_execute(&undo)
            )
        })
        .await
        .map_err(ProbeError::Database)?;
        let (r_pre, r_set, r_before, r_probe, r_after, r_undo) = joined;
        let who = match as_ {
            Some(_) => self.plan.info.label.clone(),
            None => self.connecting_user.clone(),
        };
        r_undo.map_err(|e| {
            ProbeError::Database(format!(
                "could not roll the savepoint back: {}",
                error_text(&e)
            ))
        })?;
        r_pre.map_err(|e| {
            ProbeError::Database(format!("could not switch to {who}: {}", error_text(&e)))
        })?;
        if let Some(Err(e)) = r_set {
            return Err(ProbeError::Database(format!(
                "could not set the claims/settings of {who}: {}",
                error_text(&e)
            )));
        }
        let state = |r: Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>| {
            r.map_err(|e| error_text(&e))
                .and_then(|m| SessionState::from_messages(&m, &names))
                .map_err(|e| {
                    ProbeError::Database(format!("could not read the session's state: {e}"))
                })
        };
        let before = state(r_before)?;
        let guard = before.guard_changes_since(&self.baseline);
        if !guard.is_empty() {
            return Err(ProbeError::Setup(format!(
                "not trusted: switching to {who} changed the session: {}",
                guard.join("; ")
            )));
        }
        let want_user = role.unwrap_or(self.connecting_user.as_str());
        if before.current_user != want_user {
            return Err(ProbeError::Database(format!(
                "not trusted: the probe would have run as {} instead of {want_user}",
                before.current_user
            )));
        }
        if let Some(a) = as_ {
            let want = a.claims_json(role);
            if before.claims != want {
                return Err(ProbeError::Database(format!(
                    "not trusted: request.jwt.claims would have been {} instead of {}",
                    before.claims.as_deref().unwrap_or("unset"),
                    want.as_deref().unwrap_or("unset")
                )));
            }
        }
        let msgs = match r_probe {
            Ok(m) => m,
            Err(e) => {
                let (code, message) = match e.as_db_error() {
                    Some(d) => (d.code().code().to_string(), d.message().to_string()),
                    None => return Err(ProbeError::Database(e.to_string())),
                };
                return Ok(Err((code, message)));
            }
        };
        // The statement succeeded: a trigger or policy function it ran must not have changed
        // the role, the claims, a guarded setting or the transaction.
        let after = state(r_after)?;
        let changed = after.changes_since(&before);
        if !changed.is_empty() {
            return Ok(Err((
                String::new(),
                format!(
                    "not trusted: running it changed the session: {}",
                    changed.join("; ")
                ),
            )));
        }
        Ok(Ok(rows_of(&msgs)))
    }
}

/// The count a `select count(*) as n` returned, or the rows a write reported.
fn rows_of(msgs: &[SimpleQueryMessage]) -> u64 {
    for m in msgs {
        if let SimpleQueryMessage::Row(r) = m {
            return r.get("n").and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    msgs.iter()
        .find_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0)
}

/// SQLSTATEs that answer "may the persona do this": privileges and RLS (42501), a view or
/// relation that cannot be written (55000, 42809, 0A000).
fn is_refusal(code: &str) -> bool {
    matches!(code, "42501" | "55000" | "42809" | "0A000")
}

/// An error as a cell: a refusal is "no" (a missing grant named as the static matrix names it),
/// anything else is "not measured".
fn refused(cell: &Cell, code: &str, message: &str) -> Probe {
    if !is_refusal(code) {
        return Probe::Unknown {
            reason: describe_error(code, message),
        };
    }
    // Refused, and the catalog already says why (no grant, no USAGE): its words.
    match &cell.access {
        Access::No { reason } => Probe::No {
            reason: reason.clone(),
        },
        _ => Probe::No {
            reason: describe_error(code, message),
        },
    }
}

/// The INSERT probe's result: RLS and privileges are checked before constraints, so an
/// integrity error (class 23) means the copy got past them.
fn inserted(cell: &Cell, ran: Ran) -> Probe {
    match ran {
        Ok(_) => Probe::Inserted { then: None },
        Err((code, message)) if code.starts_with("23") => Probe::Inserted {
            then: Some(describe_error(&code, &message)),
        },
        Err((code, message)) => refused(cell, &code, &message),
    }
}

fn not_probed(cell: &Cell, why: &str) -> Probe {
    match &cell.access {
        Access::No { reason } => Probe::No {
            reason: reason.clone(),
        },
        _ => Probe::NotProbed { reason: why.into() },
    }
}

/// Columns a statement may write: not generated, not GENERATED ALWAYS AS IDENTITY.
fn writable(rel: &Relation) -> impl Iterator<Item = &str> {
    rel.columns
        .iter()
        .filter(|c| !c.generated && c.identity.as_deref() != Some("always"))
        .map(|c| c.name.as_str())
}

/// The column `update ... set c = c` writes: the first writable one the role may update
/// (column grants narrow it).
fn first_column<'r>(rel: &'r Relation, cell: &Cell) -> Option<&'r str> {
    let mut w = writable(rel);
    match &cell.columns {
        Some(cols) => w.find(|c| cols.iter().any(|x| x == c)),
        None => w.next(),
    }
}

/// The columns the INSERT probe copies: every writable one the role may insert.
fn insert_columns<'r>(rel: &'r Relation, cell: &Cell) -> Option<Vec<&'r str>> {
    let cols: Vec<&str> = writable(rel)
        .filter(|c| {
            cell.columns
                .as_ref()
                .is_none_or(|cols| cols.iter().any(|x| x == c))
        })
        .collect();
    (!cols.is_empty()).then_some(cols)
}

/// Whether RLS narrows what `user` sees of `rel` (on it, or on a relation a view reads).
fn bound_by_rls(snap: &Snapshot, rel: &Relation, user: &str) -> bool {
    let grantees = snap.effective_grantees(user);
    let mut stack = vec![rel];
    let mut seen: Vec<(&str, &str)> = Vec::new();
    while let Some(r) = stack.pop() {
        if seen.contains(&(r.schema.as_str(), r.name.as_str())) {
            continue;
        }
        seen.push((&r.schema, &r.name));
        if r.kind.is_table() && r.rls_enabled && bypass_reason(snap, r, user, &grantees).is_none() {
            return true;
        }
        if let Some(v) = &r.view {
            stack.extend(v.depends_on.iter().filter_map(|d| snap.relation(d)));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(access: Access, columns: Option<Vec<&str>>) -> Cell {
        Cell {
            command: StatementKind::Update,
            access,
            via: Vec::new(),
            columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
            dead_policies: Vec::new(),
            probe: None,
        }
    }

    #[test]
    fn texts() {
        let rows = |rows, total| Probe::Rows { rows, total }.text();
        assert_eq!(rows(3, Some(10)), "3 of 10 rows");
        assert_eq!(rows(10, Some(10)), "all 10");
        assert_eq!(rows(0, Some(0)), "0 of 0 rows");
        assert_eq!(rows(0, Some(1)), "0 of 1 row");
        assert_eq!(rows(2, None), "2 rows (total unknown)");
        assert_eq!(
            Probe::No {
                reason: "no grant".into()
            }
            .text(),
            "no (no grant)"
        );
    }

    #[test]
    fn errors_become_no_or_not_measured() {
        let no_grant = cell(
            Access::No {
                reason: "no grant".into(),
            },
            None,
        );
        assert_eq!(
            refused(&no_grant, "42501", "permission denied for table t"),
            Probe::No {
                reason: "no grant".into()
            }
        );
        let granted = cell(Access::Denied, None);
        let p = refused(
            &granted,
            "42501",
            "new row violates row-level security policy for table \"t\"",
        );
        assert!(
            matches!(&p, Probe::No { reason } if reason.contains("row-level security")),
            "{p:?}"
        );
        assert!(matches!(
            refused(
                &granted,
                "57014",
                "canceling statement due to statement timeout"
            ),
            Probe::Unknown { .. }
        ));
        assert!(matches!(
            inserted(&granted, Err(("23505".into(), "duplicate key".into()))),
            Probe::Inserted { then: Some(_) }
        ));
        assert!(matches!(
            inserted(&granted, Err(("42501".into(), "new row violates".into()))),
            Probe::No { .. }
        ));
    }

    #[test]
    fn columns_skip_generated_and_follow_column_grants() {
        use crate::catalog::{Column, RelKind};
        let mut t = Relation::new("public", "t", RelKind::Table);
        let mut id = Column::new("id", "bigint");
        id.identity = Some("always".into());
        let mut g = Column::new("g", "int");
        g.generated = true;
        t.columns = vec![id, g, Column::new("a", "text"), Column::new("b", "text")];
        let all = cell(Access::Denied, None);
        assert_eq!(first_column(&t, &all), Some("a"));
        assert_eq!(insert_columns(&t, &all), Some(vec!["a", "b"]));
        let only_b = cell(Access::Denied, Some(vec!["b", "g"]));
        assert_eq!(first_column(&t, &only_b), Some("b"));
        assert_eq!(insert_columns(&t, &only_b), Some(vec!["b"]));
        let only_g = cell(Access::Denied, Some(vec!["g"]));
        assert_eq!(first_column(&t, &only_g), None);
        assert_eq!(insert_columns(&t, &only_g), None);
    }

    #[test]
    fn counts_come_from_rows_or_command_tags() {
        assert_eq!(rows_of(&[SimpleQueryMessage::CommandComplete(7)]), 7);
    }
}
