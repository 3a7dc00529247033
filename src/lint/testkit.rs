//! Test-only builders for rule unit tests: a Supabase-like snapshot (roles anon / authenticated /
//! service_role, schema public usable by the API roles) and tables with Supabase's default grants.

use crate::catalog::{
    AclItem, Column, Constraint, ConstraintKind, Function, Policy, PolicyCommand, QualName,
    RelKind, Relation, Role, SchemaInfo, Snapshot, Trigger, TriggerEnabled, TriggerEvent,
    TriggerTiming,
};

use super::{Finding, Rule, RuleCtx};

pub fn acl(items: &[(&str, &str)]) -> Vec<AclItem> {
    items.iter().map(|(g, p)| AclItem::new(g, p)).collect()
}

/// Every table privilege, for each of `roles`.
pub fn all_on_table(roles: &[&str]) -> Vec<AclItem> {
    let mut v = Vec::new();
    for r in roles {
        for p in [
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "REFERENCES",
            "TRIGGER",
        ] {
            v.push(AclItem::new(r, p));
        }
    }
    v
}

/// A table `public.<name>` with `id` (primary key) and `user_id`, RLS off, and Supabase's default
/// grants (everything to postgres, anon, authenticated, service_role).
pub fn api_table(name: &str) -> Relation {
    let mut t = Relation::new("public", name, RelKind::Table);
    t.acl = all_on_table(&["postgres", "anon", "authenticated", "service_role"]);
    t.columns = vec![Column::new("id", "uuid"), Column::new("user_id", "uuid")];
    t.constraints = vec![pk(name, &["id"])];
    t.indexes = vec![index(&format!("{name}_pkey"), &["id"], true)];
    t
}

/// The same table with RLS on and one SELECT policy for authenticated on its own rows.
pub fn protected_table(name: &str) -> Relation {
    let mut t = api_table(name);
    t.rls_enabled = true;
    t.policies = vec![policy(
        "own rows",
        PolicyCommand::Select,
        &["authenticated"],
        Some("(( SELECT auth.uid() AS uid) = user_id)"),
        None,
    )];
    t.indexes
        .push(index(&format!("{name}_user_id_idx"), &["user_id"], false));
    t
}

pub fn pk(table: &str, cols: &[&str]) -> Constraint {
    Constraint {
        name: format!("{table}_pkey"),
        kind: ConstraintKind::PrimaryKey,
        columns: cols.iter().map(|c| c.to_string()).collect(),
        definition: None,
        foreign: None,
        validated: true,
    }
}

pub fn fk(name: &str, cols: &[&str], target: &str) -> Constraint {
    Constraint {
        name: name.to_string(),
        kind: ConstraintKind::ForeignKey,
        columns: cols.iter().map(|c| c.to_string()).collect(),
        definition: None,
        foreign: Some(crate::catalog::ForeignKey {
            table: QualName::new("public", target),
            columns: vec!["id".to_string()],
            on_delete: crate::catalog::FkAction::Cascade,
            on_update: crate::catalog::FkAction::NoAction,
            to_primary_key: true,
        }),
        validated: true,
    }
}

pub fn index(name: &str, cols: &[&str], primary: bool) -> crate::catalog::Index {
    crate::catalog::Index {
        name: name.to_string(),
        columns: cols.iter().map(|c| c.to_string()).collect(),
        keys: Vec::new(),
        unique: primary,
        primary,
        valid: true,
        predicate: None,
        definition: None,
        scans: None,
        method: "btree".into(),
    }
}

pub fn policy(
    name: &str,
    command: PolicyCommand,
    roles: &[&str],
    using: Option<&str>,
    with_check: Option<&str>,
) -> Policy {
    let mut p = Policy::new(name, command, roles);
    p.using = using.map(str::to_string);
    p.with_check = with_check.map(str::to_string);
    p
}

pub fn trigger(name: &str, timing: TriggerTiming, events: &[TriggerEvent], row: bool) -> Trigger {
    Trigger {
        name: name.to_string(),
        function: QualName::new("public", format!("{name}_fn")),
        timing,
        events: events.to_vec(),
        row,
        enabled: TriggerEnabled::Origin,
        definition: None,
    }
}

/// A view over `reads`, readable by the API roles.
pub fn view(name: &str, reads: &[&str], security_invoker: bool) -> Relation {
    let mut v = Relation::new("public", name, RelKind::View);
    v.acl = all_on_table(&["postgres", "anon", "authenticated", "service_role"]);
    if security_invoker {
        v.options = vec!["security_invoker=true".to_string()];
    }
    if let Some(info) = v.view.as_mut() {
        info.depends_on = reads.iter().map(|r| QualName::new("public", *r)).collect();
    }
    v
}

/// A function with the default ACL (EXECUTE to PUBLIC), as `create function` leaves it.
pub fn function(name: &str, args: &[&str], returns: &str) -> Function {
    let mut f = Function::new("public", name, args, returns);
    f.acl = acl(&[("PUBLIC", "EXECUTE"), ("postgres", "EXECUTE")]);
    f
}

pub fn roles() -> Vec<Role> {
    let mut pg = Role::new("postgres");
    pg.superuser = true;
    pg.bypass_rls = true;
    let mut service = Role::new("service_role");
    service.bypass_rls = true;
    let mut anon = Role::new("anon");
    anon.inherit = false;
    let mut auth = Role::new("authenticated");
    auth.inherit = false;
    vec![pg, anon, auth, service]
}

/// A finished snapshot of schema public with the Supabase roles.
pub fn snap(relations: Vec<Relation>, functions: Vec<Function>) -> Snapshot {
    Snapshot {
        scope: vec!["public".into()],
        schemas: vec![SchemaInfo {
            name: "public".into(),
            owner: "postgres".into(),
            acl: acl(&[
                ("postgres", "USAGE"),
                ("postgres", "CREATE"),
                ("PUBLIC", "USAGE"),
                ("anon", "USAGE"),
                ("authenticated", "USAGE"),
                ("service_role", "USAGE"),
            ]),
        }],
        relations,
        functions,
        roles: roles(),
        current_user: "postgres".into(),
        server_version_num: 150000,
        ..Default::default()
    }
    .finish()
}

/// Run one rule over relations and functions, with `public` exposed.
pub fn run(rule: &Rule, relations: Vec<Relation>, functions: Vec<Function>) -> Vec<Finding> {
    let s = snap(relations, functions);
    let cx = RuleCtx::new(&s, &["public".to_string()]);
    (rule.check)(&cx)
}

/// The `schema.name[/part]` keys of findings.
pub fn keys(f: &[Finding]) -> Vec<String> {
    f.iter().map(Finding::key).collect()
}
