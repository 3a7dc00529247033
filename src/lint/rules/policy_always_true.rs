//! `policy-always-true` (warn): a permissive INSERT / UPDATE / DELETE / ALL policy for anon,
//! authenticated or PUBLIC whose USING or WITH CHECK is always true.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "policy-always-true",
    level: Level::Warn,
    what: "a permissive write policy (INSERT, UPDATE, DELETE or ALL) for anon, authenticated or PUBLIC whose USING or WITH CHECK is always true",
    why: "An always-true write policy lets every API client of that role write or delete any row, which is rarely what RLS was enabled for",
    fix: "Tie the condition to the caller, e.g. USING ((select auth.uid()) = user_id) WITH CHECK ((select auth.uid()) = user_id), or grant the policy TO service_role only",
    check,
};

const API_OR_PUBLIC: &[&str] = &["anon", "authenticated", "public"];

/// The clause that is always true for a write command, if any.
fn open_clause(p: &crate::catalog::Policy) -> Option<&'static str> {
    let t = |e: &Option<String>| e.as_deref().is_some_and(sql::always_true);
    match p.command {
        PolicyCommand::Select => None,
        PolicyCommand::Insert => t(&p.with_check).then_some("WITH CHECK"),
        PolicyCommand::Delete => t(&p.using).then_some("USING"),
        PolicyCommand::Update | PolicyCommand::All => {
            if t(&p.using) {
                Some("USING")
            } else if t(&p.with_check) {
                Some("WITH CHECK")
            } else {
                None
            }
        }
    }
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| t.rls_enabled) {
        for p in t.policies.iter().filter(|p| p.permissive) {
            let roles: Vec<String> = p
                .roles
                .iter()
                .filter(|r| API_OR_PUBLIC.contains(&r.as_str()))
                .map(|r| {
                    if r == "public" {
                        "PUBLIC".to_string()
                    } else {
                        r.clone()
                    }
                })
                .collect();
            if roles.is_empty() {
                continue;
            }
            let Some(clause) = open_clause(p) else {
                continue;
            };
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "permissive {} policy \"{}\" on {} for {} has {clause} (true): any such client may {} any row",
                        p.command.sql(),
                        p.name,
                        cx.show(&t.qual()),
                        join_and(&roles),
                        match p.command {
                            PolicyCommand::Insert => "insert",
                            PolicyCommand::Delete => "delete",
                            PolicyCommand::Update => "update",
                            _ => "read and write",
                        }
                    ),
                    format!(
                        "ALTER POLICY {} ON {} {clause} ((select auth.uid()) = user_id); (or ALTER POLICY ... TO service_role if only the server writes)",
                        ident(&p.name),
                        qident(&t.qual())
                    ),
                )
                .part(p.name.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_always_true_writes() {
        let mut t = protected_table("tags");
        t.policies.push(policy(
            "anyone inserts",
            PolicyCommand::Insert,
            &["authenticated"],
            None,
            Some("true"),
        ));
        t.policies.push(policy(
            "anyone deletes",
            PolicyCommand::Delete,
            &["public"],
            Some("true"),
            None,
        ));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(
            keys(&f),
            ["public.tags/anyone inserts", "public.tags/anyone deletes"]
        );
        assert!(
            f[1].message.contains("for PUBLIC has USING (true)"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn does_not_trigger_on_reads_restrictive_or_service_role_policies() {
        let mut t = protected_table("tags");
        t.policies.push(policy(
            "read all",
            PolicyCommand::Select,
            &["authenticated"],
            Some("true"),
            None,
        ));
        let mut r = policy(
            "restrictive",
            PolicyCommand::Insert,
            &["authenticated"],
            None,
            Some("true"),
        );
        r.permissive = false;
        t.policies.push(r);
        t.policies.push(policy(
            "server",
            PolicyCommand::All,
            &["service_role"],
            Some("true"),
            Some("true"),
        ));
        t.policies.push(policy(
            "own",
            PolicyCommand::Update,
            &["authenticated"],
            Some("(auth.uid() = user_id)"),
            None,
        ));
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
