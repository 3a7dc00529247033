//! `deskctl snapshot`: turns one catalog snapshot into a check file (docs/checks.md format) that
//! `deskctl verify` passes against the same database: component counts, tables (columns, primary
//! key), RLS state, policies (name, command, roles; exact), views (security_invoker), sequences,
//! functions (definer, search_path), triggers, enum values, indexes and the API roles'
//! privileges. Each check is built as the loader's own typed kind struct (`checks::kinds`) and
//! written by `render` through serde, so what is written is what the loader reads back.
//! Deterministic: same catalog, same bytes (names sorted where the catalog order is an accident
//! of creation). Pure: must not touch the database, nor spell a check-file key.

mod privileges;
pub mod render;
#[cfg(test)]
mod tests;

use crate::catalog::{
    privileges_of, Function, FunctionKind, Policy, PolicyCommand, QualName, RelKind, Relation,
};
use crate::checks::kinds::count::{Count, CountTarget};
use crate::checks::kinds::exists::Exists;
use crate::checks::kinds::object::Object;
use crate::checks::kinds::policies::{Expected, Policies};
use crate::checks::kinds::privileges::{On, Privileges};
use crate::checks::kinds::rls::Rls;
use crate::checks::names::{BoolOrText, Names};
use crate::checks::Spec;
use crate::lint::RuleCtx;

pub use render::toml_str;
use render::{Document, Emitted, Entry};

/// Roles whose privileges the snapshot records (Supabase's API roles), when they exist.
pub const PRIVILEGE_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// Write the check file for `schemas` (the first one is the file's default schema).
pub fn write(cx: &RuleCtx, schemas: &[String]) -> String {
    render::render(&document(cx, schemas))
}

/// The checks (and the comments around them) that `write` writes.
pub fn document(cx: &RuleCtx, schemas: &[String]) -> Document {
    let default = schemas.first().cloned().unwrap_or_else(|| "public".into());
    let version = cx.snap.server_version_num;
    let mut header = vec![format!(
        "deskctl snapshot of schema{} {} (PostgreSQL {}.{})",
        if schemas.len() == 1 { "" } else { "s" },
        schemas.join(", "),
        version / 10000,
        version % 10000
    )];
    header.extend(
        [
            "",
            "Written by `deskctl snapshot`: it records the schema as it was. `deskctl verify <this file>`",
            "passes against that database and fails, naming the object, when something listed here is",
            "dropped or changed. Regenerate it after an intended change and review the diff.",
            "Names are exact (case-sensitive); a name containing a dot is written \"quoted\".",
            "Whether what it records is right is `deskctl diagnose`'s job.",
        ]
        .map(String::from),
    );
    let mut w = Doc {
        entries: Vec::new(),
        schema: None,
    };
    for schema in schemas {
        if schemas.len() > 1 {
            w.banner(format!("Schema {schema}"));
        }
        w.schema = (schema != &default).then(|| schema.clone());
        let s = Section { cx, schema };
        s.write(&mut w);
    }
    Document {
        header,
        schema: default,
        entries: w.entries,
    }
}

/// The entries being built, and the `schema` of the checks of the current section.
struct Doc {
    entries: Vec<Entry>,
    /// None: the file's default schema.
    schema: Option<String>,
}

impl Doc {
    fn banner(&mut self, title: impl Into<String>) {
        self.entries.push(Entry::Banner(title.into()));
    }

    fn check(&mut self, spec: Spec) {
        self.noted(None, spec);
    }

    fn noted(&mut self, note: Option<&str>, spec: Spec) {
        self.entries.push(Entry::Check(Emitted {
            note: note.map(String::from),
            schema: self.schema.clone(),
            spec,
        }));
    }

    fn count(&mut self, c: Count) {
        self.check(Spec::Count(Box::new(c)));
    }

    fn exists(&mut self, o: Object) {
        self.check(Spec::Exists(Box::new(Exists::new(o))));
    }
}

/// A `[[count]]` of `object`, expecting exactly `n`.
fn count_of(object: CountTarget, n: usize) -> Count {
    Count {
        component: None,
        object,
        names: None,
        pattern: None,
        tables: None,
        enum_type: None,
        owned: None,
        expect: Some(i64::try_from(n).unwrap_or(i64::MAX)),
        at_least: None,
        at_most: None,
    }
}

fn one(name: String) -> Option<Names> {
    Some(Names(vec![name]))
}

/// A SQL expression as the check holds it: one line when short, else its lines (broken between
/// tokens; the comparison ignores layout), each ended by a line break, so that the file shows
/// it on lines and a diff shows the changed one.
fn sql_lines(e: &str) -> String {
    let lines = crate::sqltext::expr::wrap(e, 90);
    let multi = lines.len() > 1
        && !e.contains("\'\'\'")
        && lines.iter().all(|l| !l.chars().any(|c| c.is_control()));
    if multi {
        lines.iter().map(|l| format!("{l}\n")).collect()
    } else {
        lines.join(" ")
    }
}

/// One part of a name as check files read it: double-quoted when it contains a dot or a quote
/// (or starts/ends with a space), so that `split_name` gives it back unchanged.
fn name_part(n: &str) -> String {
    if n.contains('.') || n.contains('"') || n.trim() != n || n.is_empty() {
        format!("\"{}\"", n.replace('"', "\"\""))
    } else {
        n.to_string()
    }
}

/// A relation or function name relative to the check's schema.
fn check_name(schema: &str, q: &QualName) -> String {
    if q.schema == schema {
        name_part(&q.name)
    } else {
        format!("{}.{}", name_part(&q.schema), name_part(&q.name))
    }
}

fn command_rank(c: PolicyCommand) -> u8 {
    match c {
        PolicyCommand::Select => 0,
        PolicyCommand::Insert => 1,
        PolicyCommand::Update => 2,
        PolicyCommand::Delete => 3,
        PolicyCommand::All => 4,
    }
}

struct Section<'c, 'a> {
    cx: &'c RuleCtx<'a>,
    schema: &'c str,
}

impl Section<'_, '_> {
    fn rels(&self) -> Vec<&Relation> {
        self.cx
            .relations()
            .filter(|r| r.schema == self.schema)
            .collect()
    }

    fn name(&self, q: &QualName) -> String {
        check_name(self.schema, q)
    }

    fn names(&self, rels: &[&Relation]) -> Names {
        Names(rels.iter().map(|r| self.name(&r.qual())).collect())
    }

    fn functions(&self) -> Vec<&Function> {
        let mut v: Vec<&Function> = self
            .cx
            .snap
            .functions
            .iter()
            .filter(|f| f.schema == self.schema)
            .filter(|f| matches!(f.kind, FunctionKind::Function | FunctionKind::Procedure))
            .collect();
        v.sort_by(|a, b| (&a.name, &a.arg_types).cmp(&(&b.name, &b.arg_types)));
        v
    }

    fn write(&self, w: &mut Doc) {
        let rels = self.rels();
        let of = |k: &[RelKind]| -> Vec<&Relation> {
            rels.iter()
                .copied()
                .filter(|r| k.contains(&r.kind))
                .collect()
        };
        let tables = of(&[
            RelKind::Table,
            RelKind::PartitionedTable,
            RelKind::ForeignTable,
        ]);
        let rls_tables = of(&[RelKind::Table, RelKind::PartitionedTable]);
        let views = of(&[RelKind::View]);
        let matviews = of(&[RelKind::MaterializedView]);
        let sequences = of(&[RelKind::Sequence]);
        let functions = self.functions();

        // Counts read the whole schema the way `[[count]]` does; deskctl's history table is
        // kept out by naming tables (and the tables whose indexes are counted).
        w.banner("Component counts (the seed-style verification table)");
        let all_in_schema = || self.cx.snap.relations_in(self.schema);
        let plain_tables = of(&[RelKind::Table]);
        if !plain_tables.is_empty() {
            w.count(Count {
                component: Some("Tables".into()),
                names: Some(self.names(&plain_tables)),
                ..count_of(CountTarget::Table, plain_tables.len())
            });
        }
        let parted = of(&[RelKind::PartitionedTable]);
        if !parted.is_empty() {
            w.count(Count {
                names: Some(self.names(&parted)),
                ..count_of(CountTarget::PartitionedTable, parted.len())
            });
        }
        let count = |kind: RelKind| all_in_schema().filter(|r| r.kind == kind).count();
        for (object, n, always) in [
            (CountTarget::View, count(RelKind::View), true),
            (
                CountTarget::MaterializedView,
                count(RelKind::MaterializedView),
                false,
            ),
            (CountTarget::Sequence, count(RelKind::Sequence), true),
        ] {
            if always || n > 0 {
                w.count(count_of(object, n));
            }
        }
        let fn_count = |k: FunctionKind| {
            self.cx
                .snap
                .functions
                .iter()
                .filter(|f| f.schema == self.schema && f.kind == k)
                .count()
        };
        w.count(count_of(
            CountTarget::Function,
            fn_count(FunctionKind::Function),
        ));
        if fn_count(FunctionKind::Procedure) > 0 {
            w.count(count_of(
                CountTarget::Procedure,
                fn_count(FunctionKind::Procedure),
            ));
        }
        let policies: usize = all_in_schema().map(|r| r.policies.len()).sum();
        w.count(count_of(CountTarget::Policy, policies));
        let triggers: usize = all_in_schema().map(|r| r.triggers.len()).sum();
        w.count(count_of(CountTarget::Trigger, triggers));
        let indexed = of(&[
            RelKind::Table,
            RelKind::PartitionedTable,
            RelKind::MaterializedView,
        ]);
        if !indexed.is_empty() {
            let n: usize = indexed.iter().map(|r| r.indexes.len()).sum();
            w.count(Count {
                tables: Some(self.names(&indexed)),
                ..count_of(CountTarget::Index, n)
            });
        }
        let enum_values: usize = self
            .cx
            .snap
            .enums
            .iter()
            .filter(|e| e.schema == self.schema)
            .map(|e| e.values.len())
            .sum();
        if enum_values > 0 {
            w.count(count_of(CountTarget::EnumValue, enum_values));
        }

        if !tables.is_empty() {
            w.banner("Tables: columns and primary keys");
            for t in &tables {
                let cols: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
                let pk = t
                    .constraints
                    .iter()
                    .find(|c| c.kind == crate::catalog::ConstraintKind::PrimaryKey);
                w.exists(Object {
                    table: one(self.name(&t.qual())),
                    columns: (!cols.is_empty()).then_some(cols),
                    primary_key: pk.map(|pk| pk.columns.clone()),
                    ..Object::default()
                });
            }
        }

        if !rls_tables.is_empty() {
            w.banner("Row-level security");
            for (enabled, forced, note) in [
                (true, true, "RLS enabled and forced (applies to the owner too)"),
                (true, false, "RLS enabled, not forced"),
                (false, false, "RLS DISABLED: every role with privileges sees every row (see `deskctl diagnose`)"),
            ] {
                let group: Vec<&Relation> = rls_tables
                    .iter()
                    .copied()
                    .filter(|t| t.rls_enabled == enabled && (t.rls_forced == forced || !enabled))
                    .collect();
                if group.is_empty() {
                    continue;
                }
                let rls = Rls {
                    tables: Some(self.names(&group)),
                    pattern: None,
                    all: false,
                    except: None,
                    enabled: (!enabled).then_some(false),
                    force: enabled.then_some(forced),
                };
                w.noted(Some(note), Spec::Rls(Box::new(rls)));
            }

            let with_policies: Vec<&Relation> = rls_tables
                .iter()
                .copied()
                .filter(|t| t.rls_enabled || !t.policies.is_empty())
                .collect();
            if !with_policies.is_empty() {
                w.banner(
                    "Policies of each table (name, command, roles, USING / WITH CHECK as the server \
deparses them); exact: no other policy",
                );
                for t in with_policies {
                    let mut ps: Vec<&Policy> = t.policies.iter().collect();
                    ps.sort_by(|a, b| {
                        (command_rank(a.command), &a.name).cmp(&(command_rank(b.command), &b.name))
                    });
                    let expect = ps
                        .into_iter()
                        .map(|p| {
                            let mut roles = p.roles.clone();
                            roles.sort();
                            Expected {
                                name: p.name.clone(),
                                command: Some(p.command.sql().to_string()),
                                roles: Some(Names(roles)),
                                permissive: (!p.permissive).then_some(false),
                                using: p.using.as_deref().map(sql_lines),
                                with_check: p.with_check.as_deref().map(sql_lines),
                            }
                        })
                        .collect();
                    let policies = Policies {
                        table: one(self.name(&t.qual())),
                        expect: Some(expect),
                        exact: true,
                        expressions: Some("exact".into()),
                        tables: None,
                        pattern: None,
                        all: false,
                        except: None,
                        commands: None,
                        roles: None,
                    };
                    w.check(Spec::Policies(Box::new(policies)));
                }
            }
        }

        if !views.is_empty() || !matviews.is_empty() {
            w.banner("Views (security_invoker: the caller's rights and RLS apply)");
            for invoker in [true, false] {
                let group: Vec<&Relation> = views
                    .iter()
                    .copied()
                    .filter(|v| v.security_invoker() == invoker)
                    .collect();
                if !group.is_empty() {
                    w.exists(Object {
                        view: Some(self.names(&group)),
                        security_invoker: Some(invoker),
                        ..Object::default()
                    });
                }
            }
            if !matviews.is_empty() {
                w.exists(Object {
                    materialized_view: Some(self.names(&matviews)),
                    ..Object::default()
                });
            }
        }

        if !sequences.is_empty() {
            w.banner("Sequences");
            let (owned, free): (Vec<&Relation>, Vec<&Relation>) = sequences
                .iter()
                .partition(|s| s.sequence.as_ref().is_some_and(|i| i.owned_by.is_some()));
            if !free.is_empty() {
                w.exists(Object {
                    sequence: Some(self.names(&free)),
                    ..Object::default()
                });
            }
            for s in owned {
                if let Some((t, col)) = s.sequence.as_ref().and_then(|i| i.owned_by.as_ref()) {
                    w.exists(Object {
                        sequence: one(self.name(&s.qual())),
                        owned_by: Some(format!("{}.{}", self.name(t), name_part(col))),
                        ..Object::default()
                    });
                }
            }
        }

        if !functions.is_empty() {
            w.banner("Functions (security definer, pinned search_path)");
            for f in &functions {
                let procedure = f.kind == FunctionKind::Procedure;
                let name = one(self.name(&f.qual()));
                let (function, procedure, returns) = if procedure {
                    (None, name, None)
                } else {
                    (name, None, Some(f.returns.clone()))
                };
                w.exists(Object {
                    function,
                    procedure,
                    args: Some(f.arg_types.clone()),
                    returns,
                    language: Some(f.language.clone()),
                    security_definer: Some(f.security_definer),
                    search_path: Some(match f.search_path() {
                        Some(p) => BoolOrText::Text(p.to_string()),
                        None => BoolOrText::Bool(false),
                    }),
                    volatility: Some(f.volatility.word().to_string()),
                    // A SECURITY DEFINER function runs with its owner's rights: a change to
                    // what it does is a change to who may do what.
                    body: f
                        .body
                        .as_ref()
                        .filter(|_| f.security_definer)
                        .map(|b| format!("sha256:{}", crate::sqltext::expr::body_fingerprint(b))),
                    ..Object::default()
                });
            }
        }

        let triggered: Vec<&Relation> = rels
            .iter()
            .copied()
            .filter(|r| !r.triggers.is_empty())
            .collect();
        if !triggered.is_empty() {
            w.banner("Triggers");
            for r in triggered {
                let mut ts: Vec<&crate::catalog::Trigger> = r.triggers.iter().collect();
                ts.sort_by(|a, b| a.name.cmp(&b.name));
                for t in ts {
                    let events: Vec<String> = t
                        .events
                        .iter()
                        .map(|e| e.sql().to_ascii_lowercase())
                        .collect();
                    w.exists(Object {
                        trigger: one(t.name.clone()),
                        table: one(self.name(&r.qual())),
                        function: one(self.name(&t.function)),
                        timing: Some(t.timing.sql().to_ascii_lowercase()),
                        events: Some(events),
                        level: Some(if t.row { "row" } else { "statement" }.to_string()),
                        enabled: Some(t.enabled.fires()),
                        ..Object::default()
                    });
                }
            }
        }

        let enums: Vec<&crate::catalog::EnumType> = self
            .cx
            .snap
            .enums
            .iter()
            .filter(|e| e.schema == self.schema)
            .collect();
        if !enums.is_empty() {
            w.banner("Enum types (values in order)");
            for e in enums {
                w.exists(Object {
                    enum_type: one(self.name(&QualName::new(&e.schema, &e.name))),
                    values: Some(e.values.clone()),
                    ..Object::default()
                });
            }
        }

        let mut index_names: Vec<String> = indexed
            .iter()
            .flat_map(|r| r.indexes.iter().map(|i| name_part(&i.name)))
            .collect();
        index_names.sort();
        if !index_names.is_empty() {
            w.banner("Indexes");
            w.exists(Object {
                index: Some(Names(index_names)),
                ..Object::default()
            });
        }

        self.write_privileges(w, &rels, &functions);
    }
}
