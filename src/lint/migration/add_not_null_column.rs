//! `add-not-null-column` (error): `ALTER TABLE ... ADD COLUMN ... NOT NULL` without a default on a
//! table that existed before this migration set.

use pg_query::protobuf::{node, ConstrType};

use super::prelude::*;

pub static RULE: MigrationRule = MigrationRule {
    id: "add-not-null-column",
    level: Level::Error,
    what: "ADD COLUMN ... NOT NULL without DEFAULT on an existing table",
    why: "The statement fails on any table that has rows (the new column would be NULL in each), so the migration works on an empty development database and fails in production",
    fix: "give the column a DEFAULT, or add it nullable, backfill it, then SET NOT NULL in a later migration",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in set.statements() {
        let Some((t, cmds)) = alter_cmds(s.node) else {
            continue;
        };
        if !set.existed_before(&t, &s) {
            continue;
        }
        for c in cmds {
            if c.subtype() != AlterTableType::AtAddColumn {
                continue;
            }
            let Some(node::Node::ColumnDef(d)) = c.def.as_ref().and_then(|d| d.node.as_ref())
            else {
                continue;
            };
            let kinds: Vec<ConstrType> = d
                .constraints
                .iter()
                .filter_map(|c| match c.node.as_ref() {
                    Some(node::Node::Constraint(k)) => Some(k.contype()),
                    _ => None,
                })
                .collect();
            let not_null = d.is_not_null
                || kinds.contains(&ConstrType::ConstrNotnull)
                || kinds.contains(&ConstrType::ConstrPrimary);
            let filled = d.raw_default.is_some()
                || kinds.iter().any(|k| {
                    matches!(
                        k,
                        ConstrType::ConstrDefault
                            | ConstrType::ConstrIdentity
                            | ConstrType::ConstrGenerated
                    )
                });
            if not_null && !filled {
                out.push(s.hit(
                    format!(
                        "column {} is added to existing table {t} as NOT NULL without a default: this fails as soon as the table has a row",
                        d.colname
                    ),
                    format!(
                        "ALTER TABLE {} ADD COLUMN {} ... NOT NULL DEFAULT <value>; or add it nullable, backfill, then SET NOT NULL",
                        qident(&t),
                        crate::lint::sql::ident(&d.colname)
                    ),
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
    fn triggers_on_an_existing_table() {
        let h = hits(
            &RULE,
            &[(
                "V2__a.sql",
                "alter table tickets add column owner uuid not null;\nalter table tickets add column code int primary key, add column x int;",
            )],
        );
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(
            h[0].starts_with("V2__a.sql:1 column owner is added to existing table public.tickets"),
            "{h:?}"
        );
    }

    #[test]
    fn does_not_trigger_with_default_identity_nullable_or_new_table() {
        let h = hits(
            &RULE,
            &[
                ("V1__a.sql", "create table fresh (id int);"),
                (
                    "V2__b.sql",
                    "alter table fresh add column a int not null;\n\
alter table tickets add column b int not null default 0;\n\
alter table tickets add column c int generated always as identity;\n\
alter table tickets add column d int;",
                ),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
