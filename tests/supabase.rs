//! Supabase projects as they are (issue 12): a `supabase/` folder with config.toml, migrations
//! named as the Supabase CLI names them, seed.sql and pgTAP tests, used with no flags. Fixtures:
//! tests/fixtures/supabase-app (a project) and tests/fixtures/supabase-extra (a failing pgTAP file).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{deskctl, output_text, repo, TestDb};

fn app() -> PathBuf {
    repo().join("tests/fixtures/supabase-app")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    deskctl().current_dir(dir).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output_text(out)))
}

/// A project written on the fly: `supabase/config.toml`, migrations and other files.
fn project(config: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("supabase/migrations")).unwrap();
    std::fs::write(d.path().join("supabase/config.toml"), config).unwrap();
    for (name, body) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    d
}

#[test]
fn verify_at_a_supabase_project_root_migrates_seeds_and_runs_its_pgtap_suite_with_no_flags() {
    let out = run_in(&app(), &["verify", "--ephemeral"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The pgTAP suite ran (seed rows, storage policies with foldername/owner_id, RLS on public).
    for needle in [
        "profiles.test.sql #1",
        "the seed created a profile per user (trigger on auth.users)",
        "bob does not see alice's avatar",
        "every table in public has row-level security",
        "7 passed, 0 failed",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
    // The file the CLI skips is skipped, with the CLI's words (it would fail: 1 / 0).
    assert!(
        text.contains("Skipping migration local_dev_only.sql... (file name must match pattern \"<timestamp>_name.sql\")"),
        "{text}"
    );
}

#[test]
fn pgtap_assertions_are_rows_of_the_report_next_to_each_other_in_every_format() {
    let failing = repo().join("tests/fixtures/supabase-extra/failing.test.sql");
    let failing = failing.to_str().unwrap();
    let out = run_in(
        &app(),
        &[
            "verify",
            "--ephemeral",
            "supabase/tests",
            failing,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let doc = json(&out);
    let results = doc["results"].as_array().unwrap();
    let row = |id: &str| {
        results
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no row {id}: {doc:#}"))
    };
    assert_eq!(results.len(), 10, "{doc:#}");
    assert!(results.iter().all(|r| r["kind"] == "pgtap"));
    assert_eq!(row("failing.test.sql #1")["status"], "pass");
    let bad = row("failing.test.sql #2");
    assert_eq!(bad["status"], "fail");
    assert_eq!(bad["description"], "arithmetic is wrong on purpose");
    let detail = bad["detail"].as_str().unwrap();
    assert!(
        detail.contains("have: 2") && detail.contains("want: 3"),
        "{detail}"
    );
    assert_eq!(bad["location"]["line"], 5);
    assert_eq!(row("failing.test.sql #3")["status"], "pass");

    let out = run_in(
        &app(),
        &["verify", "--ephemeral", failing, "--format", "tap"],
    );
    let tap = String::from_utf8_lossy(&out.stdout);
    assert!(tap.contains("1..3"), "{tap}");
    assert!(tap.contains("not ok 2"), "{tap}");
    let out = run_in(
        &app(),
        &["verify", "--ephemeral", failing, "--format", "junit"],
    );
    let junit = String::from_utf8_lossy(&out.stdout);
    assert!(junit.contains("failures=\"1\""), "{junit}");
}

#[test]
fn a_pgtap_file_that_would_commit_is_refused_before_it_runs() {
    let d = project(
        "",
        &[(
            "supabase/tests/commit.test.sql",
            "begin;\nselect plan(1);\ncreate table public.escaped (id int);\ncommit;\n",
        )],
    );
    let out = run_in(d.path(), &["verify", "--ephemeral", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let doc = json(&out);
    let r = &doc["results"][0];
    assert_eq!(r["status"], "error", "{doc:#}");
    assert!(
        r["detail"].as_str().unwrap().contains("COMMIT is refused"),
        "{doc:#}"
    );
    assert_eq!(r["location"]["line"], 4);
}

#[test]
fn diagnose_takes_the_exposed_schemas_from_config_toml() {
    let out = run_in(&app(), &["diagnose", "--ephemeral", "--format", "json"]);
    let text = output_text(&out);
    // app is exposed by [api].schemas: its table without RLS is an error-level finding.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("rls-disabled-exposed:app.feature_flags"),
        "{text}"
    );
    // Without config.toml's schemas (deskctl.toml wins), app is not exposed.
    let d = tempfile::tempdir().unwrap();
    copy_dir(&app(), d.path());
    std::fs::write(
        d.path().join("deskctl.toml"),
        "[diagnose]\nexposed_schemas = [\"public\"]\n",
    )
    .unwrap();
    let out = run_in(
        d.path(),
        &[
            "diagnose",
            "--ephemeral",
            "--schema",
            "public",
            "--schema",
            "app",
        ],
    );
    assert!(
        !output_text(&out).contains("rls-disabled-exposed:app"),
        "{}",
        output_text(&out)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn migrate_seed_records_history_where_the_supabase_cli_reads_it() {
    let db = TestDb::new();
    let out = run_in(&app(), &["migrate", "--database-url", &db.url, "--seed"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Name order, as the CLI: the 8-digit version runs second.
    let a = text.find("20240101000000 profiles").unwrap();
    let b = text.find("20240102000000 storage").unwrap();
    let c = text.find("20240103120000 app_schema").unwrap();
    // app_schema ends with CREATE INDEX CONCURRENTLY: the file ran in parts and the index is valid.
    assert_eq!(
        db.scalar("select indisvalid::text from pg_index where indexrelid = 'public.profiles_updated_at_idx'::regclass")
            .as_deref(),
        Some("true")
    );
    assert!(a < b && b < c, "{text}");
    assert!(text.contains("seeded supabase/seed.sql"), "{text}");
    // The seed went into auth.users and auth.identities; vault decrypts what create_secret stored.
    assert_eq!(
        db.scalar("select count(*)::text from auth.identities")
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        db.scalar(
            "select decrypted_secret from vault.decrypted_secrets where name = 'stripe_secret_key'"
        )
        .as_deref(),
        Some("sk_test_fixture")
    );
    assert_eq!(
        db.scalar("select (secret <> 'sk_test_fixture')::text from vault.secrets")
            .as_deref(),
        Some("true")
    );
    // What `supabase migration list` reads: the versions as written in the file names.
    assert_eq!(
        db.scalar("select string_agg(version || ':' || name, ',' order by version) from supabase_migrations.schema_migrations")
            .as_deref(),
        Some("20240101000000:profiles,20240102:storage,20240103120000:app_schema")
    );
    assert_eq!(
        db.scalar("select string_agg(path, ',') from supabase_migrations.seed_files")
            .as_deref(),
        Some("supabase/seed.sql")
    );
    // deskctl's own history is private: not in public (RLS-less tables there fail pgTAP suites).
    assert_eq!(
        db.scalar("select count(*)::text from deskctl.refinery_schema_history")
            .as_deref(),
        Some("3")
    );
    assert_eq!(
        db.scalar("select (to_regclass('public.refinery_schema_history') is null)::text")
            .as_deref(),
        Some("true")
    );
    // Again: nothing to apply, the seed is not run twice.
    let out = run_in(&app(), &["migrate", "--database-url", &db.url, "--seed"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("nothing to apply"), "{text}");
    assert!(
        text.contains("seeded before, not run again: supabase/seed.sql"),
        "{text}"
    );
    assert_eq!(
        db.scalar("select count(*)::text from auth.users")
            .as_deref(),
        Some("2")
    );
}

#[test]
fn a_database_the_supabase_cli_migrated_does_not_look_unmigrated() {
    let db = TestDb::new();
    let out = run_in(&app(), &["migrate", "--database-url", &db.url]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // Leave only the Supabase CLI's record, as on a project migrated by `supabase db push`.
    db.exec("drop schema deskctl cascade");
    let out = run_in(
        &app(),
        &["status", "--database-url", &db.url, "--exit-code"],
    );
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("profiles    applied by the Supabase CLI"),
        "{text}"
    );
    assert!(
        text.contains("3 applied, 0 pending; database at version 20240103120000"),
        "{text}"
    );
    let out = run_in(&app(), &["migrate", "--database-url", &db.url]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("3 migration(s) the Supabase CLI applied"),
        "{text}"
    );
    assert!(text.contains("nothing to apply"), "{text}");
    assert_eq!(
        db.scalar("select count(*)::text from deskctl.refinery_schema_history")
            .as_deref(),
        Some("3")
    );
}

#[test]
fn an_older_public_history_table_keeps_working_and_says_how_to_move_it() {
    let db = TestDb::supabase();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__one.sql"),
        "create table one (id int);\nalter table one enable row level security;",
    )
    .unwrap();
    let m = dir.path().to_str().unwrap();
    // Where deskctl used to put it.
    let out = deskctl()
        .args(["migrate", "--database-url", &db.url, "--migrations", m])
        .args(["--history-table", "public.refinery_schema_history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    std::fs::write(
        dir.path().join("V2__two.sql"),
        "create table two (id int);\nalter table two enable row level security;",
    )
    .unwrap();
    let out = deskctl()
        .args(["migrate", "--database-url", &db.url, "--migrations", m])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("applied   2 two"), "{text}");
    assert!(
        text.contains("alter table \"public\".\"refinery_schema_history\" set schema deskctl"),
        "{text}"
    );
    assert_eq!(
        db.scalar("select count(*)::text from public.refinery_schema_history")
            .as_deref(),
        Some("2")
    );
    let out = deskctl()
        .args(["status", "--database-url", &db.url, "--migrations", m])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = json(&out);
    assert_eq!(
        doc["history_table"], "public.refinery_schema_history",
        "{doc:#}"
    );
    assert_eq!(doc["database_version"], 2, "{doc:#}");
    assert_eq!(
        db.scalar("select (to_regclass('deskctl.refinery_schema_history') is null)::text")
            .as_deref(),
        Some("true")
    );
}

#[test]
fn an_extension_this_machine_lacks_is_named_with_its_package_and_the_alternative() {
    let d = project(
        "",
        &[(
            "supabase/migrations/20240101000000_embeddings.sql",
            "create extension if not exists vector with schema extensions;\n",
        )],
    );
    let out = run_in(d.path(), &["migrate", "--ephemeral"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    for needle in [
        "20240101000000_embeddings.sql:1",
        "lacks the extension \"vector\"",
        "apt-get install postgresql-15-pgvector",
        "--database-url",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
}

#[test]
fn a_failing_seed_is_reported_as_file_line_col() {
    let d = project(
        "[db.seed]\nsql_paths = [\"./seed.sql\", \"./seeds/*.sql\"]\n",
        &[
            ("supabase/migrations/20240101000000_t.sql", "create table public.t (id int primary key);\n"),
            ("supabase/seed.sql", "insert into public.t values (1);\n"),
            ("supabase/seeds/b.sql", "-- second seed\ninsert into public.t values (2);\ninsert into public.t values (1);\n"),
            // verify refuses to run no checks at all, so give it one.
            ("checks/ok.toml", "[[rls]]\ntables = [\"t\"]\nenabled = false\n"),
        ],
    );
    let out = run_in(d.path(), &["verify", "--ephemeral"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("seed supabase/seeds/b.sql:3:"), "{text}");
    assert!(
        text.contains("duplicate key value violates unique constraint"),
        "{text}"
    );
    assert!(text.contains("SQLSTATE 23505"), "{text}");
}

#[test]
fn a_major_version_other_than_the_local_servers_is_a_clear_warning() {
    let d = project(
        "[db]\nmajor_version = 17\n",
        &[("checks/ok.toml", "[[rls]]\ntables = [\"t\"]\n"), (
            "supabase/migrations/20240101000000_t.sql",
            "create table public.t (id int);\nalter table public.t enable row level security;\n",
        )],
    );
    let out = run_in(d.path(), &["verify", "--ephemeral"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("sets [db] major_version = 17"), "{text}");
    assert!(text.contains("is PostgreSQL 1"), "{text}");
}
