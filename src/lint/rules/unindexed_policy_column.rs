//! `unindexed-policy-column` (info): a column a policy compares with the caller (or another
//! table) that does not lead any index.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "unindexed-policy-column",
    level: Level::Info,
    what: "a column compared in an RLS policy (e.g. user_id = auth.uid()) that is not the leading column of any index",
    why: "The policy is added to every query on the table; without an index on the column it filters on, each query scans the whole table",
    fix: "CREATE INDEX on the column",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| t.rls_enabled && !t.is_partition) {
        let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let mut seen: Vec<String> = Vec::new();
        for p in &t.policies {
            for e in [&p.using, &p.with_check].into_iter().flatten() {
                for col in policy::equality_columns(e, &t.name, &names) {
                    if seen.contains(&col) {
                        continue;
                    }
                    seen.push(col.clone());
                    let one = [col.clone()];
                    if super::unindexed_foreign_key::leads_an_index(t, &one) {
                        continue;
                    }
                    out.push(
                        Finding::new(
                            t.qual(),
                            format!(
                                "column {} of {} is compared in policy \"{}\" and leads no index",
                                col,
                                cx.show(&t.qual()),
                                p.name
                            ),
                            format!(
                                "CREATE INDEX ON {} {};",
                                qident(&t.qual()),
                                sql::columns(&one)
                            ),
                        )
                        .part(col),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_an_unindexed_owner_column() {
        let mut t = protected_table("DailyMood");
        t.columns
            .push(crate::catalog::Column::new("userId", "text"));
        t.policies.push(policy(
            "DailyMood_select_own",
            PolicyCommand::Select,
            &["authenticated"],
            Some("((auth.uid())::text = \"userId\")"),
            None,
        ));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.DailyMood/userId"]);
        assert_eq!(
            f[0].fix,
            "CREATE INDEX ON public.\"DailyMood\" (\"userId\");"
        );
    }

    #[test]
    fn does_not_trigger_when_indexed_or_compared_to_a_constant() {
        let mut t = protected_table("t");
        t.columns
            .push(crate::catalog::Column::new("is_internal", "boolean"));
        t.policies.push(policy(
            "no internal",
            PolicyCommand::Select,
            &["authenticated"],
            Some("(is_internal = false)"),
            None,
        ));
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
