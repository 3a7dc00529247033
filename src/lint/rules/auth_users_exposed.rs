//! `auth-users-exposed` (error): a view or materialized view in an exposed schema, readable by
//! anon or authenticated, that reads `auth.users` with its owner's rights (splinter 0002).

use super::prelude::*;
use super::view_bypasses_rls::reads;

pub static RULE: Rule = Rule {
    id: "auth-users-exposed",
    level: Level::Error,
    what: "a view or materialized view in an exposed schema, readable by anon or authenticated, over auth.users",
    why: "auth.users holds every user's e-mail, phone and metadata; a view that reads it with its owner's rights (no security_invoker, or a materialized view) hands all of it to any API client",
    fix: "Drop the view or move it to a schema the API does not expose; expose only the columns a user may see, of their own row, through a security_invoker view or a function that filters by auth.uid()",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let users = QualName::new("auth", "users");
    let mut out = Vec::new();
    for v in cx.relations() {
        let matview = v.kind == RelKind::MaterializedView;
        if !(matview || v.kind == RelKind::View) || v.from_extension {
            continue;
        }
        if !reads(cx, v).contains(&users) {
            continue;
        }
        // A security_invoker view applies the caller's rights and auth.users' RLS: exposed
        // only when that table has no RLS (known when auth is among the scanned schemas).
        if v.kind == RelKind::View && v.security_invoker() {
            match cx.snap.relation(&users) {
                Some(u) if !u.rls_enabled => {}
                _ => continue,
            }
        }
        let (roles, access) = cx.api_roles_holding(v, &["SELECT"]);
        if access.is_empty() {
            continue;
        }
        out.push(Finding::new(
            v.qual(),
            format!(
                "{} {} reads auth.users{} and {} can SELECT it",
                v.kind.noun(),
                cx.show(&v.qual()),
                if matview || !v.security_invoker() {
                    " with its owner's rights"
                } else {
                    " (which has no RLS)"
                },
                join_and(&roles)
            ),
            format!(
                "REVOKE SELECT ON {} FROM {}; (or move it to a schema the API does not expose)",
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

    fn over_users(name: &str, invoker: bool) -> Relation {
        let mut v = view(name, &[], invoker);
        v.view.as_mut().unwrap().depends_on = vec![QualName::new("auth", "users")];
        v
    }

    #[test]
    fn triggers_on_a_definer_view_over_auth_users() {
        let f = run(&RULE, vec![over_users("profiles_v", false)], vec![]);
        assert_eq!(keys(&f), ["public.profiles_v"]);
        assert!(
            f[0].message.contains("anon and authenticated"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_for_invoker_views_or_revoked_select() {
        let mut revoked = over_users("b", false);
        revoked.acl = acl(&[("postgres", "SELECT")]);
        assert!(run(&RULE, vec![over_users("a", true), revoked], vec![]).is_empty());
    }
}
