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

/// The clause that is always true for a write command, if any, and its expression.
fn open_clause(p: &crate::catalog::Policy) -> Option<(&'static str, &str)> {
    fn t(e: &Option<String>) -> Option<&str> {
        e.as_deref().filter(|e| policy::always_true(e))
    }
    fn tag<'a>(clause: &'static str, e: Option<&'a str>) -> Option<(&'static str, &'a str)> {
        e.map(|e| (clause, e))
    }
    match p.command {
        PolicyCommand::Select => None,
        PolicyCommand::Insert => tag("WITH CHECK", t(&p.with_check)),
        PolicyCommand::Delete => tag("USING", t(&p.using)),
        PolicyCommand::Update | PolicyCommand::All => {
            tag("USING", t(&p.using)).or_else(|| tag("WITH CHECK", t(&p.with_check)))
        }
    }
}

/// `(true)`, or an expression that is only evaluated true with that said: `(1 = 1), always true`.
fn shown(e: &str) -> String {
    if policy::is_true_constant(e) {
        "(true)".to_string()
    } else {
        format!("{}, always true", expr::parenthesized(&expr::one_line(e)))
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
            let Some((clause, e)) = open_clause(p) else {
                continue;
            };
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "permissive {} policy \"{}\" on {} for {} has {clause} {}: any such client may {} any row",
                        p.command.sql(),
                        p.name,
                        cx.show(&t.qual()),
                        join_and(&roles),
                        shown(e),
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
    fn triggers_on_expressions_that_are_only_evaluated_true() {
        let mut t = protected_table("tags");
        t.policies.push(policy(
            "tautology",
            PolicyCommand::Update,
            &["anon"],
            Some("((1 = 1) OR (user_id = auth.uid()))"),
            None,
        ));
        t.policies.push(policy(
            "self compare",
            PolicyCommand::Delete,
            &["anon"],
            Some("(user_id = user_id)"),
            None,
        ));
        t.policies.push(policy(
            "in a literal",
            PolicyCommand::Insert,
            &["anon"],
            None,
            Some("(note <> 'true'::text)"),
        ));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.tags/tautology"]);
        assert!(
            f[0].message
                .contains("has USING ((1 = 1) OR (user_id = auth.uid())), always true:"),
            "{}",
            f[0].message
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
