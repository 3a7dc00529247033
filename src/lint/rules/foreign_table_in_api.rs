//! `foreign-table-in-api` (error): a foreign table in an exposed schema that anon or
//! authenticated can read or write (splinter 0017). Foreign tables cannot have RLS.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "foreign-table-in-api",
    level: Level::Error,
    what: "a foreign table in an exposed schema that anon or authenticated can read or write",
    why: "Row-level security cannot be enabled on a foreign table: whoever holds a privilege on it reaches every row of the remote table, with the credentials of the user mapping",
    fix: "REVOKE ALL from anon and authenticated, or move the foreign table to a schema the API does not expose (serve what users may see through a function that filters by the caller)",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.relations() {
        if t.kind != RelKind::ForeignTable || t.from_extension {
            continue;
        }
        let (roles, access) = cx.api_roles_holding(t, &["SELECT", "INSERT", "UPDATE", "DELETE"]);
        if access.is_empty() {
            continue;
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "foreign table {} (no RLS possible) is reachable through the API: {}",
                cx.show(&t.qual()),
                show_access(&access)
            ),
            format!(
                "REVOKE ALL ON {} FROM {};",
                qident(&t.qual()),
                roles.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    fn foreign(name: &str) -> Relation {
        let mut t = api_table(name);
        t.kind = RelKind::ForeignTable;
        t.constraints.clear();
        t.indexes.clear();
        t
    }

    #[test]
    fn triggers_on_a_foreign_table_anon_can_read() {
        let f = run(&RULE, vec![foreign("remote_orders")], vec![]);
        assert_eq!(keys(&f), ["public.remote_orders"]);
        assert!(
            f[0].message
                .contains("anon (SELECT, INSERT, UPDATE, DELETE)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_when_revoked_or_for_plain_tables() {
        let mut t = foreign("remote");
        t.acl = acl(&[("postgres", "SELECT"), ("service_role", "SELECT")]);
        assert!(run(&RULE, vec![t, protected_table("local")], vec![]).is_empty());
    }
}
