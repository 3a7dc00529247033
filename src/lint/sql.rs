//! Fix text for the lint rules: identifiers, qualified names, function references and column
//! lists written so that PostgreSQL reads them back as the same names. Formats only: must not
//! read or decide anything about SQL text (that is `crate::sqltext`) nor touch the database.

use crate::catalog::QualName;

/// An identifier for SQL: bare when that reads back as the same name (PostgreSQL's
/// `quote_ident` rule), else double-quoted.
pub fn ident(name: &str) -> String {
    if crate::sqltext::expr::bare_identifier(name) {
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
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(ident("chat_messages"), "chat_messages");
        assert_eq!(ident("ChatMessage"), "\"ChatMessage\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("x\"y"), "\"x\"\"y\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        // Column-name keywords too, as quote_ident does; unreserved ones stay bare.
        assert_eq!(ident("time"), "\"time\"");
        assert_eq!(ident("name"), "name");
        assert_eq!(
            qident(&QualName::new("public", "JournalEntry")),
            "public.\"JournalEntry\""
        );
        assert_eq!(columns(&["userId".into(), "id".into()]), "(\"userId\", id)");
    }
}
