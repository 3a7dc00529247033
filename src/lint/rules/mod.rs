//! The built-in diagnoses, one file per rule, all of the same shape: a `RULE` constant (id,
//! level, what / why / fix) and a `check` function over the diagnose context returning findings,
//! with unit tests that build a snapshot which triggers it and one which does not.
//!
//! Adding a rule: write `<rule>.rs` like its neighbours, add `mod` and a line to `RULES`, and
//! document it in docs/diagnose.md (a unit test keeps the doc in step with `RULES`).

mod audit_log_truncate;
mod auth_call_per_row;
mod auth_users_exposed;
mod duplicate_index;
mod extension_in_public;
mod extension_versions_outdated;
mod fkey_to_auth_unique;
mod foreign_table_in_api;
mod function_search_path_mutable;
mod insecure_queue_exposed_in_api;
mod materialized_view_in_api;
mod multiple_permissive_policies;
mod no_primary_key;
mod policy_always_true;
mod policy_exists_rls_disabled;
mod policy_user_metadata;
mod public_bucket_allows_listing;
mod rls_disabled_exposed;
mod rls_enabled_no_policy;
mod security_definer_exposed;
mod security_definer_search_path;
mod security_definer_view;
mod sensitive_columns_exposed;
mod unindexed_foreign_key;
mod unindexed_policy_column;
mod unsupported_reg_types;
mod unused_index;
mod view_bypasses_rls;

use super::Rule;

/// The sensitive-name test `deskctl lint`'s migration rules share with diagnose.
pub use sensitive_columns_exposed::sensitive;

/// What each rule file needs.
mod prelude {
    pub use crate::catalog::{PolicyCommand, QualName, RelKind, Relation};
    pub use crate::findings::Level;
    pub use crate::lint::sql::{self, ident, qident};
    pub use crate::lint::{join_and, show_access, Finding, Rule, RuleCtx};
    pub use crate::sqltext::{expr, policy};
}

/// Every rule, in report order: errors first, then warnings, then information.
pub static RULES: &[&Rule] = &[
    &rls_disabled_exposed::RULE,
    &policy_exists_rls_disabled::RULE,
    &view_bypasses_rls::RULE,
    &auth_users_exposed::RULE,
    &foreign_table_in_api::RULE,
    &insecure_queue_exposed_in_api::RULE,
    &fkey_to_auth_unique::RULE,
    &sensitive_columns_exposed::RULE,
    &policy_user_metadata::RULE,
    &security_definer_search_path::RULE,
    &security_definer_exposed::RULE,
    &security_definer_view::RULE,
    &materialized_view_in_api::RULE,
    &public_bucket_allows_listing::RULE,
    &policy_always_true::RULE,
    &audit_log_truncate::RULE,
    &auth_call_per_row::RULE,
    &multiple_permissive_policies::RULE,
    &duplicate_index::RULE,
    &extension_in_public::RULE,
    &extension_versions_outdated::RULE,
    &unsupported_reg_types::RULE,
    &rls_enabled_no_policy::RULE,
    &unindexed_foreign_key::RULE,
    &unindexed_policy_column::RULE,
    &no_primary_key::RULE,
    &function_search_path_mutable::RULE,
    &unused_index::RULE,
];

/// A rule's remark about its own run.
pub type NoteFn = fn(&super::RuleCtx) -> Option<String>;

/// Remarks some rules make about their own run (shown on the rule's row when it found nothing),
/// e.g. `unused-index` when the statistics are too fresh to judge.
pub static NOTES: &[(&str, NoteFn)] = &[(unused_index::RULE.id, unused_index::note)];

/// The note of rule `id` for this run, if any.
pub fn note(id: &str, cx: &super::RuleCtx) -> Option<String> {
    NOTES
        .iter()
        .find(|(r, _)| *r == id)
        .and_then(|(_, f)| f(cx))
}

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Level;

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
            let row = format!("| `{}` | ", r.id);
            assert!(
                doc.contains(&row),
                "docs/diagnose.md's splinter table lacks `{row}`"
            );
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
