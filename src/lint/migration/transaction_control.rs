//! `transaction-control` (warning): BEGIN / COMMIT / ROLLBACK / SAVEPOINT ... inside a migration
//! that runs in deskctl's transaction, or a statement that cannot run inside one (CREATE INDEX
//! CONCURRENTLY, VACUUM ...) in such a file. Both still apply (the file's own transaction
//! control is honoured; a file with such a statement runs in parts, as the Supabase CLI runs
//! it), so this is a warning about atomicity, not an error that stops `migrate`. Kinds come from
//! `sqltext` (PostgreSQL's parser).

use super::prelude::*;
use crate::sqltext::Kind;

pub static RULE: MigrationRule = MigrationRule {
    id: "transaction-control",
    level: Level::Warn,
    what: "transaction control (BEGIN, COMMIT, ...) or a statement that cannot run in a transaction, inside a transactional migration",
    why: "deskctl runs each migration and its history row in one transaction: with its own COMMIT, or with CREATE INDEX CONCURRENTLY / VACUUM (which make deskctl run the file in parts, as the Supabase CLI does), the file is no longer atomic: if a later statement fails, the earlier parts stay applied",
    fix: "remove BEGIN/COMMIT (deskctl supplies the transaction), or put the statement in its own file whose first line is -- deskctl:no-transaction",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter(|s| set.files[s.file].transactional)
        .filter_map(|s| {
            let kind = set.files[s.file].statements[s.index].kind();
            let what = kind.describe()?;
            match kind {
                Kind::TransactionControl(_) => Some(s.hit(
                    format!(
                        "{what} inside a migration that deskctl already runs in one transaction"
                    ),
                    format!("remove the {what}: deskctl commits the file with its history row"),
                )),
                Kind::NoTransaction(_) => Some(s.hit(
                    format!(
                        "{what} cannot run inside a transaction: this migration will run in parts (not atomically)"
                    ),
                    "move it to its own migration whose first line is -- deskctl:no-transaction, so the rest of the file stays atomic",
                )),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_commit_and_concurrently_in_a_transaction() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "begin;\ncreate table t (a int);\ncommit;\ncreate index concurrently on t (a);",
            )],
        );
        assert_eq!(h.len(), 3, "{h:?}");
        assert!(h[0].starts_with("V1__a.sql:1 BEGIN inside"), "{h:?}");
        assert!(
            h[2].starts_with("V1__a.sql:4 CREATE INDEX CONCURRENTLY cannot run"),
            "{h:?}"
        );
    }

    #[test]
    fn does_not_trigger_outside_a_transaction_or_on_set_local() {
        let h = hits(
            &RULE,
            &[
                ("V1__a.sql", "-- deskctl:no-transaction\ncreate index concurrently on t (a);\nvacuum t;"),
                ("V2__b.sql", "set local statement_timeout = '5s';\ncreate table u ();\ndo $$ begin perform 1; end $$;"),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
