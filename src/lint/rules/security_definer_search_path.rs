//! `security-definer-search-path` (warn): a SECURITY DEFINER function without a pinned
//! `search_path`.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "security-definer-search-path",
    level: Level::Warn,
    what: "a SECURITY DEFINER function without a pinned search_path",
    why: "It runs with its owner's rights but resolves unqualified names through the caller's search_path: a caller who can create objects in a schema on that path can make it run their code",
    fix: "ALTER FUNCTION ... SET search_path = '' (and schema-qualify the names it uses), or SET search_path = public, pg_temp",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.functions()
        .filter(|f| f.security_definer && f.search_path().is_none())
        .map(|f| {
            let sig = QualName::new(&f.schema, f.signature());
            Finding::new(
                sig.clone(),
                format!(
                    "SECURITY DEFINER function {} (owner {}) has no SET search_path",
                    cx.show(&sig),
                    f.owner
                ),
                format!(
                    "ALTER FUNCTION {} SET search_path = '';",
                    sql::function_ref(f)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    #[test]
    fn triggers_without_search_path() {
        let mut f = function("log_activity", &["uuid", "text"], "uuid");
        f.security_definer = true;
        let found = run(&RULE, vec![], vec![f]);
        assert_eq!(keys(&found), ["public.log_activity(uuid, text)"]);
        assert_eq!(
            found[0].fix,
            "ALTER FUNCTION public.log_activity(uuid, text) SET search_path = '';"
        );
    }

    #[test]
    fn does_not_trigger_when_pinned_or_invoker() {
        let mut pinned = function("a", &[], "void");
        pinned.security_definer = true;
        pinned.config = vec!["search_path=\"\"".into()];
        let invoker = function("b", &[], "void");
        assert!(run(&RULE, vec![], vec![pinned, invoker]).is_empty());
    }
}
