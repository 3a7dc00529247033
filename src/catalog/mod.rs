//! One snapshot of the catalogs per run: every fact the static check kinds, `diagnose` and
//! `snapshot` need, read by `load` in a fixed handful of set-returning queries (never one query
//! per check or per object). Owns the `Snapshot` model and its lookups; must not evaluate checks
//! or write to the database.
//!
//! Building one by hand (tests): fill the public `Vec`s, then call [`Snapshot::finish`] to build
//! the lookup maps.

mod load;
pub mod privilege;

pub use privilege::Privilege;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use load::{
    load, load_consistent, load_consistent_shared, parse_acl, OpenSecond, Scope, QUERY_COUNT,
    SHARE_POLICIES_AT,
};

pub type Oid = u32;

/// A schema-qualified name, exactly as stored in the catalog (case-sensitive, unquoted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QualName {
        QualName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// `schema.name` quoted for SQL.
    pub fn quoted(&self) -> String {
        format!(
            "{}.{}",
            crate::db::quote_ident(&self.schema),
            crate::db::quote_ident(&self.name)
        )
    }

    /// The name as shown to a reader whose default schema is `default_schema`.
    pub fn show(&self, default_schema: &str) -> String {
        if self.schema == default_schema {
            self.name.clone()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// `pg_class.relkind`, for the kinds the snapshot keeps (indexes live under their table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    Sequence,
    ForeignTable,
}

impl RelKind {
    pub fn from_relkind(c: u8) -> Option<RelKind> {
        Some(match c {
            b'r' => RelKind::Table,
            b'p' => RelKind::PartitionedTable,
            b'v' => RelKind::View,
            b'm' => RelKind::MaterializedView,
            b'S' => RelKind::Sequence,
            b'f' => RelKind::ForeignTable,
            _ => return None,
        })
    }

    /// "table", "view", ... as written in check files and diagnoses.
    pub fn noun(self) -> &'static str {
        match self {
            RelKind::Table => "table",
            RelKind::PartitionedTable => "partitioned table",
            RelKind::View => "view",
            RelKind::MaterializedView => "materialized view",
            RelKind::Sequence => "sequence",
            RelKind::ForeignTable => "foreign table",
        }
    }

    /// Ordinary or partitioned table (what RLS and policies apply to).
    pub fn is_table(self) -> bool {
        matches!(self, RelKind::Table | RelKind::PartitionedTable)
    }
}

/// One exploded ACL entry (`aclexplode`), default ACLs included when the catalog stores NULL.
/// Role names are shared (`Arc<str>`): one ACL of 8 privileges holds each name once, not 16
/// times (30,000 relations: ~45 MB less).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclItem {
    /// Role name, or `PUBLIC`.
    pub grantee: std::sync::Arc<str>,
    pub grantor: std::sync::Arc<str>,
    pub privilege: Privilege,
    pub grantable: bool,
}

impl AclItem {
    pub fn new(grantee: &str, privilege: &str) -> AclItem {
        AclItem {
            grantee: grantee.into(),
            grantor: "".into(),
            privilege: Privilege::from_name(privilege)
                .unwrap_or_else(|| panic!("AclItem::new: no privilege is named {privilege}")),
            grantable: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub num: i16,
    pub name: String,
    /// `format_type(atttypid, atttypmod)`, e.g. `text`, `timestamp with time zone`, `character varying(20)`.
    pub type_name: String,
    pub nullable: bool,
    /// `pg_get_expr(adbin)`, e.g. `now()`, `'open'::text`.
    pub default: Option<String>,
    /// `always` / `by default` for identity columns.
    pub identity: Option<String>,
    pub generated: bool,
    /// Column-level grants only (table-level grants are on the relation).
    pub acl: Vec<AclItem>,
}

impl Column {
    pub fn new(name: &str, type_name: &str) -> Column {
        Column {
            num: 0,
            name: name.to_string(),
            type_name: type_name.to_string(),
            nullable: true,
            default: None,
            identity: None,
            generated: false,
            acl: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    Exclusion,
    Other,
}

impl ConstraintKind {
    pub fn from_contype(c: u8) -> ConstraintKind {
        match c {
            b'p' => ConstraintKind::PrimaryKey,
            b'u' => ConstraintKind::Unique,
            b'c' => ConstraintKind::Check,
            b'f' => ConstraintKind::ForeignKey,
            b'x' => ConstraintKind::Exclusion,
            _ => ConstraintKind::Other,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique",
            ConstraintKind::Check => "check",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Exclusion => "exclusion",
            ConstraintKind::Other => "other",
        }
    }
}

/// ON DELETE / ON UPDATE action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub fn from_code(c: u8) -> FkAction {
        match c {
            b'r' => FkAction::Restrict,
            b'c' => FkAction::Cascade,
            b'n' => FkAction::SetNull,
            b'd' => FkAction::SetDefault,
            _ => FkAction::NoAction,
        }
    }

    /// As written in SQL: `NO ACTION`, `CASCADE`, ...
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub table: QualName,
    pub columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// The referenced key is the target's primary key (else another unique index).
    pub to_primary_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// `pg_get_constraintdef`, e.g. `CHECK ((status = ANY (...)))`, when the scope read
    /// expressions.
    pub definition: Option<String>,
    pub foreign: Option<ForeignKey>,
    pub validated: bool,
}

/// One key column of an index beyond its name: expression or column, and its sort order
/// (`pg_index.indoption`; always ASC NULLS LAST for access methods without ordering).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexKey {
    /// An expression (`lower(email)`), not a plain column.
    pub expression: bool,
    /// DESC (indoption bit 0).
    pub desc: bool,
    /// NULLS FIRST (indoption bit 1): the default of DESC, not of ASC.
    pub nulls_first: bool,
}

impl IndexKey {
    pub fn from_indoption(option: i16, expression: bool) -> IndexKey {
        IndexKey {
            expression,
            desc: option & 1 != 0,
            nulls_first: option & 2 != 0,
        }
    }

    /// What PostgreSQL prints after the key in CREATE INDEX: `` (ASC NULLS LAST), ` DESC`,
    /// ` NULLS FIRST`, ` DESC NULLS LAST`.
    pub fn suffix(self) -> &'static str {
        match (self.desc, self.nulls_first) {
            (false, false) => "",
            (false, true) => " NULLS FIRST",
            (true, true) => " DESC",
            (true, false) => " DESC NULLS LAST",
        }
    }

    /// The sort order in words, direction always given: `ASC`, `DESC`, `ASC NULLS FIRST`, ...
    pub fn order(self) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        if self.nulls_first == self.desc {
            dir.to_string()
        } else if self.nulls_first {
            format!("{dir} NULLS FIRST")
        } else {
            format!("{dir} NULLS LAST")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    /// Key columns in order; an expression column appears as its expression text
    /// (`pg_get_indexdef(indexrelid, k, true)`).
    pub columns: Vec<String>,
    /// Per key column (parallel to `columns`): expression or column, sort order. A key without
    /// an entry is a plain column, ASC NULLS LAST.
    pub keys: Vec<IndexKey>,
    pub unique: bool,
    pub primary: bool,
    pub valid: bool,
    /// WHERE clause of a partial index (when the scope read expressions).
    pub predicate: Option<String>,
    /// `pg_get_indexdef` (when the scope read definitions).
    pub definition: Option<String>,
    /// Index scans since the statistics were last reset (`pg_stat_user_indexes.idx_scan`);
    /// `None` when unknown.
    pub scans: Option<i64>,
    /// Access method (`btree`, `gin`, ...); empty when unknown.
    pub method: String,
}

impl Index {
    /// Key column `i`'s options (a plain ASC NULLS LAST column when not recorded).
    pub fn key(&self, i: usize) -> IndexKey {
        self.keys.get(i).copied().unwrap_or_default()
    }

    /// The key columns as CREATE INDEX writes them, sort order included:
    /// `["conversation_id", "created_at DESC"]`.
    pub fn key_texts(&self) -> Vec<String> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", self.key(i).suffix()))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn from_polcmd(c: u8) -> PolicyCommand {
        match c {
            b'r' => PolicyCommand::Select,
            b'a' => PolicyCommand::Insert,
            b'w' => PolicyCommand::Update,
            b'd' => PolicyCommand::Delete,
            _ => PolicyCommand::All,
        }
    }

    pub fn parse(s: &str) -> Option<PolicyCommand> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ALL" => PolicyCommand::All,
            "SELECT" => PolicyCommand::Select,
            "INSERT" => PolicyCommand::Insert,
            "UPDATE" => PolicyCommand::Update,
            "DELETE" => PolicyCommand::Delete,
            _ => return None,
        })
    }

    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// Whether a policy for `self` applies to statements of `cmd` (ALL applies to all).
    pub fn covers(self, cmd: PolicyCommand) -> bool {
        self == PolicyCommand::All || self == cmd
    }
}

impl fmt::Display for PolicyCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    /// Role names; `public` when the policy applies to PUBLIC (polroles = {0}).
    pub roles: Vec<String>,
    pub permissive: bool,
    /// USING expression (`pg_get_expr(polqual)`).
    pub using: Option<String>,
    /// WITH CHECK expression.
    pub with_check: Option<String>,
}

impl Policy {
    pub fn new(name: &str, command: PolicyCommand, roles: &[&str]) -> Policy {
        Policy {
            name: name.to_string(),
            command,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            permissive: true,
            using: None,
            with_check: None,
        }
    }

    pub fn applies_to_public(&self) -> bool {
        self.roles.iter().any(|r| r == "public")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

impl TriggerTiming {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
    Truncate,
}

impl TriggerEvent {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Truncate => "TRUNCATE",
        }
    }

    pub fn parse(s: &str) -> Option<TriggerEvent> {
        Some(match s.to_ascii_uppercase().as_str() {
            "INSERT" => TriggerEvent::Insert,
            "UPDATE" => TriggerEvent::Update,
            "DELETE" => TriggerEvent::Delete,
            "TRUNCATE" => TriggerEvent::Truncate,
            _ => return None,
        })
    }
}

/// `pg_trigger.tgenabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    /// 'O': fires in origin and local modes (the normal state).
    Origin,
    /// 'D'
    Disabled,
    /// 'R': replica only.
    Replica,
    /// 'A': always.
    Always,
}

impl TriggerEnabled {
    pub fn from_code(c: u8) -> TriggerEnabled {
        match c {
            b'D' => TriggerEnabled::Disabled,
            b'R' => TriggerEnabled::Replica,
            b'A' => TriggerEnabled::Always,
            _ => TriggerEnabled::Origin,
        }
    }

    /// Fires in a normal session.
    pub fn fires(self) -> bool {
        matches!(self, TriggerEnabled::Origin | TriggerEnabled::Always)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub function: QualName,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    /// FOR EACH ROW (else FOR EACH STATEMENT).
    pub row: bool,
    pub enabled: TriggerEnabled,
    /// `pg_get_triggerdef` (when the scope read definitions).
    pub definition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ViewInfo {
    /// `pg_get_viewdef` (when the scope read definitions).
    pub definition: Option<String>,
    /// Every relation (table, view, ...) the view's rewrite rule depends on.
    pub depends_on: Vec<QualName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SequenceInfo {
    /// `OWNED BY table.column` (serial/identity or explicit).
    pub owned_by: Option<(QualName, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relation {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub kind: RelKind,
    pub owner: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub is_partition: bool,
    /// `reloptions` as stored: `security_invoker=true`, `fillfactor=70`, ...
    pub options: Vec<String>,
    /// Table-level ACL (default ACL when none was ever granted).
    pub acl: Vec<AclItem>,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    pub policies: Vec<Policy>,
    pub triggers: Vec<Trigger>,
    /// Views and materialized views.
    pub view: Option<ViewInfo>,
    /// Sequences.
    pub sequence: Option<SequenceInfo>,
    /// An extension owns it (created by CREATE EXTENSION).
    pub from_extension: bool,
}

impl Relation {
    pub fn new(schema: &str, name: &str, kind: RelKind) -> Relation {
        Relation {
            oid: 0,
            schema: schema.to_string(),
            name: name.to_string(),
            kind,
            owner: "postgres".to_string(),
            rls_enabled: false,
            rls_forced: false,
            is_partition: false,
            options: Vec::new(),
            acl: Vec::new(),
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
            policies: Vec::new(),
            triggers: Vec::new(),
            view: matches!(kind, RelKind::View | RelKind::MaterializedView).then(ViewInfo::default),
            sequence: (kind == RelKind::Sequence).then(SequenceInfo::default),
            from_extension: false,
        }
    }

    pub fn qual(&self) -> QualName {
        QualName::new(&self.schema, &self.name)
    }

    /// The value of a reloption (`security_invoker`, `security_barrier`, ...), if set.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.iter().find_map(|o| {
            let (k, v) = o.split_once('=')?;
            (k == key).then_some(v)
        })
    }

    /// A boolean reloption (`on`/`true`/`yes`/`1`), false when unset.
    pub fn option_bool(&self, key: &str) -> bool {
        self.option(key)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1"))
    }

    /// Views: `WITH (security_invoker = true)`.
    pub fn security_invoker(&self) -> bool {
        self.option_bool("security_invoker")
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }

    pub fn trigger(&self, name: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.name == name)
    }
}

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

/// Everything read from the catalogs in one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// The schemas that were read (as requested), whether or not they exist.
    pub scope: Vec<String>,
    /// The requested schemas that exist.
    pub schemas: Vec<SchemaInfo>,
    pub relations: Vec<Relation>,
    pub functions: Vec<Function>,
    pub enums: Vec<EnumType>,
    pub publications: Vec<Publication>,
    pub extensions: Vec<Extension>,
    /// Every role of the cluster.
    pub roles: Vec<Role>,
    pub current_user: String,
    pub server_version_num: i32,
    /// Seconds since this database's statistics were last reset (`None`: never reset).
    pub stats_reset_age_s: Option<f64>,
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// Supabase Storage's public buckets and storage.objects policies (empty without Storage).
    pub storage: Storage,
    /// How many connections read it: 2 when a large catalog's policy read was shared
    /// ([`load_consistent_shared`]), 0 when not read from a database.
    #[serde(skip)]
    pub connections: usize,
    /// Lookup maps built by [`Snapshot::finish`] (opaque; public only so that
    /// `Snapshot { .., ..Default::default() }` works).
    #[serde(skip)]
    pub ix: Lookups,
}

#[derive(Debug, Clone, Default)]
pub struct Lookups {
    relations: HashMap<QualName, usize>,
    /// Lower-cased, underscore-free name → relations (near-miss lookups).
    folded: HashMap<String, Vec<usize>>,
    functions: HashMap<QualName, Vec<usize>>,
    enums: HashMap<QualName, usize>,
    /// Index name → (relation, index position).
    indexes: HashMap<QualName, (usize, usize)>,
    /// Policy name → (relation, policy position), across all tables.
    policies: HashMap<String, Vec<(usize, usize)>>,
    roles: HashMap<String, usize>,
    publications: HashMap<String, usize>,
    extensions: HashMap<String, usize>,
}

/// Folds a relation name for near-miss matching: `ChatMessage`, `chat_messages`, `chat_message`
/// all fold to `chatmessage`.
pub fn fold_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .flat_map(|c| c.to_lowercase())
        .collect();
    if s.len() > 3 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.len() > 1 && s.ends_with('s') && !s.ends_with("ss") {
        s.pop();
    }
    s
}

impl Snapshot {
    /// Build the lookup maps. Call after filling or changing the public vectors.
    pub fn finish(mut self) -> Snapshot {
        let mut ix = Lookups::default();
        for (i, r) in self.relations.iter().enumerate() {
            ix.relations.insert(r.qual(), i);
            ix.folded.entry(fold_name(&r.name)).or_default().push(i);
            for (j, x) in r.indexes.iter().enumerate() {
                ix.indexes.insert(QualName::new(&r.schema, &x.name), (i, j));
            }
            for (j, p) in r.policies.iter().enumerate() {
                ix.policies.entry(p.name.clone()).or_default().push((i, j));
            }
        }
        for (i, f) in self.functions.iter().enumerate() {
            ix.functions.entry(f.qual()).or_default().push(i);
        }
        for (i, e) in self.enums.iter().enumerate() {
            ix.enums.insert(QualName::new(&e.schema, &e.name), i);
        }
        for (i, r) in self.roles.iter().enumerate() {
            ix.roles.insert(r.name.clone(), i);
        }
        for (i, p) in self.publications.iter().enumerate() {
            ix.publications.insert(p.name.clone(), i);
        }
        for (i, e) in self.extensions.iter().enumerate() {
            ix.extensions.insert(e.name.clone(), i);
        }
        self.ix = ix;
        self
    }

    /// Whether `schema` was read into this snapshot.
    pub fn covers(&self, schema: &str) -> bool {
        self.scope.iter().any(|s| s == schema)
    }

    pub fn schema(&self, name: &str) -> Option<&SchemaInfo> {
        self.schemas.iter().find(|s| s.name == name)
    }

    pub fn relation(&self, q: &QualName) -> Option<&Relation> {
        self.ix.relations.get(q).map(|&i| &self.relations[i])
    }

    pub fn relation_by(&self, schema: &str, name: &str) -> Option<&Relation> {
        self.relation(&QualName::new(schema, name))
    }

    /// Relations of one schema, in catalog order.
    pub fn relations_in<'a>(&'a self, schema: &str) -> impl Iterator<Item = &'a Relation> + 'a {
        let schema = schema.to_string();
        self.relations.iter().filter(move |r| r.schema == schema)
    }

    /// Relations whose names fold to the same text as `name` (case, underscores, plural), any schema.
    pub fn similar_relations(&self, name: &str) -> Vec<&Relation> {
        self.ix
            .folded
            .get(&fold_name(name))
            .map(|v| v.iter().map(|&i| &self.relations[i]).collect())
            .unwrap_or_default()
    }

    /// Every overload of a function.
    pub fn functions_named(&self, q: &QualName) -> Vec<&Function> {
        self.ix
            .functions
            .get(q)
            .map(|v| v.iter().map(|&i| &self.functions[i]).collect())
            .unwrap_or_default()
    }

    pub fn enum_type(&self, q: &QualName) -> Option<&EnumType> {
        self.ix.enums.get(q).map(|&i| &self.enums[i])
    }

    /// An index by its (schema-qualified) name, with the relation it is on.
    pub fn index(&self, q: &QualName) -> Option<(&Relation, &Index)> {
        self.ix.indexes.get(q).map(|&(i, j)| {
            let r = &self.relations[i];
            (r, &r.indexes[j])
        })
    }

    /// Every policy with this name, on any table, with its table.
    pub fn policies_named(&self, name: &str) -> Vec<(&Relation, &Policy)> {
        self.ix
            .policies
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|&(i, j)| {
                        let r = &self.relations[i];
                        (r, &r.policies[j])
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.ix.roles.get(name).map(|&i| &self.roles[i])
    }

    pub fn publication(&self, name: &str) -> Option<&Publication> {
        self.ix
            .publications
            .get(name)
            .map(|&i| &self.publications[i])
    }

    pub fn extension(&self, name: &str) -> Option<&Extension> {
        self.ix.extensions.get(name).map(|&i| &self.extensions[i])
    }

    /// The grantees whose privileges `role` exercises: itself, PUBLIC, and every role it is
    /// (transitively) a member of through inheriting memberships. Unknown roles get themselves
    /// and PUBLIC.
    pub fn effective_grantees(&self, role: &str) -> Vec<String> {
        let mut out = vec![role.to_string(), "PUBLIC".to_string()];
        let mut stack = vec![role.to_string()];
        while let Some(r) = stack.pop() {
            let Some(info) = self.role(&r) else { continue };
            if !info.inherit {
                continue;
            }
            for m in &info.member_of {
                if !out.contains(m) {
                    out.push(m.clone());
                    stack.push(m.clone());
                }
            }
        }
        out
    }

    /// Whether `role` is a superuser (has every privilege and bypasses RLS).
    pub fn is_superuser(&self, role: &str) -> bool {
        self.role(role).is_some_and(|r| r.superuser)
    }
}

/// Privileges an ACL grants to any of `grantees` (upper case, deduplicated, in ACL order).
pub fn privileges_of<'a>(acl: &'a [AclItem], grantees: &[String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for a in acl {
        if grantees.iter().any(|g| **g == *a.grantee) && !out.contains(&a.privilege.name()) {
            out.push(a.privilege.name());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_key_options_print_as_create_index_does() {
        let k = |opt, expression| IndexKey::from_indoption(opt, expression);
        assert_eq!(
            (k(0, false).suffix(), k(0, false).order()),
            ("", "ASC".into())
        );
        assert_eq!(
            (k(3, false).suffix(), k(3, false).order()),
            (" DESC", "DESC".into())
        );
        assert_eq!(
            (k(1, false).suffix(), k(1, false).order()),
            (" DESC NULLS LAST", "DESC NULLS LAST".into())
        );
        assert_eq!(
            (k(2, false).suffix(), k(2, false).order()),
            (" NULLS FIRST", "ASC NULLS FIRST".into())
        );
        let ix = Index {
            name: "i".into(),
            columns: vec!["a".into(), "lower(b)".into(), "c".into()],
            keys: vec![k(0, false), k(3, true)],
            unique: false,
            primary: false,
            valid: true,
            predicate: None,
            definition: None,
            scans: None,
            method: "btree".into(),
        };
        assert_eq!(ix.key_texts(), ["a", "lower(b) DESC", "c"]);
        assert!(ix.key(1).expression && !ix.key(2).expression);
    }

    #[test]
    fn fold_matches_pascal_and_snake_plural() {
        assert_eq!(fold_name("ChatMessage"), fold_name("chat_messages"));
        assert_eq!(fold_name("DailyMood"), fold_name("daily_mood"));
        assert_eq!(fold_name("JournalEntry"), fold_name("journal_entries"));
        assert_ne!(fold_name("chat_sessions"), fold_name("chat_messages"));
    }

    #[test]
    fn lookups_and_grantees() {
        let mut s = Snapshot::default();
        let mut t = Relation::new("public", "t", RelKind::Table);
        t.policies
            .push(Policy::new("p", PolicyCommand::Select, &["public"]));
        s.relations.push(t);
        let mut a = Role::new("authenticator");
        a.member_of = vec!["authenticated".into()];
        let mut b = Role::new("authenticated");
        b.member_of = vec!["base".into()];
        s.roles = vec![a, b, Role::new("base")];
        let s = s.finish();
        assert!(s.relation_by("public", "t").is_some());
        assert_eq!(s.policies_named("p").len(), 1);
        assert_eq!(
            s.effective_grantees("authenticator"),
            vec!["authenticator", "PUBLIC", "authenticated", "base"]
        );
    }

    #[test]
    fn reloptions() {
        let mut v = Relation::new("public", "v", RelKind::View);
        assert!(!v.security_invoker());
        v.options = vec!["security_invoker=true".into()];
        assert!(v.security_invoker());
        v.options = vec!["security_invoker=off".into()];
        assert!(!v.security_invoker());
    }
}
