//! `[[exists]]`: an object exists with the given properties — table, column, index, constraint,
//! enum, function/procedure, trigger, view/materialized view, sequence, publication membership,
//! extension, role. Also holds the object model `[[absent]]` shares. Reads only the Snapshot.

use serde::Deserialize;

use super::model::{
    canonical_type, closest, default_matches, list, missing_relation, plural, schemas_of,
    search_path_list, split_column, split_name, squash_sql, BoolOrText, Ctx, Names, Validator,
};
use super::{Outcome, StaticCheck};
use crate::catalog::{
    ConstraintKind, FkAction, Function, FunctionKind, IndexKey, QualName, RelKind, Relation,
    Snapshot, TriggerEvent, Volatility,
};

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    Column,
    Index,
    Constraint,
    Enum,
    Function,
    Procedure,
    Trigger,
    View,
    MaterializedView,
    Sequence,
    Publication,
    Extension,
    Role,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Column => "column",
            Kind::Index => "index",
            Kind::Constraint => "constraint",
            Kind::Enum => "enum",
            Kind::Function => "function",
            Kind::Procedure => "procedure",
            Kind::Trigger => "trigger",
            Kind::View => "view",
            Kind::MaterializedView => "materialized_view",
            Kind::Sequence => "sequence",
            Kind::Publication => "publication",
            Kind::Extension => "extension",
            Kind::Role => "role",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::MaterializedView => "materialized view",
            Kind::Enum => "enum type",
            k => k.key(),
        }
    }

    fn plural_noun(self) -> &'static str {
        match self {
            Kind::Table => "tables",
            Kind::Column => "columns",
            Kind::Index => "indexes",
            Kind::Constraint => "constraints",
            Kind::Enum => "enum types",
            Kind::Function => "functions",
            Kind::Procedure => "procedures",
            Kind::Trigger => "triggers",
            Kind::View => "views",
            Kind::MaterializedView => "materialized views",
            Kind::Sequence => "sequences",
            Kind::Publication => "publications",
            Kind::Extension => "extensions",
            Kind::Role => "roles",
        }
    }

    /// The noun for `n` of them.
    fn nouns(self, n: usize) -> &'static str {
        plural(n, self.noun(), self.plural_noun())
    }

    /// Property keys that apply to this object in `[[exists]]`.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Kind::Table => &["columns", "primary_key", "owner"],
            Kind::Column => &["table", "type", "nullable", "default"],
            Kind::Index => &["table", "columns", "unique"],
            Kind::Constraint => &[
                "table",
                "type",
                "columns",
                "references",
                "on_delete",
                "on_update",
                "definition",
            ],
            Kind::Enum => &["values"],
            Kind::Function | Kind::Procedure => &[
                "args",
                "returns",
                "language",
                "security_definer",
                "search_path",
                "volatility",
                "owner",
                "body",
            ],
            Kind::Trigger => &["table", "function", "timing", "events", "level", "enabled"],
            Kind::View => &["security_invoker", "columns", "reads", "owner"],
            Kind::MaterializedView => &["columns", "reads", "owner"],
            Kind::Sequence => &["owned_by", "owner"],
            Kind::Publication => &["tables"],
            Kind::Extension => &["version"],
            Kind::Role => &[
                "superuser",
                "bypassrls",
                "login",
                "inherit",
                "createrole",
                "createdb",
                "replication",
                "member_of",
            ],
        }
    }

    /// Property keys that still apply in `[[absent]]` (they locate the object).
    pub fn locators(self) -> &'static [&'static str] {
        match self {
            Kind::Column | Kind::Index | Kind::Constraint | Kind::Trigger => &["table"],
            Kind::Function | Kind::Procedure => &["args"],
            Kind::Publication => &["tables"],
            _ => &[],
        }
    }
}

/// The keys of `[[exists]]` / `[[absent]]`: one object key, then properties.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Object {
    // Object keys (a name or a list of names).
    pub table: Option<Names>,
    pub column: Option<Names>,
    pub index: Option<Names>,
    pub constraint: Option<Names>,
    #[serde(rename = "enum")]
    pub enum_type: Option<Names>,
    pub function: Option<Names>,
    pub procedure: Option<Names>,
    pub trigger: Option<Names>,
    pub view: Option<Names>,
    pub materialized_view: Option<Names>,
    pub sequence: Option<Names>,
    pub publication: Option<Names>,
    pub extension: Option<Names>,
    pub role: Option<Names>,

    // Properties.
    pub columns: Option<Vec<String>>,
    pub primary_key: Option<Vec<String>>,
    pub owner: Option<String>,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub nullable: Option<bool>,
    pub default: Option<String>,
    pub unique: Option<bool>,
    pub references: Option<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub definition: Option<String>,
    pub values: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub returns: Option<String>,
    pub language: Option<String>,
    pub security_definer: Option<bool>,
    pub search_path: Option<BoolOrText>,
    /// The body's fingerprint (`deskctl snapshot` writes it for SECURITY DEFINER functions):
    /// `sha256:<16 hex>` over the body's tokens, layout and comments aside.
    pub body: Option<String>,
    pub volatility: Option<String>,
    pub timing: Option<String>,
    pub events: Option<Vec<String>>,
    pub level: Option<String>,
    pub enabled: Option<bool>,
    pub security_invoker: Option<bool>,
    pub reads: Option<Vec<String>>,
    pub owned_by: Option<String>,
    pub tables: Option<Names>,
    pub version: Option<String>,
    pub superuser: Option<bool>,
    pub bypassrls: Option<bool>,
    pub login: Option<bool>,
    pub inherit: Option<bool>,
    pub createrole: Option<bool>,
    pub createdb: Option<bool>,
    pub replication: Option<bool>,
    pub member_of: Option<Vec<String>>,
}

const FK_ACTIONS: &[&str] = &[
    "cascade",
    "restrict",
    "set null",
    "set default",
    "no action",
];
const CONSTRAINT_TYPES: &[&str] = &["primary_key", "unique", "check", "foreign_key", "exclusion"];
const TIMINGS: &[&str] = &["before", "after", "instead of"];
const EVENTS: &[&str] = &["insert", "update", "delete", "truncate"];
const LEVELS: &[&str] = &["row", "statement"];
const VOLATILITIES: &[&str] = &["immutable", "stable", "volatile"];

impl Object {
    /// Object keys that are present, before disambiguation.
    fn object_keys(&self) -> Vec<(Kind, &Names)> {
        let mut v = Vec::new();
        for (k, n) in [
            (Kind::Table, &self.table),
            (Kind::Column, &self.column),
            (Kind::Index, &self.index),
            (Kind::Constraint, &self.constraint),
            (Kind::Enum, &self.enum_type),
            (Kind::Function, &self.function),
            (Kind::Procedure, &self.procedure),
            (Kind::Trigger, &self.trigger),
            (Kind::View, &self.view),
            (Kind::MaterializedView, &self.materialized_view),
            (Kind::Sequence, &self.sequence),
            (Kind::Publication, &self.publication),
            (Kind::Extension, &self.extension),
            (Kind::Role, &self.role),
        ] {
            if let Some(n) = n {
                v.push((k, n));
            }
        }
        v
    }

    /// What the check is about: `table` is a property of a column/index/constraint/trigger, and
    /// `function` a property of a trigger. `None` when not exactly one object remains.
    pub fn kind(&self) -> Option<(Kind, &Names)> {
        let keys = self.object_keys();
        let has = |k: Kind| keys.iter().any(|(x, _)| *x == k);
        let rest: Vec<(Kind, &Names)> = keys
            .iter()
            .copied()
            .filter(|(k, _)| {
                !(*k == Kind::Table
                    && (has(Kind::Column)
                        || has(Kind::Index)
                        || has(Kind::Constraint)
                        || has(Kind::Trigger)))
                    && !(*k == Kind::Function && has(Kind::Trigger))
            })
            .collect();
        (rest.len() == 1).then(|| rest[0])
    }

    /// Property keys present (object keys used as properties included).
    fn present_properties(&self, kind: Kind) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut push = |k: &'static str, p: bool| {
            if p {
                v.push(k)
            }
        };
        push("table", self.table.is_some() && kind != Kind::Table);
        push("function", self.function.is_some() && kind == Kind::Trigger);
        push("columns", self.columns.is_some());
        push("primary_key", self.primary_key.is_some());
        push("owner", self.owner.is_some());
        push("type", self.type_name.is_some());
        push("nullable", self.nullable.is_some());
        push("default", self.default.is_some());
        push("unique", self.unique.is_some());
        push("references", self.references.is_some());
        push("on_delete", self.on_delete.is_some());
        push("on_update", self.on_update.is_some());
        push("definition", self.definition.is_some());
        push("values", self.values.is_some());
        push("args", self.args.is_some());
        push("returns", self.returns.is_some());
        push("language", self.language.is_some());
        push("security_definer", self.security_definer.is_some());
        push("search_path", self.search_path.is_some());
        push("body", self.body.is_some());
        push("volatility", self.volatility.is_some());
        push("timing", self.timing.is_some());
        push("events", self.events.is_some());
        push("level", self.level.is_some());
        push("enabled", self.enabled.is_some());
        push("security_invoker", self.security_invoker.is_some());
        push("reads", self.reads.is_some());
        push("owned_by", self.owned_by.is_some());
        push("tables", self.tables.is_some());
        push("version", self.version.is_some());
        push("superuser", self.superuser.is_some());
        push("bypassrls", self.bypassrls.is_some());
        push("login", self.login.is_some());
        push("inherit", self.inherit.is_some());
        push("createrole", self.createrole.is_some());
        push("createdb", self.createdb.is_some());
        push("replication", self.replication.is_some());
        push("member_of", self.member_of.is_some());
        v
    }

    /// Shared validation; `absent` allows only locating properties.
    pub fn validate_as(&self, v: &mut Validator, absent: bool) {
        let Some((kind, names)) = self.kind() else {
            let keys: Vec<&str> = self.object_keys().iter().map(|(k, _)| k.key()).collect();
            v.error(
                "",
                if keys.is_empty() {
                    "name the object: one of `table`, `column`, `index`, `constraint`, `enum`, `function`, `procedure`, `trigger`, `view`, `materialized_view`, `sequence`, `publication`, `extension`, `role`".to_string()
                } else {
                    format!(
                        "name exactly one object, found {}",
                        keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )
                },
                Some("e.g. table = \"orders\", or column = \"orders.status\"".to_string()),
            );
            return;
        };
        let key = kind.key();
        if names.is_empty() {
            v.error(key, format!("`{key}` is empty"), None);
        }
        let allowed = if absent {
            kind.locators()
        } else {
            kind.properties()
        };
        for p in self.present_properties(kind) {
            if !allowed.contains(&p) {
                let why = if absent {
                    format!(
                        "does not apply to [[absent]] {}: absent checks only that it does not exist",
                        kind.noun()
                    )
                } else if allowed.is_empty() {
                    format!("does not apply to a {} (it has no properties)", kind.noun())
                } else {
                    format!(
                        "does not apply to a {} (its properties: {})",
                        kind.noun(),
                        allowed.join(", ")
                    )
                };
                v.not_here(p, &why);
            }
        }
        if kind != Kind::Table && self.table.as_ref().is_some_and(|t| t.is_empty()) {
            v.error("table", "`table` is empty", None);
        }
        if kind == Kind::Trigger && self.function.as_ref().is_some_and(|f| f.len() > 1) {
            v.error(
                "function",
                "a trigger executes one function: give one name",
                Some("e.g. function = \"set_updated_at\"".into()),
            );
        }
        let wildcard = names.iter().any(|n| n == "*");
        match kind {
            Kind::Column => {
                for n in names.iter() {
                    if split_column("public", n).0.is_none() && self.table.is_none() {
                        v.error(
                            key,
                            format!("column `{n}` needs its table"),
                            Some("write column = \"table.column\", or add table = \"...\"".into()),
                        );
                    }
                }
            }
            Kind::Constraint if self.table.is_none() => {
                v.error(key, "a constraint check needs `table`", None);
            }
            Kind::Index if wildcard && self.table.is_none() => {
                v.error(key, "`index = \"*\"` needs `table`", None);
            }
            _ => {}
        }
        if wildcard && !matches!(kind, Kind::Index | Kind::Constraint) {
            v.error(key, "`\"*\"` is only for index and constraint", None);
        }
        if wildcard && absent {
            v.error(key, "[[absent]] needs a name, not `\"*\"`", None);
        }
        if let Some(t) = &self.type_name {
            if kind == Kind::Constraint {
                v.word("type", "constraint type", t, CONSTRAINT_TYPES);
            }
        }
        for (k, val) in [
            ("on_delete", &self.on_delete),
            ("on_update", &self.on_update),
        ] {
            if let Some(a) = val {
                v.word(k, "foreign key action", &a.replace('_', " "), FK_ACTIONS);
            }
        }
        if let Some(t) = &self.timing {
            v.word("timing", "trigger timing", &t.replace('_', " "), TIMINGS);
        }
        for (i, e) in self.events.iter().flatten().enumerate() {
            v.word(&format!("events.{i}"), "trigger event", e, EVENTS);
        }
        if let Some(l) = &self.level {
            v.word("level", "trigger level", l, LEVELS);
        }
        if let Some(x) = &self.volatility {
            v.word("volatility", "volatility", x, VOLATILITIES);
        }
    }

    pub fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        let mut raws: Vec<String> = Vec::new();
        if let Some((kind, names)) = self.kind() {
            match kind {
                Kind::Column => {
                    for n in names.iter() {
                        if let (Some(q), _) = split_column(ctx.schema, n) {
                            raws.push(q.quoted());
                        }
                    }
                }
                Kind::Publication | Kind::Extension | Kind::Role => {}
                _ => raws.extend(names.iter().filter(|n| *n != "*").map(str::to_string)),
            }
        }
        raws.extend(self.table.iter().flat_map(|n| n.iter()).map(str::to_string));
        raws.extend(
            self.tables
                .iter()
                .flat_map(|n| n.iter())
                .map(str::to_string),
        );
        raws.extend(self.reads.iter().flatten().cloned());
        if let Some(r) = &self.references {
            raws.push(r.split('(').next().unwrap_or(r).trim().to_string());
        }
        schemas_of(ctx.schema, raws.iter().map(String::as_str))
    }

    /// The tables a column / index / constraint / trigger is looked for on: each listed `table`
    /// (a list means every one of them), or `[None]` when there is no `table` (a qualified
    /// column, a named index, a trigger anywhere in the schema) or it is the object itself.
    fn locator_tables(&self, ctx: &Ctx, kind: Kind, raw: &str) -> Vec<Option<QualName>> {
        let locates = match kind {
            Kind::Index | Kind::Constraint | Kind::Trigger => true,
            // `table.column` names its own table.
            Kind::Column => split_column(ctx.schema, raw).0.is_none(),
            _ => false,
        };
        match &self.table {
            Some(ts) if locates && !ts.is_empty() => ts.iter().map(|t| Some(ctx.qual(t))).collect(),
            _ => vec![None],
        }
    }

    /// Evaluate `[[exists]]`.
    pub fn exists(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let Some((kind, names)) = self.kind() else {
            return Outcome::error("no object named");
        };
        let mut problems = Vec::new();
        let mut shown = Vec::new();
        for raw in names.iter() {
            let tables = self.locator_tables(ctx, kind, raw);
            for table in &tables {
                let before = problems.len();
                let mut name = self.exists_one(ctx, snap, kind, raw, table.as_ref(), &mut problems);
                if let (Kind::Constraint, Some(t), true) = (kind, table, tables.len() > 1) {
                    if raw != "*" {
                        name = format!("{name} on {}", ctx.show(t));
                    }
                }
                if problems.len() == before {
                    shown.push(name);
                }
            }
        }
        let props: Vec<&str> = self.present_properties(kind);
        let props: Vec<&str> = props
            .into_iter()
            .filter(|p| !matches!(*p, "table" | "args"))
            .collect();
        let with = if props.is_empty() {
            String::new()
        } else {
            format!(" with the expected {}", props.join(", "))
        };
        Outcome::from_problems(
            problems,
            format!(
                "{} {} {}{with}",
                kind.nouns(shown.len()),
                list(&shown, 10),
                plural(shown.len(), "exists", "exist")
            ),
        )
    }

    /// Check one named object (on `table`, for the kinds `table` locates); push problems;
    /// return its display name.
    fn exists_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        kind: Kind,
        raw: &str,
        table: Option<&QualName>,
        problems: &mut Vec<String>,
    ) -> String {
        match kind {
            Kind::Table | Kind::View | Kind::MaterializedView | Kind::Sequence => {
                let q = ctx.qual(raw);
                let accept = move |k: RelKind| match kind {
                    Kind::Table => k.is_table() || k == RelKind::ForeignTable,
                    Kind::View => k == RelKind::View,
                    Kind::MaterializedView => k == RelKind::MaterializedView,
                    _ => k == RelKind::Sequence,
                };
                let Some(r) = snap.relation(&q) else {
                    problems.push(missing_relation(ctx, snap, &q, kind.noun(), &accept));
                    return ctx.show(&q);
                };
                if !accept(r.kind) {
                    problems.push(format!(
                        "{} is a {}, not a {}",
                        ctx.show(&q),
                        r.kind.noun(),
                        kind.noun()
                    ));
                    return ctx.show(&q);
                }
                self.relation_props(ctx, snap, kind, r, problems);
                ctx.show_rel(r)
            }
            Kind::Column => {
                let (rel, col) = split_column(ctx.schema, raw);
                let Some(rq) = rel.or_else(|| table.cloned()) else {
                    problems.push(format!("{raw}: no table given"));
                    return raw.to_string();
                };
                let Some(r) = snap.relation(&rq) else {
                    problems.push(missing_relation(ctx, snap, &rq, "table", &|k| {
                        k != RelKind::Sequence
                    }));
                    return format!("{}.{col}", ctx.show(&rq));
                };
                let shown = format!("{}.{col}", ctx.show_rel(r));
                let Some(c) = r.column(&col) else {
                    let mut s = format!("{}: no column {col}", ctx.show_rel(r));
                    if let Some(near) = closest(&col, r.columns.iter().map(|c| c.name.as_str())) {
                        s.push_str(&format!(" (did you mean {near}?)"));
                    }
                    problems.push(s);
                    return shown;
                };
                if let Some(t) = &self.type_name {
                    if *t != c.type_name && canonical_type(t) != canonical_type(&c.type_name) {
                        problems.push(format!("{shown}: type is {}, expected {t}", c.type_name));
                    }
                }
                if let Some(n) = self.nullable {
                    if n != c.nullable {
                        problems.push(format!(
                            "{shown}: is {}, expected {}",
                            if c.nullable { "nullable" } else { "NOT NULL" },
                            if n { "nullable" } else { "NOT NULL" }
                        ));
                    }
                }
                if let Some(d) = &self.default {
                    match &c.default {
                        Some(a) if default_matches(d, a) => {}
                        Some(a) => problems.push(format!("{shown}: default is {a}, expected {d}")),
                        None => problems.push(format!("{shown}: has no default, expected {d}")),
                    }
                }
                shown
            }
            Kind::Index => self.index_one(ctx, snap, raw, table, problems),
            Kind::Constraint => self.constraint_one(ctx, snap, raw, table, problems),
            Kind::Enum => {
                let q = ctx.qual(raw);
                let Some(e) = snap.enum_type(&q) else {
                    let mut s = format!("{}: no such enum type", ctx.show(&q));
                    if let Some(n) = closest(
                        &q.name,
                        snap.enums
                            .iter()
                            .filter(|e| e.schema == q.schema)
                            .map(|e| e.name.as_str()),
                    ) {
                        s.push_str(&format!(" (did you mean {n}?)"));
                    }
                    problems.push(s);
                    return ctx.show(&q);
                };
                if let Some(vals) = &self.values {
                    if *vals != e.values {
                        let missing: Vec<String> = vals
                            .iter()
                            .filter(|v| !e.values.contains(v))
                            .cloned()
                            .collect();
                        let extra: Vec<String> = e
                            .values
                            .iter()
                            .filter(|v| !vals.contains(v))
                            .cloned()
                            .collect();
                        let mut s = format!(
                            "{}: values are ({}), expected ({})",
                            ctx.show(&q),
                            e.values.join(", "),
                            vals.join(", ")
                        );
                        if !missing.is_empty() {
                            s.push_str(&format!("; missing {}", missing.join(", ")));
                        }
                        if !extra.is_empty() {
                            s.push_str(&format!("; unexpected {}", extra.join(", ")));
                        }
                        if missing.is_empty() && extra.is_empty() {
                            s.push_str("; same values, different order");
                        }
                        problems.push(s);
                    }
                }
                ctx.show(&q)
            }
            Kind::Function | Kind::Procedure => self.function_one(ctx, snap, kind, raw, problems),
            Kind::Trigger => self.trigger_one(ctx, snap, raw, table, problems),
            Kind::Publication => {
                let Some(p) = snap.publication(raw) else {
                    problems.push(format!("publication {raw} does not exist"));
                    return raw.to_string();
                };
                let mut missing = Vec::new();
                for t in self.tables.iter().flat_map(|t| t.iter()) {
                    let q = ctx.qual(t);
                    if !p.members.contains(&q) {
                        missing.push(ctx.show(&q));
                    }
                }
                if !missing.is_empty() {
                    problems.push(format!(
                        "publication {raw} does not include {}{}",
                        missing.join(", "),
                        if p.members.is_empty() {
                            " (it has no member tables)".to_string()
                        } else {
                            format!(
                                " (members: {})",
                                list(
                                    &p.members.iter().map(|m| ctx.show(m)).collect::<Vec<_>>(),
                                    10
                                )
                            )
                        }
                    ));
                }
                raw.to_string()
            }
            Kind::Extension => {
                match snap.extension(raw) {
                    None => problems.push(format!("extension {raw} is not installed")),
                    Some(e) => {
                        if let Some(v) = &self.version {
                            if *v != e.version {
                                problems.push(format!(
                                    "extension {raw} is version {}, expected {v}",
                                    e.version
                                ));
                            }
                        }
                    }
                }
                raw.to_string()
            }
            Kind::Role => {
                let Some(r) = snap.role(raw) else {
                    let mut s = format!("role {raw} does not exist");
                    if let Some(n) = closest(raw, snap.roles.iter().map(|r| r.name.as_str())) {
                        s.push_str(&format!(" (did you mean {n}?)"));
                    }
                    problems.push(s);
                    return raw.to_string();
                };
                for (what, want, have) in [
                    ("SUPERUSER", self.superuser, r.superuser),
                    ("BYPASSRLS", self.bypassrls, r.bypass_rls),
                    ("LOGIN", self.login, r.login),
                    ("INHERIT", self.inherit, r.inherit),
                    ("CREATEROLE", self.createrole, r.create_role),
                    ("CREATEDB", self.createdb, r.create_db),
                    ("REPLICATION", self.replication, r.replication),
                ] {
                    if let Some(w) = want {
                        if w != have {
                            problems.push(format!(
                                "role {raw} is {}{what}, expected {}{what}",
                                if have { "" } else { "NO" },
                                if w { "" } else { "NO" }
                            ));
                        }
                    }
                }
                for m in self.member_of.iter().flatten() {
                    if !r.member_of.contains(m) {
                        problems.push(format!("role {raw} is not a member of {m}"));
                    }
                }
                raw.to_string()
            }
        }
    }

    fn relation_props(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        kind: Kind,
        r: &Relation,
        problems: &mut Vec<String>,
    ) {
        let name = ctx.show_rel(r);
        if let Some(cols) = &self.columns {
            let missing: Vec<String> = cols
                .iter()
                .filter(|c| r.column(c).is_none())
                .cloned()
                .collect();
            if !missing.is_empty() {
                let mut s = format!(
                    "{name}: missing {} {}",
                    plural(missing.len(), "column", "columns"),
                    missing.join(", ")
                );
                if missing.len() == 1 {
                    if let Some(n) = closest(&missing[0], r.columns.iter().map(|c| c.name.as_str()))
                    {
                        s.push_str(&format!(" (did you mean {n}?)"));
                    }
                }
                problems.push(s);
            }
        }
        if let Some(pk) = &self.primary_key {
            match r
                .constraints
                .iter()
                .find(|c| c.kind == ConstraintKind::PrimaryKey)
            {
                None => problems.push(format!(
                    "{name}: has no primary key, expected ({})",
                    pk.join(", ")
                )),
                Some(c) if c.columns != *pk => problems.push(format!(
                    "{name}: primary key is ({}), expected ({})",
                    c.columns.join(", "),
                    pk.join(", ")
                )),
                _ => {}
            }
        }
        if let Some(o) = &self.owner {
            if *o != r.owner {
                problems.push(format!("{name}: owner is {}, expected {o}", r.owner));
            }
        }
        if let (Some(si), Kind::View) = (self.security_invoker, kind) {
            if si != r.security_invoker() {
                let reads_rls: Vec<String> = r
                    .view
                    .iter()
                    .flat_map(|v| v.depends_on.iter())
                    .filter(|d| snap.relation(d).is_some_and(|t| t.rls_enabled))
                    .map(|d| ctx.show(d))
                    .collect();
                let mut s = format!(
                    "{name}: security_invoker is {}, expected {}",
                    if r.security_invoker() { "on" } else { "off" },
                    if si { "on" } else { "off" }
                );
                if si && !reads_rls.is_empty() {
                    s.push_str(&format!(
                        " (it reads {} with the owner's rights, bypassing their RLS)",
                        list(&reads_rls, 5)
                    ));
                }
                problems.push(s);
            }
        }
        if let Some(reads) = &self.reads {
            let deps: Vec<QualName> = r.view.iter().flat_map(|v| v.depends_on.clone()).collect();
            let missing: Vec<String> = reads
                .iter()
                .filter(|x| !deps.contains(&ctx.qual(x)))
                .cloned()
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "{name}: does not read {} (reads: {})",
                    missing.join(", "),
                    if deps.is_empty() {
                        "nothing".to_string()
                    } else {
                        list(&deps.iter().map(|d| ctx.show(d)).collect::<Vec<_>>(), 10)
                    }
                ));
            }
        }
        if let Some(ob) = &self.owned_by {
            let (tq, col) = split_column(ctx.schema, ob);
            let actual = r.sequence.as_ref().and_then(|s| s.owned_by.clone());
            match (tq, actual) {
                (Some(tq), Some((at, ac))) if tq == at && col == ac => {}
                (_, Some((at, ac))) => problems.push(format!(
                    "{name}: owned by {}.{ac}, expected {ob}",
                    ctx.show(&at)
                )),
                (_, None) => {
                    problems.push(format!("{name}: not owned by any column, expected {ob}"))
                }
            }
        }
    }

    fn index_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        raw: &str,
        table: Option<&QualName>,
        problems: &mut Vec<String>,
    ) -> String {
        let want: Option<(&Vec<String>, Vec<WantKey>)> = self
            .columns
            .as_ref()
            .map(|cols| (cols, cols.iter().map(|c| WantKey::parse(c)).collect()));
        let matches = |ix: &crate::catalog::Index| -> Vec<String> {
            let mut d = Vec::new();
            if let Some((cols, want)) = &want {
                let same_len = want.len() == ix.columns.len();
                let same_keys = same_len
                    && want
                        .iter()
                        .enumerate()
                        .all(|(i, w)| w.same_key(&ix.columns[i], ix.key(i)));
                let same_order = want
                    .iter()
                    .enumerate()
                    .all(|(i, w)| w.same_order(ix.key(i)));
                if !(same_keys && same_order) {
                    let mut m = format!(
                        "columns are ({}), expected ({})",
                        ix.key_texts().join(", "),
                        cols.join(", ")
                    );
                    if same_keys {
                        // The same keys: only their sort order differs, say where.
                        let orders: Vec<String> = want
                            .iter()
                            .enumerate()
                            .filter(|(i, w)| !w.same_order(ix.key(*i)))
                            .filter_map(|(i, w)| {
                                w.order.map(|o| {
                                    format!(
                                        "{} is {}, expected {}",
                                        ix.columns[i],
                                        ix.key(i).order(),
                                        o.order()
                                    )
                                })
                            })
                            .collect();
                        m.push_str(&format!(": {}", orders.join(", ")));
                    }
                    d.push(m);
                }
            }
            if let Some(u) = self.unique {
                if u != ix.unique {
                    d.push(format!(
                        "is {}unique, expected {}unique",
                        if ix.unique { "" } else { "not " },
                        if u { "" } else { "not " }
                    ));
                }
            }
            d
        };
        if raw == "*" {
            let Some(tq) = table else {
                return raw.to_string();
            };
            let Some(r) = snap.relation(tq) else {
                problems.push(missing_relation(ctx, snap, tq, "table", &|k| k.is_table()));
                return raw.to_string();
            };
            if !r
                .indexes
                .iter()
                .any(|ix| ix.valid && matches(ix).is_empty())
            {
                // A matching index that is INVALID does not count: say so and how to rebuild it.
                if let Some(ix) = r
                    .indexes
                    .iter()
                    .find(|ix| !ix.valid && matches(ix).is_empty())
                {
                    problems.push(invalid_index(ctx, r, ix));
                    return format!("(a matching one) on {}", ctx.show_rel(r));
                }
                let want = format!(
                    "{}index{}",
                    if self.unique == Some(true) {
                        "unique "
                    } else {
                        ""
                    },
                    self.columns
                        .as_ref()
                        .map(|c| format!(" on ({})", c.join(", ")))
                        .unwrap_or_default()
                );
                let present: Vec<String> = r
                    .indexes
                    .iter()
                    .map(|i| format!("{} ({})", i.name, i.key_texts().join(", ")))
                    .collect();
                problems.push(format!(
                    "{}: no {want}; indexes: {}",
                    ctx.show_rel(r),
                    if present.is_empty() {
                        "none".to_string()
                    } else {
                        list(&present, 10)
                    }
                ));
            }
            return format!("(a matching one) on {}", ctx.show_rel(r));
        }
        let schema = table
            .as_ref()
            .map(|t| t.schema.clone())
            .unwrap_or_else(|| ctx.qual(raw).schema);
        let q = QualName::new(schema, ctx.qual(raw).name);
        match snap.index(&q) {
            None => {
                let mut s = format!("{}: no such index", ctx.show(&q));
                if let Some(r) = table.and_then(|t| snap.relation(t)) {
                    if let Some(n) = closest(&q.name, r.indexes.iter().map(|i| i.name.as_str())) {
                        s.push_str(&format!(" (did you mean {n}?)"));
                    } else {
                        let present: Vec<String> =
                            r.indexes.iter().map(|i| i.name.clone()).collect();
                        s.push_str(&format!(
                            " (indexes on {}: {})",
                            ctx.show_rel(r),
                            if present.is_empty() {
                                "none".into()
                            } else {
                                list(&present, 10)
                            }
                        ));
                    }
                }
                problems.push(s);
                ctx.show(&q)
            }
            Some((r, ix)) => {
                if let Some(t) = table {
                    if r.qual() != *t {
                        problems.push(format!(
                            "{}: is on {}, not {}",
                            ix.name,
                            ctx.show_rel(r),
                            ctx.show(t)
                        ));
                    }
                }
                for d in matches(ix) {
                    problems.push(format!("{}: {d}", ix.name));
                }
                if !ix.valid {
                    problems.push(invalid_index(ctx, r, ix));
                }
                ix.name.clone()
            }
        }
    }

    fn constraint_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        raw: &str,
        table: Option<&QualName>,
        problems: &mut Vec<String>,
    ) -> String {
        let Some(tq) = table else {
            return raw.to_string();
        };
        let Some(r) = snap.relation(tq) else {
            problems.push(missing_relation(ctx, snap, tq, "table", &|k| k.is_table()));
            return raw.to_string();
        };
        let tname = ctx.show_rel(r);
        let want_type = self.type_name.as_deref().map(|t| t.to_ascii_lowercase());
        let refs = self.references.as_deref().map(|r| {
            let (t, cols) = match r.find('(') {
                Some(i) => (
                    &r[..i],
                    Some(
                        r[i + 1..]
                            .trim_end()
                            .trim_end_matches(')')
                            .split(',')
                            .map(|c| c.trim().trim_matches('"').to_string())
                            .collect::<Vec<_>>(),
                    ),
                ),
                None => (r, None),
            };
            (ctx.qual(t.trim()), cols)
        });
        let want_kind = want_type.as_deref().map(|t| match t {
            "primary_key" => ConstraintKind::PrimaryKey,
            "unique" => ConstraintKind::Unique,
            "check" => ConstraintKind::Check,
            "foreign_key" => ConstraintKind::ForeignKey,
            _ => ConstraintKind::Exclusion,
        });
        // How `c` differs from the check; `with_definition: false` leaves out the definition
        // (when a diagnosis shows it anyway).
        let check_with = |c: &crate::catalog::Constraint, with_definition: bool| -> Vec<String> {
            let mut d = Vec::new();
            if let Some(kind) = want_kind {
                if c.kind != kind {
                    d.push(format!(
                        "is a {} constraint, expected {}",
                        c.kind.noun(),
                        kind.noun()
                    ));
                }
            }
            if let Some(cols) = &self.columns {
                if c.columns != *cols {
                    d.push(format!(
                        "columns are ({}), expected ({})",
                        c.columns.join(", "),
                        cols.join(", ")
                    ));
                }
            }
            if let Some((rt, rcols)) = &refs {
                match &c.foreign {
                    None => d.push(format!(
                        "is not a foreign key (expected one referencing {})",
                        self.references.as_deref().unwrap_or_default()
                    )),
                    Some(fk) => {
                        if fk.table != *rt {
                            d.push(format!(
                                "references {}, expected {}",
                                ctx.show(&fk.table),
                                ctx.show(rt)
                            ));
                        }
                        if let Some(rc) = rcols {
                            if fk.columns != *rc {
                                d.push(format!(
                                    "references ({}), expected ({})",
                                    fk.columns.join(", "),
                                    rc.join(", ")
                                ));
                            }
                        }
                    }
                }
            }
            for (what, want, have) in [
                (
                    "ON DELETE",
                    &self.on_delete,
                    c.foreign.as_ref().map(|f| f.on_delete),
                ),
                (
                    "ON UPDATE",
                    &self.on_update,
                    c.foreign.as_ref().map(|f| f.on_update),
                ),
            ] {
                if let Some(w) = want {
                    let w = w.replace('_', " ").to_ascii_uppercase();
                    let have = have.unwrap_or(FkAction::NoAction);
                    if c.foreign.is_none() {
                        d.push(format!("is not a foreign key (expected {what} {w})"));
                    } else if have.sql() != w {
                        d.push(format!("is {what} {}, expected {what} {w}", have.sql()));
                    }
                }
            }
            if let Some(def) = self.definition.as_ref().filter(|_| with_definition) {
                let have = c.definition.as_deref().unwrap_or_default();
                if !squash_sql(have).contains(&squash_sql(def)) {
                    d.push(format!(
                        "definition is `{have}`, expected it to contain `{def}`"
                    ));
                }
            }
            d
        };
        let check = |c: &crate::catalog::Constraint| check_with(c, true);
        if raw == "*" {
            if !r.constraints.iter().any(|c| check(c).is_empty()) {
                problems.push(self.no_matching_constraint(&tname, r, want_kind, &check_with));
            }
            return format!("(a matching one) on {tname}");
        }
        match r.constraint(raw) {
            None => {
                let mut s = format!("{tname}: no constraint {raw}");
                if let Some(n) = closest(raw, r.constraints.iter().map(|c| c.name.as_str())) {
                    s.push_str(&format!(" (did you mean {n}?)"));
                }
                problems.push(s);
            }
            Some(c) => {
                for d in check(c) {
                    problems.push(format!("{tname}: constraint {raw} {d}"));
                }
            }
        }
        raw.to_string()
    }

    /// `constraint = "*"` matched nothing on `r`. Without a constraint of the wanted type: "no
    /// check constraint; constraints: ..." (every constraint, kind and columns). Otherwise none
    /// of those matched: say what was wanted and list them, each with its definition (when read,
    /// shortened) and how it differs.
    fn no_matching_constraint(
        &self,
        tname: &str,
        r: &Relation,
        want_kind: Option<ConstraintKind>,
        differences: &dyn Fn(&crate::catalog::Constraint, bool) -> Vec<String>,
    ) -> String {
        let kind_word = want_kind
            .map(|k| format!("{} ", k.noun()))
            .unwrap_or_default();
        let of_kind: Vec<&crate::catalog::Constraint> = r
            .constraints
            .iter()
            .filter(|c| want_kind.is_none_or(|k| c.kind == k))
            .collect();
        let mut wanted: Vec<String> = Vec::new();
        if let Some(c) = &self.columns {
            wanted.push(format!("on ({})", c.join(", ")));
        }
        if let Some(x) = &self.references {
            wanted.push(format!("referencing {x}"));
        }
        for (what, action) in [
            ("ON DELETE", &self.on_delete),
            ("ON UPDATE", &self.on_update),
        ] {
            if let Some(a) = action {
                wanted.push(format!(
                    "{what} {}",
                    a.replace('_', " ").to_ascii_uppercase()
                ));
            }
        }
        if let Some(d) = &self.definition {
            wanted.push(format!("definition containing `{d}`"));
        }
        if of_kind.is_empty() {
            // Nothing of the kind at all: what there is instead.
            let all: Vec<String> = r
                .constraints
                .iter()
                .map(|c| format!("{} ({}, {})", c.name, c.kind.noun(), c.columns.join(", ")))
                .collect();
            return if all.is_empty() {
                format!("{tname}: has no constraints")
            } else {
                format!(
                    "{tname}: has no {kind_word}constraint; its constraints: {}",
                    list(&all, 10)
                )
            };
        }
        let present: Vec<String> = of_kind
            .iter()
            .map(|c| {
                let shown = match &c.definition {
                    Some(d) => shorten(d, 80),
                    None => format!("({}, {})", c.kind.noun(), c.columns.join(", ")),
                };
                let diffs = differences(c, false);
                if diffs.is_empty() {
                    format!("{} {shown}", c.name)
                } else {
                    format!("{} {shown} [{}]", c.name, diffs.join("; "))
                }
            })
            .collect();
        format!(
            "{tname}: no {kind_word}constraint matches{}; its {kind_word}{}: {}",
            if wanted.is_empty() {
                String::new()
            } else {
                format!(" ({})", wanted.join(", "))
            },
            plural(of_kind.len(), "constraint", "constraints"),
            list(&present, 10)
        )
    }

    fn function_matches_args(&self, f: &Function) -> bool {
        match &self.args {
            None => true,
            Some(a) => {
                a.len() == f.arg_types.len()
                    && a.iter()
                        .zip(&f.arg_types)
                        .all(|(x, y)| x == y || canonical_type(x) == canonical_type(y))
            }
        }
    }

    fn function_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        kind: Kind,
        raw: &str,
        problems: &mut Vec<String>,
    ) -> String {
        let q = ctx.qual(raw);
        let want_proc = kind == Kind::Procedure;
        let all: Vec<&Function> = snap.functions_named(&q);
        let same_kind: Vec<&Function> = all
            .iter()
            .copied()
            .filter(|f| (f.kind == FunctionKind::Procedure) == want_proc)
            .collect();
        if same_kind.is_empty() {
            let mut s = format!("{}: no such {}", ctx.show(&q), kind.noun());
            if let Some(f) = all.first() {
                s.push_str(&format!(
                    " (it is a {})",
                    if f.kind == FunctionKind::Procedure {
                        "procedure"
                    } else {
                        "function"
                    }
                ));
            } else if let Some(n) = closest(
                &q.name,
                snap.functions
                    .iter()
                    .filter(|f| f.schema == q.schema)
                    .map(|f| f.name.as_str()),
            ) {
                s.push_str(&format!(" (did you mean {n}?)"));
            }
            problems.push(s);
            return ctx.show(&q);
        }
        let candidates: Vec<&Function> = same_kind
            .iter()
            .copied()
            .filter(|f| self.function_matches_args(f))
            .collect();
        if candidates.is_empty() {
            let sigs: Vec<String> = same_kind.iter().map(|f| f.signature()).collect();
            problems.push(format!(
                "{}({}): no such overload; present: {}",
                ctx.show(&q),
                self.args.as_ref().map(|a| a.join(", ")).unwrap_or_default(),
                sigs.join(", ")
            ));
            return ctx.show(&q);
        }
        // Pass when one overload has every property; else report the differences of each.
        let mut all_diffs = Vec::new();
        for f in &candidates {
            let d = self.function_diffs(f);
            if d.is_empty() {
                return ctx.show(&QualName::new(&f.schema, f.signature()));
            }
            let sig = ctx.show(&QualName::new(&f.schema, f.signature()));
            all_diffs.extend(d.into_iter().map(|x| format!("{sig}: {x}")));
        }
        problems.extend(all_diffs);
        ctx.show(&q)
    }

    fn function_diffs(&self, f: &Function) -> Vec<String> {
        let mut d = Vec::new();
        if let Some(r) = &self.returns {
            let norm = |s: &str| canonical_type(s).replace(' ', "");
            if *r != f.returns && norm(r) != norm(&f.returns) {
                d.push(format!("returns {}, expected {r}", f.returns));
            }
        }
        if let Some(l) = &self.language {
            if !l.eq_ignore_ascii_case(&f.language) {
                d.push(format!("language is {}, expected {l}", f.language));
            }
        }
        if let Some(sd) = self.security_definer {
            if sd != f.security_definer {
                d.push(format!(
                    "is SECURITY {}, expected SECURITY {}",
                    if f.security_definer {
                        "DEFINER"
                    } else {
                        "INVOKER"
                    },
                    if sd { "DEFINER" } else { "INVOKER" }
                ));
            }
        }
        match (&self.search_path, f.search_path()) {
            (Some(BoolOrText::Bool(true)), None) => {
                d.push("search_path is not pinned (no SET search_path)".to_string())
            }
            (Some(BoolOrText::Bool(false)), Some(p)) => d.push(format!(
                "search_path is pinned to {p}, expected it not pinned"
            )),
            (Some(BoolOrText::Text(w)), None) => {
                d.push(format!("search_path is not pinned, expected {w}"))
            }
            (Some(BoolOrText::Text(w)), Some(p)) if search_path_list(w) != search_path_list(p) => {
                d.push(format!("search_path is {p}, expected {w}"))
            }
            _ => {}
        }
        if let Some(want) = &self.body {
            let have = f
                .body
                .as_deref()
                .map(|b| format!("sha256:{}", crate::sqltext::expr::body_fingerprint(b)));
            if have.as_deref() != Some(want.as_str()) {
                d.push(format!(
                    "body changed (fingerprint {}, expected {want}): review it with \\sf {}",
                    have.as_deref().unwrap_or("unknown"),
                    QualName::new(&f.schema, &f.name)
                ));
            }
        }
        if let Some(v) = self.volatility.as_deref().and_then(Volatility::parse) {
            if v != f.volatility {
                d.push(format!("is {}, expected {}", f.volatility.word(), v.word()));
            }
        }
        if let Some(o) = &self.owner {
            if *o != f.owner {
                d.push(format!("owner is {}, expected {o}", f.owner));
            }
        }
        d
    }

    fn trigger_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        raw: &str,
        table: Option<&QualName>,
        problems: &mut Vec<String>,
    ) -> String {
        let tables: Vec<&Relation> = match table {
            Some(tq) => match snap.relation(tq) {
                Some(r) => vec![r],
                None => {
                    problems.push(missing_relation(ctx, snap, tq, "table", &|k| {
                        k != RelKind::Sequence
                    }));
                    return raw.to_string();
                }
            },
            None => snap.relations_in(ctx.schema).collect(),
        };
        let found = tables.iter().find_map(|r| r.trigger(raw).map(|t| (*r, t)));
        let Some((r, t)) = found else {
            let mut s = match tables.as_slice() {
                [one] => format!("{}: no trigger {raw}", ctx.show_rel(one)),
                _ => format!("trigger {raw} does not exist in {}", ctx.schema),
            };
            let names: Vec<&str> = tables
                .iter()
                .flat_map(|r| r.triggers.iter().map(|t| t.name.as_str()))
                .collect();
            if let Some(n) = closest(raw, names.iter().copied()) {
                s.push_str(&format!(" (did you mean {n}?)"));
            } else if let [one] = tables.as_slice() {
                let present: Vec<String> = one.triggers.iter().map(|t| t.name.clone()).collect();
                s.push_str(&format!(
                    " (triggers: {})",
                    if present.is_empty() {
                        "none".into()
                    } else {
                        list(&present, 10)
                    }
                ));
            }
            problems.push(s);
            return raw.to_string();
        };
        let name = format!("{}.{}", ctx.show_rel(r), t.name);
        if let Some(f) = self.function.as_ref().and_then(|f| f.0.first()) {
            let want = ctx.qual(f.trim_end_matches("()"));
            if want != t.function {
                problems.push(format!(
                    "{name}: executes {}, expected {}",
                    ctx.show(&t.function),
                    ctx.show(&want)
                ));
            }
        }
        if let Some(tm) = &self.timing {
            let want = tm.replace('_', " ").to_ascii_uppercase();
            if t.timing.sql() != want {
                problems.push(format!("{name}: fires {}, expected {want}", t.timing.sql()));
            }
        }
        if let Some(evs) = &self.events {
            let mut want: Vec<TriggerEvent> =
                evs.iter().filter_map(|e| TriggerEvent::parse(e)).collect();
            want.sort();
            want.dedup();
            let mut have = t.events.clone();
            have.sort();
            if want != have {
                let show =
                    |v: &[TriggerEvent]| v.iter().map(|e| e.sql()).collect::<Vec<_>>().join(" OR ");
                problems.push(format!(
                    "{name}: fires on {}, expected {}",
                    show(&have),
                    show(&want)
                ));
            }
        }
        if let Some(l) = &self.level {
            let row = l.eq_ignore_ascii_case("row");
            if row != t.row {
                problems.push(format!(
                    "{name}: is FOR EACH {}, expected FOR EACH {}",
                    if t.row { "ROW" } else { "STATEMENT" },
                    if row { "ROW" } else { "STATEMENT" }
                ));
            }
        }
        if let Some(e) = self.enabled {
            if e != t.enabled.fires() {
                problems.push(format!(
                    "{name}: is {}, expected {}",
                    if t.enabled.fires() {
                        "enabled"
                    } else {
                        "disabled"
                    },
                    if e { "enabled" } else { "disabled" }
                ));
            }
        }
        name
    }

    /// Evaluate `[[absent]]`.
    pub fn absent(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let Some((kind, names)) = self.kind() else {
            return Outcome::error("no object named");
        };
        let mut present: Vec<String> = Vec::new();
        let mut shown = Vec::new();
        for raw in names.iter() {
            shown.push(raw.to_string());
            for table in self.locator_tables(ctx, kind, raw) {
                if let Some(f) = self.absent_one(ctx, snap, kind, raw, table.as_ref()) {
                    if !present.contains(&f) {
                        present.push(f);
                    }
                }
            }
        }
        let what = match (kind, &self.tables) {
            (Kind::Publication, Some(ts)) => format!(
                "{} not in publication {}",
                ts.0.join(", "),
                shown.join(", ")
            ),
            _ => {
                let located = names
                    .iter()
                    .any(|r| self.locator_tables(ctx, kind, r)[0].is_some());
                let on = match &self.table {
                    Some(ts) if located => format!(" on {}", list(&ts.0, 10)),
                    _ => String::new(),
                };
                format!("no {} {}{on}", kind.nouns(shown.len()), list(&shown, 10))
            }
        };
        Outcome::from_problems(present, what)
    }

    /// `[[absent]]` of one object (on `table`, for the kinds `table` locates): what exists.
    fn absent_one(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        kind: Kind,
        raw: &str,
        table: Option<&QualName>,
    ) -> Option<String> {
        match kind {
            Kind::Table | Kind::View | Kind::MaterializedView | Kind::Sequence => {
                let q = ctx.qual(raw);
                snap.relation(&q)
                    .filter(|r| match kind {
                        Kind::Table => r.kind.is_table() || r.kind == RelKind::ForeignTable,
                        Kind::View => r.kind == RelKind::View,
                        Kind::MaterializedView => r.kind == RelKind::MaterializedView,
                        _ => r.kind == RelKind::Sequence,
                    })
                    .map(|r| format!("{} {} exists", kind.noun(), ctx.show_rel(r)))
            }
            Kind::Column => {
                let (rel, col) = split_column(ctx.schema, raw);
                rel.or_else(|| table.cloned())
                    .and_then(|q| snap.relation(&q))
                    .and_then(|r| {
                        r.column(&col)
                            .map(|_| format!("column {}.{col} exists", ctx.show_rel(r)))
                    })
            }
            Kind::Index => {
                let q = match table {
                    Some(t) => QualName::new(&t.schema, ctx.qual(raw).name),
                    None => ctx.qual(raw),
                };
                snap.index(&q).map(|(r, i)| {
                    let mut s = format!("index {} exists on {}", i.name, ctx.show_rel(r));
                    if !i.valid {
                        // Left behind by a failed CREATE INDEX CONCURRENTLY: say how to drop it.
                        s.push_str(&format!(
                            " (INVALID, e.g. left by a failed CREATE INDEX CONCURRENTLY; drop it: \
DROP INDEX CONCURRENTLY {};)",
                            QualName::new(&r.schema, &i.name).quoted()
                        ));
                    }
                    s
                })
            }
            Kind::Constraint => table.and_then(|q| snap.relation(q)).and_then(|r| {
                r.constraint(raw)
                    .map(|c| format!("constraint {} exists on {}", c.name, ctx.show_rel(r)))
            }),
            Kind::Enum => snap
                .enum_type(&ctx.qual(raw))
                .map(|e| format!("enum type {} exists", e.name)),
            Kind::Function | Kind::Procedure => {
                let want_proc = kind == Kind::Procedure;
                snap.functions_named(&ctx.qual(raw))
                    .into_iter()
                    .filter(|f| {
                        (f.kind == FunctionKind::Procedure) == want_proc
                            && self.function_matches_args(f)
                    })
                    .map(|f| {
                        format!(
                            "{} {} exists",
                            kind.noun(),
                            ctx.show(&QualName::new(&f.schema, f.signature()))
                        )
                    })
                    .next()
            }
            Kind::Trigger => {
                let tables: Vec<&Relation> = match table {
                    Some(q) => snap.relation(q).into_iter().collect(),
                    None => snap.relations_in(ctx.schema).collect(),
                };
                tables.iter().find_map(|r| {
                    r.trigger(raw)
                        .map(|t| format!("trigger {} exists on {}", t.name, ctx.show_rel(r)))
                })
            }
            Kind::Publication => match (snap.publication(raw), &self.tables) {
                (None, _) => None,
                (Some(_), None) => Some(format!("publication {raw} exists")),
                (Some(p), Some(ts)) => {
                    let members: Vec<String> = ts
                        .iter()
                        .filter(|t| p.members.contains(&ctx.qual(t)))
                        .map(|t| ctx.show(&ctx.qual(t)))
                        .collect();
                    (!members.is_empty())
                        .then(|| format!("publication {raw} includes {}", members.join(", ")))
                }
            },
            Kind::Extension => snap
                .extension(raw)
                .map(|e| format!("extension {} {} is installed", e.name, e.version)),
            Kind::Role => snap.role(raw).map(|r| format!("role {} exists", r.name)),
        }
    }
}

/// `s` on one line, at most `max` characters (`…` marks a cut).
fn shorten(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// One key column of an index check's `columns` as written: a column (`created_at`,
/// `"CreatedAt"`) or an expression (`lower(email)`), optionally followed by its sort order as in
/// CREATE INDEX (`DESC`, `ASC NULLS FIRST`, ...). Without one, any sort order matches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WantKey {
    text: String,
    /// The written order (NULLS defaulting as in SQL: FIRST for DESC, LAST for ASC).
    order: Option<IndexKey>,
}

impl WantKey {
    fn parse(raw: &str) -> WantKey {
        // `head WORD` with WORD matched case-insensitively and a non-empty head.
        fn strip_word<'a>(s: &'a str, words: &[&str]) -> Option<(&'a str, String)> {
            let (head, last) = s.trim_end().rsplit_once(char::is_whitespace)?;
            let up = last.to_ascii_uppercase();
            (words.contains(&up.as_str()) && !head.trim().is_empty()).then(|| (head.trim_end(), up))
        }
        let mut rest = raw.trim();
        let mut nulls_first = None;
        if let Some((head, which)) = strip_word(rest, &["FIRST", "LAST"]) {
            if let Some((h, _)) = strip_word(head, &["NULLS"]) {
                nulls_first = Some(which == "FIRST");
                rest = h;
            }
        }
        let mut desc = None;
        if let Some((head, dir)) = strip_word(rest, &["ASC", "DESC"]) {
            desc = Some(dir == "DESC");
            rest = head;
        }
        let text = match split_name(rest).as_slice() {
            [one] if rest.starts_with('"') => one.clone(),
            _ => rest.to_string(),
        };
        let order = (desc.is_some() || nulls_first.is_some()).then(|| {
            let desc = desc.unwrap_or(false);
            IndexKey {
                expression: false,
                desc,
                nulls_first: nulls_first.unwrap_or(desc),
            }
        });
        WantKey { text, order }
    }

    /// The same column (exactly) or expression (spacing, parentheses, casts and case ignored).
    fn same_key(&self, actual: &str, key: IndexKey) -> bool {
        if key.expression {
            squash_sql(&self.text) == squash_sql(actual)
        } else {
            self.text == actual
        }
    }

    fn same_order(&self, key: IndexKey) -> bool {
        self.order
            .is_none_or(|o| o.desc == key.desc && o.nulls_first == key.nulls_first)
    }
}

/// `[[exists]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Exists(pub Object);

impl StaticCheck for Exists {
    fn validate(&self, v: &mut Validator) {
        self.0.validate_as(v, false);
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        self.0.schemas(ctx)
    }
    fn needs_expressions(&self) -> bool {
        self.0.default.is_some() || self.0.definition.is_some()
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        self.0.exists(ctx, snap)
    }
}

/// An INVALID index (a failed or interrupted CREATE INDEX CONCURRENTLY / REINDEX CONCURRENTLY):
/// queries do not use it and, unique, it enforces nothing. Names it and says how to rebuild it.
fn invalid_index(ctx: &Ctx, r: &crate::catalog::Relation, ix: &crate::catalog::Index) -> String {
    let q = QualName::new(&r.schema, &ix.name).quoted();
    format!(
        "{}: index on {} is INVALID (a failed or interrupted CREATE INDEX CONCURRENTLY or \
REINDEX): queries do not use it{}; rebuild it: REINDEX INDEX CONCURRENTLY {q}; (or DROP INDEX \
CONCURRENTLY {q}; and create it again)",
        ix.name,
        ctx.show_rel(r),
        if ix.unique {
            " and it enforces no uniqueness"
        } else {
            ""
        }
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::*;
    use crate::checks::loader::load_str;
    use crate::report::Status;

    pub(crate) fn snap() -> Snapshot {
        let mut sessions = Relation::new("public", "chat_sessions", RelKind::Table);
        sessions.rls_enabled = true;
        let mut status = Column::new("status", "text");
        status.nullable = false;
        status.default = Some("'open'::text".into());
        sessions.columns = vec![
            Column::new("id", "uuid"),
            Column::new("created_at", "timestamp with time zone"),
            status,
        ];
        sessions.constraints = vec![Constraint {
            name: "chat_sessions_pkey".into(),
            kind: ConstraintKind::PrimaryKey,
            columns: vec!["id".into()],
            definition: Some("PRIMARY KEY (id)".into()),
            foreign: None,
            validated: true,
        }];
        sessions.constraints.push(Constraint {
            name: "chat_sessions_status_check".into(),
            kind: ConstraintKind::Check,
            columns: vec!["status".into()],
            definition: Some(
                "CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text, 'closed'::text])))".into(),
            ),
            foreign: None,
            validated: true,
        });
        sessions.constraints.push(Constraint {
            name: "chat_sessions_created_check".into(),
            kind: ConstraintKind::Check,
            columns: vec!["created_at".into()],
            definition: Some(
                "CHECK ((created_at > '2020-01-01 00:00:00+00'::timestamp with time zone))".into(),
            ),
            foreign: None,
            validated: true,
        });
        sessions.indexes = vec![Index {
            name: "idx_chat_sessions_status".into(),
            columns: vec!["status".into()],
            keys: Vec::new(),
            unique: false,
            primary: false,
            valid: true,
            predicate: None,
            definition: None,
            scans: None,
            method: "btree".into(),
        }];
        sessions.triggers = vec![Trigger {
            name: "set_chat_session_number".into(),
            function: QualName::new("public", "generate_chat_session_number"),
            timing: TriggerTiming::Before,
            events: vec![TriggerEvent::Insert],
            row: true,
            enabled: TriggerEnabled::Origin,
            definition: None,
        }];
        let mut messages = Relation::new("public", "chat_messages", RelKind::Table);
        messages.rls_enabled = true;
        messages.columns = vec![Column::new("id", "uuid"), Column::new("session_id", "uuid")];
        messages.constraints = vec![Constraint {
            name: "chat_messages_session_id_fkey".into(),
            kind: ConstraintKind::ForeignKey,
            columns: vec!["session_id".into()],
            definition: Some(
                "FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE".into(),
            ),
            foreign: Some(ForeignKey {
                table: QualName::new("public", "chat_sessions"),
                columns: vec!["id".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                to_primary_key: true,
            }),
            validated: true,
        }];
        let plain = IndexKey::default();
        messages.indexes = vec![
            Index {
                name: "idx_chat_messages_lower_body".into(),
                columns: vec!["lower(body)".into()],
                keys: vec![IndexKey::from_indoption(0, true)],
                unique: false,
                primary: false,
                valid: true,
                predicate: None,
                definition: None,
                scans: None,
                method: "btree".into(),
            },
            Index {
                name: "idx_chat_messages_session_created".into(),
                columns: vec!["session_id".into(), "created_at".into()],
                keys: vec![plain, IndexKey::from_indoption(3, false)],
                unique: false,
                primary: false,
                valid: true,
                predicate: None,
                definition: None,
                scans: None,
                method: "btree".into(),
            },
        ];
        let mut stats = Relation::new("public", "chat_session_stats", RelKind::View);
        stats.view.as_mut().unwrap().depends_on = vec![QualName::new("public", "chat_sessions")];
        let mut flagged = Relation::new("public", "security_flagged_chat_sessions", RelKind::View);
        flagged.options = vec!["security_invoker=true".into()];
        let mut seq = Relation::new("public", "chat_session_seq", RelKind::Sequence);
        seq.sequence = Some(SequenceInfo { owned_by: None });
        let mut f = Function::new("public", "log_chat_activity", &["uuid", "text"], "uuid");
        f.language = "plpgsql".into();
        f.security_definer = true;
        f.config = vec!["search_path=public".into()];
        let mut sr = Role::new("service_role");
        sr.bypass_rls = true;
        Snapshot {
            scope: vec!["public".into()],
            relations: vec![
                sessions,
                messages,
                stats,
                flagged,
                seq,
                Relation::new("public", "ChatMessage", RelKind::Table),
            ],
            functions: vec![f],
            enums: vec![EnumType {
                schema: "public".into(),
                name: "ticket_status".into(),
                values: vec!["open".into(), "closed".into()],
            }],
            publications: vec![Publication {
                name: "supabase_realtime".into(),
                all_tables: false,
                members: vec![QualName::new("public", "chat_messages")],
            }],
            extensions: vec![Extension {
                name: "pgcrypto".into(),
                version: "1.3".into(),
                schema: "extensions".into(),
                default_version: Some("1.3".into()),
                version_available: true,
            }],
            roles: vec![sr, Role::new("anon")],
            ..Default::default()
        }
        .finish()
    }

    pub(crate) fn eval(toml: &str) -> Outcome {
        let checks =
            load_str(std::path::Path::new("t.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
        checks[0].evaluate_static(&snap()).unwrap()
    }

    fn fails(toml: &str) -> String {
        let o = eval(toml);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        o.detail
    }

    fn passes(toml: &str) {
        let o = eval(toml);
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn tables_and_near_misses() {
        passes("[[exists]]\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        passes("[[exists]]\ntable = \"chat_sessions\"\nprimary_key = [\"id\"]\ncolumns = [\"status\"]\n");
        assert_eq!(
            fails("[[exists]]\ntable = \"chat_message\"\n"),
            "chat_message: no such table (did you mean chat_messages, ChatMessage?)"
        );
        assert_eq!(
            fails("[[exists]]\ntable = \"chat_session_stats\"\n"),
            "chat_session_stats is a view, not a table"
        );
        assert_eq!(fails("[[exists]]\ntable = \"chat_messages\"\nprimary_key = [\"id\"]\ncolumns = [\"sesion_id\"]\n"),
            "chat_messages: missing column sesion_id (did you mean session_id?); chat_messages: has no primary key, expected (id)");
    }

    #[test]
    fn columns() {
        passes("[[exists]]\ncolumn = \"chat_sessions.status\"\ntype = \"TEXT\"\nnullable = false\ndefault = \"'open'\"\n");
        passes("[[exists]]\ncolumn = \"created_at\"\ntable = \"chat_sessions\"\ntype = \"timestamptz\"\n");
        assert_eq!(fails("[[exists]]\ncolumn = \"chat_sessions.status\"\ntype = \"varchar(10)\"\nnullable = true\ndefault = \"'closed'\"\n"),
            "chat_sessions.status: type is text, expected varchar(10); chat_sessions.status: is NOT NULL, expected nullable; chat_sessions.status: default is 'open'::text, expected 'closed'");
    }

    #[test]
    fn indexes_and_constraints() {
        passes("[[exists]]\nindex = \"idx_chat_sessions_status\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\nunique = false\n");
        passes("[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\n");
        assert_eq!(fails("[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"created_at\"]\n"),
            "chat_sessions: no index on (created_at); indexes: idx_chat_sessions_status (status)");
        passes("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"foreign_key\"\ncolumns = [\"session_id\"]\nreferences = \"chat_sessions(id)\"\non_delete = \"cascade\"\n");
        assert_eq!(fails("[[exists]]\nconstraint = \"chat_messages_session_id_fkey\"\ntable = \"chat_messages\"\non_delete = \"set_null\"\nreferences = \"chat_session\"\n"),
            "chat_messages: constraint chat_messages_session_id_fkey references chat_sessions, expected chat_session; chat_messages: constraint chat_messages_session_id_fkey is ON DELETE CASCADE, expected ON DELETE SET NULL");
        passes("[[exists]]\nconstraint = \"chat_sessions_pkey\"\ntable = \"chat_sessions\"\ntype = \"primary_key\"\ndefinition = \"primary key (id)\"\n");
    }

    #[test]
    fn a_list_of_tables_locates_on_each() {
        // Each listed table is checked (not only the first).
        assert_eq!(
            fails("[[exists]]\nindex = \"*\"\ntable = [\"chat_sessions\", \"chat_messages\"]\ncolumns = [\"status\"]\n"),
            "chat_messages: no index on (status); indexes: idx_chat_messages_lower_body (lower(body)), idx_chat_messages_session_created (session_id, created_at DESC)"
        );
        assert_eq!(
            fails(
                "[[exists]]\ncolumn = \"status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n"
            ),
            "chat_messages: no column status"
        );
        assert_eq!(
            fails("[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n"),
            "chat_messages: no trigger set_chat_session_number (triggers: none)"
        );
        assert_eq!(
            fails("[[exists]]\nconstraint = \"chat_sessions_pkey\"\ntable = [\"chat_sessions\", \"chat_messages\", \"nope\"]\n"),
            "chat_messages: no constraint chat_sessions_pkey; nope: no such table"
        );
        let o = eval("[[exists]]\ncolumn = \"id\"\ntable = [\"chat_sessions\", \"chat_messages\"]\ntype = \"uuid\"\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail,
            "columns chat_sessions.id, chat_messages.id exist with the expected type"
        );
        // A qualified column names its own table.
        passes("[[exists]]\ncolumn = \"chat_sessions.status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        // [[absent]]: on none of them.
        let o = eval("[[absent]]\ntrigger = \"set_chat_session_number\"\ntable = [\"chat_messages\", \"chat_sessions\"]\n");
        assert_eq!(
            (o.status, o.detail.as_str()),
            (
                Status::Fail,
                "trigger set_chat_session_number exists on chat_sessions"
            )
        );
        let o = eval(
            "[[absent]]\ncolumn = \"legacy_id\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.detail,
            "no column legacy_id on chat_sessions, chat_messages"
        );
        let o = eval("[[absent]]\nindex = \"idx_chat_sessions_status\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n");
        assert_eq!(
            o.detail,
            "index idx_chat_sessions_status exists on chat_sessions"
        );
        // A trigger executes one function; an empty `table` says so.
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\ntrigger = \"t\"\nfunction = [\"a\", \"b\"]\n\n[[exists]]\nindex = \"*\"\ntable = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("a trigger executes one function"), "{e}");
        assert!(e.contains("`table` is empty"), "{e}");
    }

    #[test]
    fn an_invalid_index_fails_exists_naming_it_and_how_to_rebuild() {
        let mut s = snap();
        let r = s
            .relations
            .iter_mut()
            .find(|r| r.name == "chat_sessions")
            .unwrap();
        r.indexes[0].valid = false;
        let s = s.finish();
        let run = |toml: &str| {
            let checks = load_str(std::path::Path::new("t.toml"), toml).unwrap();
            checks[0].evaluate_static(&s).unwrap()
        };
        for toml in [
            "[[exists]]\nindex = \"idx_chat_sessions_status\"\n",
            "[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\n",
        ] {
            let o = run(toml);
            assert_eq!(o.status, Status::Fail, "{toml}: {o:?}");
            assert!(
                o.detail
                    .contains("idx_chat_sessions_status: index on chat_sessions is INVALID")
                    && o.detail.contains(
                        "REINDEX INDEX CONCURRENTLY \"public\".\"idx_chat_sessions_status\";"
                    ),
                "{}",
                o.detail
            );
        }
        let o = run("[[absent]]\nindex = \"idx_chat_sessions_status\"\n");
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.detail
                .contains("INVALID, e.g. left by a failed CREATE INDEX CONCURRENTLY; drop it: DROP INDEX CONCURRENTLY \"public\".\"idx_chat_sessions_status\";"),
            "{}",
            o.detail
        );
        // The valid index still passes.
        passes("[[exists]]\nindex = \"idx_chat_sessions_status\"\n");
    }

    #[test]
    fn index_key_order_and_expressions() {
        let key = |raw: &str| {
            let w = WantKey::parse(raw);
            (w.text, w.order.map(|o| o.order()))
        };
        assert_eq!(key("created_at"), ("created_at".into(), None));
        assert_eq!(
            key("created_at desc"),
            ("created_at".into(), Some("DESC".into()))
        );
        assert_eq!(
            key("\"CreatedAt\"  DESC   NULLS LAST"),
            ("CreatedAt".into(), Some("DESC NULLS LAST".into()))
        );
        assert_eq!(
            key("x nulls first"),
            ("x".into(), Some("ASC NULLS FIRST".into()))
        );
        assert_eq!(key("x ASC"), ("x".into(), Some("ASC".into())));
        assert_eq!(
            key("lower(email) DESC"),
            ("lower(email)".into(), Some("DESC".into()))
        );
        assert_eq!(key("desc"), ("desc".into(), None));
        let idx = "[[exists]]\nindex = \"idx_chat_messages_session_created\"\ntable = \"chat_messages\"\n";
        // Without an order any order matches; with one it must be the index's.
        passes(&format!(
            "{idx}columns = [\"session_id\", \"created_at\"]\n"
        ));
        passes(&format!(
            "{idx}columns = [\"session_id ASC\", \"created_at DESC\"]\n"
        ));
        passes(&format!(
            "{idx}columns = [\"session_id\", \"created_at desc nulls first\"]\n"
        ));
        assert_eq!(
            fails(&format!("{idx}columns = [\"session_id\", \"created_at ASC\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (session_id, created_at ASC): created_at is DESC, expected ASC"
        );
        assert_eq!(
            fails(&format!("{idx}columns = [\"session_id\", \"created_at DESC NULLS LAST\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (session_id, created_at DESC NULLS LAST): created_at is DESC, expected DESC NULLS LAST"
        );
        assert_eq!(
            fails(&format!("{idx}columns = [\"created_at DESC\", \"session_id\"]\n")),
            "idx_chat_messages_session_created: columns are (session_id, created_at DESC), expected (created_at DESC, session_id)"
        );
        // Expressions as PostgreSQL prints them, spacing and case aside.
        let any = "[[exists]]\nindex = \"*\"\ntable = \"chat_messages\"\n";
        passes(&format!("{any}columns = [\"LOWER( body )\"]\n"));
        passes(&format!(
            "{any}columns = [\"session_id\", \"created_at DESC\"]\n"
        ));
        assert_eq!(
            fails(&format!("{any}columns = [\"lower(body) DESC\"]\n")),
            "chat_messages: no index on (lower(body) DESC); indexes: idx_chat_messages_lower_body (lower(body)), idx_chat_messages_session_created (session_id, created_at DESC)"
        );
        // A plain column never matches an expression of it.
        assert!(fails(&format!("{any}columns = [\"body\"]\n"))
            .starts_with("chat_messages: no index on (body)"));
    }

    #[test]
    fn pass_details_pluralise() {
        let o = eval("[[exists]]\nindex = \"idx_chat_sessions_status\"\n");
        assert_eq!(o.detail, "index idx_chat_sessions_status exists");
        let o = eval("[[exists]]\nindex = [\"idx_chat_sessions_status\", \"*\"]\ntable = \"chat_sessions\"\n");
        assert_eq!(
            o.detail,
            "indexes idx_chat_sessions_status, (a matching one) on chat_sessions exist"
        );
        let o = eval("[[exists]]\nenum = \"ticket_status\"\n");
        assert_eq!(o.detail, "enum type ticket_status exists");
        let o = eval("[[exists]]\ntable = \"chat_messages\"\ncolumns = [\"a\", \"b\"]\n");
        assert_eq!(o.detail, "chat_messages: missing columns a, b");
    }

    #[test]
    fn wildcard_constraint_that_matches_nothing_lists_those_present() {
        assert_eq!(
            fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_sessions\"\ntype = \"check\"\ndefinition = \"status in ('open')\"\n"),
            "chat_sessions: no check constraint matches (definition containing `status in ('open')`); its check constraints: \
chat_sessions_status_check CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text…, \
chat_sessions_created_check CHECK ((created_at > '2020-01-01 00:00:00+00'::timestamp with time zone))"
        );
        passes("[[exists]]\nconstraint = \"*\"\ntable = \"chat_sessions\"\ntype = \"check\"\ndefinition = \"status = any(array['open', 'in_progress'\"\n");
        // Differences other than the definition are given per constraint.
        assert_eq!(
            fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"foreign_key\"\ncolumns = [\"session_id\"]\non_delete = \"restrict\"\n"),
            "chat_messages: no foreign key constraint matches (on (session_id), ON DELETE RESTRICT); its foreign key constraint: \
chat_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE [is ON DELETE CASCADE, expected ON DELETE RESTRICT]"
        );
        // No constraint of the kind at all: what there is instead.
        assert_eq!(
            fails("[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"check\"\ndefinition = \"x > 0\"\n"),
            "chat_messages: has no check constraint; its constraints: chat_messages_session_id_fkey (foreign key, session_id)"
        );
        assert_eq!(
            fails("[[exists]]\nconstraint = \"*\"\ntable = \"ChatMessage\"\n"),
            "ChatMessage: has no constraints"
        );
        assert_eq!(shorten("a  b\n c", 80), "a b c");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn enums_functions_triggers() {
        passes("[[exists]]\nenum = \"ticket_status\"\nvalues = [\"open\", \"closed\"]\n");
        assert_eq!(fails("[[exists]]\nenum = \"ticket_status\"\nvalues = [\"closed\", \"open\"]\n"),
            "ticket_status: values are (open, closed), expected (closed, open); same values, different order");
        passes("[[exists]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\", \"text\"]\nreturns = \"uuid\"\nlanguage = \"plpgsql\"\nsecurity_definer = true\nsearch_path = \"public\"\nvolatility = \"volatile\"\n");
        passes("[[exists]]\nfunction = \"log_chat_activity\"\nsearch_path = true\n");
        assert_eq!(fails("[[exists]]\nfunction = \"log_chat_activity\"\nsecurity_definer = false\nsearch_path = \"public, pg_temp\"\n"),
            "log_chat_activity(uuid, text): is SECURITY DEFINER, expected SECURITY INVOKER; log_chat_activity(uuid, text): search_path is public, expected public, pg_temp");
        assert_eq!(
            fails("[[exists]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\"]\n"),
            "log_chat_activity(uuid): no such overload; present: log_chat_activity(uuid, text)"
        );
        passes("[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = \"chat_sessions\"\nfunction = \"generate_chat_session_number\"\ntiming = \"before\"\nevents = [\"INSERT\"]\nlevel = \"row\"\nenabled = true\n");
        assert_eq!(fails("[[exists]]\ntrigger = \"set_chat_session_number\"\ntiming = \"after\"\nevents = [\"insert\", \"update\"]\n"),
            "chat_sessions.set_chat_session_number: fires BEFORE, expected AFTER; chat_sessions.set_chat_session_number: fires on INSERT, expected INSERT OR UPDATE");
    }

    #[test]
    fn views_sequences_publications_extensions_roles() {
        passes("[[exists]]\nview = \"security_flagged_chat_sessions\"\nsecurity_invoker = true\n");
        assert_eq!(fails("[[exists]]\nview = [\"chat_session_stats\", \"security_flagged_chat_sessions\"]\nsecurity_invoker = true\n"),
            "chat_session_stats: security_invoker is off, expected on (it reads chat_sessions with the owner's rights, bypassing their RLS)");
        passes("[[exists]]\nview = \"chat_session_stats\"\nreads = [\"chat_sessions\"]\n");
        passes("[[exists]]\nsequence = \"chat_session_seq\"\n");
        assert_eq!(
            fails("[[exists]]\nsequence = \"chat_session_seq\"\nowned_by = \"chat_sessions.id\"\n"),
            "chat_session_seq: not owned by any column, expected chat_sessions.id"
        );
        passes("[[exists]]\npublication = \"supabase_realtime\"\ntables = [\"chat_messages\"]\n");
        assert_eq!(
            fails(
                "[[exists]]\npublication = \"supabase_realtime\"\ntables = [\"chat_sessions\"]\n"
            ),
            "publication supabase_realtime does not include chat_sessions (members: chat_messages)"
        );
        passes("[[exists]]\nextension = \"pgcrypto\"\nversion = \"1.3\"\n");
        assert_eq!(
            fails("[[exists]]\nextension = \"pg_cron\"\n"),
            "extension pg_cron is not installed"
        );
        passes("[[exists]]\nrole = \"service_role\"\nbypassrls = true\nsuperuser = false\n");
        assert_eq!(
            fails("[[exists]]\nrole = \"anon\"\nbypassrls = true\n"),
            "role anon is NOBYPASSRLS, expected BYPASSRLS"
        );
    }

    #[test]
    fn validation() {
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\nview = \"v\"\nprimary_key = [\"id\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.toml:3:1: [[exists]] `primary_key` does not apply to a view (its properties: security_invoker, columns, reads, owner)"), "{e}");
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\nview = \"v\"\nsequence = \"s\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("name exactly one object, found `view`, `sequence`"),
            "{e}"
        );
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\ncolumn = \"status\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("column `status` needs its table"), "{e}");
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[exists]]\ntrigger = \"t\"\ntiming = \"befor\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("did you mean `before`?"), "{e}");
    }
}
