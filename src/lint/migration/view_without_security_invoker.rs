//! `view-without-security-invoker` (error): a view created in an exposed schema without
//! `WITH (security_invoker = true)` (PostgreSQL 15+), and no `ALTER VIEW ... SET
//! (security_invoker = true)` for it later in the set.

use super::def_true;
use super::prelude::*;

pub static RULE: MigrationRule = MigrationRule {
    id: "view-without-security-invoker",
    level: Level::Error,
    what: "a view in an exposed schema without security_invoker",
    why: "A view runs with its owner's rights: the row-level security of the tables it reads does not apply to the API roles that query it",
    fix: "CREATE VIEW ... WITH (security_invoker = true) AS ... (PostgreSQL 15+), or keep the view out of the exposed schemas",
    check,
};

fn invoker(opts: &[pg_query::Node]) -> bool {
    def_names(opts)
        .iter()
        .any(|d| d.defname.eq_ignore_ascii_case("security_invoker") && def_true(d))
}

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter_map(|s| {
            let NodeEnum::ViewStmt(v) = s.node else {
                return None;
            };
            let name = super::qual(v.view.as_ref()?);
            if !set.is_exposed(&name.schema) || invoker(&v.options) {
                return None;
            }
            let fixed_later = set.any(|a| {
                s.before(a)
                    && alter_cmds(a.node).is_some_and(|(t, cmds)| {
                        t == name
                            && cmds.iter().any(|c| {
                                c.subtype() == AlterTableType::AtSetRelOptions
                                    && matches!(c.def.as_ref().and_then(|d| d.node.as_ref()),
                                        Some(pg_query::protobuf::node::Node::List(l)) if invoker(&l.items))
                            })
                    })
            });
            (!fixed_later).then(|| {
                s.hit(
                    format!(
                        "view {name} in exposed schema {} runs with its owner's rights (no security_invoker)",
                        name.schema
                    ),
                    format!(
                        "CREATE VIEW {} WITH (security_invoker = true) AS ... (or ALTER VIEW {0} SET (security_invoker = true);)",
                        qident(&name)
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_a_definer_view_in_an_exposed_schema() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "create view stats as select 1;\ncreate or replace view public.s2 with (security_barrier) as select 1;",
            )],
        );
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(h[0].starts_with("V1__a.sql:1 view public.stats"), "{h:?}");
    }

    #[test]
    fn does_not_trigger_with_invoker_alter_or_private_schema() {
        let h = hits(
            &RULE,
            &[
                (
                    "V1__a.sql",
                    "create view a with (security_invoker = true) as select 1;\n\
create view b with (security_invoker) as select 1;\n\
create view private.c as select 1;\ncreate view d as select 1;",
                ),
                ("V2__b.sql", "alter view d set (security_invoker = on);"),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
