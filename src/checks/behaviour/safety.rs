//! The safety rules checked before a step runs: user SQL holds no transaction control, and no
//! step is run as a superuser / BYPASSRLS role / non-forced owner where its expectation depends
//! on RLS (unless `bypass = true`). Reads the snapshot only; must not run SQL.

use std::collections::HashSet;

use super::steps::Step;
use crate::catalog::{Relation, Snapshot};
use crate::checks::model::{closest, Ctx, Validator};

/// the run's changes permanent, a ROLLBACK would end the protecting transaction.
pub fn validate_sql(v: &mut Validator, path: &str, sql: &str) {
    let stmts = crate::migrate::split::split(sql);
    if stmts.is_empty() {
        v.error(path, format!("`{path}` holds no SQL statement"), None);
        return;
    }
    for s in &stmts {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let bad = s.transaction_control().or_else(|| match words.as_slice() {
            ["prepare", "transaction", ..] => Some("PREPARE TRANSACTION".to_string()),
            _ => None,
        });
        if let Some(word) = bad {
            v.error(
                path,
                format!("`{path}` contains {word}: behaviour checks run inside one transaction that deskctl always rolls back, and must not end it"),
                Some("remove the transaction control; use SAVEPOINT / ROLLBACK TO SAVEPOINT to undo part of a step".into()),
            );
        }
    }
}

/// Identifiers in SQL text outside literals and comments: unquoted ones lower-cased, quoted
/// ones as written.
pub fn identifiers(sql: &str) -> HashSet<String> {
    let b = sql.as_bytes();
    let mut out = HashSet::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'-' && next == Some(b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'\'' {
            i = crate::migrate::split::skip_quoted(b, i, b'\'', false);
        } else if c == b'"' {
            let end = crate::migrate::split::skip_quoted(b, i, b'"', false);
            // Without the closing quote (unterminated), everything to the end.
            let close = if end > i + 1 && b[end - 1] == b'"' {
                end - 1
            } else {
                end
            };
            let inner = &sql[i + 1..close];
            out.insert(inner.replace("\"\"", "\""));
            i = end;
        } else if c == b'$' {
            // Dollar quote: $$...$$ or $tag$...$tag$ (skipped); $1 parameters.
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'$' && !b[i + 1..j].first().is_some_and(u8::is_ascii_digit) {
                let tag = &b[i..=j];
                let body = j + 1;
                i = b[body..]
                    .windows(tag.len())
                    .position(|w| w == tag)
                    .map(|p| body + p + tag.len())
                    .unwrap_or(b.len());
            } else {
                i = j.max(i + 1);
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let s = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            let word = &sql[s..i];
            if (word == "E" || word == "e") && b.get(i) == Some(&b'\'') {
                i = crate::migrate::split::skip_quoted(b, i, b'\'', true);
                continue;
            }
            out.insert(word.to_lowercase());
        } else {
            i += 1;
        }
    }
    out
}

/// Relations of the snapshot a query names (by any of the read schemas), views expanded to
/// the relations they read, transitively.
pub fn referenced_relations<'s>(snap: &'s Snapshot, sql: &str) -> Vec<&'s Relation> {
    let ids = identifiers(sql);
    let mut out: Vec<&Relation> = Vec::new();
    let mut stack: Vec<&Relation> = Vec::new();
    for id in &ids {
        for schema in &snap.scope {
            if let Some(r) = snap.relation_by(schema, id) {
                stack.push(r);
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
    use crate::checks::behaviour::{As, Expect};

    #[test]
    fn identifiers_skip_literals_and_comments() {
        let ids = identifiers(
            "select * from Support_Tickets t join \"ChatMessage\" m on true -- chat_sessions\n\
             where x = 'cc_audit_logs' and y = $$ profiles $$ /* tags */ and z = E'it''s' and $1 = 1",
        );
        assert!(ids.contains("support_tickets"));
        assert!(ids.contains("ChatMessage"));
        for absent in ["chat_sessions", "cc_audit_logs", "profiles", "tags", "it"] {
            assert!(!ids.contains(absent), "{absent} in {ids:?}");
        }
        // Never panics on odd input: multi-byte text, unterminated quotes and comments.
        for odd in [
            "\"é",
            "select \"Ünïcödé\" from tä",
            "'é",
            "$é$ x",
            "/* é",
            "e'\\",
            "\"",
            "$",
            "$1é",
        ] {
            let _ = identifiers(odd);
        }
        assert!(identifiers("select * from \"Ünï\"").contains("Ünï"));
        assert!(identifiers("select * from \"Ünï").contains("Ünï"));
    }

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
        let msgs: Vec<&str> = v.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:#?}");
        assert!(msgs[0].contains("contains COMMIT"));
        assert!(msgs[1].contains("contains ROLLBACK"));
        assert!(msgs[2].contains("PREPARE TRANSACTION"));
        assert!(msgs[3].contains("holds no SQL statement"));
    }
}
