//! Object type `publication` (logical replication, e.g. Supabase Realtime's): `tables`, the
//! member tables it must include (or, in `[[absent]]`, must not). Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{QualName, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;
use crate::words::list;

#[derive(Debug, Clone)]
pub struct PublicationProps {
    tables: Option<Names>,
}

impl ObjectType for PublicationProps {
    const KEY: &'static str = "publication";
    const NOUN: &'static str = "publication";
    const NOUNS: &'static str = "publications";
    const PROPERTIES: &'static [&'static str] = &["tables"];
    const LOCATORS: &'static [&'static str] = &["tables"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> PublicationProps {
        PublicationProps {
            tables: raw.tables.clone(),
        }
    }

    /// A publication's name is not schema-qualified.
    fn schema_names(&self, _ctx: &Ctx, _names: &Names, _out: &mut Vec<String>) {}

    fn other_schema_names(&self, out: &mut Vec<String>) {
        out.extend(
            self.tables
                .iter()
                .flat_map(|n| n.iter())
                .map(str::to_string),
        );
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let Some(p) = snap.publication(name) else {
            problems.push(Problem::absent("publication", name));
            return name.to_string();
        };
        let mut missing = Vec::new();
        for t in self.tables.iter().flat_map(|t| t.iter()) {
            let q = ctx.qual(t);
            if !p.members.contains(&q) {
                missing.push(ctx.show(&q));
            }
        }
        if !missing.is_empty() {
            problems.push(Problem::says(
                "publication",
                name,
                format!(
                    "does not include {}{}",
                    missing.join(", "),
                    if p.members.is_empty() {
                        " (it has no member tables)".to_string()
                    } else {
                        format!(
                            " (members: {})",
                            list(
                                &p.members.iter().map(|m| ctx.show(m)).collect::<Vec<_>>(),
                                10
                            )
                        )
                    }
                ),
            ));
        }
        name.to_string()
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
    ) -> Option<Problem> {
        let p = snap.publication(name)?;
        match &self.tables {
            None => Some(Problem::says("publication", name, "exists")),
            Some(ts) => {
                let members: Vec<String> = ts
                    .iter()
                    .filter(|t| p.members.contains(&ctx.qual(t)))
                    .map(|t| ctx.show(&ctx.qual(t)))
                    .collect();
                (!members.is_empty()).then(|| {
                    Problem::says(
                        "publication",
                        name,
                        format!("includes {}", members.join(", ")),
                    )
                })
            }
        }
    }

    fn absent_detail(&self, names: &Names) -> Option<String> {
        self.tables.as_ref().map(|ts| {
            format!(
                "{} not in publication {}",
                ts.0.join(", "),
                names.0.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::findings::Status;

    #[test]
    fn members() {
        let k = kit();
        k.passes("[[exists]]\npublication = \"supabase_realtime\"\ntables = [\"chat_messages\"]\n");
        assert_eq!(
            k.fails(
                "[[exists]]\npublication = \"supabase_realtime\"\ntables = [\"chat_sessions\"]\n"
            ),
            "publication supabase_realtime does not include chat_sessions (members: chat_messages)"
        );
        let o = k.eval(
            "[[absent]]\npublication = \"supabase_realtime\"\ntables = [\"chat_sessions\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail(),
            "chat_sessions not in publication supabase_realtime"
        );
        let o = k.eval(
            "[[absent]]\npublication = \"supabase_realtime\"\ntables = [\"chat_messages\"]\n",
        );
        assert_eq!(
            o.detail(),
            "publication supabase_realtime includes chat_messages"
        );
    }
}
