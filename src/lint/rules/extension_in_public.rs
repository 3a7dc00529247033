//! `extension-in-public` (warn): an extension installed in `public` or another exposed schema
//! (splinter 0014; plpgsql aside).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "extension-in-public",
    level: Level::Warn,
    what: "an extension installed in public (or another schema the API exposes)",
    why: "Its functions, types and tables land in a schema every role searches and the API exposes: they become callable RPCs and readable tables, and their names shadow or are shadowed by the application's",
    fix: "ALTER EXTENSION ... SET SCHEMA extensions (when the extension is relocatable; else drop and create it WITH SCHEMA extensions)",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.snap
        .extensions
        .iter()
        .filter(|e| e.name != "plpgsql" && (e.schema == "public" || cx.is_exposed(&e.schema)))
        .map(|e| {
            Finding::new(
                QualName::new(&e.schema, &e.name),
                format!("extension {} {} is installed in schema {}", e.name, e.version, e.schema),
                format!(
                    "CREATE SCHEMA IF NOT EXISTS extensions; ALTER EXTENSION {} SET SCHEMA extensions;",
                    ident(&e.name)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Extension;
    use crate::lint::testkit::*;

    fn ext(name: &str, schema: &str) -> Extension {
        Extension {
            name: name.into(),
            version: "1.0".into(),
            schema: schema.into(),
            default_version: Some("1.0".into()),
            version_available: true,
        }
    }

    #[test]
    fn triggers_in_public_only() {
        let mut s = snap(vec![], vec![]);
        s.extensions = vec![
            ext("pg_trgm", "public"),
            ext("plpgsql", "public"),
            ext("pgcrypto", "extensions"),
        ];
        let s = s.finish();
        let f = (RULE.check)(&RuleCtx::new(&s, &["public".to_string()]));
        assert_eq!(keys(&f), ["public.pg_trgm"]);
        assert!(f[0]
            .fix
            .contains("ALTER EXTENSION pg_trgm SET SCHEMA extensions;"));
    }
}
