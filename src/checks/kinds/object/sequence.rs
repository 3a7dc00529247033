//! Object type `sequence`: `owned_by` (the column it belongs to), `owner`. Reads only the
//! Snapshot.

use super::{relation, Object, ObjectType};
use crate::catalog::{QualName, RelKind, Snapshot};
use crate::checks::names::{split_column, Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;

#[derive(Debug, Clone)]
pub struct SequenceProps {
    owned_by: Option<String>,
    owner: Option<String>,
}

fn accept(k: RelKind) -> bool {
    k == RelKind::Sequence
}

impl ObjectType for SequenceProps {
    const KEY: &'static str = "sequence";
    const NOUN: &'static str = "sequence";
    const NOUNS: &'static str = "sequences";
    const PROPERTIES: &'static [&'static str] = &["owned_by", "owner"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> SequenceProps {
        SequenceProps {
            owned_by: raw.owned_by.clone(),
            owner: raw.owner.clone(),
        }
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
                if let Some(o) = &self.owner {
                    relation::owner(r, shown, o, problems);
                }
                if let Some(ob) = &self.owned_by {
                    let (tq, col) = split_column(ctx.schema, ob);
                    let actual = r.sequence.as_ref().and_then(|s| s.owned_by.clone());
                    match (tq, actual) {
                        (Some(tq), Some((at, ac))) if tq == at && col == ac => {}
                        (_, Some((at, ac))) => problems.push(Problem::on(
                            shown,
                            format!("owned by {}.{ac}, expected {ob}", ctx.show(&at)),
                        )),
                        (_, None) => problems.push(Problem::on(
                            shown,
                            format!("not owned by any column, expected {ob}"),
                        )),
                    }
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

    #[test]
    fn owned_by() {
        let k = kit();
        k.passes("[[exists]]\nsequence = \"chat_session_seq\"\n");
        assert_eq!(
            k.fails(
                "[[exists]]\nsequence = \"chat_session_seq\"\nowned_by = \"chat_sessions.id\"\n"
            ),
            "chat_session_seq: not owned by any column, expected chat_sessions.id"
        );
    }
}
