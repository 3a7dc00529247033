//! `security-definer-no-search-path` (error): `CREATE FUNCTION ... SECURITY DEFINER` without
//! `SET search_path`, and no `ALTER FUNCTION ... SET search_path` for it later in the set.

use pg_query::protobuf::node;

use super::prelude::*;
use super::{def_true, qual_of};

pub static RULE: MigrationRule = MigrationRule {
    id: "security-definer-no-search-path",
    level: Level::Error,
    what: "a SECURITY DEFINER function without SET search_path",
    why: "It runs with its owner's rights but resolves unqualified names through the caller's search_path: a caller who can create objects in a schema on that path can make it run their code",
    fix: "add SET search_path = '' to the function (and schema-qualify the names it uses)",
    check,
};

/// Whether a function option list sets search_path.
fn sets_search_path(opts: &[pg_query::Node]) -> bool {
    def_names(opts).iter().any(|d| {
        d.defname == "set"
            && matches!(d.arg.as_ref().and_then(|a| a.node.as_ref()),
                Some(node::Node::VariableSetStmt(v)) if v.name.eq_ignore_ascii_case("search_path"))
    })
}

fn is_definer(opts: &[pg_query::Node]) -> bool {
    def_names(opts)
        .iter()
        .any(|d| d.defname == "security" && def_true(d))
}

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter_map(|s| {
            let NodeEnum::CreateFunctionStmt(f) = s.node else {
                return None;
            };
            if !is_definer(&f.options) || sets_search_path(&f.options) {
                return None;
            }
            let name = qual_of(&f.funcname)?;
            let fixed_later = set.any(|a| match a.node {
                NodeEnum::AlterFunctionStmt(af) => {
                    s.before(a)
                        && af.func.as_ref().and_then(|o| qual_of(&o.objname)).as_ref()
                            == Some(&name)
                        && sets_search_path(&af.actions)
                }
                _ => false,
            });
            if fixed_later {
                return None;
            }
            let kind = if f.is_procedure { "procedure" } else { "function" };
            Some(s.hit(
                format!("SECURITY DEFINER {kind} {name} does not set search_path"),
                format!(
                    "add SET search_path = '' to CREATE {} {} (or ALTER {} {}(...) SET search_path = '';)",
                    kind.to_uppercase(),
                    qident(&name),
                    kind.to_uppercase(),
                    qident(&name)
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_without_search_path() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "create function public.log_it(x text) returns void language sql security definer as $$ select 1 $$;\n\
create procedure p() language sql security definer as $$ select 1 $$;",
            )],
        );
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(
            h[0].starts_with("V1__a.sql:1 SECURITY DEFINER function public.log_it"),
            "{h:?}"
        );
        assert!(h[1].contains("procedure public.p"), "{h:?}");
    }

    #[test]
    fn does_not_trigger_when_pinned_altered_or_invoker() {
        let h = hits(
            &RULE,
            &[
                (
                    "V1__a.sql",
                    "create function a() returns int language sql security definer set search_path = '' as $$ select 1 $$;\n\
create function b() returns int language sql security invoker as $$ select 1 $$;\n\
create function c() returns int language sql security definer as $$ select 1 $$;",
                ),
                ("V2__b.sql", "alter function public.c() set search_path = pg_catalog, pg_temp;"),
            ],
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
