//! Names as written in check files and what they mean: the check's evaluation context (default
//! schema), qualification and splitting of (quoted) names, one-or-many lists, booleans-or-text,
//! relation selections (names / LIKE pattern / all, minus `except`) and "no such table" with near
//! misses. Must not read files, touch the database or validate keys (`validator`).

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::validator::Validator;
use crate::catalog::{QualName, RelKind, Relation, Snapshot};
use crate::findings::{Missing, Near, Problem};
use crate::words::closest;

/// Evaluation context of one check.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Default schema for unqualified names (the check's `schema`, else the file's, else `public`).
    pub schema: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn new(schema: &'a str) -> Ctx<'a> {
        Ctx { schema }
    }

    /// Qualify a name as written (`name`, `schema.name`, `"Odd.Name"`).
    pub fn qual(&self, raw: &str) -> QualName {
        qualify(self.schema, raw)
    }

    /// Show a catalog name relative to this check's schema.
    pub fn show(&self, q: &QualName) -> String {
        q.show(self.schema)
    }

    pub fn show_rel(&self, r: &Relation) -> String {
        self.show(&r.qual())
    }
}

/// Split a possibly qualified, possibly double-quoted name into its parts
/// (`a.b` → [a, b]; `"a.b"` → [a.b]; `"x""y"` → [x"y]). Names are case-sensitive as written.
pub fn split_name(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if !raw.contains('"') {
        return raw.split('.').map(|s| s.trim().to_string()).collect();
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = raw.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

/// `name` → (default, name); `schema.name` → (schema, name).
pub fn qualify(default_schema: &str, raw: &str) -> QualName {
    let t = raw.trim();
    if !t.contains(['"', '.']) {
        return QualName::new(default_schema, t);
    }
    let mut parts = split_name(raw);
    match parts.len() {
        0 | 1 => QualName::new(default_schema, parts.pop().unwrap_or_default()),
        _ => {
            let name = parts.pop().unwrap_or_default();
            QualName::new(parts.join("."), name)
        }
    }
}

/// `table.column` / `schema.table.column` → (relation, column); a bare `column` has no relation.
pub fn split_column(default_schema: &str, raw: &str) -> (Option<QualName>, String) {
    let mut parts = split_name(raw);
    let col = parts.pop().unwrap_or_default();
    match parts.len() {
        0 => (None, col),
        1 => (Some(QualName::new(default_schema, parts.remove(0))), col),
        _ => {
            let name = parts.pop().unwrap_or_default();
            (Some(QualName::new(parts.join("."), name)), col)
        }
    }
}

/// Schemas named explicitly by a list of raw names.
pub fn schemas_of<'a>(
    default_schema: &str,
    raws: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out = vec![default_schema.to_string()];
    for r in raws {
        if !r.contains('.') {
            continue; // unqualified: the default schema
        }
        let q = qualify(default_schema, r);
        if !out.contains(&q.schema) {
            out.push(q.schema);
        }
    }
    out
}

/// One name or a list: `table = "a"` or `table = ["a", "b"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(pub Vec<String>);

impl Names {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Names, E> {
                Ok(Names(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Names(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Written back (`deskctl snapshot`) the way it reads best: one name as a text, several (or
/// none) as a list. A plural key (`names`, `tables`, `roles`) is a list even of one: see
/// [`names_list`].
impl Serialize for Names {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

/// `#[serde(serialize_with)]` of a plural key holding `Names`: always a list.
pub fn names_list<S: Serializer>(n: &Option<Names>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => n.0.serialize(s),
        None => s.serialize_none(),
    }
}

/// A boolean or a text: `search_path = true` (pinned, any value) or `search_path = "public"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolOrText {
    Bool(bool),
    Text(String),
}

impl<'de> Deserialize<'de> for BoolOrText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = BoolOrText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or a text")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<BoolOrText, E> {
                Ok(BoolOrText::Bool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BoolOrText, E> {
                Ok(BoolOrText::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for BoolOrText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BoolOrText::Bool(b) => s.serialize_bool(*b),
            BoolOrText::Text(t) => s.serialize_str(t),
        }
    }
}

/// Which relations a check is about: listed names, a LIKE pattern, or all of the schema, minus
/// `except`. The fields are repeated in each kind's struct (serde cannot flatten with
/// `deny_unknown_fields`); kinds build one of these to evaluate.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    pub names: Option<&'a Names>,
    pub pattern: Option<&'a str>,
    pub all: bool,
    pub except: Option<&'a Names>,
}

/// What a selection resolved to.
#[derive(Debug, Default)]
pub struct Selected<'s> {
    pub found: Vec<&'s Relation>,
    /// Listed names that do not exist (or are another kind), with near misses, as problems
    /// about each name.
    pub missing: Vec<Problem>,
}

impl Selection<'_> {
    /// Validate: exactly one of names / pattern / all.
    pub fn validate(&self, v: &mut Validator, names_key: &str) {
        let given = [self.names.is_some(), self.pattern.is_some(), self.all]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            v.error(
                "",
                format!("give exactly one of `{names_key}`, `pattern` or `all = true`"),
                Some(format!(
                    "e.g. {names_key} = [\"orders\"], pattern = \"cc_%\" or all = true"
                )),
            );
        }
        if let Some(n) = self.names {
            if n.is_empty() {
                v.error(names_key, format!("`{names_key}` is empty"), None);
            }
        }
    }

    pub fn schemas(&self, default_schema: &str) -> Vec<String> {
        schemas_of(
            default_schema,
            self.names.into_iter().flat_map(|n| n.iter()),
        )
    }

    /// Resolve against the snapshot, keeping relations for which `accept` holds.
    pub fn resolve<'s>(
        &self,
        ctx: &Ctx,
        snap: &'s Snapshot,
        noun: &str,
        accept: impl Fn(RelKind) -> bool,
    ) -> Selected<'s> {
        let except: std::collections::HashSet<QualName> = self
            .except
            .iter()
            .flat_map(|e| e.iter())
            .map(|x| ctx.qual(x))
            .collect();
        let excluded = |r: &Relation| {
            !except.is_empty() && except.contains(&QualName::new(&r.schema, &r.name))
        };
        let mut out = Selected::default();
        if let Some(names) = self.names {
            for raw in names.iter() {
                let q = ctx.qual(raw);
                match snap.relation(&q) {
                    Some(r) if accept(r.kind) => {
                        if !excluded(r) {
                            out.found.push(r)
                        }
                    }
                    Some(r) => out.missing.push(wrong_kind(ctx, &q, r, noun)),
                    None => out
                        .missing
                        .push(missing_relation(ctx, snap, &q, noun, &accept)),
                }
            }
        } else {
            let schema = self
                .pattern
                .map(|p| qualify(ctx.schema, p).schema)
                .unwrap_or_else(|| ctx.schema.to_string());
            let pat = self.pattern.map(|p| qualify(ctx.schema, p).name);
            for r in snap.relations.iter().filter(|r| r.schema == schema) {
                if !accept(r.kind) || r.is_partition || excluded(r) {
                    continue;
                }
                if pat.as_deref().is_none_or(|p| like(p, &r.name)) {
                    out.found.push(r);
                }
            }
        }
        out
    }

    /// How the selection reads in a diagnosis: `tables`, `tables like cc_%`, `every table in
    /// public` (`one` / `many`: the noun's singular and plural).
    pub fn describe(&self, ctx: &Ctx, one: &str, many: &str) -> String {
        if let Some(p) = self.pattern {
            format!("{many} like {p}")
        } else if self.all {
            format!("every {one} in {}", ctx.schema)
        } else {
            many.to_string()
        }
    }
}

/// No such relation `q` (of kind `noun`, the kinds `accept` takes), as data: near misses (same
/// name differing in case / underscores / plural, the same name in another schema, a close
/// spelling), or that its schema was not read. `report::wording` words it.
pub fn missing_relation(
    ctx: &Ctx,
    snap: &Snapshot,
    q: &QualName,
    noun: &str,
    accept: &dyn Fn(RelKind) -> bool,
) -> Problem {
    let mut m = Missing::of(noun);
    if !snap.covers(&q.schema) {
        m.unread_schema = Some(q.schema.clone());
        return Problem::missing(ctx.show(q), m);
    }
    m.near = snap
        .similar_relations(&q.name)
        .into_iter()
        .filter(|r| r.qual() != *q)
        .map(|r| Near {
            name: ctx.show_rel(r),
            kind: (!accept(r.kind)).then(|| r.kind.noun().to_string()),
        })
        .collect();
    if m.near.is_empty() {
        m = m.near(closest(
            &q.name,
            snap.relations_in(&q.schema)
                .filter(|r| accept(r.kind))
                .map(|r| r.name.as_str()),
        ));
    }
    Problem::missing(ctx.show(q), m)
}

/// `q` names relation `r`, which is not of kind `noun`.
pub fn wrong_kind(ctx: &Ctx, q: &QualName, r: &Relation, noun: &str) -> Problem {
    let mut m = Missing::of(noun);
    m.found_kind = Some(r.kind.noun().to_string());
    Problem::missing(ctx.show(q), m)
}

/// SQL LIKE: `%` any run, `_` any one character, `\` escapes.
pub fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with backtracking on the last `%`.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '%' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                '_' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                c if c != '\\' && c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

crate::any_of_schema!(
    Names,
    "A name or a list of names",
    |g| serde_json::json!({ "type": "string" }),
    serde_json::json!({ "type": "array", "items": { "type": "string" } })
);

crate::any_of_schema!(
    BoolOrText,
    "true, false or a text",
    |g| serde_json::json!({ "type": "boolean" }),
    serde_json::json!({ "type": "string" })
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_and_qualify() {
        assert_eq!(qualify("public", "t"), QualName::new("public", "t"));
        assert_eq!(
            qualify("public", "auth.users"),
            QualName::new("auth", "users")
        );
        assert_eq!(qualify("public", "\"a.b\""), QualName::new("public", "a.b"));
        assert_eq!(
            qualify("public", "s.\"X\"\"Y\""),
            QualName::new("s", "X\"Y")
        );
        assert_eq!(
            split_column("public", "chat_sessions.status"),
            (
                Some(QualName::new("public", "chat_sessions")),
                "status".to_string()
            )
        );
        assert_eq!(
            split_column("public", "status"),
            (None, "status".to_string())
        );
    }

    #[test]
    fn like_patterns() {
        assert!(like("cc_%", "cc_cases"));
        assert!(like("cc\\_%", "cc_cases"));
        assert!(!like("cc\\_%", "ccxcases"));
        assert!(like("%", ""));
        assert!(like("a%b%c", "aXXbYYc"));
        assert!(!like("a%b", "ab c"));
        assert!(like("t_", "t1"));
    }

    #[test]
    fn selection_describes_itself() {
        let sel = Selection {
            all: true,
            ..Default::default()
        };
        assert_eq!(
            sel.describe(&Ctx::new("public"), "policy", "policies"),
            "every policy in public"
        );
    }
}
