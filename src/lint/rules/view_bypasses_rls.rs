//! `view-bypasses-rls` (error): a view without `security_invoker`, or a materialized view, that
//! reads (directly or through other views) a table with row-level security and that anon or
//! authenticated can SELECT in an exposed schema.

use std::collections::HashSet;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "view-bypasses-rls",
    level: Level::Error,
    what: "a view without security_invoker, or a materialized view, over a table with RLS, readable by anon or authenticated",
    why: "Such a view reads its tables with its owner's rights, so their policies are checked against the owner (usually bypassed entirely), not the caller: every API client sees every row through it",
    fix: "ALTER VIEW ... SET (security_invoker = true) (PostgreSQL 15+); a materialized view cannot apply RLS: REVOKE SELECT from anon and authenticated, or move it out of the exposed schemas",
    check,
};

/// Every relation `v` reads, through any chain of views (those outside the scanned schemas
/// included, by name), sorted.
pub(super) fn reads(cx: &RuleCtx, v: &Relation) -> Vec<QualName> {
    let mut seen: HashSet<QualName> = HashSet::new();
    let mut stack: Vec<QualName> = v
        .view
        .iter()
        .flat_map(|i| i.depends_on.iter().cloned())
        .collect();
    while let Some(q) = stack.pop() {
        if !seen.insert(q.clone()) {
            continue;
        }
        if let Some(info) = cx.snap.relation(&q).and_then(|r| r.view.as_ref()) {
            stack.extend(info.depends_on.iter().cloned());
        }
    }
    let mut out: Vec<QualName> = seen.into_iter().collect();
    out.sort();
    out
}

/// Tables with RLS enabled that `v` reads, through any chain of views.
pub(super) fn rls_tables_read<'a>(cx: &RuleCtx<'a>, v: &'a Relation) -> Vec<&'a Relation> {
    reads(cx, v)
        .iter()
        .filter_map(|q| cx.snap.relation(q))
        .filter(|r| r.kind.is_table() && r.rls_enabled)
        .collect()
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in cx.relations() {
        let matview = v.kind == RelKind::MaterializedView;
        if !(matview || (v.kind == RelKind::View && !v.security_invoker())) {
            continue;
        }
        let access = cx.api_access(v, &["SELECT"]);
        if access.is_empty() {
            continue;
        }
        let tables = rls_tables_read(cx, v);
        if tables.is_empty() {
            continue;
        }
        let names: Vec<String> = tables.iter().map(|t| cx.show(&t.qual())).collect();
        let roles: Vec<String> = access.iter().map(|(r, _)| r.to_string()).collect();
        let (what, fix) = if matview {
            (
                format!(
                    "materialized view {} holds rows of {} (RLS cannot apply to it), and {} can SELECT it",
                    cx.show(&v.qual()),
                    join_and(&names),
                    join_and(&roles)
                ),
                format!(
                    "REVOKE SELECT ON {} FROM {}; (serve it through a function or view that filters by the caller, or move it to a schema the API does not expose)",
                    qident(&v.qual()),
                    roles.join(", ")
                ),
            )
        } else {
            (
                format!(
                    "view {} runs with its owner's ({}) rights and reads {}, whose RLS policies it bypasses; {} can SELECT it",
                    cx.show(&v.qual()),
                    v.owner,
                    join_and(&names),
                    join_and(&roles)
                ),
                format!(
                    "ALTER VIEW {} SET (security_invoker = true);",
                    qident(&v.qual())
                ),
            )
        };
        out.push(Finding::new(v.qual(), what, fix));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_a_plain_view_over_an_rls_table() {
        let f = run(
            &RULE,
            vec![
                protected_table("JournalEntry"),
                view("journal_entries", &["JournalEntry"], false),
            ],
            vec![],
        );
        assert_eq!(keys(&f), ["public.journal_entries"]);
        assert!(
            f[0].message.contains("reads JournalEntry"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].fix,
            "ALTER VIEW public.journal_entries SET (security_invoker = true);"
        );
    }

    #[test]
    fn triggers_through_a_chain_of_views_and_on_materialized_views() {
        let mut m = view("stats_mv", &["t"], false);
        m.kind = RelKind::MaterializedView;
        let f = run(
            &RULE,
            vec![
                protected_table("t"),
                view("inner_v", &["t"], true),
                view("outer_v", &["inner_v"], false),
                m,
            ],
            vec![],
        );
        assert_eq!(keys(&f), ["public.outer_v", "public.stats_mv"]);
        assert!(f[1]
            .fix
            .starts_with("REVOKE SELECT ON public.stats_mv FROM anon, authenticated"));
    }

    #[test]
    fn does_not_trigger_with_security_invoker_without_rls_or_without_access() {
        let mut hidden = view("hidden", &["t"], false);
        hidden.acl = all_on_table(&["postgres", "service_role"]);
        let f = run(
            &RULE,
            vec![
                protected_table("t"),
                api_table("open_table"),
                view("invoker", &["t"], true),
                view("over_open", &["open_table"], false),
                hidden,
            ],
            vec![],
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
