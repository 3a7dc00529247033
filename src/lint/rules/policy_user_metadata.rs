//! `policy-user-metadata` (error): a policy that decides on `user_metadata` from the JWT (or
//! `raw_user_meta_data` from auth.users), which every user can edit for themselves.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "policy-user-metadata",
    level: Level::Error,
    what: "an RLS policy that reads user_metadata from the JWT (or raw_user_meta_data)",
    why: "Users can change their own user_metadata (supabase.auth.updateUser), so a policy trusting it lets anyone grant themselves the role or tenant it checks",
    fix: "Decide on app_metadata (only the server can set it) or on a table the user cannot write, e.g. a user_roles table read by the policy",
    check,
};

const USER_EDITABLE: &[&str] = &["user_metadata", "raw_user_meta_data"];

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables() {
        for p in &t.policies {
            let exprs: Vec<(&str, &str)> = [("USING", &p.using), ("WITH CHECK", &p.with_check)]
                .into_iter()
                .filter_map(|(k, e)| e.as_deref().map(|e| (k, e)))
                .collect();
            let Some((clause, word)) = exprs.iter().find_map(|(k, e)| {
                USER_EDITABLE
                    .iter()
                    .find(|w| policy::mentions(e, w))
                    .map(|w| (*k, *w))
            }) else {
                continue;
            };
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "policy \"{}\" on {} reads {word} in its {clause} expression",
                        p.name,
                        cx.show(&t.qual())
                    ),
                    format!(
                        "rewrite policy \"{}\" on {} to read app_metadata (auth.jwt() -> 'app_metadata') or a table users cannot write",
                        p.name,
                        qident(&t.qual())
                    ),
                )
                .part(p.name.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_on_user_metadata() {
        let mut t = protected_table("docs");
        t.policies.push(policy(
            "admins",
            PolicyCommand::All,
            &["authenticated"],
            Some("(((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)"),
            None,
        ));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.docs/admins"]);
        assert!(f[0]
            .message
            .contains("reads user_metadata in its USING expression"));
    }

    #[test]
    fn does_not_trigger_on_app_metadata() {
        let mut t = protected_table("docs");
        t.policies.push(policy(
            "admins",
            PolicyCommand::All,
            &["authenticated"],
            Some("(((auth.jwt() -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)"),
            None,
        ));
        assert!(run(&RULE, vec![t], vec![]).is_empty());
    }
}
