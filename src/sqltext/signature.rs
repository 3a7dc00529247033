//! A routine signature written by a user (`app.fn(numeric(10,2), text[])` in a check file),
//! read with PostgreSQL's parser: the name as the server folds it and the argument types, so
//! commas inside type modifiers, quoted names and arrays never confuse it. Parses only; the text
//! is never sent to a server.

use pg_query::NodeEnum;

/// A parsed `name(type, ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The name's parts as the server folds them (`["app", "fn"]`).
    pub name: Vec<String>,
    /// The argument types in order, `None` when no parentheses were written. Each type is its
    /// name without `pg_catalog.` and without type modifiers (a routine's arguments carry none),
    /// followed by `[]` per array dimension: `numeric`, `int4`, `character varying` is `varchar`.
    pub args: Option<Vec<String>>,
}

/// Reads `raw` as a routine signature; `None` when PostgreSQL's grammar does not accept it as
/// one (a stray `;`, an unbalanced parenthesis...).
pub fn signature(raw: &str) -> Option<Signature> {
    let sql = format!("DROP ROUTINE {raw}");
    let parsed = pg_query::parse(&sql, pg_query::ParserOptions::DEFAULT).ok()?;
    let stmts = &parsed.protobuf.stmts;
    if stmts.len() != 1 {
        return None;
    }
    let NodeEnum::DropStmt(d) = stmts[0].stmt.as_ref()?.node.as_ref()? else {
        return None;
    };
    if d.objects.len() != 1 {
        return None;
    }
    let NodeEnum::ObjectWithArgs(o) = d.objects[0].node.as_ref()? else {
        return None;
    };
    let name = strings(&o.objname);
    let args = if o.args_unspecified {
        None
    } else {
        Some(
            o.objargs
                .iter()
                .filter_map(|n| match n.node.as_ref()? {
                    NodeEnum::TypeName(t) => Some(type_text(t)),
                    _ => None,
                })
                .collect(),
        )
    };
    Some(Signature { name, args })
}

fn strings(nodes: &[pg_query::protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::String(s) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn type_text(t: &pg_query::protobuf::TypeName) -> String {
    let mut parts = strings(&t.names);
    if parts.len() > 1 && parts[0] == "pg_catalog" {
        parts.remove(0);
    }
    // Spelled as `format_type` spells it, so it compares with the catalog's argument types: a name
    // that needs quotes keeps them, and `"char"` (the one-byte type; bare `char` is read as
    // `bpchar`) stays quoted.
    let quoted: Vec<String> = parts
        .iter()
        .map(|p| {
            let simple = p.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
            if simple && p != "char" {
                p.clone()
            } else {
                format!("\"{}\"", p.replace('"', "\"\""))
            }
        })
        .collect();
    let mut s = quoted.join(".");
    for _ in &t.array_bounds {
        s.push_str("[]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(raw: &str) -> Option<Vec<String>> {
        signature(raw).unwrap().args
    }

    #[test]
    fn commas_inside_modifiers_and_quotes_do_not_split_arguments() {
        assert_eq!(
            args("app.f(numeric(10,2), text[], \"My,Type\")").unwrap(),
            vec!["numeric", "text[]", "\"My,Type\""]
        );
        assert_eq!(signature("App.F(int)").unwrap().name, vec!["app", "f"]);
        assert_eq!(
            args("f(double precision, character varying(5), timestamptz)").unwrap(),
            vec!["float8", "varchar", "timestamptz"]
        );
        assert_eq!(args("f()").unwrap(), Vec::<String>::new());
        // pgTAP's `_type_func("char", name)`: the one-byte type stays quoted, bare char is bpchar.
        assert_eq!(
            args("f(\"char\", char, name)").unwrap(),
            vec!["\"char\"", "bpchar", "name"]
        );
        assert_eq!(args("f"), None);
        assert_eq!(args("f(in a int, out b text)").unwrap(), vec!["int4"]);
    }

    #[test]
    fn text_that_is_not_one_signature_is_refused() {
        assert_eq!(signature("f(int); drop table t"), None);
        assert_eq!(signature("f(int"), None);
        assert_eq!(signature(""), None);
    }
}
