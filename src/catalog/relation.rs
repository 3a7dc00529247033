//! A relation as the snapshot holds it: kind, columns, constraints, indexes, policies,
//! triggers, view and sequence facts, with the catalog's closed sets (relkind, contype, FK
//! actions, polcmd, trigger timing/events/enabled) as enums. Must not read the database (load.rs
//! does) nor look anything up across relations (the Snapshot does).

use std::fmt;

use serde::Serialize;

use super::{AclItem, Oid, QualName};

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
