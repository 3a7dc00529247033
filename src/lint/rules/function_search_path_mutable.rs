//! `function-search-path-mutable` (info): a function in an exposed schema without a pinned
//! `search_path` (splinter 0011). SECURITY DEFINER functions are left to
//! `security-definer-search-path`, which reports them at a higher level.

use super::prelude::*;
use crate::catalog::FunctionKind;

pub static RULE: Rule = Rule {
    id: "function-search-path-mutable",
    level: Level::Info,
    what: "a function in an exposed schema without a pinned search_path (SECURITY DEFINER ones: see security-definer-search-path)",
    why: "It resolves unqualified names through the caller's search_path, so what it calls depends on who calls it; a caller able to create objects on that path can change what it does",
    fix: "ALTER FUNCTION ... SET search_path = '' (and schema-qualify the names it uses), or a fixed list such as public, pg_temp",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    cx.functions()
        .filter(|f| {
            cx.is_exposed(&f.schema)
                && !f.from_extension
                && !f.security_definer
                && matches!(f.kind, FunctionKind::Function | FunctionKind::Procedure)
                && f.search_path().is_none()
        })
        .map(|f| {
            let sig = QualName::new(&f.schema, f.signature());
            Finding::new(
                sig.clone(),
                format!("function {} has no SET search_path", cx.show(&sig)),
                format!(
                    "ALTER {} {}.{}({}) SET search_path = '';",
                    if f.kind == FunctionKind::Procedure {
                        "PROCEDURE"
                    } else {
                        "FUNCTION"
                    },
                    ident(&f.schema),
                    ident(&f.name),
                    f.arg_types.join(", ")
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
    fn triggers_on_invoker_functions_and_trigger_functions() {
        let f = run(
            &RULE,
            vec![],
            vec![
                function("slugify", &["text"], "text"),
                function("touch", &[], "trigger"),
            ],
        );
        assert_eq!(keys(&f), ["public.slugify(text)", "public.touch()"]);
        assert_eq!(
            f[0].fix,
            "ALTER FUNCTION public.slugify(text) SET search_path = '';"
        );
    }

    #[test]
    fn does_not_trigger_when_pinned_definer_extension_or_unexposed() {
        let mut pinned = function("a", &[], "void");
        pinned.config = vec!["search_path=public".into()];
        let mut definer = function("b", &[], "void");
        definer.security_definer = true;
        let mut ext = function("c", &[], "void");
        ext.from_extension = true;
        let mut private = function("d", &[], "void");
        private.schema = "private".into();
        assert!(run(&RULE, vec![], vec![pinned, definer, ext, private]).is_empty());
    }
}
