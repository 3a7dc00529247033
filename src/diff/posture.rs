//! The security posture of one side of a `diff`: tables (RLS on / forced, policies with their
//! logic, grants), views (security_invoker, grants), SECURITY DEFINER functions (search_path,
//! EXECUTE), extensions and publications. Built from a catalog `Snapshot` (everything known) or
//! from the checks of a snapshot check file (only what the file records; the rest is unknown,
//! never assumed). Pure: must not touch the database or read files.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{QualName, RelKind, Snapshot};
use crate::checks::kinds::object::Object;
use crate::checks::kinds::privileges::On;
use crate::checks::names::BoolOrText;
use crate::checks::{Check, Spec};
use crate::lint::RuleCtx;

/// Privileges compared on tables and views (MAINTAIN included: PostgreSQL 17 has it).
pub const RELATION_PRIVILEGES: &[&str] = crate::catalog::privilege::TABLE;

/// The roles whose grants a database posture records besides every grantee: the API roles.
pub const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// role → privilege → held. From a database: every listed privilege of every recorded role;
/// from a file: only what it states (`has` / `has_not`).
pub type Grants = BTreeMap<String, BTreeMap<String, bool>>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyPosture {
    /// `SELECT`, `ALL`, ... (None: not recorded).
    pub command: Option<String>,
    pub roles: Option<BTreeSet<String>>,
    pub permissive: Option<bool>,
    /// Whether `using` / `with_check` are known (a file may record names only).
    pub logic_known: bool,
    /// Canonical text (see `sqltext::expr::canonical`).
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TablePosture {
    pub rls: Option<bool>,
    pub forced: Option<bool>,
    /// None: the source does not record this table's policies.
    pub policies: Option<BTreeMap<String, PolicyPosture>>,
    pub grants: Grants,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ViewPosture {
    pub security_invoker: Option<bool>,
    pub grants: Grants,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunctionPosture {
    /// Pinned search_path (None: not pinned); unknown when `search_path_known` is false.
    pub search_path: Option<String>,
    pub search_path_known: bool,
    /// role → EXECUTE held.
    pub execute: BTreeMap<String, bool>,
    /// `sha256:<16 hex>` of the body's tokens (`sqltext::expr::body_fingerprint`), when known.
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublicationPosture {
    pub all_tables: Option<bool>,
    pub members: Option<BTreeSet<String>>,
}

/// One side of a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Posture {
    /// Where it came from (database masked, or the file).
    pub source: String,
    /// Whether a role missing from a grants map holds nothing (a database) or is unknown (a file).
    pub complete: bool,
    /// Whether the source lists every table / view / function (a database does; a file only
    /// when it has `exists` checks for that class): an object missing from a side that does
    /// not list its class is not "removed", just not recorded.
    pub lists_tables: bool,
    pub lists_views: bool,
    pub lists_functions: bool,
    /// `schema.name` → table (ordinary and partitioned).
    pub tables: BTreeMap<String, TablePosture>,
    pub views: BTreeMap<String, ViewPosture>,
    /// `schema.name(argtypes)` → SECURITY DEFINER function.
    pub definer_functions: BTreeMap<String, FunctionPosture>,
    /// name → version (None: version not recorded). None: extensions not recorded.
    pub extensions: Option<BTreeMap<String, Option<String>>>,
    pub publications: Option<BTreeMap<String, PublicationPosture>>,
}

/// Canonical expression text: PostgreSQL's deparser, else the words joined by single spaces.
pub fn canonical(expr: &str) -> String {
    crate::sqltext::expr::canonical(expr)
        .unwrap_or_else(|| expr.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The roles a database posture records grants for: the API roles that exist and every grantee.
fn recorded_roles<'a>(
    snap: &Snapshot,
    acls: impl Iterator<Item = &'a crate::catalog::AclItem>,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = API_ROLES
        .iter()
        .filter(|r| snap.role(r).is_some())
        .map(|r| r.to_string())
        .collect();
    for a in acls {
        out.insert(a.grantee.to_string());
    }
    out
}

/// What each recorded role holds (through PUBLIC and inherited memberships), per privilege.
fn grants_of(snap: &Snapshot, acl: &[crate::catalog::AclItem], privileges: &[&str]) -> Grants {
    let mut out = Grants::new();
    for role in recorded_roles(snap, acl.iter()) {
        let grantees = if role == "PUBLIC" {
            vec!["PUBLIC".to_string()]
        } else {
            snap.effective_grantees(&role)
        };
        let held = crate::catalog::privileges_of(acl, &grantees);
        out.insert(
            role,
            privileges
                .iter()
                .map(|p| (p.to_string(), held.contains(p)))
                .collect(),
        );
    }
    out
}

/// The posture of a database, from its catalog snapshot (deskctl's history table left out).
pub fn from_snapshot(cx: &RuleCtx, source: &str) -> Posture {
    let snap = cx.snap;
    let mut p = Posture {
        source: source.to_string(),
        complete: true,
        lists_tables: true,
        lists_views: true,
        lists_functions: true,
        extensions: Some(BTreeMap::new()),
        publications: Some(BTreeMap::new()),
        ..Default::default()
    };
    for r in cx.relations() {
        let key = r.qual().to_string();
        match r.kind {
            RelKind::Table | RelKind::PartitionedTable => {
                let policies = r
                    .policies
                    .iter()
                    .map(|pol| {
                        (
                            pol.name.clone(),
                            PolicyPosture {
                                command: Some(pol.command.sql().to_string()),
                                roles: Some(pol.roles.iter().cloned().collect()),
                                permissive: Some(pol.permissive),
                                logic_known: true,
                                using: pol.using.as_deref().map(canonical),
                                with_check: pol.with_check.as_deref().map(canonical),
                            },
                        )
                    })
                    .collect();
                p.tables.insert(
                    key,
                    TablePosture {
                        rls: Some(r.rls_enabled),
                        forced: Some(r.rls_forced),
                        policies: Some(policies),
                        grants: grants_of(snap, &r.acl, RELATION_PRIVILEGES),
                    },
                );
            }
            RelKind::View => {
                p.views.insert(
                    key,
                    ViewPosture {
                        security_invoker: Some(r.security_invoker()),
                        grants: grants_of(snap, &r.acl, RELATION_PRIVILEGES),
                    },
                );
            }
            _ => {}
        }
    }
    for f in snap.functions.iter().filter(|f| f.security_definer) {
        let key = format!("{}.{}", f.schema, f.signature());
        let execute = grants_of(snap, &f.acl, &["EXECUTE"])
            .into_iter()
            .map(|(role, m)| (role, m.get("EXECUTE").copied().unwrap_or(false)))
            .collect();
        p.definer_functions.insert(
            key,
            FunctionPosture {
                search_path: f.search_path().map(str::to_string),
                search_path_known: true,
                execute,
                body: f
                    .body
                    .as_deref()
                    .map(|b| format!("sha256:{}", crate::sqltext::expr::body_fingerprint(b))),
            },
        );
    }
    if let Some(ext) = p.extensions.as_mut() {
        for e in &snap.extensions {
            ext.insert(e.name.clone(), Some(e.version.clone()));
        }
    }
    if let Some(pubs) = p.publications.as_mut() {
        for pb in &snap.publications {
            pubs.insert(
                pb.name.clone(),
                PublicationPosture {
                    all_tables: Some(pb.all_tables),
                    members: Some(pb.members.iter().map(|m| m.to_string()).collect()),
                },
            );
        }
    }
    p
}

/// The posture a check file records (as `deskctl snapshot` writes them: `exists` tables, views,
/// functions, extensions and publications; `rls`; exact `policies`; `privileges`). Checks it
/// cannot read a posture from (behaviour kinds, patterns, `all = true`) are skipped: the diff
/// compares only what both sides know.
pub fn from_checks(checks: &[Check], source: &str) -> Posture {
    let mut p = Posture {
        source: source.to_string(),
        complete: false,
        ..Default::default()
    };
    let key = |schema: &str, raw: &str| -> String {
        crate::checks::names::qualify(schema, raw).to_string()
    };
    for c in checks {
        let s = c.schema.as_str();
        match &c.spec {
            Spec::Exists(o) => from_exists(&mut p, s, o.raw()),
            Spec::Rls(r) => {
                for t in r.tables.iter().flat_map(|n| n.iter()) {
                    let e = p.tables.entry(key(s, t)).or_default();
                    e.rls = Some(r.enabled.unwrap_or(true));
                    if let Some(f) = r.force {
                        e.forced = Some(f);
                    }
                }
            }
            Spec::Policies(pc) => {
                let Some(expect) = &pc.expect else { continue };
                for t in pc.table.iter().flat_map(|n| n.iter()) {
                    let e = p.tables.entry(key(s, t)).or_default();
                    let map = e.policies.get_or_insert_with(BTreeMap::new);
                    for x in expect {
                        let logic_known = x.using.is_some() || x.with_check.is_some();
                        map.insert(
                            x.name.clone(),
                            PolicyPosture {
                                command: x.command.as_ref().map(|c| c.to_ascii_uppercase()),
                                roles: x
                                    .roles
                                    .as_ref()
                                    .map(|r| r.iter().map(str::to_string).collect()),
                                permissive: x.permissive,
                                logic_known,
                                using: x.using.as_deref().map(canonical),
                                with_check: x.with_check.as_deref().map(canonical),
                            },
                        );
                    }
                    if !pc.exact {
                        // Other policies may exist: the map is not the whole set. Record it
                        // only as a lower bound by leaving unknown policies out of the diff.
                        e.policies = None;
                    }
                }
            }
            Spec::Privileges(pr) => from_privileges(&mut p, s, pr),
            _ => {}
        }
    }
    p
}

fn expand(list: &Option<Vec<String>>, all: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for x in list.iter().flatten() {
        let up = x.to_ascii_uppercase();
        if up == "ALL" || up == "ALL PRIVILEGES" {
            out.extend(all.iter().map(|a| a.to_string()));
        } else {
            out.push(up);
        }
    }
    out
}

fn from_privileges(
    p: &mut Posture,
    schema: &str,
    pr: &crate::checks::kinds::privileges::Privileges,
) {
    let privs: &[&str] = match pr.on {
        On::Table | On::View => RELATION_PRIVILEGES,
        On::Function => &["EXECUTE"],
        _ => return,
    };
    let has = expand(&pr.has, privs);
    let has_not = expand(&pr.has_not, privs);
    for role in pr.role.iter() {
        for raw in pr.names.iter().flat_map(|n| n.iter()) {
            let q = crate::checks::names::qualify(schema, raw).to_string();
            let set = |m: &mut BTreeMap<String, bool>| {
                for h in &has {
                    m.insert(h.clone(), true);
                }
                for h in &has_not {
                    m.insert(h.clone(), false);
                }
            };
            match pr.on {
                On::Table => set(p
                    .tables
                    .entry(q)
                    .or_default()
                    .grants
                    .entry(role.to_string())
                    .or_default()),
                On::View => set(p
                    .views
                    .entry(q)
                    .or_default()
                    .grants
                    .entry(role.to_string())
                    .or_default()),
                On::Function => {
                    // Only SECURITY DEFINER functions are compared; the entry exists when an
                    // `exists` check said so (file order: exists checks come first).
                    if let Some(f) = p.definer_functions.get_mut(&q) {
                        if has.iter().any(|h| h == "EXECUTE") {
                            f.execute.insert(role.to_string(), true);
                        } else if has_not.iter().any(|h| h == "EXECUTE") {
                            f.execute.insert(role.to_string(), false);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn from_exists(p: &mut Posture, schema: &str, o: &Object) {
    let key = |raw: &str| crate::checks::names::qualify(schema, raw).to_string();
    if let Some(t) = &o.table {
        if o.column.is_none() && o.index.is_none() && o.constraint.is_none() && o.trigger.is_none()
        {
            for n in t.iter() {
                p.tables.entry(key(n)).or_default();
            }
        }
    }
    if let Some(v) = &o.view {
        p.lists_views = true;
        for n in v.iter() {
            let e = p.views.entry(key(n)).or_default();
            if o.security_invoker.is_some() {
                e.security_invoker = o.security_invoker;
            }
        }
    }
    if o.function.is_some() {
        p.lists_functions = true;
    }
    if let (Some(f), Some(true)) = (&o.function, o.security_definer) {
        for n in f.iter() {
            let q: QualName = crate::checks::names::qualify(schema, n);
            let args = o.args.clone().unwrap_or_default().join(", ");
            let (search_path, known) = match &o.search_path {
                Some(BoolOrText::Text(t)) => (Some(t.clone()), true),
                Some(BoolOrText::Bool(false)) => (None, true),
                _ => (None, false),
            };
            p.definer_functions.insert(
                format!("{}.{}({args})", q.schema, q.name),
                FunctionPosture {
                    search_path,
                    search_path_known: known,
                    execute: BTreeMap::new(),
                    body: o.body.clone(),
                },
            );
        }
    }
    if let Some(e) = &o.extension {
        let map = p.extensions.get_or_insert_with(BTreeMap::new);
        for n in e.iter() {
            map.insert(n.to_string(), o.version.clone());
        }
    }
    if let Some(pb) = &o.publication {
        let map = p.publications.get_or_insert_with(BTreeMap::new);
        for n in pb.iter() {
            map.insert(
                n.to_string(),
                PublicationPosture {
                    all_tables: None,
                    members: o.tables.as_ref().map(|t| t.iter().map(&key).collect()),
                },
            );
        }
    }
}
