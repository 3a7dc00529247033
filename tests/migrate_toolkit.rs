//! The operators' migration toolkit against a real PostgreSQL (issue 16): `deskctl lint` (pending
//! files only when a database is given, formats, suppression, `[lint] disable`) and the lint gate
//! of `migrate`.

use std::path::Path;
use std::process::Output;

use crate::common::{deskctl, output_text, TestDb};

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

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
