//! `verify --only PATTERN` / `--skip PATTERN`: keep the checks whose id or kind matches an
//! `--only` glob (`*` matches any run of characters), then drop those an `--skip` glob matches.
//! An `--only` pattern that matches no check is an input error (a typo would silently run
//! nothing). Must not touch the database.

use crate::checks::Check;
use crate::config::ConfigError;
use crate::lint::glob;

fn matches(pattern: &str, c: &Check) -> bool {
    glob(pattern, &c.id) || glob(pattern, c.kind())
}

/// Patterns as given: repeated flags and comma-separated lists, blanks dropped.
pub fn patterns(raw: &[String]) -> Vec<String> {
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The checks `--only` / `--skip` select, in file order, and the `--skip` patterns that matched
/// nothing (the caller may warn).
pub fn select(
    checks: Vec<Check>,
    only: &[String],
    skip: &[String],
) -> Result<(Vec<Check>, Vec<String>), ConfigError> {
    let unmatched_only: Vec<&String> = only
        .iter()
        .filter(|p| !checks.iter().any(|c| matches(p, c)))
        .collect();
    if !unmatched_only.is_empty() {
        let mut kinds: Vec<&str> = checks.iter().map(|c| c.kind()).collect();
        kinds.sort();
        kinds.dedup();
        let hint = unmatched_only
            .first()
            .and_then(|p| crate::words::closest(p, checks.iter().map(|c| c.id.as_str())))
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        return Err(ConfigError::Usage(format!(
            "--only {} matches no check id or kind{hint}; kinds here: {}",
            unmatched_only
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            kinds.join(", ")
        )));
    }
    let unmatched_skip: Vec<String> = skip
        .iter()
        .filter(|p| !checks.iter().any(|c| matches(p, c)))
        .cloned()
        .collect();
    let kept = checks
        .into_iter()
        .filter(|c| only.is_empty() || only.iter().any(|p| matches(p, c)))
        .filter(|c| !skip.iter().any(|p| matches(p, c)))
        .collect();
    Ok((kept, unmatched_skip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load() -> Vec<Check> {
        let text = r#"
[[rls]]
id = "rls-chat"
tables = ["a"]
[[count]]
id = "component-tables"
object = "table"
expect = 1
[[count]]
id = "component-views"
object = "view"
expect = 1
[[sql]]
id = "scenario-x"
query = "select 1"
expect = 1
"#;
        crate::checks::load_str(std::path::Path::new("c.toml"), text).unwrap()
    }

    fn ids(v: &[Check]) -> Vec<&str> {
        v.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn only_and_skip_by_id_and_kind() {
        let (k, _) = select(load(), &["count".into()], &[]).unwrap();
        assert_eq!(ids(&k), ["component-tables", "component-views"]);
        let (k, _) = select(
            load(),
            &["component-*".into(), "rls-*".into()],
            &["*views".into()],
        )
        .unwrap();
        assert_eq!(ids(&k), ["rls-chat", "component-tables"]);
        let (k, unmatched) = select(load(), &[], &["sql".into(), "nothing-*".into()]).unwrap();
        assert_eq!(ids(&k), ["rls-chat", "component-tables", "component-views"]);
        assert_eq!(unmatched, ["nothing-*"]);
    }

    #[test]
    fn only_matching_nothing_is_an_error() {
        let e = select(load(), &["rls-chats".into()], &[])
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "--only rls-chats matches no check id or kind (did you mean rls-chat?); kinds here: count, rls, sql"
        );
        assert_eq!(
            patterns(&["a, b".into(), "".into(), "c".into()]),
            ["a", "b", "c"]
        );
    }
}
