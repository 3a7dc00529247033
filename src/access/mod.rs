//! `deskctl access`: who can do what. Builds, from ONE catalog snapshot, a matrix of roles ×
//! commands (SELECT, INSERT, UPDATE, DELETE, TRUNCATE) for every table and view in the chosen
//! schemas, each cell saying no / all / bypass / which rows (the policies that apply, permissive
//! ORed, restrictive ANDed), with grants through PUBLIC and inherited memberships, column-level
//! grants where they narrow access, and flags for grants RLS denies and policies no grant can
//! reach. Renderers (`table`, `markdown`, `html`; JSON is serde) are pure functions over a
//! writer. Must not touch the database, except `probe` (`--persona`), which measures the
//! matrix for one persona in a transaction it always rolls back.

pub mod html;
pub mod markdown;
pub mod probe;
pub mod table;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::{PolicyCommand, RelKind, Relation, Snapshot};
use crate::lint::RuleCtx;

/// Bumped when the JSON shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// The roles shown first (Supabase's API roles), when they exist.
pub const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// A statement kind a role may run on a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StatementKind {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
}

pub const COMMANDS: [StatementKind; 5] = [
    StatementKind::Select,
    StatementKind::Insert,
    StatementKind::Update,
    StatementKind::Delete,
    StatementKind::Truncate,
];

impl StatementKind {
    /// The privilege that allows it (same word).
    pub fn sql(self) -> &'static str {
        match self {
            StatementKind::Select => "SELECT",
            StatementKind::Insert => "INSERT",
            StatementKind::Update => "UPDATE",
            StatementKind::Delete => "DELETE",
            StatementKind::Truncate => "TRUNCATE",
        }
    }

    /// The policy command RLS checks for it (TRUNCATE is not subject to RLS).
    pub fn policy_command(self) -> Option<PolicyCommand> {
        match self {
            StatementKind::Select => Some(PolicyCommand::Select),
            StatementKind::Insert => Some(PolicyCommand::Insert),
            StatementKind::Update => Some(PolicyCommand::Update),
            StatementKind::Delete => Some(PolicyCommand::Delete),
            StatementKind::Truncate => None,
        }
    }

    /// Whether column-level privileges exist for it.
    fn has_column_privileges(self) -> bool {
        matches!(
            self,
            StatementKind::Select | StatementKind::Insert | StatementKind::Update
        )
    }
}

/// What one role may do with one command on one relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "snake_case")]
pub enum Access {
    /// No privilege, or no USAGE on the schema.
    No { reason: String },
    /// Every row: a grant and no row-level security in the way (RLS off, TRUNCATE, a
    /// materialized view).
    All { reason: String },
    /// Every row because the role is exempt from RLS: superuser, BYPASSRLS, owner of a table
    /// whose RLS is not forced, or a view whose owner is exempt.
    Bypass { reason: String },
    /// The rows the applying policies allow: any permissive one AND every restrictive one.
    Rows {
        /// Indexes into the relation's `policies`.
        permissive: Vec<usize>,
        restrictive: Vec<usize>,
        /// Rows visible / affected: permissive USING ORed, restrictive USING ANDed
        /// (SELECT, UPDATE, DELETE).
        #[serde(skip_serializing_if = "Option::is_none")]
        using: Option<String>,
        /// New rows must satisfy: permissive WITH CHECK ORed, restrictive ANDed (INSERT,
        /// UPDATE; a policy without WITH CHECK checks its USING).
        #[serde(skip_serializing_if = "Option::is_none")]
        with_check: Option<String>,
    },
    /// A grant, but RLS is on and no permissive policy applies: no row at all.
    Denied,
    /// A view: rows come from its base relations, read with the caller's rights
    /// (`security_invoker`) or its owner's.
    View {
        security_invoker: bool,
        /// The role whose RLS applies on the base relations.
        runs_as: String,
    },
}

impl Access {}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub command: StatementKind,
    #[serde(flatten)]
    pub access: Access,
    /// Grantees whose grant gives the privilege: the role itself, PUBLIC, roles it inherits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// The privilege is held on these columns only (no table-level grant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// Policies naming this role (or a role it inherits) for this command although the role
    /// holds no grant for it: they can never apply to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dead_policies: Vec<usize>,
    /// `--persona`: what the persona really got (counts in the JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<probe::Probe>,
}

impl Cell {}

/// One role's row for a relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRow {
    pub role: String,
    pub cells: Vec<Cell>,
}

/// A policy as the matrix shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    pub name: String,
    pub command: PolicyCommand,
    pub roles: Vec<String>,
    pub permissive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    /// No role it applies to holds a privilege for a command it covers: it never takes effect.
    pub dead: bool,
}

/// A table or view and its matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationAccess {
    pub schema: String,
    pub name: String,
    pub kind: RelKind,
    pub owner: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// Views: `security_invoker`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_invoker: Option<bool>,
    /// Views: the relations the view reads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub base_relations: Vec<String>,
    pub policies: Vec<PolicyInfo>,
    pub rows: Vec<RoleRow>,
}

impl RelationAccess {}

/// A role as the matrix shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    pub name: String,
    pub superuser: bool,
    pub bypass_rls: bool,
    /// Roles whose privileges it inherits (transitively), PUBLIC left out.
    pub inherits: Vec<String>,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub schema_version: u32,
    /// The database, password masked.
    pub target: String,
    pub schemas: Vec<String>,
    pub roles: Vec<RoleInfo>,
    pub relations: Vec<RelationAccess>,
    /// `--persona`: the persona the cells were probed for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona: Option<probe::PersonaInfo>,
}

/// A problem with what was asked (exit 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessError {
    #[error("unknown role{} {}{hint}", if .roles.len() == 1 { "" } else { "s" }, .roles.join(", "))]
    UnknownRoles { roles: Vec<String>, hint: String },
}

/// Which roles to show: `requested` (exact), else the API roles that exist, then every other
/// role (pg_* left out) that owns, holds a direct grant on, or is named by a policy of a
/// relation in scope.
pub fn choose_roles(
    cx: &RuleCtx,
    rels: &[&Relation],
    requested: &[String],
) -> Result<Vec<String>, AccessError> {
    let snap = cx.snap;
    if !requested.is_empty() {
        let unknown: Vec<String> = requested
            .iter()
            .filter(|r| snap.role(r).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            let names = snap.roles.iter().map(|r| r.name.as_str());
            let hint = match unknown
                .first()
                .and_then(|u| crate::words::closest(u, names))
            {
                Some(c) => format!(" (did you mean {c}?)"),
                None => String::new(),
            };
            return Err(AccessError::UnknownRoles {
                roles: unknown,
                hint,
            });
        }
        let mut out: Vec<String> = Vec::new();
        for r in requested {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        return Ok(out);
    }
    let mut out: Vec<String> = API_ROLES
        .iter()
        .filter(|r| snap.role(r).is_some())
        .map(|r| r.to_string())
        .collect();
    let mut others: BTreeSet<String> = BTreeSet::new();
    for r in rels {
        others.insert(r.owner.clone());
        for a in &r.acl {
            others.insert(a.grantee.to_string());
        }
        for c in &r.columns {
            for a in &c.acl {
                others.insert(a.grantee.to_string());
            }
        }
        for p in &r.policies {
            others.extend(p.roles.iter().cloned());
        }
    }
    for o in others {
        if o.starts_with("pg_") || out.contains(&o) || snap.role(&o).is_none() {
            continue;
        }
        out.push(o);
    }
    Ok(out)
}

/// The relations the matrix covers: tables, views, materialized views and foreign tables of the
/// schemas read, deskctl's own history table left out, ordered by schema then name.
pub fn relations<'a>(cx: &RuleCtx<'a>) -> Vec<&'a Relation> {
    let mut v: Vec<&Relation> = cx
        .relations()
        .filter(|r| r.kind != RelKind::Sequence)
        .collect();
    let order = |s: &str| cx.snap.scope.iter().position(|x| x == s);
    v.sort_by(|a, b| {
        order(&a.schema)
            .cmp(&order(&b.schema))
            .then_with(|| a.name.cmp(&b.name))
    });
    v
}

/// Build the matrix for `roles` (see [`choose_roles`]).
pub fn build(cx: &RuleCtx, target: &str, roles: &[String]) -> Matrix {
    let snap = cx.snap;
    let rels = relations(cx);
    let relations = rels.iter().map(|r| relation_access(cx, r, roles)).collect();
    Matrix {
        schema_version: SCHEMA_VERSION,
        target: target.to_string(),
        schemas: snap.scope.clone(),
        roles: roles
            .iter()
            .map(|r| {
                let info = snap.role(r);
                RoleInfo {
                    name: r.clone(),
                    superuser: info.is_some_and(|i| i.superuser),
                    bypass_rls: info.is_some_and(|i| i.bypass_rls),
                    inherits: snap
                        .effective_grantees(r)
                        .into_iter()
                        .filter(|g| g != r && g != "PUBLIC")
                        .collect(),
                }
            })
            .collect(),
        relations,
        persona: None,
    }
}

/// Whether a policy applies to `role` (its roles include PUBLIC, the role, or a role whose
/// privileges it inherits), and whether it names the role or an inherited role explicitly.
fn policy_applies(grantees: &[String], roles: &[String]) -> (bool, bool) {
    let public = roles.iter().any(|r| r == "public");
    let named = roles.iter().any(|r| r != "public" && grantees.contains(r));
    (public || named, named)
}

/// Privilege `cmd` held by `grantees` on `r`: at table level (with the grantees it comes from),
/// else on some columns only.
struct Held {
    via: Vec<String>,
    columns: Option<Vec<String>>,
}

fn held(r: &Relation, grantees: &[String], cmd: StatementKind) -> Option<Held> {
    let p = cmd.sql();
    let via: Vec<String> = grantees
        .iter()
        .filter(|g| r.acl.iter().any(|a| *a.grantee == ***g && a.privilege == p))
        .cloned()
        .collect();
    if !via.is_empty() {
        return Some(Held { via, columns: None });
    }
    if !cmd.has_column_privileges() {
        return None;
    }
    let mut via: Vec<String> = Vec::new();
    let mut columns = Vec::new();
    for c in &r.columns {
        let from: Vec<&String> = grantees
            .iter()
            .filter(|g| c.acl.iter().any(|a| *a.grantee == ***g && a.privilege == p))
            .collect();
        if !from.is_empty() {
            columns.push(c.name.clone());
            for g in from {
                if !via.contains(g) {
                    via.push(g.clone());
                }
            }
        }
    }
    (!columns.is_empty()).then_some(Held {
        via,
        columns: Some(columns),
    })
}

/// Why `role` is exempt from RLS on table `r`, if it is.
pub(crate) fn bypass_reason(
    snap: &Snapshot,
    r: &Relation,
    role: &str,
    grantees: &[String],
) -> Option<String> {
    let info = snap.role(role)?;
    if info.superuser {
        return Some("superuser".into());
    }
    if info.bypass_rls {
        return Some("BYPASSRLS".into());
    }
    if !r.rls_forced && grantees.iter().any(|g| g == &r.owner) {
        return Some(if r.owner == role {
            "owner, RLS not forced".into()
        } else {
            format!("member of owner {}, RLS not forced", r.owner)
        });
    }
    None
}

/// `(a) OR (b)` / `a`: with two or more, each is parenthesized whole (deparsed text is never
/// inspected to save a pair of parentheses).
fn join_exprs(exprs: &[String], op: &str) -> Option<String> {
    match exprs {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(
            many.iter()
                .map(|e| format!("({e})"))
                .collect::<Vec<_>>()
                .join(&format!(" {op} ")),
        ),
    }
}

/// The combined condition: (permissive ORed) AND each restrictive; a missing expression is `true`.
fn combine(
    r: &Relation,
    permissive: &[usize],
    restrictive: &[usize],
    expr: impl Fn(&crate::catalog::Policy) -> Option<String>,
) -> Option<String> {
    let text = |i: &usize| expr(&r.policies[*i]).unwrap_or_else(|| "true".into());
    let ored = join_exprs(&permissive.iter().map(text).collect::<Vec<_>>(), "OR")?;
    let mut parts = vec![ored];
    parts.extend(restrictive.iter().map(text));
    join_exprs(&parts, "AND")
}

fn cell_for(cx: &RuleCtx, r: &Relation, role: &str, cmd: StatementKind) -> Cell {
    let snap = cx.snap;
    let grantees = snap.effective_grantees(role);
    let superuser = snap.is_superuser(role);
    let mut cell = Cell {
        command: cmd,
        access: Access::No {
            reason: "no grant".into(),
        },
        via: Vec::new(),
        columns: None,
        dead_policies: Vec::new(),
        probe: None,
    };
    let pcmd = cmd.policy_command();
    let applying: Vec<(usize, bool)> = r
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| pcmd.is_some_and(|c| p.command.covers(c)))
        .filter_map(|(i, p)| {
            let (applies, named) = policy_applies(&grantees, &p.roles);
            applies.then_some((i, named))
        })
        .collect();
    if superuser {
        cell.access = Access::Bypass {
            reason: "superuser".into(),
        };
        return cell;
    }
    let Some(h) = held(r, &grantees, cmd) else {
        if r.kind.is_table() && r.rls_enabled {
            cell.dead_policies = applying
                .iter()
                .filter(|(_, named)| *named)
                .map(|(i, _)| *i)
                .collect();
        }
        return cell;
    };
    if !cx.schema_usage(role, &r.schema) {
        cell.access = Access::No {
            reason: format!("no USAGE on schema {}", r.schema),
        };
        return cell;
    }
    if h.via.iter().any(|g| g != role) {
        cell.via = h.via;
    }
    cell.columns = h.columns;
    cell.access = match r.kind {
        RelKind::View if cmd == StatementKind::Truncate => Access::No {
            reason: "views cannot be truncated".into(),
        },
        RelKind::View => {
            let invoker = r.security_invoker();
            let runs_as = if invoker {
                role.to_string()
            } else {
                r.owner.clone()
            };
            match (invoker, view_owner_bypass(cx, r)) {
                (false, Some(reason)) => Access::Bypass { reason },
                _ => Access::View {
                    security_invoker: invoker,
                    runs_as,
                },
            }
        }
        RelKind::MaterializedView => Access::All {
            reason: "materialized view (no RLS)".into(),
        },
        _ if cmd == StatementKind::Truncate => Access::All {
            reason: "TRUNCATE is not subject to RLS".into(),
        },
        _ if !r.rls_enabled => Access::All {
            reason: "RLS disabled".into(),
        },
        _ => match bypass_reason(snap, r, role, &grantees) {
            Some(reason) => Access::Bypass { reason },
            None => {
                let (permissive, restrictive): (Vec<usize>, Vec<usize>) = applying
                    .iter()
                    .map(|(i, _)| *i)
                    .partition(|i| r.policies[*i].permissive);
                if permissive.is_empty() {
                    Access::Denied
                } else {
                    let using = matches!(
                        cmd,
                        StatementKind::Select | StatementKind::Update | StatementKind::Delete
                    )
                    .then(|| combine(r, &permissive, &restrictive, |p| p.using.clone()))
                    .flatten();
                    let with_check = matches!(cmd, StatementKind::Insert | StatementKind::Update)
                        .then(|| {
                            combine(r, &permissive, &restrictive, |p| {
                                p.with_check.clone().or_else(|| p.using.clone())
                            })
                        })
                        .flatten();
                    Access::Rows {
                        permissive,
                        restrictive,
                        using,
                        with_check,
                    }
                }
            }
        },
    };
    cell
}

/// A view without security_invoker reads its base tables as its owner: the reason that owner is
/// exempt from RLS on an RLS-enabled base table, if it is.
fn view_owner_bypass(cx: &RuleCtx, v: &Relation) -> Option<String> {
    let snap = cx.snap;
    let deps = v.view.as_ref()?.depends_on.clone();
    let grantees = snap.effective_grantees(&v.owner);
    for d in deps {
        let Some(t) = snap.relation(&d) else { continue };
        if !t.kind.is_table() || !t.rls_enabled {
            continue;
        }
        if let Some(why) = bypass_reason(snap, t, &v.owner, &grantees) {
            return Some(format!(
                "view runs as {} ({why} on {})",
                v.owner,
                cx.show(&t.qual())
            ));
        }
    }
    None
}

/// Whether any role that `p` applies to holds a privilege for a command it covers.
fn policy_live(snap: &Snapshot, r: &Relation, p: &crate::catalog::Policy) -> bool {
    snap.roles
        .iter()
        .filter(|role| !role.name.starts_with("pg_"))
        .any(|role| {
            let grantees = snap.effective_grantees(&role.name);
            if !policy_applies(&grantees, &p.roles).0 {
                return false;
            }
            COMMANDS.iter().any(|c| {
                c.policy_command().is_some_and(|pc| p.command.covers(pc))
                    && (role.superuser || held(r, &grantees, *c).is_some())
            })
        })
}

fn relation_access(cx: &RuleCtx, r: &Relation, roles: &[String]) -> RelationAccess {
    let snap = cx.snap;
    let is_view = r.kind == RelKind::View;
    RelationAccess {
        schema: r.schema.clone(),
        name: r.name.clone(),
        kind: r.kind,
        owner: r.owner.clone(),
        rls_enabled: r.rls_enabled,
        rls_forced: r.rls_forced,
        security_invoker: is_view.then(|| r.security_invoker()),
        base_relations: r
            .view
            .as_ref()
            .map(|v| v.depends_on.iter().map(|d| cx.show(d)).collect())
            .unwrap_or_default(),
        policies: r
            .policies
            .iter()
            .map(|p| PolicyInfo {
                name: p.name.clone(),
                command: p.command,
                roles: p.roles.clone(),
                permissive: p.permissive,
                using: p.using.clone(),
                with_check: p.with_check.clone(),
                dead: !policy_live(snap, r, p),
            })
            .collect(),
        rows: roles
            .iter()
            .map(|role| RoleRow {
                role: role.clone(),
                cells: COMMANDS.iter().map(|c| cell_for(cx, r, role, *c)).collect(),
            })
            .collect(),
    }
}

/// Short text of a cell for the terminal and markdown (policies as `[n]`, 1-based); a probed
/// cell: what the persona got, then the catalog's reading of it.
pub fn cell_text(c: &Cell) -> String {
    match (&c.probe, &c.access) {
        (None, _) => static_text(c),
        (Some(p), Access::No { .. } | Access::All { .. }) => p.text(),
        (Some(p), _) => format!("{} · {}", p.text(), static_text(c)),
    }
}

fn static_text(c: &Cell) -> String {
    let refs = |v: &[usize]| -> Vec<String> { v.iter().map(|i| format!("[{}]", i + 1)).collect() };
    let mut s = match &c.access {
        Access::No { reason } if reason == "no grant" => "no".to_string(),
        Access::No { reason } if reason == "views cannot be truncated" => "n/a".to_string(),
        Access::No { reason } => format!("no ({reason})"),
        Access::All { .. } => "all".to_string(),
        Access::Bypass { reason } => format!("all (bypass: {reason})"),
        Access::Rows {
            permissive,
            restrictive,
            ..
        } => {
            let mut t = format!("rows: {}", refs(permissive).join(" or "));
            if !restrictive.is_empty() {
                if permissive.len() > 1 {
                    t = format!("rows: ({})", refs(permissive).join(" or "));
                }
                t.push_str(&format!(" and {}", refs(restrictive).join(" and ")));
            }
            t
        }
        Access::Denied => "none: denied by RLS (grant, no policy)".to_string(),
        Access::View {
            security_invoker: true,
            ..
        } if c.command == StatementKind::Select => "rows: as caller".to_string(),
        Access::View {
            security_invoker: true,
            ..
        } => "as caller, if updatable".to_string(),
        Access::View { runs_as, .. } if c.command == StatementKind::Select => {
            format!("rows: as owner {runs_as}")
        }
        Access::View { runs_as, .. } => format!("as owner {runs_as}, if updatable"),
    };
    if let Some(cols) = &c.columns {
        s.push_str(&format!("; columns {}", cols.join(", ")));
    }
    if !c.via.is_empty() {
        s.push_str(&format!("; via {}", c.via.join(", ")));
    }
    if !c.dead_policies.is_empty() {
        s.push_str(&format!(
            "; dead policy {}",
            refs(&c.dead_policies).join(", ")
        ));
    }
    s
}

/// The relation's heading: `public.chat_sessions (table, RLS on, owner postgres)`.
pub fn heading(r: &RelationAccess) -> String {
    let mut facts = vec![r.kind.noun().to_string()];
    if r.kind.is_table() {
        facts.push(match (r.rls_enabled, r.rls_forced) {
            (false, _) => "RLS off".into(),
            (true, false) => "RLS on".into(),
            (true, true) => "RLS on, forced".into(),
        });
    }
    if let Some(inv) = r.security_invoker {
        facts.push(if inv {
            "security_invoker".into()
        } else {
            "runs as its owner (no security_invoker)".into()
        });
    }
    if !r.base_relations.is_empty() {
        facts.push(format!("reads {}", r.base_relations.join(", ")));
    }
    facts.push(format!("owner {}", r.owner));
    format!("{}.{} ({})", r.schema, r.name, facts.join(", "))
}

/// One policy in the legend: `"name" SELECT to authenticated, permissive`.
pub fn policy_line(p: &PolicyInfo) -> String {
    let roles = if p.roles.is_empty() {
        "public".to_string()
    } else {
        p.roles.join(", ")
    };
    format!(
        "\"{}\" {} to {}, {}{}",
        p.name,
        p.command,
        roles,
        if p.permissive {
            "permissive"
        } else {
            "restrictive"
        },
        if p.dead {
            " — dead: no role it applies to holds a grant it could use"
        } else {
            ""
        }
    )
}

/// What every rendering says once under the matrix.
pub const NOTES: &[&str] = &[
    "rows: [n] lists the policies that apply to the role: permissive ones ORed, restrictive ones ANDed; \
a policy without WITH CHECK checks new rows with its USING.",
    "UPDATE and DELETE with a WHERE clause also need a SELECT policy to see the rows they change.",
    "A view without security_invoker reads its tables as its owner; with it, as the caller \
(the caller then needs grants and policies on those tables too). Writes through a view need it to be updatable.",
    "Superusers and BYPASSRLS roles skip RLS; so does a table's owner (and its members) unless RLS is forced. \
TRUNCATE is never subject to RLS.",
];

/// `--persona`: what was probed, for whom, and that nothing was kept.
pub fn persona_line(p: &probe::PersonaInfo) -> String {
    let mut made = Vec::new();
    if p.rows_created > 0 {
        made.push(format!(
            "{} persona row{} created",
            p.rows_created,
            if p.rows_created == 1 { "" } else { "s" }
        ));
    }
    if !p.fixtures.is_empty() {
        made.push(format!("fixtures {} applied", p.fixtures.join(", ")));
    }
    let made = if made.is_empty() {
        String::new()
    } else {
        format!("{}, then ", made.join(", "))
    };
    format!(
        "probed as {} (declared at {}): {made}every table and view read and written as it, in one transaction that was rolled back (nothing was kept)",
        p.label, p.declared_at
    )
}

/// What every rendering of a probed matrix says once under it.
pub const PROBE_NOTES: &[&str] = &[
    "`N of M rows`: the persona's statement reached N rows; M is what the connecting user counts (unknown when RLS binds it too).",
    "SELECT is `select count(*)`; UPDATE is `update t set c = c` (c: the first column it may update), which reads c, so PostgreSQL applies the SELECT policies as well as the UPDATE ones; DELETE is `delete from t` with no WHERE, so only DELETE policies apply. Each was undone at once.",
    "INSERT copies one row the persona sees (columns it may insert); yes means privileges and RLS WITH CHECK accepted the copy (a constraint may refuse the copy afterwards). TRUNCATE is never tried.",
    "Triggers ran as they would for the persona; sequences they or defaults advanced stay advanced (PostgreSQL never rolls nextval back).",
];

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixFormat {
    Table,
    Markdown,
    Json,
    Html,
}

/// Render the matrix in `format`.
pub fn render(m: &Matrix, format: MatrixFormat, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        MatrixFormat::Table => crate::report::safe::write_visible(w, |w| table::render(m, w)),
        MatrixFormat::Markdown => crate::report::safe::write_visible(w, |w| markdown::render(m, w)),
        MatrixFormat::Html => html::render(m, w),
        MatrixFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, m)?;
            writeln!(w)
        }
    }
}

#[cfg(test)]
mod tests;
