//! `deskctl snapshot`: turns one catalog snapshot into a check file (docs/checks.md format) that
//! `deskctl verify` passes against the same database: component counts, tables (columns, primary
//! key), RLS state, policies (name, command, roles; exact), views (security_invoker), sequences,
//! functions (definer, search_path), triggers, enum values, indexes and the API roles'
//! privileges. Deterministic: same catalog, same bytes (names sorted where the catalog order is
//! an accident of creation). Pure: must not touch the database.

use std::fmt::Write as _;

use crate::catalog::{
    privileges_of, Function, FunctionKind, Policy, PolicyCommand, QualName, RelKind, Relation,
};

use crate::lint::RuleCtx;

/// Roles whose privileges the snapshot records (Supabase's API roles), when they exist.
pub const PRIVILEGE_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// Write the check file for `schemas` (the first one is the file's default schema).
pub fn write(cx: &RuleCtx, schemas: &[String]) -> String {
    let mut w = Writer::default();
    let default = schemas.first().cloned().unwrap_or_else(|| "public".into());
    let version = cx.snap.server_version_num;
    let _ = writeln!(
        w.out,
        "# deskctl snapshot of schema{} {} (PostgreSQL {}.{})",
        if schemas.len() == 1 { "" } else { "s" },
        schemas.join(", "),
        version / 10000,
        version % 10000
    );
    w.out.push_str(
        "#\n\
         # Written by `deskctl snapshot`: it records the schema as it was. `deskctl verify <this file>`\n\
         # passes against that database and fails, naming the object, when something listed here is\n\
         # dropped or changed. Regenerate it after an intended change and review the diff.\n\
         # Names are exact (case-sensitive); a name containing a dot is written \"quoted\".\n\
         # Whether what it records is right is `deskctl diagnose`'s job.\n\n",
    );
    let _ = writeln!(w.out, "schema = {}", toml_str(&default));
    for schema in schemas {
        if schemas.len() > 1 {
            w.banner(&format!("Schema {schema}"));
        }
        let s = Section {
            cx,
            schema,
            check_schema: (schema != &default).then_some(schema.as_str()),
        };
        s.write(&mut w);
    }
    w.out
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn banner(&mut self, title: &str) {
        let _ = write!(self.out, "\n# {0}\n# {title}\n# {0}\n", "-".repeat(77));
    }

    fn comment(&mut self, text: &str) {
        let _ = writeln!(self.out, "# {text}");
    }

    fn check(&mut self, kind: &str, schema: Option<&str>, keys: &[(&str, String)]) {
        let _ = writeln!(self.out, "\n[[{kind}]]");
        if let Some(s) = schema {
            let _ = writeln!(self.out, "schema = {}", toml_str(s));
        }
        for (k, v) in keys {
            let _ = writeln!(self.out, "{k} = {v}");
        }
    }
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A SQL expression as a TOML string: one line when short, else a multi-line literal string
/// broken between tokens (the comparison ignores layout), so that a diff shows the changed line.
fn toml_expr(e: &str) -> String {
    let lines = crate::sqltext::expr::wrap(e, 90);
    let multi = lines.len() > 1
        && !e.contains("\'\'\'")
        && lines.iter().all(|l| !l.chars().any(|c| c.is_control()));
    if multi {
        format!(
            "\'\'\'\n{}\'\'\'",
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        )
    } else {
        toml_str(&lines.join(" "))
    }
}

/// A TOML array of strings: inline when short, else items filled into indented lines of at most
/// 100 characters (one item per line when an item is longer).
fn toml_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    let inline = format!("[{}]", parts.join(", "));
    if inline.len() <= 90 {
        return inline;
    }
    let mut s = String::from("[\n");
    let mut line = String::new();
    for p in parts {
        if !line.is_empty() && line.len() + p.len() + 2 > 98 {
            let _ = writeln!(s, "  {}", line.trim_end());
            line.clear();
        }
        line.push_str(&p);
        line.push_str(", ");
    }
    if !line.is_empty() {
        let _ = writeln!(s, "  {}", line.trim_end());
    }
    s.push(']');
    s
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
    /// The `schema` key of each check (None: the file's default).
    check_schema: Option<&'c str>,
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

    fn names(&self, rels: &[&Relation]) -> Vec<String> {
        rels.iter().map(|r| self.name(&r.qual())).collect()
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

    fn write(&self, w: &mut Writer) {
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
        let cs = self.check_schema;

        // Counts read the whole schema the way `[[count]]` does; deskctl's history table is
        // kept out by naming tables (and the tables whose indexes are counted).
        w.banner("Component counts (the seed-style verification table)");
        let all_in_schema = || self.cx.snap.relations_in(self.schema);
        let plain_tables = of(&[RelKind::Table]);
        if !plain_tables.is_empty() {
            w.check(
                "count",
                cs,
                &[
                    ("component", toml_str("Tables")),
                    ("object", toml_str("table")),
                    ("names", toml_list(&self.names(&plain_tables))),
                    ("expect", plain_tables.len().to_string()),
                ],
            );
        }
        let parted = of(&[RelKind::PartitionedTable]);
        if !parted.is_empty() {
            w.check(
                "count",
                cs,
                &[
                    ("object", toml_str("partitioned_table")),
                    ("names", toml_list(&self.names(&parted))),
                    ("expect", parted.len().to_string()),
                ],
            );
        }
        let count = |kind: RelKind| all_in_schema().filter(|r| r.kind == kind).count();
        for (object, n, always) in [
            ("view", count(RelKind::View), true),
            ("materialized_view", count(RelKind::MaterializedView), false),
            ("sequence", count(RelKind::Sequence), true),
        ] {
            if always || n > 0 {
                w.check(
                    "count",
                    cs,
                    &[("object", toml_str(object)), ("expect", n.to_string())],
                );
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
        w.check(
            "count",
            cs,
            &[
                ("object", toml_str("function")),
                ("expect", fn_count(FunctionKind::Function).to_string()),
            ],
        );
        if fn_count(FunctionKind::Procedure) > 0 {
            w.check(
                "count",
                cs,
                &[
                    ("object", toml_str("procedure")),
                    ("expect", fn_count(FunctionKind::Procedure).to_string()),
                ],
            );
        }
        let policies: usize = all_in_schema().map(|r| r.policies.len()).sum();
        w.check(
            "count",
            cs,
            &[
                ("object", toml_str("policy")),
                ("expect", policies.to_string()),
            ],
        );
        let triggers: usize = all_in_schema().map(|r| r.triggers.len()).sum();
        w.check(
            "count",
            cs,
            &[
                ("object", toml_str("trigger")),
                ("expect", triggers.to_string()),
            ],
        );
        let indexed = of(&[
            RelKind::Table,
            RelKind::PartitionedTable,
            RelKind::MaterializedView,
        ]);
        if !indexed.is_empty() {
            let n: usize = indexed.iter().map(|r| r.indexes.len()).sum();
            w.check(
                "count",
                cs,
                &[
                    ("object", toml_str("index")),
                    ("tables", toml_list(&self.names(&indexed))),
                    ("expect", n.to_string()),
                ],
            );
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
            w.check(
                "count",
                cs,
                &[
                    ("object", toml_str("enum_value")),
                    ("expect", enum_values.to_string()),
                ],
            );
        }

        if !tables.is_empty() {
            w.banner("Tables: columns and primary keys");
            for t in &tables {
                let mut keys = vec![("table", toml_str(&self.name(&t.qual())))];
                let cols: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
                if !cols.is_empty() {
                    keys.push(("columns", toml_list(&cols)));
                }
                if let Some(pk) = t
                    .constraints
                    .iter()
                    .find(|c| c.kind == crate::catalog::ConstraintKind::PrimaryKey)
                {
                    keys.push(("primary_key", toml_list(&pk.columns)));
                }
                w.check("exists", cs, &keys);
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
                let mut keys = vec![("tables", toml_list(&self.names(&group)))];
                if enabled {
                    keys.push(("force", forced.to_string()));
                } else {
                    keys.push(("enabled", "false".to_string()));
                }
                w.out.push('\n');
                w.comment(note);
                let _ = w.out.pop();
                w.check("rls", cs, &keys);
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
                    let mut keys = vec![
                        ("table", toml_str(&self.name(&t.qual()))),
                        ("exact", "true".to_string()),
                        ("expressions", toml_str("exact")),
                    ];
                    if ps.is_empty() {
                        keys.push(("expect", "[]".to_string()));
                    }
                    w.check("policies", cs, &keys);
                    for p in ps {
                        let mut roles = p.roles.clone();
                        roles.sort();
                        let _ = writeln!(w.out, "\n[[policies.expect]]");
                        let _ = writeln!(w.out, "name = {}", toml_str(&p.name));
                        let _ = writeln!(w.out, "command = {}", toml_str(p.command.sql()));
                        let _ = writeln!(w.out, "roles = {}", toml_list(&roles));
                        if !p.permissive {
                            let _ = writeln!(w.out, "permissive = false");
                        }
                        for (key, expr) in [("using", &p.using), ("with_check", &p.with_check)] {
                            if let Some(e) = expr {
                                let _ = writeln!(w.out, "{key} = {}", toml_expr(e));
                            }
                        }
                    }
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
                    w.check(
                        "exists",
                        cs,
                        &[
                            ("view", toml_list(&self.names(&group))),
                            ("security_invoker", invoker.to_string()),
                        ],
                    );
                }
            }
            if !matviews.is_empty() {
                w.check(
                    "exists",
                    cs,
                    &[("materialized_view", toml_list(&self.names(&matviews)))],
                );
            }
        }

        if !sequences.is_empty() {
            w.banner("Sequences");
            let (owned, free): (Vec<&Relation>, Vec<&Relation>) = sequences
                .iter()
                .partition(|s| s.sequence.as_ref().is_some_and(|i| i.owned_by.is_some()));
            if !free.is_empty() {
                w.check("exists", cs, &[("sequence", toml_list(&self.names(&free)))]);
            }
            for s in owned {
                if let Some((t, col)) = s.sequence.as_ref().and_then(|i| i.owned_by.as_ref()) {
                    w.check(
                        "exists",
                        cs,
                        &[
                            ("sequence", toml_str(&self.name(&s.qual()))),
                            (
                                "owned_by",
                                toml_str(&format!("{}.{}", self.name(t), name_part(col))),
                            ),
                        ],
                    );
                }
            }
        }

        if !functions.is_empty() {
            w.banner("Functions (security definer, pinned search_path)");
            for f in &functions {
                let key = if f.kind == FunctionKind::Procedure {
                    "procedure"
                } else {
                    "function"
                };
                let mut keys = vec![
                    (key, toml_str(&self.name(&f.qual()))),
                    ("args", toml_list(&f.arg_types)),
                ];
                if f.kind != FunctionKind::Procedure {
                    keys.push(("returns", toml_str(&f.returns)));
                }
                keys.push(("language", toml_str(&f.language)));
                keys.push(("security_definer", f.security_definer.to_string()));
                keys.push((
                    "search_path",
                    match f.search_path() {
                        Some(p) => toml_str(p),
                        None => "false".to_string(),
                    },
                ));
                keys.push(("volatility", toml_str(f.volatility.word())));
                // A SECURITY DEFINER function runs with its owner's rights: a change to what it
                // does is a change to who may do what.
                if let (true, Some(b)) = (f.security_definer, &f.body) {
                    keys.push((
                        "body",
                        toml_str(&format!(
                            "sha256:{}",
                            crate::sqltext::expr::body_fingerprint(b)
                        )),
                    ));
                }
                w.check("exists", cs, &keys);
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
                    w.check(
                        "exists",
                        cs,
                        &[
                            ("trigger", toml_str(&t.name)),
                            ("table", toml_str(&self.name(&r.qual()))),
                            ("function", toml_str(&self.name(&t.function))),
                            ("timing", toml_str(&t.timing.sql().to_ascii_lowercase())),
                            ("events", toml_list(&events)),
                            ("level", toml_str(if t.row { "row" } else { "statement" })),
                            ("enabled", t.enabled.fires().to_string()),
                        ],
                    );
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
                w.check(
                    "exists",
                    cs,
                    &[
                        (
                            "enum",
                            toml_str(&self.name(&QualName::new(&e.schema, &e.name))),
                        ),
                        ("values", toml_list(&e.values)),
                    ],
                );
            }
        }

        let mut index_names: Vec<String> = indexed
            .iter()
            .flat_map(|r| r.indexes.iter().map(|i| name_part(&i.name)))
            .collect();
        index_names.sort();
        if !index_names.is_empty() {
            w.banner("Indexes");
            w.check("exists", cs, &[("index", toml_list(&index_names))]);
        }

        self.write_privileges(w, &rels, &functions);
    }

    fn write_privileges(&self, w: &mut Writer, rels: &[&Relation], functions: &[&Function]) {
        let snap = self.cx.snap;
        let roles: Vec<&str> = PRIVILEGE_ROLES
            .iter()
            .copied()
            .filter(|r| snap.role(r).is_some())
            .collect();
        if roles.is_empty() {
            return;
        }
        w.banner(&format!(
            "Privileges of the API roles ({}): what each holds, and what it must not",
            roles.join(", ")
        ));
        let table_privs: Vec<&str> =
            crate::catalog::privilege::table(snap.server_version_num).to_vec();
        let cs = self.check_schema;
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
                    cs,
                    role,
                    "schema",
                    vec![name_part(self.schema)],
                    &has,
                    SCHEMA_PRIVILEGES,
                );
            }
            // Relations, grouped by kind and by what the role holds.
            for (on, kinds, universe) in [
                (
                    "table",
                    &[
                        RelKind::Table,
                        RelKind::PartitionedTable,
                        RelKind::ForeignTable,
                    ][..],
                    &table_privs[..],
                ),
                ("view", &[RelKind::View][..], &table_privs[..]),
                (
                    "materialized_view",
                    &[RelKind::MaterializedView][..],
                    &table_privs[..],
                ),
                ("sequence", &[RelKind::Sequence][..], SEQUENCE_PRIVILEGES),
            ] {
                let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
                for r in rels.iter().filter(|r| kinds.contains(&r.kind)) {
                    let has = held(&[&r.acl], universe);
                    push_group(&mut groups, has, self.name(&r.qual()));
                }
                for (has, names) in groups {
                    emit_privileges(w, cs, role, on, names, &has, universe);
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
                emit_privileges(w, cs, role, "column", names, &has, COLUMN_PRIVILEGES);
            }
            // Functions, one overload each.
            let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for f in functions {
                let has = held(&[&f.acl], FUNCTION_PRIVILEGES);
                let name = format!("{}({})", self.name(&f.qual()), f.arg_types.join(", "));
                push_group(&mut groups, has, name);
            }
            for (has, names) in groups {
                emit_privileges(w, cs, role, "function", names, &has, FUNCTION_PRIVILEGES);
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

fn emit_privileges(
    w: &mut Writer,
    schema: Option<&str>,
    role: &str,
    on: &str,
    names: Vec<String>,
    has: &[String],
    universe: &[&str],
) {
    let has_not: Vec<String> = universe
        .iter()
        .filter(|p| !has.iter().any(|h| h == *p))
        .map(|p| p.to_string())
        .collect();
    let mut keys = vec![
        ("role", toml_str(role)),
        ("on", toml_str(on)),
        ("names", toml_list(&names)),
    ];
    if has.is_empty() {
        keys.push(("has_not", toml_list(&["ALL".to_string()])));
    } else {
        keys.push(("has", toml_list(has)));
        if !has_not.is_empty() {
            keys.push(("has_not", toml_list(&has_not)));
        }
    }
    w.check("privileges", schema, &keys);
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

    #[test]
    fn long_lists_are_filled_into_lines() {
        let items: Vec<String> = (0..30).map(|i| format!("column_{i:02}")).collect();
        let l = toml_list(&items);
        assert!(l.starts_with("[\n  \"column_00\", \"column_01\","), "{l}");
        assert!(l.lines().all(|x| x.len() <= 100), "{l}");
        assert!(l.ends_with("\"column_29\",\n]"), "{l}");
        let parsed: toml::Value = toml::from_str(&format!("x = {l}")).unwrap();
        assert_eq!(parsed["x"].as_array().map(|a| a.len()), Some(30));
        assert_eq!(toml_list(&["a".into()]), "[\"a\"]");
    }

    #[test]
    fn strings_and_names_are_escaped() {
        assert_eq!(toml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(name_part("a.b"), "\"a.b\"");
        assert_eq!(name_part("x\"y"), "\"x\"\"y\"");
        assert_eq!(name_part("ChatMessage"), "ChatMessage");
        assert_eq!(
            check_name("public", &QualName::new("auth", "users")),
            "auth.users"
        );
    }
}
