//! `[[rls]]`: row-level security is enabled (and optionally forced) on listed tables, tables
//! matching a LIKE pattern, or every table of the schema. Reads only the Snapshot.

use serde::Deserialize;

use crate::catalog::Snapshot;
use crate::checks::names::{Ctx, Names, Selection};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, StaticCheck};
use crate::findings::{Message, Problem};
use crate::words::{list, plural};

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rls {
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub tables: Option<Names>,
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub all: bool,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub except: Option<Names>,
    /// Expected RLS state [default: true]; `false` asserts RLS is off.
    pub enabled: Option<bool>,
    /// Also require FORCE ROW LEVEL SECURITY (true) or its absence (false).
    pub force: Option<bool>,
}

impl Rls {
    fn selection(&self) -> Selection<'_> {
        Selection {
            names: self.tables.as_ref(),
            pattern: self.pattern.as_deref(),
            all: self.all,
            except: self.except.as_ref(),
        }
    }
}

impl StaticCheck for Rls {
    fn validate(&mut self, v: &mut Validator) {
        self.selection().validate(v, "tables");
    }

    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        self.selection().schemas(ctx.schema)
    }

    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let want = self.enabled.unwrap_or(true);
        let sel = self.selection();
        let found = sel.resolve(ctx, snap, "table", |k| k.is_table());
        let mut problems: Vec<Problem> = found.missing.clone();
        if found.found.is_empty() && problems.is_empty() {
            problems.push(Problem::new(format!(
                "no {} found",
                sel.describe(ctx, "table", "tables")
            )));
        }
        let mut wrong_enabled = Vec::new();
        let mut wrong_force = Vec::new();
        for r in &found.found {
            if r.rls_enabled != want {
                wrong_enabled.push(ctx.show_rel(r));
            }
            if let Some(f) = self.force {
                if r.rls_forced != f {
                    wrong_force.push(ctx.show_rel(r));
                }
            }
        }
        if !wrong_enabled.is_empty() {
            problems.push(Problem::whole(Message::OnTables {
                what: format!("RLS {}", if want { "disabled" } else { "enabled" }),
                tables: wrong_enabled,
            }));
        }
        if !wrong_force.is_empty() {
            problems.push(Problem::whole(Message::OnTables {
                what: format!(
                    "RLS {}",
                    if self.force == Some(true) {
                        "not forced"
                    } else {
                        "forced"
                    }
                ),
                tables: wrong_force,
            }));
        }
        let names: Vec<String> = found.found.iter().map(|r| ctx.show_rel(r)).collect();
        let state = match (want, self.force) {
            (true, Some(true)) => "enabled and forced",
            (true, _) => "enabled",
            (false, _) => "disabled",
        };
        Outcome::from_problems(
            problems,
            format!(
                "RLS {state} on {} {}: {}",
                names.len(),
                plural(names.len(), "table", "tables"),
                list(&names, 10)
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{RelKind, Relation};
    use crate::checks::loader::load_str;
    use crate::checks::testkit::Kit;
    use crate::findings::Status;

    fn snap() -> Snapshot {
        let mut a = Relation::new("public", "cc_cases", RelKind::Table);
        a.rls_enabled = true;
        let mut b = Relation::new("public", "cc_audit_logs", RelKind::Table);
        b.rls_enabled = true;
        b.rls_forced = true;
        let c = Relation::new("public", "ChatMessage", RelKind::Table);
        let v = Relation::new("public", "chat_messages", RelKind::View);
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![a, b, c, v],
            ..Default::default()
        }
        .finish()
    }

    fn kit() -> Kit {
        Kit::new(snap())
    }

    #[test]
    fn outcome_data() {
        insta::assert_json_snapshot!(
            "rls_disabled_and_not_forced",
            kit().eval(
                "[[rls]]\ntables = [\"cc_cases\", \"ChatMessage\", \"nope\"]\nforce = true\n"
            )
        );
    }

    #[test]
    fn listed_pattern_and_all() {
        let o = kit().eval("[[rls]]\ntables = [\"cc_cases\", \"cc_audit_logs\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "RLS enabled on 2 tables: cc_cases, cc_audit_logs"
        );
        assert_eq!(
            kit().eval("[[rls]]\npattern = \"cc_%\"\n").status,
            Status::Pass
        );
        let o = kit().eval("[[rls]]\nall = true\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail(), "RLS disabled on ChatMessage");
        assert_eq!(
            kit()
                .eval("[[rls]]\nall = true\nexcept = [\"ChatMessage\"]\n")
                .status,
            Status::Pass
        );
    }

    #[test]
    fn force_and_disabled() {
        let o = kit().eval("[[rls]]\npattern = \"cc_%\"\nforce = true\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.detail(), "RLS not forced on cc_cases");
        let o = kit().eval("[[rls]]\ntables = \"ChatMessage\"\nenabled = false\n");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.detail(), "RLS disabled on 1 table: ChatMessage");
        let o = kit().eval("[[rls]]\npattern = \"zz%\"\n");
        assert_eq!(o.detail(), "no tables like zz% found");
    }

    #[test]
    fn near_misses_are_named() {
        let o = kit().eval("[[rls]]\ntables = [\"chat_message\", \"chat_messages\"]\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.detail(),
            "chat_message: no such table (did you mean ChatMessage, chat_messages (view)?); chat_messages is a view, not a table"
        );
    }

    #[test]
    fn needs_exactly_one_selection() {
        let e = load_str(std::path::Path::new("t.toml"), "[[rls]]\nforce = true\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("give exactly one of `tables`, `pattern` or `all = true`"),
            "{e}"
        );
    }
}
