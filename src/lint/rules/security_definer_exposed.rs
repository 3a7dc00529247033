//! `security-definer-exposed` (warn): a SECURITY DEFINER function in an exposed schema that anon
//! or authenticated may execute (callable as an RPC).

use super::prelude::*;
use crate::catalog::FunctionKind;

pub static RULE: Rule = Rule {
    id: "security-definer-exposed",
    level: Level::Warn,
    what: "a SECURITY DEFINER function in an exposed schema that anon or authenticated can execute",
    why: "Any API client can call it (POST /rpc/<name>) and it runs with its owner's rights, bypassing RLS: it must check who calls it and for what",
    fix: "REVOKE EXECUTE from PUBLIC, anon (and authenticated unless users must call it); or make it SECURITY INVOKER, or move it to a schema the API does not expose",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in cx.functions() {
        if !f.security_definer
            || !cx.is_exposed(&f.schema)
            || !matches!(f.kind, FunctionKind::Function | FunctionKind::Procedure)
            || f.is_trigger_function()
        {
            continue;
        }
        let who: Vec<String> = cx
            .api_roles()
            .into_iter()
            .filter(|r| cx.schema_usage(r, &f.schema) && cx.can_execute(r, f))
            .map(str::to_string)
            .collect();
        if who.is_empty() {
            continue;
        }
        let via_public = f
            .acl
            .iter()
            .any(|a| &*a.grantee == "PUBLIC" && a.privilege == "EXECUTE");
        let sig = QualName::new(&f.schema, f.signature());
        out.push(Finding::new(
            sig.clone(),
            format!(
                "SECURITY DEFINER function {} (owner {}) can be executed by {}{}",
                cx.show(&sig),
                f.owner,
                join_and(&who),
                if via_public {
                    " (EXECUTE is granted to PUBLIC)"
                } else {
                    ""
                }
            ),
            format!(
                "REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {};",
                sql::function_ref(f),
                who.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_when_the_api_can_execute_a_definer() {
        let mut f = function("assign_ticket", &["uuid"], "void");
        f.security_definer = true;
        let found = run(&RULE, vec![], vec![f]);
        assert_eq!(keys(&found), ["public.assign_ticket(uuid)"]);
        assert!(
            found[0]
                .message
                .contains("anon and authenticated (EXECUTE is granted to PUBLIC)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn does_not_trigger_for_invokers_triggers_or_revoked_execute() {
        let invoker = function("a", &[], "void");
        let mut trig = function("b", &[], "trigger");
        trig.security_definer = true;
        let mut revoked = function("c", &[], "void");
        revoked.security_definer = true;
        revoked.acl = acl(&[("postgres", "EXECUTE"), ("service_role", "EXECUTE")]);
        assert!(run(&RULE, vec![], vec![invoker, trig, revoked]).is_empty());
    }
}
