//! Object type `materialized_view`: `columns`, `reads`, `owner`. Reads only the Snapshot.

use super::{relation, Object, ObjectType};
use crate::catalog::{QualName, RelKind, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;

#[derive(Debug, Clone)]
pub struct MaterializedViewProps {
    columns: Option<Vec<String>>,
    reads: Option<Vec<String>>,
    owner: Option<String>,
}

fn accept(k: RelKind) -> bool {
    k == RelKind::MaterializedView
}

impl ObjectType for MaterializedViewProps {
    const KEY: &'static str = "materialized_view";
    const NOUN: &'static str = "materialized view";
    const NOUNS: &'static str = "materialized views";
    const PROPERTIES: &'static [&'static str] = &["columns", "reads", "owner"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> MaterializedViewProps {
        MaterializedViewProps {
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
    use crate::findings::Status;

    #[test]
    fn a_view_is_not_a_materialized_view() {
        let k = kit();
        assert_eq!(
            k.fails("[[exists]]\nmaterialized_view = \"chat_session_stats\"\n"),
            "chat_session_stats is a view, not a materialized view"
        );
        let o = k.eval("[[absent]]\nmaterialized_view = \"chat_session_stats\"\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail(), "no materialized view chat_session_stats");
    }
}
