//! SQL text helpers for the lint rules: a tokenizer for deparsed expressions (`pg_get_expr`
//! output: policy USING / WITH CHECK), the checks the rules make on them (unwrapped `auth.*()`
//! calls and their rewrite, always-true expressions, columns compared for equality), and
//! identifier quoting for the fixes we print. Pure text; must not touch the database.

use crate::catalog::QualName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword (quoted or not).
    Ident,
    /// A string literal `'...'`.
    Str,
    Number,
    Open,
    Close,
    Dot,
    Comma,
    /// An operator: `=`, `::`, `->>`, `<>`, ...
    Op,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// Byte range in the source.
    pub start: usize,
    pub end: usize,
    /// Identifiers: the name (unquoted; unquoted names folded to lower case). Others: the text.
    pub value: String,
    pub quoted: bool,
}

impl Token {
    fn is_ident(&self, name: &str) -> bool {
        self.kind == Kind::Ident && !self.quoted && self.value == name
    }

    fn is_op(&self, op: &str) -> bool {
        self.kind == Kind::Op && self.value == op
    }

    /// A constant: string, number, TRUE/FALSE/NULL.
    fn is_literal(&self) -> bool {
        matches!(self.kind, Kind::Str | Kind::Number)
            || (self.kind == Kind::Ident
                && !self.quoted
                && matches!(self.value.as_str(), "true" | "false" | "null"))
    }
}

const OP_CHARS: &str = "+-*/<>=~!@#%^&|`?:";

/// Split a (deparsed) SQL expression into tokens. Never fails: unknown characters become `Other`.
pub fn tokens(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let (kind, value, quoted) = if c == '\'' {
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if i + 1 < b.len() && b[i + 1] == b'\'' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            (Kind::Str, src[start..i].to_string(), false)
        } else if c == '"' {
            i += 1;
            let mut name = String::new();
            while i < b.len() {
                if b[i] == b'"' {
                    if i + 1 < b.len() && b[i + 1] == b'"' {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                let ch = src[i..].chars().next().unwrap_or(' ');
                name.push(ch);
                i += ch.len_utf8();
            }
            (Kind::Ident, name, true)
        } else if c.is_alphabetic() || c == '_' || !c.is_ascii() {
            while i < b.len() {
                let ch = src[i..].chars().next().unwrap_or(' ');
                if ch.is_alphanumeric() || ch == '_' || ch == '$' {
                    i += ch.len_utf8();
                } else {
                    break;
                }
            }
            (Kind::Ident, src[start..i].to_lowercase(), false)
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            (Kind::Number, src[start..i].to_string(), false)
        } else if OP_CHARS.contains(c) {
            while i < b.len() && OP_CHARS.contains(b[i] as char) {
                i += 1;
            }
            (Kind::Op, src[start..i].to_string(), false)
        } else {
            i += 1;
            let kind = match c {
                '(' | '[' => Kind::Open,
                ')' | ']' => Kind::Close,
                '.' => Kind::Dot,
                ',' => Kind::Comma,
                _ => Kind::Other,
            };
            (kind, c.to_string(), false)
        };
        out.push(Token {
            kind,
            start,
            end: i,
            value,
            quoted,
        });
    }
    out
}

/// Functions whose value is the same for every row of a statement: in a policy they should be
/// wrapped in `(select ...)` so PostgreSQL evaluates them once (an initplan), not once per row.
const PER_STATEMENT: &[(&str, &str)] = &[
    ("auth", "uid"),
    ("auth", "jwt"),
    ("auth", "role"),
    ("auth", "email"),
    ("", "current_setting"),
];

/// A call of a per-statement function: token range `[start, end]` (the closing parenthesis) and
/// its display name (`auth.uid()`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    first: usize,
    last: usize,
    name: String,
    wrapped: bool,
}

fn per_statement_calls(t: &[Token]) -> Vec<Call> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let mut matched = None;
        for (schema, func) in PER_STATEMENT {
            if schema.is_empty() {
                let qualified_elsewhere = i > 0 && t[i - 1].kind == Kind::Dot;
                if t[i].is_ident(func)
                    && !qualified_elsewhere
                    && t.get(i + 1).is_some_and(|x| x.kind == Kind::Open)
                {
                    matched = Some((i + 1, format!("{func}()")));
                }
            } else if t[i].is_ident(schema)
                && t.get(i + 1).is_some_and(|x| x.kind == Kind::Dot)
                && t.get(i + 2).is_some_and(|x| x.is_ident(func))
                && t.get(i + 3).is_some_and(|x| x.kind == Kind::Open)
            {
                matched = Some((i + 3, format!("{schema}.{func}()")));
            }
            if matched.is_some() {
                break;
            }
        }
        let Some((open, name)) = matched else {
            i += 1;
            continue;
        };
        let last = matching_close(t, open).unwrap_or(t.len() - 1);
        // Wrapped: `( SELECT auth.uid() ...)`, possibly `( SELECT (auth.uid())::text ...)`.
        let mut j = i;
        while j > 0 && t[j - 1].kind == Kind::Open {
            j -= 1;
        }
        let wrapped = j > 0 && t[j - 1].is_ident("select");
        out.push(Call {
            first: i,
            last,
            name,
            wrapped,
        });
        i = last + 1;
    }
    out
}

fn matching_close(t: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, tok) in t.iter().enumerate().skip(open) {
        match tok.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Per-statement calls (`auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()`,
/// `current_setting()`) that are not wrapped in `(select ...)`, deduplicated, in order.
pub fn unwrapped_calls(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in per_statement_calls(&tokens(expr)) {
        if !c.wrapped && !out.contains(&c.name) {
            out.push(c.name);
        }
    }
    out
}

/// The expression with every unwrapped per-statement call wrapped in `(select ...)`.
pub fn wrap_calls(expr: &str) -> String {
    let t = tokens(expr);
    let mut out = String::new();
    let mut pos = 0;
    for c in per_statement_calls(&t) {
        if c.wrapped {
            continue;
        }
        let (s, e) = (t[c.first].start, t[c.last].end);
        out.push_str(&expr[pos..s]);
        out.push_str("(select ");
        out.push_str(&expr[s..e]);
        out.push(')');
        pos = e;
    }
    out.push_str(&expr[pos..]);
    out
}

/// The expression on one line: runs of whitespace outside quotes become one space, and none is
/// left just inside parentheses (`pg_get_expr` breaks sub-selects over several lines).
pub fn one_line(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in expr.chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with('(') && c != ')' {
            out.push(' ');
        }
        pending_space = false;
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}

/// `(expr)`: the expression in parentheses, unless its outer parentheses already enclose it all.
pub fn parenthesized(expr: &str) -> String {
    let t = tokens(expr);
    let enclosed = t.first().is_some_and(|x| x.kind == Kind::Open)
        && matching_close(&t, 0) == Some(t.len() - 1);
    if enclosed {
        expr.trim().to_string()
    } else {
        format!("({})", expr.trim())
    }
}

/// Whether an expression is the constant `true` (`true`, `(true)`, `TRUE`).
pub fn always_true(expr: &str) -> bool {
    let t = tokens(expr);
    let meaningful: Vec<&Token> = t
        .iter()
        .filter(|x| !matches!(x.kind, Kind::Open | Kind::Close))
        .collect();
    meaningful.len() == 1 && meaningful[0].is_ident("true")
}

/// Columns of the policy's own table compared for equality with something that is not a
/// constant (`user_id = auth.uid()`, `(auth.uid())::text = "userId"`,
/// `t.owner_id = other.id`): what an index should serve. `table` is the policy's table name
/// (columns qualified with it count); `columns` its column names. In catalog order, deduplicated.
pub fn equality_columns(expr: &str, table: &str, columns: &[String]) -> Vec<String> {
    let t = tokens(expr);
    let mut found: Vec<String> = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        if tok.kind != Kind::Ident {
            continue;
        }
        let Some(col) = columns.iter().find(|c| **c == tok.value) else {
            continue;
        };
        // Qualified: only by the table's own name.
        if i > 0 && t[i - 1].kind == Kind::Dot {
            let own = i >= 2 && t[i - 2].kind == Kind::Ident && t[i - 2].value == table;
            if !own {
                continue;
            }
        }
        // Not a function, not a qualifier, not an alias after AS.
        if t.get(i + 1)
            .is_some_and(|x| matches!(x.kind, Kind::Open | Kind::Dot))
        {
            continue;
        }
        if i > 0 && t[i - 1].is_ident("as") {
            continue;
        }
        if is_function_argument(&t, i) {
            continue;
        }
        if compared_to_non_constant(&t, i) && !found.contains(col) {
            found.push(col.clone());
        }
    }
    columns
        .iter()
        .filter(|c| found.contains(c))
        .cloned()
        .collect()
}

/// Words that may stand before `(` without making it a function call.
const NOT_FUNCTIONS: &[&str] = &[
    "and", "or", "not", "where", "when", "then", "else", "select", "on", "having", "case",
    "exists", "in", "from", "join", "using", "is", "between", "distinct",
];

/// Whether the token at `i` (possibly qualified) is an argument of a function call (`lower(email)`,
/// `coalesce(a, b)`): an index on the bare column would not serve the comparison.
fn is_function_argument(t: &[Token], i: usize) -> bool {
    let mut j = i;
    if j >= 2 && t[j - 1].kind == Kind::Dot {
        j -= 2;
    }
    if j == 0 {
        return false;
    }
    match t[j - 1].kind {
        Kind::Comma => true,
        Kind::Open if t[j - 1].value == "(" && j >= 2 => {
            let f = &t[j - 2];
            f.kind == Kind::Ident && (f.quoted || !NOT_FUNCTIONS.contains(&f.value.as_str()))
        }
        _ => false,
    }
}

/// Whether the operand at token `i` is one side of `=` whose other side is not a constant.
fn compared_to_non_constant(t: &[Token], i: usize) -> bool {
    // Right of the column: skip `)` and casts (`::text`), then `=`.
    let mut j = i + 1;
    loop {
        match t.get(j) {
            Some(x) if x.kind == Kind::Close => j += 1,
            Some(x) if x.is_op("::") => j += 2,
            _ => break,
        }
    }
    if t.get(j).is_some_and(|x| x.is_op("=")) {
        let mut k = j + 1;
        while t.get(k).is_some_and(|x| x.kind == Kind::Open) {
            k += 1;
        }
        return t.get(k).is_some_and(|x| !x.is_literal());
    }
    // Left of the column: skip `(` (and a qualifier), then `=`.
    let mut j = i;
    if j >= 2 && t[j - 1].kind == Kind::Dot {
        j -= 2;
    }
    while j > 0 && t[j - 1].kind == Kind::Open {
        j -= 1;
    }
    if j > 0 && t[j - 1].is_op("=") {
        // The left operand ends at j - 2: skip `)` and casts back to its last real token.
        let mut k = j as isize - 2;
        while k >= 0 {
            let x = &t[k as usize];
            if x.kind == Kind::Close {
                k -= 1;
            } else if k >= 1 && t[k as usize - 1].is_op("::") && x.kind == Kind::Ident {
                k -= 2;
            } else {
                break;
            }
        }
        return k >= 0 && !t[k as usize].is_literal();
    }
    false
}

/// Whether `expr` mentions `word` (case-insensitive), string literals included.
pub fn mentions(expr: &str, word: &str) -> bool {
    expr.to_lowercase().contains(&word.to_lowercase())
}

/// PostgreSQL's reserved and type/function-name keywords: as identifiers they need quotes.
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier for SQL: bare when that reads back as the same name, else double-quoted.
pub fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !KEYWORDS.contains(&name);
    if plain {
        name.to_string()
    } else {
        crate::db::quote_ident(name)
    }
}

/// `schema.name`, each part quoted when needed.
pub fn qident(q: &QualName) -> String {
    format!("{}.{}", ident(&q.schema), ident(&q.name))
}

/// A function as ALTER / REVOKE name it: `schema.name(argtype, ...)`, quoted when needed.
pub fn function_ref(f: &crate::catalog::Function) -> String {
    format!(
        "{}.{}({})",
        ident(&f.schema),
        ident(&f.name),
        f.arg_types.join(", ")
    )
}

/// A column list: `(a, "B")`.
pub fn columns(cols: &[String]) -> String {
    format!(
        "({})",
        cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_a_deparsed_policy() {
        let t = tokens(r#"((auth.uid())::text = "userId") AND (x = 'it''s')"#);
        let vals: Vec<&str> = t.iter().map(|x| x.value.as_str()).collect();
        assert_eq!(
            vals,
            [
                "(", "(", "auth", ".", "uid", "(", ")", ")", "::", "text", "=", "userId", ")",
                "and", "(", "x", "=", "'it''s'", ")"
            ]
        );
        assert!(t[11].quoted);
    }

    #[test]
    fn unwrapped_and_wrapped_calls() {
        assert_eq!(unwrapped_calls("(auth.uid() = user_id)"), ["auth.uid()"]);
        assert!(unwrapped_calls("(( SELECT auth.uid() AS uid) = user_id)").is_empty());
        assert!(unwrapped_calls("(( SELECT (auth.uid())::text AS uid) = \"userId\")").is_empty());
        assert_eq!(
            unwrapped_calls(
                "((NULLIF(current_setting('request.jwt.claims'::text, true), ''::text))::json ->> 'role'::text) = 'service_role'::text"
            ),
            ["current_setting()"]
        );
        assert_eq!(
            unwrapped_calls(
                "(EXISTS ( SELECT 1 FROM s WHERE ((s.id = t.sid) AND (s.uid = auth.uid()))))"
            ),
            ["auth.uid()"]
        );
        assert!(unwrapped_calls("(user_id = my.uid())").is_empty());
        assert!(unwrapped_calls("('auth.uid()' = x)").is_empty());
    }

    #[test]
    fn wrap_rewrites_only_unwrapped_calls() {
        assert_eq!(
            wrap_calls("((auth.uid())::text = \"userId\")"),
            "(((select auth.uid()))::text = \"userId\")"
        );
        assert_eq!(
            wrap_calls("(a = auth.jwt() ->> 'email') OR (b = ( SELECT auth.uid() AS uid))"),
            "(a = (select auth.jwt()) ->> 'email') OR (b = ( SELECT auth.uid() AS uid))"
        );
        assert_eq!(
            wrap_calls("NULLIF(current_setting('x'::text, true), ''::text)"),
            "NULLIF((select current_setting('x'::text, true)), ''::text)"
        );
        assert!(unwrapped_calls(&wrap_calls("auth.uid() = x AND auth.role() = 'a'")).is_empty());
    }

    #[test]
    fn one_line_keeps_quoted_text() {
        assert_eq!(
            one_line("(EXISTS ( SELECT 1\n   FROM s\n  WHERE (s.x = 'a  b')))"),
            "(EXISTS (SELECT 1 FROM s WHERE (s.x = 'a  b')))"
        );
        assert_eq!(one_line("\"a  b\" = c"), "\"a  b\" = c");
    }

    #[test]
    fn parentheses_are_added_only_when_missing() {
        assert_eq!(parenthesized("(a = b)"), "(a = b)");
        assert_eq!(parenthesized("(a) = (b)"), "((a) = (b))");
        assert_eq!(parenthesized("true"), "(true)");
    }

    #[test]
    fn always_true_expressions() {
        assert!(always_true("true"));
        assert!(always_true("(true)"));
        assert!(!always_true("(auth.uid() = user_id)"));
        assert!(!always_true("(true AND (x = 1))"));
    }

    #[test]
    fn equality_columns_of_the_own_table() {
        let cols: Vec<String> = [
            "id",
            "user_id",
            "userId",
            "sessionId",
            "is_internal",
            "status",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            equality_columns("(auth.uid() = user_id)", "t", &cols),
            ["user_id"]
        );
        assert_eq!(
            equality_columns("((auth.uid())::text = \"userId\")", "t", &cols),
            ["userId"]
        );
        assert_eq!(
            equality_columns("(user_id = ( SELECT auth.uid() AS uid))", "t", &cols),
            ["user_id"]
        );
        // Constants are not served by an index worth having; other tables' columns are theirs.
        assert!(equality_columns(
            "((is_internal = false) AND (status = 'open'::text))",
            "t",
            &cols
        )
        .is_empty());
        assert_eq!(
            equality_columns(
                "(EXISTS ( SELECT 1 FROM \"S\" s WHERE ((s.\"sessionId\" = \"t\".\"sessionId\") AND (s.user_id = auth.uid()))))",
                "t",
                &cols
            ),
            ["sessionId"]
        );
        assert!(equality_columns("(lower(email) = 'x')", "t", &cols).is_empty());
        let mut with_email = cols.clone();
        with_email.push("email".into());
        assert!(equality_columns(
            "(lower(email) = lower((auth.jwt() ->> 'email'::text)))",
            "t",
            &with_email
        )
        .is_empty());
        assert_eq!(
            equality_columns(
                "((status = 'x'::text) AND (user_id = auth.uid()))",
                "t",
                &cols
            ),
            ["user_id"]
        );
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(ident("chat_messages"), "chat_messages");
        assert_eq!(ident("ChatMessage"), "\"ChatMessage\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("x\"y"), "\"x\"\"y\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(
            qident(&QualName::new("public", "JournalEntry")),
            "public.\"JournalEntry\""
        );
        assert_eq!(columns(&["userId".into(), "id".into()]), "(\"userId\", id)");
    }
}
