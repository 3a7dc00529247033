//! Object type `index` (a name, or `"*"`: any index of `table` with the properties): `table`,
//! `columns` (key columns or expressions, with optional sort order), `unique`. An INVALID index
//! does not count. Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{IndexKey, QualName, Relation, Snapshot};
use crate::checks::names::{missing_relation, split_name, Ctx, Names};
use crate::checks::normalize::squash_sql;
use crate::checks::validator::Validator;
use crate::findings::{Missing, Present, Problem};
use crate::words::{closest, list};

#[derive(Debug, Clone)]
pub struct IndexProps {
    /// `columns` as written, and parsed.
    columns: Option<(Vec<String>, Vec<WantKey>)>,
    unique: Option<bool>,
}

impl ObjectType for IndexProps {
    const KEY: &'static str = "index";
    const NOUN: &'static str = "index";
    const NOUNS: &'static str = "indexes";
    const PROPERTIES: &'static [&'static str] = &["table", "columns", "unique"];
    const LOCATORS: &'static [&'static str] = &["table"];
    const WILDCARD: bool = true;

    fn classify(raw: &Object, names: &Names, v: &mut Validator) -> IndexProps {
        if names.iter().any(|n| n == "*") && raw.table.is_none() {
            v.error(Self::KEY, "`index = \"*\"` needs `table`", None);
        }
        IndexProps {
            columns: raw.columns.as_ref().map(|cols| {
                (
                    cols.clone(),
                    cols.iter().map(|c| WantKey::parse(c)).collect(),
                )
            }),
            unique: raw.unique,
        }
    }

    fn located(_ctx: &Ctx, _name: &str) -> bool {
        true
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        if name == "*" {
            let Some(tq) = table else {
                return name.to_string();
            };
            let Some(r) = snap.relation(tq) else {
                problems.push(missing_relation(ctx, snap, tq, "table", &|k| k.is_table()));
                return name.to_string();
            };
            if !r
                .indexes
                .iter()
                .any(|ix| ix.valid && self.differences(ix).is_empty())
            {
                // A matching index that is INVALID does not count: say so and how to rebuild it.
                if let Some(ix) = r
                    .indexes
                    .iter()
                    .find(|ix| !ix.valid && self.differences(ix).is_empty())
                {
                    problems.push(invalid_index(ctx, r, ix));
                    return format!("(a matching one) on {}", ctx.show_rel(r));
                }
                let want = format!(
                    "{}index{}",
                    if self.unique == Some(true) {
                        "unique "
                    } else {
                        ""
                    },
                    self.columns
                        .as_ref()
                        .map(|(c, _)| format!(" on ({})", c.join(", ")))
                        .unwrap_or_default()
                );
                let present: Vec<String> = r
                    .indexes
                    .iter()
                    .map(|i| format!("{} ({})", i.name, i.key_texts().join(", ")))
                    .collect();
                problems.push(Problem::on(
                    ctx.show_rel(r),
                    format!(
                        "no {want}; indexes: {}",
                        if present.is_empty() {
                            "none".to_string()
                        } else {
                            list(&present, 10)
                        }
                    ),
                ));
            }
            return format!("(a matching one) on {}", ctx.show_rel(r));
        }
        let q = named(ctx, name, table);
        match snap.index(&q) {
            None => {
                let mut m = Missing::of("index");
                if let Some(r) = table.and_then(|t| snap.relation(t)) {
                    m = m.near(closest(&q.name, r.indexes.iter().map(|i| i.name.as_str())));
                    if m.near.is_empty() {
                        m.present = Some(Present {
                            nouns: "indexes".into(),
                            on: Some(ctx.show_rel(r)),
                            names: r.indexes.iter().map(|i| i.name.clone()).collect(),
                        });
                    }
                }
                problems.push(Problem::missing(ctx.show(&q), m));
                ctx.show(&q)
            }
            Some((r, ix)) => {
                if let Some(t) = table {
                    if r.qual() != *t {
                        problems.push(Problem::on(
                            &ix.name,
                            format!("is on {}, not {}", ctx.show_rel(r), ctx.show(t)),
                        ));
                    }
                }
                for d in self.differences(ix) {
                    problems.push(Problem::on(&ix.name, d));
                }
                if !ix.valid {
                    problems.push(invalid_index(ctx, r, ix));
                }
                ix.name.clone()
            }
        }
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
    ) -> Option<Problem> {
        snap.index(&named(ctx, name, table)).map(|(r, i)| {
            let mut s = format!("exists on {}", ctx.show_rel(r));
            if !i.valid {
                // Left behind by a failed CREATE INDEX CONCURRENTLY: say how to drop it.
                s.push_str(&format!(
                    " (INVALID, e.g. left by a failed CREATE INDEX CONCURRENTLY; drop it: \
DROP INDEX CONCURRENTLY {};)",
                    QualName::new(&r.schema, &i.name).quoted()
                ));
            }
            Problem::says("index", &i.name, s)
        })
    }
}

/// The index `name`: in `table`'s schema when located, else as qualified.
fn named(ctx: &Ctx, name: &str, table: Option<&QualName>) -> QualName {
    match table {
        Some(t) => QualName::new(&t.schema, ctx.qual(name).name),
        None => ctx.qual(name),
    }
}

impl IndexProps {
    /// How `ix` differs from the check's `columns` and `unique`.
    fn differences(&self, ix: &crate::catalog::Index) -> Vec<String> {
        let mut d = Vec::new();
        if let Some((cols, want)) = &self.columns {
            let same_len = want.len() == ix.columns.len();
            let same_keys = same_len
                && want
                    .iter()
                    .enumerate()
                    .all(|(i, w)| w.same_key(&ix.columns[i], ix.key(i)));
            let same_order = want
                .iter()
                .enumerate()
                .all(|(i, w)| w.same_order(ix.key(i)));
            if !(same_keys && same_order) {
                let mut m = format!(
                    "columns are ({}), expected ({})",
                    ix.key_texts().join(", "),
                    cols.join(", ")
                );
                if same_keys {
                    // The same keys: only their sort order differs, say where.
                    let orders: Vec<String> = want
                        .iter()
                        .enumerate()
                        .filter(|(i, w)| !w.same_order(ix.key(*i)))
                        .filter_map(|(i, w)| {
                            w.order.map(|o| {
                                format!(
                                    "{} is {}, expected {}",
                                    ix.columns[i],
                                    ix.key(i).order(),
                                    o.order()
                                )
                            })
                        })
                        .collect();
                    m.push_str(&format!(": {}", orders.join(", ")));
                }
                d.push(m);
            }
        }
        if let Some(u) = self.unique {
            if u != ix.unique {
                d.push(format!(
                    "is {}unique, expected {}unique",
                    if ix.unique { "" } else { "not " },
                    if u { "" } else { "not " }
                ));
            }
        }
        d
    }
}

/// An INVALID index (a failed or interrupted CREATE INDEX CONCURRENTLY / REINDEX CONCURRENTLY):
/// queries do not use it and, unique, it enforces nothing. Names it and says how to rebuild it.
fn invalid_index(ctx: &Ctx, r: &Relation, ix: &crate::catalog::Index) -> Problem {
    let q = QualName::new(&r.schema, &ix.name).quoted();
    let message = format!(
        "index on {} is INVALID (a failed or interrupted CREATE INDEX CONCURRENTLY or \
REINDEX): queries do not use it{}; rebuild it: REINDEX INDEX CONCURRENTLY {q}; (or DROP INDEX \
CONCURRENTLY {q}; and create it again)",
        ctx.show_rel(r),
        if ix.unique {
            " and it enforces no uniqueness"
        } else {
            ""
        }
    );
    Problem::on(&ix.name, message)
}

/// One key column of an index check's `columns` as written: a column (`created_at`,
/// `"CreatedAt"`) or an expression (`lower(email)`), optionally followed by its sort order as in
/// CREATE INDEX (`DESC`, `ASC NULLS FIRST`, ...). Without one, any sort order matches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WantKey {
    text: String,
    /// The written order (NULLS defaulting as in SQL: FIRST for DESC, LAST for ASC).
    order: Option<IndexKey>,
}

impl WantKey {
    fn parse(raw: &str) -> WantKey {
        // `head WORD` with WORD matched case-insensitively and a non-empty head.
        fn strip_word<'a>(s: &'a str, words: &[&str]) -> Option<(&'a str, String)> {
            let (head, last) = s.trim_end().rsplit_once(char::is_whitespace)?;
            let up = last.to_ascii_uppercase();
            (words.contains(&up.as_str()) && !head.trim().is_empty()).then(|| (head.trim_end(), up))
        }
        let mut rest = raw.trim();
        let mut nulls_first = None;
        if let Some((head, which)) = strip_word(rest, &["FIRST", "LAST"]) {
            if let Some((h, _)) = strip_word(head, &["NULLS"]) {
                nulls_first = Some(which == "FIRST");
                rest = h;
            }
        }
        let mut desc = None;
        if let Some((head, dir)) = strip_word(rest, &["ASC", "DESC"]) {
            desc = Some(dir == "DESC");
            rest = head;
        }
        let text = match split_name(rest).as_slice() {
            [one] if rest.starts_with('"') => one.clone(),
            _ => rest.to_string(),
        };
        let order = (desc.is_some() || nulls_first.is_some()).then(|| {
            let desc = desc.unwrap_or(false);
            IndexKey {
                expression: false,
                desc,
                nulls_first: nulls_first.unwrap_or(desc),
            }
        });
        WantKey { text, order }
    }

    /// The same column (exactly) or expression (spacing, parentheses, casts and case ignored).
    fn same_key(&self, actual: &str, key: IndexKey) -> bool {
        if key.expression {
            squash_sql(&self.text) == squash_sql(actual)
        } else {
            self.text == actual
        }
    }

    fn same_order(&self, key: IndexKey) -> bool {
        self.order
            .is_none_or(|o| o.desc == key.desc && o.nulls_first == key.nulls_first)
    }
}

#[cfg(test)]
mod tests {
    use super::WantKey;
    use crate::checks::kinds::object::tests::{kit, snap};
    use crate::checks::testkit::Kit;
    use crate::findings::Status;

    #[test]
    fn named_and_wildcard() {
        let k = kit();
        k.passes("[[exists]]\nindex = \"idx_chat_sessions_status\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\nunique = false\n");
        k.passes("[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\n");
        assert_eq!(k.fails("[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"created_at\"]\n"),
            "chat_sessions: no index on (created_at); indexes: idx_chat_sessions_status (status)");
        assert_eq!(
            k.fails("[[exists]]\nindex = \"*\"\ntable = [\"chat_sessions\", \"chat_messages\"]\ncolumns = [\"status\"]\n"),
            "chat_messages: no index on (status); indexes: idx_chat_messages_lower_body (lower(body)), idx_chat_messages_session_created (session_id, created_at DESC)"
        );
        let o = k.eval("[[absent]]\nindex = \"idx_chat_sessions_status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        assert_eq!(
            o.detail(),
            "index idx_chat_sessions_status exists on chat_sessions"
        );
    }

    #[test]
    fn pass_details_pluralise() {
        let k = kit();
        let o = k.eval("[[exists]]\nindex = \"idx_chat_sessions_status\"\n");
        assert_eq!(o.detail(), "index idx_chat_sessions_status exists");
        let o = k.eval("[[exists]]\nindex = [\"idx_chat_sessions_status\", \"*\"]\ntable = \"chat_sessions\"\n");
        assert_eq!(
            o.detail(),
            "indexes idx_chat_sessions_status, (a matching one) on chat_sessions exist"
        );
    }

    #[test]
    fn an_invalid_index_fails_exists_naming_it_and_how_to_rebuild() {
        let k = kit();
        let mut s = snap();
        let r = s
            .relations
            .iter_mut()
            .find(|r| r.name == "chat_sessions")
            .unwrap();
        r.indexes[0].valid = false;
        let invalid = Kit::new(s.finish());
        for toml in [
            "[[exists]]\nindex = \"idx_chat_sessions_status\"\n",
            "[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\n",
        ] {
            let o = invalid.eval(toml);
            assert_eq!(o.status, Status::Fail, "{toml}: {o:?}");
            assert!(
                o.detail()
                    .contains("idx_chat_sessions_status: index on chat_sessions is INVALID")
                    && o.detail().contains(
                        "REINDEX INDEX CONCURRENTLY \"public\".\"idx_chat_sessions_status\";"
                    ),
                "{}",
                o.detail()
            );
        }
        let o = invalid.eval("[[absent]]\nindex = \"idx_chat_sessions_status\"\n");
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.detail()
                .contains("INVALID, e.g. left by a failed CREATE INDEX CONCURRENTLY; drop it: DROP INDEX CONCURRENTLY \"public\".\"idx_chat_sessions_status\";"),
            "{}",
            o.detail()
        );
        // The valid index still passes.
        k.passes("[[exists]]\nindex = \"idx_chat_sessions_status\"\n");
    }

    #[test]
    fn index_key_order_and_expressions() {
        let k = kit();
        let key = |raw: &str| {
            let w = WantKey::parse(raw);
            (w.text, w.order.map(|o| o.order()))
        };
        assert_eq!(key("created_at"), ("created_at".into(), None));
        assert_eq!(
            key("created_at desc"),
            ("created_at".into(), Some("DESC".into()))
        );
        assert_eq!(
            key("\"CreatedAt\"  DESC   NULLS LAST"),
            ("CreatedAt".into(), Some("DESC NULLS LAST".into()))
        );
        assert_eq!(
            key("x nulls first"),
            ("x".into(), Some("ASC NULLS FIRST".into()))
        );
        assert_eq!(key("x ASC"), ("x".into(), Some("ASC".into())));
        assert_eq!(
            key("lower(email) DESC"),
            ("lower(email)".into(), Some("DESC".into()))
        );
        assert_eq!(key("desc"), ("desc".into(), None));
        let idx = "[[exists]]\nindex = \"idx_chat_messages_session_created\"\ntable = \"chat_messages\"\n";
        // Without an order any order matches; with one it must be the index's.
        k.passes(&format!(
            "{idx}columns = [\"session_id\", \"created_at\"]\n"
        ));
        k.passes(&format!(
            "{idx}columns = [\"session_id ASC\", \"created_at DESC\"]\n"
        ));
        k.passes(&format!(
            "{idx}columns = [\"session_id\", \"created_at desc nulls first\"]\n"
        ));
        assert_eq!(
            k.fails(&format!("{idx}columns = [\"session_id\", \"created_at ASC\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (session_id, created_at ASC): created_at is DESC, expected ASC"
        );
        assert_eq!(
            k.fails(&format!("{idx}columns = [\"session_id\", \"created_at DESC NULLS LAST\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (session_id, created_at DESC NULLS LAST): created_at is DESC, expected DESC NULLS LAST"
        );
        assert_eq!(
            k.fails(&format!("{idx}columns = [\"created_at DESC\", \"session_id\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (created_at DESC, session_id)"
        );
        // Expressions as PostgreSQL prints them, spacing and case aside.
        let any = "[[exists]]\nindex = \"*\"\ntable = \"chat_messages\"\n";
        k.passes(&format!("{any}columns = [\"LOWER( body )\"]\n"));
        k.passes(&format!(
            "{any}columns = [\"session_id\", \"created_at DESC\"]\n"
        ));
        assert_eq!(
            k.fails(&format!("{any}columns = [\"lower(body) DESC\"]\n")),
            "chat_messages: no index on (lower(body) DESC); indexes: idx_chat_messages_lower_body (lower(body)), idx_chat_messages_session_created (session_id, created_at DESC)"
        );
        // A plain column never matches an expression of it.
        assert!(k
            .fails(&format!("{any}columns = [\"body\"]\n"))
            .starts_with("chat_messages: no index on (body)"));
    }
}
