//! `deskctl snapshot`: turns one catalog snapshot into a check file (docs/checks.md format) that
//! `deskctl verify` passes against the same database: component counts, tables (columns, primary
//! key), RLS state, policies (name, command, roles; exact), views (security_invoker), sequences,
//! functions (definer, search_path), triggers, enum values, indexes and the API roles'
//! privileges. Each check is built as the loader's own typed kind struct (`checks::kinds`) and
//! written by `render` through serde, so what is written is what the loader reads back.
//! Deterministic: same catalog, same bytes (names sorted where the catalog order is an accident
//! of creation). Pure: must not touch the database, nor spell a check-file key.

pub mod render;

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

use crate::catalog::privilege::{
    COLUMN as COLUMN_PRIVILEGES, FUNCTION as FUNCTION_PRIVILEGES, SCHEMA as SCHEMA_PRIVILEGES,
    SEQUENCE as SEQUENCE_PRIVILEGES,
};

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

    fn write_privileges(&self, w: &mut Doc, rels: &[&Relation], functions: &[&Function]) {
        let snap = self.cx.snap;
        let roles: Vec<&str> = PRIVILEGE_ROLES
            .iter()
            .copied()
            .filter(|r| snap.role(r).is_some())
            .collect();
        if roles.is_empty() {
            return;
        }
        w.banner(format!(
            "Privileges of the API roles ({}): what each holds, and what it must not",
            roles.join(", ")
        ));
        let table_privs: Vec<&str> =
            crate::catalog::privilege::table(snap.server_version_num).to_vec();
        for role in roles {
            let grantees = snap.effective_grantees(role);
            let superuser = snap.is_superuser(role);
            let held = |acls: &[&[crate::catalog::AclItem]], universe: &[&str]| -> Vec<String> {
                universe
                    .iter()
                    .filter(|p| {
                        superuser || acls.iter().any(|a| privileges_of(a, &grantees).contains(p))
                    })
                    .map(|p| p.to_string())
                    .collect()
            };
            // Schema.
            if let Some(s) = snap.schema(self.schema) {
                let has = held(&[&s.acl], SCHEMA_PRIVILEGES);
                emit_privileges(
                    w,
                    role,
                    On::Schema,
                    vec![name_part(self.schema)],
                    has,
                    SCHEMA_PRIVILEGES,
                );
            }
            // Relations, grouped by kind and by what the role holds.
            for (on, kinds, universe) in [
                (
                    On::Table,
                    &[
                        RelKind::Table,
                        RelKind::PartitionedTable,
                        RelKind::ForeignTable,
                    ][..],
                    &table_privs[..],
                ),
                (On::View, &[RelKind::View][..], &table_privs[..]),
                (
                    On::MaterializedView,
                    &[RelKind::MaterializedView][..],
                    &table_privs[..],
                ),
                (On::Sequence, &[RelKind::Sequence][..], SEQUENCE_PRIVILEGES),
            ] {
                let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
                for r in rels.iter().filter(|r| kinds.contains(&r.kind)) {
                    let has = held(&[&r.acl], universe);
                    push_group(&mut groups, has, self.name(&r.qual()));
                }
                for (has, names) in groups {
                    emit_privileges(w, role, on, names, has, universe);
                }
            }
            // Column-level grants (beyond the table's).
            let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for r in rels {
                for c in &r.columns {
                    if privileges_of(&c.acl, &grantees).is_empty() {
                        continue;
                    }
                    let has = held(&[&r.acl, &c.acl], COLUMN_PRIVILEGES);
                    let name = format!("{}.{}", self.name(&r.qual()), name_part(&c.name));
                    push_group(&mut groups, has, name);
                }
            }
            for (has, names) in groups {
                emit_privileges(w, role, On::Column, names, has, COLUMN_PRIVILEGES);
            }
            // Functions, one overload each.
            let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for f in functions {
                let has = held(&[&f.acl], FUNCTION_PRIVILEGES);
                let name = format!("{}({})", self.name(&f.qual()), f.arg_types.join(", "));
                push_group(&mut groups, has, name);
            }
            for (has, names) in groups {
                emit_privileges(w, role, On::Function, names, has, FUNCTION_PRIVILEGES);
            }
        }
    }
}

fn push_group(groups: &mut Vec<(Vec<String>, Vec<String>)>, has: Vec<String>, name: String) {
    match groups.iter_mut().find(|(h, _)| *h == has) {
        Some((_, names)) => names.push(name),
        None => groups.push((has, vec![name])),
    }
}

/// What `role` holds on `names` (`has`) and the rest of `universe` it must not (`has_not`;
/// `ALL` when it holds nothing).
fn emit_privileges(
    w: &mut Doc,
    role: &str,
    on: On,
    names: Vec<String>,
    has: Vec<String>,
    universe: &[&str],
) {
    let has_not: Vec<String> = universe
        .iter()
        .filter(|p| !has.iter().any(|h| h == *p))
        .map(|p| p.to_string())
        .collect();
    let (has, has_not) = if has.is_empty() {
        (None, Some(vec!["ALL".to_string()]))
    } else {
        (Some(has), (!has_not.is_empty()).then_some(has_not))
    };
    let p = Privileges {
        role: Names(vec![role.to_string()]),
        on,
        names: Some(Names(names)),
        pattern: None,
        all: false,
        except: None,
        has,
        has_not,
    };
    w.check(Spec::Privileges(Box::new(p)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{EnumType, TriggerEvent, TriggerTiming};
    use crate::checks::loader::load_str;
    use crate::lint::testkit::*;
    use crate::report::Status;
    use std::path::Path;

    fn sample() -> crate::catalog::Snapshot {
        let mut t = protected_table("chat.sessions");
        t.policies.push(policy(
            "Admins \"see\" all",
            PolicyCommand::Select,
            &["authenticated"],
            Some("true"),
            None,
        ));
        let mut r = policy("tenant", PolicyCommand::All, &["public"], Some("x"), None);
        r.permissive = false;
        t.policies.push(r);
        t.triggers.push(trigger(
            "guard",
            TriggerTiming::Before,
            &[TriggerEvent::Update, TriggerEvent::Delete],
            true,
        ));
        t.columns[1].acl = acl(&[("anon", "SELECT")]);
        let mut open = api_table("ChatMessage");
        open.rls_forced = false;
        let mut seq = Relation::new("public", "ticket_seq", RelKind::Sequence);
        seq.acl = acl(&[("authenticated", "USAGE")]);
        let mut owned = Relation::new("public", "ChatMessage_n_seq", RelKind::Sequence);
        if let Some(i) = owned.sequence.as_mut() {
            i.owned_by = Some((QualName::new("public", "ChatMessage"), "n".into()));
        }
        open.columns
            .push(crate::catalog::Column::new("n", "bigint"));
        let mut f = function("log_activity", &["uuid", "text"], "uuid");
        f.security_definer = true;
        f.config = vec!["search_path=\"\"".into()];
        f.language = "plpgsql".into();
        f.body = Some("begin insert into activity values (p_id, p_kind); return p_id; end;".into());
        let g = function("guard_fn", &[], "trigger");
        let mut s = snap(
            vec![
                t,
                open,
                seq,
                owned,
                view("v", &["chat.sessions"], true),
                view("plain", &["ChatMessage"], false),
            ],
            vec![f, g],
        );
        s.relations[0].triggers[0].function = QualName::new("public", "guard_fn");
        s.enums.push(EnumType {
            schema: "public".into(),
            name: "ticket_status".into(),
            values: vec!["open".into(), "closed".into()],
        });
        s.finish()
    }

    fn evaluate(text: &str, s: &crate::catalog::Snapshot) -> Vec<crate::report::CheckResult> {
        let checks =
            load_str(Path::new("snap.toml"), text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
        crate::verify::evaluate_static(&checks, s)
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn the_check_file_loads_and_passes_on_its_own_snapshot() {
        let s = sample();
        let cx = RuleCtx::new(&s, &[]);
        let text = write(&cx, &["public".to_string()]);
        let results = evaluate(&text, &s);
        assert!(results.len() > 15, "{text}");
        for r in &results {
            assert_eq!(r.status, Status::Pass, "{}: {}\n{text}", r.id, r.detail);
        }
        assert!(text.contains("table = \"\\\"chat.sessions\\\"\""), "{text}");
        assert!(text.contains("# Row-level security"));
        assert!(text.contains("permissive = false"));
        assert!(text.contains("search_path = \"\\\"\\\"\""), "{text}");
        assert_eq!(text, write(&cx, &["public".to_string()]), "deterministic");
    }

    #[test]
    fn dropping_any_policy_fails_naming_it() {
        let s = sample();
        let text = write(&RuleCtx::new(&s, &[]), &["public".to_string()]);
        let names: Vec<String> = s.relations[0]
            .policies
            .iter()
            .map(|p| p.name.clone())
            .collect();
        for name in names {
            let mut broken = s.clone();
            broken.relations[0].policies.retain(|p| p.name != name);
            let broken = broken.finish();
            let failed: Vec<String> = evaluate(&text, &broken)
                .into_iter()
                .filter(|r| r.status == Status::Fail)
                .map(|r| r.detail)
                .collect();
            assert!(
                failed
                    .iter()
                    .any(|d| d.contains(&format!("missing policy \"{name}\""))),
                "{name}: {failed:?}"
            );
        }
    }

    #[test]
    fn other_changes_fail_too() {
        let s = sample();
        let text = write(&RuleCtx::new(&s, &[]), &["public".to_string()]);
        let fails = |mutate: &dyn Fn(&mut crate::catalog::Snapshot)| -> Vec<String> {
            let mut b = s.clone();
            mutate(&mut b);
            evaluate(&text, &b.finish())
                .into_iter()
                .filter(|r| r.status == Status::Fail)
                .map(|r| r.detail)
                .collect()
        };
        let f = fails(&|b| b.relations[0].rls_enabled = false);
        assert!(
            f.iter()
                .any(|d| d.contains("RLS disabled on chat.sessions")),
            "{f:?}"
        );
        let f = fails(&|b| b.relations[4].options.clear());
        assert!(
            f.iter().any(|d| d.contains("v: security_invoker is off")),
            "{f:?}"
        );
        let f = fails(&|b| b.relations[0].policies[0].using = Some("true OR (x = 1)".into()));
        assert!(
            f.iter().any(|d| d.contains(
                "USING is `true OR (x = 1)`, expected `(( SELECT auth.uid() AS uid) = user_id)`"
            )),
            "{f:?}"
        );
        let f = fails(&|b| b.relations[0].policies[1].with_check = Some("x".into()));
        assert!(
            f.iter()
                .any(|d| d.contains("has WITH CHECK `x`, expected none")),
            "{f:?}"
        );
        let f = fails(&|b| {
            b.functions[0].body = Some("begin return p_id; end;".into());
        });
        assert!(f.iter().any(|d| d.contains("body changed")), "{f:?}");
        let f = fails(&|b| {
            b.relations[0].policies[2].using = Some("(  x\n)".into());
            b.functions[0].body = Some(
                "begin\n  -- log it\n  insert into activity values (p_id, p_kind);\n  return p_id;\nend;"
                    .into(),
            );
        });
        assert!(f.is_empty(), "layout and comments are not changes: {f:?}");
        let f = fails(&|b| {
            b.relations[0].indexes[0].valid = false;
            b.relations[0].triggers[0].enabled = crate::catalog::TriggerEnabled::Disabled;
        });
        assert!(f.iter().any(|d| d.contains("is INVALID")), "{f:?}");
        assert!(f.iter().any(|d| d.contains("guard")), "{f:?}");
        let f = fails(&|b| b.functions[0].config.clear());
        assert!(
            f.iter().any(|d| d.contains("search_path is not pinned")),
            "{f:?}"
        );
        let f = fails(&|b| {
            b.relations[1]
                .acl
                .push(crate::catalog::AclItem::new("anon", "MAINTAIN"))
        });
        assert!(
            f.is_empty(),
            "MAINTAIN is not recorded on PostgreSQL 15: {f:?}"
        );
        let f = fails(&|b| b.relations[0].acl.retain(|a| &*a.grantee != "service_role"));
        assert!(f.iter().any(|d| d.contains("service_role lacks")), "{f:?}");
        let f = fails(&|b| b.enums[0].values.push("archived".into()));
        assert!(f.iter().any(|d| d.contains("ticket_status")), "{f:?}");
        let f = fails(&|b| b.relations[0].triggers.clear());
        assert!(f.iter().any(|d| d.contains("no trigger guard")), "{f:?}");
    }

    #[test]
    fn history_table_stays_out_and_other_schemas_get_a_schema_key() {
        let mut h = api_table("refinery_schema_history");
        h.columns = ["version", "name", "applied_on", "checksum"]
            .iter()
            .map(|c| crate::catalog::Column::new(c, "text"))
            .collect();
        let mut a = api_table("audit_events");
        a.schema = "audit".into();
        let mut s = snap(vec![h, api_table("t"), a], vec![]);
        s.scope.push("audit".into());
        s.schemas.push(crate::catalog::SchemaInfo {
            name: "audit".into(),
            owner: "postgres".into(),
            acl: acl(&[("postgres", "USAGE")]),
        });
        let s = s.finish();
        let cx = RuleCtx::new(&s, &[]).skipping_history(
            &crate::config::HistoryTable::parse("refinery_schema_history").unwrap(),
        );
        let text = write(&cx, &["public".to_string(), "audit".to_string()]);
        assert!(!text.contains("refinery_schema_history"), "{text}");
        assert!(
            text.contains("schema = \"audit\"\ntable = \"audit_events\""),
            "{text}"
        );
        for r in evaluate(&text, &s) {
            assert_eq!(r.status, Status::Pass, "{}: {}", r.id, r.detail);
        }
    }

    /// Round trip by construction: the written text loads (through the loader) into exactly the
    /// checks that were built, each serialising back to the same keys and values, with the same
    /// schema; and every one of them passes on the catalog it was written from.
    fn round_trip(s: &crate::catalog::Snapshot, schemas: &[String]) -> String {
        let doc = document(&RuleCtx::new(s, &[]), schemas);
        let text = render::render(&doc);
        let loaded =
            load_str(Path::new("snap.toml"), &text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
        let emitted: Vec<&Emitted> = doc.checks().collect();
        assert_eq!(loaded.len(), emitted.len(), "{text}");
        for (l, e) in loaded.iter().zip(&emitted) {
            assert_eq!(l.kind(), e.spec.kind(), "{text}");
            assert_eq!(l.schema, *e.schema.as_ref().unwrap_or(&doc.schema));
            let back = Emitted {
                note: None,
                schema: (l.schema != doc.schema).then(|| l.schema.clone()),
                spec: l.spec.clone(),
            };
            assert_eq!(
                render::check_item(&back),
                render::check_item(e),
                "{}\n---\n{text}",
                l.id
            );
        }
        for r in evaluate(&text, s) {
            assert_eq!(r.status, Status::Pass, "{}: {}\n{text}", r.id, r.detail);
        }
        text
    }

    #[test]
    fn every_check_written_loads_back_as_built() {
        let text = round_trip(&sample(), &["public".to_string()]);
        // Every kind the snapshot writes is in the sample.
        for kind in ["count", "exists", "rls", "policies", "privileges"] {
            assert!(text.contains(&format!("\n[[{kind}]]\n")), "{kind}\n{text}");
        }
    }

    /// Names with quotes, dots, line breaks, `]]`, TOML and SQL punctuation, unicode and
    /// control characters, in every place a name is written.
    #[test]
    fn a_hostile_catalog_round_trips_exactly() {
        let odd = [
            "a\"b",
            "dot.ted",
            "line\nbreak",
            "]]\n[[exists]]\ntable = \"x\"",
            "caf\u{e9} \u{1F600}",
            "tab\there",
            " padded ",
            "'''",
            "back\\slash",
            "bell\u{7}",
            "\"\"\"",
            "# not a comment",
        ];
        let mut rels = Vec::new();
        let mut functions = Vec::new();
        for (i, n) in odd.iter().enumerate() {
            let mut t = protected_table(n);
            t.columns.push(crate::catalog::Column::new(n, "text"));
            t.columns[2].acl = acl(&[("anon", "SELECT")]);
            t.constraints[0].columns = vec![n.to_string()];
            t.policies.push(policy(
                n,
                PolicyCommand::Update,
                &["authenticated", "anon"],
                Some(&format!("(name = '{}'::text)", n.replace('\'', "''"))),
                Some(&format!(
                    "(\"{}\" IS NOT NULL AND {})",
                    n.replace('"', "\"\""),
                    (0..12)
                        .map(|k| format!("(user_id IS DISTINCT FROM '{k}'::uuid)"))
                        .collect::<Vec<_>>()
                        .join(" AND ")
                )),
            ));
            let mut tr = trigger(n, TriggerTiming::After, &[TriggerEvent::Insert], i % 2 == 0);
            tr.function = QualName::new("public", format!("{n}_fn"));
            t.triggers.push(tr);
            functions.push(function(&format!("{n}_fn"), &[], "trigger"));
            let mut f = function(n, &["text", "integer"], "text");
            f.security_definer = true;
            f.config = vec![format!("search_path={n}")];
            f.body = Some(format!("select '{}'", n.replace('\'', "''")));
            functions.push(f);
            let mut seq = Relation::new("public", &format!("{n}_seq"), RelKind::Sequence);
            if let Some(info) = seq.sequence.as_mut() {
                info.owned_by = Some((QualName::new("public", *n), n.to_string()));
            }
            rels.push(seq);
            rels.push(view(&format!("v {n}"), &[n], i % 2 == 0));
            rels.push(t);
        }
        let mut s = snap(rels, functions);
        s.enums.push(EnumType {
            schema: "public".into(),
            name: "odd \"enum\".x".into(),
            values: odd.iter().map(|v| v.to_string()).collect(),
        });
        let s = s.finish();
        let text = round_trip(&s, &["public".to_string()]);
        assert!(
            text.contains("[[policies.expect]]\nname = \"line\\nbreak\""),
            "{text}"
        );
        // Nothing but the checks written opens a table.
        let headers = text.lines().filter(|l| l.starts_with("[[")).count();
        let built = document(&RuleCtx::new(&s, &[]), &["public".to_string()])
            .checks()
            .map(|c| match &c.spec {
                Spec::Policies(p) => 1 + p.expect.as_ref().map_or(0, Vec::len),
                _ => 1,
            })
            .sum::<usize>();
        assert_eq!(headers, built, "{text}");
    }

    #[test]
    fn strings_and_names_are_escaped() {
        assert_eq!(name_part("a.b"), "\"a.b\"");
        assert_eq!(name_part("x\"y"), "\"x\"\"y\"");
        assert_eq!(name_part("ChatMessage"), "ChatMessage");
        assert_eq!(
            check_name("public", &QualName::new("auth", "users")),
            "auth.users"
        );
    }
}
