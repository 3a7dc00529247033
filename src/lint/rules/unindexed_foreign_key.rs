//! `unindexed-foreign-key` (info): a foreign key whose columns do not lead any index.

use super::prelude::*;
use crate::catalog::ConstraintKind;

pub static RULE: Rule = Rule {
    id: "unindexed-foreign-key",
    level: Level::Info,
    what: "a foreign key whose columns are not the leading columns of any index",
    why: "Joins on the key, policies that follow it, and every DELETE or key UPDATE on the referenced table (which must find the referencing rows) scan the whole table",
    fix: "CREATE INDEX on the foreign key's columns (in the same order)",
    check,
};

/// Whether some valid index starts with exactly these columns (in any order).
pub fn leads_an_index(t: &Relation, cols: &[String]) -> bool {
    t.indexes.iter().filter(|i| i.valid).any(|i| {
        i.columns.len() >= cols.len() && {
            let lead = &i.columns[..cols.len()];
            cols.iter().all(|c| lead.contains(c))
        }
    })
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| !t.is_partition) {
        for c in t
            .constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::ForeignKey)
        {
            if c.columns.is_empty() || leads_an_index(t, &c.columns) {
                continue;
            }
            let target = c
                .foreign
                .as_ref()
                .map(|f| format!(" (references {})", cx.show(&f.table)))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "foreign key {} on {} {}{target} has no index",
                        c.name,
                        cx.show(&t.qual()),
                        sql::columns(&c.columns)
                    ),
                    format!(
                        "CREATE INDEX ON {} {};",
                        qident(&t.qual()),
                        sql::columns(&c.columns)
                    ),
                )
                .part(c.name.clone()),
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
    fn triggers_on_an_unindexed_foreign_key() {
        let mut t = protected_table("cc_assignments");
        t.constraints
            .push(fk("cc_assignments_case_id_fkey", &["case_id"], "cc_cases"));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(
            keys(&f),
            ["public.cc_assignments/cc_assignments_case_id_fkey"]
        );
        assert_eq!(f[0].fix, "CREATE INDEX ON public.cc_assignments (case_id);");
    }

    #[test]
    fn does_not_trigger_when_an_index_leads_with_the_columns() {
        let mut t = protected_table("m");
        t.constraints.push(fk("m_user_fkey", &["user_id"], "users"));
        t.constraints.push(fk("m_pair_fkey", &["b", "a"], "pairs"));
        t.indexes.push(index("m_a_b_c", &["a", "b", "c"], false));
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
