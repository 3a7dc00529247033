//! `security-definer-view` (warn): a view without `security_invoker` in an exposed schema that
//! anon or authenticated can read (splinter 0010). Views over tables with RLS are reported
//! (as errors) by `view-bypasses-rls` and not again here.

use super::prelude::*;
use super::view_bypasses_rls::rls_tables_read;

pub static RULE: Rule = Rule {
    id: "security-definer-view",
    level: Level::Warn,
    what: "a view without security_invoker in an exposed schema, readable by anon or authenticated (over tables without RLS; with RLS: view-bypasses-rls)",
    why: "It reads its tables with its owner's rights, not the caller's: privileges revoked from the API roles on those tables, and any RLS added to them later, do not apply through it",
    fix: "ALTER VIEW ... SET (security_invoker = true) (PostgreSQL 15+), or REVOKE SELECT from anon and authenticated",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    if cx.snap.server_version_num != 0 && cx.snap.server_version_num < 150000 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for v in cx.relations() {
        if v.kind != RelKind::View || v.security_invoker() || v.from_extension {
            continue;
        }
        let (roles, access) = cx.api_roles_holding(v, &["SELECT"]);
        if access.is_empty() || !rls_tables_read(cx, v).is_empty() {
            continue;
        }
        out.push(Finding::new(
            v.qual(),
            format!(
                "view {} runs with its owner's ({}) rights and {} can SELECT it",
                cx.show(&v.qual()),
                v.owner,
                join_and(&roles)
            ),
            format!(
                "ALTER VIEW {} SET (security_invoker = true);",
                qident(&v.qual())
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
    fn triggers_on_a_definer_view_over_plain_tables() {
        let f = run(
            &RULE,
            vec![api_table("t"), view("v", &["t"], false)],
            vec![],
        );
        assert_eq!(keys(&f), ["public.v"]);
        assert_eq!(
            f[0].fix,
            "ALTER VIEW public.v SET (security_invoker = true);"
        );
    }

    #[test]
    fn does_not_trigger_for_invoker_views_rls_tables_or_unreadable_views() {
        let mut hidden = view("h", &["t"], false);
        hidden.acl = acl(&[("postgres", "SELECT")]);
        let rels = vec![
            api_table("t"),
            protected_table("p"),
            view("inv", &["t"], true),
            view("over_rls", &["p"], false),
            hidden,
        ];
        assert!(run(&RULE, rels, vec![]).is_empty());
    }
}
