//! `multiple-permissive-policies` (warn): several permissive policies apply to the same role and
//! command on one table (PostgreSQL evaluates every one of them for every row).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "multiple-permissive-policies",
    level: Level::Warn,
    what: "several permissive policies for the same role and command on one table",
    why: "PostgreSQL evaluates every permissive policy that applies and ORs the results, for every row: two policies cost two evaluations per row where one combined policy would do",
    fix: "Merge the policies of one role and command into one (conditions joined with OR); make a policy RESTRICTIVE if it must hold in addition",
    check,
};

const COMMANDS: &[PolicyCommand] = &[
    PolicyCommand::Select,
    PolicyCommand::Insert,
    PolicyCommand::Update,
    PolicyCommand::Delete,
];

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| t.rls_enabled) {
        // Roles that can be subject to these policies: those named, plus the API roles (a
        // PUBLIC policy applies to them); never roles that bypass RLS.
        let mut roles: Vec<String> = Vec::new();
        for r in t.policies.iter().flat_map(|p| p.roles.iter()) {
            if r != "public" && !roles.contains(r) {
                roles.push(r.clone());
            }
        }
        for r in cx.api_roles() {
            if !roles.iter().any(|x| x == r) {
                roles.push(r.to_string());
            }
        }
        roles.retain(|r| {
            cx.snap
                .role(r)
                .is_some_and(|i| !i.superuser && !i.bypass_rls)
        });
        let privileges: Vec<Vec<&str>> = roles
            .iter()
            .map(|role| cx.relation_privileges(role, t))
            .collect();
        let mut parts: Vec<String> = Vec::new();
        for cmd in COMMANDS {
            for (role, held) in roles.iter().zip(&privileges) {
                // A role without the privilege never gets to the policies.
                if !held.contains(&cmd.sql()) {
                    continue;
                }
                let applying: Vec<String> = t
                    .policies
                    .iter()
                    .filter(|p| p.permissive && p.command.covers(*cmd))
                    .filter(|p| p.applies_to_public() || p.roles.iter().any(|r| r == role))
                    .map(|p| format!("\"{}\"", p.name))
                    .collect();
                if applying.len() > 1 {
                    parts.push(format!(
                        "{} for {role} ({})",
                        cmd.sql(),
                        applying.join(", ")
                    ));
                }
            }
        }
        if parts.is_empty() {
            continue;
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "table {} has several permissive policies for one role and command: {}",
                cx.show(&t.qual()),
                parts.join("; ")
            ),
            format!(
                "merge each group into one policy ON {} (USING (a) OR (b)); keep service-only policies TO service_role, which bypasses RLS anyway",
                qident(&t.qual())
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
    fn triggers_on_two_select_policies_for_authenticated() {
        let mut t = protected_table("chat_sessions");
        t.policies.push(policy(
            "staff see all",
            PolicyCommand::Select,
            &["authenticated"],
            Some("is_staff()"),
            None,
        ));
        t.policies.push(policy(
            "service",
            PolicyCommand::All,
            &["public"],
            Some("false"),
            None,
        ));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.chat_sessions"]);
        let m = &f[0].message;
        assert!(
            m.contains("SELECT for authenticated (\"own rows\", \"staff see all\", \"service\")"),
            "{m}"
        );
        // anon has only the PUBLIC policy: one is fine.
        assert!(!m.contains("for anon"), "{m}");
    }

    #[test]
    fn does_not_trigger_on_one_policy_per_command_restrictive_or_unprivileged_roles() {
        let mut t = protected_table("t");
        t.policies.push(policy(
            "insert own",
            PolicyCommand::Insert,
            &["authenticated"],
            None,
            Some("x"),
        ));
        let mut r = policy(
            "tenant",
            PolicyCommand::Select,
            &["authenticated"],
            Some("x"),
            None,
        );
        r.permissive = false;
        t.policies.push(r);
        let mut u = protected_table("u");
        u.policies.push(policy(
            "anon a",
            PolicyCommand::Select,
            &["anon"],
            Some("a"),
            None,
        ));
        u.policies.push(policy(
            "anon b",
            PolicyCommand::Select,
            &["anon"],
            Some("b"),
            None,
        ));
        u.acl = all_on_table(&["postgres", "authenticated"]);
        assert!(run(&RULE, vec![t, u], vec![]).is_empty());
    }
}
