//! `rls-enabled-no-policy` (info): row-level security is enabled on a table that has no policy,
//! so only the owner and roles that bypass RLS see any row.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rls-enabled-no-policy",
    level: Level::Info,
    what: "a table with row-level security enabled and no policy",
    why: "With RLS on and no policy every other role sees no row and cannot write: right for a service-only table, a missing policy otherwise",
    fix: "CREATE POLICY for each command the API roles need; if only the service role should use the table, also REVOKE the API roles' privileges to make that explicit",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.tables()
        .filter(|t| t.rls_enabled && t.policies.is_empty() && !t.is_partition)
        .map(|t| {
            let access = cx.api_access(t, super::rls_disabled_exposed::ROW_PRIVILEGES);
            let reach = if access.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} hold privileges on it but every row is hidden from them",
                    join_and(&access.iter().map(|(r, _)| r.to_string()).collect::<Vec<_>>())
                )
            };
            Finding::new(
                t.qual(),
                format!(
                    "table {} has row-level security enabled and no policy{reach}",
                    cx.show(&t.qual())
                ),
                format!(
                    "CREATE POLICY \"...\" ON {} FOR SELECT TO authenticated USING ((select auth.uid()) = user_id); (one per command needed), or REVOKE ALL ON {0} FROM anon, authenticated; if only the service role uses it",
                    qident(&t.qual())
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_with_rls_and_no_policy() {
        let mut t = protected_table("webhook_events");
        t.policies.clear();
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.webhook_events"]);
        assert!(
            f[0].message
                .contains("anon and authenticated hold privileges"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_with_a_policy_or_without_rls() {
        assert!(run(&RULE, vec![protected_table("t"), api_table("u")], vec![]).is_empty());
    }
}
