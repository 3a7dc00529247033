//! `table-without-rls` (error): a table created in an exposed schema and no
//! `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` for it anywhere in the migration set.

use super::prelude::*;
use super::{created_table, enables_rls};

pub static RULE: MigrationRule = MigrationRule {
    id: "table-without-rls",
    level: Level::Error,
    what: "a table created in an exposed schema without ENABLE ROW LEVEL SECURITY in the same migration set",
    why: "API clients reach every row of a table without row-level security as far as their grants go; on Supabase anon and authenticated get those grants by default",
    fix: "ALTER TABLE <table> ENABLE ROW LEVEL SECURITY; in the same migration, with the policies its clients need",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter_map(|s| {
            let t = created_table(s.node)?;
            if !set.is_exposed(&t.schema) || enables_rls(set, &t) {
                return None;
            }
            Some(s.hit(
                format!(
                    "table {t} is created in exposed schema {} and row-level security is never enabled on it in this migration set",
                    t.schema
                ),
                format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", qident(&t)),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_a_new_exposed_table_without_rls() {
        let h = hits(
            &RULE,
            &[
                (
                    "V1__a.sql",
                    "create table notes (id int);\ncreate table private.keys (id int);",
                ),
                (
                    "V2__b.sql",
                    "create table public.\"Tags\" as select 1 as id;",
                ),
            ],
        );
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(h[0].starts_with("V1__a.sql:1 table public.notes"), "{h:?}");
        assert!(h[0].ends_with("| ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;"));
        assert!(h[1].contains("ALTER TABLE public.\"Tags\" ENABLE"), "{h:?}");
    }

    #[test]
    fn does_not_trigger_when_enabled_anywhere_in_the_set() {
        let h = hits(
            &RULE,
            &[
                ("V1__a.sql", "create table notes (id int);"),
                (
                    "V2__b.sql",
                    "alter table public.notes enable row level security;",
                ),
                (
                    "V3__c.sql",
                    "create table old_name (id int);\nalter table old_name rename to new_name;",
                ),
                (
                    "V4__d.sql",
                    "alter table new_name enable row level security;",
                ),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
