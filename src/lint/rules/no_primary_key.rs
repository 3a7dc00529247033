//! `no-primary-key` (info): a table without a primary key.

use super::prelude::*;
use crate::catalog::ConstraintKind;

pub static RULE: Rule = Rule {
    id: "no-primary-key",
    level: Level::Info,
    what: "a table without a primary key",
    why: "Rows cannot be addressed reliably: PostgREST updates and deletes, logical replication (Supabase Realtime) of UPDATE/DELETE and most tools need a key",
    fix: "ALTER TABLE ... ADD PRIMARY KEY on a unique, non-null column (or add an identity column)",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.tables()
        .filter(|t| !t.is_partition)
        .filter(|t| {
            !t.constraints
                .iter()
                .any(|c| c.kind == ConstraintKind::PrimaryKey)
        })
        .map(|t| {
            let candidate = t
                .indexes
                .iter()
                .find(|i| {
                    i.unique
                        && i.valid
                        && i.predicate.is_none()
                        && i.columns
                            .iter()
                            .all(|c| t.column(c).is_some_and(|col| !col.nullable))
                })
                .map(|i| i.columns.clone());
            let fix = match &candidate {
                Some(cols) => format!(
                    "ALTER TABLE {} ADD PRIMARY KEY {};",
                    qident(&t.qual()),
                    sql::columns(cols)
                ),
                None => format!(
                    "ALTER TABLE {} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
                    qident(&t.qual())
                ),
            };
            Finding::new(
                t.qual(),
                format!(
                    "table {} has no primary key{}",
                    cx.show(&t.qual()),
                    candidate
                        .map(|c| format!(" (unique non-null {} could be one)", sql::columns(&c)))
                        .unwrap_or_default()
                ),
                fix,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_without_a_primary_key() {
        let mut t = protected_table("events");
        t.constraints.clear();
        t.indexes.clear();
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.events"]);
        assert!(f[0]
            .fix
            .contains("ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"));
    }

    #[test]
    fn suggests_a_unique_not_null_index_and_ignores_tables_with_a_key() {
        let mut t = protected_table("events");
        t.constraints.clear();
        t.indexes = vec![index("events_event_id_key", &["event_id"], false)];
        t.indexes[0].unique = true;
        let mut c = crate::catalog::Column::new("event_id", "text");
        c.nullable = false;
        t.columns.push(c);
        let f = run(&RULE, vec![t, protected_table("ok")], vec![]);
        assert_eq!(keys(&f), ["public.events"]);
        assert_eq!(
            f[0].fix,
            "ALTER TABLE public.events ADD PRIMARY KEY (event_id);"
        );
    }
}
