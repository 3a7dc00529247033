//! Building blocks shared by the check kinds: names as written in check files and their
//! qualification, one-or-many lists, relation selections (names / LIKE pattern / all), text and
//! type normalization, and the `Validator` kinds use to report semantic problems. Must not
//! read files or touch the database.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::catalog::{QualName, RelKind, Relation, Snapshot};

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
    /// Listed names that do not exist (or are another kind), with a near-miss remark.
    pub missing: Vec<String>,
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
                    Some(r) => out.missing.push(format!(
                        "{} is a {}, not a {noun}",
                        ctx.show(&q),
                        r.kind.noun()
                    )),
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

/// "x: no such table" plus near misses: same name differing in case / underscores / plural
/// (PascalCase vs snake_case), the same name in another schema, a close spelling.
pub fn missing_relation(
    ctx: &Ctx,
    snap: &Snapshot,
    q: &QualName,
    noun: &str,
    accept: &dyn Fn(RelKind) -> bool,
) -> String {
    let mut s = format!("{}: no such {noun}", ctx.show(q));
    if !snap.covers(&q.schema) {
        s.push_str(&format!(" (schema {} was not read)", q.schema));
        return s;
    }
    let mut near: Vec<String> = snap
        .similar_relations(&q.name)
        .into_iter()
        .filter(|r| r.qual() != *q)
        .map(|r| {
            let kind = if accept(r.kind) {
                String::new()
            } else {
                format!(" ({})", r.kind.noun())
            };
            format!("{}{kind}", ctx.show_rel(r))
        })
        .collect();
    if near.is_empty() {
        if let Some(best) = closest(
            &q.name,
            snap.relations_in(&q.schema)
                .filter(|r| accept(r.kind))
                .map(|r| r.name.as_str()),
        ) {
            near.push(best.to_string());
        }
    }
    if !near.is_empty() {
        s.push_str(&format!(" (did you mean {}?)", near.join(", ")));
    }
    s
}

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&w, &c.to_lowercase());
        if score >= 0.85 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Like `closest`, for long names (policy names): edit distance, so that a shared prefix alone
/// ("Customers see ..." / "Customers update ...") is not a near miss.
pub fn closest_long<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::normalized_damerau_levenshtein(&w, &c.to_lowercase());
        if score >= 0.85 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
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

/// Whitespace-, parenthesis-, cast- and case-insensitive form of an SQL expression, for
/// "USING contains ..." matching: `(auth.uid() = user_id)` → `auth.uid=user_id`;
/// `char_length((title)::text) > 2` → `char_length title>2` without casts.
pub fn squash_sql(s: &str) -> String {
    // Lower-case with whitespace runs as one space: the spaces are kept until the casts are gone,
    // so that a cast's type name cannot swallow the words after it (`'a'::text AND NOT x`).
    let mut spaced = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            if !spaced.ends_with(' ') {
                spaced.push(' ');
            }
        } else {
            spaced.push(c);
        }
    }
    // Drop `::type` casts: one word, or one of PostgreSQL's multi-word type names, with an
    // optional `(n[, m])` modifier and `[]` suffixes.
    const MULTI_WORD: &[&str] = &[
        "character varying",
        "bit varying",
        "double precision",
        "timestamp with time zone",
        "timestamp without time zone",
        "time with time zone",
        "time without time zone",
    ];
    let type_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '"');
    let mut out = String::with_capacity(spaced.len());
    let mut rest = spaced.as_str();
    while let Some(i) = rest.find("::") {
        out.push_str(&rest[..i]);
        let after = rest[i + 2..].trim_start();
        let mut end = MULTI_WORD
            .iter()
            .find(|m| after.starts_with(**m) && !after[m.len()..].starts_with(type_char))
            .map(|m| m.len())
            .unwrap_or_else(|| after.find(|c: char| !type_char(c)).unwrap_or(after.len()));
        if after[end..].starts_with('(') {
            if let Some(close) = after[end..].find(')') {
                let inner = &after[end + 1..end + close];
                if inner
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
                {
                    end += close + 1;
                }
            }
        }
        while after[end..].starts_with("[]") {
            end += 2;
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out.retain(|c| c != ' ' && c != '(' && c != ')');
    out
}

/// Canonical spelling of a type name as `format_type` prints it (`timestamptz` → `timestamp with
/// time zone`, `int8` → `bigint`, `varchar(20)` → `character varying(20)`, arrays kept).
pub fn canonical_type(t: &str) -> String {
    // Most names are already one lower-case word (`uuid`, `text`, `name`): skip the rewriting.
    if !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return match t {
            "int" | "int4" | "serial" | "serial4" => "integer",
            "int8" | "bigserial" | "serial8" => "bigint",
            "int2" | "smallserial" | "serial2" => "smallint",
            "bool" => "boolean",
            "varchar" => "character varying",
            "char" | "bpchar" => "character",
            "float8" | "float" => "double precision",
            "float4" => "real",
            "decimal" => "numeric",
            "varbit" => "bit varying",
            "timestamptz" => "timestamp with time zone",
            "timestamp" => "timestamp without time zone",
            "timetz" => "time with time zone",
            "time" => "time without time zone",
            other => other,
        }
        .to_string();
    }
    let t = t.trim().to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (base, array) = match t.strip_suffix("[]") {
        Some(b) => (b.trim_end().to_string(), "[]"),
        None => (t.clone(), ""),
    };
    let (name, mods) = match base.find('(') {
        Some(i) => (base[..i].trim().to_string(), base[i..].replace(' ', "")),
        None => (base.clone(), String::new()),
    };
    let (name, mods) = match (name.as_str(), mods.as_str()) {
        ("timestamptz", m) => (format!("timestamp{m} with time zone"), String::new()),
        ("timestamp", m) => (format!("timestamp{m} without time zone"), String::new()),
        ("timetz", m) => (format!("time{m} with time zone"), String::new()),
        ("time", m) => (format!("time{m} without time zone"), String::new()),
        (n, m) => (
            match n {
                "int" | "int4" | "serial" | "serial4" => "integer",
                "int8" | "bigserial" | "serial8" => "bigint",
                "int2" | "smallserial" | "serial2" => "smallint",
                "bool" => "boolean",
                "varchar" => "character varying",
                "char" | "bpchar" => "character",
                "float8" | "float" => "double precision",
                "float4" => "real",
                "decimal" => "numeric",
                "varbit" => "bit varying",
                other => other,
            }
            .to_string(),
            m.to_string(),
        ),
    };
    let name = name.replace(" (", "(");
    format!("{name}{mods}{array}")
}

/// Compare a column default as written with the catalog's: whitespace-insensitive, and a
/// trailing cast in the catalog (`'open'::text`) may be left out.
pub fn default_matches(expected: &str, actual: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let (e, a) = (norm(expected), norm(actual));
    if e == a {
        return true;
    }
    a.strip_prefix(&e)
        .is_some_and(|rest| rest.starts_with("::"))
}

/// A `search_path` setting as a list of schemas (quotes and spaces removed).
pub fn search_path_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().trim_matches('"').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// One semantic problem found by a kind's `validate`, located by a key path inside the check
/// (`""` = the check itself, `"expect.2.command"` = a nested key; numbers index arrays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Collects a check's semantic problems.
#[derive(Debug, Default)]
pub struct Validator {
    pub problems: Vec<KeyProblem>,
}

impl Validator {
    pub fn error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(KeyProblem {
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// `value` must be one of `allowed` (case-insensitive); suggests the closest.
    pub fn word(&mut self, path: &str, what: &str, value: &str, allowed: &[&str]) {
        if allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
            return;
        }
        let hint = match closest(value, allowed.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("use one of: {}", allowed.join(", ")),
        };
        self.error(path, format!("unknown {what} `{value}`"), Some(hint));
    }

    /// A key that does not apply in this form of the check.
    pub fn not_here(&mut self, path: &str, why: &str) {
        self.error(path, format!("`{path}` {why}"), None);
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The noun for `n` things: `plural(1, "index", "indexes")` is `index`, any other `n` `indexes`.
/// Every count in a detail goes through this (`format!("{n} {}", plural(n, ..))`), so that no
/// detail says "1 triggers" or "indexs".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A bare list of names, for details: `a, b, c` (at most `max`, then `and N more`).
pub fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!(
            "{}, and {} more",
            items[..max].join(", "),
            items.len() - max
        )
    }
}

/// `list` when only the first items were built (display names cost an allocation each; a detail
/// shows a few): `shown` are the first of `total`.
pub fn list_of(shown: &[String], total: usize) -> String {
    if total <= shown.len() {
        shown.join(", ")
    } else {
        format!("{}, and {} more", shown.join(", "), total - shown.len())
    }
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
    fn list_of_matches_list() {
        let items: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
        for total in [0, 1, 8, 9, 12] {
            assert_eq!(
                list_of(&items[..total.min(8)], total),
                list(&items[..total], 8),
                "{total}"
            );
        }
    }

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
    fn types_and_defaults() {
        assert_eq!(canonical_type("timestamptz"), "timestamp with time zone");
        assert_eq!(canonical_type("varchar(20)"), "character varying(20)");
        assert_eq!(canonical_type("int8[]"), "bigint[]");
        assert_eq!(canonical_type("TEXT"), "text");
        // The one-word fast path agrees with the general rewriting.
        for t in [
            "int",
            "int4",
            "serial",
            "int8",
            "int2",
            "bool",
            "varchar",
            "char",
            "bpchar",
            "float8",
            "float",
            "float4",
            "decimal",
            "varbit",
            "timestamptz",
            "timestamp",
            "timetz",
            "time",
            "uuid",
            "text",
            "name",
            "anyelement",
            "_int4",
        ] {
            assert_eq!(
                canonical_type(t),
                canonical_type(&format!(" {} ", t.to_uppercase())),
                "{t}"
            );
        }
        assert_eq!(
            canonical_type("character varying(20)"),
            "character varying(20)"
        );
        assert!(default_matches("'open'", "'open'::text"));
        assert!(default_matches("now()", "now()"));
        assert!(!default_matches("'open'", "'opened'::text"));
        assert_eq!(squash_sql("(auth.uid() = user_id)"), "auth.uid=user_id");
        assert_eq!(
            squash_sql("CHECK ((char_length((title)::text) > 2))"),
            squash_sql("check (char_length(title) > 2)")
        );
        assert_eq!(
            squash_sql("(status = ANY (ARRAY['open'::text, 'closed'::character varying]))"),
            "status=anyarray['open','closed']"
        );
        // A cast does not swallow the words after it.
        let h = squash_sql(
            "((sender_type = 'customer'::text) AND (NOT is_internal) AND (x = 'a'::character varying(20)))",
        );
        assert!(h.contains(&squash_sql("NOT is_internal")), "{h}");
        assert!(h.ends_with("x='a'"), "{h}");
        assert!(squash_sql(
            "(( SELECT f() AS f) = 'admin'::text) AND (( SELECT g() AS g) <> 'disabled'::text)"
        )
        .contains(&squash_sql("g() <> 'disabled'")));
    }

    #[test]
    fn plural_nouns() {
        assert_eq!(plural(1, "index", "indexes"), "index");
        assert_eq!(plural(0, "index", "indexes"), "indexes");
        assert_eq!(plural(2, "policy", "policies"), "policies");
        let sel = Selection {
            all: true,
            ..Default::default()
        };
        assert_eq!(
            sel.describe(&Ctx::new("public"), "policy", "policies"),
            "every policy in public"
        );
    }

    #[test]
    fn closest_word() {
        assert_eq!(
            closest("tabels", ["tables", "pattern", "all"]),
            Some("tables")
        );
        assert_eq!(closest("zzz", ["tables", "pattern"]), None);
    }
}
