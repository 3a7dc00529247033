//! The index a `CREATE INDEX` statement creates, read from its parse tree: name, table and
//! whether it is built concurrently. Reads parse trees only; must not decide policy.

use pg_query::NodeEnum;

/// An index named by a `CREATE INDEX` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIndex {
    /// The index name as PostgreSQL stores it (the parser already folded unquoted names);
    /// `None` when the statement lets PostgreSQL choose it.
    pub name: Option<String>,
    /// The table's schema when written; the index lives in the table's schema.
    pub table_schema: Option<String>,
    pub table: String,
    pub concurrent: bool,
    pub if_not_exists: bool,
}

/// The index `node` creates, when it is a `CREATE INDEX`.
pub fn created_index(node: &NodeEnum) -> Option<CreatedIndex> {
    let NodeEnum::IndexStmt(i) = node else {
        return None;
    };
    let rel = i.relation.as_ref()?;
    Some(CreatedIndex {
        name: (!i.idxname.is_empty()).then(|| i.idxname.clone()),
        table_schema: (!rel.schemaname.is_empty()).then(|| rel.schemaname.clone()),
        table: rel.relname.clone(),
        concurrent: i.concurrent,
        if_not_exists: i.if_not_exists,
    })
}
