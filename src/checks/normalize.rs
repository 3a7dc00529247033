//! Text normalisation for comparing what a check file says with what the catalog holds: SQL
//! expressions squashed for "contains" matching, type names in `format_type` spelling, column
//! defaults, `search_path` lists. Must not decide SQL structure (that is `sqltext`'s) or touch the
//! database.

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
    // Most names are already one lower-case word, maybe an array (`uuid`, ` text`, `name[]`):
    // no rewriting beyond the alias.
    let trimmed = t.trim();
    let word = trimmed.strip_suffix("[]").unwrap_or(trimmed);
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        let name = match word {
            "timestamptz" => "timestamp with time zone",
            "timestamp" => "timestamp without time zone",
            "timetz" => "time with time zone",
            "time" => "time without time zone",
            other => type_alias(other),
        };
        let mut out = String::with_capacity(name.len() + 2);
        out.push_str(name);
        out.push_str(&trimmed[word.len()..]);
        return out;
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
        (n, m) => (type_alias(n).to_string(), m.to_string()),
    };
    let name = name.replace(" (", "(");
    format!("{name}{mods}{array}")
}

/// The name `format_type` prints for a type alias (`int4` → `integer`); other names unchanged.
fn type_alias(name: &str) -> &str {
    match name {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            // The fast path (lower-case word, maybe one `[]`) agrees with the general one.
            assert_eq!(
                canonical_type(&format!(" {t}[]")),
                canonical_type(&format!("{}  []", t.to_uppercase())),
                "{t}[]"
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
}
