//! Object type `constraint` (a name, or `"*"`: any constraint of `table` with the properties):
//! `table`, `type`, `columns`, `references`, `on_delete`, `on_update`, `definition`. Reads only
//! the Snapshot.

use super::{word, Object, ObjectType};
use crate::catalog::{ConstraintKind, FkAction, QualName, Relation, Snapshot};
use crate::checks::names::{missing_relation, Ctx, Names};
use crate::checks::normalize::squash_sql;
use crate::checks::validator::Validator;
use crate::findings::{Missing, Problem};
use crate::words::{closest, list, plural};

/// `type = "..."` as check files write it.
const TYPES: &[(&str, ConstraintKind)] = &[
    ("primary_key", ConstraintKind::PrimaryKey),
    ("unique", ConstraintKind::Unique),
    ("check", ConstraintKind::Check),
    ("foreign_key", ConstraintKind::ForeignKey),
    ("exclusion", ConstraintKind::Exclusion),
];

/// `on_delete` / `on_update` as check files write them (`_` for a space).
const FK_ACTIONS: &[(&str, FkAction)] = &[
    ("cascade", FkAction::Cascade),
    ("restrict", FkAction::Restrict),
    ("set null", FkAction::SetNull),
    ("set default", FkAction::SetDefault),
    ("no action", FkAction::NoAction),
];

#[derive(Debug, Clone)]
pub struct ConstraintProps {
    kind: Option<ConstraintKind>,
    columns: Option<Vec<String>>,
    /// `references` as written, then the table and (when given) its columns.
    references: Option<(String, String, Option<Vec<String>>)>,
    on_delete: Option<FkAction>,
    on_update: Option<FkAction>,
    definition: Option<String>,
}

impl ObjectType for ConstraintProps {
    const KEY: &'static str = "constraint";
    const NOUN: &'static str = "constraint";
    const NOUNS: &'static str = "constraints";
    const PROPERTIES: &'static [&'static str] = &[
        "table",
        "type",
        "columns",
        "references",
        "on_delete",
        "on_update",
        "definition",
    ];
    const LOCATORS: &'static [&'static str] = &["table"];
    const WILDCARD: bool = true;
    const SHOW_TABLE: bool = true;

    fn classify(raw: &Object, _names: &Names, v: &mut Validator) -> ConstraintProps {
        if raw.table.is_none() {
            v.error(Self::KEY, "a constraint check needs `table`", None);
        }
        let kind = raw
            .type_name
            .as_deref()
            .and_then(|t| word(v, "type", "constraint type", t, TYPES));
        let mut action = |key: &str, value: &Option<String>| {
            value.as_deref().and_then(|a| {
                word(
                    v,
                    key,
                    "foreign key action",
                    &a.replace('_', " "),
                    FK_ACTIONS,
                )
            })
        };
        let on_delete = action("on_delete", &raw.on_delete);
        let on_update = action("on_update", &raw.on_update);
        let references = raw.references.as_ref().map(|r| {
            let (t, cols) = match r.find('(') {
                Some(i) => (
                    &r[..i],
                    Some(
                        r[i + 1..]
                            .trim_end()
                            .trim_end_matches(')')
                            .split(',')
                            .map(|c| c.trim().trim_matches('"').to_string())
                            .collect::<Vec<_>>(),
                    ),
                ),
                None => (r.as_str(), None),
            };
            (r.clone(), t.trim().to_string(), cols)
        });
        ConstraintProps {
            kind,
            columns: raw.columns.clone(),
            references,
            on_delete,
            on_update,
            definition: raw.definition.clone(),
        }
    }

    fn located(_ctx: &Ctx, _name: &str) -> bool {
        true
    }

    fn other_schema_names(&self, out: &mut Vec<String>) {
        if let Some((_, t, _)) = &self.references {
            out.push(t.clone());
        }
    }

    fn needs_expressions(&self) -> bool {
        self.definition.is_some()
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let Some(tq) = table else {
            return name.to_string();
        };
        let Some(r) = snap.relation(tq) else {
            problems.push(missing_relation(ctx, snap, tq, "table", &|k| k.is_table()));
            return name.to_string();
        };
        let tname = ctx.show_rel(r);
        if name == "*" {
            if !r
                .constraints
                .iter()
                .any(|c| self.differences(ctx, c, true).is_empty())
            {
                problems.push(self.no_matching_constraint(ctx, &tname, r));
            }
            return format!("(a matching one) on {tname}");
        }
        match r.constraint(name) {
            None => {
                let near = closest(name, r.constraints.iter().map(|c| c.name.as_str()));
                problems.push(Problem::missing(
                    tname,
                    Missing::named("constraint", name).near(near),
                ));
            }
            Some(c) => {
                for d in self.differences(ctx, c, true) {
                    problems.push(Problem::on(&tname, format!("constraint {name} {d}")));
                }
            }
        }
        name.to_string()
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
    ) -> Option<Problem> {
        table.and_then(|q| snap.relation(q)).and_then(|r| {
            r.constraint(name).map(|c| {
                Problem::says(
                    "constraint",
                    &c.name,
                    format!("exists on {}", ctx.show_rel(r)),
                )
            })
        })
    }
}

impl ConstraintProps {
    /// How `c` differs from the check; `with_definition: false` leaves out the definition
    /// (when a diagnosis shows it anyway).
    fn differences(
        &self,
        ctx: &Ctx,
        c: &crate::catalog::Constraint,
        with_definition: bool,
    ) -> Vec<String> {
        let mut d = Vec::new();
        if let Some(kind) = self.kind {
            if c.kind != kind {
                d.push(format!(
                    "is a {} constraint, expected {}",
                    c.kind.noun(),
                    kind.noun()
                ));
            }
        }
        if let Some(cols) = &self.columns {
            if c.columns != *cols {
                d.push(format!(
                    "columns are ({}), expected ({})",
                    c.columns.join(", "),
                    cols.join(", ")
                ));
            }
        }
        if let Some((written, rt, rcols)) = &self.references {
            let rt = ctx.qual(rt);
            match &c.foreign {
                None => d.push(format!(
                    "is not a foreign key (expected one referencing {written})"
                )),
                Some(fk) => {
                    if fk.table != rt {
                        d.push(format!(
                            "references {}, expected {}",
                            ctx.show(&fk.table),
                            ctx.show(&rt)
                        ));
                    }
                    if let Some(rc) = rcols {
                        if fk.columns != *rc {
                            d.push(format!(
                                "references ({}), expected ({})",
                                fk.columns.join(", "),
                                rc.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        for (what, want, have) in [
            (
                "ON DELETE",
                self.on_delete,
                c.foreign.as_ref().map(|f| f.on_delete),
            ),
            (
                "ON UPDATE",
                self.on_update,
                c.foreign.as_ref().map(|f| f.on_update),
            ),
        ] {
            if let Some(w) = want {
                let have = have.unwrap_or(FkAction::NoAction);
                if c.foreign.is_none() {
                    d.push(format!(
                        "is not a foreign key (expected {what} {})",
                        w.sql()
                    ));
                } else if have != w {
                    d.push(format!(
                        "is {what} {}, expected {what} {}",
                        have.sql(),
                        w.sql()
                    ));
                }
            }
        }
        if let Some(def) = self.definition.as_ref().filter(|_| with_definition) {
            let have = c.definition.as_deref().unwrap_or_default();
            if !squash_sql(have).contains(&squash_sql(def)) {
                d.push(format!(
                    "definition is `{have}`, expected it to contain `{def}`"
                ));
            }
        }
        d
    }

    /// `constraint = "*"` matched nothing on `r`. Without a constraint of the wanted type: "no
    /// check constraint; constraints: ..." (every constraint, kind and columns). Otherwise none
    /// of those matched: say what was wanted and list them, each with its definition (when read,
    /// shortened) and how it differs.
    fn no_matching_constraint(&self, ctx: &Ctx, tname: &str, r: &Relation) -> Problem {
        let kind_word = self
            .kind
            .map(|k| format!("{} ", k.noun()))
            .unwrap_or_default();
        let of_kind: Vec<&crate::catalog::Constraint> = r
            .constraints
            .iter()
            .filter(|c| self.kind.is_none_or(|k| c.kind == k))
            .collect();
        let mut wanted: Vec<String> = Vec::new();
        if let Some(c) = &self.columns {
            wanted.push(format!("on ({})", c.join(", ")));
        }
        if let Some((x, _, _)) = &self.references {
            wanted.push(format!("referencing {x}"));
        }
        for (what, action) in [("ON DELETE", self.on_delete), ("ON UPDATE", self.on_update)] {
            if let Some(a) = action {
                wanted.push(format!("{what} {}", a.sql()));
            }
        }
        if let Some(d) = &self.definition {
            wanted.push(format!("definition containing `{d}`"));
        }
        if of_kind.is_empty() {
            // Nothing of the kind at all: what there is instead.
            let all: Vec<String> = r
                .constraints
                .iter()
                .map(|c| format!("{} ({}, {})", c.name, c.kind.noun(), c.columns.join(", ")))
                .collect();
            return Problem::on(
                tname,
                if all.is_empty() {
                    "has no constraints".to_string()
                } else {
                    format!(
                        "has no {kind_word}constraint; its constraints: {}",
                        list(&all, 10)
                    )
                },
            );
        }
        let present: Vec<String> = of_kind
            .iter()
            .map(|c| {
                let shown = match &c.definition {
                    Some(d) => shorten(d, 80),
                    None => format!("({}, {})", c.kind.noun(), c.columns.join(", ")),
                };
                let diffs = self.differences(ctx, c, false);
                if diffs.is_empty() {
                    format!("{} {shown}", c.name)
                } else {
                    format!("{} {shown} [{}]", c.name, diffs.join("; "))
                }
            })
            .collect();
        Problem::on(
            tname,
            format!(
                "no {kind_word}constraint matches{}; its {kind_word}{}: {}",
                if wanted.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", wanted.join(", "))
                },
                plural(of_kind.len(), "constraint", "constraints"),
                list(&present, 10)
            ),
        )
    }
}

/// `s` on one line, at most `max` characters (`…` marks a cut).
fn shorten(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;
    use crate::checks::kinds::object::tests::kit;
    use crate::checks::testkit::problems;

    #[test]
    fn named_and_wildcard() {
        let k = kit();
        k.passes("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"foreign_key\"\ncolumns = [\"session_id\"]\nreferences = \"chat_sessions(id)\"\non_delete = \"cascade\"\n");
        assert_eq!(k.fails("[[exists]]\nconstraint = \"chat_messages_session_id_fkey\"\ntable = \"chat_messages\"\non_delete = \"set_null\"\nreferences = \"chat_session\"\n"),
            "chat_messages: constraint chat_messages_session_id_fkey references chat_sessions, expected chat_session; chat_messages: constraint chat_messages_session_id_fkey is ON DELETE CASCADE, expected ON DELETE SET NULL");
        k.passes("[[exists]]\nconstraint = \"chat_sessions_pkey\"\ntable = \"chat_sessions\"\ntype = \"primary_key\"\ndefinition = \"primary key (id)\"\n");
        assert_eq!(
            k.fails("[[exists]]\nconstraint = \"chat_sessions_pkey\"\ntable = [\"chat_sessions\", \"chat_messages\", \"nope\"]\n"),
            "chat_messages: no constraint chat_sessions_pkey; nope: no such table"
        );
    }

    #[test]
    fn wildcard_constraint_that_matches_nothing_lists_those_present() {
        let k = kit();
        assert_eq!(
            k.fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_sessions\"\ntype = \"check\"\ndefinition = \"status in ('open')\"\n"),
            "chat_sessions: no check constraint matches (definition containing `status in ('open')`); its check constraints: \
chat_sessions_status_check CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text…, \
chat_sessions_created_check CHECK ((created_at > '2020-01-01 00:00:00+00'::timestamp with time zone))"
        );
        k.passes("[[exists]]\nconstraint = \"*\"\ntable = \"chat_sessions\"\ntype = \"check\"\ndefinition = \"status = any(array['open', 'in_progress'\"\n");
        // Differences other than the definition are given per constraint.
        assert_eq!(
            k.fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"foreign_key\"\ncolumns = [\"session_id\"]\non_delete = \"restrict\"\n"),
            "chat_messages: no foreign key constraint matches (on (session_id), ON DELETE RESTRICT); its foreign key constraint: \
chat_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE [is ON DELETE CASCADE, expected ON DELETE RESTRICT]"
        );
        // No constraint of the kind at all: what there is instead.
        assert_eq!(
            k.fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"check\"\ndefinition = \"x > 0\"\n"),
            "chat_messages: has no check constraint; its constraints: chat_messages_session_id_fkey (foreign key, session_id)"
        );
        assert_eq!(
            k.fails("[[exists]]\nconstraint = \"*\"\ntable = \"ChatMessage\"\n"),
            "ChatMessage: has no constraints"
        );
        assert_eq!(shorten("a  b\n c", 80), "a b c");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn closed_sets_are_checked_at_load() {
        let e = problems("[[exists]]\nconstraint = \"c\"\ntable = \"t\"\ntype = \"foreign\"\non_delete = \"set nul\"\n");
        assert!(e.contains("unknown constraint type `foreign`"), "{e}");
        assert!(e.contains("unknown foreign key action `set nul`"), "{e}");
        let e = problems("[[exists]]\nconstraint = \"c\"\n");
        assert!(e.contains("a constraint check needs `table`"), "{e}");
    }
}
