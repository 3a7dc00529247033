//! The object types `[[exists]]` and `[[absent]]` check (table, column, index, constraint, ...):
//! the keys as written (`Object`, one serde field per key), the `ObjectType` trait each type
//! implements in its own file, the `object_types!` registry, and `ObjectCheck`, the typed value
//! a check is classified into ONCE at load time and evaluated from. Reads only the Snapshot;
//! must not know any one type's properties (they live in that type's file).
//!
//! # How to add an object type
//! 1. Write `object/<type>.rs`: a struct of the type's typed properties and `impl ObjectType`
//!    (key, nouns, property keys, `classify` from the raw keys, `exists` / `absent` of one
//!    name), with its unit tests.
//! 2. Add its object key (and any new property key) to `Object`, and one line to
//!    `object_types!` below.
//! 3. Add it to docs/checks.md (and `deskctl schema` regenerates schema/check-file.json).

use serde::Deserialize;

use crate::catalog::{QualName, Snapshot};
use crate::checks::names::{schemas_of, BoolOrText, Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::Outcome;
use crate::findings::Problem;
use crate::words::{list, plural};

mod column;
mod constraint;
mod enum_type;
mod extension;
mod function;
mod index;
mod materialized_view;
mod procedure;
mod publication;
mod relation;
mod role;
mod sequence;
mod table;
mod trigger;
mod view;

#[cfg(test)]
mod tests;

/// The keys of `[[exists]]` / `[[absent]]`: one object key, then properties.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Object {
    // Object keys (a name or a list of names).
    pub table: Option<Names>,
    pub column: Option<Names>,
    // `deskctl snapshot` writes indexes, views and materialized views in groups: as lists
    // even of one (`Names` alone writes one name as a text).
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub index: Option<Names>,
    pub constraint: Option<Names>,
    #[serde(rename = "enum")]
    pub enum_type: Option<Names>,
    pub function: Option<Names>,
    pub procedure: Option<Names>,
    pub trigger: Option<Names>,
    #[serde(serialize_with = "crate::checks::names::names_list")]
    pub view: Option<Names>,
    #[serde(serialize_with = "crate::checks::names::names_list")]
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
    pub volatility: Option<String>,
    /// The body's fingerprint (`deskctl snapshot` writes it for SECURITY DEFINER functions):
    /// `sha256:<16 hex>` over the body's tokens, layout and comments aside.
    pub body: Option<String>,
    pub timing: Option<String>,
    pub events: Option<Vec<String>>,
    pub level: Option<String>,
    pub enabled: Option<bool>,
    pub security_invoker: Option<bool>,
    pub reads: Option<Vec<String>>,
    pub owned_by: Option<String>,
    #[serde(serialize_with = "crate::checks::names::names_list")]
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

impl Object {
    /// The object keys that name the object: an object key that is a property of another
    /// named object (a column's `table`, a trigger's `function`) is that property.
    fn naming_keys(&self) -> Vec<(&'static str, &Names)> {
        let keys = self.object_keys();
        keys.iter()
            .copied()
            .filter(|(k, _)| {
                !keys.iter().any(|(other, _)| {
                    other != k && type_of(other).is_some_and(|t| t.properties.contains(k))
                })
            })
            .collect()
    }

    /// The key naming the object, when exactly one does (`deskctl snapshot` writes it first).
    pub fn object_key(&self) -> Option<&'static str> {
        match self.naming_keys().as_slice() {
            [(key, _)] => Some(key),
            _ => None,
        }
    }

    /// Property keys present (besides object keys), in declaration order.
    fn property_keys(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut push = |k: &'static str, p: bool| {
            if p {
                v.push(k)
            }
        };
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
}

/// One object type: its keys, how a check's raw keys become its typed properties, and how one
/// name is looked for in the snapshot.
pub trait ObjectType: Sized + std::fmt::Debug + Clone {
    /// The object key, as written (`table = "orders"`).
    const KEY: &'static str;
    /// `table` / `tables`, as details say it.
    const NOUN: &'static str;
    const NOUNS: &'static str;
    /// Property keys `[[exists]]` takes (an object key used as a property included, such as a
    /// column's `table`: a check naming both is about the column).
    const PROPERTIES: &'static [&'static str];
    /// Property keys `[[absent]]` still takes (they locate the object).
    const LOCATORS: &'static [&'static str] = &[];
    /// Whether `"*"` (any one matching the properties) may stand for a name.
    const WILDCARD: bool = false;
    /// Whether a name found on one of several listed tables is shown with its table.
    const SHOW_TABLE: bool = false;

    /// The check's raw keys -> this type's typed properties, reporting problems by key path.
    /// Keys that do not apply to the type (or to `[[absent]]`) are already reported.
    fn classify(raw: &Object, names: &Names, v: &mut Validator) -> Self;

    /// Whether `table` locates the object called `name` (a list: on each of them).
    fn located(_ctx: &Ctx, _name: &str) -> bool {
        false
    }

    /// The raw names whose schemas the snapshot must cover: the object's names (default: every
    /// name but `"*"`) and any other name the properties hold.
    fn schema_names(&self, _ctx: &Ctx, names: &Names, out: &mut Vec<String>) {
        out.extend(names.iter().filter(|n| *n != "*").map(str::to_string));
    }

    /// Names besides the object's own and `table` whose schemas the snapshot must cover.
    fn other_schema_names(&self, _out: &mut Vec<String>) {}

    /// Whether evaluation compares deparsed expressions (defaults, CHECK definitions).
    fn needs_expressions(&self) -> bool {
        false
    }

    /// `[[exists]]` of one name (on `table` when located): push each difference; return the
    /// name as the pass detail shows it.
    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String;

    /// `[[absent]]` of one name (on `table` when located): what exists, if anything.
    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
    ) -> Option<Problem>;

    /// The pass detail of `[[absent]]`, when the type words it its own way.
    fn absent_detail(&self, _names: &Names) -> Option<String> {
        None
    }
}

/// What validation needs of a type before classifying.
struct TypeInfo {
    noun: &'static str,
    properties: &'static [&'static str],
    locators: &'static [&'static str],
}

/// The registry: `<Object field> => <variant>(<type>)`, one line per object type, in the order
/// error messages list the object keys.
macro_rules! object_types {
    ( $( $field:ident => $var:ident($ty:ty), )* ) => {
        /// One object check's typed properties.
        #[derive(Debug, Clone)]
        pub enum Typed {
            $( $var($ty), )*
        }

        /// Every object key, in registry order.
        const OBJECT_KEYS: &[&str] = &[ $( <$ty as ObjectType>::KEY, )* ];

        impl Object {
            /// Object keys present (before disambiguation), in registry order.
            fn object_keys(&self) -> Vec<(&'static str, &Names)> {
                let mut v = Vec::new();
                $( if let Some(n) = &self.$field { v.push((<$ty as ObjectType>::KEY, n)); } )*
                v
            }
        }

        /// The type with object key `key`: its noun, properties and locators.
        fn type_of(key: &str) -> Option<TypeInfo> {
            $( if key == <$ty as ObjectType>::KEY {
                return Some(TypeInfo {
                    noun: <$ty as ObjectType>::NOUN,
                    properties: <$ty as ObjectType>::PROPERTIES,
                    locators: <$ty as ObjectType>::LOCATORS,
                });
            } )*
            None
        }

        impl Typed {
            fn classify(key: &str, raw: &Object, names: &Names, v: &mut Validator) -> Option<Typed> {
                $( if key == <$ty as ObjectType>::KEY {
                    return Some(Typed::$var(<$ty as ObjectType>::classify(raw, names, v)));
                } )*
                None
            }
            fn key(&self) -> &'static str {
                match self { $( Typed::$var(_) => <$ty as ObjectType>::KEY, )* }
            }
            fn nouns(&self, n: usize) -> &'static str {
                match self { $( Typed::$var(_) => plural(n, <$ty as ObjectType>::NOUN, <$ty as ObjectType>::NOUNS), )* }
            }
            fn wildcard(&self) -> bool {
                match self { $( Typed::$var(_) => <$ty as ObjectType>::WILDCARD, )* }
            }
            fn show_table(&self) -> bool {
                match self { $( Typed::$var(_) => <$ty as ObjectType>::SHOW_TABLE, )* }
            }
            fn located(&self, ctx: &Ctx, name: &str) -> bool {
                match self { $( Typed::$var(_) => <$ty as ObjectType>::located(ctx, name), )* }
            }
            fn schema_names(&self, ctx: &Ctx, names: &Names, out: &mut Vec<String>) {
                match self { $( Typed::$var(t) => t.schema_names(ctx, names, out), )* }
            }
            fn other_schema_names(&self, out: &mut Vec<String>) {
                match self { $( Typed::$var(t) => t.other_schema_names(out), )* }
            }
            fn needs_expressions(&self) -> bool {
                match self { $( Typed::$var(t) => t.needs_expressions(), )* }
            }
            fn exists(&self, ctx: &Ctx, snap: &Snapshot, name: &str, table: Option<&QualName>, problems: &mut Vec<Problem>) -> String {
                match self { $( Typed::$var(t) => t.exists(ctx, snap, name, table, problems), )* }
            }
            fn absent(&self, ctx: &Ctx, snap: &Snapshot, name: &str, table: Option<&QualName>) -> Option<Problem> {
                match self { $( Typed::$var(t) => t.absent(ctx, snap, name, table), )* }
            }
            fn absent_detail(&self, names: &Names) -> Option<String> {
                match self { $( Typed::$var(t) => t.absent_detail(names), )* }
            }
        }
    };
}

object_types! {
    table => Table(table::TableProps),
    column => Column(column::ColumnProps),
    index => Index(index::IndexProps),
    constraint => Constraint(constraint::ConstraintProps),
    enum_type => Enum(enum_type::EnumTypeProps),
    function => Function(function::FunctionProps),
    procedure => Procedure(procedure::ProcedureProps),
    trigger => Trigger(trigger::TriggerProps),
    view => View(view::ViewProps),
    materialized_view => MaterializedView(materialized_view::MaterializedViewProps),
    sequence => Sequence(sequence::SequenceProps),
    publication => Publication(publication::PublicationProps),
    extension => Extension(extension::ExtensionProps),
    role => Role(role::RoleProps),
}

/// One `[[exists]]` / `[[absent]]` check, classified: the names, the tables that locate them,
/// and the type's typed properties.
#[derive(Debug, Clone)]
pub struct ObjectCheck {
    names: Names,
    /// `table` when it locates the object (not when the object is a table).
    table: Option<Names>,
    /// Property keys given (for the pass detail: "with the expected type, nullable").
    with: Vec<&'static str>,
    typed: Typed,
}

impl ObjectCheck {
    /// Classify the raw keys once: which object the check is about, which keys apply, then the
    /// type's own validation. `absent` allows only locating properties. `None` when no single
    /// object is named (reported).
    pub fn classify(raw: &Object, v: &mut Validator, absent: bool) -> Option<ObjectCheck> {
        let keys = raw.object_keys();
        let rest = raw.naming_keys();
        let [(key, names)] = rest.as_slice() else {
            v.error(
                "",
                if keys.is_empty() {
                    format!(
                        "name the object: one of {}",
                        OBJECT_KEYS
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    format!(
                        "name exactly one object, found {}",
                        keys.iter()
                            .map(|(k, _)| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                Some("e.g. table = \"orders\", or column = \"orders.status\"".to_string()),
            );
            return None;
        };
        let (key, names) = (*key, *names);
        if names.is_empty() {
            v.error(key, format!("`{key}` is empty"), None);
        }
        let mut present: Vec<&'static str> =
            keys.iter().map(|(k, _)| *k).filter(|k| *k != key).collect();
        present.extend(raw.property_keys());
        let info = type_of(key)?;
        let noun = info.noun;
        let allowed = if absent {
            info.locators
        } else {
            info.properties
        };
        for p in &present {
            if !allowed.contains(p) {
                let why = if absent {
                    format!(
                        "does not apply to [[absent]] {noun}: absent checks only that it does not exist"
                    )
                } else if allowed.is_empty() {
                    format!("does not apply to a {noun} (it has no properties)")
                } else {
                    format!(
                        "does not apply to a {noun} (its properties: {})",
                        allowed.join(", ")
                    )
                };
                v.not_here(p, &why);
            }
        }
        let table = raw.table.clone().filter(|_| key != "table");
        if table.as_ref().is_some_and(|t| t.is_empty()) {
            v.error("table", "`table` is empty", None);
        }
        let typed = Typed::classify(key, raw, names, v)?;
        let wildcard = names.iter().any(|n| n == "*");
        if wildcard && !typed.wildcard() {
            v.error(key, "`\"*\"` is only for index and constraint", None);
        }
        if wildcard && absent {
            v.error(key, "[[absent]] needs a name, not `\"*\"`", None);
        }
        Some(ObjectCheck {
            names: names.clone(),
            table,
            with: present
                .into_iter()
                .filter(|p| !matches!(*p, "table" | "args"))
                .collect(),
            typed,
        })
    }

    /// Schemas the check reads, the default one first.
    pub fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        let mut raws: Vec<String> = Vec::new();
        self.typed.schema_names(ctx, &self.names, &mut raws);
        raws.extend(self.table.iter().flat_map(|n| n.iter()).map(str::to_string));
        self.typed.other_schema_names(&mut raws);
        schemas_of(ctx.schema, raws.iter().map(String::as_str))
    }

    pub fn needs_expressions(&self) -> bool {
        self.typed.needs_expressions()
    }

    /// The tables a name is looked for on: each listed `table` (a list means every one of
    /// them), or `[None]` when there is no `table` or it does not locate this name.
    fn locator_tables(&self, ctx: &Ctx, name: &str) -> Vec<Option<QualName>> {
        match &self.table {
            Some(ts) if !ts.is_empty() && self.typed.located(ctx, name) => {
                ts.iter().map(|t| Some(ctx.qual(t))).collect()
            }
            _ => vec![None],
        }
    }

    /// Evaluate `[[exists]]`.
    pub fn exists(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let mut problems = Vec::new();
        let mut shown = Vec::new();
        for raw in self.names.iter() {
            let tables = self.locator_tables(ctx, raw);
            for table in &tables {
                let before = problems.len();
                let mut name = self
                    .typed
                    .exists(ctx, snap, raw, table.as_ref(), &mut problems);
                if let (true, Some(t), true) = (self.typed.show_table(), table, tables.len() > 1) {
                    if raw != "*" {
                        name = format!("{name} on {}", ctx.show(t));
                    }
                }
                if problems.len() == before {
                    shown.push(name);
                }
            }
        }
        let with = if self.with.is_empty() {
            String::new()
        } else {
            format!(" with the expected {}", self.with.join(", "))
        };
        Outcome::from_problems(
            problems,
            format!(
                "{} {} {}{with}",
                self.typed.nouns(shown.len()),
                list(&shown, 10),
                plural(shown.len(), "exists", "exist")
            ),
        )
    }

    /// Evaluate `[[absent]]`.
    pub fn absent(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        let mut present: Vec<Problem> = Vec::new();
        let mut shown = Vec::new();
        for raw in self.names.iter() {
            shown.push(raw.to_string());
            for table in self.locator_tables(ctx, raw) {
                if let Some(f) = self.typed.absent(ctx, snap, raw, table.as_ref()) {
                    if !present.contains(&f) {
                        present.push(f);
                    }
                }
            }
        }
        let what = self.typed.absent_detail(&self.names).unwrap_or_else(|| {
            let located = self
                .names
                .iter()
                .any(|r| self.locator_tables(ctx, r)[0].is_some());
            let on = match &self.table {
                Some(ts) if located => format!(" on {}", list(&ts.0, 10)),
                _ => String::new(),
            };
            format!(
                "no {} {}{on}",
                self.typed.nouns(shown.len()),
                list(&shown, 10)
            )
        });
        Outcome::from_problems(present, what)
    }

    /// The object key the check names (`table`, `column`, ...).
    pub fn key(&self) -> &'static str {
        self.typed.key()
    }
}

/// A closed set as check files write it: `value` (case-insensitive) must be one of `words`;
/// else a problem at `path` suggesting the closest. The caller normalises `value` first
/// (`set_null` -> `set null`).
pub(crate) fn word<T: Copy>(
    v: &mut Validator,
    path: &str,
    what: &str,
    value: &str,
    words: &[(&str, T)],
) -> Option<T> {
    let found = words
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(value))
        .map(|(_, t)| *t);
    if found.is_none() {
        let allowed: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
        v.word(path, what, value, &allowed);
    }
    found
}
