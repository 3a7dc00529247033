//! `deskctl access --persona` against real PostgreSQL (issue 15 point 1): the live-chat system
//! with committed rows, personas declared in a check file (their rows and a fixture created in
//! the probe's transaction), the exact counts its 11 policies imply, a persona whose role has no
//! grant, data checksums unchanged after every format, hostile persona rows and fixtures, and
//! bad input (unknown persona, unknown role, broken files).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::access::json;
use crate::common::{deskctl, output_text, repo, TestDb};
use crate::lint::migrated;

const U1: &str = "00000000-0000-4000-a000-000000000001";

/// Live chat with committed rows: users 2 and 3 with a session each, one message in user 2's
/// session (its trigger logs activity). Persona rows and fixtures come on top, rolled back.
fn live_chat() -> TestDb {
    let db = migrated(&repo().join("migrations"));
    db.exec(
        "insert into auth.users (id, email) values
           ('00000000-0000-4000-a000-000000000002', 'user2@example.com'),
           ('00000000-0000-4000-a000-000000000003', 'user3@example.com');
         insert into public.chat_sessions (id, user_id, subject) values
           ('20000000-0000-4000-a000-000000000002', '00000000-0000-4000-a000-000000000002', 'Password'),
           ('20000000-0000-4000-a000-000000000003', '00000000-0000-4000-a000-000000000003', 'Other');
         insert into public.chat_messages (session_id, sender_id, message) values
           ('20000000-0000-4000-a000-000000000002', '00000000-0000-4000-a000-000000000002', 'hello');",
    );
    db
}

const PERSONAS: &str = r#"
[personas.user1]
role = "authenticated"
claims = { sub = "00000000-0000-4000-a000-000000000001" }
rows = [{ table = "auth.users", values = { id = "00000000-0000-4000-a000-000000000001", email = "user1@example.com" } }]

[personas.agent]
role = "authenticated"
claims = { sub = "00000000-0000-4000-a000-00000000000a" }
rows = [
  { table = "auth.users", values = { id = "00000000-0000-4000-a000-00000000000a", email = "agent@example.com" } },
  { table = "user_roles", values = { user_id = "00000000-0000-4000-a000-00000000000a", role = "support_agent" } },
]

[personas.visitor]
role = "anon"

[fixtures.own_session]
sql = [
  "insert into chat_sessions (id, user_id, subject) values ('20000000-0000-4000-a000-000000000001', '00000000-0000-4000-a000-000000000001', 'Billing')",
  "insert into chat_messages (session_id, sender_id, message) values ('20000000-0000-4000-a000-000000000001', '00000000-0000-4000-a000-000000000001', 'hi')",
]
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `access --checks FILE extra...`.
fn access(db: &TestDb, file: &Path, extra: &[&str]) -> Output {
    let file = file.to_str().unwrap();
    crate::access::access(&db.url, &[&["--checks", file][..], extra].concat())
}

/// The live-chat database and a personas file.
fn setup() -> (TestDb, tempfile::TempDir, PathBuf) {
    let db = live_chat();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "personas.toml", PERSONAS);
    (db, dir, file)
}

/// The probe of `rel` × `cmd` (the matrix has the persona's role only).
fn probe<'a>(m: &'a Value, rel: &str, cmd: &str) -> &'a Value {
    let roles = m["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "one role, the persona's: {roles:?}");
    &crate::access::cell(m, rel, roles[0]["name"].as_str().unwrap(), cmd)["probe"]
}

/// `(rows, total)` of a counted probe.
fn counts(m: &Value, rel: &str, cmd: &str) -> (u64, Option<u64>) {
    let p = probe(m, rel, cmd);
    assert_eq!(p["probe"], "rows", "{rel} {cmd}: {p}");
    (p["rows"].as_u64().unwrap(), p["total"].as_u64())
}

/// Every row of the tables the personas touch, hashed (and the roles), to prove nothing changed.
fn checksum(db: &TestDb) -> Vec<Vec<Option<String>>> {
    let tables = [
        "auth.users",
        "public.user_roles",
        "public.chat_sessions",
        "public.chat_messages",
        "public.chat_session_activity",
    ];
    let parts: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "select '{t}', pg_catalog.count(*)::text, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} x"
            )
        })
        .collect();
    let mut sql = parts.join(" union all ");
    sql.push_str(" union all select 'roles', pg_catalog.count(*)::text, md5(string_agg(rolname::text, ',' order by rolname)) from pg_roles");
    db.query(&sql)
}

#[test]
fn persona_counts_are_what_the_policies_imply() {
    let (db, _dir, file) = setup();

    // user1: its auth.users row (persona rows) and its own session + message (fixture).
    let m = json(&access(
        &db,
        &file,
        &[
            "--persona",
            "user1",
            "--use",
            "own_session",
            "--format",
            "json",
        ],
    ));
    assert_eq!(m["persona"]["name"], "user1");
    assert_eq!(m["persona"]["role"], "authenticated");
    assert_eq!(m["persona"]["rows_created"], 1);
    assert_eq!(m["persona"]["rolled_back"], true);
    assert!(m["persona"]["declared_at"]
        .as_str()
        .unwrap()
        .ends_with("personas.toml:2"));
    // Policy 1: its own session of 3; policy 4: it updates that one; no DELETE policy.
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (1, Some(3)));
    assert_eq!(counts(&m, "chat_sessions", "UPDATE"), (1, Some(3)));
    assert_eq!(counts(&m, "chat_sessions", "DELETE"), (0, Some(3)));
    // Policy 3's WITH CHECK (auth.uid() = user_id) accepts a copy of its session; the primary
    // key refuses it afterwards.
    let ins = probe(&m, "chat_sessions", "INSERT");
    assert_eq!(ins["probe"], "inserted", "{ins}");
    assert!(ins["then"].as_str().unwrap().starts_with("23505"), "{ins}");
    // TRUNCATE was revoked from authenticated; never tried.
    assert_eq!(probe(&m, "chat_sessions", "TRUNCATE")["probe"], "no");
    // Messages: its own of 2; no UPDATE/DELETE policies.
    assert_eq!(counts(&m, "chat_messages", "SELECT"), (1, Some(2)));
    assert_eq!(counts(&m, "chat_messages", "UPDATE"), (0, Some(2)));
    assert_eq!(counts(&m, "chat_messages", "DELETE"), (0, Some(2)));
    // The security_invoker view shows its caller's rows: 1 of 3 sessions.
    assert_eq!(counts(&m, "chat_session_stats", "SELECT"), (1, Some(3)));
    let view_update = probe(&m, "chat_session_stats", "UPDATE");
    assert_eq!(view_update["probe"], "no", "{view_update}");
    // user_roles: only SELECT is granted, and it has no role rows.
    assert_eq!(counts(&m, "user_roles", "SELECT"), (0, Some(0)));
    assert_eq!(probe(&m, "user_roles", "DELETE")["reason"], "no grant");

    // Without the fixture it owns no session: 0 of the 2 committed ones, nothing to copy.
    let m = json(&access(
        &db,
        &file,
        &["--persona", "user1", "--format", "json"],
    ));
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (0, Some(2)));
    assert_eq!(probe(&m, "chat_sessions", "INSERT")["probe"], "not_probed");

    // A support agent (its user_roles row is a persona row): policies 2 and 5, every session.
    let m = json(&access(
        &db,
        &file,
        &["--persona", "agent", "--format", "json"],
    ));
    assert_eq!(m["persona"]["rows_created"], 2);
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (2, Some(2)));
    assert_eq!(counts(&m, "chat_sessions", "UPDATE"), (2, Some(2)));
    assert_eq!(counts(&m, "chat_messages", "SELECT"), (1, Some(1)));
    assert_eq!(counts(&m, "user_roles", "SELECT"), (1, Some(1)));

    // The terminal table says it in words, and names the persona and the rollback.
    let out = access(&db, &file, &["--persona", "user1", "--use", "own_session"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        text.contains(
            "probed as persona user1: authenticated (sub 00000000-0000-4000-a000-000000000001)"
        ),
        "{text}"
    );
    assert!(
        text.contains("in one transaction that was rolled back"),
        "{text}"
    );
    let sessions = text
        .lines()
        .skip_while(|l| !l.starts_with("public.chat_sessions "))
        .nth(3)
        .unwrap();
    assert!(
        sessions.starts_with("| authenticated | 1 of 3 rows · rows: [1] or [2]"),
        "{sessions}"
    );
    assert!(
        sessions.contains("| 0 of 3 rows · none: denied by RLS"),
        "{sessions}"
    );
}

#[test]
fn persona_without_grants_gets_no_everywhere() {
    let (db, _dir, file) = setup();
    let m = json(&access(
        &db,
        &file,
        &["--persona", "visitor", "--format", "json"],
    ));
    assert_eq!(m["roles"][0]["name"], "anon");
    for rel in m["relations"].as_array().unwrap() {
        for c in rel["rows"][0]["cells"].as_array().unwrap() {
            assert_eq!(c["probe"]["probe"], "no", "{} {c}", rel["name"]);
            assert_eq!(c["probe"]["reason"], "no grant", "{} {c}", rel["name"]);
        }
    }
    let md = access(
        &db,
        &file,
        &["--persona", "visitor", "--format", "markdown"],
    );
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| `anon` | no (no grant) | no (no grant) |"),
        "{md}"
    );
}

#[test]
fn persona_probe_changes_nothing() {
    let (db, _dir, file) = setup();
    let before = checksum(&db);
    for persona in ["user1", "agent", "visitor"] {
        for format in ["table", "markdown", "json", "html"] {
            let fixtures: &[&str] = if persona == "user1" {
                &["--use", "own_session"]
            } else {
                &[]
            };
            let out = access(
                &db,
                &file,
                &[&["--persona", persona, "--format", format][..], fixtures].concat(),
            );
            assert!(
                out.status.success(),
                "{persona} {format}: {}",
                output_text(&out)
            );
        }
    }
    assert_eq!(checksum(&db), before, "access --persona changed data");
    // The persona's rows and the fixture's session are gone.
    assert_eq!(
        db.scalar(&format!(
            "select count(*)::text from auth.users where id = '{U1}'"
        )),
        Some("0".into())
    );
    let html = access(&db, &file, &["--persona", "user1", "--format", "html"]);
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.contains("probed as persona user1"), "{html}");
    assert!(!html.contains("<script"), "{html}");
}

#[test]
fn hostile_persona_rows_and_fixtures_are_refused_or_harmless() {
    let db = live_chat();
    let dir = tempfile::tempdir().unwrap();
    let before = checksum(&db);
    // SQL in values is data: bound as one JSON parameter, inserted, rolled back.
    let file = write(
        dir.path(),
        "hostile.toml",
        r#"
[personas.mallory]
role = "authenticated"
claims = { sub = "00000000-0000-4000-a000-0000000000ff", "x'); drop table public.chat_sessions; --" = "1" }
rows = [{ table = "auth.users", values = { id = "00000000-0000-4000-a000-0000000000ff", email = "x'); drop table public.chat_sessions; --" } }]

[fixtures.claims]
sql = "select set_config('request.jwt.claims', '{\"sub\":\"00000000-0000-4000-a000-000000000002\"}', false)"

[fixtures.no_table]
sql = "insert into public.nope values (1)"
"#,
    );
    let m = json(&access(
        &db,
        &file,
        &["--persona", "mallory", "--format", "json"],
    ));
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (0, Some(2)));

    // COMMIT or set_config('role') in a fixture: the loader refuses the file before anything
    // is sent (as verify would), naming the fixture's file:line.
    let commits = write(
        dir.path(),
        "commits.toml",
        r#"[personas.mallory]
role = "authenticated"

[fixtures.commits]
sql = "insert into public.user_roles (user_id, role) values ('00000000-0000-4000-a000-0000000000ff', 'admin'); commit"

[fixtures.escalates]
sql = "select set_config('role', 'postgres', false)"
"#,
    );
    let out = access(&db, &commits, &["--persona", "mallory", "--use", "commits"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nothing was run"), "{err}");
    assert!(
        err.contains("commits.toml:5:7: [fixtures.commits]"),
        "{err}"
    );
    assert!(err.contains("contains COMMIT"), "{err}");
    assert!(
        err.contains("commits.toml:8:7: [fixtures.escalates]"),
        "{err}"
    );
    assert!(err.contains("must not change `role`"), "{err}");

    // A fixture that changes the session's claims for good is caught by the state check.
    let out = access(&db, &file, &["--persona", "mallory", "--use", "claims"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not trusted"), "{err}");
    assert!(err.contains("request.jwt.claims"), "{err}");

    // A fixture that fails names itself; nothing is probed.
    let out = access(&db, &file, &["--persona", "mallory", "--use", "no_table"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("fixture `no_table`"), "{err}");
    assert!(err.contains("42P01"), "{err}");

    // A persona whose settings would switch the probe's timeout off.
    let slow = write(
        dir.path(),
        "slow.toml",
        "[personas.slow]\nrole = \"authenticated\"\nsettings = { statement_timeout = \"0\" }\n",
    );
    let out = access(&db, &slow, &["--persona", "slow"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("statement_timeout"), "{err}");

    assert_eq!(checksum(&db), before, "a hostile persona changed data");
    assert_eq!(
        db.scalar("select count(*)::text from pg_class where relname = 'chat_sessions'"),
        Some("1".into())
    );
}

#[test]
fn persona_bad_input_is_exit_2() {
    let (db, dir, file) = setup();
    // Unknown persona: the near miss and where each declared persona is.
    let out = access(&db, &file, &["--persona", "usr1"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown persona `usr1`"), "{err}");
    assert!(err.contains("did you mean `user1`?"), "{err}");
    assert!(err.contains("personas.toml:2"), "{err}");
    assert!(out.stdout.is_empty());

    // A persona whose role does not exist.
    let ghost = write(
        dir.path(),
        "ghost.toml",
        "[personas.ghost]\nrole = \"authenticatd\"\n",
    );
    let out = access(&db, &ghost, &["--persona", "ghost"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("ghost.toml:1"), "{err}");
    assert!(err.contains("did you mean `authenticated`?"), "{err}");

    // A broken check file: the loader's file:line problems, nothing run.
    let broken = write(
        dir.path(),
        "broken.toml",
        "[personas.x]\nrole = \"anon\"\nrows = 3\n",
    );
    let out = access(&db, &broken, &["--persona", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken.toml:3"),
        "{}",
        output_text(&out)
    );

    // --checks without --persona is a usage error; --persona with --roles too.
    let out = deskctl()
        .args(["access", "--database-url", &db.url, "--checks"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let out = access(&db, &file, &["--persona", "user1", "--roles", "anon"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}

#[test]
fn persona_from_the_projects_check_files() {
    // No --checks: deskctl.toml's checks (checks/live_chat_behaviour.toml declares user1 and
    // the fixtures), as verify reads them.
    let db = migrated(&repo().join("migrations"));
    let out = deskctl()
        .current_dir(repo())
        .args(["access", "--database-url", &db.url, "--persona", "user1"])
        .args(["--use", "messages", "--format", "json"])
        .output()
        .unwrap();
    let m = json(&out);
    assert!(m["persona"]["declared_at"]
        .as_str()
        .unwrap()
        .starts_with("checks/live_chat_behaviour.toml:"));
    // The `users` fixture names user1 and user2: two persona rows, user1's once.
    assert_eq!(m["persona"]["rows_created"], 2);
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (1, Some(2)));
    assert_eq!(counts(&m, "chat_messages", "SELECT"), (1, Some(2)));
    assert_eq!(counts(&m, "chat_session_activity", "SELECT").0, 2);
    assert_eq!(
        db.scalar("select count(*)::text from public.chat_sessions"),
        Some("0".into())
    );
}

#[test]
fn a_locked_table_is_not_measured_and_the_matrix_goes_on() {
    // Another session holds EXCLUSIVE on chat_sessions (reads pass, writes wait): the writes
    // give up after --lock-wait and say so; every other cell is measured.
    let (db, _dir, file) = setup();
    let args: Vec<String> = [
        "--persona",
        "user1",
        "--lock-wait",
        "200",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = crate::common::rt().block_on(async {
        let (holder, _h) = deskctl::db::connect_target(&db.target(), None)
            .await
            .unwrap();
        holder
            .batch_execute("begin; lock table public.chat_sessions in exclusive mode")
            .await
            .unwrap();
        let (url, file) = (db.url.clone(), file.clone());
        let started = std::time::Instant::now();
        let out = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::access::access(
                &url,
                &[&["--checks", file.to_str().unwrap()][..], &a].concat(),
            )
        })
        .await
        .unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        holder.batch_execute("rollback").await.unwrap();
        out
    });
    let m = json(&out);
    assert_eq!(counts(&m, "chat_sessions", "SELECT"), (0, Some(2)));
    for cmd in ["UPDATE", "DELETE"] {
        let p = probe(&m, "chat_sessions", cmd);
        assert_eq!(p["probe"], "unknown", "{cmd}: {p}");
        assert!(
            p["reason"].as_str().unwrap().contains("55P03"),
            "{cmd}: {p}"
        );
    }
    assert_eq!(counts(&m, "chat_messages", "SELECT"), (0, Some(1)));
    assert_eq!(counts(&m, "chat_messages", "UPDATE"), (0, Some(1)));
}
