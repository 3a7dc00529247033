//! `index-not-concurrently` (warn): `CREATE INDEX` without `CONCURRENTLY` on a table that existed
//! before this migration set.

use super::prelude::*;

pub static RULE: MigrationRule = MigrationRule {
    id: "index-not-concurrently",
    level: Level::Warn,
    what: "CREATE INDEX without CONCURRENTLY on an existing table",
    why: "A plain CREATE INDEX blocks every write to the table until the index is built, which on a large table is an outage",
    fix: "CREATE INDEX CONCURRENTLY in its own migration whose first line is -- deskctl:no-transaction",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter_map(|s| {
            let NodeEnum::IndexStmt(i) = s.node else {
                return None;
            };
            let t = super::qual(i.relation.as_ref()?);
            if i.concurrent || !set.existed_before(&t, &s) {
                return None;
            }
            let name = if i.idxname.is_empty() {
                "an index".to_string()
            } else {
                format!("index {}", i.idxname)
            };
            Some(s.hit(
                format!("{name} is built on existing table {t} without CONCURRENTLY: writes to it wait until the build ends"),
                format!(
                    "CREATE INDEX CONCURRENTLY ... ON {} ... in a file starting with -- deskctl:no-transaction",
                    qident(&t)
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_an_existing_table() {
        let h = hits(
            &RULE,
            &[("V2__a.sql", "create unique index t_a on app.t (a);")],
        );
        assert_eq!(h.len(), 1);
        assert!(
            h[0].starts_with("V2__a.sql:1 index t_a is built on existing table app.t"),
            "{h:?}"
        );
    }

    #[test]
    fn does_not_trigger_concurrently_or_on_new_tables() {
        let h = hits(
            &RULE,
            &[
                (
                    "V1__a.sql",
                    "create table t (a int);\ncreate index on t (a);",
                ),
                (
                    "V2__b.sql",
                    "-- deskctl:no-transaction\ncreate index concurrently on u (a);",
                ),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
