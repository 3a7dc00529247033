//! `public-bucket-allows-listing` (warn): a public Storage bucket with a broad SELECT policy on
//! `storage.objects` (no condition, always true, or only `bucket_id = '<bucket>'`), which lets
//! any client list every file (splinter 0025). Conditions are read with PostgreSQL's parser.

use super::prelude::*;
use crate::catalog::Policy;
use crate::sqltext::expr::same;

pub static RULE: Rule = Rule {
    id: "public-bucket-allows-listing",
    level: Level::Warn,
    what: "a public Storage bucket with a broad SELECT policy on storage.objects (anyone may list its files)",
    why: "A public bucket serves its files by URL without any policy; a SELECT policy that only names the bucket also lets every client list every file name in it, which often says more than intended",
    fix: "Drop the broad SELECT policy (public URLs keep working), or narrow it to the caller's own folder, e.g. (storage.foldername(name))[1] = auth.uid()::text",
    check,
};

/// Whether `p` lets API clients list the objects of `bucket`.
fn broad(p: &Policy, bucket: &str) -> bool {
    if !p.permissive || !matches!(p.command, PolicyCommand::Select | PolicyCommand::All) {
        return false;
    }
    if !p
        .roles
        .iter()
        .any(|r| matches!(r.as_str(), "public" | "anon" | "authenticated"))
    {
        return false;
    }
    let Some(using) = &p.using else { return true };
    if policy::always_true(using) {
        return true;
    }
    let lit = bucket.replace('\'', "''");
    [
        format!("bucket_id = '{lit}'"),
        format!("bucket_id = '{lit}'::text"),
        format!("'{lit}' = bucket_id"),
    ]
    .iter()
    .any(|e| same(using, e))
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let storage = &cx.snap.storage;
    let mut out = Vec::new();
    for b in &storage.public_buckets {
        let names: Vec<String> = storage
            .object_policies
            .iter()
            .filter(|p| broad(p, b))
            .map(|p| format!("\"{}\"", p.name))
            .collect();
        if names.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                QualName::new("storage", "buckets"),
                format!(
                    "public bucket {b} can be listed by any client: broad SELECT {} {} on storage.objects",
                    if names.len() == 1 { "policy" } else { "policies" },
                    join_and(&names)
                ),
                format!(
                    "{} (public URLs keep working without it)",
                    names
                        .iter()
                        .map(|n| format!("DROP POLICY {n} ON storage.objects;"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )
            .part(b.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    fn with_storage(buckets: &[&str], policies: Vec<Policy>) -> Vec<Finding> {
        let mut s = snap(vec![], vec![]);
        s.storage.public_buckets = buckets.iter().map(|b| b.to_string()).collect();
        s.storage.object_policies = policies;
        let s = s.finish();
        (RULE.check)(&RuleCtx::new(&s, &["public".to_string()]))
    }

    #[test]
    fn triggers_on_a_bucket_only_policy() {
        let p = policy(
            "Public read",
            PolicyCommand::Select,
            &["public"],
            Some("(bucket_id = 'avatars'::text)"),
            None,
        );
        let f = with_storage(&["avatars"], vec![p]);
        assert_eq!(keys(&f), ["storage.buckets/avatars"]);
        assert!(f[0]
            .fix
            .starts_with("DROP POLICY \"Public read\" ON storage.objects;"));
    }

    #[test]
    fn triggers_on_a_condition_that_is_always_true() {
        let p = |name: &str, using: &str| {
            policy(name, PolicyCommand::Select, &["anon"], Some(using), None)
        };
        let f = with_storage(
            &["a", "b"],
            vec![p("tautology", "((1 = 1) OR (owner = auth.uid()))")],
        );
        assert_eq!(keys(&f), ["storage.buckets/a", "storage.buckets/b"]);
        assert!(with_storage(&["a"], vec![p("self", "(owner = owner)")]).is_empty());
    }

    #[test]
    fn does_not_trigger_on_narrow_policies_or_private_buckets() {
        let own = policy(
            "Own folder",
            PolicyCommand::Select,
            &["authenticated"],
            Some("((bucket_id = 'avatars'::text) AND ((storage.foldername(name))[1] = (auth.uid())::text))"),
            None,
        );
        let other = policy(
            "Other",
            PolicyCommand::Select,
            &["public"],
            Some("(bucket_id = 'docs'::text)"),
            None,
        );
        let insert = policy(
            "Upload",
            PolicyCommand::Insert,
            &["public"],
            None,
            Some("true"),
        );
        assert!(with_storage(&["avatars"], vec![own, other, insert.clone()]).is_empty());
        assert!(with_storage(&[], vec![insert]).is_empty());
    }
}
