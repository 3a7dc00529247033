//! Issue 15's shorter-check-files points against real PostgreSQL: `verify --only / --skip`,
//! `deskctl schema`, `deskctl init`.

use serde_json::Value;

use crate::common::{deskctl, output_text, repo};
use crate::lint::migrated;

#[test]
fn verify_only_and_skip() {
    let db = migrated(&repo().join("migrations"));
    let run = |extra: &[&str]| {
        deskctl()
            .args(["verify", "--database-url", &db.url, "--format", "json"])
            .arg(repo().join("checks"))
            .args(extra)
            .output()
            .unwrap()
    };
    let kinds = |out: &std::process::Output| -> Vec<(String, String)> {
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", output_text(out)));
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().into(),
                    r["kind"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let all = kinds(&run(&[]));
    let out = run(&["--only", "rls,policies"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let got = kinds(&out);
    let want: Vec<_> = all
        .iter()
        .filter(|(_, k)| k == "rls" || k == "policies")
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(got.len() >= 4);
    let out = run(&["--only", "scenario-*", "--skip", "scenario-admin-*"]);
    let got = kinds(&out);
    let want: Vec<_> = all
        .iter()
        .filter(|(id, _)| id.starts_with("scenario-") && !id.starts_with("scenario-admin-"))
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(!got.is_empty());
    let out = run(&["--skip", "no-such-*"]);
    assert_eq!(kinds(&out).len(), all.len());
    assert!(output_text(&out).contains("warning: --skip no-such-* matches no check id or kind"));
    let out = run(&["--only", "rls-chat-table"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("did you mean rls-chat-tables?"),
        "{}",
        output_text(&out)
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// `init` writes a project `verify --ephemeral` passes, then refuses to overwrite it.
fn init_then_verify(root: &std::path::Path, init_extra: &[&str]) -> String {
    let out = deskctl()
        .current_dir(root)
        .args(init_extra)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.ends_with("next: deskctl verify --ephemeral\n"),
        "{said}"
    );
    let out = deskctl()
        .current_dir(root)
        .args(["verify", "--ephemeral"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let before = std::fs::read_to_string(root.join("checks/schema.toml")).unwrap();
    let out = deskctl().current_dir(root).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(root.join("checks/schema.toml")).unwrap(),
        before
    );
    std::fs::read_to_string(root.join("deskctl.toml")).unwrap()
        + &std::fs::read_to_string(root.join("checks/behaviour.toml")).unwrap()
}

#[test]
fn init_plain_and_supabase_layouts() {
    let plain = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("migrations"), &plain.path().join("migrations"));
    let text = init_then_verify(plain.path(), &["--preset", "supabase"]);
    assert!(text.contains("migrations = \"migrations\""), "{text}");
    assert!(text.contains("expect_error = \"42501\""), "{text}");
    assert!(
        text.contains("[personas.visitor]\nrole = \"anon\"") && text.contains("as = \"visitor\""),
        "{text}"
    );

    let supa = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("examples/journal/migrations"),
        &supa.path().join("supabase/migrations"),
    );
    let text = init_then_verify(supa.path(), &[]);
    assert!(text.contains("preset = \"supabase\""), "{text}");
    assert!(
        text.contains("migrations = \"supabase/migrations\""),
        "{text}"
    );
    // With the Supabase preset the example signs a persona up through its auth.users row (the
    // verify above ran it: a row that cannot be inserted would be an ERROR, not a PASS).
    assert!(
        text.contains("rows = [{ table = \"auth.users\"") && text.contains("as = \"customer1\""),
        "{text}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = deskctl()
        .current_dir(empty.path())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("no migrations directory"));
    assert!(!empty.path().join("deskctl.toml").exists());
}

// ---------------------------------------------------------------------------------------------
// Personas, fixtures, frozen time (issue 15 point 3)
// ---------------------------------------------------------------------------------------------

use crate::common::TestDb;

/// A Supabase-like database with a notes table (RLS: each user sees their own notes; a note
/// referencing its author in auth.users) and an expiring-links table.
fn notes_db() -> TestDb {
    let db = TestDb::supabase();
    db.exec(
        "create table public.notes (id serial primary key, owner uuid not null references auth.users(id), body text not null);
         alter table public.notes enable row level security;
         create policy own on public.notes for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());
         grant select, insert, update, delete on public.notes to authenticated;
         grant usage on sequence public.notes_id_seq to authenticated;
         create table public.links (id int primary key, expires_at timestamptz not null);
         create function public.live_links() returns bigint language plpgsql stable as $$
           begin return (select count(*) from public.links where expires_at > now()); end $$;
         create function public.pinned_links() returns bigint language plpgsql stable set search_path = public, pg_catalog as $$
           begin return (select count(*) from public.links where expires_at > now()); end $$;",
    );
    db
}

/// `deskctl verify --format json` of check files written into a temporary directory (the first
/// is the one verified; the others can be included).
fn verify_files(db: &TestDb, files: &[(&str, &str)]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = deskctl()
        .current_dir(dir.path())
        .args(["verify", "--database-url", &db.url, "--format", "json"])
        .arg(files[0].0)
        .output()
        .unwrap();
    let text = output_text(&out);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, text)
}

fn status_of(json: &Value, id: &str) -> (String, String) {
    let r = json["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("no result {id} in {json}"));
    (
        r["status"].as_str().unwrap().to_string(),
        r["detail"].as_str().unwrap_or("").to_string(),
    )
}

const PERSONAS: &str = r#"
[personas.alice]
role = "authenticated"
claims = { sub = "00000000-0000-4000-a000-00000000000a", email = "alice@example.com" }
rows = [{ table = "auth.users", values = { id = "00000000-0000-4000-a000-00000000000a", email = "alice@example.com" } }]

[personas.bob]
role = "authenticated"
claims = { sub = "00000000-0000-4000-a000-00000000000b" }
rows = [{ table = "auth.users", values = { id = "00000000-0000-4000-a000-00000000000b", email = "bob@example.com" } }]
"#;

#[test]
fn personas_create_their_rows_and_run_as_their_claims() {
    let db = notes_db();
    let checks = format!(
        r#"{PERSONAS}
[[scenario]]
id = "alice-writes-bob-cannot-read"

[[scenario.step]]
as = "alice"
query = "insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000a', 'mine')"
expect_ok = true

[[scenario.step]]
as = "bob"
query = "select * from notes"
expect_rows = 0

[[scenario.step]]
as = {{ persona = "alice" }}
query = "select body, auth.jwt() ->> 'email' from notes"
rows = [["mine", "alice@example.com"]]

[[scenario]]
id = "bob-cannot-write-as-alice"
as = "bob"
query = "insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000a', 'forged')"
expect_error = "42501"

[[scenario]]
id = "a-role-name-is-still-a-role"
as = "anon"
query = "select * from notes"
expect_rows = 0
"#
    );
    let (code, json, text) = verify_files(&db, &[("c.toml", &checks)]);
    assert_eq!(code, 0, "{text}");
    for id in [
        "alice-writes-bob-cannot-read",
        "bob-cannot-write-as-alice",
        "a-role-name-is-still-a-role",
    ] {
        assert_eq!(status_of(&json, id).0, "pass", "{id}: {text}");
    }
    assert!(
        status_of(&json, "alice-writes-bob-cannot-read")
            .1
            .contains("persona alice"),
        "{text}"
    );
    // Nothing stayed: the persona rows were inserted inside the rolled-back transaction.
    assert_eq!(
        db.scalar("select count(*)::text from auth.users")
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        db.scalar("select count(*)::text from public.notes")
            .as_deref(),
        Some("0")
    );

    // The same personas from a shared file; a missing row makes the insert fail (FK): the
    // check's own failure is reported, not a setup error.
    let (code, json, text) = verify_files(
        &db,
        &[
            (
                "checks/c.toml",
                "include = \"../shared/people.toml\"\n[[scenario]]\nid = \"shared\"\nas = \"alice\"\nquery = \"insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000a', 'x')\"\nexpect_ok = true\n",
            ),
            ("shared/people.toml", PERSONAS),
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(status_of(&json, "shared").0, "pass");
}

#[test]
fn persona_and_fixture_mistakes_are_load_errors_at_their_place() {
    let db = TestDb::new();
    let checks = r#"
[personas.alice]
role = "authenticated"
claims = { sub = "a" }

[fixtures.a]
use = ["b"]
sql = "select 1"

[fixtures.b]
use = ["a"]
sql = "select 2"

[fixtures.c]
sql = "select 1; commit"

[fixtures.d]
personas = ["alise"]

[[scenario]]
as = { persona = "alicia" }
query = "select 1"
expect_rows = 1

[[scenario]]
as = "alcie"
query = "select 1"
expect_rows = 1

[[scenario]]
use = ["nope"]
query = "select 1"
expect_rows = 1

[[scenario]]
at = "next tuesday"
query = "select 1"
expect_rows = 1
"#;
    let (code, _, text) = verify_files(&db, &[("c.toml", checks)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("8 problems in check files"), "{text}");
    for needle in [
        "c.toml:6:11: [fixtures.a] fixtures use each other in a cycle: a → b → a",
        "c.toml:10:11: [fixtures.b] fixtures use each other in a cycle: b → a → b",
        "c.toml:15:7: [fixtures.c]",
        "contains COMMIT",
        "c.toml:21:8: [[scenario]] unknown persona `alicia` (did you mean `alice`?)",
        "c.toml:26:1: [[scenario]] unknown persona `alcie` (did you mean `alice`?)",
        "c.toml:31:1: [[scenario]] unknown fixture `nope`",
        "c.toml:36:1: [[scenario]] `at` is not a timestamp",
        "c.toml:17:11: [fixtures.d] unknown persona `alise` (did you mean `alice`?)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn fixtures_compose_apply_once_and_point_at_their_line() {
    let db = notes_db();
    let checks = format!(
        r#"{PERSONAS}
[fixtures.users]
sql = "insert into auth.users (id, email) values ('00000000-0000-4000-a000-00000000000c', 'carol@example.com')"

[fixtures.notes]
use = ["users"]
sql = """
insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000c', 'one');
insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000c', 'two')
"""

[fixtures.links]
file = "links.sql"

[[scenario]]
id = "composed"
use = ["notes", "users", "links"]
as = {{ bypass = true }}
query = "select (select count(*) from notes) * 10 + (select count(*) from links)"
expect = 22

[[scenario]]
id = "carol-sees-hers"
use = ["notes"]
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-a000-00000000000c" }} }}
query = "select body from notes order by body"
rows = [["one"], ["two"]]
"#
    );
    let (code, json, text) = verify_files(
        &db,
        &[
            ("c.toml", &checks),
            (
                "links.sql",
                "-- two links\ninsert into links values (1, now() + interval '1 day');\ninsert into links values (2, now() + interval '2 days');\n",
            ),
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(status_of(&json, "composed").0, "pass", "{text}");
    assert_eq!(status_of(&json, "carol-sees-hers").0, "pass", "{text}");

    // An SQL error inside a fixture names the fixture and its file:line.
    let broken = r#"[fixtures.notes]
sql = """
insert into notes (owner, body) values ('00000000-0000-4000-a000-00000000000c', 'one');
insert into notes (owner, body) values (null, 'no owner')
"""

[[scenario]]
id = "bad-fixture"
use = ["notes"]
query = "select 1"
expect_rows = 1
"#;
    let (code, json, text) = verify_files(&db, &[("c.toml", broken)]);
    assert_ne!(code, 0, "{text}");
    let (status, detail) = status_of(&json, "bad-fixture");
    assert_eq!(status, "error", "{text}");
    // The first statement already fails (no such auth.users row), on line 3 of c.toml.
    assert!(detail.contains("fixture `notes` (c.toml:3)"), "{detail}");
    assert!(detail.contains("23503"), "{detail}");
    assert_eq!(
        db.scalar("select count(*)::text from public.notes")
            .as_deref(),
        Some("0")
    );
}

#[test]
fn frozen_time_fixes_now_for_the_checks_sql_and_not_beyond() {
    let db = notes_db();
    let checks = r#"
[fixtures.links]
sql = "insert into links values (1, '2000-01-01T12:00:00Z'), (2, '2000-06-01T00:00:00Z')"

[[scenario]]
id = "frozen"
at = "2000-03-01T00:00:00Z"
use = ["links"]
as = { bypass = true }
query = """select now() = '2000-03-01T00:00:00Z'::timestamptz, transaction_timestamp() = now(),
  statement_timestamp() = now(), live_links(), (select count(*) from links where expires_at > now())"""
rows = [[true, true, true, 1, 1]]

[[scenario]]
id = "not-frozen"
at = "2000-03-01"
use = ["links"]
as = { bypass = true }
query = """select current_timestamp > '2001-01-01'::timestamptz, clock_timestamp() > '2001-01-01'::timestamptz,
  pinned_links(), pg_catalog.now() > '2001-01-01'::timestamptz"""
rows = [[true, true, 0, true]]

[[scenario]]
id = "frozen-for-a-role-too"
at = "2000-02-02T02:02:02+02:00"
as = "authenticated"
query = "select now()::text"
rows = [["2000-02-02 00:02:02+00"]]
"#;
    let (code, json, text) = verify_files(&db, &[("c.toml", checks)]);
    assert_eq!(code, 0, "{text}");
    for id in ["frozen", "not-frozen", "frozen-for-a-role-too"] {
        assert_eq!(status_of(&json, id).0, "pass", "{id}: {text}");
    }
    // Gone with the rollback.
    assert_eq!(
        db.scalar("select count(*)::text from pg_namespace where nspname = 'deskctl_frozen_clock'")
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        db.scalar("select (now() > '2001-01-01')::text").as_deref(),
        Some("true")
    );
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (issue 15 point 3: `deskctl schema`, schema/*.json)
// ---------------------------------------------------------------------------------------------

fn printed_schema(of: &str) -> String {
    let out = deskctl().args(["schema", of]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_schemas_are_up_to_date() {
    for (of, file) in [
        ("check-file", "schema/check-file.json"),
        ("config", "schema/config.json"),
    ] {
        let committed = std::fs::read_to_string(repo().join(file)).unwrap();
        assert!(
            printed_schema(of) == committed,
            "{file} is stale: run `deskctl schema {of} > {file}`"
        );
    }
}

/// Every check file of the repository (examples, root checks, test fixtures that load) is valid
/// under the schema, and typical mistakes are not.
#[test]
fn check_files_validate_against_the_schema() {
    let schema: Value = serde_json::from_str(&printed_schema("check-file")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["checks", "examples"] {
        let mut stack = vec![repo().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    for f in &files {
        let v: Value = toml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
    let config: Value = serde_json::from_str(&printed_schema("config")).unwrap();
    let config = jsonschema::validator_for(&config).expect("the config schema compiles");
    let ours: Value =
        toml::from_str(&std::fs::read_to_string(repo().join("deskctl.toml")).unwrap()).unwrap();
    assert!(config.is_valid(&ours), "deskctl.toml: {ours}");
    for (bad, why) in [
        ("[[rls]]\ntabels = [\"a\"]\n", "a misspelt key"),
        (
            "[[scenario]]\nas = 3\nquery = \"select 1\"\nexpect_rows = 1\n",
            "as is a number",
        ),
        ("[[polices]]\ntable = \"t\"\n", "an unknown kind"),
        (
            "[personas.a]\nrole = \"authenticated\"\nclaim = {}\n",
            "a misspelt persona key",
        ),
        ("[fixtures.a]\nsql = 1\n", "fixture sql is a number"),
    ] {
        let v: Value = toml::from_str(bad).unwrap();
        assert!(!validator.is_valid(&v), "{why}: {bad}");
    }
    // serde's aliases are accepted as the loader accepts them (`schema::add_aliases`), a
    // required field by either name but not both.
    for (good, why) in [
        (
            "[[rejects]]\nquery = \"insert into t default values\"\nexpect_error = \"23505\"\n",
            "rejects by its aliases",
        ),
        (
            "[[rejects]]\nstatement = \"insert into t default values\"\nexpect_error = \"23505\"\n",
            "one field by its name, one by its alias",
        ),
        (
            "[[scenario]]\nsteps = [{ query = \"select 1\", expect = 1 }]\n",
            "steps for step",
        ),
        (
            "[[count]]\nobject = \"tables\"\nexpect = 1\n",
            "a plural word",
        ),
        (
            "[[immutable]]\ntable = \"t\"\ndeny = [\"update\", \"Delete\"]\n",
            "lower-case and capitalised operations",
        ),
    ] {
        let v: Value = toml::from_str(good).unwrap();
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{why}: {errors:#?}");
    }
    for (bad, why) in [
        (
            "[[rejects]]\nstatement = \"select 1\"\nquery = \"select 1\"\nsqlstate = \"23505\"\n",
            "a field and its alias both",
        ),
        (
            "[[rejects]]\nquery = 1\nsqlstate = \"23505\"\n",
            "an alias of the wrong type",
        ),
        (
            "[[rejects]]\nsqlstate = \"23505\"\n",
            "a required field under neither name",
        ),
    ] {
        let v: Value = toml::from_str(bad).unwrap();
        assert!(!validator.is_valid(&v), "{why}: {bad}");
    }
    let misspelt: Value = toml::from_str("prest = \"supabase\"\n").unwrap();
    assert!(!config.is_valid(&misspelt), "a misspelt deskctl.toml key");
}
