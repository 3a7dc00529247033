//! Object type `view`: `security_invoker`, `columns`, `reads`, `owner`. Reads only the Snapshot.

use super::{relation, Object, ObjectType};
use crate::catalog::{QualName, RelKind, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;
use crate::words::list;

#[derive(Debug, Clone)]
pub struct ViewProps {
    security_invoker: Option<bool>,
    columns: Option<Vec<String>>,
    reads: Option<Vec<String>>,
    owner: Option<String>,
}

fn accept(k: RelKind) -> bool {
    k == RelKind::View
}

impl ObjectType for ViewProps {
    const KEY: &'static str = "view";
    const NOUN: &'static str = "view";
    const NOUNS: &'static str = "views";
    const PROPERTIES: &'static [&'static str] = &["security_invoker", "columns", "reads", "owner"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> ViewProps {
        ViewProps {
            security_invoker: raw.security_invoker,
            columns: raw.columns.clone(),
            reads: raw.reads.clone(),
            owner: raw.owner.clone(),
        }
    }

    fn other_schema_names(&self, out: &mut Vec<String>) {
        out.extend(self.reads.iter().flatten().cloned());
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        relation::exists(
            ctx,
            snap,
            name,
            Self::NOUN,
            &accept,
            problems,
            |r, shown, problems| {
                if let Some(cols) = &self.columns {
                    relation::columns(r, shown, cols, problems);
                }
                if let Some(o) = &self.owner {
                    relation::owner(r, shown, o, problems);
                }
                if let Some(si) = self.security_invoker {
                    if si != r.security_invoker() {
                        let reads_rls: Vec<String> = r
                            .view
                            .iter()
                            .flat_map(|v| v.depends_on.iter())
                            .filter(|d| snap.relation(d).is_some_and(|t| t.rls_enabled))
                            .map(|d| ctx.show(d))
                            .collect();
                        let mut s = format!(
                            "security_invoker is {}, expected {}",
                            if r.security_invoker() { "on" } else { "off" },
                            if si { "on" } else { "off" }
                        );
                        if si && !reads_rls.is_empty() {
                            s.push_str(&format!(
                                " (it reads {} with the owner's rights, bypassing their RLS)",
                                list(&reads_rls, 5)
                            ));
                        }
                        problems.push(Problem::on(shown, s));
                    }
                }
                if let Some(reads) = &self.reads {
                    relation::reads(ctx, r, shown, reads, problems);
                }
            },
        )
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
    ) -> Option<Problem> {
        relation::absent(ctx, snap, name, Self::NOUN, &accept)
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::checks::testkit::problems;

    #[test]
    fn security_invoker_and_reads() {
        let k = kit();
        k.passes(
            "[[exists]]\nview = \"security_flagged_chat_sessions\"\nsecurity_invoker = true\n",
        );
        assert_eq!(k.fails("[[exists]]\nview = [\"chat_session_stats\", \"security_flagged_chat_sessions\"]\nsecurity_invoker = true\n"),
            "chat_session_stats: security_invoker is off, expected on (it reads chat_sessions with the owner's rights, bypassing their RLS)");
        k.passes("[[exists]]\nview = \"chat_session_stats\"\nreads = [\"chat_sessions\"]\n");
        assert_eq!(
            k.fails("[[exists]]\nview = \"chat_session_stats\"\nreads = [\"chat_messages\"]\n"),
            "chat_session_stats: does not read chat_messages (reads: chat_sessions)"
        );
    }

    #[test]
    fn properties_of_other_types_are_refused() {
        let e = problems("[[exists]]\nview = \"v\"\nprimary_key = [\"id\"]\n");
        assert!(e.contains("t.toml:3:1: [[exists]] `primary_key` does not apply to a view (its properties: security_invoker, columns, reads, owner)"), "{e}");
        let e = problems("[[absent]]\nview = \"v\"\nsecurity_invoker = true\n");
        assert!(
            e.contains("`security_invoker` does not apply to [[absent]] view"),
            "{e}"
        );
    }
}
