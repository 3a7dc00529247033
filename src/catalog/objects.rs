//! The snapshot's objects other than relations: functions, enum types, publications,
//! extensions, Supabase Storage, roles and schemas. Must not read the database (load.rs does).

use serde::Serialize;

use super::{AclItem, Oid, Policy, QualName};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Aggregate,
    Window,
}

impl FunctionKind {
    pub fn from_prokind(c: u8) -> FunctionKind {
        match c {
            b'p' => FunctionKind::Procedure,
            b'a' => FunctionKind::Aggregate,
            b'w' => FunctionKind::Window,
            _ => FunctionKind::Function,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

impl Volatility {
    pub fn from_code(c: u8) -> Volatility {
        match c {
            b'i' => Volatility::Immutable,
            b's' => Volatility::Stable,
            _ => Volatility::Volatile,
        }
    }

    pub fn parse(s: &str) -> Option<Volatility> {
        Some(match s.to_ascii_lowercase().as_str() {
            "immutable" => Volatility::Immutable,
            "stable" => Volatility::Stable,
            "volatile" => Volatility::Volatile,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Volatility::Immutable => "immutable",
            Volatility::Stable => "stable",
            Volatility::Volatile => "volatile",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub kind: FunctionKind,
    /// Input argument types (`format_type`), in order.
    pub arg_types: Vec<String>,
    /// `pg_get_function_identity_arguments`, e.g. `p_ticket uuid, p_agent uuid`.
    pub identity_args: String,
    /// `pg_get_function_result`, e.g. `void`, `TABLE(id uuid)`, `trigger`.
    pub returns: String,
    pub language: String,
    pub security_definer: bool,
    /// `proconfig`: `search_path=public, pg_temp`, ...
    pub config: Vec<String>,
    pub volatility: Volatility,
    pub owner: String,
    /// Default ACL (EXECUTE to PUBLIC) when none was ever granted.
    pub acl: Vec<AclItem>,
    /// `prosrc`: the body of a SQL or PL/pgSQL function (a C function's symbol).
    pub body: Option<String>,
    /// An extension owns it.
    pub from_extension: bool,
}

impl Function {
    pub fn new(schema: &str, name: &str, arg_types: &[&str], returns: &str) -> Function {
        Function {
            oid: 0,
            schema: schema.to_string(),
            name: name.to_string(),
            kind: FunctionKind::Function,
            arg_types: arg_types.iter().map(|a| a.to_string()).collect(),
            identity_args: arg_types.join(", "),
            returns: returns.to_string(),
            language: "sql".to_string(),
            security_definer: false,
            config: Vec::new(),
            volatility: Volatility::Volatile,
            owner: "postgres".to_string(),
            acl: Vec::new(),
            body: None,
            from_extension: false,
        }
    }

    pub fn qual(&self) -> QualName {
        QualName::new(&self.schema, &self.name)
    }

    /// Returns `trigger` / `event_trigger`: only ever run by a trigger, never callable directly
    /// (PostgreSQL refuses `SELECT f()` for them).
    pub fn is_trigger_function(&self) -> bool {
        matches!(self.returns.as_str(), "trigger" | "event_trigger")
    }

    /// `name(argtype, ...)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.arg_types.join(", "))
    }

    /// The pinned `search_path` (from `SET search_path = ...`), if any.
    pub fn search_path(&self) -> Option<&str> {
        self.config
            .iter()
            .find_map(|c| c.strip_prefix("search_path="))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    /// Labels in sort order.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub name: String,
    pub all_tables: bool,
    /// Member tables in the snapshot's schemas (FOR ALL TABLES expanded).
    pub members: Vec<QualName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub name: String,
    pub version: String,
    pub schema: String,
    /// The version `CREATE EXTENSION` would install today (`None`: no control file).
    pub default_version: Option<String>,
    /// The installed version is one the server still ships a script for.
    pub version_available: bool,
}

/// Supabase Storage as far as diagnose needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Storage {
    /// Ids of the buckets with `public = true`.
    pub public_buckets: Vec<String>,
    /// The policies on `storage.objects` (USING deparsed).
    pub object_policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub oid: Oid,
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub login: bool,
    pub replication: bool,
    pub bypass_rls: bool,
    /// Roles this role is a direct member of.
    pub member_of: Vec<String>,
}

impl Role {
    pub fn new(name: &str) -> Role {
        Role {
            oid: 0,
            name: name.to_string(),
            superuser: false,
            inherit: true,
            create_role: false,
            create_db: false,
            login: false,
            replication: false,
            bypass_rls: false,
            member_of: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaInfo {
    pub name: String,
    pub owner: String,
    /// Default ACL (owner only) when none was ever granted.
    pub acl: Vec<AclItem>,
}
