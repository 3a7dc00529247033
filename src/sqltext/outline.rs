//! Decoding libpg_query's parse, whole or in outline. Everyone who reads a migration set (the
//! lint rules, the runner, diagnose's origins, the rehearsal) looks at what each statement is and
//! at the names in it, never at a policy's `USING` / `WITH CHECK` expressions; those are half the
//! tree of a policy-heavy (Supabase-style) file, and every node costs ~600 bytes decoded. The
//! outline skips them while decoding. Decodes with prost and the `pg_query` crate's own types;
//! reads itself only the first field key of each statement. Must not decide anything about SQL.

use std::sync::OnceLock;

use pg_query::protobuf::{self, CreatePolicyStmt, Node, RangeVar, RawStmt};
use pg_query::NodeEnum;
use prost::encoding::{decode_key, decode_varint, WireType};
use prost::Message;

/// How much of a statement's tree to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything.
    Whole,
    /// Everything but a `CREATE POLICY`'s expressions (`qual` and `with_check` are `None`).
    Outline,
}

/// `pg_query.ParseResult` with each statement's tree left encoded.
#[derive(Clone, PartialEq, Message)]
struct EncodedStmts {
    #[prost(message, repeated, tag = "2")]
    stmts: Vec<EncodedStmt>,
}

/// `pg_query.RawStmt` with its `Node` left encoded.
#[derive(Clone, PartialEq, Message)]
struct EncodedStmt {
    #[prost(bytes = "vec", tag = "1")]
    stmt: Vec<u8>,
    #[prost(int32, tag = "2")]
    stmt_location: i32,
    #[prost(int32, tag = "3")]
    stmt_len: i32,
}

/// `pg_query.CreatePolicyStmt` without fields 6 (`qual`) and 7 (`with_check`), which prost
/// skips as fields this message does not declare.
#[derive(Clone, PartialEq, Message)]
struct PolicyOutline {
    #[prost(string, tag = "1")]
    policy_name: String,
    #[prost(message, optional, tag = "2")]
    table: Option<RangeVar>,
    #[prost(string, tag = "3")]
    cmd_name: String,
    #[prost(bool, tag = "4")]
    permissive: bool,
    #[prost(message, repeated, tag = "5")]
    roles: Vec<Node>,
}

/// The statements of an encoded `pg_query.ParseResult` ([`super::ffi::parse_encoded`]).
pub fn decode(encoded: &[u8], detail: Detail) -> Result<Vec<RawStmt>, prost::DecodeError> {
    if detail == Detail::Whole {
        return Ok(protobuf::ParseResult::decode(encoded)?.stmts);
    }
    let policy = policy_field();
    EncodedStmts::decode(encoded)?
        .stmts
        .into_iter()
        .map(|e| {
            let stmt = match e.stmt.is_empty() {
                true => None,
                false => Some(Box::new(outline_node(&e.stmt, policy)?)),
            };
            Ok(RawStmt {
                stmt,
                stmt_location: e.stmt_location,
                stmt_len: e.stmt_len,
            })
        })
        .collect()
}

/// An encoded statement `Node`; a `CreatePolicyStmt` without its expressions.
fn outline_node(encoded: &[u8], policy: u32) -> Result<Node, prost::DecodeError> {
    let mut rest = encoded;
    if let Ok((field, WireType::LengthDelimited)) = decode_key(&mut rest) {
        // The node is exactly this one field: its oneof holds a policy and nothing follows.
        if field == policy && decode_varint(&mut rest).is_ok_and(|len| len == rest.len() as u64) {
            let p = PolicyOutline::decode(rest)?;
            return Ok(Node {
                node: Some(NodeEnum::CreatePolicyStmt(Box::new(CreatePolicyStmt {
                    policy_name: p.policy_name,
                    table: p.table,
                    cmd_name: p.cmd_name,
                    permissive: p.permissive,
                    roles: p.roles,
                    qual: None,
                    with_check: None,
                }))),
            });
        }
    }
    Node::decode(encoded)
}

/// The field number of `CreatePolicyStmt` in `Node`'s oneof, as the crate encodes it (0, which
/// no field has, if that could not be read).
fn policy_field() -> u32 {
    static FIELD: OnceLock<u32> = OnceLock::new();
    *FIELD.get_or_init(|| {
        let node = Node {
            node: Some(NodeEnum::CreatePolicyStmt(Box::default())),
        };
        decode_key(&mut node.encode_to_vec().as_slice()).map_or(0, |(field, _)| field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(sql: &str) -> Vec<u8> {
        super::super::ffi::parse_encoded(sql, pg_query::ParserOptions::DEFAULT).unwrap()
    }

    #[test]
    fn the_outline_is_the_whole_tree_without_policy_expressions() {
        let sql = "create table public.t (id int primary key, owner uuid default gen_random_uuid() check (owner is not null));\n\
alter table t enable row level security;\n\
create policy \"owners read\" on public.t as restrictive for select to authenticated, \"Mixed Case\" using (owner = auth.uid() and id > 0);\n\
create policy p2 on t for update using (true) with check (owner = (select auth.uid()));\n\
create policy p3 on t;\n\
create view v as select * from t where id in (select id from t);\n\
select 1;";
        let whole = decode(&encoded(sql), Detail::Whole).unwrap();
        let outline = decode(&encoded(sql), Detail::Outline).unwrap();
        assert_eq!(whole.len(), 7);
        let mut expected = whole.clone();
        let mut policies = 0;
        for raw in &mut expected {
            if let Some(NodeEnum::CreatePolicyStmt(p)) =
                raw.stmt.as_mut().and_then(|n| n.node.as_mut())
            {
                policies += 1;
                p.qual = None;
                p.with_check = None;
            }
        }
        assert_eq!(policies, 3);
        assert_eq!(outline, expected);
        // The fields kept are the ones pg_query decodes (a renumbered field would differ here).
        let Some(NodeEnum::CreatePolicyStmt(p)) =
            outline[2].stmt.as_ref().and_then(|n| n.node.as_ref())
        else {
            panic!("{:?}", outline[2]);
        };
        assert_eq!(p.policy_name, "owners read");
        assert_eq!(p.cmd_name, "select");
        assert!(!p.permissive);
        assert_eq!(p.table.as_ref().map(|t| t.relname.as_str()), Some("t"));
        assert_eq!(p.roles.len(), 2);
        // The whole decode keeps them.
        assert!(whole[3].stmt.as_ref().is_some_and(|n| matches!(&n.node, Some(NodeEnum::CreatePolicyStmt(p)) if p.qual.is_some() && p.with_check.is_some())));
    }

    #[test]
    fn the_policy_field_is_the_crates() {
        let tree = pg_query::parse(
            "create policy p on t using (true)",
            pg_query::ParserOptions::DEFAULT,
        )
        .unwrap()
        .protobuf;
        let node = tree.stmts[0].stmt.as_ref().unwrap().encode_to_vec();
        assert_eq!(decode_key(&mut node.as_slice()).unwrap().0, policy_field());
        assert_ne!(policy_field(), 0);
    }

    #[test]
    fn an_empty_text_has_no_statements() {
        assert_eq!(decode(&encoded(""), Detail::Outline).unwrap(), vec![]);
        assert_eq!(
            decode(&encoded("-- nothing"), Detail::Whole).unwrap(),
            vec![]
        );
    }
}
