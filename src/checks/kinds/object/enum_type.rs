//! Object type `enum` (an enum type): `values`, in order. Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{QualName, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::{Missing, Problem};
use crate::words::closest;

#[derive(Debug, Clone)]
pub struct EnumTypeProps {
    values: Option<Vec<String>>,
}

impl ObjectType for EnumTypeProps {
    const KEY: &'static str = "enum";
    const NOUN: &'static str = "enum type";
    const NOUNS: &'static str = "enum types";
    const PROPERTIES: &'static [&'static str] = &["values"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> EnumTypeProps {
        EnumTypeProps {
            values: raw.values.clone(),
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
        let q = ctx.qual(name);
        let Some(e) = snap.enum_type(&q) else {
            let near = closest(
                &q.name,
                snap.enums
                    .iter()
                    .filter(|e| e.schema == q.schema)
                    .map(|e| e.name.as_str()),
            );
            problems.push(Problem::missing(
                ctx.show(&q),
                Missing::of("enum type").near(near),
            ));
            return ctx.show(&q);
        };
        if let Some(vals) = &self.values {
            if *vals != e.values {
                let missing: Vec<String> = vals
                    .iter()
                    .filter(|v| !e.values.contains(v))
                    .cloned()
                    .collect();
                let extra: Vec<String> = e
                    .values
                    .iter()
                    .filter(|v| !vals.contains(v))
                    .cloned()
                    .collect();
                let mut s = format!(
                    "values are ({}), expected ({})",
                    e.values.join(", "),
                    vals.join(", ")
                );
                if !missing.is_empty() {
                    s.push_str(&format!("; missing {}", missing.join(", ")));
                }
                if !extra.is_empty() {
                    s.push_str(&format!("; unexpected {}", extra.join(", ")));
                }
                if missing.is_empty() && extra.is_empty() {
                    s.push_str("; same values, different order");
                }
                problems.push(Problem::on(ctx.show(&q), s));
            }
        }
        ctx.show(&q)
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
    ) -> Option<Problem> {
        snap.enum_type(&ctx.qual(name))
            .map(|e| Problem::says("enum type", &e.name, "exists"))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;

    #[test]
    fn values_in_order() {
        let k = kit();
        k.passes("[[exists]]\nenum = \"ticket_status\"\nvalues = [\"open\", \"closed\"]\n");
        assert_eq!(k.fails("[[exists]]\nenum = \"ticket_status\"\nvalues = [\"closed\", \"open\"]\n"),
            "ticket_status: values are (open, closed), expected (closed, open); same values, different order");
        assert_eq!(k.fails("[[exists]]\nenum = \"ticket_status\"\nvalues = [\"open\", \"pending\"]\n"),
            "ticket_status: values are (open, closed), expected (open, pending); missing pending; unexpected closed");
        let o = k.eval("[[exists]]\nenum = \"ticket_status\"\n");
        assert_eq!(o.detail(), "enum type ticket_status exists");
    }
}
