//! `unsupported-reg-types` (warn): a column of a reg* type that stores OIDs pg_upgrade cannot
//! carry over (splinter 0018).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "unsupported-reg-types",
    level: Level::Warn,
    what: "a column of type regcollation, regconfig, regdictionary, regnamespace, regoper, regoperator, regproc or regprocedure",
    why: "These types store object OIDs, which change across pg_upgrade: pg_upgrade refuses a database with such columns, so a major-version upgrade is blocked",
    fix: "Store the name instead: ALTER TABLE ... ALTER COLUMN ... TYPE text USING <column>::text (regclass, regrole and regtype are fine)",
    check,
};

/// The reg* types pg_upgrade refuses (their OIDs are not preserved).
const UNSUPPORTED: &[&str] = &[
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
];

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.relations() {
        if t.kind == RelKind::Sequence || t.kind == RelKind::View {
            continue;
        }
        for c in &t.columns {
            let base = c.type_name.trim_end_matches("[]");
            if !UNSUPPORTED.contains(&base) {
                continue;
            }
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "column {}.{} is of type {}, which pg_upgrade cannot carry over",
                        cx.show(&t.qual()),
                        c.name,
                        c.type_name
                    ),
                    format!(
                        "ALTER TABLE {} ALTER COLUMN {} TYPE text{} USING {}::text{};",
                        qident(&t.qual()),
                        ident(&c.name),
                        if base != c.type_name { "[]" } else { "" },
                        ident(&c.name),
                        if base != c.type_name { "[]" } else { "" },
                    ),
                )
                .part(c.name.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_regproc_columns() {
        let mut t = protected_table("jobs");
        t.columns.push(Column::new("handler", "regproc"));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.jobs/handler"]);
        assert_eq!(
            f[0].fix,
            "ALTER TABLE public.jobs ALTER COLUMN handler TYPE text USING handler::text;"
        );
    }

    #[test]
    fn does_not_trigger_on_regclass_regtype_or_text() {
        let mut t = protected_table("jobs");
        for (n, ty) in [
            ("a", "regclass"),
            ("b", "regtype"),
            ("c", "regrole"),
            ("d", "text"),
        ] {
            t.columns.push(Column::new(n, ty));
        }
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
