//! Hostile check files against issue 10's promises 1 and 2: verify changes nothing (no spelling of
//! COMMIT, no lexer trick, no procedure, no disabled timeout gets through; effects outside the
//! transaction are refused) and a step runs as what it says (a role, claims or timeout changed
//! mid-step, or an RLS table read by a role RLS does not bind, is an ERROR, never a PASS). Each
//! test compares a checksum of every table, sequence and function before and after the run.

use std::time::Duration;

use crate::common::{deskctl, output_text, verify, TestDb};

/// Every table's rows (sorted, as text), every sequence's position, every function and
/// relation in the public schema: what a check must not be able to change.
fn checksum(db: &TestDb) -> String {
    let mut out = String::new();
    let tables = db.query(
        "select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and n.nspname = 'public' order by 1",
    );
    for t in tables {
        let t = t[0].clone().unwrap();
        let sum = db.scalar(&format!(
            "select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from {t} x"
        ));
        out.push_str(&format!("{t}={sum:?}\n"));
    }
    for s in db.query(
        "select format('%I.%I', schemaname, sequencename) from pg_sequences where schemaname = 'public' order by 1",
    ) {
        let s = s[0].clone().unwrap();
        let v = db.query(&format!("select last_value::text, is_called::text from {s}"));
        out.push_str(&format!("{s}={v:?}\n"));
    }
    let objects = db.query(
        "select string_agg(c.relname, ',' order by c.relname) from pg_class c where c.relnamespace = 'public'::regnamespace \
         union all select string_agg(p.proname, ',' order by p.proname) from pg_proc p where p.pronamespace = 'public'::regnamespace \
         union all select string_agg(rolname, ',' order by rolname) from pg_roles where rolname like 'hostile%'",
    );
    out.push_str(&format!("{objects:?}"));
    out
}

/// An RLS-protected table, a plain one, a sequence, an owner role without FORCE.
fn hostile_db() -> (TestDb, String) {
    let db = TestDb::supabase();
    let owner = format!("owner_{}", db.name);
    db.exec(
        &r#"
create role OWNER nologin;
create table public.marker (a int);
insert into public.marker values (1);
create table public.notes (id serial primary key, owner uuid, body text);
alter table public.notes enable row level security;
create policy notes_select on public.notes for select to authenticated using (owner = auth.uid());
create policy notes_insert on public.notes for insert to authenticated with check (owner = auth.uid());
grant select, insert on public.notes to authenticated;
grant usage on sequence public.notes_id_seq to authenticated;
insert into public.notes (owner, body) values ('00000000-0000-4000-8000-000000000001', 'a'), (null, 'b');
create table public.owned (id int, body text);
alter table public.owned enable row level security;
alter table public.owned owner to OWNER;
grant select on public.marker to authenticated;
"#
        .replace("OWNER", &format!("\"{owner}\"")),
    );
    (db, owner)
}

/// No spelling of transaction control (or of anything else that would end, escape or outlive
/// the transaction) reaches the server: the file is refused with each statement named, exit 2,
/// and nothing changed.
#[test]
fn every_spelling_of_transaction_control_is_refused_before_sending() {
    let (db, _) = hostile_db();
    let before = checksum(&db);
    let texts = [
        "create function begin() returns int language sql as 'select 1'; commit; select 1",
        "END",
        "abort work",
        "commit and chain",
        "/* ; */ COMMIT -- ;",
        "select $x$ ; $x$; rollback",
        "savepoint s",
        "release s",
        "rollback to savepoint deskctl_step",
        "prepare transaction 'hostile'",
        "commit prepared 'hostile'",
        "start transaction",
        "set standard_conforming_strings = off; select 'a\\'; commit; --'",
        "reset all",
        "set role postgres",
        "set session authorization postgres",
        "set local statement_timeout = 0",
        "select set_config('role', 'postgres', true)",
        "select pg_catalog.set_config('statement_timeout', '0', false)",
        "select U&\"set\\005Fconfig\"('lock_timeout', '0', true)",
        "discard all",
        "listen hostile",
        "vacuum public.marker",
        "prepare p as select 1",
        "copy public.marker to program 'touch /tmp/hostile'",
        "copy public.marker from '/etc/passwd'",
        "select setval('public.notes_id_seq', 1)",
        "select dblink_exec('dbname=postgres', 'create table public.escaped (a int)')",
        "select lo_export(1, '/tmp/hostile')",
        "select pg_terminate_backend(pg_backend_pid())",
        "select pg_advisory_lock(1)",
    ];
    let mut checks = String::new();
    for (i, t) in texts.iter().enumerate() {
        let key = if i % 2 == 0 { "setup" } else { "query" };
        let t = toml_str(t);
        if key == "setup" {
            checks.push_str(&format!(
                "[[scenario]]\nid = \"c{i}\"\nsetup = {t}\nquery = \"select 1\"\nexpect_ok = true\n\n"
            ));
        } else {
            checks.push_str(&format!(
                "[[scenario]]\nid = \"c{i}\"\nquery = {t}\nexpect_ok = true\n\n"
            ));
        }
    }
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text.contains(&format!(
            "{} problems in check files; nothing was run",
            texts.len()
        )),
        "{}",
        r.text
    );
    for needle in [
        "contains COMMIT (`commit`, line 1, column 65)",
        "contains ROLLBACK",
        "contains SAVEPOINT",
        "contains RELEASE SAVEPOINT",
        "contains ROLLBACK TO SAVEPOINT",
        "contains PREPARE TRANSACTION",
        "contains COMMIT PREPARED",
        "contains START TRANSACTION",
        "contains SET standard_conforming_strings",
        "contains RESET ALL",
        "contains SET ROLE",
        "contains SET SESSION AUTHORIZATION",
        "contains set_config('role', ...)",
        "contains set_config('statement_timeout', ...)",
        "contains set_config('lock_timeout', ...)",
        "contains DISCARD ALL",
        "contains LISTEN",
        "contains VACUUM",
        "contains PREPARE",
        "contains COPY TO PROGRAM",
        "contains COPY FROM a server file",
        "contains a call of setval()",
        "contains a call of dblink_exec()",
        "contains a call of lo_export()",
        "contains a call of pg_terminate_backend()",
        "contains a call of pg_advisory_lock()",
    ] {
        assert!(r.text.contains(needle), "lacks {needle:?}:\n{}", r.text);
    }
    assert_eq!(checksum(&db), before);
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Texts deskctl's parser and the server could read differently: the server parses every
/// statement itself (extended protocol), so a text that is one SELECT to deskctl but
/// `INSERT; COMMIT` to a server whose standard_conforming_strings a check switched off never
/// runs. Quoting tricks that hide COMMIT inside strings stay strings.
#[test]
fn the_server_parses_each_statement_itself() {
    let (db, _) = hostile_db();
    let before = checksum(&db);
    // To deskctl (standard_conforming_strings on) one SELECT; to a server with it off:
    // select 'x\', '; insert ...; commit; select '--'.
    let trick = "select 'x\\', '; insert into public.marker values (7); commit; select '--'";
    let checks = format!(
        r#"
[[scenario]]
id = "scs-switched-by-a-function"
setup = "select set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', true)"
query = {trick}
expect_ok = true

[[scenario]]
id = "scs-switched-by-an-earlier-step"
[[scenario.step]]
query = "select set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', true)"
expect_ok = true
[[scenario.step]]
query = {trick}
expect_ok = true

[[sql]]
id = "strings-that-hide-commit"
query = "select length(E'\\'; commit; --') + length($$; commit;$$) + length($q$ $$; rollback $q$) /* ; commit */"
expect = 36

[[scenario]]
id = "plain-trick-is-one-select"
query = {trick}
expect_ok = true
"#,
        trick = toml_str(trick)
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.error(
        "scs-switched-by-a-function",
        &["standard_conforming_strings changed from on to off"],
    );
    r.error(
        "scs-switched-by-an-earlier-step",
        &["standard_conforming_strings changed from on to off"],
    );
    assert_eq!(r.status("strings-that-hide-commit").0, "pass", "{}", r.text);
    assert_eq!(
        r.status("plain-trick-is-one-select").0,
        "pass",
        "{}",
        r.text
    );
    assert_eq!(checksum(&db), before, "{}", r.text);
}

/// Procedures, DO blocks and functions cannot end the transaction: the server refuses
/// (invalid_transaction_termination) and nothing they did survives.
#[test]
fn routines_that_commit_cannot_end_the_transaction() {
    let (db, _) = hostile_db();
    let before = checksum(&db);
    let checks = r#"
[[scenario]]
id = "procedure-commits"
setup = """
create procedure public.p() language plpgsql as $$
begin insert into public.marker values (2); commit; insert into public.marker values (3); end $$
"""
query = "call public.p()"
expect_ok = true

[[scenario]]
id = "do-commits"
query = "do $$ begin insert into public.marker values (4); commit; end $$"
expect_ok = true

[[scenario]]
id = "dynamic-commit"
setup = """
create function public.f() returns int language plpgsql as $$
begin insert into public.marker values (5); execute 'commit'; return 1; end $$
"""
query = "select public.f()"
expect = 1

[[rejects]]
id = "rejects-commit-in-procedure"
setup = "create procedure public.q() language plpgsql as $$ begin insert into public.marker values (6); rollback; end $$"
statement = "call public.q()"
sqlstate = "2D000"
"#;
    let r = verify(&db, checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    for id in ["procedure-commits", "do-commits", "dynamic-commit"] {
        let (s, d) = r.status(id);
        assert_eq!(s, "fail", "{id}: {d}");
        assert!(
            d.contains("2D000") || d.contains("0A000") || d.contains("transaction"),
            "{id}: {d}"
        );
    }
    assert_eq!(r.status("rejects-commit-in-procedure").0, "pass");
    assert_eq!(checksum(&db), before, "{}", r.text);
}

/// A step that changes its role, its claims or a timeout by any route the text does not show
/// (set_config with a computed name, a function doing SET ROLE) is an error naming the change.
#[test]
fn a_step_that_changes_who_it_runs_as_is_an_error() {
    let (db, _) = hostile_db();
    let before = checksum(&db);
    let su = db.scalar("select current_user").unwrap();
    let checks = format!(
        r#"
[[scenario]]
id = "set-config-role-in-select"
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-8000-000000000001" }} }}
query = "select set_config(lower('ROLE'), '{su}', true)"
expect_ok = true

[[scenario]]
id = "function-does-set-role"
setup = [
  "create function public.become() returns int language plpgsql as $$ begin execute 'set role {su}'; return 1; end $$",
  "grant execute on function public.become() to authenticated",
]
as = "authenticated"
query = "select public.become()"
expect = 1

[[scenario]]
id = "claims-changed-mid-step"
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-8000-000000000001" }} }}
query = "select set_config('request.jwt.claims', '{{\"sub\":\"someone-else\"}}', true)"
expect_ok = true

[[scenario]]
id = "timeout-switched-off-in-select"
query = "select set_config(lower('STATEMENT_TIMEOUT'), '0', true)"
expect_ok = true

[[sql]]
id = "sql-kind-too"
query = "select set_config(lower('LOCK_TIMEOUT'), '0', true) is not null"
expect = true

[[scenario]]
id = "setup-changes-role"
setup = "select set_config(lower('ROLE'), 'authenticated', true)"
query = "select 1"
expect_ok = true

[[scenario]]
id = "honest"
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-8000-000000000001" }} }}
query = "select current_user, auth.uid()"
rows = [["authenticated", "00000000-0000-4000-8000-000000000001"]]
"#
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.error(
        "set-config-role-in-select",
        &[&format!("current_user changed from authenticated to {su}")],
    );
    r.error(
        "function-does-set-role",
        &[&format!("current_user changed from authenticated to {su}")],
    );
    r.error(
        "claims-changed-mid-step",
        &["request.jwt.claims changed from", "someone-else"],
    );
    r.error(
        "timeout-switched-off-in-select",
        &["statement_timeout changed from 5s to 0"],
    );
    r.error("sql-kind-too", &["lock_timeout changed from 2s to 0"]);
    r.error(
        "setup-changes-role",
        &[&format!(
            "it would have run as authenticated instead of {su}"
        )],
    );
    assert_eq!(r.status("honest").0, "pass", "{}", r.text);
    assert_eq!(checksum(&db), before, "{}", r.text);
}

/// Switching the server's statement_timeout off (by a route the text does not show) and then
/// sleeping cannot hang deskctl: its own deadline cancels the query.
#[test]
fn a_check_that_disables_the_timeout_still_cannot_hang() {
    let (db, _) = hostile_db();
    let checks = r#"
[[scenario]]
id = "sleeps"
setup = "select set_config(lower('STATEMENT_TIMEOUT'), '0', true)"
query = "select pg_sleep(60)"
expect_ok = true

[[sql]]
id = "after"
query = "select 1"
expect = 1
"#;
    let r = verify(&db, checks, &["--statement-timeout", "300"]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.error(
        "sleeps",
        &["deskctl's own deadline", "cancel request was sent"],
    );
    assert_eq!(r.status("after").0, "pass", "{}", r.text);
    assert!(r.wall < Duration::from_secs(20), "took {:?}", r.wall);
    // Nothing left running on the server.
    let busy = db.scalar("select count(*)::text from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()");
    assert_eq!(busy.as_deref(), Some("0"));
}

/// Whether a step reads an RLS table its role is not bound by is decided from what it read at
/// run time, not from names in its text: dynamic SQL, unicode-escaped and quoted names, views and
/// functions are all caught; the owner of a table without FORCE too.
#[test]
fn reading_an_rls_table_unbound_is_caught_however_it_is_spelled() {
    let (db, owner) = hostile_db();
    let before = checksum(&db);
    let checks = format!(
        r#"
[[scenario]]
id = "dynamic-sql-as-superuser"
setup = """
create function public.n() returns bigint language plpgsql as $$
declare r bigint; begin execute 'select count(*) from public.' || 'no' || 'tes' into r; return r; end $$
"""
query = "select public.n()"
expect = 2

[[scenario]]
id = "unicode-escaped-name"
query = 'select count(*) from public.U&"\006Eotes"'
expect = 2

[[scenario]]
id = "owner-without-force-dynamic"
as = "{owner}"
setup = [
  "create function public.o() returns bigint language plpgsql as $$ declare r bigint; begin execute 'select count(*) from public.' || 'owned' into r; return r; end $$",
  "grant execute on function public.o() to public",
]
query = "select public.o() + 1"
expect = 1

[[scenario]]
id = "api-role-is-fine"
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-8000-000000000001" }} }}
query = "select count(*) from public.notes"
expect = 1

[[scenario]]
id = "bypass-declared"
as = {{ bypass = true }}
query = "select public_count from (select count(*) as public_count from public.notes) x"
expect = 2
"#
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.error(
        "dynamic-sql-as-superuser",
        &[
            "is a superuser, so RLS on notes does not apply to it",
            "the step read it",
        ],
    );
    r.error("unicode-escaped-name", &["RLS on notes does not apply"]);
    r.error(
        "owner-without-force-dynamic",
        &["not FORCE ROW LEVEL SECURITY"],
    );
    assert_eq!(r.status("api-role-is-fine").0, "pass", "{}", r.text);
    assert_eq!(r.status("bypass-declared").0, "pass", "{}", r.text);
    assert_eq!(checksum(&db), before, "{}", r.text);
}

/// What a rolled-back check can still change (docs/checks.md): sequences advanced by inserts
/// are not given back; NOTIFY is not delivered (it is sent at commit only).
#[test]
fn documented_side_effects_are_what_the_docs_say() {
    let (db, _) = hostile_db();
    let seq_before = db.scalar("select last_value::text from public.notes_id_seq");
    let rows_before = checksum(&db);
    let checks = r#"
[[scenario]]
id = "insert-uses-the-sequence"
setup = "notify hostile_channel, 'from a check'"
as = { role = "authenticated", claims = { sub = "00000000-0000-4000-8000-000000000001" } }
query = "insert into public.notes (owner, body) values (auth.uid(), 'x')"
expect_rows = 1
"#;
    // A session listening on the channel while verify runs.
    let t = db.target();
    let rt = crate::common::rt();
    let got_notification = rt.block_on(async {
        let (client, mut conn) = t.config.connect(tokio_postgres::NoTls).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let stream = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        let task = tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut stream = Box::pin(stream);
            while let Some(Ok(m)) = stream.next().await {
                if let tokio_postgres::AsyncMessage::Notification(n) = m {
                    let _ = tx.send(n.payload().to_string());
                }
            }
        });
        client
            .batch_execute("listen hostile_channel")
            .await
            .unwrap();
        let r = tokio::task::spawn_blocking({
            let db_url = db.url.clone();
            move || {
                let dir = tempfile::tempdir().unwrap();
                let f = dir.path().join("n.toml");
                std::fs::write(&f, checks).unwrap();
                deskctl()
                    .args(["verify", "--database-url", &db_url, "--format", "json"])
                    .arg(&f)
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert_eq!(r.status.code(), Some(0), "{}", output_text(&r));
        // Any notification would have arrived by the time a round trip completes.
        client.batch_execute("select 1").await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let got = rx.try_recv().ok();
        drop(client);
        task.abort();
        got
    });
    assert_eq!(
        got_notification, None,
        "NOTIFY from a rolled-back check was delivered"
    );
    // The rows are as they were; the sequence moved on (documented, not undone).
    let seq_after = db.scalar("select last_value::text from public.notes_id_seq");
    assert_ne!(seq_before, seq_after);
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("public.notes_id_seq"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&checksum(&db)), strip(&rows_before));
}

/// An `immutable` attempt runs as the identity it names from start to end: a trigger that
/// switches the role (or the claims) during the attack and then skips the row would otherwise
/// read as "UPDATE/DELETE had no effect" — a PASS decided by someone else. It is an ERROR naming
/// what changed; the honest table next to it still passes, and nothing is changed.
#[test]
fn an_immutable_attempt_that_changes_who_it_runs_as_is_an_error() {
    let (db, _) = hostile_db();
    let su = db.scalar("select current_user").unwrap();
    db.exec(&format!(
        r#"
create table public.sly (id int primary key, body text);
insert into public.sly values (1, 'a');
create function public.sly_guard() returns trigger language plpgsql as $$
begin
  perform set_config('role', '{su}', true);
  perform set_config('request.jwt.claims', '{{"sub":"nobody"}}', true);
  return null;
end $$;
create trigger sly_guard before update or delete on public.sly for each row execute function public.sly_guard();
grant select, update, delete on public.sly to authenticated;
create table public.honest (id int primary key, body text);
insert into public.honest values (1, 'a');
create function public.honest_guard() returns trigger language plpgsql as $$
begin return null; end $$;
create trigger honest_guard before update or delete on public.honest for each row execute function public.honest_guard();
grant select, update, delete on public.honest to authenticated;
"#
    ));
    let before = checksum(&db);
    let checks = r#"
[[immutable]]
id = "sly"
table = "sly"
as = { role = "authenticated", claims = { sub = "00000000-0000-4000-8000-000000000001" } }
deny = ["UPDATE", "DELETE"]

[[immutable]]
id = "honest"
table = "honest"
as = { role = "authenticated", claims = { sub = "00000000-0000-4000-8000-000000000001" } }
deny = ["UPDATE", "DELETE"]
"#;
    let r = verify(&db, checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.error(
        "sly",
        &[
            "changed the session",
            &format!("current_user changed from authenticated to {su}"),
            "request.jwt.claims changed from",
        ],
    );
    assert_eq!(r.status("honest").0, "pass", "{}", r.text);
    assert_eq!(checksum(&db), before, "{}", r.text);
}
