//! `drop-policy-without-replacement` (warn): `DROP POLICY` with no `CREATE POLICY` on the same
//! table after it in the same file.

use pg_query::protobuf::{node, ObjectType};

use super::prelude::*;
use super::strings;

pub static RULE: MigrationRule = MigrationRule {
    id: "drop-policy-without-replacement",
    level: Level::Warn,
    what: "DROP POLICY without a CREATE POLICY on the same table later in the same file",
    why: "Between this migration and the one that adds the replacement, the table's access changes: a dropped permissive policy locks users out, a dropped restrictive one opens rows",
    fix: "create the replacement policy in the same migration, right after the DROP (one transaction: no window)",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in set.statements() {
        let NodeEnum::DropStmt(d) = s.node else {
            continue;
        };
        if d.remove_type() != ObjectType::ObjectPolicy {
            continue;
        }
        for o in &d.objects {
            let Some(node::Node::List(l)) = o.node.as_ref() else {
                continue;
            };
            let names = strings(&l.items);
            let Some((policy, table)) = names.split_last() else {
                continue;
            };
            let Some(t) = super::qual_from(table) else {
                continue;
            };
            let replaced = set.any(|c| {
                c.file == s.file
                    && s.before(c)
                    && matches!(c.node, NodeEnum::CreatePolicyStmt(p)
                        if p.table.as_ref().map(super::qual).as_ref() == Some(&t))
            });
            if !replaced {
                out.push(s.hit(
                    format!("policy \"{policy}\" on {t} is dropped and no policy on {t} is created after it in this file"),
                    format!("CREATE POLICY ... ON {} ...; right after the DROP, in this file", qident(&t)),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_without_a_replacement_in_the_same_file() {
        let h = hits(
            &RULE,
            &[
                (
                    "V1__a.sql",
                    "drop policy if exists \"Users read own\" on public.notes;",
                ),
                ("V2__b.sql", "create policy x on notes using (true);"),
            ],
        );
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(
            h[0].starts_with("V1__a.sql:1 policy \"Users read own\" on public.notes"),
            "{h:?}"
        );
    }

    #[test]
    fn does_not_trigger_when_replaced_after_it() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "drop policy p on notes;\ncreate policy p on public.notes to authenticated using (true);",
            )],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
