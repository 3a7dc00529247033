//! `policy-exists-rls-disabled` (error): a table has policies but row-level security is
//! disabled, so none of them is applied.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "policy-exists-rls-disabled",
    level: Level::Error,
    what: "a table with RLS policies while row-level security is disabled on it",
    why: "Policies do nothing until RLS is enabled: the table is open to every role with privileges on it, whatever the policies say",
    fix: "ENABLE ROW LEVEL SECURITY on the table (the policies then apply); drop the policies if the table is meant to be open",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.tables()
        .filter(|t| !t.rls_enabled && !t.policies.is_empty())
        .map(|t| {
            let names: Vec<String> = t
                .policies
                .iter()
                .map(|p| format!("\"{}\"", p.name))
                .collect();
            Finding::new(
                t.qual(),
                format!(
                    "table {} has {} polic{} ({}) but row-level security is disabled",
                    cx.show(&t.qual()),
                    t.policies.len(),
                    if t.policies.len() == 1 { "y" } else { "ies" },
                    crate::words::list(&names, 6)
                ),
                format!(
                    "ALTER TABLE {} ENABLE ROW LEVEL SECURITY;",
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
    fn triggers_when_policies_exist_and_rls_is_off() {
        let mut t = protected_table("cc_messages");
        t.rls_enabled = false;
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.cc_messages"]);
        assert!(
            f[0].message.contains("1 policy (\"own rows\")"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].fix,
            "ALTER TABLE public.cc_messages ENABLE ROW LEVEL SECURITY;"
        );
    }

    #[test]
    fn does_not_trigger_with_rls_on_or_without_policies() {
        assert!(run(&RULE, vec![protected_table("t"), api_table("u")], vec![]).is_empty());
    }
}
