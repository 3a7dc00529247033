//! `extension-versions-outdated` (warn): an installed extension older than the version the server
//! ships as its default (splinter 0022; versions the server no longer ships are left alone).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "extension-versions-outdated",
    level: Level::Warn,
    what: "an extension whose installed version is not the default version the server ships",
    why: "Extension updates carry security and correctness fixes; the server has the newer scripts, but ALTER EXTENSION ... UPDATE was never run",
    fix: "ALTER EXTENSION ... UPDATE (read the extension's release notes first)",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.snap
        .extensions
        .iter()
        .filter_map(|e| {
            let default = e.default_version.as_deref()?;
            (default != e.version && e.version_available).then(|| {
                Finding::new(
                    QualName::new(&e.schema, &e.name),
                    format!(
                        "extension {} is at version {}; the server ships {default}",
                        e.name, e.version
                    ),
                    format!("ALTER EXTENSION {} UPDATE;", ident(&e.name)),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Extension;
    use crate::lint::testkit::*;

    fn with(exts: Vec<Extension>) -> Vec<Finding> {
        let mut s = snap(vec![], vec![]);
        s.extensions = exts;
        let s = s.finish();
        (RULE.check)(&RuleCtx::new(&s, &["public".to_string()]))
    }

    fn ext(name: &str, version: &str, default: Option<&str>, available: bool) -> Extension {
        Extension {
            name: name.into(),
            version: version.into(),
            schema: "extensions".into(),
            default_version: default.map(str::to_string),
            version_available: available,
        }
    }

    #[test]
    fn triggers_on_an_old_version() {
        let f = with(vec![ext("pg_trgm", "1.5", Some("1.6"), true)]);
        assert_eq!(keys(&f), ["extensions.pg_trgm"]);
        assert_eq!(f[0].fix, "ALTER EXTENSION pg_trgm UPDATE;");
    }

    #[test]
    fn does_not_trigger_when_current_unknown_or_not_shipped() {
        assert!(with(vec![
            ext("a", "1.6", Some("1.6"), true),
            ext("b", "1.0", None, true),
            ext("c", "0.9", Some("1.0"), false),
        ])
        .is_empty());
    }
}
