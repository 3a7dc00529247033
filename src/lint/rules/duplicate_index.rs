//! `duplicate-index` (warn): two or more indexes of a table or materialized view with the same
//! access method, keys (order included), uniqueness and predicate (splinter 0009).

use super::prelude::*;
use crate::catalog::Index;

pub static RULE: Rule = Rule {
    id: "duplicate-index",
    level: Level::Warn,
    what: "identical indexes on one table (same method, keys, uniqueness and predicate)",
    why: "Every copy is written on each INSERT/UPDATE and takes space and cache, and the planner uses only one of them",
    fix: "Drop all but one (keep the one backing a primary key or constraint)",
    check,
};

fn same(a: &Index, b: &Index) -> bool {
    a.method == b.method
        && a.columns == b.columns
        && a.key_texts() == b.key_texts()
        && a.unique == b.unique
        && match (&a.predicate, &b.predicate) {
            (None, None) => true,
            (Some(x), Some(y)) => crate::sqltext::expr::same(x, y),
            _ => false,
        }
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.relations() {
        if !(t.kind.is_table() || t.kind == RelKind::MaterializedView) || t.from_extension {
            continue;
        }
        let mut done: Vec<usize> = Vec::new();
        for (i, a) in t.indexes.iter().enumerate() {
            if done.contains(&i) {
                continue;
            }
            let mut group: Vec<&Index> = vec![a];
            for (j, b) in t.indexes.iter().enumerate().skip(i + 1) {
                if same(a, b) {
                    group.push(b);
                    done.push(j);
                }
            }
            if group.len() < 2 {
                continue;
            }
            // Keep the one a constraint needs (primary key first), else the first by name.
            let backs = |ix: &Index| t.constraint(&ix.name).is_some();
            group.sort_by_key(|ix| (!ix.primary, !backs(ix), ix.name.clone()));
            let keep = group[0];
            let drops: Vec<String> = group[1..]
                .iter()
                .map(|ix| {
                    if backs(ix) {
                        format!(
                            "ALTER TABLE {} DROP CONSTRAINT {};",
                            qident(&t.qual()),
                            ident(&ix.name)
                        )
                    } else {
                        format!(
                            "DROP INDEX CONCURRENTLY {};",
                            qident(&QualName::new(&t.schema, &ix.name))
                        )
                    }
                })
                .collect();
            let names: Vec<String> = group.iter().map(|ix| ix.name.clone()).collect();
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "{} {} has identical indexes {} ({} on ({}))",
                        t.kind.noun(),
                        cx.show(&t.qual()),
                        join_and(&names),
                        keep.method,
                        keep.key_texts().join(", ")
                    ),
                    format!("keep {}: {}", keep.name, drops.join(" ")),
                )
                .part(keep.name.clone()),
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
    fn triggers_on_two_identical_indexes_and_keeps_the_primary_key() {
        let mut t = api_table("notes");
        t.indexes.push(index("notes_id_idx", &["id"], false));
        t.indexes[1].unique = true;
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.notes/notes_pkey"]);
        assert!(
            f[0].fix
                .contains("keep notes_pkey: DROP INDEX CONCURRENTLY public.notes_id_idx;"),
            "{}",
            f[0].fix
        );
    }

    #[test]
    fn does_not_trigger_on_different_method_order_uniqueness_or_predicate() {
        let mut t = api_table("notes");
        let mut gin = index("notes_id_gin", &["id"], false);
        gin.unique = true;
        gin.method = "gin".into();
        let plain = index("notes_id_plain", &["id"], false);
        let mut partial = index("notes_user_partial", &["user_id"], false);
        partial.predicate = Some("(user_id IS NOT NULL)".into());
        let other = index("notes_user", &["user_id"], false);
        t.indexes.extend([gin, plain, partial, other]);
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
