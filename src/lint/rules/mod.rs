//! The built-in diagnoses, one file per rule, all of the same shape: a `RULE` constant (id,
//! level, what / why / fix) and a `check` function over the diagnose context returning findings,
//! with unit tests that build a snapshot which triggers it and one which does not.
//!
//! Adding a rule: write `<rule>.rs` like its neighbours, add `mod` and a line to `RULES`, and
//! document it in docs/diagnose.md (a unit test keeps the doc in step with `RULES`).

mod audit_log_truncate;
mod auth_call_per_row;
mod multiple_permissive_policies;
mod no_primary_key;
mod policy_always_true;
mod policy_exists_rls_disabled;
mod policy_user_metadata;
mod rls_disabled_exposed;
mod rls_enabled_no_policy;
mod security_definer_exposed;
mod security_definer_search_path;
mod sensitive_columns_exposed;
mod unindexed_foreign_key;
mod unindexed_policy_column;
mod view_bypasses_rls;

use super::Rule;

/// The sensitive-name test `deskctl lint`'s migration rules share with diagnose.
pub use sensitive_columns_exposed::sensitive;

/// What each rule file needs.
mod prelude {
    pub use crate::catalog::{PolicyCommand, QualName, RelKind, Relation};
    pub use crate::lint::sql::{self, ident, qident};
    pub use crate::lint::{join_and, show_access, Ctx, Finding, Rule};
    pub use crate::report::Level;
}

/// Every rule, in report order: errors first, then warnings, then information.
pub static RULES: &[&Rule] = &[
    &rls_disabled_exposed::RULE,
    &policy_exists_rls_disabled::RULE,
    &view_bypasses_rls::RULE,
    &sensitive_columns_exposed::RULE,
    &policy_user_metadata::RULE,
    &security_definer_search_path::RULE,
    &security_definer_exposed::RULE,
    &policy_always_true::RULE,
    &audit_log_truncate::RULE,
    &auth_call_per_row::RULE,
    &multiple_permissive_policies::RULE,
    &rls_enabled_no_policy::RULE,
    &unindexed_foreign_key::RULE,
    &unindexed_policy_column::RULE,
    &no_primary_key::RULE,
];

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Level;

    #[test]
    fn ids_are_unique_kebab_case_and_ordered_by_level() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        for id in &ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        let levels: Vec<Level> = RULES.iter().map(|r| r.level).collect();
        let mut sorted = levels.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(levels, sorted, "RULES is ordered error, warn, info");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(rule("no-primary-key").is_some());
    }

    #[test]
    fn every_rule_is_documented_with_its_level() {
        let doc = include_str!("../../../docs/diagnose.md");
        for r in RULES {
            let level = match r.level {
                Level::Error => "error",
                Level::Warn => "warn",
                Level::Info => "info",
            };
            let heading = format!("### `{}` ({level})", r.id);
            assert!(doc.contains(&heading), "docs/diagnose.md lacks `{heading}`");
            for text in [r.what, r.why, r.fix] {
                assert!(
                    !text.is_empty() && text.len() < 600,
                    "{}: what/why/fix must be set and short",
                    r.id
                );
            }
        }
    }
}
