//! Unit tests of the matrix model and its renderers over hand-built snapshots.

use super::*;
use crate::catalog::{AclItem, Column, Role};
use crate::lint::testkit::{acl, policy, protected_table, snap, view};

fn cell<'m>(m: &'m Matrix, rel: &str, role: &str, cmd: StatementKind) -> &'m Cell {
    let r = m.relations.iter().find(|r| r.name == rel).unwrap();
    let row = r.rows.iter().find(|x| x.role == role).unwrap();
    row.cells.iter().find(|c| c.command == cmd).unwrap()
}

fn matrix(s: &Snapshot, roles: &[&str]) -> Matrix {
    let cx = RuleCtx::new(s, &["public".to_string()]);
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    build(&cx, "test", &roles)
}

#[test]
fn policies_grants_bypass_and_truncate() {
    let mut t = protected_table("notes");
    t.policies.push(policy(
        "only active",
        PolicyCommand::All,
        &["authenticated"],
        Some("active"),
        None,
    ));
    t.policies[1].permissive = false;
    t.policies.push(policy(
        "insert own",
        PolicyCommand::Insert,
        &["authenticated"],
        None,
        Some("(user_id = auth.uid())"),
    ));
    let s = snap(vec![t], vec![]);
    let m = matrix(&s, &["anon", "authenticated", "service_role", "postgres"]);
    // anon holds every grant (Supabase defaults) but no policy applies: denied by RLS.
    assert_eq!(
        cell(&m, "notes", "anon", StatementKind::Select).access,
        Access::Denied
    );
    let sel = cell(&m, "notes", "authenticated", StatementKind::Select);
    match &sel.access {
        Access::Rows {
            permissive,
            restrictive,
            using,
            with_check,
        } => {
            assert_eq!(
                (permissive.as_slice(), restrictive.as_slice()),
                (&[0][..], &[1][..])
            );
            assert_eq!(
                using.as_deref(),
                Some("((( SELECT auth.uid() AS uid) = user_id)) AND (active)")
            );
            assert!(with_check.is_none());
        }
        other => panic!("{other:?}"),
    }
    match &cell(&m, "notes", "authenticated", StatementKind::Insert).access {
        Access::Rows { with_check, .. } => {
            assert_eq!(
                with_check.as_deref(),
                Some("((user_id = auth.uid())) AND (active)")
            )
        }
        other => panic!("{other:?}"),
    }
    // DELETE: only the restrictive policy covers it: no permissive policy, no row.
    assert_eq!(
        cell(&m, "notes", "authenticated", StatementKind::Delete).access,
        Access::Denied
    );
    assert_eq!(
        cell(&m, "notes", "authenticated", StatementKind::Truncate).access,
        Access::All {
            reason: "TRUNCATE is not subject to RLS".into()
        }
    );
    assert_eq!(
        cell(&m, "notes", "service_role", StatementKind::Select).access,
        Access::Bypass {
            reason: "BYPASSRLS".into()
        }
    );
    assert_eq!(
        cell(&m, "notes", "postgres", StatementKind::Update).access,
        Access::Bypass {
            reason: "superuser".into()
        }
    );
    assert_eq!(
        cell_text(cell(&m, "notes", "authenticated", StatementKind::Select)),
        "rows: [1] and [2]"
    );
}

#[test]
fn owner_without_force_bypasses_with_force_does_not() {
    let mut t = protected_table("notes");
    t.owner = "app_owner".into();
    t.acl.extend(
        ["SELECT", "INSERT"]
            .iter()
            .map(|p| AclItem::new("app_owner", p)),
    );
    let mut s = snap(vec![t], vec![]);
    let mut member = Role::new("deployer");
    member.member_of = vec!["app_owner".into()];
    s.roles.push(Role::new("app_owner"));
    s.roles.push(member);
    s.schemas[0].acl.push(AclItem::new("app_owner", "USAGE"));
    let s = s.finish();
    let m = matrix(&s, &["app_owner", "deployer"]);
    assert_eq!(
        cell(&m, "notes", "app_owner", StatementKind::Select).access,
        Access::Bypass {
            reason: "owner, RLS not forced".into()
        }
    );
    let d = cell(&m, "notes", "deployer", StatementKind::Select);
    assert_eq!(
        d.access,
        Access::Bypass {
            reason: "member of owner app_owner, RLS not forced".into()
        }
    );
    assert_eq!(d.via, vec!["app_owner".to_string()]);
    assert_eq!(
        cell(&m, "notes", "app_owner", StatementKind::Delete).access,
        Access::No {
            reason: "no grant".into()
        }
    );

    let mut s2 = s.clone();
    s2.relations[0].rls_forced = true;
    let s2 = s2.finish();
    let m = matrix(&s2, &["app_owner"]);
    assert_eq!(
        cell(&m, "notes", "app_owner", StatementKind::Select).access,
        Access::Denied
    );
}

#[test]
fn public_grants_membership_columns_and_dead_policies() {
    let mut t = Relation::new("public", "profiles", RelKind::Table);
    t.rls_enabled = true;
    t.acl = acl(&[("PUBLIC", "SELECT"), ("staff", "DELETE")]);
    let mut email = Column::new("email", "text");
    email.acl = acl(&[("authenticated", "UPDATE")]);
    t.columns = vec![Column::new("id", "uuid"), email];
    t.policies = vec![
        policy(
            "read",
            PolicyCommand::Select,
            &["public"],
            Some("true"),
            None,
        ),
        policy(
            "edit own",
            PolicyCommand::Update,
            &["authenticated"],
            Some("(id = auth.uid())"),
            None,
        ),
        policy(
            "anon inserts",
            PolicyCommand::Insert,
            &["anon"],
            None,
            Some("true"),
        ),
    ];
    let mut s = snap(vec![t], vec![]);
    let mut agent = Role::new("agent");
    agent.member_of = vec!["staff".into()];
    s.roles.push(Role::new("staff"));
    s.roles.push(agent);
    let s = s.finish();
    let m = matrix(&s, &["anon", "authenticated", "agent"]);
    let c = cell(&m, "profiles", "anon", StatementKind::Select);
    assert_eq!(c.via, vec!["PUBLIC".to_string()]);
    assert!(matches!(c.access, Access::Rows { .. }));
    let u = cell(&m, "profiles", "authenticated", StatementKind::Update);
    assert_eq!(u.columns, Some(vec!["email".to_string()]));
    assert_eq!(cell_text(u), "rows: [2]; columns email", "{:?}", u.access);
    // agent inherits staff's DELETE; no DELETE policy: denied by RLS.
    let d = cell(&m, "profiles", "agent", StatementKind::Delete);
    assert_eq!(
        (d.access.clone(), d.via.clone()),
        (Access::Denied, vec!["staff".into()])
    );
    // anon has no INSERT grant: the policy naming anon is dead for it, and dead overall.
    let i = cell(&m, "profiles", "anon", StatementKind::Insert);
    assert_eq!(i.dead_policies, vec![2]);
    assert_eq!(cell_text(i), "no; dead policy [3]");
    let rel = &m.relations[0];
    assert_eq!(
        rel.policies.iter().map(|p| p.dead).collect::<Vec<_>>(),
        [false, false, true]
    );
}

#[test]
fn rls_off_schema_usage_and_views() {
    let mut open = crate::lint::testkit::api_table("open");
    open.rls_enabled = false;
    let base = protected_table("base");
    let definer = view("stats", &["base"], false);
    let invoker = view("safe_stats", &["base"], true);
    let mut s = snap(vec![open, base, definer, invoker], vec![]);
    s.schemas[0]
        .acl
        .retain(|a| &*a.grantee != "anon" && &*a.grantee != "PUBLIC");
    let s = s.finish();
    let m = matrix(&s, &["anon", "authenticated"]);
    assert_eq!(
        cell(&m, "open", "authenticated", StatementKind::Select).access,
        Access::All {
            reason: "RLS disabled".into()
        }
    );
    assert_eq!(
        cell(&m, "open", "anon", StatementKind::Select).access,
        Access::No {
            reason: "no USAGE on schema public".into()
        }
    );
    assert_eq!(
        cell(&m, "stats", "authenticated", StatementKind::Select).access,
        Access::Bypass {
            reason: "view runs as postgres (superuser on base)".into()
        }
    );
    assert_eq!(
        cell(&m, "safe_stats", "authenticated", StatementKind::Select).access,
        Access::View {
            security_invoker: true,
            runs_as: "authenticated".into()
        }
    );
    // Relations are sorted by name.
    let names: Vec<&str> = m.relations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["base", "open", "safe_stats", "stats"]);
}

#[test]
fn roles_default_and_unknown() {
    let mut t = protected_table("notes");
    t.acl.push(AclItem::new("reporting", "SELECT"));
    let mut s = snap(vec![t], vec![]);
    s.roles.push(Role::new("reporting"));
    s.roles.push(Role::new("pg_read_all_data"));
    let s = s.finish();
    let cx = RuleCtx::new(&s, &[]);
    let rels = relations(&cx);
    let roles = choose_roles(&cx, &rels, &[]).unwrap();
    assert_eq!(
        roles,
        [
            "anon",
            "authenticated",
            "service_role",
            "postgres",
            "reporting"
        ]
    );
    let e = choose_roles(&cx, &rels, &["authenticatd".into()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown role authenticatd (did you mean authenticated?)"
    );
}

fn hostile() -> Snapshot {
    let mut t = protected_table("a|b<script>");
    t.policies[0].name = "x\" <b>&'|`".into();
    t.policies[0].using = Some("(note <> '</td>|`x`')".into());
    snap(vec![t], vec![])
}

#[test]
fn html_escapes_everything_and_has_no_script_or_network() {
    let s = hostile();
    let m = matrix(&s, &["authenticated"]);
    let mut out = Vec::new();
    html::render(&m, &mut out).unwrap();
    let h = String::from_utf8(out).unwrap();
    assert!(!h.contains("<script"), "{h}");
    assert!(!h.contains("<b>"), "{h}");
    assert!(!h.contains("'</td>"), "{h}");
    assert!(h.contains("a|b&lt;script&gt;"), "{h}");
    assert!(h.contains("&quot;x&quot; &lt;b&gt;&amp;&#39;|`"), "{h}");
    assert!(!h.contains("http"), "{h}");
}

#[test]
fn markdown_escapes_pipes_and_markup() {
    let s = hostile();
    let m = matrix(&s, &["authenticated"]);
    let mut out = Vec::new();
    markdown::render(&m, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("### public.a\\|b\\<script\\>"), "{md}");
    assert!(md.contains("``(note <> '</td>\\|`x`')``"), "{md}");
    // Every table line has exactly 7 unescaped pipes (6 columns).
    for l in md.lines().filter(|l| l.starts_with('|')) {
        let n = l
            .match_indices('|')
            .filter(|(i, _)| *i == 0 || &l[i - 1..*i] != "\\")
            .count();
        assert_eq!(n, 7, "{l}");
    }
}

#[test]
fn renderers_snapshot() {
    let mut t = protected_table("notes");
    t.policies.push(policy(
        "write own",
        PolicyCommand::All,
        &["authenticated"],
        Some("(user_id = auth.uid())"),
        Some("(user_id = auth.uid())"),
    ));
    let v = view("note_stats", &["notes"], true);
    let s = snap(vec![t, v], vec![]);
    let m = matrix(&s, &["anon", "authenticated", "service_role"]);
    let mut out = Vec::new();
    table::render(&m, &mut out).unwrap();
    insta::assert_snapshot!("access_table", String::from_utf8(out).unwrap());
    let mut out = Vec::new();
    markdown::render(&m, &mut out).unwrap();
    insta::assert_snapshot!("access_markdown", String::from_utf8(out).unwrap());
    insta::assert_json_snapshot!("access_json", m);
}

#[test]
fn probed_cells_render_in_every_format_escaped() {
    let mut t = protected_table("notes");
    t.policies.push(policy(
        "write own",
        PolicyCommand::All,
        &["authenticated"],
        Some("(user_id = auth.uid())"),
        Some("(user_id = auth.uid())"),
    ));
    let s = snap(vec![t], vec![]);
    let mut m = matrix(&s, &["authenticated"]);
    let probes = [
        probe::Probe::Rows {
            rows: 1,
            total: Some(3),
        },
        probe::Probe::Inserted {
            then: Some("23505 unique_violation: duplicate key".into()),
        },
        probe::Probe::Rows {
            rows: 3,
            total: Some(3),
        },
        probe::Probe::Unknown {
            reason: "57014 query_canceled (statement_timeout hit)".into(),
        },
        probe::Probe::NotProbed {
            reason: "holds the privilege; TRUNCATE ignores RLS and is never tried".into(),
        },
    ];
    for (c, p) in m.relations[0].rows[0].cells.iter_mut().zip(probes) {
        c.probe = Some(p);
    }
    m.persona = Some(probe::PersonaInfo {
        name: "<b>|x".into(),
        role: "authenticated".into(),
        label: "persona <b>|x: authenticated (sub u1)".into(),
        declared_at: "checks/p.toml:3".into(),
        rows_created: 1,
        fixtures: vec!["tickets".into()],
        rolled_back: true,
    });
    let render = |f: MatrixFormat| {
        let mut out = Vec::new();
        render(&m, f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let t = render(MatrixFormat::Table);
    assert!(t.contains("probed as persona <b>|x: authenticated (sub u1) (declared at checks/p.toml:3): 1 persona row created, fixtures tickets applied"), "{t}");
    assert!(t.contains("| authenticated | 1 of 3 rows · rows: [1] or [2] | yes (a copy of a visible row passed RLS; then 23505 unique_violation) · rows: [2] | all 3 · rows: [2] | not measured (57014 query_canceled (statement_timeout hit)) · rows: [2] | not probed (holds the privilege; TRUNCATE ignores RLS and is never tried) |"), "{t}");
    assert!(t.contains("note: `N of M rows`"), "{t}");
    let md = render(MatrixFormat::Markdown);
    assert!(md.contains("**probed as persona \\<b\\>\\|x"), "{md}");
    let html = render(MatrixFormat::Html);
    assert!(html.contains("probed as persona &lt;b&gt;|x"), "{html}");
    assert!(!html.contains("<b>|x"), "{html}");
    let j: serde_json::Value = serde_json::from_str(&render(MatrixFormat::Json)).unwrap();
    assert_eq!(j["persona"]["rolled_back"], true);
    let cells = &j["relations"][0]["rows"][0]["cells"];
    assert_eq!(
        cells[0]["probe"],
        serde_json::json!({"probe": "rows", "rows": 1, "total": 3})
    );
    assert_eq!(cells[1]["probe"]["probe"], "inserted");
    assert_eq!(cells[4]["probe"]["probe"], "not_probed");
    // The static matrix's JSON has no probe keys.
    let plain = serde_json::to_value(matrix(&s, &["authenticated"])).unwrap();
    assert!(plain.get("persona").is_none());
    assert!(plain["relations"][0]["rows"][0]["cells"][0]
        .get("probe")
        .is_none());
}
