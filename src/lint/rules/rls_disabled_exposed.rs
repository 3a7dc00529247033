//! `rls-disabled-exposed` (error): a table in an exposed schema that anon or authenticated can
//! read or write, with row-level security disabled. Exposure comes from the catalog only (schema
//! exposed, USAGE on it, table or column privileges), never from PostgREST settings.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rls-disabled-exposed",
    level: Level::Error,
    what: "a table in an exposed schema that anon or authenticated can read or write, with row-level security disabled",
    why: "Without RLS the privileges are the only gate: every API client holding them reads or changes every row, and with the anon key no login is needed",
    fix: "ENABLE ROW LEVEL SECURITY on the table and create policies for what each role may do; or REVOKE the privileges from anon and authenticated if the API must not reach it",
    check,
};

/// The privileges that reach rows.
pub const ROW_PRIVILEGES: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE"];

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| !t.rls_enabled) {
        let (roles, access) = cx.api_roles_holding(t, ROW_PRIVILEGES);
        if access.is_empty() {
            continue;
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "table {} has row-level security disabled, and {} can reach it in exposed schema {}",
                cx.show(&t.qual()),
                show_access(&access),
                t.schema
            ),
            format!(
                "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY; then CREATE POLICY ... ON {0} for each command the API needs (or: REVOKE ALL ON {0} FROM {1};)",
                qident(&t.qual()),
                roles.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_an_exposed_table_without_rls() {
        let f = run(&RULE, vec![api_table("ChatMessage")], vec![]);
        assert_eq!(keys(&f), ["public.ChatMessage"]);
        assert!(
            f[0].message
                .contains("anon (SELECT, INSERT, UPDATE, DELETE)"),
            "{}",
            f[0].message
        );
        assert!(f[0]
            .message
            .contains("authenticated (SELECT, INSERT, UPDATE, DELETE)"));
        assert!(f[0]
            .fix
            .starts_with("ALTER TABLE public.\"ChatMessage\" ENABLE ROW LEVEL SECURITY"));
    }

    #[test]
    fn column_grants_and_public_grants_count() {
        let mut t = api_table("t");
        t.acl = acl(&[("postgres", "SELECT"), ("PUBLIC", "SELECT")]);
        let f = run(&RULE, vec![t], vec![]);
        assert!(
            f[0].message
                .contains("anon (SELECT) and authenticated (SELECT)"),
            "{}",
            f[0].message
        );
        let mut u = api_table("u");
        u.acl = acl(&[("postgres", "SELECT")]);
        u.columns[1].acl = acl(&[("authenticated", "UPDATE")]);
        let f = run(&RULE, vec![u], vec![]);
        assert!(
            f[0].message.contains("authenticated (UPDATE)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_with_rls_without_grants_or_outside_exposed_schemas() {
        assert!(run(&RULE, vec![protected_table("t")], vec![]).is_empty());
        let mut t = api_table("t");
        t.acl = all_on_table(&["postgres", "service_role"]);
        assert!(run(&RULE, vec![t], vec![]).is_empty());
        // Only TRUNCATE / REFERENCES: no rows are reached through the API.
        let mut u = api_table("u");
        u.acl = acl(&[("anon", "TRUNCATE"), ("anon", "REFERENCES")]);
        assert!(run(&RULE, vec![u], vec![]).is_empty());
        let s = snap(vec![api_table("t")], vec![]);
        let cx = RuleCtx::new(&s, &["api".to_string()]);
        assert!((RULE.check)(&cx).is_empty());
    }

    #[test]
    fn does_not_trigger_without_schema_usage() {
        let mut s = snap(vec![api_table("t")], vec![]);
        s.schemas[0].acl = acl(&[("postgres", "USAGE")]);
        let cx = RuleCtx::new(&s, &["public".to_string()]);
        assert!((RULE.check)(&cx).is_empty());
    }
}
