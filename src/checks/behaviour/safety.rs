//! The safety rules checked before a step runs, on PostgreSQL's parse of the check's SQL
//! (`sqltext`, never a hand-written lexer): user SQL holds no statement that could end the
//! transaction, change the session, or act outside the transaction (transaction control, SET /
//! RESET, session statements, COPY, calls such as setval or dblink), and no step is run as a
//! superuser / BYPASSRLS role / non-forced owner where its expectation depends on RLS (unless
//! `bypass = true`). Reads the snapshot and parse trees only; must not run SQL. What cannot be
//! decided from text (function bodies, dynamic SQL) is checked after every step (`state`).

use super::steps::Step;
use crate::catalog::{Relation, Snapshot};
use crate::checks::names::Ctx;
use crate::checks::validator::Validator;
use crate::sqltext::{self, check::CopyEnd, Kind, Statement};
use crate::words::closest;

/// Why a statement is refused: what it is and why that matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `COMMIT`, `SET ROLE`, `COPY ... TO PROGRAM`, `setval()`.
    pub what: String,
    pub why: String,
    pub hint: Option<&'static str>,
}

const ENDS_TX: &str = "behaviour checks run inside one transaction that deskctl always rolls back, and must not end it";
const TX_HINT: &str = "remove the transaction control: each step already runs in a savepoint of its own that deskctl rolls back";
const SET_HINT: &str = "give settings under `as`: as = { role = \"...\", claims = { ... }, settings = { \"name\" = \"value\" } } (applied with set_config(..., true) and checked after every step)";

/// Settings a check must never change, even through set_config(): the role deskctl runs a step
/// as, the limits that stop a check from hanging, and what the parsers and the RLS checks rely on.
pub const GUARDED_SETTINGS: &[&str] = &[
    "role",
    "session_authorization",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "standard_conforming_strings",
    "track_counts",
];

/// Functions refused wherever they are called in a check's SQL (by exact name, any schema):
/// their effect is outside the transaction, so the rollback would not undo it.
const REFUSED_CALLS: &[(&str, &str)] = &[
    ("setval", "moves a sequence outside the transaction: the rollback does not put it back, and moving a live sequence backwards breaks inserts"),
    ("lo_import", "reads a file on the database server"),
    ("lo_export", "writes a file on the database server, which the rollback does not remove"),
    ("pg_file_write", "writes a file on the database server"),
    ("pg_file_rename", "renames a file on the database server"),
    ("pg_file_unlink", "removes a file on the database server"),
    ("pg_file_sync", "acts on a file on the database server"),
    ("pg_terminate_backend", "ends another session"),
    ("pg_cancel_backend", "cancels another session's query"),
    ("pg_reload_conf", "reloads the server's configuration"),
    ("pg_rotate_logfile", "acts on the server outside the transaction"),
    ("pg_switch_wal", "acts on the server outside the transaction"),
    ("pg_create_restore_point", "acts on the server outside the transaction"),
    ("pg_promote", "promotes a standby"),
    ("pg_log_backend_memory_contexts", "acts on another session"),
    ("pg_create_physical_replication_slot", "creates a replication slot, which the rollback does not remove"),
    ("pg_create_logical_replication_slot", "creates a replication slot, which the rollback does not remove"),
    ("pg_copy_physical_replication_slot", "creates a replication slot, which the rollback does not remove"),
    ("pg_copy_logical_replication_slot", "creates a replication slot, which the rollback does not remove"),
    ("pg_drop_replication_slot", "drops a replication slot outside the transaction"),
    ("pg_replication_origin_create", "changes replication origins outside the transaction"),
    ("pg_replication_origin_drop", "changes replication origins outside the transaction"),
    ("pg_replication_origin_advance", "changes replication origins outside the transaction"),
    ("pg_replication_origin_session_setup", "changes the session's replication origin"),
    ("pg_logical_emit_message", "writes a WAL message that may outlive the rollback"),
    ("pg_advisory_lock", "takes a session-level lock that outlives the rollback (pg_advisory_xact_lock is released with it)"),
    ("pg_advisory_lock_shared", "takes a session-level lock that outlives the rollback (pg_advisory_xact_lock_shared is released with it)"),
    ("pg_try_advisory_lock", "takes a session-level lock that outlives the rollback (pg_try_advisory_xact_lock is released with it)"),
    ("pg_try_advisory_lock_shared", "takes a session-level lock that outlives the rollback"),
    ("pg_advisory_unlock", "releases session-level locks"),
    ("pg_advisory_unlock_shared", "releases session-level locks"),
    ("pg_advisory_unlock_all", "releases session-level locks"),
];

/// Whether a function name is refused, and why. `dblink*`: any dblink function runs SQL on
/// another connection, whose transaction deskctl does not roll back. `pg_stat_reset*`: resets
/// statistics outside the transaction.
fn refused_call(name: &str) -> Option<&'static str> {
    if name.starts_with("dblink") {
        return Some("runs SQL on another connection, in a transaction deskctl does not roll back");
    }
    if name.starts_with("pg_stat_reset") {
        return Some("resets statistics outside the transaction");
    }
    REFUSED_CALLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

/// Why one parsed statement of a check's SQL must not be sent (None: it may).
pub fn statement_refusal(stmt: &Statement) -> Option<Refused> {
    let node = stmt.node.as_ref()?;
    let refused =
        |what: String, why: String, hint: Option<&'static str>| Some(Refused { what, why, hint });
    match stmt.kind() {
        Kind::TransactionControl(t) => {
            return refused(t.to_string(), ENDS_TX.into(), Some(TX_HINT));
        }
        k @ Kind::Set { .. } => {
            let what = k.describe().unwrap_or_else(|| "SET".into());
            return refused(
                what,
                "a check must not change the session's settings or role by itself".into(),
                Some(SET_HINT),
            );
        }
        k @ Kind::Session(_) => {
            return refused(
                k.describe().unwrap_or_default(),
                "it changes the session beyond the transaction, which the rollback does not undo"
                    .into(),
                None,
            );
        }
        k @ Kind::NoTransaction(_) => {
            return refused(
                k.describe().unwrap_or_default(),
                "it cannot run inside the transaction deskctl always rolls back".into(),
                None,
            );
        }
        Kind::Other => {}
    }
    if let Some(what) = sqltext::check::session_state(node) {
        return refused(
            what.into(),
            "its effect outlives the rollback (session state or statistics written in place)"
                .into(),
            None,
        );
    }
    if let Some((from, end)) = sqltext::check::copy(node) {
        let dir = if from { "FROM" } else { "TO" };
        return match end {
            CopyEnd::Program(_) => refused(
                format!("COPY {dir} PROGRAM"),
                "it runs a shell command on the database server, which no rollback undoes".into(),
                None,
            ),
            CopyEnd::File(_) => refused(
                format!("COPY {dir} a server file"),
                "it reads or writes a file on the database server, outside the transaction".into(),
                None,
            ),
            CopyEnd::Client => refused(
                format!("COPY {dir} {}", if from { "STDIN" } else { "STDOUT" }),
                "a check has no client data stream; write the rows as INSERT or SELECT".into(),
                None,
            ),
        };
    }
    for call in sqltext::check::calls(node) {
        if call.name == "set_config" {
            if let Some(arg) = &call.first_arg {
                let a = arg.to_ascii_lowercase();
                if GUARDED_SETTINGS.contains(&a.as_str()) {
                    return refused(
                        format!("set_config('{arg}', ...)"),
                        format!("a check must not change `{a}`"),
                        Some(SET_HINT),
                    );
                }
            }
        }
        if let Some(why) = refused_call(&call.name) {
            return refused(format!("a call of {}()", call.name), why.into(), None);
        }
    }
    None
}

/// A check's SQL text as the statements deskctl will send one by one, or why none is sent: the
/// text does not parse (deskctl fails closed), or a statement is refused. `path` names the key.
pub fn statements(path: &str, sql: &str) -> Result<Vec<String>, String> {
    let parsed = sqltext::parse_shared(sql);
    let stmts = parsed.as_ref().as_ref().map_err(|e| {
        let at = e
            .at
            .map(|b| {
                let (l, c) = sqltext::line_col(sql, b);
                format!(" (line {l}, column {c} of `{path}`)")
            })
            .unwrap_or_default();
        format!(
            "deskctl's SQL parser (PostgreSQL's grammar) rejected `{path}`, so nothing was sent: 42601 syntax_error: {}{at}",
            e.message
        )
    })?;
    if stmts.is_empty() {
        return Err(format!("`{path}` holds no SQL statement"));
    }
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        if let Some(r) = statement_refusal(s) {
            return Err(refusal_message(path, sql, s, &r));
        }
        out.push(s.text(sql).to_string());
    }
    Ok(out)
}

fn refusal_message(path: &str, sql: &str, s: &Statement, r: &Refused) -> String {
    let text = s.text(sql);
    let shown: String = text.chars().take(80).collect();
    let more = if text.chars().count() > 80 { "…" } else { "" };
    let (line, col) = sqltext::line_col(sql, s.start);
    format!(
        "`{path}` contains {} (`{shown}{more}`, line {line}, column {col}): {}",
        r.what, r.why
    )
}

/// Load-time check of a check's SQL: at least one statement, none refused. A text that does not
/// parse is not a load problem: the check becomes an error row and nothing of it is sent.
pub fn validate_sql(v: &mut Validator, path: &str, sql: &str) {
    let parsed = sqltext::parse_shared(sql);
    let Ok(stmts) = parsed.as_ref() else {
        return;
    };
    if stmts.is_empty() {
        v.error(path, format!("`{path}` holds no SQL statement"), None);
        return;
    }
    for s in stmts {
        if let Some(r) = statement_refusal(s) {
            v.error(
                path,
                refusal_message(path, sql, s, &r),
                r.hint.map(str::to_string),
            );
        }
    }
}

/// Relations of the snapshot a query names (by any of the read schemas when unqualified), views
/// expanded to the relations they read, transitively. Names come from PostgreSQL's parse tree; a
/// text that does not parse names none (it is never sent).
pub fn referenced_relations<'s>(snap: &'s Snapshot, sql: &str) -> Vec<&'s Relation> {
    let names: Vec<(Option<String>, String)> = sqltext::parse_shared(sql)
        .as_ref()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.node.as_ref())
        .flat_map(sqltext::check::relations)
        .collect();
    let mut out: Vec<&Relation> = Vec::new();
    let mut stack: Vec<&Relation> = Vec::new();
    for (schema, name) in &names {
        match schema {
            Some(s) => stack.extend(snap.relation_by(s, name)),
            None => {
                for s in &snap.scope {
                    stack.extend(snap.relation_by(s, name));
                }
            }
        }
    }
    while let Some(r) = stack.pop() {
        if out.iter().any(|o| o.schema == r.schema && o.name == r.name) {
            continue;
        }
        if let Some(v) = &r.view {
            for d in &v.depends_on {
                if let Some(dr) = snap.relation(d) {
                    stack.push(dr);
                }
            }
        }
        out.push(r);
    }
    out
}

/// Whether `role` is `owner` itself or exercises its privileges (inheriting membership).
pub fn owns(snap: &Snapshot, role: &str, owner: &str) -> bool {
    role == owner || snap.effective_grantees(role).iter().any(|g| g == owner)
}

/// Why `role` would not be subject to RLS on `rel` (None: RLS applies).
pub fn rls_bypass_reason(snap: &Snapshot, role: &str, rel: &Relation, ctx: &Ctx) -> Option<String> {
    if !rel.rls_enabled {
        return None;
    }
    let info = snap.role(role)?;
    if info.superuser {
        return Some(format!(
            "{role} is a superuser, so RLS on {} does not apply to it",
            ctx.show_rel(rel)
        ));
    }
    if info.bypass_rls {
        return Some(format!(
            "{role} has BYPASSRLS, so RLS on {} does not apply to it",
            ctx.show_rel(rel)
        ));
    }
    if !rel.rls_forced && owns(snap, role, &rel.owner) {
        return Some(format!(
            "{role} owns {} (owner {}), which has RLS enabled but not FORCE ROW LEVEL SECURITY, so RLS does not apply to it",
            ctx.show_rel(rel),
            rel.owner
        ));
    }
    None
}

/// "no such role `x`" with a near miss.
pub fn unknown_role(snap: &Snapshot, role: &str) -> String {
    let mut s = format!("no such role `{role}`");
    if let Some(c) = closest(role, snap.roles.iter().map(|r| r.name.as_str())) {
        s.push_str(&format!(" (did you mean `{c}`?)"));
    }
    s
}

/// Refuse a step before it runs: an impersonated superuser / BYPASSRLS role (unless
/// `bypass = true`), and — when the expectation depends on RLS — a step whose effective role
/// bypasses RLS on a table its query reads (superuser, BYPASSRLS, or the owner of a table
/// without FORCE ROW LEVEL SECURITY). `connecting_rule`: apply the second rule to steps without
/// a role too (the connecting user). Returns the reason.
pub fn refusal(
    snap: &Snapshot,
    ctx: &Ctx,
    step: &Step,
    role: &str,
    connecting_rule: bool,
) -> Option<String> {
    let Some(info) = snap.role(role) else {
        return Some(unknown_role(snap, role));
    };
    if step.as_.bypass {
        return None;
    }
    const FIX: &str = "run it as an API role (as = { role = \"authenticated\", claims = { sub = \"...\" } }), or add bypass = true to `as` if bypassing RLS is what it tests";
    let impersonating = step.as_.role.is_some();
    if impersonating && info.superuser {
        return Some(format!(
            "{role} is a superuser: it bypasses RLS and every privilege, so the step would prove nothing about them; {FIX}"
        ));
    }
    if impersonating && info.bypass_rls {
        return Some(format!(
            "{role} has BYPASSRLS: RLS does not apply to it, so the step would prove nothing about it; {FIX}"
        ));
    }
    if !step.expect.depends_on_rls() || !(impersonating || connecting_rule) {
        return None;
    }
    for rel in referenced_relations(snap, &step.query) {
        if let Some(why) = rls_bypass_reason(snap, role, rel, ctx) {
            let who = if impersonating {
                String::new()
            } else {
                "the step has no role and runs as the connecting user; ".to_string()
            };
            return Some(format!(
                "{who}{why}, and the expectation depends on RLS; {FIX}"
            ));
        }
    }
    None
}

/// `owner` in a scenario: the owner of the relations the query names (one owner).
pub fn owner_of_query(snap: &Snapshot, ctx: &Ctx, sql: &str) -> Result<String, String> {
    let rels = referenced_relations(snap, sql);
    let mut owners: Vec<&str> = rels.iter().map(|r| r.owner.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    match owners.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err("`owner` means the owner of the tables the query reads, but it names none that was read".into()),
        _ => Err(format!(
            "`owner` is ambiguous: the query reads {} with different owners ({})",
            rels.iter().map(|r| ctx.show_rel(r)).collect::<Vec<_>>().join(", "),
            owners.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{QualName, RelKind, Role, ViewInfo};
    use crate::checks::behaviour::expect::Expect;
    use crate::checks::behaviour::As;

    fn snap() -> Snapshot {
        let mut t = Relation::new("public", "tickets", RelKind::Table);
        t.owner = "app".into();
        t.rls_enabled = true;
        let mut f = Relation::new("public", "forced", RelKind::Table);
        f.owner = "app".into();
        f.rls_enabled = true;
        f.rls_forced = true;
        let mut v = Relation::new("public", "ticket_view", RelKind::View);
        v.view = Some(ViewInfo {
            definition: None,
            depends_on: vec![QualName::new("public", "tickets")],
        });
        let mut su = Role::new("postgres");
        su.superuser = true;
        let mut sr = Role::new("service_role");
        sr.bypass_rls = true;
        let mut member = Role::new("app_member");
        member.member_of = vec!["app".into()];
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![t, f, v],
            roles: vec![su, sr, Role::new("authenticated"), Role::new("app"), member],
            current_user: "postgres".into(),
            ..Default::default()
        }
        .finish()
    }

    fn step(role: Option<&str>, query: &str, expect: Expect) -> Step {
        Step {
            name: None,
            as_: As {
                role: role.map(str::to_string),
                ..Default::default()
            },
            query: query.into(),
            expect,
        }
    }

    #[test]
    fn refusals() {
        let s = snap();
        let ctx = Ctx::new("public");
        let q = "select * from tickets";
        // Impersonating a superuser / BYPASSRLS role: refused whatever the expectation.
        let st = step(
            Some("service_role"),
            q,
            Expect::Error {
                code: "42501".into(),
                message: None,
            },
        );
        let why = refusal(&s, &ctx, &st, "service_role", true).unwrap();
        assert!(why.contains("BYPASSRLS"), "{why}");
        let st = step(Some("postgres"), "select 1", Expect::Ok);
        assert!(refusal(&s, &ctx, &st, "postgres", true)
            .unwrap()
            .contains("superuser"));
        // ... unless the step expects bypass.
        let mut st = step(Some("service_role"), q, Expect::Rows(3));
        st.as_.bypass = true;
        assert_eq!(refusal(&s, &ctx, &st, "service_role", true), None);
        // An API role: fine.
        let st = step(Some("authenticated"), q, Expect::Rows(1));
        assert_eq!(refusal(&s, &ctx, &st, "authenticated", true), None);
        // The connecting superuser on an RLS table, row expectation: refused.
        let st = step(None, q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "postgres", true).unwrap();
        assert!(why.contains("runs as the connecting user"), "{why}");
        // ... through a view too; but not with connecting_rule off, nor for an expected error.
        let st = step(None, "select * from ticket_view", Expect::Rows(1));
        assert!(refusal(&s, &ctx, &st, "postgres", true).is_some());
        assert_eq!(refusal(&s, &ctx, &st, "postgres", false), None);
        let st = step(
            None,
            q,
            Expect::Error {
                code: "23505".into(),
                message: None,
            },
        );
        assert_eq!(refusal(&s, &ctx, &st, "postgres", true), None);
        // The owner (or a member of the owner) of a non-forced RLS table: refused; forced: fine.
        let st = step(Some("app_member"), q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "app_member", true).unwrap();
        assert!(why.contains("not FORCE ROW LEVEL SECURITY"), "{why}");
        let st = step(Some("app"), "select * from forced", Expect::Rows(1));
        assert_eq!(refusal(&s, &ctx, &st, "app", true), None);
        // Unknown role, with a near miss.
        let st = step(Some("authenticatd"), q, Expect::Rows(1));
        let why = refusal(&s, &ctx, &st, "authenticatd", true).unwrap();
        assert!(why.contains("did you mean `authenticated`?"), "{why}");
    }

    #[test]
    fn owner_in_a_query() {
        let s = snap();
        let ctx = Ctx::new("public");
        assert_eq!(
            owner_of_query(&s, &ctx, "select * from tickets").unwrap(),
            "app"
        );
        assert!(owner_of_query(&s, &ctx, "select 1").is_err());
    }

    #[test]
    fn transaction_control_is_refused() {
        let mut v = Validator::default();
        validate_sql(
            &mut v,
            "setup",
            "insert into t values (1); commit; insert into t values (2)",
        );
        validate_sql(&mut v, "query", "select 1; ROLLBACK");
        validate_sql(
            &mut v,
            "query",
            "savepoint a; rollback to savepoint a; select 'commit'",
        );
        validate_sql(&mut v, "query", "prepare transaction 'x'");
        validate_sql(&mut v, "query", "  -- nothing\n");
        // Does not parse: not a load problem (the check is an error row, nothing is sent).
        validate_sql(&mut v, "query", "selec 1");
        let msgs: Vec<&str> = v.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(msgs.len(), 6, "{msgs:#?}");
        assert!(msgs[0].contains("`setup` contains COMMIT (`commit`, line 1, column 27)"));
        assert!(msgs[1].contains("contains ROLLBACK"));
        assert!(msgs[2].contains("contains SAVEPOINT"));
        assert!(msgs[3].contains("contains ROLLBACK TO SAVEPOINT"));
        assert!(msgs[4].contains("PREPARE TRANSACTION"));
        assert!(msgs[5].contains("holds no SQL statement"));
        let e = statements("query", "selec 1").unwrap_err();
        assert!(e.contains("deskctl's SQL parser"), "{e}");
        assert!(e.contains("42601 syntax_error"), "{e}");
        assert!(e.contains("line 1, column 1"), "{e}");
    }

    /// Every spelling PostgreSQL's parser sees, however the text hides it.
    #[test]
    fn refused_statements_in_every_spelling() {
        let refused = |sql: &str| -> String {
            statements("q", sql).expect_err(&format!("not refused: {sql}"))
        };
        for (sql, what) in [
            (
                "create function begin() returns int language sql as 'select 1'; commit; select 1",
                "COMMIT",
            ),
            ("END", "COMMIT"),
            ("abort work", "ROLLBACK"),
            ("commit and chain", "COMMIT"),
            ("start transaction read write", "START TRANSACTION"),
            ("release x", "RELEASE SAVEPOINT"),
            ("commit prepared 'x'", "COMMIT PREPARED"),
            ("rollback prepared 'x'", "ROLLBACK PREPARED"),
            ("select $$ ; $$; /* ; */ commit -- ;", "COMMIT"),
            ("select E'\\'; commit; --'; select 2", "SET"), // placeholder, see below
        ] {
            if what == "SET" {
                // E'\'' is one string: the COMMIT inside is text, not a statement.
                assert!(statements("q", sql).is_ok(), "{sql}");
                continue;
            }
            assert!(
                refused(sql).contains(&format!("contains {what}")),
                "{sql}: {}",
                refused(sql)
            );
        }
        // standard_conforming_strings switched off by the text itself: refused (a SET), and
        // the rest is read as the server would.
        let e = refused("set standard_conforming_strings = off; select 'a\\'; commit; --'");
        assert!(e.contains("SET standard_conforming_strings"), "{e}");
        for (sql, what) in [
            ("set role postgres", "SET ROLE"),
            ("reset role", "SET ROLE"),
            (
                "set local statement_timeout = 0",
                "SET LOCAL statement_timeout",
            ),
            (
                "set session authorization postgres",
                "SET SESSION AUTHORIZATION",
            ),
            ("reset all", "RESET ALL"),
            (
                "set transaction isolation level serializable",
                "SET TRANSACTION",
            ),
            ("discard temp", "DISCARD"),
            ("listen x", "LISTEN"),
            ("load 'plpgsql'", "LOAD"),
            ("vacuum t", "VACUUM"),
            (
                "create index concurrently i on t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            ("prepare p as select 1", "PREPARE"),
            ("deallocate all", "DEALLOCATE"),
            ("analyze t", "ANALYZE"),
            ("copy t to program 'id'", "COPY TO PROGRAM"),
            ("copy t from '/etc/passwd'", "COPY FROM a server file"),
            ("copy (select 1) to stdout", "COPY TO STDOUT"),
            (
                "select set_config('role', 'postgres', true)",
                "set_config('role', ...)",
            ),
            (
                "select pg_catalog.set_config('Statement_Timeout', '0', true)",
                "set_config('Statement_Timeout', ...)",
            ),
            (
                "select U&\"set\\005Fconfig\"('lock_timeout', '0', false)",
                "set_config('lock_timeout', ...)",
            ),
            ("select setval('s', 1)", "a call of setval()"),
            (
                "select dblink_exec('dbname=x', 'drop table t')",
                "a call of dblink_exec()",
            ),
            ("select lo_export(1, '/tmp/x')", "a call of lo_export()"),
            (
                "select * from t where pg_terminate_backend(1)",
                "a call of pg_terminate_backend()",
            ),
            (
                "with x as (select pg_advisory_lock(1)) select * from x",
                "a call of pg_advisory_lock()",
            ),
            (
                "insert into t values (pg_cancel_backend(1))",
                "a call of pg_cancel_backend()",
            ),
        ] {
            let e = refused(sql);
            assert!(e.contains(&format!("contains {what}")), "{sql}: {e}");
        }
        // Allowed: transactional work, transaction-scoped locks, NOTIFY, nextval, set_config of
        // other settings, names that only look like refused calls.
        for sql in [
            "insert into t values (nextval('s'))",
            "select pg_advisory_xact_lock(1)",
            "notify x, 'y'",
            "select set_config('app.user', 'u1', true)",
            "select 'setval(1)', \"setval\" from t",
            "create function f() returns void language plpgsql as $$ begin commit; end $$",
            "do $$ begin perform 1; end $$",
            "call p()",
        ] {
            assert!(
                statements("q", sql).is_ok(),
                "{sql}: {:?}",
                statements("q", sql)
            );
        }
    }
}
