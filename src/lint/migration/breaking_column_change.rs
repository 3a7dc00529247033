//! `breaking-column-change` (warn): `ALTER COLUMN ... TYPE`, `RENAME COLUMN` or `RENAME TO` on a
//! table that existed before this migration set.

use pg_query::protobuf::ObjectType;

use super::prelude::*;

pub static RULE: MigrationRule = MigrationRule {
    id: "breaking-column-change",
    level: Level::Warn,
    what: "ALTER COLUMN ... TYPE or a rename on an existing table",
    why: "Clients that name the column or table (API queries, generated types, views of other services) break the moment the migration commits; a type change also rewrites the table under an ACCESS EXCLUSIVE lock",
    fix: "expand and contract: add the new column or table, write to both, move the clients, then drop the old one in a later migration",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in set.statements() {
        if let Some((t, cmds)) = alter_cmds(s.node) {
            if !set.existed_before(&t, &s) {
                continue;
            }
            for c in cmds
                .iter()
                .filter(|c| c.subtype() == AlterTableType::AtAlterColumnType)
            {
                out.push(s.hit(
                    format!("the type of column {}.{} of existing table {t} changes: clients reading it may break and the table is rewritten under an exclusive lock", t.name, c.name),
                    format!("add a new column of the new type to {}, backfill it and move clients before dropping {}", qident(&t), c.name),
                ));
            }
        }
        if let NodeEnum::RenameStmt(r) = s.node {
            let Some(t) = r.relation.as_ref().map(super::qual) else {
                continue;
            };
            if !set.existed_before(&t, &s) {
                continue;
            }
            let what = match r.rename_type() {
                ObjectType::ObjectColumn => format!(
                    "column {}.{} is renamed to {}",
                    t.name, r.subname, r.newname
                ),
                ObjectType::ObjectTable => format!("table {t} is renamed to {}", r.newname),
                ObjectType::ObjectView => format!("view {t} is renamed to {}", r.newname),
                _ => continue,
            };
            out.push(s.hit(
                format!("{what} on an existing relation: clients that use the old name break"),
                format!("keep the old name reachable (e.g. a view with the old name over {}) until every client has moved", qident(&t)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_type_change_and_renames() {
        let p = places(
            &RULE,
            &[(
                "V3__a.sql",
                "alter table t alter column a type bigint;\nalter table t rename column b to c;\nalter table t rename to u;",
            )],
        );
        assert_eq!(p, ["V3__a.sql:1", "V3__a.sql:2", "V3__a.sql:3"]);
    }

    #[test]
    fn does_not_trigger_on_tables_created_in_the_set() {
        let p = places(
            &RULE,
            &[
                ("V1__a.sql", "create table t (a int, b int);"),
                ("V2__b.sql", "alter table t alter column a type bigint;\nalter table t rename column b to c;\nalter table t add column d int;"),
            ],
        );
        assert!(p.is_empty(), "{p:?}");
    }
}
