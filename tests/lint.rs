//! `deskctl diagnose` and `deskctl snapshot` against real PostgreSQL (issue 7): the exact outcome
//! on seed 003's "before" state, every rule on a schema that triggers it and one that does not,
//! every example system, exclusions, --fail-on, formats, read-only operation, and the snapshot →
//! verify round trip (pass, then fail naming a dropped policy) on every example system and on the
//! benchmark schema.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{deskctl, output_text, repo, rt, TestDb};

/// The example systems: (name, migrations directory).
fn systems() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("live-chat", repo().join("migrations")),
        (
            "support-desk",
            repo().join("examples/support-desk/migrations"),
        ),
        (
            "contact-centre",
            repo().join("examples/contact-centre/migrations"),
        ),
        ("crm-rbac", repo().join("examples/crm-rbac/migrations")),
        ("journal", repo().join("examples/journal/migrations")),
    ]
}

/// A fresh database with the Supabase preset. Like `TestDb::supabase`, but retried: on a fresh
/// shared cluster, tests installing the preset at the same moment race on its cluster-wide
/// `CREATE ROLE`s (23505 on pg_authid); the loser succeeds on a second run.
pub(crate) fn supabase_db() -> TestDb {
    let db = TestDb::new();
    let target = db.target();
    rt().block_on(async {
        for attempt in 1..=5 {
            let (c, _h) = deskctl::db::connect_target(&target, None).await.unwrap();
            match c.batch_execute(deskctl::db::supabase::SQL).await {
                Ok(()) => return,
                Err(e) if attempt < 5 => {
                    eprintln!("preset attempt {attempt} failed ({e}); retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => panic!("preset: {e:?}"),
            }
        }
    });
    db
}

/// A Supabase-like database with `dir` migrated by `deskctl migrate`.
pub(crate) fn migrated(dir: &Path) -> TestDb {
    let db = supabase_db();
    let out = deskctl()
        .args([
            "migrate",
            "--no-lint",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "migrate {}:\n{}",
        dir.display(),
        output_text(&out)
    );
    db
}

fn diagnose(db: &TestDb, extra: &[&str]) -> Output {
    deskctl()
        .args(["diagnose", "--database-url", &db.url])
        .args(extra)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output_text(out)))
}

/// A finding: (rule, id, level, detail, hint).
#[derive(Debug, Clone)]
struct Found {
    rule: String,
    id: String,
    level: String,
    detail: String,
    hint: String,
}

fn findings(v: &Value) -> Vec<Found> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| Found {
            rule: r["kind"].as_str().unwrap_or_default().to_string(),
            id: r["id"].as_str().unwrap_or_default().to_string(),
            level: r["level"].as_str().unwrap_or_default().to_string(),
            detail: r["detail"].as_str().unwrap_or_default().to_string(),
            hint: r["hint"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

fn diagnose_json(db: &TestDb, extra: &[&str]) -> (Output, Vec<Found>) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = diagnose(db, &args);
    let f = findings(&json(&out));
    (out, f)
}

fn ids(f: &[Found]) -> Vec<String> {
    let mut v: Vec<String> = f.iter().map(|x| x.id.clone()).collect();
    v.sort();
    v
}

const JOURNAL_TABLES: &[&str] = &[
    "ChatMessage",
    "ChatSession",
    "DailyMood",
    "InsightRun",
    "JournalEntry",
    "UserMemory",
];

fn assert_journal_before(out: &Output, f: &[Found]) {
    let mut expected: Vec<String> = JOURNAL_TABLES
        .iter()
        .map(|t| format!("rls-disabled-exposed:public.{t}"))
        .collect();
    expected.sort();
    assert_eq!(ids(f), expected, "{}", output_text(out));
    for x in f {
        assert_eq!(x.level, "error");
        assert!(
            x.detail.contains("has row-level security disabled")
                && x.detail.contains("anon (SELECT, INSERT, UPDATE, DELETE)")
                && x.detail
                    .contains("authenticated (SELECT, INSERT, UPDATE, DELETE)"),
            "{}",
            x.detail
        );
        assert!(x.hint.contains("ENABLE ROW LEVEL SECURITY"), "{}", x.hint);
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error-level finding fails the run"
    );
}

// -- diagnose: seed 003 -------------------------------------------------------------------------

#[test]
fn journal_before_names_exactly_the_documented_problems() {
    let db = migrated(&repo().join("examples/journal/before/migrations"));
    let (out, f) = diagnose_json(&db, &[]);
    assert_journal_before(&out, &f);

    // The table a human reads names each table and the fix.
    let out = diagnose(&db, &[]);
    let text = output_text(&out);
    for t in JOURNAL_TABLES {
        assert!(
            text.contains(&format!(
                "ALTER TABLE public.\"{t}\" ENABLE ROW LEVEL SECURITY"
            )),
            "{text}"
        );
    }
    assert!(text.contains("6 errors, "), "{text}");
}

/// The issue's wording of the "before" state: RLS disabled and plain snake_case views over the
/// tables (the schema guide's `CREATE VIEW chat_messages AS SELECT ...`). The views read tables
/// without RLS, so the problem is still exactly the six tables; once RLS is switched on (the
/// first fix), the plain views are what bypasses it and are named.
#[test]
fn journal_before_with_plain_views_names_the_tables_then_the_views() {
    let db = migrated(&repo().join("examples/journal/before/migrations"));
    let views_sql = std::fs::read_to_string(repo().join(
        "examples/journal/broken/plain-views/migrations/20260115000000_recreate_plain_views.sql",
    ))
    .unwrap();
    db.exec(&views_sql);
    let (out, f) = diagnose_json(&db, &[]);
    // Over tables without RLS the plain views are warnings (security-definer-view); the errors
    // are the tables.
    let (warn, errors): (Vec<Found>, Vec<Found>) = f
        .into_iter()
        .partition(|x| x.rule == "security-definer-view");
    assert_journal_before(&out, &errors);
    assert_eq!(warn.len(), 6, "{warn:#?}");
    assert!(warn.iter().all(|x| x.level == "warn"));

    for t in JOURNAL_TABLES {
        db.exec(&format!(
            "alter table public.\"{t}\" enable row level security"
        ));
    }
    let (out, f) = diagnose_json(&db, &[]);
    let errors: Vec<String> = ids(&f
        .iter()
        .filter(|x| x.level == "error")
        .cloned()
        .collect::<Vec<_>>());
    let mut want: Vec<String> = [
        "chat_messages",
        "chat_session",
        "chat_sessions",
        "daily_mood",
        "journal_entries",
        "user_memory",
    ]
    .iter()
    .map(|v| format!("view-bypasses-rls:public.{v}"))
    .collect();
    want.sort();
    assert_eq!(errors, want, "{}", output_text(&out));
    // RLS on and no policy yet: each table is named for its missing policies.
    let infos: Vec<String> = f
        .iter()
        .filter(|x| x.rule == "rls-enabled-no-policy")
        .map(|x| x.id.clone())
        .collect();
    assert_eq!(infos.len(), JOURNAL_TABLES.len(), "{infos:?}");
}

#[test]
fn journal_before_on_an_ephemeral_cluster() {
    let dir = repo().join("examples/journal/before/migrations");
    let out = deskctl()
        .args([
            "diagnose",
            "--ephemeral",
            "--preset",
            "supabase",
            "--format",
            "json",
            "--migrations",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let f = findings(&json(&out));
    assert_journal_before(&out, &f);
}

#[test]
fn journal_after_the_fix_has_no_errors_but_names_its_per_row_auth_calls() {
    let db = migrated(&repo().join("examples/journal/migrations"));
    let (out, f) = diagnose_json(&db, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(f.iter().all(|x| x.level != "error"), "{f:#?}");
    assert!(
        f.iter().any(
            |x| x.id == "auth-call-per-row:public.JournalEntry/JournalEntry_select_own"
                && x.hint.contains("(select auth.uid())")
        ),
        "{f:#?}"
    );
    // The service-role policies are TO public: a second permissive policy for authenticated.
    assert!(
        f.iter()
            .any(|x| x.id == "multiple-permissive-policies:public.JournalEntry"),
        "{f:#?}"
    );
    // webhook_events is service-role only on purpose: RLS on, no policy for the API roles.
    assert!(!f.iter().any(|x| x.rule == "rls-disabled-exposed"));
}

#[test]
fn journal_broken_variants_are_named() {
    let base = repo().join("examples/journal/broken");
    let db = migrated(&base.join("plain-views/migrations"));
    let (out, f) = diagnose_json(&db, &[]);
    let views: Vec<String> = f
        .iter()
        .filter(|x| x.rule == "view-bypasses-rls")
        .map(|x| x.id.clone())
        .collect();
    let mut want: Vec<String> = [
        "chat_messages",
        "chat_session",
        "chat_sessions",
        "daily_mood",
        "journal_entries",
        "user_memory",
    ]
    .iter()
    .map(|v| format!("view-bypasses-rls:public.{v}"))
    .collect();
    want.sort();
    let mut got = views.clone();
    got.sort();
    assert_eq!(got, want, "{}", output_text(&out));
    assert_eq!(out.status.code(), Some(1));

    let db = migrated(&base.join("rls-disabled/migrations"));
    let (_, f) = diagnose_json(&db, &[]);
    let got = ids(&f
        .into_iter()
        .filter(|x| x.level == "error")
        .collect::<Vec<_>>());
    assert_eq!(
        got,
        [
            "policy-exists-rls-disabled:public.JournalEntry",
            "rls-disabled-exposed:public.JournalEntry"
        ]
    );
}

// -- diagnose: every rule on a schema that triggers it and one that does not ----------------------

const ZOO: &str = r#"
create table zoo_open (id int primary key, note text);
create table zoo_revoked (id int primary key, note text);
revoke all on zoo_revoked from anon, authenticated;

create table zoo_private (id int primary key, user_id uuid not null);
create index on zoo_private (user_id);
alter table zoo_private enable row level security;
create policy "own rows" on zoo_private for select to authenticated using ((select auth.uid()) = user_id);

create table zoo_forgot (id int primary key, user_id uuid not null);
create index on zoo_forgot (user_id);
create policy "own rows" on zoo_forgot for select to authenticated using ((select auth.uid()) = user_id);

create view zoo_plain_view as select * from zoo_private;
create view zoo_invoker_view with (security_invoker = true) as select * from zoo_private;
create materialized view zoo_mv as select count(*) as n from zoo_private;
create materialized view zoo_hidden_mv as select count(*) as n from zoo_private;
revoke all on zoo_hidden_mv from anon, authenticated;

create table zoo_users (id int primary key, email text, password_hash text);
create table zoo_keys (id int primary key, user_id uuid not null, api_key text);
create index on zoo_keys (user_id);
alter table zoo_keys enable row level security;
create policy "own keys" on zoo_keys for select to authenticated using ((select auth.uid()) = user_id);

create table zoo_meta (id int primary key, tenant text);
alter table zoo_meta enable row level security;
create policy "tenant from metadata" on zoo_meta for select to authenticated
  using (tenant = ((select auth.jwt()) -> 'user_metadata' ->> 'tenant'));
create table zoo_app_meta (id int primary key, tenant text);
alter table zoo_app_meta enable row level security;
create policy "tenant from app metadata" on zoo_app_meta for select to authenticated
  using (tenant = ((select auth.jwt()) -> 'app_metadata' ->> 'tenant'));

create function zoo_definer_open() returns int language sql security definer as 'select 1';
create function zoo_definer_pinned() returns int language sql security definer set search_path = '' as 'select 1';
revoke execute on function zoo_definer_pinned() from public, anon, authenticated;

create table zoo_tags (id int primary key, user_id uuid);
alter table zoo_tags enable row level security;
create policy "anyone writes" on zoo_tags for insert to authenticated with check (true);
create table zoo_notes (id int primary key, user_id uuid);
create index on zoo_notes (user_id);
alter table zoo_notes enable row level security;
create policy "anyone reads" on zoo_notes for select to authenticated using (true);
create policy "own inserts" on zoo_notes for insert to authenticated with check ((select auth.uid()) = user_id);

create function zoo_deny() returns trigger language plpgsql set search_path = '' as
  $$ begin raise exception 'append-only' using errcode = '42501'; end $$;
create table zoo_audit_log (id bigint generated always as identity primary key, event text);
create trigger zoo_audit_log_immutable before update or delete on zoo_audit_log
  for each row execute function zoo_deny();
create table zoo_activity_log (id bigint generated always as identity primary key, event text);
create trigger zoo_activity_log_immutable before update or delete on zoo_activity_log
  for each row execute function zoo_deny();
create trigger zoo_activity_log_no_truncate before truncate on zoo_activity_log
  for each statement execute function zoo_deny();

create table zoo_perrow (id int primary key, user_id uuid);
alter table zoo_perrow enable row level security;
create policy "own rows" on zoo_perrow for select to authenticated using (auth.uid() = user_id);

create table zoo_multi (id int primary key, user_id uuid not null);
create index on zoo_multi (user_id);
alter table zoo_multi enable row level security;
create policy "own rows" on zoo_multi for select to authenticated using ((select auth.uid()) = user_id);
create policy "staff rows" on zoo_multi for select to authenticated using ((select auth.role()) = 'staff');

create table zoo_locked (id int primary key);
alter table zoo_locked enable row level security;

create table zoo_child (id int primary key, parent_id int references zoo_private (id));
create table zoo_child_indexed (id int primary key, parent_id int references zoo_private (id));
create index on zoo_child_indexed (parent_id);

create table zoo_nokey (note text);

create view zoo_users_v as select id, email from auth.users;
create view zoo_users_inv with (security_invoker = true) as select id from auth.users;

create extension file_fdw;
create server zoo_files foreign data wrapper file_fdw;
create foreign table zoo_remote (line text) server zoo_files options (filename '/dev/null');
create foreign table zoo_remote_hidden (line text) server zoo_files options (filename '/dev/null');
revoke all on zoo_remote_hidden from anon, authenticated;

create table zoo_fk_phone (id int primary key, phone text references auth.users (phone));
create table zoo_fk_id (id int primary key, user_id uuid references auth.users (id));
create index on zoo_fk_id (user_id);

create table zoo_regs (id int primary key, handler regproc);
create table zoo_regclass (id int primary key, t regclass, r regrole);

create table zoo_dup (id int primary key, a int);
create index zoo_dup_a1 on zoo_dup (a);
create index zoo_dup_a2 on zoo_dup (a);

create view zoo_open_view as select * from zoo_open;
create view zoo_open_inv with (security_invoker = true) as select * from zoo_open;
create materialized view zoo_open_mv as select count(*) as n from zoo_open;

create function zoo_invoker_fn() returns int language sql as 'select 1';

create function zoo_touch() returns trigger language plpgsql set search_path = '' as
  $$ begin new.updated_at = now(); return new; end $$;
create function zoo_cleanup() returns trigger language plpgsql set search_path = '' as
  $$ begin delete from public.zoo_child where parent_id = old.id; return old; end $$;
create table zoo_tickets (id int primary key, updated_at timestamptz);
create trigger zoo_tickets_touch before update on zoo_tickets for each row execute function zoo_touch();
create trigger zoo_tickets_cleanup before delete on zoo_tickets for each row execute function zoo_cleanup();
"#;

#[test]
fn every_rule_triggers_on_its_bad_object_and_not_on_its_good_twin() {
    let db = supabase_db();
    db.exec(ZOO);
    let (out, f) = diagnose_json(&db, &[]);
    let has = |rule: &str, object: &str| {
        let prefix = format!("{rule}:public.{object}");
        f.iter()
            .any(|x| x.id == prefix || x.id.starts_with(&format!("{prefix}/")))
    };
    let cases: &[(&str, &str, &str)] = &[
        ("rls-disabled-exposed", "zoo_open", "zoo_revoked"),
        ("rls-disabled-exposed", "zoo_open", "zoo_private"),
        ("policy-exists-rls-disabled", "zoo_forgot", "zoo_private"),
        ("view-bypasses-rls", "zoo_plain_view", "zoo_invoker_view"),
        ("view-bypasses-rls", "zoo_mv", "zoo_hidden_mv"),
        ("sensitive-columns-exposed", "zoo_users", "zoo_keys"),
        ("policy-user-metadata", "zoo_meta", "zoo_app_meta"),
        (
            "security-definer-search-path",
            "zoo_definer_open()",
            "zoo_definer_pinned()",
        ),
        (
            "security-definer-exposed",
            "zoo_definer_open()",
            "zoo_definer_pinned()",
        ),
        ("policy-always-true", "zoo_tags", "zoo_notes"),
        ("audit-log-truncate", "zoo_audit_log", "zoo_activity_log"),
        ("auth-call-per-row", "zoo_perrow", "zoo_private"),
        ("multiple-permissive-policies", "zoo_multi", "zoo_private"),
        ("rls-enabled-no-policy", "zoo_locked", "zoo_private"),
        ("unindexed-foreign-key", "zoo_child", "zoo_child_indexed"),
        ("unindexed-policy-column", "zoo_perrow", "zoo_private"),
        ("no-primary-key", "zoo_nokey", "zoo_open"),
        ("auth-users-exposed", "zoo_users_v", "zoo_users_inv"),
        ("foreign-table-in-api", "zoo_remote", "zoo_remote_hidden"),
        ("fkey-to-auth-unique", "zoo_fk_phone", "zoo_fk_id"),
        ("unsupported-reg-types", "zoo_regs", "zoo_regclass"),
        ("duplicate-index", "zoo_dup", "zoo_private"),
        ("security-definer-view", "zoo_open_view", "zoo_open_inv"),
        ("security-definer-view", "zoo_open_view", "zoo_plain_view"),
        ("materialized-view-in-api", "zoo_open_mv", "zoo_mv"),
        ("extension-in-public", "file_fdw", "plpgsql"),
        (
            "function-search-path-mutable",
            "zoo_invoker_fn()",
            "zoo_definer_open()",
        ),
        ("audit-log-truncate", "zoo_audit_log", "zoo_tickets"),
    ];
    // Rules whose objects live outside schema public: tested by
    // `rules_outside_public_trigger_and_do_not_trigger`.
    let elsewhere = [
        "insecure-queue-exposed-in-api",
        "public-bucket-allows-listing",
        "extension-versions-outdated",
        "unused-index",
    ];
    let mut rules: Vec<&str> = cases.iter().map(|c| c.0).collect();
    rules.extend(elsewhere);
    for r in deskctl::lint::rules::RULES {
        assert!(
            rules.contains(&r.id),
            "rule {} has no integration case",
            r.id
        );
    }
    for (rule, bad, good) in cases {
        assert!(has(rule, bad), "{rule} should name {bad}:\n{f:#?}");
        assert!(!has(rule, good), "{rule} should not name {good}:\n{f:#?}");
    }
    // Each finding carries its level and a fix naming the object.
    let a = f
        .iter()
        .find(|x| x.id == "audit-log-truncate:public.zoo_audit_log")
        .unwrap();
    assert_eq!(a.level, "warn");
    assert!(a.detail.contains("anon, authenticated"), "{}", a.detail);
    assert!(
        a.hint.contains("BEFORE TRUNCATE ON public.zoo_audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.zoo_deny()"),
        "{}",
        a.hint
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The rules whose objects are not in schema public: pgmq queues, Storage buckets, extensions,
/// index statistics.
#[test]
fn rules_outside_public_trigger_and_do_not_trigger() {
    let db = supabase_db();
    db.exec(
        r#"
create schema pgmq;
create schema pgmq_public;
grant usage on schema pgmq to anon, authenticated;
create table pgmq.q_jobs (msg_id bigint primary key, message jsonb);
create table pgmq.q_safe (msg_id bigint primary key, message jsonb);
alter table pgmq.q_safe enable row level security;
create table pgmq.meta (queue_name text primary key);
grant select on pgmq.q_jobs, pgmq.q_safe, pgmq.meta to anon, authenticated;

insert into storage.buckets (id, name, public) values
  ('avatars', 'avatars', true), ('photos', 'photos', true), ('docs', 'docs', false);
create policy "Public read avatars" on storage.objects for select to public
  using (bucket_id = 'avatars');
create policy "Own photos" on storage.objects for select to authenticated
  using (bucket_id = 'photos' and owner = (select auth.uid()));
create policy "Read docs" on storage.objects for select to authenticated
  using (bucket_id = 'docs');

create schema zoo_ext;
create extension pg_trgm with schema zoo_ext version '1.5';

create table notes (id int primary key, body text);
create index notes_body_idx on notes (body);
alter table notes enable row level security;
"#,
    );
    let (out, f) = diagnose_json(
        &db,
        &[
            "--exposed-schemas",
            "public",
            "--exposed-schemas",
            "pgmq_public",
        ],
    );
    let text = output_text(&out);
    let got = |rule: &str| -> Vec<String> {
        let mut v: Vec<String> = f
            .iter()
            .filter(|x| x.rule == rule)
            .map(|x| x.id.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        got("insecure-queue-exposed-in-api"),
        ["insecure-queue-exposed-in-api:pgmq.q_jobs"],
        "{text}"
    );
    assert_eq!(
        got("public-bucket-allows-listing"),
        ["public-bucket-allows-listing:storage.buckets/avatars"],
        "{text}"
    );
    assert_eq!(
        got("extension-versions-outdated"),
        ["extension-versions-outdated:zoo_ext.pg_trgm"],
        "{text}"
    );
    assert!(got("extension-in-public").is_empty(), "{text}");
    // pgmq is read for its rule only: nothing else is diagnosed there.
    assert!(
        !f.iter()
            .any(|x| x.rule != "insecure-queue-exposed-in-api" && x.id.contains(":pgmq.")),
        "{f:#?}"
    );
    // A fresh server: unused-index judges nothing and says why on its row.
    assert!(got("unused-index").is_empty(), "{text}");
    let v = json(&out);
    let row = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "unused-index")
        .unwrap();
    let detail = row["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("not judged: the statistics are too fresh (")
            && detail.contains("1 index without scans"),
        "{detail}"
    );
    // Without pgmq_public exposed the queue is not reachable through the API.
    let (_, f) = diagnose_json(&db, &[]);
    assert!(
        !f.iter().any(|x| x.rule == "insecure-queue-exposed-in-api"),
        "{f:#?}"
    );
}

#[test]
fn rule_fixes_clear_the_findings() {
    // The hints are runnable: apply the fixes the zoo's findings suggest for a few rules and the
    // findings go away.
    let db = supabase_db();
    db.exec(ZOO);
    let (_, f) = diagnose_json(&db, &[]);
    for id in [
        "view-bypasses-rls:public.zoo_plain_view",
        "auth-call-per-row:public.zoo_perrow/own rows",
        "unindexed-foreign-key:public.zoo_child/zoo_child_parent_id_fkey",
        "security-definer-search-path:public.zoo_definer_open()",
        "policy-exists-rls-disabled:public.zoo_forgot",
    ] {
        let x = f
            .iter()
            .find(|x| x.id == id)
            .unwrap_or_else(|| panic!("{id}: {f:#?}"));
        db.exec(&x.hint);
    }
    let (_, after) = diagnose_json(&db, &[]);
    for x in &after {
        assert!(
            !matches!(
                x.id.as_str(),
                "view-bypasses-rls:public.zoo_plain_view"
                    | "auth-call-per-row:public.zoo_perrow/own rows"
                    | "unindexed-foreign-key:public.zoo_child/zoo_child_parent_id_fkey"
                    | "security-definer-search-path:public.zoo_definer_open()"
                    | "policy-exists-rls-disabled:public.zoo_forgot"
            ),
            "{} still found after its fix",
            x.id
        );
    }
}

// -- diagnose: the example systems ---------------------------------------------------------------

#[test]
fn example_systems_have_no_errors_and_the_expected_warnings() {
    for (name, dir) in systems() {
        let db = migrated(&dir);
        let (out, f) = diagnose_json(&db, &[]);
        let errors: Vec<&Found> = f.iter().filter(|x| x.level == "error").collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", output_text(&out));
        let audit: Vec<String> = f
            .iter()
            .filter(|x| x.rule == "audit-log-truncate")
            .map(|x| x.id.clone())
            .collect();
        match name {
            "contact-centre" => {
                assert_eq!(audit, ["audit-log-truncate:public.cc_audit_logs"], "{name}");
                let a = f.iter().find(|x| x.rule == "audit-log-truncate").unwrap();
                assert!(a.detail.contains("cc_audit_logs_immutable"), "{}", a.detail);
            }
            // Its activity log has a BEFORE TRUNCATE trigger: guarded.
            "support-desk" => assert!(audit.is_empty(), "{name}: {audit:?}"),
            _ => assert!(audit.is_empty(), "{name}: {audit:?}"),
        }
    }
}

#[test]
fn broken_variants_of_the_other_systems_are_named() {
    let cases: &[(&str, &str)] = &[
        (
            "broken/rls-disabled/migrations",
            "policy-exists-rls-disabled:public.chat_messages",
        ),
        (
            "broken/plain-view/migrations",
            "view-bypasses-rls:public.chat_session_stats",
        ),
        (
            "examples/contact-centre/broken/rls-disabled/migrations",
            "policy-exists-rls-disabled:public.cc_messages",
        ),
        (
            "examples/contact-centre/broken/mutable-audit-log/migrations",
            "",
        ),
        (
            "examples/crm-rbac/broken/rls-disabled/migrations",
            "policy-exists-rls-disabled:public.tickets",
        ),
        (
            "examples/support-desk/broken/mutable-activity-log/migrations",
            "",
        ),
    ];
    for (dir, want) in cases {
        let dir = repo().join(dir);
        if !dir.is_dir() {
            continue;
        }
        let db = migrated(&dir);
        let (_, f) = diagnose_json(&db, &[]);
        if want.is_empty() {
            // Guard triggers dropped: no longer an append-only table, so nothing to say about TRUNCATE.
            assert!(
                !f.iter().any(|x| x.rule == "audit-log-truncate"),
                "{}: {f:#?}",
                dir.display()
            );
        } else {
            assert!(
                f.iter().any(|x| x.id == *want),
                "{}: {want} not in {f:#?}",
                dir.display()
            );
        }
    }
}

// -- diagnose: exclusions, --fail-on, formats, schemas, read-only ---------------------------------

#[test]
fn exclusions_and_fail_on() {
    let db = migrated(&repo().join("examples/journal/before/migrations"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("deskctl.toml");
    std::fs::write(
        &cfg,
        "[diagnose]\nexclude = [\n  { rule = \"rls-disabled-exposed\", object = \"public.Chat*\" },\n  { rule = \"rls-disabled-exposed\", object = \"DailyMood\" },\n]\n",
    )
    .unwrap();
    let (out, f) = diagnose_json(&db, &["--config", cfg.to_str().unwrap()]);
    assert_eq!(
        ids(&f),
        [
            "rls-disabled-exposed:public.InsightRun",
            "rls-disabled-exposed:public.JournalEntry",
            "rls-disabled-exposed:public.UserMemory"
        ]
    );
    assert_eq!(out.status.code(), Some(1));

    // Everything excluded: exit 0, and the rule's PASS row says how many were excluded.
    std::fs::write(
        &cfg,
        "[diagnose]\nexclude = [{ rule = \"rls-disabled-exposed\" }]\n",
    )
    .unwrap();
    let (out, f) = diagnose_json(&db, &["--config", cfg.to_str().unwrap()]);
    assert!(f.is_empty());
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let row = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "rls-disabled-exposed")
        .unwrap();
    assert!(
        row["detail"].as_str().unwrap().contains("6 excluded"),
        "{row}"
    );

    // A typo in a rule id is an input error.
    std::fs::write(
        &cfg,
        "[diagnose]\nexclude = [{ rule = \"rls-disabled-exposd\" }]\n",
    )
    .unwrap();
    let out = diagnose(&db, &["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("did you mean `rls-disabled-exposed`"));

    // --fail-on: the fixed journal has warnings and information only.
    let good = migrated(&repo().join("examples/journal/migrations"));
    assert_eq!(diagnose(&good, &[]).status.code(), Some(0));
    assert_eq!(
        diagnose(&good, &["--fail-on", "warn"]).status.code(),
        Some(1)
    );
    assert_eq!(
        diagnose(&good, &["--fail-on", "info"]).status.code(),
        Some(1)
    );
    std::fs::write(&cfg, "[diagnose]\nfail_on = \"warn\"\n").unwrap();
    assert_eq!(
        diagnose(&good, &["--config", cfg.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn formats_schemas_and_exposed_schemas() {
    let db = migrated(&repo().join("examples/journal/before/migrations"));
    let junit = output_text(&diagnose(&db, &["--format", "junit"]));
    assert!(
        junit.contains("<testsuite") && junit.contains("rls-disabled-exposed:public.JournalEntry"),
        "{junit}"
    );
    let tap = output_text(&diagnose(&db, &["--format", "tap"]));
    assert!(tap.contains("not ok") && tap.contains("ok "), "{tap}");

    // Not exposed: the tables are no longer reachable through the API.
    let (out, f) = diagnose_json(&db, &["--exposed-schemas", "api"]);
    assert!(
        !f.iter().any(|x| x.rule == "rls-disabled-exposed"),
        "{f:#?}"
    );
    assert_eq!(out.status.code(), Some(0));

    // A schema that does not exist is an input error; another schema is inspected when asked.
    let out = diagnose(&db, &["--schema", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("schema nope does not exist"));
    db.exec("create schema api; create table api.secrets (id int primary key, token text); grant usage on schema api to anon; grant select on api.secrets to anon;");
    let (_, f) = diagnose_json(&db, &["--schema", "api", "--exposed-schemas", "api"]);
    assert_eq!(
        ids(&f),
        [
            "rls-disabled-exposed:api.secrets",
            "sensitive-columns-exposed:api.secrets"
        ]
    );

    // --output writes the report to a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.json");
    let out = diagnose(
        &db,
        &["--format", "json", "--output", path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["command"], "diagnose");
}

#[test]
fn diagnose_and_snapshot_are_read_only() {
    let db = migrated(&repo().join("migrations"));
    // Every transaction of a new session is read-only: any write would fail the commands.
    db.exec(&format!(
        "alter database {} set default_transaction_read_only = on",
        deskctl::db::quote_ident(&db.name)
    ));
    let out = diagnose(&db, &["--format", "json"]);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        output_text(&out)
    );
    json(&out);
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[[policies]]"));
}

// -- snapshot → verify round trip -----------------------------------------------------------------

fn snapshot_to(db: &TestDb, path: &Path) {
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url, "--output"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
}

fn verify(db: &TestDb, path: &Path) -> Output {
    deskctl()
        .args(["verify", "--database-url", &db.url])
        .arg(path)
        .output()
        .unwrap()
}

/// `(drop statement, policy name)` of the `k`-th policy (by table and name) of schema public.
fn nth_policy(db: &TestDb, k: usize) -> Option<(String, String)> {
    let rows = db.query(&format!(
        "select format('drop policy %I on %I.%I', p.polname, n.nspname, c.relname), p.polname::text
           from pg_policy p join pg_class c on c.oid = p.polrelid
           join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public'
          order by c.relname, p.polname offset {k} limit 1"
    ));
    rows.into_iter()
        .next()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
}

fn policy_count(db: &TestDb) -> usize {
    db.scalar("select count(*)::text from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'")
        .unwrap()
        .parse()
        .unwrap()
}

/// Snapshot, verify passes; drop one policy, verify fails naming it.
fn round_trip(name: &str, db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.toml"));
    snapshot_to(db, &file);
    let text = std::fs::read_to_string(&file).unwrap();
    for section in [
        "# Component counts",
        "# Row-level security",
        "# Privileges of the API roles",
    ] {
        assert!(text.contains(section), "{name}: no {section}\n{text}");
    }
    let out = verify(db, &file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name}: verify of its own snapshot:\n{}",
        output_text(&out)
    );
    assert!(
        output_text(&out).contains(" 0 failed"),
        "{}",
        output_text(&out)
    );

    let n = policy_count(db);
    assert!(n > 0, "{name} has policies");
    let (drop, policy) = nth_policy(db, n / 2).unwrap();
    db.exec(&drop);
    let out = verify(db, &file);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{name}: after {drop}:\n{text}");
    assert!(
        text.contains(&format!("missing policy \"{policy}\"")),
        "{name}: the failure names {policy}:\n{text}"
    );
}

#[test]
fn snapshot_round_trip_on_every_example_system() {
    for (name, dir) in systems() {
        let db = migrated(&dir);
        round_trip(name, &db);
    }
}

/// For each policy: the snapshot's checks, evaluated against the catalog without that policy,
/// fail and name it. In process, so that every policy of every system is covered.
#[test]
fn snapshot_fails_naming_any_one_dropped_policy() {
    for (name, dir) in systems() {
        let db = migrated(&dir);
        let (snap, text) = rt().block_on(async {
            let (c, _h) = deskctl::db::connect_target(&db.target(), None)
                .await
                .unwrap();
            let snap = deskctl::catalog::load_consistent(
                &c,
                &deskctl::catalog::Scope::without_expressions(vec!["public".into()]),
            )
            .await
            .unwrap();
            let history = deskctl::config::HistoryTable::parse("refinery_schema_history").unwrap();
            let cx = deskctl::lint::RuleCtx::new(&snap, &[]).skipping_history(&history);
            let text = deskctl::snapshot::write(&cx, &["public".to_string()]);
            (snap.clone(), text)
        });
        let checks = deskctl::checks::load_str(Path::new("snap.toml"), &text).unwrap();
        let results: Vec<_> = deskctl::verify::evaluate_static(&checks, &snap)
            .into_iter()
            .flatten()
            .collect();
        assert!(
            results
                .iter()
                .all(|r| r.status == deskctl::report::Status::Pass),
            "{name}: {:#?}",
            results
                .iter()
                .filter(|r| r.status != deskctl::report::Status::Pass)
                .collect::<Vec<_>>()
        );
        let mut tried = 0;
        for (i, r) in snap.relations.iter().enumerate() {
            for p in &r.policies {
                let mut broken = snap.clone();
                broken.relations[i].policies.retain(|x| x.name != p.name);
                let broken = broken.finish();
                let failed: Vec<String> = deskctl::verify::evaluate_static(&checks, &broken)
                    .into_iter()
                    .flatten()
                    .filter(|r| r.status == deskctl::report::Status::Fail)
                    .map(|r| r.detail)
                    .collect();
                assert!(
                    failed.iter().any(|d| d
                        .contains(&format!("{}: missing policy \"{}\"", r.name, p.name))
                        || d.contains(&format!("\"{}\": missing policy \"{}\"", r.name, p.name))),
                    "{name}: dropping {}.{} is not named: {failed:#?}",
                    r.name,
                    p.name
                );
                tried += 1;
            }
        }
        assert!(tried > 0, "{name}");
    }
}

#[test]
fn snapshot_of_a_database_verifies_on_an_ephemeral_cluster_migrated_from_the_same_files() {
    let db = migrated(&repo().join("migrations"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live_chat.toml");
    snapshot_to(&db, &file);
    let out = deskctl()
        .args([
            "verify",
            "--ephemeral",
            "--preset",
            "supabase",
            "--migrations",
        ])
        .arg(repo().join("migrations"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // And the same file on the broken variant (10 policies) fails naming the missing one.
    let out = deskctl()
        .args([
            "verify",
            "--ephemeral",
            "--preset",
            "supabase",
            "--migrations",
        ])
        .arg(repo().join("broken/missing-insert-policy/migrations"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("missing policy \"System can log chat activity\""),
        "{}",
        output_text(&out)
    );
}

#[test]
fn snapshot_is_deterministic_and_goes_to_stdout() {
    let db = migrated(&repo().join("examples/crm-rbac/migrations"));
    let run = || {
        let out = deskctl()
            .args(["snapshot", "--database-url", &db.url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a.starts_with("# deskctl snapshot of schema public"), "{a}");
    assert!(!a.contains("refinery_schema_history"));
    let out = deskctl()
        .args(["snapshot", "--database-url", &db.url, "--schema", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}

/// The benchmark schema (bench/verify/gen.py): N tables with 4 policies, a view and a sequence each.
#[test]
fn snapshot_round_trip_on_the_benchmark_schema() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("python3")
        .arg(repo().join("bench/verify/gen.py"))
        .arg("200")
        .arg(dir.path())
        .status()
        .expect("python3 runs bench/verify/gen.py");
    assert!(status.success());
    let sql = std::fs::read_to_string(dir.path().join("schema.sql")).unwrap();
    // psql meta-commands (\set ...) are not SQL.
    let sql: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n");
    let db = supabase_db();
    db.exec(&sql);
    let t = std::time::Instant::now();
    round_trip("bench-200", &db);
    eprintln!(
        "bench round trip (snapshot, verify x2) on 200 tables: {:?}",
        t.elapsed()
    );

    // The benchmark's own 4 policies per table use (select auth.uid()) and an index: diagnose
    // has no error or warning to report about them.
    let (_, f) = diagnose_json(&db, &[]);
    assert!(
        f.iter().all(|x| x.level == "info"),
        "{:#?}",
        f.iter()
            .filter(|x| x.level != "info")
            .take(5)
            .collect::<Vec<_>>()
    );
}
