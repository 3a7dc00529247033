//! `materialized-view-in-api` (warn): a materialized view in an exposed schema that anon or
//! authenticated can read (splinter 0016). Those over tables with RLS are reported (as errors)
//! by `view-bypasses-rls` and not again here.

use super::prelude::*;
use super::view_bypasses_rls::rls_tables_read;

pub static RULE: Rule = Rule {
    id: "materialized-view-in-api",
    level: Level::Warn,
    what: "a materialized view in an exposed schema, readable by anon or authenticated (over tables without RLS; with RLS: view-bypasses-rls)",
    why: "A materialized view is a stored copy: no RLS applies to it, and it keeps serving rows after they change or are deleted from the tables it was built from",
    fix: "REVOKE SELECT from anon and authenticated, or move it to a schema the API does not expose",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in cx.relations() {
        if v.kind != RelKind::MaterializedView || v.from_extension {
            continue;
        }
        let (roles, access) = cx.api_roles_holding(v, &["SELECT"]);
        if access.is_empty() || !rls_tables_read(cx, v).is_empty() {
            continue;
        }
        out.push(Finding::new(
            v.qual(),
            format!(
                "materialized view {} can be read by {} through the API",
                cx.show(&v.qual()),
                join_and(&roles)
            ),
            format!(
                "REVOKE SELECT ON {} FROM {};",
                qident(&v.qual()),
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

    fn matview(name: &str, reads: &[&str]) -> Relation {
        let mut m = view(name, reads, false);
        m.kind = RelKind::MaterializedView;
        m
    }

    #[test]
    fn triggers_on_a_readable_materialized_view() {
        let f = run(
            &RULE,
            vec![api_table("t"), matview("stats", &["t"])],
            vec![],
        );
        assert_eq!(keys(&f), ["public.stats"]);
        assert_eq!(
            f[0].fix,
            "REVOKE SELECT ON public.stats FROM anon, authenticated;"
        );
    }

    #[test]
    fn does_not_trigger_when_revoked_or_over_rls_tables() {
        let mut hidden = matview("h", &["t"]);
        hidden.acl = acl(&[("postgres", "SELECT")]);
        let rels = vec![
            api_table("t"),
            protected_table("p"),
            hidden,
            matview("m", &["p"]),
        ];
        assert!(run(&RULE, rels, vec![]).is_empty());
    }
}
