//! `deskctl migrate`, `status` and `new` against a real PostgreSQL (issue 3 §1–§9): both layouts,
//! refusal of bad files, the advisory lock under 8 concurrent processes, exact failures, drift,
//! status, dry run, rehearsal, target, baseline, non-transactional files, kill -9.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{deskctl, dir_with, output_text, rt, sigkill, spawn_migrate, TestDb};

/// `deskctl <cmd> --database-url URL --migrations DIR <extra>`.
/// `migrate` runs with `--no-lint`: these tests are about applying, and their files are not
/// meant to pass the lint (tests/migrate_toolkit.rs tests the lint gate).
fn run(cmd: &str, db: &TestDb, dir: &Path, extra: &[&str]) -> Output {
    deskctl()
        .arg(cmd)
        .args(if cmd == "migrate" {
            &["--no-lint"][..]
        } else {
            &[][..]
        })
        .args(["--database-url", &db.url, "--migrations"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output_text(out)))
}

/// deskctl's default history table (a private schema, never `public`).
const HISTORY: &str = "deskctl.refinery_schema_history";

fn history(db: &TestDb) -> Vec<(i64, String)> {
    // The default table, or the one a test named explicitly (`refinery_schema_history`).
    let table = if exists(db, HISTORY) {
        HISTORY
    } else {
        "refinery_schema_history"
    };
    db.query(&format!(
        "select version::text, name from {table} order by version::int8"
    ))
    .into_iter()
    .map(|r| {
        (
            r[0].as_deref().unwrap().parse().unwrap(),
            r[1].clone().unwrap(),
        )
    })
    .collect()
}

fn exists(db: &TestDb, relation: &str) -> bool {
    db.scalar(&format!(
        "select (to_regclass('{relation}') is not null)::text"
    ))
    .as_deref()
        == Some("true")
}

fn versions(h: &[(i64, String)]) -> Vec<i64> {
    h.iter().map(|(v, _)| *v).collect()
}

// §1 ------------------------------------------------------------------------------------------

#[test]
fn supabase_layout_applies_and_status_shows_it() {
    let db = TestDb::supabase();
    let dir = dir_with(&[
        (
            "20251204000000_live-chat support.v1.sql",
            "create table chat (id int primary key);\nalter table chat enable row level security;\n",
        ),
        (
            "20251204000001_add_policy.sql",
            "create policy \"read own\" on chat for select using (true);\n",
        ),
        ("README.md", "not a migration"),
    ]);
    let out = run("status", &db, dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let v = json(&out);
    assert_eq!(v["layout"], "supabase");
    assert_eq!(v["history_exists"], false);
    assert_eq!(v["summary"]["pending"], 2);

    let out = run("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(
        history(&db),
        vec![
            (20251204000000, "live_chat_support_v1".to_string()),
            (20251204000001, "add_policy".to_string())
        ]
    );
    assert_eq!(
        db.scalar("select count(*)::text from pg_policies where tablename = 'chat'")
            .as_deref(),
        Some("1")
    );
    // The API roles get nothing on the history table (Supabase's default privileges would
    // otherwise let the anon key rewrite it); the migrating owner keeps everything.
    assert_eq!(
        db.scalar(
            "select has_table_privilege('anon', 'deskctl.refinery_schema_history', 'select,insert,update,delete')::text \
             || has_table_privilege('authenticated', 'deskctl.refinery_schema_history', 'insert')::text"
        )
        .as_deref(),
        Some("falsefalse")
    );

    let out = run("status", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("20251204000000  live_chat_support_v1  applied at 20"),
        "{text}"
    );
    assert!(
        text.contains("20251204000001  add_policy            applied at 20"),
        "{text}"
    );
    assert!(text.contains("2 applied, 0 pending"), "{text}");
}

#[test]
fn bad_files_are_refused_before_touching_the_database() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__ok.sql", "create table never_created (id int);"),
        ("V1__same_version.sql", "select 1;"),
        ("V2__foo-bar.sql", "select 2;"),
        ("|3__pipe.sql", "select 3;"),
        ("notes.sql", "select 4;"),
        ("V5__u.sql", ""),
    ]);
    std::fs::write(dir.path().join("V5__u.sql"), b"select '\xff';").unwrap();
    // A database that does not exist: touching it would be exit 3, not 2.
    let url = db.url.replace(&db.name, "no_such_database_here");
    for cmd in ["migrate", "status"] {
        let out = deskctl()
            .args([cmd, "--database-url", &url, "--migrations"])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        for needle in [
            "6 bad migration file(s)",
            "V1__ok.sql: version 1 is also used by V1__same_version.sql",
            "V1__same_version.sql: version 1 is also used by V1__ok.sql",
            "V2__foo-bar.sql: refinery would cut the name short to `foo`",
            "|3__pipe.sql: a name starting with `|` makes refinery panic",
            "notes.sql: matches neither",
            "V5__u.sql: not valid UTF-8 (line 1",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
        assert!(!text.contains("README"), "{text}");
    }
    // Mixed layouts in one directory.
    let mixed = dir_with(&[
        ("V1__a.sql", "select 1;"),
        ("20250101000000_b.sql", "select 1;"),
    ]);
    let out = run("migrate", &db, mixed.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("mixes naming layouts"));
    assert!(!exists(&db, HISTORY) && !exists(&db, "refinery_schema_history"));
}

// §2 ------------------------------------------------------------------------------------------

#[test]
fn eight_concurrent_migrates_apply_every_migration_exactly_once() {
    let db = TestDb::new();
    let mut files: Vec<(String, String)> = vec![(
        "V1__log.sql".into(),
        "create table applied_log (version int not null, by_pid int not null default pg_backend_pid());\n\
         insert into applied_log (version) values (1);\n"
            .into(),
    )];
    for v in 2..=50 {
        files.push((
            format!("V{v}__step_{v}.sql"),
            format!(
                "create table t{v} (id int primary key);\n\
                 insert into applied_log (version) values ({v});\n\
                 select pg_sleep(0.02);\n"
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = dir_with(&refs);
    let bin = assert_cmd::cargo::cargo_bin("deskctl");
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(&bin)
                .args([
                    "migrate",
                    "--no-lint",
                    "--database-url",
                    &db.url,
                    "--migrations",
                ])
                .arg(dir.path())
                .env_remove("DATABASE_URL")
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", output_text(o));
    }
    // Every migration applied exactly once, by one process.
    let counts = db.query(
        "select count(*)::text, count(distinct version)::text, count(distinct by_pid)::text from applied_log",
    );
    assert_eq!(counts[0][0].as_deref(), Some("50"));
    assert_eq!(counts[0][1].as_deref(), Some("50"));
    assert_eq!(
        counts[0][2].as_deref(),
        Some("1"),
        "one process applied them all"
    );
    assert_eq!(versions(&history(&db)), (1..=50).collect::<Vec<i64>>());
    let applied_lines: usize = outs
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.starts_with("applied   "))
                .count()
        })
        .sum();
    assert_eq!(applied_lines, 50);
    // The lock was contended (the winner holds it for about a second) and the waiters said so once.
    let waited: Vec<String> = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stderr).to_string())
        .filter(|e| e.contains("waiting for the migration lock held by pid "))
        .collect();
    assert!(!waited.is_empty());
    for e in &waited {
        assert_eq!(
            e.matches("waiting for the migration lock").count(),
            1,
            "{e}"
        );
    }
    let nothing = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stdout).contains("nothing to apply"))
        .count();
    assert_eq!(nothing, 7);
}

#[test]
fn lock_timeout_exits_3_naming_the_holder() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__a.sql", "create table a (id int);")]);
    // Hold the migration lock from another session, the way deskctl takes it.
    let holder_pid = rt().block_on(async {
        let (client, _h) = deskctl::db::connect_target(&db.target(), None)
            .await
            .unwrap();
        let table = deskctl::config::HistoryTable::default_private();
        let _lock = deskctl::migrate::lock::acquire(&client, &table, Duration::ZERO, |_| {})
            .await
            .unwrap();
        let pid: i32 = client
            .query_one("select pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        let t0 = Instant::now();
        let out = run("migrate", &db, dir.path(), &["--lock-timeout", "0.5"]);
        let took = t0.elapsed();
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(3), "{text}");
        assert!(
            text.contains(&format!("waiting for the migration lock held by pid {pid}")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "gave up waiting for the migration lock held by pid {pid} after 0.5 s"
            )),
            "{text}"
        );
        assert!(took >= Duration::from_millis(500), "{took:?}");
        pid
    });
    assert!(holder_pid > 0);
    // The holder's session ended: the lock is free again.
    let out = run("migrate", &db, dir.path(), &["--lock-timeout", "0"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(versions(&history(&db)), vec![1]);
}

#[test]
fn progress_lines_and_json_document() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__one.sql", "create table one (id int);"),
        ("V2__two.sql", "create table two (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", output_text(&out));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("applied   1 one (") && lines[0].ends_with(" ms)"),
        "{text}"
    );
    assert!(lines[1].starts_with("applied   2 two ("), "{text}");
    assert!(
        lines[2].starts_with("applied 2 migration(s) in ")
            && lines[2].contains("database at version 2"),
        "{text}"
    );

    let db2 = TestDb::new();
    let out = run("migrate", &db2, dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["mode"], "apply");
    assert_eq!(v["database_version"], 2);
    assert_eq!(v["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(v["migrations"][0]["version"], 1);
    assert_eq!(v["migrations"][0]["name"], "one");
    assert_eq!(v["migrations"][0]["outcome"], "applied");
    assert!(v["migrations"][1]["duration_ms"].as_f64().unwrap() > 0.0);
    // Again: nothing to do, still one document.
    let v = json(&run("migrate", &db2, dir.path(), &["--format", "json"]));
    assert_eq!(v["migrations"].as_array().unwrap().len(), 0);
    assert_eq!(v["database_version_before"], 2);
}

#[test]
fn history_table_option_puts_history_where_asked() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__a.sql", "create table a (id int);")]);
    let out = run(
        "migrate",
        &db,
        dir.path(),
        &["--history-table", "ops.Deploys"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(exists(&db, "ops.deploys"));
    assert!(!exists(&db, HISTORY) && !exists(&db, "refinery_schema_history"));
    let out = run(
        "status",
        &db,
        dir.path(),
        &["--history-table", "ops.deploys", "--format", "json"],
    );
    assert_eq!(json(&out)["summary"]["applied"], 1);
    // A name that could inject SQL is refused before anything runs.
    let out = run(
        "migrate",
        &db,
        dir.path(),
        &["--history-table", "x;drop table a"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}

#[test]
fn apply_pending_is_what_verify_calls() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__a.sql", "create table a (id int);"),
        ("V2__b.sql", "create table b (id int);"),
    ]);
    rt().block_on(async {
        let (mut client, _h) = deskctl::db::connect_target(&db.target(), None)
            .await
            .unwrap();
        let table = deskctl::config::HistoryTable::parse("refinery_schema_history").unwrap();
        let s = deskctl::migrate::apply_pending(&mut client, dir.path(), &table)
            .await
            .unwrap();
        assert_eq!(s.applied, vec![(1, "a".to_string()), (2, "b".to_string())]);
        assert_eq!(s.database_version, Some(2));
        let s = deskctl::migrate::apply_pending(&mut client, dir.path(), &table)
            .await
            .unwrap();
        assert!(s.applied.is_empty());
        // Drift is refused with exit code 2.
        std::fs::write(dir.path().join("V1__a.sql"), "create table a (id bigint);").unwrap();
        let e = deskctl::migrate::apply_pending(&mut client, dir.path(), &table)
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    });
}

// §3 ------------------------------------------------------------------------------------------

fn padded(lines_before: usize, tail: &str) -> String {
    let mut s = String::new();
    for i in 1..=lines_before {
        s.push_str(&format!("-- line {i}: é comment\n"));
    }
    s.push_str(tail);
    s
}

#[test]
fn a_statement_failing_on_line_37_is_reported_as_line_37() {
    let db = TestDb::new();
    // Error with a position: line 37, column of `no_such_table`.
    let v2 = padded(
        34,
        "create table partial (id int);\ninsert into partial values (1);\nselect 1, (select count(*) from no_such_table);\n",
    );
    let dir = dir_with(&[
        ("V1__base.sql", "create table base (id int primary key);"),
        ("V2__bad.sql", &v2),
        ("V3__after.sql", "create table after_bad (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains(
            "V2__bad.sql:37:33: relation \"no_such_table\" does not exist (SQLSTATE 42P01)"
        ),
        "{text}"
    );
    assert!(
        text.contains("applied before it in this run: V1__base"),
        "{text}"
    );
    assert!(text.contains("the database stays at version 1"), "{text}");
    // At the last good version: V2's first statements rolled back, V3 not run.
    assert_eq!(versions(&history(&db)), vec![1]);
    assert!(exists(&db, "base"));
    assert!(!exists(&db, "partial"));
    assert!(!exists(&db, "after_bad"));

    // Error without a position (found by counting completed statements), with detail.
    let v2 = padded(36, "  insert into base values (1), (1);\n");
    std::fs::write(dir.path().join("V2__bad.sql"), v2).unwrap();
    let out = run("migrate", &db, dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let v = json(&out);
    let f = &v["failure"];
    assert_eq!(f["line"], 37, "{v:#}");
    assert_eq!(f["column"], 3);
    assert_eq!(f["sqlstate"], "23505");
    assert_eq!(f["detail"], "Key (id)=(1) already exists.");
    assert_eq!(f["statement"], "insert into base values (1), (1);");
    assert_eq!(f["database_version"], 1);

    // A PL/pgSQL DO block: the RAISE on line 37, with its hint and context.
    let v2 = padded(
        33,
        "do $$\nbegin\n  perform 1;\n  raise exception 'boom' using hint = 'fix the data', detail = 'row 7';\nend\n$$;\n",
    );
    std::fs::write(dir.path().join("V2__bad.sql"), v2).unwrap();
    let out = run("migrate", &db, dir.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("V2__bad.sql:37: boom (SQLSTATE P0001)"),
        "{text}"
    );
    assert!(text.contains("detail: row 7"), "{text}");
    assert!(text.contains("hint: fix the data"), "{text}");
    assert!(
        text.contains("context: PL/pgSQL function inline_code_block line 4 at RAISE"),
        "{text}"
    );
    assert_eq!(versions(&history(&db)), vec![1]);
}

// §4 ------------------------------------------------------------------------------------------

#[test]
fn drift_is_refused_naming_file_version_and_what_differs() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__one.sql", "create table one (id int);"),
        ("V2__two.sql", "create table two (id int);"),
        ("V3__three.sql", "create table three (id int);"),
        ("V5__five.sql", "create table five (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let p = dir.path();
    // Content of an applied file changed.
    std::fs::write(p.join("V1__one.sql"), "create table one (id bigint);").unwrap();
    // An applied file renamed (same content).
    std::fs::rename(p.join("V2__two.sql"), p.join("V2__deux.sql")).unwrap();
    // An applied version with no file.
    std::fs::remove_file(p.join("V3__three.sql")).unwrap();
    // A new file below the highest applied version, and a legit new one.
    std::fs::write(p.join("V4__four.sql"), "create table four (id int);").unwrap();
    std::fs::write(p.join("V6__six.sql"), "create table six (id int);").unwrap();
    for extra in [&[][..], &["--dry-run"][..]] {
        let out = run("migrate", &db, p, extra);
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        for needle in [
            "V1__one.sql: version 1 was applied at",
            "but its content changed since",
            "V2__deux.sql: version 2 was applied at",
            "but its name changed (`two` → `deux`) since",
            "version 3 (three) was applied at",
            "has no file in the migrations directory",
            "V4__four.sql: version 4 was never applied but is below the highest applied version 5",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
    }
    assert!(!exists(&db, "six"));
    assert!(!exists(&db, "four"));
    assert_eq!(versions(&history(&db)), vec![1, 2, 3, 5]);
    // status shows the same, in its states.
    let v = json(&run("status", &db, p, &["--format", "json"]));
    let states: Vec<(i64, String)> = v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["version"].as_i64().unwrap(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (1, "divergent".into()),
            (2, "divergent".into()),
            (3, "missing".into()),
            (4, "pending".into()),
            (5, "applied".into()),
            (6, "pending".into())
        ]
    );
    assert_eq!(v["migrations"][3]["out_of_order"], true);
}

// §5 ------------------------------------------------------------------------------------------

#[test]
fn status_never_writes_and_exit_code_is_for_ci() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__one.sql", "create table one (id int);"),
        ("V2__two.sql", "create table two (id int);"),
    ]);
    let out = run("status", &db, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("1        one   pending"), "{text}");
    assert!(text.contains("never migrated"), "{text}");
    let out = run("status", &db, dir.path(), &["--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        !exists(&db, HISTORY) && !exists(&db, "refinery_schema_history"),
        "status created the history table"
    );

    let out = run("migrate", &db, dir.path(), &["--target", "1"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let v = json(&run("status", &db, dir.path(), &["--format", "json"]));
    assert_eq!(v["migrations"][0]["state"], "applied");
    assert!(v["migrations"][0]["applied_on"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert_eq!(v["migrations"][1]["state"], "pending");
    assert_eq!(v["database_version"], 1);
    assert_eq!(
        run("status", &db, dir.path(), &["--exit-code"])
            .status
            .code(),
        Some(1)
    );
    assert!(run("migrate", &db, dir.path(), &[]).status.success());
    assert_eq!(
        run("status", &db, dir.path(), &["--exit-code"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn status_and_migrate_on_an_ephemeral_cluster() {
    let dir = dir_with(&[
        ("V1__one.sql", "create table one (id int);"),
        ("V2__two.sql", "create table two (id int);"),
    ]);
    let out = deskctl()
        .args(["status", "--ephemeral", "--format", "json", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["pending"], 2);
    assert_eq!(v["summary"]["applied"], 0);
    let out = deskctl()
        .args(["migrate", "--no-lint", "--ephemeral", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied 2 migration(s)"));
}

// §6 ------------------------------------------------------------------------------------------

#[test]
fn dry_run_lists_in_order_and_changes_nothing() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V10__ten.sql", "create table ten (id int);"),
        ("V2__two.sql", "create table two (id int);"),
        (
            "V3__three.sql",
            "-- deskctl:no-transaction\ncreate table three (id int);",
        ),
    ]);
    let out = run("migrate", &db, dir.path(), &["--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", output_text(&out));
    let two = text.find("2 two").unwrap();
    let three = text.find("3 three").unwrap();
    let ten = text.find("10 ten").unwrap();
    assert!(two < three && three < ten, "{text}");
    assert!(text.contains("(runs outside a transaction)"), "{text}");
    assert!(
        text.contains("3 migration(s) would be applied; nothing changed"),
        "{text}"
    );
    assert!(!exists(&db, HISTORY) && !exists(&db, "refinery_schema_history"));
    assert!(!exists(&db, "two"));
    let v = json(&run(
        "migrate",
        &db,
        dir.path(),
        &["--dry-run", "--format", "json", "--target", "3"],
    ));
    assert_eq!(v["mode"], "dry_run");
    let listed: Vec<i64> = v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![2, 3]);
    assert!(!exists(&db, HISTORY) && !exists(&db, "refinery_schema_history"));
}

#[test]
fn rehearse_applies_in_one_transaction_and_leaves_nothing() {
    let db = TestDb::new();
    let dir = dir_with(&[
        (
            "V1__one.sql",
            "create table one (id int primary key);\ninsert into one values (1);",
        ),
        (
            "V2__two.sql",
            "create table two (id int references one (id));\ninsert into two select id from one;",
        ),
        (
            "V4__own_tx.sql",
            "begin;\ncreate table four (id int);\ncommit;",
        ),
    ]);
    let out = run("migrate", &db, dir.path(), &["--rehearse"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("rehearsed 1 one ("), "{text}");
    assert!(text.contains("rehearsed 2 two ("), "{text}");
    // Its own BEGIN/COMMIT become savepoints inside the rehearsal's transaction.
    assert!(text.contains("rehearsed 4 own_tx ("), "{text}");
    assert!(
        text.contains("holds its own BEGIN (line 1): rehearsed with savepoints"),
        "{text}"
    );
    assert!(text.contains("rehearsal passed: 3 migration(s)"), "{text}");
    assert!(text.contains("nothing changed"), "{text}");
    for rel in [HISTORY, "refinery_schema_history", "one", "two", "four"] {
        assert!(!exists(&db, rel), "{rel} survived the rehearsal");
    }
    // A statement that cannot run in the rehearsal's transaction: refused before anything is
    // sent, naming file:line and the statement; --target rehearses what comes before it.
    std::fs::write(
        dir.path().join("V3__idx.sql"),
        "-- deskctl:no-transaction\ncreate index concurrently one_id on one (id);",
    )
    .unwrap();
    let out = run("migrate", &db, dir.path(), &["--rehearse"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("refusing to rehearse"), "{text}");
    assert!(
        text.contains("V3__idx.sql:2:1: `create index concurrently one_id on one (id)`"),
        "{text}"
    );
    assert!(text.contains("--target"), "{text}");
    let out = run("migrate", &db, dir.path(), &["--rehearse", "--target", "2"]);
    assert!(out.status.success(), "{}", output_text(&out));
    for rel in ["refinery_schema_history", "one", "two", "four"] {
        assert!(!exists(&db, rel), "{rel} survived the rehearsal");
    }
    std::fs::remove_file(dir.path().join("V3__idx.sql")).unwrap();
    // A failing rehearsal reports the exact failure and still leaves nothing.
    std::fs::write(
        dir.path().join("V2__two.sql"),
        "create table two (id int references one (id));\ninsert into two values (42);",
    )
    .unwrap();
    let out = run("migrate", &db, dir.path(), &["--rehearse"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("rehearsal failed at migration V2__two"),
        "{text}"
    );
    assert!(
        text.contains(
            "V2__two.sql:2:1: insert or update on table \"two\" violates foreign key constraint"
        ),
        "{text}"
    );
    assert!(text.contains("SQLSTATE 23503"), "{text}");
    assert!(
        text.contains("the rehearsal was rolled back; nothing changed"),
        "{text}"
    );
    for rel in [HISTORY, "refinery_schema_history", "one", "two"] {
        assert!(!exists(&db, rel), "{rel} survived the rehearsal");
    }
}

#[test]
fn target_applies_up_to_and_including_v() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__one.sql", "create table one (id int);"),
        ("V2__two.sql", "create table two (id int);"),
        ("V3__three.sql", "create table three (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &["--target", "2"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 pending above --target"), "{text}");
    assert_eq!(versions(&history(&db)), vec![1, 2]);
    assert!(exists(&db, "two") && !exists(&db, "three"));
    let out = run("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(versions(&history(&db)), vec![1, 2, 3]);
}

#[test]
fn baseline_records_without_running_and_refuses_when_history_has_rows() {
    let db = TestDb::new();
    // An existing database built by hand: running V1/V2 again would fail.
    db.exec("create table customers (id int primary key); create table orders (id int);");
    let dir = dir_with(&[
        (
            "V1__customers.sql",
            "create table customers (id int primary key);",
        ),
        ("V2__orders.sql", "create table orders (id int);"),
        ("V3__invoices.sql", "create table invoices (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &["--baseline", "7"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("--baseline 7: no migration file"));

    let out = run("migrate", &db, dir.path(), &["--baseline", "2"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("baselined 2 migration(s) up to version 2"),
        "{text}"
    );
    assert_eq!(versions(&history(&db)), vec![1, 2]);
    assert!(!exists(&db, "invoices"));
    let out = run("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(versions(&history(&db)), vec![1, 2, 3]);
    assert!(exists(&db, "invoices"));

    let out = run("migrate", &db, dir.path(), &["--baseline", "2"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "refusing to baseline: the history table deskctl.refinery_schema_history already has 3 row(s)"
        ),
        "{text}"
    );
}

// §7 ------------------------------------------------------------------------------------------

#[test]
fn no_transaction_file_runs_create_index_concurrently() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__tickets.sql", "create table tickets (id int primary key, tag text);\ninsert into tickets select g, 't' || g from generate_series(1, 1000) g;"),
        (
            "V2__tag_index.sql",
            "-- deskctl:no-transaction\n-- builds without blocking writes\ncreate index concurrently tickets_tag on tickets (tag);\n\nanalyze tickets;\n",
        ),
        ("V3__after.sql", "create table after_idx (id int);"),
    ]);
    let out = run("migrate", &db, dir.path(), &[]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("applied   2 tag_index ("), "{text}");
    assert_eq!(versions(&history(&db)), vec![1, 2, 3]);
    assert_eq!(
        db.scalar(
            "select indisvalid::text from pg_index where indexrelid = 'tickets_tag'::regclass"
        )
        .as_deref(),
        Some("true")
    );
    // Without the marker the file runs in parts, as the Supabase CLI runs it: the statements
    // around the CONCURRENTLY one in transactions, it alone, then the history row.
    let db2 = TestDb::new();
    let plain = dir_with(&[
        (
            "V1__tickets.sql",
            "create table tickets (id int primary key, tag text);",
        ),
        (
            "V2__tag_index.sql",
            "create index concurrently tickets_tag on tickets (tag);",
        ),
    ]);
    let out = run("migrate", &db2, plain.path(), &[]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "ran in parts, as the Supabase CLI runs it: CREATE INDEX CONCURRENTLY (line 1)"
        ),
        "{text}"
    );
    assert_eq!(versions(&history(&db2)), vec![1, 2]);
    assert_eq!(
        db2.scalar(
            "select indisvalid::text from pg_index where indexrelid = 'tickets_tag'::regclass"
        )
        .as_deref(),
        Some("true")
    );
}

#[test]
fn an_invalid_index_left_behind_is_a_failure() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__tickets.sql", "create table tickets (id int, code text);\ninsert into tickets values (1, 'a'), (2, 'a');"),
        (
            "V2__unique_code.sql",
            "-- deskctl:no-transaction\ncreate unique index concurrently tickets_code on tickets (code);\n",
        ),
    ]);
    let out = run("migrate", &db, dir.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("V2__unique_code.sql:2:1: could not create unique index \"tickets_code\" (SQLSTATE 23505)"), "{text}");
    assert!(
        text.contains("INVALID index left behind: public.tickets_code"),
        "{text}"
    );
    assert!(
        text.contains("this file ran outside a transaction"),
        "{text}"
    );
    assert_eq!(versions(&history(&db)), vec![1]);

    // Statements that all succeed but leave an INVALID index: still a failure, not recorded.
    let db2 = TestDb::new();
    let dir2 = dir_with(&[
        ("V1__tickets.sql", "create table tickets (id int, code text);"),
        (
            "V2__broken_index.sql",
            "-- deskctl:no-transaction\ncreate index concurrently tickets_code on tickets (code);\n\
             update pg_index set indisvalid = false where indexrelid = 'tickets_code'::regclass;\n",
        ),
    ]);
    let out = run("migrate", &db2, dir2.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let v = json(&out);
    assert_eq!(v["failure"]["phase"], "invalid_index");
    assert_eq!(v["failure"]["invalid_indexes"][0], "public.tickets_code");
    assert_eq!(versions(&history(&db2)), vec![1]);
}

#[test]
fn a_waiting_migrate_does_not_deadlock_create_index_concurrently_in_the_holder() {
    // The holder sleeps, then builds an index concurrently while a second deskctl waits for the
    // lock. A blocking pg_advisory_lock in the waiter would be a transaction the index build
    // must wait for, while the waiter waits for the holder: a deadlock. Polling is not.
    let db = TestDb::new();
    let dir = dir_with(&[
        (
            "V1__big.sql",
            "create table big (id int, x int);\ninsert into big select g, g % 97 from generate_series(1, 20000) g;",
        ),
        (
            "V2__big_x.sql",
            "-- deskctl:no-transaction\nselect pg_sleep(1.5);\ncreate index concurrently big_x on big (x);\n",
        ),
    ]);
    let bin = assert_cmd::cargo::cargo_bin("deskctl");
    let spawn = || {
        Command::new(&bin)
            .args([
                "migrate",
                "--no-lint",
                "--database-url",
                &db.url,
                "--migrations",
            ])
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let t0 = Instant::now();
    let holder = spawn();
    std::thread::sleep(Duration::from_millis(700));
    let waiter = spawn();
    let holder = holder.wait_with_output().unwrap();
    let waiter = waiter.wait_with_output().unwrap();
    assert!(holder.status.success(), "{}", output_text(&holder));
    assert!(waiter.status.success(), "{}", output_text(&waiter));
    assert!(
        output_text(&waiter).contains("waiting for the migration lock held by pid"),
        "{}",
        output_text(&waiter)
    );
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert_eq!(
        db.scalar("select indisvalid::text from pg_index where indexrelid = 'big_x'::regclass")
            .as_deref(),
        Some("true")
    );
    assert_eq!(versions(&history(&db)), vec![1, 2]);
}

// §8 ------------------------------------------------------------------------------------------

#[test]
fn new_writes_the_next_file_and_never_overwrites() {
    let dir = dir_with(&[("V1__one.sql", "select 1;"), ("V2__two.sql", "select 2;")]);
    let out = deskctl()
        .args(["new", "add_ticket_tags", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let p = dir.path().join("V3__add_ticket_tags.sql");
    let body = std::fs::read_to_string(&p).unwrap();
    assert!(
        body.starts_with("-- V3__add_ticket_tags.sql\n-- Created by deskctl new at "),
        "{body}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("V3__add_ticket_tags.sql"));

    // Supabase layout: a UTC timestamp version.
    let supa = dir_with(&[("20251204000000_live_chat_support_system.sql", "select 1;")]);
    let before = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day][hour][minute][second]"
        ))
        .unwrap();
    let out = deskctl()
        .args(["new", "add_ticket_tags", "--migrations"])
        .arg(supa.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let created: Vec<String> = std::fs::read_dir(supa.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("_add_ticket_tags.sql"))
        .collect();
    assert_eq!(created.len(), 1);
    let stamp: i64 = created[0][..14].parse().unwrap();
    assert!(stamp >= before.parse::<i64>().unwrap(), "{created:?}");

    // Bad names, and a path that is already taken: exit 2, nothing overwritten.
    for bad in ["add-tags", "1st", "drop table x"] {
        let out = deskctl()
            .args(["new", bad, "--migrations"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", output_text(&out));
    }
    std::fs::create_dir(dir.path().join("V4__taken.sql")).unwrap();
    let out = deskctl()
        .args(["new", "taken", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("already exists; deskctl new never overwrites"));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), body);
}

// §9: a killed deskctl ------------------------------------------------------------------------

#[test]
fn kill_9_during_a_long_migration_then_a_rerun_completes() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__setup.sql", "create sequence attempts;\ncreate table one (id int);"),
        (
            // Sleeps only on the first attempt (sequences are not transactional).
            "V2__slow.sql",
            "create table slow_a (id int);\nselect pg_sleep(case when nextval('attempts') = 1 then 60 else 0 end);\ncreate table slow_b (id int);",
        ),
        ("V3__after.sql", "create table after_slow (id int);"),
    ]);
    let mut child = spawn_migrate(&db, dir.path());
    db.wait_sessions(
        "query like '%pg_sleep(case%' and state = 'active'",
        1,
        "the slow migration never started",
    );
    sigkill(&mut child);
    assert_eq!(versions(&history(&db)), vec![1]);

    let t1 = Instant::now();
    let out = run("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    // The orphaned backend noticed its client was gone (client_connection_check_interval)
    // instead of sleeping out its 60 s while holding the lock.
    assert!(t1.elapsed() < Duration::from_secs(20), "{:?}", t1.elapsed());
    assert_eq!(versions(&history(&db)), vec![1, 2, 3]);
    for rel in ["one", "slow_a", "slow_b", "after_slow"] {
        assert!(
            exists(&db, rel),
            "{rel} missing: history and schema disagree"
        );
    }
}

// Safety details ------------------------------------------------------------------------------

#[test]
fn an_int4_history_table_is_refused_for_big_versions() {
    let db = TestDb::new();
    // A history table created by refinery without int8-versions.
    db.exec(
        "create table refinery_schema_history (version int4 primary key, name varchar(255), applied_on varchar(255), checksum varchar(255))",
    );
    let dir = dir_with(&[("20251204000000_init.sql", "create table init (id int);")]);
    let out = run("migrate", &db, dir.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("too small for version 20251204000000"),
        "{text}"
    );
    assert!(text.contains("alter column version type bigint"), "{text}");
    assert!(!exists(&db, "init"));
}
