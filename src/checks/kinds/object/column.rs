//! Object type `column` (`table.column`, or a name with `table`): `type`, `nullable`,
//! `default`. Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{QualName, RelKind, Snapshot};
use crate::checks::names::{missing_relation, split_column, Ctx, Names};
use crate::checks::normalize::{canonical_type, default_matches};
use crate::checks::validator::Validator;
use crate::findings::{Missing, Problem};
use crate::words::closest;

#[derive(Debug, Clone)]
pub struct ColumnProps {
    type_name: Option<String>,
    nullable: Option<bool>,
    default: Option<String>,
}

impl ObjectType for ColumnProps {
    const KEY: &'static str = "column";
    const NOUN: &'static str = "column";
    const NOUNS: &'static str = "columns";
    const PROPERTIES: &'static [&'static str] = &["table", "type", "nullable", "default"];
    const LOCATORS: &'static [&'static str] = &["table"];

    fn classify(raw: &Object, names: &Names, v: &mut Validator) -> ColumnProps {
        for n in names.iter() {
            if split_column("public", n).0.is_none() && raw.table.is_none() {
                v.error(
                    Self::KEY,
                    format!("column `{n}` needs its table"),
                    Some("write column = \"table.column\", or add table = \"...\"".into()),
                );
            }
        }
        ColumnProps {
            type_name: raw.type_name.clone(),
            nullable: raw.nullable,
            default: raw.default.clone(),
        }
    }

    /// `table.column` names its own table.
    fn located(ctx: &Ctx, name: &str) -> bool {
        split_column(ctx.schema, name).0.is_none()
    }

    fn schema_names(&self, ctx: &Ctx, names: &Names, out: &mut Vec<String>) {
        for n in names.iter() {
            if let (Some(q), _) = split_column(ctx.schema, n) {
                out.push(q.quoted());
            }
        }
    }

    fn needs_expressions(&self) -> bool {
        self.default.is_some()
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let (rel, col) = split_column(ctx.schema, name);
        let Some(rq) = rel.or_else(|| table.cloned()) else {
            problems.push(Problem::on(name, "no table given"));
            return name.to_string();
        };
        let Some(r) = snap.relation(&rq) else {
            problems.push(missing_relation(ctx, snap, &rq, "table", &|k| {
                k != RelKind::Sequence
            }));
            return format!("{}.{col}", ctx.show(&rq));
        };
        let shown = format!("{}.{col}", ctx.show_rel(r));
        let Some(c) = r.column(&col) else {
            let near = closest(&col, r.columns.iter().map(|c| c.name.as_str()));
            problems.push(Problem::missing(
                ctx.show_rel(r),
                Missing::named("column", col).near(near),
            ));
            return shown;
        };
        if let Some(t) = &self.type_name {
            if *t != c.type_name && canonical_type(t) != canonical_type(&c.type_name) {
                problems.push(Problem::on(
                    &shown,
                    format!("type is {}, expected {t}", c.type_name),
                ));
            }
        }
        if let Some(n) = self.nullable {
            if n != c.nullable {
                problems.push(Problem::on(
                    &shown,
                    format!(
                        "is {}, expected {}",
                        if c.nullable { "nullable" } else { "NOT NULL" },
                        if n { "nullable" } else { "NOT NULL" }
                    ),
                ));
            }
        }
        if let Some(d) = &self.default {
            match &c.default {
                Some(a) if default_matches(d, a) => {}
                Some(a) => {
                    problems.push(Problem::on(&shown, format!("default is {a}, expected {d}")))
                }
                None => problems.push(Problem::on(&shown, format!("has no default, expected {d}"))),
            }
        }
        shown
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
    ) -> Option<Problem> {
        let (rel, col) = split_column(ctx.schema, name);
        rel.or_else(|| table.cloned())
            .and_then(|q| snap.relation(&q))
            .and_then(|r| {
                r.column(&col).map(|_| {
                    Problem::says("column", format!("{}.{col}", ctx.show_rel(r)), "exists")
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::checks::testkit::problems;
    use crate::findings::Status;

    #[test]
    fn type_nullable_default() {
        let k = kit();
        k.passes("[[exists]]\ncolumn = \"chat_sessions.status\"\ntype = \"TEXT\"\nnullable = false\ndefault = \"'open'\"\n");
        k.passes("[[exists]]\ncolumn = \"created_at\"\ntable = \"chat_sessions\"\ntype = \"timestamptz\"\n");
        assert_eq!(k.fails("[[exists]]\ncolumn = \"chat_sessions.status\"\ntype = \"varchar(10)\"\nnullable = true\ndefault = \"'closed'\"\n"),
            "chat_sessions.status: type is text, expected varchar(10); chat_sessions.status: is NOT NULL, expected nullable; chat_sessions.status: default is 'open'::text, expected 'closed'");
    }

    #[test]
    fn a_list_of_tables_locates_on_each() {
        let k = kit();
        assert_eq!(
            k.fails(
                "[[exists]]\ncolumn = \"status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n"
            ),
            "chat_messages: no column status"
        );
        let o = k.eval("[[exists]]\ncolumn = \"id\"\ntable = [\"chat_sessions\", \"chat_messages\"]\ntype = \"uuid\"\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "columns chat_sessions.id, chat_messages.id exist with the expected type"
        );
        // A qualified column names its own table.
        k.passes("[[exists]]\ncolumn = \"chat_sessions.status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        let o = k.eval(
            "[[absent]]\ncolumn = \"legacy_id\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "no column legacy_id on chat_sessions, chat_messages"
        );
        let o = k.eval("[[absent]]\ncolumn = \"chat_sessions.status\"\n");
        assert_eq!(o.detail(), "column chat_sessions.status exists");
    }

    #[test]
    fn a_column_needs_its_table() {
        let e = problems("[[exists]]\ncolumn = \"status\"\n");
        assert!(e.contains("column `status` needs its table"), "{e}");
    }
}
