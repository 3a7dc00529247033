//! Facts about one parsed statement that the behaviour checks' safety rules need beyond its
//! [`Kind`](super::Kind): every function it calls anywhere in its parse tree (with a constant
//! first argument when there is one), the relations it names, and what a COPY reads or writes. Walks the whole tree
//! generically (the parse tree serialized), so no node type can be missed. Reads parse trees
//! only: callers decide what to refuse. Does not see inside function bodies or dynamic SQL.

use pg_query::NodeEnum;
use serde_json::Value;

/// A function call found in a parse tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The schema as written (`pg_catalog` in `pg_catalog.set_config(...)`), lowercased.
    pub schema: Option<String>,
    /// The function's name, lowercased as PostgreSQL folds it (quoted names as written).
    pub name: String,
    /// The first argument when it is a string constant (`'role'` in `set_config('role', ...)`).
    pub first_arg: Option<String>,
}

/// Every function called in the statement's parse tree, in tree order (subqueries, CTEs,
/// defaults, `CALL` and `DO`-less expressions included; function bodies are strings and are
/// not parsed).
pub fn calls(node: &NodeEnum) -> Vec<Call> {
    let Ok(tree) = serde_json::to_value(node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_key(&tree, "FuncCall", &mut |fc| out.extend(func_call(fc)));
    out
}

/// Every relation the statement names (`FROM`, `JOIN`, `INSERT INTO`, `UPDATE`, subqueries,
/// CTE bodies...), as `(schema, name)` with the schema when written. CTE names are included
/// when referenced like tables.
pub fn relations(node: &NodeEnum) -> Vec<(Option<String>, String)> {
    let Ok(tree) = serde_json::to_value(node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_key(&tree, "RangeVar", &mut |rv| {
        let name = rv.get("relname").and_then(Value::as_str).unwrap_or("");
        let schema = rv.get("schemaname").and_then(Value::as_str).unwrap_or("");
        if !name.is_empty() {
            let schema = (!schema.is_empty()).then(|| schema.to_string());
            let item = (schema, name.to_string());
            if !out.contains(&item) {
                out.push(item);
            }
        }
    });
    out
}

fn walk_key(v: &Value, key: &str, f: &mut dyn FnMut(&Value)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == key {
                    f(child);
                }
                walk_key(child, key, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk_key(i, key, f)),
        _ => {}
    }
}

/// The strings of a `[{"node": {"String": {"sval": ..}}}, ...]` name list.
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.pointer("/node/String/sval").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn func_call(fc: &Value) -> Option<Call> {
    let mut parts = names(fc.get("funcname")?);
    let name = parts.pop()?;
    let first_arg = fc
        .get("args")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|a| a.pointer("/node/AConst/val/Sval/sval"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(Call {
        schema: parts.pop(),
        name,
        first_arg,
    })
}

/// What a top-level `COPY` statement moves data to or from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEnd {
    /// `TO STDOUT` / `FROM STDIN`: the client.
    Client,
    /// A file on the database server.
    File(String),
    /// A shell command run on the database server.
    Program(String),
}

/// For a `COPY` statement: whether it reads (`FROM`) and where the data goes or comes from.
pub fn copy(node: &NodeEnum) -> Option<(bool, CopyEnd)> {
    let NodeEnum::CopyStmt(c) = node else {
        return None;
    };
    let end = if c.is_program {
        CopyEnd::Program(c.filename.clone())
    } else if c.filename.is_empty() {
        CopyEnd::Client
    } else {
        CopyEnd::File(c.filename.clone())
    };
    Some((c.is_from, end))
}

/// Statements that create or drop session-level state that a rollback does not undo:
/// `PREPARE` (a prepared statement outlives the transaction), `DEALLOCATE` (it would drop the
/// client's own prepared statements too), `ANALYZE` (writes table statistics in place).
pub fn session_state(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::PrepareStmt(_) => Some("PREPARE"),
        NodeEnum::DeallocateStmt(_) => Some("DEALLOCATE"),
        NodeEnum::VacuumStmt(v) if !v.is_vacuumcmd => Some("ANALYZE"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqltext::parse;

    fn calls_in(sql: &str) -> Vec<(Option<String>, String, Option<String>)> {
        parse(sql)
            .unwrap()
            .iter()
            .flat_map(|s| calls(s.node.as_ref().unwrap()))
            .map(|c| (c.schema, c.name, c.first_arg))
            .collect()
    }

    #[test]
    fn calls_anywhere_in_the_tree() {
        let c = calls_in(
            "with x as (select pg_catalog.set_config('role', 'postgres', true)) \
             select (select setval('s', 1)), case when true then \"DBLINK_EXEC\"('x') end \
             from x where exists (select lo_export(1, '/tmp/f')) order by upper('a')",
        );
        let names: Vec<&str> = c.iter().map(|c| c.1.as_str()).collect();
        for n in ["set_config", "setval", "DBLINK_EXEC", "lo_export", "upper"] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        let sc = c.iter().find(|c| c.1 == "set_config").unwrap();
        assert_eq!(sc.0.as_deref(), Some("pg_catalog"));
        assert_eq!(sc.2.as_deref(), Some("role"));
        // Unquoted names are folded; string constants and comments are not calls.
        let c = calls_in("select SetVal('s', 1) -- nextval('x')\n, 'pg_sleep(1)'");
        assert_eq!(c, vec![(None, "setval".into(), Some("s".into()))]);
        // Inside INSERT ... VALUES, UPDATE SET, CALL arguments, DEFAULT expressions of DDL.
        let c = calls_in(
            "insert into t values (nextval('s')); update t set a = pg_advisory_lock(1); \
             call p(pg_terminate_backend(1)); create table u (a int default setval('s', 5))",
        );
        let names: Vec<&str> = c.iter().map(|c| c.1.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "nextval",
                "pg_advisory_lock",
                "pg_terminate_backend",
                "setval"
            ]
        );
        // A unicode-escaped name is decoded by the parser.
        let c = calls_in("select U&\"set\\005Fconfig\"('role', 'x', true)");
        assert_eq!(c[0].1, "set_config");
    }

    #[test]
    fn relations_named() {
        let sql = "with x as (select 1) select * from public.t join \"U\" u on true \
                   where exists (select 1 from s.v) and 1 in (select a from x)";
        let r = relations(parse(sql).unwrap()[0].node.as_ref().unwrap());
        assert_eq!(
            r,
            vec![
                (Some("public".into()), "t".into()),
                (None, "U".into()),
                (Some("s".into()), "v".into()),
                (None, "x".into())
            ]
        );
    }

    #[test]
    fn copy_ends() {
        let node = |sql: &str| parse(sql).unwrap().remove(0).node.unwrap();
        assert_eq!(
            copy(&node("copy t to program 'id'")),
            Some((false, CopyEnd::Program("id".into())))
        );
        assert_eq!(
            copy(&node("copy t from '/etc/passwd'")),
            Some((true, CopyEnd::File("/etc/passwd".into())))
        );
        assert_eq!(
            copy(&node("copy (select 1) to stdout")),
            Some((false, CopyEnd::Client))
        );
        assert_eq!(copy(&node("select 1")), None);
        assert_eq!(
            session_state(&node("prepare p as select 1")),
            Some("PREPARE")
        );
        assert_eq!(session_state(&node("deallocate all")), Some("DEALLOCATE"));
        assert_eq!(session_state(&node("analyze t")), Some("ANALYZE"));
        assert_eq!(session_state(&node("vacuum t")), None);
    }
}
