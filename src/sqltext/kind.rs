//! What a parsed statement does beyond its own work: ends or opens a transaction, changes session
//! state, or cannot run inside a transaction block. Reads parse trees only; callers decide.

use std::fmt;

use pg_query::protobuf::{
    a_const, node, AlterTableType, DiscardMode, ReindexObjectType, TransactionStmtKind,
    VariableSetKind,
};
use pg_query::NodeEnum;

/// A statement that starts, ends or subdivides a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxControl {
    Begin,
    StartTransaction,
    Commit,
    Rollback,
    Savepoint,
    Release,
    RollbackTo,
    PrepareTransaction,
    CommitPrepared,
    RollbackPrepared,
}

impl TxControl {
    /// True for the statements that end the current transaction (COMMIT, END, ROLLBACK, ABORT,
    /// PREPARE TRANSACTION).
    pub fn ends_transaction(self) -> bool {
        matches!(
            self,
            TxControl::Commit | TxControl::Rollback | TxControl::PrepareTransaction
        )
    }
}

impl fmt::Display for TxControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TxControl::Begin => "BEGIN",
            TxControl::StartTransaction => "START TRANSACTION",
            TxControl::Commit => "COMMIT",
            TxControl::Rollback => "ROLLBACK",
            TxControl::Savepoint => "SAVEPOINT",
            TxControl::Release => "RELEASE SAVEPOINT",
            TxControl::RollbackTo => "ROLLBACK TO SAVEPOINT",
            TxControl::PrepareTransaction => "PREPARE TRANSACTION",
            TxControl::CommitPrepared => "COMMIT PREPARED",
            TxControl::RollbackPrepared => "ROLLBACK PREPARED",
        })
    }
}

/// What a statement does to the transaction or the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ... (any spelling: END, ABORT, WORK, ...).
    TransactionControl(TxControl),
    /// `SET` / `SET LOCAL` / `RESET` of a setting (`name` lowercased: `role`,
    /// `session_authorization`, `statement_timeout`, `transaction` for SET TRANSACTION, `all`
    /// for RESET ALL). `local` for SET LOCAL and SET TRANSACTION.
    Set {
        name: String,
        local: bool,
    },
    /// Other statements that change session state beyond the transaction: DISCARD, LISTEN,
    /// UNLISTEN, LOAD. The text names the statement.
    Session(&'static str),
    /// Cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, CREATE
    /// DATABASE, ...). The text names the statement.
    NoTransaction(&'static str),
    Other,
}

impl Kind {
    /// A short name of the statement for messages (`COMMIT`, `SET ROLE`, `VACUUM`), `None` for
    /// [`Kind::Other`].
    pub fn describe(&self) -> Option<String> {
        match self {
            Kind::TransactionControl(t) => Some(t.to_string()),
            Kind::Set { name, local } => Some(match (name.as_str(), local) {
                ("role", false) => "SET ROLE".into(),
                ("role", true) => "SET LOCAL ROLE".into(),
                ("session_authorization", _) => "SET SESSION AUTHORIZATION".into(),
                ("transaction", _) => "SET TRANSACTION".into(),
                ("all", _) => "RESET ALL".into(),
                (n, false) => format!("SET {n}"),
                (n, true) => format!("SET LOCAL {n}"),
            }),
            Kind::Session(s) | Kind::NoTransaction(s) => Some((*s).to_string()),
            Kind::Other => None,
        }
    }
}

/// Classifies one top-level parse tree node.
pub fn classify(node: &NodeEnum) -> Kind {
    use Kind::*;
    match node {
        NodeEnum::TransactionStmt(t) => TransactionControl(match t.kind() {
            TransactionStmtKind::TransStmtBegin | TransactionStmtKind::Undefined => {
                TxControl::Begin
            }
            TransactionStmtKind::TransStmtStart => TxControl::StartTransaction,
            TransactionStmtKind::TransStmtCommit => TxControl::Commit,
            TransactionStmtKind::TransStmtRollback => TxControl::Rollback,
            TransactionStmtKind::TransStmtSavepoint => TxControl::Savepoint,
            TransactionStmtKind::TransStmtRelease => TxControl::Release,
            TransactionStmtKind::TransStmtRollbackTo => TxControl::RollbackTo,
            TransactionStmtKind::TransStmtPrepare => TxControl::PrepareTransaction,
            TransactionStmtKind::TransStmtCommitPrepared => TxControl::CommitPrepared,
            TransactionStmtKind::TransStmtRollbackPrepared => TxControl::RollbackPrepared,
        }),
        NodeEnum::VariableSetStmt(s) => {
            let name = match s.kind() {
                VariableSetKind::VarResetAll => "all".to_string(),
                _ => s.name.to_lowercase(),
            };
            let local = s.is_local || name == "transaction" || name == "session characteristics";
            Set { name, local }
        }
        NodeEnum::DiscardStmt(d) => match d.target() {
            DiscardMode::DiscardAll => NoTransaction("DISCARD ALL"),
            _ => Session("DISCARD"),
        },
        NodeEnum::ListenStmt(_) => Session("LISTEN"),
        NodeEnum::UnlistenStmt(_) => Session("UNLISTEN"),
        NodeEnum::LoadStmt(_) => Session("LOAD"),
        NodeEnum::IndexStmt(i) if i.concurrent => NoTransaction("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(d) if d.concurrent => NoTransaction("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(r) => {
            if has_option(&r.params, "concurrently") {
                NoTransaction("REINDEX CONCURRENTLY")
            } else if matches!(
                r.kind(),
                ReindexObjectType::ReindexObjectSystem | ReindexObjectType::ReindexObjectDatabase
            ) {
                NoTransaction("REINDEX DATABASE/SYSTEM")
            } else {
                Other
            }
        }
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd => NoTransaction("VACUUM"),
        NodeEnum::ClusterStmt(c) if c.relation.is_none() => NoTransaction("CLUSTER (all tables)"),
        NodeEnum::CreatedbStmt(_) => NoTransaction("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => NoTransaction("DROP DATABASE"),
        NodeEnum::AlterDatabaseStmt(a) if has_option(&a.options, "tablespace") => {
            NoTransaction("ALTER DATABASE SET TABLESPACE")
        }
        NodeEnum::CreateTableSpaceStmt(_) => NoTransaction("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => NoTransaction("DROP TABLESPACE"),
        NodeEnum::AlterSystemStmt(_) => NoTransaction("ALTER SYSTEM"),
        NodeEnum::CreateSubscriptionStmt(s) if option_not_false(&s.options, "create_slot") => {
            NoTransaction("CREATE SUBSCRIPTION (creating a slot)")
        }
        NodeEnum::DropSubscriptionStmt(_) => NoTransaction("DROP SUBSCRIPTION"),
        NodeEnum::AlterSubscriptionStmt(_) => Other,
        NodeEnum::AlterTableStmt(a) if detach_concurrently(&a.cmds) => {
            NoTransaction("ALTER TABLE ... DETACH PARTITION CONCURRENTLY")
        }
        _ => Other,
    }
}

/// `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN`: a new transaction starts at once.
pub fn and_chain(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::TransactionStmt(t) if t.chain)
}

/// `ALTER TYPE ... ADD VALUE`: cannot run inside a transaction block before PostgreSQL 12
/// (callers decide with the server's version).
pub fn adds_enum_value(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::AlterEnumStmt(a) if !a.new_val.is_empty() && a.old_val.is_empty())
}

/// For `SET standard_conforming_strings ...` / `RESET ...`: the value it switches to.
pub fn standard_conforming_strings(node: &NodeEnum) -> Option<bool> {
    let NodeEnum::VariableSetStmt(s) = node else {
        return None;
    };
    let all = s.kind() == VariableSetKind::VarResetAll;
    if !all && !s.name.eq_ignore_ascii_case("standard_conforming_strings") {
        return None;
    }
    match s.kind() {
        VariableSetKind::VarSetValue => {
            let v = s
                .args
                .first()
                .and_then(|a| a.node.as_ref())
                .and_then(const_text)?;
            Some(matches!(
                v.to_ascii_lowercase().as_str(),
                "on" | "true" | "yes" | "1" | "t" | "y"
            ))
        }
        VariableSetKind::VarSetDefault
        | VariableSetKind::VarReset
        | VariableSetKind::VarResetAll => Some(true),
        _ => None,
    }
}

fn const_text(n: &NodeEnum) -> Option<String> {
    match n {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            a_const::Val::Sval(s) => Some(s.sval.clone()),
            a_const::Val::Ival(i) => Some(i.ival.to_string()),
            a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            _ => None,
        },
        // `SET x = on`: `on` is a keyword the grammar turns into a string constant.
        NodeEnum::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

fn def_elems(opts: &[pg_query::Node]) -> impl Iterator<Item = &pg_query::protobuf::DefElem> {
    opts.iter().filter_map(|o| match o.node.as_ref() {
        Some(node::Node::DefElem(d)) => Some(d.as_ref()),
        _ => None,
    })
}

fn has_option(opts: &[pg_query::Node], name: &str) -> bool {
    def_elems(opts).any(|d| d.defname.eq_ignore_ascii_case(name) && option_value(d) != Some(false))
}

/// An option absent or not set to false (`create_slot` defaults to true).
fn option_not_false(opts: &[pg_query::Node], name: &str) -> bool {
    !def_elems(opts).any(|d| d.defname.eq_ignore_ascii_case(name) && option_value(d) == Some(false))
}

fn option_value(d: &pg_query::protobuf::DefElem) -> Option<bool> {
    let v = const_text(d.arg.as_ref()?.node.as_ref()?)?;
    match v.to_ascii_lowercase().as_str() {
        "false" | "off" | "0" | "no" | "f" | "n" => Some(false),
        "true" | "on" | "1" | "yes" | "t" | "y" => Some(true),
        _ => None,
    }
}

fn detach_concurrently(cmds: &[pg_query::Node]) -> bool {
    cmds.iter().any(|c| match c.node.as_ref() {
        Some(node::Node::AlterTableCmd(cmd))
            if cmd.subtype() == AlterTableType::AtDetachPartition =>
        {
            matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                Some(node::Node::PartitionCmd(p)) if p.concurrent)
        }
        _ => false,
    })
}
