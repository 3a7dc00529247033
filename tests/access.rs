//! `deskctl access` against real PostgreSQL (issue 15): the live-chat matrix, a schema that
//! exercises every kind of cell (PUBLIC grants, inherited grants, column grants, RLS off, owner
//! with and without FORCE, restrictive policies, dead policies), the cells checked against what
//! the server really does as those roles, every output format, and bad input.

use std::process::Output;

use serde_json::Value;

use crate::common::{deskctl, output_text, repo};
use crate::lint::{migrated, supabase_db};

pub(crate) fn access(url: &str, extra: &[&str]) -> Output {
    deskctl()
        .args(["access", "--database-url", url])
        .args(extra)
        .output()
        .unwrap()
}

pub(crate) fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", output_text(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output_text(out)))
}

/// The cell of `role` × `cmd` on relation `rel`.
pub(crate) fn cell<'a>(m: &'a Value, rel: &str, role: &str, cmd: &str) -> &'a Value {
    let r = m["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == rel)
        .unwrap_or_else(|| panic!("no relation {rel}"));
    let row = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["role"] == role)
        .unwrap_or_else(|| panic!("no role {role} on {rel}"));
    row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["command"] == cmd)
        .unwrap()
}

/// Names of the policies a `rows` cell lists as permissive.
fn permissive<'a>(m: &'a Value, rel: &str, role: &str, cmd: &str) -> Vec<&'a str> {
    let r = m["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == rel)
        .unwrap();
    let c = cell(m, rel, role, cmd);
    assert_eq!(c["access"], "rows", "{rel} {role} {cmd}: {c}");
    c["permissive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            r["policies"][i.as_u64().unwrap() as usize]["name"]
                .as_str()
                .unwrap()
        })
        .collect()
}

#[test]
fn live_chat_matrix() {
    let db = migrated(&repo().join("migrations"));
    let m = json(&access(&db.url, &["--format", "json"]));
    assert_eq!(m["schema_version"], 1);
    let roles: Vec<&str> = m["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(&roles[..3], ["anon", "authenticated", "service_role"]);
    for rel in ["chat_sessions", "chat_messages", "chat_session_activity"] {
        for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"] {
            let c = cell(&m, rel, "anon", cmd);
            assert_eq!(
                (&c["access"], &c["reason"]),
                (&"no".into(), &"no grant".into())
            );
            assert_eq!(
                cell(&m, rel, "service_role", cmd)["access"],
                if cmd == "TRUNCATE" { "all" } else { "bypass" }
            );
        }
        assert_eq!(cell(&m, rel, "authenticated", "TRUNCATE")["access"], "no");
        assert_eq!(cell(&m, rel, "authenticated", "DELETE")["access"], "denied");
    }
    assert_eq!(
        permissive(&m, "chat_sessions", "authenticated", "SELECT"),
        [
            "Users can view own chat sessions",
            "Admins and agents can view all chat sessions"
        ]
    );
    assert_eq!(
        permissive(&m, "chat_session_activity", "authenticated", "INSERT"),
        ["System can log chat activity"]
    );
    let upd = cell(&m, "chat_sessions", "authenticated", "UPDATE");
    assert!(
        upd["using"]
            .as_str()
            .unwrap()
            .contains("(auth.uid() = user_id)) OR ("),
        "{upd}"
    );
    assert_eq!(
        cell(&m, "chat_messages", "authenticated", "UPDATE")["access"],
        "denied"
    );
    let v = cell(&m, "chat_session_stats", "authenticated", "SELECT");
    assert_eq!(
        (&v["access"], &v["security_invoker"]),
        (&"view".into(), &true.into())
    );
    assert_eq!(
        cell(&m, "chat_session_stats", "anon", "SELECT")["access"],
        "no"
    );

    // The terminal table and markdown say the same.
    let out = access(&db.url, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        text.contains("public.chat_sessions (table, RLS on, owner postgres)"),
        "{text}"
    );
    assert!(
        text.contains(
            "[1] \"Users can view own chat sessions\" SELECT to authenticated, permissive"
        ),
        "{text}"
    );
    let md = String::from_utf8(access(&db.url, &["--format", "markdown"]).stdout).unwrap();
    assert!(
        md.contains("| `authenticated` | rows: \\[1\\] or \\[2\\] |"),
        "{md}"
    );
}

/// A schema with every kind of cell; role names carry the database name (roles are cluster-wide).
fn crafted() -> (crate::common::TestDb, String) {
    let db = supabase_db();
    let p = db.name.clone();
    db.exec(&format!(
        r#"
create role {p}_staff nologin;
create role {p}_agent nologin in role {p}_staff;
create role {p}_owner nologin;
create schema acc;
grant usage on schema acc to anon, authenticated, service_role, {p}_staff, {p}_owner;
create table acc.docs (id int primary key, owner_id uuid, secret text, published bool);
alter table acc.docs enable row level security;
grant select on acc.docs to public;
grant update (secret) on acc.docs to authenticated;
grant delete on acc.docs to {p}_staff;
create policy "published" on acc.docs for select to public using (published);
create policy "not orphaned" on acc.docs as restrictive for select to authenticated using (owner_id is not null);
create policy "edit secret" on acc.docs for update to authenticated using (true) with check (secret <> '');
create policy "anon writes" on acc.docs for insert to anon with check (true);
create table acc.open (id int);
grant select, insert on acc.open to anon;
create table acc.forced (id int);
alter table acc.forced owner to {p}_owner;
alter table acc.forced enable row level security;
alter table acc.forced force row level security;
create table acc.unforced (id int);
alter table acc.unforced owner to {p}_owner;
alter table acc.unforced enable row level security;
grant select on acc.unforced to service_role;
insert into acc.docs values (1, null, 's', true), (2, gen_random_uuid(), 's', true), (3, null, 's', false);
insert into acc.forced values (1);
insert into acc.unforced values (1);
"#
    ));
    (db, p)
}

#[test]
fn every_kind_of_cell_matches_the_server() {
    let (db, p) = crafted();
    let (staff, agent, owner) = (
        format!("{p}_staff"),
        format!("{p}_agent"),
        format!("{p}_owner"),
    );
    let roles = format!("anon,authenticated,service_role,{agent},{owner}");
    let m = json(&access(
        &db.url,
        &["--schema", "acc", "--roles", &roles, "--format", "json"],
    ));

    // PUBLIC's SELECT grant reaches anon; the PUBLIC policy applies.
    let c = cell(&m, "docs", "anon", "SELECT");
    assert_eq!(c["via"], serde_json::json!(["PUBLIC"]));
    assert_eq!(permissive(&m, "docs", "anon", "SELECT"), ["published"]);
    // authenticated: permissive AND restrictive.
    let c = cell(&m, "docs", "authenticated", "SELECT");
    assert_eq!(
        c["using"], "(published) AND ((owner_id IS NOT NULL))",
        "{c}"
    );
    // Column-level UPDATE narrows access.
    let c = cell(&m, "docs", "authenticated", "UPDATE");
    assert_eq!(c["columns"], serde_json::json!(["secret"]));
    assert_eq!(c["with_check"], "(secret <> ''::text)");
    // The agent inherits staff's DELETE, and no policy lets it delete.
    let c = cell(&m, "docs", &agent, "DELETE");
    assert_eq!(
        (&c["access"], &c["via"]),
        (&"denied".into(), &serde_json::json!([staff]))
    );
    // anon has no INSERT grant: the policy naming anon is dead.
    let c = cell(&m, "docs", "anon", "INSERT");
    assert_eq!(
        (&c["access"], &c["dead_policies"]),
        (&"no".into(), &serde_json::json!([3]))
    );
    let docs = m["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "docs")
        .unwrap();
    assert_eq!(docs["policies"][3]["dead"], true);
    assert_eq!(docs["policies"][0]["dead"], false);
    // RLS off: every row.
    assert_eq!(cell(&m, "open", "anon", "INSERT")["access"], "all");
    assert_eq!(cell(&m, "open", "anon", "UPDATE")["access"], "no");
    // Owner: bypass unless forced; BYPASSRLS.
    assert_eq!(
        cell(&m, "unforced", &owner, "SELECT")["reason"],
        "owner, RLS not forced"
    );
    assert_eq!(cell(&m, "forced", &owner, "SELECT")["access"], "denied");
    assert_eq!(
        cell(&m, "unforced", "service_role", "SELECT")["reason"],
        "BYPASSRLS"
    );

    // What the server does as those roles (each in a transaction that is rolled back).
    let as_role = |role: &str, claims: &str, sql: &str| -> String {
        let rows = db.simple(&format!(
            "begin; set local role {role}; select set_config('request.jwt.claims', '{claims}', true); {sql}; rollback;"
        ));
        rows.first().and_then(|r| r[0].clone()).unwrap_or_default()
    };
    assert_eq!(as_role("anon", "{}", "select count(*) from acc.docs"), "2");
    assert_eq!(
        as_role("authenticated", "{}", "select count(*) from acc.docs"),
        "1"
    );
    assert_eq!(
        as_role(
            &agent,
            "{}",
            "with d as (delete from acc.docs returning 1) select count(*) from d"
        ),
        "0"
    );
    assert_eq!(
        as_role(&owner, "{}", "select count(*) from acc.unforced"),
        "1"
    );
    assert_eq!(
        as_role(&owner, "{}", "select count(*) from acc.forced"),
        "0"
    );
    assert_eq!(
        as_role("service_role", "{}", "select count(*) from acc.unforced"),
        "1"
    );
}

#[test]
fn html_is_self_contained_and_file_output() {
    let (db, _) = crafted();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.html");
    let out = access(
        &db.url,
        &[
            "--schema",
            "acc",
            "--format",
            "html",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(out.stdout.is_empty());
    let h = std::fs::read_to_string(&path).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>"), "{h}");
    assert!(
        h.contains("<h2>acc.docs (table, RLS on, owner postgres)</h2>"),
        "{h}"
    );
    assert!(
        h.contains("(published) AND ((owner_id IS NOT NULL))"),
        "{h}"
    );
    assert!(h.contains("(secret &lt;&gt; &#39;&#39;::text)"), "{h}");
    for banned in ["<script", "src=", "href=", "http://", "https://", "@import"] {
        assert!(!h.contains(banned), "{banned} in {h}");
    }
}

#[test]
fn bad_input_and_database_trouble() {
    let db = supabase_db();
    let out = access(&db.url, &["--roles", "authenticatd"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("unknown role authenticatd (did you mean authenticated?)"));
    let out = access(&db.url, &["--schema", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("schema nope does not exist"));
    let out = access("postgres://u:secretpw@127.0.0.1:1/x?connect_timeout=2", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(!output_text(&out).contains("secretpw"));
}
