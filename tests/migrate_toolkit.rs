//! The operators' migration toolkit against a real PostgreSQL (issue 16): `deskctl lint` (pending
//! files only when a database is given, formats, suppression, `[lint] disable`) and the lint gate
//! of `migrate`; repeatable migrations (`R__name.sql`); history repair; out-of-order; --dump.

use std::path::Path;
use std::process::Output;

use crate::common::{deskctl, deskctl_bg, dir_with, output_text, spawn_migrate, TestDb};

fn with_db(cmd: &str, db: &TestDb, dir: &Path, extra: &[&str]) -> Output {
    deskctl()
        .arg(cmd)
        .args(["--database-url", &db.url, "--migrations"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn history_rows(db: &TestDb) -> usize {
    // deskctl's default history table lives in the private schema `deskctl`.
    let table = "deskctl.refinery_schema_history";
    let exists = db.scalar(&format!(
        "select (to_regclass('{table}') is not null)::text"
    ));
    if exists.as_deref() != Some("true") {
        return 0;
    }
    db.scalar(&format!("select count(*)::text from {table}"))
        .unwrap()
        .parse()
        .unwrap()
}

const V1: &str = "create table notes (id int primary key, body text);\n";
const V2: &str =
    "create index notes_body on notes (body);\nalter table notes add column owner uuid not null;\n";

// §1 lint ------------------------------------------------------------------------------------

#[test]
fn lint_without_a_database_checks_every_file_and_exits_1_on_errors() {
    let dir = dir_with(&[("V1__notes.sql", V1), ("V2__more.sql", V2)]);
    let out = deskctl()
        .arg("lint")
        .arg("--migrations")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = stdout(&out);
    let v1 = dir.path().join("V1__notes.sql");
    assert!(
        text.contains(&format!(
            "{}:1:1 table-without-rls (error) table public.notes",
            v1.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("  fix: ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;"),
        "{text}"
    );
    // notes is created by the set, so V2's index and NOT NULL column are not about an existing table.
    assert!(!text.contains("index-not-concurrently"), "{text}");
    assert!(!text.contains("add-not-null-column"), "{text}");
    assert!(
        text.ends_with("1 error, 0 warnings in 2 migration files\n"),
        "{text}"
    );
}

#[test]
fn lint_with_a_database_checks_only_pending_files() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__notes.sql", V1)]);
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert!(out.status.success(), "{}", output_text(&out));
    std::fs::write(dir.path().join("V2__more.sql"), V2).unwrap();
    let out = with_db("lint", &db, dir.path(), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // V1 is applied: not linted. notes existed before the pending set: both V2 rules fire.
    assert!(!text.contains("table-without-rls"), "{text}");
    assert!(
        text.contains("V2__more.sql:1:1 index-not-concurrently (warning)"),
        "{text}"
    );
    assert!(text.contains("V2__more.sql:2:1 add-not-null-column (error) column owner is added to existing table public.notes"), "{text}");
    assert!(
        text.ends_with("1 error, 1 warning in 1 pending file\n"),
        "{text}"
    );
    // --all lints everything again, as if nothing were applied.
    let all = stdout(&with_db("lint", &db, dir.path(), &["--all"]));
    assert!(all.contains("table-without-rls"), "{all}");
    // --fail-on warn after fixing the error: the warning alone fails.
    std::fs::write(
        dir.path().join("V2__more.sql"),
        "create index notes_body on notes (body);\n",
    )
    .unwrap();
    assert_eq!(with_db("lint", &db, dir.path(), &[]).status.code(), Some(0));
    assert_eq!(
        with_db("lint", &db, dir.path(), &["--fail-on", "warn"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn lint_formats_json_sarif_and_github() {
    let dir = dir_with(&[(
        "V1__a.sql",
        "create table api_keys (id int, secret text);\ngrant select on api_keys to anon;\n",
    )]);
    let run = |fmt: &str| {
        deskctl()
            .args(["lint", "--format", fmt, "--migrations"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let j = run("json");
    assert_eq!(j.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["table-without-rls", "sensitive-table-public-access"]
    );
    assert_eq!(v["findings"][1]["line"], 2);
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["exit_code"], 1);

    let s: serde_json::Value = serde_json::from_slice(&run("sarif").stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );

    let g = stdout(&run("github"));
    let first = g.lines().next().unwrap();
    assert!(first.starts_with("::error file="), "{g}");
    assert!(
        first.contains(",line=1,col=1,title=deskctl lint table-without-rls::"),
        "{g}"
    );
}

#[test]
fn suppression_comments_and_disabled_rules() {
    let dir = dir_with(&[(
        "V1__a.sql",
        "-- deskctl:allow table-without-rls\ncreate table lookup (id int);\n\
alter table other disable row level security; -- deskctl:allow rls-disabled\n\
create index on other (a);\n",
    )]);
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = cfg_dir.path().join("deskctl.toml");
    let lint = |extra: &[&str]| {
        deskctl()
            .arg("lint")
            .args(extra)
            .arg("--migrations")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = lint(&[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("index-not-concurrently"), "{text}");
    assert!(
        text.ends_with(
            "0 errors, 1 warning in 1 migration file (2 suppressed by -- deskctl:allow)\n"
        ),
        "{text}"
    );

    std::fs::write(&cfg, "[lint]\ndisable = [\"index-not-concurrently\"]\n").unwrap();
    let out = lint(&["--config", cfg.to_str().unwrap()]);
    assert!(
        stdout(&out).starts_with("no problems in 1 migration file"),
        "{}",
        output_text(&out)
    );

    std::fs::write(&cfg, "[lint]\ndisable = [\"index-not-concurently\"]\n").unwrap();
    let out = lint(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("did you mean `index-not-concurrently`"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn a_file_that_does_not_parse_is_a_lint_error_at_its_line() {
    let dir = dir_with(&[("V1__a.sql", "select 1;\n\ncreate tabel t ();\n")]);
    let out = deskctl()
        .args(["lint", "--migrations"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("V1__a.sql:3:8 syntax-error (error)"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn migrate_lints_pending_files_first_and_stops_on_errors_before_any_change() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__notes.sql", V1)]);
    let out = with_db("migrate", &db, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("table-without-rls (error)"), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(err.contains("--no-lint"), "{err}");
    assert_eq!(history_rows(&db), 0);
    assert_eq!(
        db.scalar("select (to_regclass('notes') is null)::text")
            .as_deref(),
        Some("true")
    );

    // JSON: the findings in the document, still nothing applied.
    let out = with_db("migrate", &db, dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["command"], "migrate");
    assert_eq!(v["ok"], false);
    assert_eq!(v["findings"][0]["rule"], "table-without-rls");

    // Fixed: applies. A warning on a later pending file is shown and does not stop.
    std::fs::write(
        dir.path().join("V1__notes.sql"),
        format!("{V1}alter table notes enable row level security;\n"),
    )
    .unwrap();
    let out = with_db("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    std::fs::write(
        dir.path().join("V2__idx.sql"),
        "create index on notes (body);\n",
    )
    .unwrap();
    let out = with_db("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("V2__idx.sql:1:1 index-not-concurrently (warning)"));
    assert_eq!(history_rows(&db), 2);
}

#[test]
fn migrate_leaves_syntax_errors_to_the_server_and_no_lint_skips_the_gate() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__bad.sql", "select 1;\ncreate tabel t ();\n")]);
    let out = with_db("migrate", &db, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("syntax error"),
        "{}",
        output_text(&out)
    );

    let db = TestDb::new();
    let dir = dir_with(&[("V1__notes.sql", V1)]);
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(history_rows(&db), 1);
}

// §2 repair -----------------------------------------------------------------------------------

fn history(db: &TestDb) -> Vec<(String, String, String)> {
    db.query("select version::text, name, checksum from deskctl.refinery_schema_history order by version")
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap(),
                r[1].clone().unwrap(),
                r[2].clone().unwrap(),
            )
        })
        .collect()
}

fn log_rows(db: &TestDb) -> Vec<(String, String, Option<String>, Option<String>)> {
    db.query("select action, version::text, checksum_before, note from deskctl.refinery_schema_history_log order by id")
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap(), r[2].clone(), r[3].clone()))
        .collect()
}

#[test]
fn repair_applied_reverted_and_rechecksum_change_the_history_and_are_logged() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__a.sql", "create table a (id int);\n"),
        ("V2__b.sql", "create table b (id int);\n"),
        ("V3__c.sql", "create table c (id int);\n"),
    ]);
    let hist = |extra: &[&str]| {
        deskctl()
            .arg("history")
            .args(extra)
            .args(["--database-url", &db.url, "--migrations"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    // --applied on a fresh database: the history table is created, nothing is run.
    let out = hist(&["repair", "--applied", "1", "2", "--note", "adopted by hand"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = stdout(&out);
    assert!(
        text.contains("marked version 1 (a) as applied without running"),
        "{text}"
    );
    assert!(
        text.contains("recorded 2 change(s) in deskctl.refinery_schema_history_log"),
        "{text}"
    );
    assert_eq!(history(&db).len(), 2);
    assert_eq!(
        db.scalar("select (to_regclass('a') is null)::text")
            .as_deref(),
        Some("true")
    );
    // Applying again changes nothing, and says so.
    let text = stdout(&hist(&["repair", "--applied", "1"]));
    assert!(
        text.contains("version 1 (a) is already in the history"),
        "{text}"
    );
    // migrate now runs only V3.
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("applied 1 migration(s)"),
        "{}",
        output_text(&out)
    );

    // A deliberate edit of V2: migrate refuses naming rechecksum; rechecksum accepts it.
    std::fs::write(
        dir.path().join("V2__b.sql"),
        "-- b, documented\ncreate table b (id int);\n",
    )
    .unwrap();
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        output_text(&out).contains("deskctl history rechecksum 2"),
        "{}",
        output_text(&out)
    );
    let before = history(&db)[1].2.clone();
    let out = hist(&["rechecksum", "2"]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("version 2: checksum {before} → ")),
        "{text}"
    );
    assert_ne!(history(&db)[1].2, before);
    assert!(with_db("migrate", &db, dir.path(), &["--no-lint"])
        .status
        .success());

    // --reverted removes the row (not the table); a missing file's row is how drift is repaired.
    std::fs::remove_file(dir.path().join("V3__c.sql")).unwrap();
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert!(
        output_text(&out).contains("deskctl history repair --reverted 3"),
        "{}",
        output_text(&out)
    );
    let text = stdout(&hist(&["repair", "--reverted", "3"]));
    assert!(text.contains("removed version 3 (c"), "{text}");
    assert_eq!(history(&db).len(), 2);
    assert_eq!(
        db.scalar("select (to_regclass('c') is not null)::text")
            .as_deref(),
        Some("true")
    );
    assert!(with_db("migrate", &db, dir.path(), &["--no-lint"])
        .status
        .success());

    let log = log_rows(&db);
    let actions: Vec<&str> = log.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "repair-applied",
            "repair-applied",
            "rechecksum",
            "repair-reverted"
        ]
    );
    assert_eq!(log[0].3.as_deref(), Some("adopted by hand"));
    assert_eq!(log[2].2.as_deref(), Some(before.as_str()));
    // The log is not readable by the API roles' PUBLIC.
    assert_eq!(
        db.scalar(
            "select has_table_privilege('public', 'deskctl.refinery_schema_history_log', 'select')::text"
        ),
        Some("false".into())
    );
    // Bad input: a version with no file.
    let out = hist(&["repair", "--applied", "9"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        output_text(&out).contains("--applied 9: no migration file"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn repair_refuses_while_a_migration_holds_the_lock() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__slow.sql", "select pg_sleep(3);\n")]);
    let mut child = spawn_migrate(&db, dir.path());
    // Wait until the migration is running (its sleep is visible).
    db.wait_sessions(
        "query like '%select pg_sleep(3)%'",
        1,
        "migration never started",
    );
    let out = deskctl()
        .args([
            "history",
            "repair",
            "--applied",
            "1",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("while a migration is running"),
        "{}",
        output_text(&out)
    );
    assert!(child.wait().unwrap().success());
    assert_eq!(history(&db).len(), 1);
}

// §3 out of order -----------------------------------------------------------------------------

#[test]
fn out_of_order_is_refused_by_default_and_applied_with_the_flag() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__a.sql", "create table a (id int);\n"),
        ("V3__c.sql", "create table c (id int);\n"),
    ]);
    assert!(with_db("migrate", &db, dir.path(), &["--no-lint"])
        .status
        .success());
    std::fs::write(
        dir.path().join("V2__late.sql"),
        "create table late (id int);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("V4__d.sql"), "create table d (id int);\n").unwrap();
    let out = with_db("migrate", &db, dir.path(), &["--no-lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        output_text(&out).contains("deskctl migrate --out-of-order"),
        "{}",
        output_text(&out)
    );
    assert_eq!(history(&db).len(), 2);

    let out = with_db("migrate", &db, dir.path(), &["--no-lint", "--out-of-order"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = stdout(&out);
    let listed = text
        .find("out of order: 1 pending version(s) below the highest applied version 3")
        .unwrap();
    let applied_late = text.find("applied   2 late").unwrap();
    let applied_4 = text.find("applied   4 d").unwrap();
    assert!(listed < applied_late && applied_late < applied_4, "{text}");
    assert!(text.contains("applied 2 migration(s)"), "{text}");
    let versions: Vec<String> = history(&db).into_iter().map(|h| h.0).collect();
    assert_eq!(versions, ["1", "2", "3", "4"]);
    assert_eq!(
        db.scalar("select (to_regclass('late') is not null)::text")
            .as_deref(),
        Some("true")
    );
}

#[test]
fn out_of_order_still_refuses_other_drift_and_stops_on_a_failing_late_file() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__a.sql", "create table a (id int);\n"),
        ("V3__c.sql", "select 3;\n"),
    ]);
    assert!(with_db("migrate", &db, dir.path(), &["--no-lint"])
        .status
        .success());
    std::fs::write(
        dir.path().join("V2__late.sql"),
        "select 1;\nselect * from nowhere;\n",
    )
    .unwrap();
    let out = with_db("migrate", &db, dir.path(), &["--no-lint", "--out-of-order"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("V2__late.sql:2:15"),
        "{}",
        output_text(&out)
    );
    assert_eq!(history(&db).len(), 2);
    std::fs::write(dir.path().join("V2__late.sql"), "select 1;\n").unwrap();
    std::fs::write(
        dir.path().join("V1__a.sql"),
        "create table a (id bigint);\n",
    )
    .unwrap();
    let out = with_db("migrate", &db, dir.path(), &["--no-lint", "--out-of-order"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("V1__a.sql: version 1 was applied"),
        "{}",
        output_text(&out)
    );
    assert_eq!(history(&db).len(), 2);
}

#[test]
fn migrate_dump_writes_the_schema_after_an_applying_run_only() {
    let db = TestDb::new();
    let dir = dir_with(&[(
        "V1__dumped.sql",
        "create table dumped_t (id int primary key);\nalter table dumped_t enable row level security;\ncreate policy dumped_p on dumped_t for select using (id > 0);\n",
    )]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("schema.sql");
    let f = file.to_str().unwrap();
    // Refused before anything runs: a rehearsal writes no dump, and a dump among the
    // migrations would be read as a migration next time.
    for (extra, why) in [
        (vec!["--dry-run", "--dump", f], "cannot be used with"),
        (vec!["--rehearse", "--dump", f], "cannot be used with"),
    ] {
        let mut args = vec!["--no-lint"];
        args.extend(extra);
        let o = with_db("migrate", &db, dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
        assert!(output_text(&o).contains(why), "{}", output_text(&o));
    }
    let inside = dir.path().join("schema.sql");
    let o = with_db(
        "migrate",
        &db,
        dir.path(),
        &["--no-lint", "--dump", inside.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("inside the migrations directory"),
        "{}",
        output_text(&o)
    );
    assert!(!file.exists() && !inside.exists());
    assert_eq!(
        history_rows(&db),
        0,
        "nothing may be applied when the dump path is refused"
    );

    let o = with_db("migrate", &db, dir.path(), &["--no-lint", "--dump", f]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(stdout(&o).contains("schema written to"), "{}", stdout(&o));
    let first = std::fs::read_to_string(&file).unwrap();
    for want in [
        "CREATE TABLE public.dumped_t",
        "ALTER TABLE public.dumped_t ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY dumped_p ON public.dumped_t FOR SELECT USING ((id > 0))",
    ] {
        assert!(first.contains(want), "missing {want:?} in:\n{first}");
    }
    // Nothing pending: the same schema gives the same file, byte for byte (no random key).
    let o = with_db("migrate", &db, dir.path(), &["--no-lint", "--dump", f]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

// §2 repeatable migrations --------------------------------------------------------------------

/// `with_db` run from inside `dir`: without this repository's deskctl.toml (its Supabase
/// preset would be installed into every rehearsal, racing other tests for cluster-wide roles).
fn rep(cmd: &str, db: &TestDb, dir: &Path, extra: &[&str]) -> Output {
    deskctl()
        .current_dir(dir)
        .arg(cmd)
        .args(["--database-url", &db.url, "--migrations"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

/// The repeatables' history: (name, runs).
fn repeatable_rows(db: &TestDb) -> Vec<(String, String)> {
    let t = "deskctl.refinery_schema_history_repeatable";
    if db
        .scalar(&format!("select (to_regclass('{t}') is not null)::text"))
        .as_deref()
        != Some("true")
    {
        return Vec::new();
    }
    db.query(&format!("select name, runs::text from {t} order by name"))
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect()
}

/// How many times each repeatable's body ran (each inserts its name into rep_runs).
fn body_runs(db: &TestDb, name: &str) -> usize {
    db.scalar(&format!(
        "select count(*)::text from rep_runs where name = '{name}'"
    ))
    .unwrap()
    .parse()
    .unwrap()
}

const REP_BASE: &str = "create table rep_runs (name text);\nalter table rep_runs enable row level security;\n\
create table notes (id int primary key, body text);\nalter table notes enable row level security;\n";
/// R__b_view uses the function R__a_func creates: it only works in name order.
const REP_A: &str = "create or replace function notes_count() returns bigint language sql stable security invoker as 'select count(*) from notes';\n\
insert into rep_runs values ('a_func');\n";
const REP_B: &str =
    "create or replace view notes_v with (security_invoker = true) as select notes_count() as n;\n\
insert into rep_runs values ('b_view');\n";

#[test]
fn repeatables_run_after_versioned_in_name_order_and_again_only_when_changed() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__base.sql", REP_BASE),
        ("R__b_view.sql", REP_B),
        ("R__a_func.sql", REP_A),
    ]);
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = stdout(&out);
    let v1 = text.find("applied   1 base").unwrap();
    let a = text.find("applied   R__a_func").unwrap();
    let b = text.find("applied   R__b_view").unwrap();
    assert!(v1 < a && a < b, "{text}");
    assert!(
        text.contains("applied 1 migration(s) and 2 repeatable(s)"),
        "{text}"
    );
    // refinery's table holds versions only; the repeatables have their own.
    assert_eq!(history_rows(&db), 1);
    assert_eq!(
        repeatable_rows(&db),
        [("a_func".into(), "1".into()), ("b_view".into(), "1".into())]
    );
    assert_eq!(
        db.scalar("select n::text from notes_v").as_deref(),
        Some("0")
    );

    // Unchanged: nothing runs again.
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        stdout(&out).contains("nothing to apply"),
        "{}",
        stdout(&out)
    );
    assert_eq!((body_runs(&db, "a_func"), body_runs(&db, "b_view")), (1, 1));

    // Edited: pending (not drift), shown by status, re-applied exactly once.
    std::fs::write(
        dir.path().join("R__b_view.sql"),
        REP_B.replace("as n", "as n, 1 as one"),
    )
    .unwrap();
    let st = rep("status", &db, dir.path(), &["--exit-code"]);
    let st_text = stdout(&st);
    assert_eq!(st.status.code(), Some(1), "{st_text}");
    assert!(
        st_text.contains("R        a_func  applied at "),
        "{st_text}"
    );
    assert!(
        st_text.contains("R        b_view  pending (changed since applied at "),
        "{st_text}"
    );
    assert!(
        st_text.contains("1 migration(s): 1 applied, 0 pending; 2 repeatable(s): 1 applied, 1 pending; database at version 1"),
        "{st_text}"
    );
    let out = rep("migrate", &db, dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["migrations"];
    assert_eq!(m.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(m[0]["name"], "b_view");
    assert_eq!(m[0]["repeatable"], true);
    assert!(m[0]["version"].is_null(), "{v}");
    assert_eq!((body_runs(&db, "a_func"), body_runs(&db, "b_view")), (1, 2));
    assert_eq!(repeatable_rows(&db)[1], ("b_view".into(), "2".into()));
    assert_eq!(
        db.scalar("select one::text from notes_v").as_deref(),
        Some("1")
    );
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(
        stdout(&out).contains("nothing to apply"),
        "{}",
        stdout(&out)
    );
    assert_eq!(body_runs(&db, "b_view"), 2);
    let st = rep(
        "status",
        &db,
        dir.path(),
        &["--exit-code", "--format", "json"],
    );
    assert_eq!(st.status.code(), Some(0), "{}", output_text(&st));
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v["repeatables"][1]["state"], "applied");
    assert_eq!(v["repeatables"][1]["runs"], 2);
    assert_eq!(v["summary"]["repeatable_applied"], 2);

    // Removed: reported (with the way to forget it), not an error, not undone.
    std::fs::remove_file(dir.path().join("R__b_view.sql")).unwrap();
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("repeatable migration R__b_view was applied (last at ")
            && err.contains(
                "delete from deskctl.refinery_schema_history_repeatable where name = 'b_view'"
            ),
        "{err}"
    );
    assert_eq!(
        db.scalar("select (to_regclass('notes_v') is not null)::text")
            .as_deref(),
        Some("true")
    );
    let st = rep("status", &db, dir.path(), &["--exit-code"]);
    assert_eq!(st.status.code(), Some(0), "{}", output_text(&st));
    assert!(
        stdout(&st).contains("R        b_view  removed (applied at "),
        "{}",
        stdout(&st)
    );
}

#[test]
fn a_failing_repeatable_is_rolled_back_and_reported_at_file_line_col() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__base.sql", REP_BASE),
        ("R__a_func.sql", REP_A),
        (
            "R__b_bad.sql",
            "create table half_done (id int);\nselect 1 from no_such_table;\n",
        ),
        ("R__c_after.sql", "create table never_reached (id int);\n"),
    ]);
    let out = rep("migrate", &db, dir.path(), &["--no-lint"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = output_text(&out);
    let file = dir.path().join("R__b_bad.sql");
    assert!(
        text.contains(&format!(
            "migration R__b_bad failed: {}:2:15: relation \"no_such_table\" does not exist (SQLSTATE 42P01)",
            file.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("applied before it in this run: V1__base, R__a_func"),
        "{text}"
    );
    assert!(
        text.contains(
            "the database stays at version 1; this repeatable's transaction was rolled back"
        ),
        "{text}"
    );
    // V1 and R__a stay applied; R__b left nothing; R__c never ran.
    assert_eq!(history_rows(&db), 1);
    assert_eq!(repeatable_rows(&db), [("a_func".into(), "1".into())]);
    for t in ["half_done", "never_reached"] {
        assert_eq!(
            db.scalar(&format!("select (to_regclass('{t}') is null)::text"))
                .as_deref(),
            Some("true"),
            "{t}"
        );
    }
    // JSON names the failure as a repeatable.
    let out = rep(
        "migrate",
        &db,
        dir.path(),
        &["--no-lint", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failure"]["repeatable"], true, "{v}");
    assert_eq!(v["failure"]["line"], 2);
    // Fixed: only the pending ones run.
    std::fs::write(&file, "create table half_done (id int);\n").unwrap();
    let out = rep("migrate", &db, dir.path(), &["--no-lint"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        stdout(&out).contains("applied 0 migration(s) and 2 repeatable(s)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(body_runs(&db, "a_func"), 1);
}

#[test]
fn dry_run_and_rehearse_cover_repeatables_and_change_nothing() {
    let db = TestDb::new();
    let dir = dir_with(&[("V1__base.sql", REP_BASE), ("R__a_func.sql", REP_A)]);
    let out = rep("migrate", &db, dir.path(), &["--dry-run"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = stdout(&out);
    assert!(text.contains("  R__a_func  "), "{text}");
    assert!(
        text.contains("dry run: 1 migration(s) and 1 repeatable(s) would be applied"),
        "{text}"
    );
    let out = rep("migrate", &db, dir.path(), &["--rehearse"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let text = stdout(&out);
    assert!(text.contains("rehearsed R__a_func"), "{text}");
    assert!(
        text.contains("rehearsal passed: 1 migration(s) and 1 repeatable(s)"),
        "{text}"
    );
    let nothing = "select (to_regclass('rep_runs') is null and to_regclass('deskctl.refinery_schema_history') is null \
        and to_regclass('deskctl.refinery_schema_history_repeatable') is null \
        and to_regprocedure('notes_count()') is null)::text";
    assert_eq!(db.scalar(nothing).as_deref(), Some("true"));

    // The lint gate covers pending repeatables too.
    std::fs::write(
        dir.path().join("R__z_table.sql"),
        "create table z_open (id int);\n",
    )
    .unwrap();
    let out = rep("migrate", &db, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("R__z_table.sql:1:1 table-without-rls"),
        "{}",
        output_text(&out)
    );
    assert_eq!(db.scalar(nothing).as_deref(), Some("true"));
    std::fs::remove_file(dir.path().join("R__z_table.sql")).unwrap();

    // --target below pending versions: repeatables wait for the run that applies them.
    std::fs::write(
        dir.path().join("V2__more.sql"),
        "alter table notes add column extra int;\n",
    )
    .unwrap();
    let out = rep("migrate", &db, dir.path(), &["--target", "1"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("1 pending repeatable migration(s) not applied"),
        "{}",
        output_text(&out)
    );
    assert!(repeatable_rows(&db).is_empty());
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(repeatable_rows(&db), [("a_func".into(), "1".into())]);

    // A rehearsal of a changed repeatable that fails: exact position, nothing changed.
    std::fs::write(
        dir.path().join("R__a_func.sql"),
        format!("{REP_A}select nope from notes;\n"),
    )
    .unwrap();
    let out = rep("migrate", &db, dir.path(), &["--rehearse"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("rehearsal failed at migration R__a_func: "),
        "{text}"
    );
    assert!(
        text.contains("R__a_func.sql:3:8: column \"nope\" does not exist"),
        "{text}"
    );
    assert_eq!(body_runs(&db, "a_func"), 1);
    assert_eq!(repeatable_rows(&db), [("a_func".into(), "1".into())]);
}

#[test]
fn supabase_layout_reads_repeatables_from_the_repeatable_directory() {
    let db = TestDb::new();
    let root = tempfile::tempdir().unwrap();
    let migrations = root.path().join("supabase/migrations");
    let repeatable = root.path().join("supabase/repeatable");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::create_dir_all(&repeatable).unwrap();
    std::fs::write(migrations.join("20240101000000_base.sql"), REP_BASE).unwrap();
    // The Supabase CLI skips anything else in supabase/migrations; so does deskctl, with a hint.
    std::fs::write(migrations.join("R__misplaced.sql"), "select 1;\n").unwrap();
    std::fs::write(repeatable.join("R__a_func.sql"), REP_A).unwrap();
    std::fs::write(repeatable.join("README.md"), "not sql").unwrap();
    let out = rep("migrate", &db, &migrations, &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Skipping migration R__misplaced.sql... (file name must match pattern \"<timestamp>_name.sql\"; deskctl reads the repeatable migrations of a Supabase project from"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("applied   R__a_func"),
        "{}",
        stdout(&out)
    );
    assert_eq!(repeatable_rows(&db), [("a_func".into(), "1".into())]);
    // The Supabase CLI's history holds the versioned migration only.
    assert_eq!(
        db.scalar("select string_agg(version, ',') from supabase_migrations.schema_migrations")
            .as_deref(),
        Some("20240101000000")
    );
    let st = rep("status", &db, &migrations, &[]);
    assert!(
        stdout(&st).contains("a_func  applied at "),
        "{}",
        stdout(&st)
    );
    // Any other .sql file there is refused before connecting, naming it.
    std::fs::write(repeatable.join("views.sql"), "select 1;\n").unwrap();
    let out = rep("migrate", &db, &migrations, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains(
            "views.sql: files here are repeatable migrations and must be named R__{name}.sql"
        ),
        "{}",
        output_text(&out)
    );
}

#[test]
fn repeatables_run_under_the_migration_lock_and_honour_no_transaction() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__base.sql", REP_BASE),
        (
            "R__slow.sql",
            // Long enough that the second run, started once this sleep is seen, still finds the
            // lock held on a loaded machine (2 s was seen to be too short).
            "select pg_sleep(5);\ninsert into rep_runs values ('slow');\n",
        ),
        (
            "R__t_index.sql",
            "-- deskctl:no-transaction\ncreate index concurrently if not exists notes_body_idx on notes (body);\ninsert into rep_runs values ('t_index');\n",
        ),
    ]);
    let mut child = deskctl_bg()
        .current_dir(dir.path())
        .args(["migrate", "--database-url", &db.url, "--migrations"])
        .arg(dir.path())
        .spawn()
        .unwrap();
    // Wait until the first run is inside the repeatable (its sleep is visible).
    db.wait_sessions(
        "query like '%select pg_sleep(5)%'",
        1,
        "the repeatable never started",
    );
    let out = rep("migrate", &db, dir.path(), &["--lock-timeout", "0.5"]);
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("gave up waiting for the migration lock held by pid"),
        "{}",
        output_text(&out)
    );
    assert!(child.wait().unwrap().success());
    assert_eq!((body_runs(&db, "slow"), body_runs(&db, "t_index")), (1, 1));
    assert_eq!(
        repeatable_rows(&db),
        [("slow".into(), "1".into()), ("t_index".into(), "1".into())]
    );
    // The no-transaction repeatable ran outside a transaction: its index is built and valid.
    assert_eq!(
        db.scalar(
            "select indisvalid::text from pg_index where indexrelid = 'notes_body_idx'::regclass"
        )
        .as_deref(),
        Some("true")
    );
    let out = rep("migrate", &db, dir.path(), &[]);
    assert!(
        stdout(&out).contains("nothing to apply"),
        "{}",
        output_text(&out)
    );
}
