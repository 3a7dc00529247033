//! Object type `table` (ordinary, partitioned or foreign): `columns`, `primary_key`, `owner`.
//! Reads only the Snapshot.

use super::{relation, Object, ObjectType};
use crate::catalog::{ConstraintKind, QualName, RelKind, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;

#[derive(Debug, Clone)]
pub struct TableProps {
    columns: Option<Vec<String>>,
    primary_key: Option<Vec<String>>,
    owner: Option<String>,
}

fn accept(k: RelKind) -> bool {
    k.is_table() || k == RelKind::ForeignTable
}

impl ObjectType for TableProps {
    const KEY: &'static str = "table";
    const NOUN: &'static str = "table";
    const NOUNS: &'static str = "tables";
    const PROPERTIES: &'static [&'static str] = &["columns", "primary_key", "owner"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> TableProps {
        TableProps {
            columns: raw.columns.clone(),
            primary_key: raw.primary_key.clone(),
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
                if let Some(cols) = &self.columns {
                    relation::columns(r, shown, cols, problems);
                }
                if let Some(pk) = &self.primary_key {
                    match r
                        .constraints
                        .iter()
                        .find(|c| c.kind == ConstraintKind::PrimaryKey)
                    {
                        None => problems.push(Problem::on(
                            shown,
                            format!("has no primary key, expected ({})", pk.join(", ")),
                        )),
                        Some(c) if c.columns != *pk => problems.push(Problem::on(
                            shown,
                            format!(
                                "primary key is ({}), expected ({})",
                                c.columns.join(", "),
                                pk.join(", ")
                            ),
                        )),
                        _ => {}
                    }
                }
                if let Some(o) = &self.owner {
                    relation::owner(r, shown, o, problems);
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
    fn tables_and_near_misses() {
        let k = kit();
        k.passes("[[exists]]\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        k.passes("[[exists]]\ntable = \"chat_sessions\"\nprimary_key = [\"id\"]\ncolumns = [\"status\"]\n");
        assert_eq!(
            k.fails("[[exists]]\ntable = \"chat_message\"\n"),
            "chat_message: no such table (did you mean chat_messages, ChatMessage?)"
        );
        assert_eq!(
            k.fails("[[exists]]\ntable = \"chat_session_stats\"\n"),
            "chat_session_stats is a view, not a table"
        );
        assert_eq!(k.fails("[[exists]]\ntable = \"chat_messages\"\nprimary_key = [\"id\"]\ncolumns = [\"sesion_id\"]\n"),
            "chat_messages: missing column sesion_id (did you mean session_id?); chat_messages: has no primary key, expected (id)");
        let o = k.eval("[[exists]]\ntable = \"chat_messages\"\ncolumns = [\"a\", \"b\"]\n");
        assert_eq!(o.detail(), "chat_messages: missing columns a, b");
    }

    #[test]
    fn absent_tables() {
        let k = kit();
        let o = k.eval("[[absent]]\ntable = [\"tmp_import\", \"chat_sessions_backup\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail(), "no tables tmp_import, chat_sessions_backup");
        let o = k.eval("[[absent]]\ntable = \"tmp_import\"\n");
        assert_eq!(o.detail(), "no table tmp_import");
        let o = k.eval("[[absent]]\ntable = \"chat_sessions\"\n");
        assert_eq!(
            (o.status, o.detail().as_str()),
            (Status::Fail, "table chat_sessions exists")
        );
        // A view of that name is not a table.
        let o = k.eval("[[absent]]\ntable = \"chat_session_stats\"\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }
}
