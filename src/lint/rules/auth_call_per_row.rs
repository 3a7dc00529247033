//! `auth-call-per-row` (warn): a policy calls `auth.uid()`, `auth.jwt()` (or `auth.role()`,
//! `auth.email()`, `current_setting()`) without wrapping it in `(select ...)`, so it is evaluated
//! once per row instead of once per statement.

use std::collections::HashMap;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "auth-call-per-row",
    level: Level::Warn,
    what: "auth.uid() / auth.jwt() (or auth.role(), auth.email(), current_setting()) in a policy, not wrapped in (select ...)",
    why: "Unwrapped, the function is called once per row scanned; wrapped in (select ...) PostgreSQL evaluates it once per statement (an initplan), which is much faster on large tables",
    fix: "Write (select auth.uid()) instead of auth.uid() in USING and WITH CHECK",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    // Per distinct expression, its unwrapped calls and its rewritten text, worked out once (a
    // parse and two scans): schemas repeat the same few expressions over hundreds of tables.
    let mut seen: HashMap<&str, Option<(Vec<&'static str>, String)>> = HashMap::new();
    for t in cx.tables() {
        for p in &t.policies {
            let mut calls: Vec<String> = Vec::new();
            let mut clauses: Vec<String> = Vec::new();
            for (clause, e) in [("USING", &p.using), ("WITH CHECK", &p.with_check)] {
                let Some(e) = e.as_deref() else { continue };
                let Some((found, fixed)) = seen.entry(e).or_insert_with(|| {
                    let found = policy::unwrapped_calls(e);
                    (!found.is_empty()).then(|| {
                        let fixed = expr::parenthesized(&expr::one_line(&policy::wrap_calls(e)));
                        (found, fixed)
                    })
                }) else {
                    continue;
                };
                clauses.push(format!("{clause} {fixed}"));
                for c in found.iter() {
                    if !calls.iter().any(|x| x == c) {
                        calls.push(c.to_string());
                    }
                }
            }
            if calls.is_empty() {
                continue;
            }
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "policy \"{}\" on {} calls {} once per row",
                        p.name,
                        cx.show(&t.qual()),
                        join_and(&calls)
                    ),
                    format!(
                        "ALTER POLICY {} ON {} {};",
                        ident(&p.name),
                        qident(&t.qual()),
                        clauses.join(" ")
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
    fn triggers_on_unwrapped_auth_uid_with_a_rewritten_fix() {
        let mut t = protected_table("JournalEntry");
        t.policies = vec![policy(
            "JournalEntry_select_own",
            PolicyCommand::Select,
            &["authenticated"],
            Some("((auth.uid())::text = \"userId\")"),
            None,
        )];
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.JournalEntry/JournalEntry_select_own"]);
        assert!(f[0].message.contains("calls auth.uid() once per row"));
        assert_eq!(
            f[0].fix,
            "ALTER POLICY \"JournalEntry_select_own\" ON public.\"JournalEntry\" USING (((select auth.uid()))::text = \"userId\");"
        );
    }

    #[test]
    fn does_not_trigger_when_wrapped() {
        let mut t = protected_table("t");
        t.policies.push(policy(
            "jwt",
            PolicyCommand::Insert,
            &["authenticated"],
            None,
            Some("(( SELECT (auth.jwt() ->> 'email'::text)) = email)"),
        ));
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
