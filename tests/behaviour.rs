//! Behaviour checks (issue 5) against real PostgreSQL: `immutable`, `scenario`, `rejects` and
//! `sql` passing and failing on a purpose-built schema and on the example systems (the seeds'
//! hand-run tests as checks), the safety rules (refusals, timeouts, session restored), and the
//! safety test: verify leaves every row of every table byte-identical.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{deskctl, output_text, repo, rt, verify, TestDb};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn example_dir(example: &str, variant: Option<&str>) -> PathBuf {
    let base = repo().join("examples").join(example);
    match variant {
        None => base.join("migrations"),
        Some(v) => base.join("broken").join(v).join("migrations"),
    }
}

/// A fresh Supabase-like database with an example's migrations applied by `deskctl migrate`.
fn migrated(example: &str, variant: Option<&str>) -> TestDb {
    let db = TestDb::supabase();
    let out = deskctl()
        .args([
            "migrate",
            "--no-lint",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(example_dir(example, variant))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    db
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// (table, row count, md5 of every row's text in order) for every table of public, auth and
/// storage: equal before and after means every row is byte-identical.
fn checksums(db: &TestDb) -> Vec<Vec<Option<String>>> {
    let tables = db.query(
        "select format('%I.%I', n.nspname, c.relname) from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and n.nspname in ('public', 'auth', 'storage') order by 1",
    );
    assert!(!tables.is_empty());
    let sql = tables
        .iter()
        .map(|t| {
            let t = t[0].as_deref().unwrap();
            format!(
                "select {} as t, count(*)::text, md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from {t} x",
                lit(t)
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    db.query(&format!("{sql} order by 1"))
}

const U1: &str = "00000000-0000-4000-8000-000000000001";
const U2: &str = "00000000-0000-4000-8000-000000000002";

/// A schema with one of everything the behaviour kinds look at. `OWNER` is a non-superuser role
/// (unique per database: roles are cluster-wide) owning two of the tables.
fn purpose_built() -> (TestDb, String) {
    let db = TestDb::supabase();
    let owner = format!("owner_{}", db.name);
    let sql = r#"
create role OWNER nologin;
create table public.notes (id serial primary key, owner uuid not null default auth.uid(), body text not null);
alter table public.notes enable row level security;
create policy notes_select on public.notes for select to authenticated using (owner = auth.uid());
create policy notes_insert on public.notes for insert to authenticated with check (owner = auth.uid());
create policy notes_update on public.notes for update to authenticated
  using (owner = auth.uid()) with check (owner = auth.uid());
create policy notes_delete on public.notes for delete to authenticated using (owner = auth.uid());
revoke all on public.notes from anon;
insert into public.notes (owner, body) values ('U1', 'a1'), ('U2', 'b1'), ('U2', 'b2');

create function public.no_change() returns trigger language plpgsql as $$
begin
  raise exception '% is immutable: % is not allowed', tg_table_name, tg_op using errcode = '42501';
end $$;

-- Immutable: row triggers AND a TRUNCATE trigger; RLS on, no policy (API roles see nothing).
create table public.audit (id serial primary key, event text not null);
alter table public.audit enable row level security;
create trigger audit_row before update or delete on public.audit for each row execute function public.no_change();
create trigger audit_truncate before truncate on public.audit for each statement execute function public.no_change();
insert into public.audit (event) values ('e1');
-- The same, empty.
create table public.audit_empty (id serial primary key, event text not null);
create trigger audit_empty_row before update or delete on public.audit_empty for each row execute function public.no_change();
create trigger audit_empty_truncate before truncate on public.audit_empty for each statement execute function public.no_change();
-- Row triggers only: TRUNCATE gets through (contact-centre's cc_audit_logs).
create table public.halfaudit (id serial primary key, event text not null);
create trigger halfaudit_row before update or delete on public.halfaudit for each row execute function public.no_change();
insert into public.halfaudit (event) values ('e1');
-- Nothing protects this one.
create table public.mutable_log (id serial primary key, event text);
insert into public.mutable_log (event) values ('x'), ('y');
-- Partitioned: the same ctid in both partitions; one row must be attacked, not two.
create table public.plog (id int, part int) partition by list (part);
create table public.plog_1 partition of public.plog for values in (1);
create table public.plog_2 partition of public.plog for values in (2);
insert into public.plog values (1, 1), (2, 2);
-- Referenced by a foreign key: TRUNCATE needs CASCADE.
create table public.parent_log (id int primary key);
create table public.child_ref (parent int references public.parent_log (id));
insert into public.parent_log values (1);

create table public.things (id int primary key, qty int not null check (qty > 0), code text unique);
revoke all on public.things from anon;
insert into public.things values (1, 5, 'A');
create view public.notes_view as select * from public.notes;

-- Owned by a non-superuser: RLS on but not forced (the owner bypasses it), and forced.
create table public.owned_notes (id int primary key, body text);
alter table public.owned_notes enable row level security;
create policy owned_mine on public.owned_notes for select to OWNER using (body = 'mine');
insert into public.owned_notes values (1, 'mine'), (2, 'theirs');
alter table public.owned_notes owner to OWNER;
create table public.forced_notes (id int primary key, body text);
alter table public.forced_notes enable row level security;
alter table public.forced_notes force row level security;
create policy forced_mine on public.forced_notes for select to OWNER using (body = 'mine');
insert into public.forced_notes values (1, 'mine'), (2, 'theirs');
alter table public.forced_notes owner to OWNER;
"#
    .replace("OWNER", &format!("\"{owner}\""))
    .replace("'U1'", &lit(U1))
    .replace("'U2'", &lit(U2));
    db.exec(&sql);
    (db, owner)
}

// ---------------------------------------------------------------------------------------------
// Each kind, passing and failing
// ---------------------------------------------------------------------------------------------

#[test]
fn scenario_passes_and_fails() {
    let (db, _) = purpose_built();
    let checks = format!(
        r#"
[[scenario]]
id = "own-rows"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "select body from notes"
rows = [["a1"]]

[[scenario]]
id = "a-writes-b-cannot-read"
[[scenario.step]]
name = "A writes"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "insert into notes (body) values ('secret') returning body"
rows = [["secret"]]
[[scenario.step]]
name = "B cannot read it"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "select * from notes where body = 'secret'"
expect_rows = 0
[[scenario.step]]
name = "B cannot change it"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "update notes set body = 'pwned' where body = 'secret'"
expect_rows = 0
[[scenario.step]]
name = "B cannot write as A"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "insert into notes (owner, body) values ('{U1}', 'forged')"
expect_error = "42501"
message = "row-level security"
[[scenario.step]]
name = "A sees it"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "select count(*) from notes"
expect = 2

[[scenario]]
id = "value-and-ok"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U2}", email = "b@example.com" }} }}
query = "select auth.uid() = '{U2}' and auth.jwt() ->> 'email' = 'b@example.com' and auth.role() = 'authenticated'"
expect = true
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "delete from notes where body = 'b1'"
expect_ok = true

[[scenario]]
id = "anon-sees-nothing"
as = "anon"
query = "select * from notes"
expect_error = "insufficient_privilege"

# --- failing on purpose ---

[[scenario]]
id = "fail-count"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "select body from notes order by body"
expect_rows = 1

[[scenario]]
id = "fail-rows"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "select body from notes"
rows = [["b1"], ["zz"]]

[[scenario]]
id = "fail-no-error"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "insert into notes (body) values ('mine')"
expect_error = "42501"

[[scenario]]
id = "fail-middle-step"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "select 1"
expect_rows = 1
[[scenario.step]]
name = "U1 reads U2's notes"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "select * from notes where body like 'b%'"
expect_rows = 2
[[scenario.step]]
query = "select 'never run'"
expect_rows = 1

[[scenario]]
id = "fail-unexpected-error"
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "insert into notes (owner, body) values ('{U2}', 'forged')"
expect_ok = true

[[scenario]]
id = "error-bad-sql"
as = "authenticated"
query = "selec 1"
expect_ok = true
"#
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "own-rows",
        "pass",
        &[&format!(
            "as authenticated (sub {U1}): rows as expected (1 row)"
        )],
    );
    r.expect(
        "a-writes-b-cannot-read",
        "pass",
        &[
            "step 1 (A writes)",
            "step 2 (B cannot read it)",
            "0 rows",
            "step 4 (B cannot write as A)",
            "rejected: 42501",
            "step 5 (A sees it)",
            "= 2",
        ],
    );
    r.expect("value-and-ok", "pass", &["= t", "ok (1 row)"]);
    r.expect(
        "anon-sees-nothing",
        "pass",
        &["as anon: rejected: 42501 insufficient_privilege: permission denied for table notes"],
    );
    r.expect(
        "fail-count",
        "fail",
        &[&format!(
            "as authenticated (sub {U2}): expected 1 row, got 2: [b1], [b2]"
        )],
    );
    r.expect(
        "fail-rows",
        "fail",
        &["expected rows [b1], [zz], got [b1], [b2]"],
    );
    r.expect(
        "fail-no-error",
        "fail",
        &["expected error 42501 insufficient_privilege, but it succeeded (1 row)"],
    );
    r.expect(
        "fail-middle-step",
        "fail",
        &[
            "step 2 (U1 reads U2's notes)",
            "expected 2 rows, got 0",
            "(after step 1: ",
        ],
    );
    let (_, d) = r.status("fail-middle-step");
    assert!(!d.contains("step 3"), "{d}");
    r.expect("fail-unexpected-error", "fail", &["expected no error, got error 42501 insufficient_privilege: new row violates row-level security policy"]);
    r.expect("error-bad-sql", "error", &["42601 syntax_error"]);
}

#[test]
fn immutable_passes_and_fails() {
    let (db, _) = purpose_built();
    let checks = format!(
        r#"
[[immutable]]
id = "audit"
table = "audit"
as = ["service_role", {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}]

[[immutable]]
id = "audit-empty-seeded"
table = "audit_empty"
seed = "insert into audit_empty (event) values ('probe')"
where = "event = 'probe'"

[[immutable]]
id = "audit-empty-no-seed"
table = "audit_empty"

[[immutable]]
id = "halfaudit"
table = "halfaudit"
as = "authenticated"

[[immutable]]
id = "halfaudit-no-truncate"
table = "halfaudit"
deny = ["UPDATE", "DELETE"]

[[immutable]]
id = "mutable"
table = "mutable_log"

[[immutable]]
id = "partitioned"
table = "plog"
deny = ["UPDATE", "DELETE"]

[[immutable]]
id = "fk-referenced"
table = "parent_log"
deny = ["TRUNCATE"]

[[immutable]]
id = "missing"
table = "audit_logs"
"#
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "audit",
        "pass",
        &[
            "audit is immutable",
            "UPDATE rejected as owner (",
            ", service_role: 42501 insufficient_privilege: audit is immutable: UPDATE is not allowed",
            // RLS hides the row from authenticated: no effect, the row is still there unchanged.
            &format!("UPDATE as authenticated (sub {U1}) had no effect: 0 rows, the row is still there unchanged"),
            "DELETE rejected as owner",
            "TRUNCATE rejected as owner",
            "audit is immutable: TRUNCATE is not allowed",
        ],
    );
    r.expect(
        "audit-empty-seeded",
        "pass",
        &["UPDATE rejected", "DELETE rejected", "TRUNCATE rejected"],
    );
    r.expect(
        "audit-empty-no-seed",
        "error",
        &["no row to attack: audit_empty has no row", "add seed ="],
    );
    r.expect(
        "halfaudit",
        "fail",
        &[
            "TRUNCATE succeeded as owner (",
            "), authenticated;",
            "UPDATE and DELETE are blocked by row-level trigger halfaudit_row, but row-level triggers do not fire on TRUNCATE and halfaudit has no TRUNCATE trigger",
            "blocked: UPDATE rejected as owner",
        ],
    );
    r.expect(
        "halfaudit-no-truncate",
        "pass",
        &["(TRUNCATE not checked: not in `deny`)"],
    );
    r.expect(
        "mutable",
        "fail",
        &[
            "UPDATE succeeded as owner (",
            "(1 row)",
            "DELETE succeeded as owner",
            "TRUNCATE succeeded as owner",
        ],
    );
    let (_, d) = r.status("mutable");
    assert!(
        !d.contains("blocked by"),
        "no trigger explanation without row triggers: {d}"
    );
    r.expect(
        "partitioned",
        "fail",
        &[
            "UPDATE succeeded as owner (",
            "(1 row); DELETE succeeded as owner (",
        ],
    );
    r.expect(
        "fk-referenced",
        "fail",
        &["TRUNCATE succeeded as owner", "(with CASCADE)"],
    );
    r.expect("missing", "fail", &["audit_logs: no such table"]);
}

#[test]
fn rejects_and_sql_pass_and_fail() {
    let (db, _) = purpose_built();
    let checks = r#"
[[rejects]]
id = "duplicate"
setup = "insert into things values (2, 1, 'B')"
statement = "insert into things values (3, 1, 'B')"
sqlstate = "23505"
message = "things_code_key"

[[rejects]]
id = "check"
statement = "insert into things values (4, 0, 'C')"
sqlstate = "check_violation"

[[rejects]]
id = "as-role"
as = "anon"
statement = "insert into things values (5, 1, 'D')"
sqlstate = "42501"

[[rejects]]
id = "fail-succeeds"
statement = "insert into things values (6, 1, 'E')"
sqlstate = "23505"

[[rejects]]
id = "fail-other-code"
statement = "insert into things values (7, null, 'F')"
sqlstate = "23514"

[[rejects]]
id = "fail-message"
statement = "insert into things values (1, 1, 'G')"
sqlstate = "23505"
message = "things_code_key"

[[sql]]
id = "count"
query = "select count(*) from notes"
expect = 3

[[sql]]
id = "bool"
query = "select relrowsecurity from pg_class where oid = 'public.notes'::regclass"
expect = true

[[sql]]
id = "text"
query = "select code from things where id = 1"
expect = "A"

[[sql]]
id = "null"
query = "select null::text"
expect = "NULL"

[[sql]]
id = "sql-as-role"
as = "authenticated"
query = "select current_user"
expect = "authenticated"

[[sql]]
id = "fail-value"
query = "select count(*) from notes"
expect = 4

[[sql]]
id = "fail-shape"
query = "select id, body from notes"
expect = 1
"#;
    let r = verify(&db, checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect("duplicate", "pass", &["rejected: 23505 unique_violation: duplicate key value violates unique constraint \"things_code_key\""]);
    r.expect(
        "check",
        "pass",
        &["23514 check_violation", "things_qty_check"],
    );
    r.expect("as-role", "pass", &["as anon: rejected: 42501"]);
    r.expect(
        "fail-succeeds",
        "fail",
        &["expected error 23505 unique_violation, but it succeeded (1 row)"],
    );
    r.expect(
        "fail-other-code",
        "fail",
        &["expected error 23514 check_violation, got 23502 not_null_violation"],
    );
    r.expect(
        "fail-message",
        "fail",
        &["does not contain \"things_code_key\"", "things_pkey"],
    );
    r.expect("count", "pass", &["= 3"]);
    r.expect("bool", "pass", &["= t"]);
    r.expect("text", "pass", &["= A"]);
    r.expect("null", "pass", &["= NULL"]);
    r.expect("sql-as-role", "pass", &["= authenticated"]);
    r.expect("fail-value", "fail", &["expected 4, got 3"]);
    r.expect(
        "fail-shape",
        "fail",
        &["expected a single value (1), got 3 rows of 2 columns"],
    );
}

// ---------------------------------------------------------------------------------------------
// Safety
// ---------------------------------------------------------------------------------------------

#[test]
fn refusals_before_impersonating() {
    let (db, owner) = purpose_built();
    let checks = format!(
        r#"
[[scenario]]
id = "bypassrls"
setup = "select 1/0"          # never runs: the refusal comes first
as = "service_role"
query = "select * from notes"
expect_rows = 3

[[scenario]]
id = "bypassrls-expected"
as = {{ role = "service_role", bypass = true }}
query = "select * from notes"
expect_rows = 3

[[scenario]]
id = "superuser"
as = {{ role = "{su}" }}
query = "select 1"
expect_ok = true

[[scenario]]
id = "connecting-user-on-rls-table"
query = "select * from notes"
expect_rows = 3

[[scenario]]
id = "connecting-user-through-a-view"
query = "select * from notes_view"
expect_rows = 3

[[scenario]]
id = "connecting-user-bypass"
as = {{ bypass = true }}
query = "select * from notes"
expect_rows = 3

[[scenario]]
id = "connecting-user-no-rls-table"
query = "select * from things"
expect_rows = 1

[[scenario]]
id = "owner-not-forced"
as = "{owner}"
query = "select * from owned_notes"
expect_rows = 1

[[scenario]]
id = "owner-keyword"
as = "owner"
query = "select * from owned_notes"
expect_rows = 1

[[scenario]]
id = "owner-forced"
as = "{owner}"
query = "select body from forced_notes"
rows = [["mine"]]

[[scenario]]
id = "unknown-role"
as = "authenticatd"
query = "select 1"
expect_ok = true

[[rejects]]
id = "rejects-bypassrls"
as = "service_role"
statement = "insert into things values (1, 1, 'A')"
sqlstate = "23505"

[[sql]]
id = "sql-as-connecting-user"
query = "select count(*) from notes"
expect = 3
"#,
        su = db.scalar("select current_user").unwrap(),
    );
    let r = verify(&db, &checks, &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "bypassrls",
        "error",
        &[
            "refused to run as service_role: service_role has BYPASSRLS",
            "bypass = true",
        ],
    );
    r.expect("bypassrls-expected", "pass", &["3 rows"]);
    r.expect(
        "superuser",
        "error",
        &["is a superuser: it bypasses RLS and every privilege"],
    );
    r.expect(
        "connecting-user-on-rls-table",
        "error",
        &[
            "the step has no role and runs as the connecting user",
            "so RLS on notes does not apply to it, and the expectation depends on RLS",
        ],
    );
    r.expect(
        "connecting-user-through-a-view",
        "error",
        &["RLS on notes does not apply"],
    );
    r.expect("connecting-user-bypass", "pass", &["3 rows"]);
    r.expect("connecting-user-no-rls-table", "pass", &["1 row"]);
    r.expect(
        "owner-not-forced",
        "error",
        &[&format!("{owner} owns owned_notes (owner {owner}), which has RLS enabled but not FORCE ROW LEVEL SECURITY")],
    );
    r.expect("owner-keyword", "error", &["not FORCE ROW LEVEL SECURITY"]);
    r.expect("owner-forced", "pass", &["rows as expected (1 row)"]);
    r.expect(
        "unknown-role",
        "error",
        &["no such role `authenticatd` (did you mean `authenticated`?)"],
    );
    r.expect(
        "rejects-bypassrls",
        "error",
        &["service_role has BYPASSRLS"],
    );
    r.expect("sql-as-connecting-user", "pass", &["= 3"]);
}

/// A hung check (statement_timeout) or a lock wait (lock_timeout) is an error row and the run
/// goes on; afterwards the session is the connecting user again with no claims or settings.
#[test]
fn timeouts_are_error_rows_and_the_session_is_restored() {
    let (db, _) = purpose_built();
    let checks = format!(
        r#"
[[scenario]]
id = "hangs"
as = "authenticated"
query = "select pg_sleep(10)"
expect_ok = true

[[scenario]]
id = "waits-for-a-lock"
as = {{ role = "service_role", bypass = true }}
query = "update mutable_log set event = 'z'"
expect_rows = 2

[[scenario]]
id = "after"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }}, settings = {{ "app.tenant" = "t1", "request.headers" = '{{"user-agent": "deskctl"}}' }} }}
query = "select current_setting('app.tenant') || ' ' || current_user || ' ' || auth.uid()"
expect = "t1 authenticated {U1}"
[[scenario.step]]
name = "an expected error in the middle"
as = "anon"
query = "select * from notes"
expect_error = "42501"
[[scenario.step]]
name = "back to the connecting user, claims and settings gone"
query = "select current_user = session_user and coalesce(current_setting('request.jwt.claims', true), '') = '' and coalesce(current_setting('app.tenant', true), '') = '' and coalesce(current_setting('request.headers', true), '') = ''"
expect = true

[[sql]]
id = "next-check"
query = "select current_user = session_user and coalesce(current_setting('request.jwt.claims', true), '') = '' and current_setting('statement_timeout') = '200ms'"
expect = true
"#
    );
    // Another session holds a lock on mutable_log for the whole run.
    let runtime = rt();
    let (locker, _conn) = runtime
        .block_on(deskctl::db::connect_target(&db.target(), None))
        .unwrap();
    runtime
        .block_on(
            locker.batch_execute("begin; lock table public.mutable_log in access exclusive mode"),
        )
        .unwrap();
    let r = verify(
        &db,
        &checks,
        &["--statement-timeout", "200", "--lock-wait", "100"],
    );
    runtime.block_on(locker.batch_execute("rollback")).unwrap();
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "hangs",
        "error",
        &["57014 query_canceled (statement_timeout hit"],
    );
    r.expect(
        "waits-for-a-lock",
        "error",
        &["55P03 lock_not_available (lock_timeout hit"],
    );
    r.expect(
        "after",
        "pass",
        &[
            "step 2 (an expected error in the middle)",
            "step 3 (back to the connecting user",
        ],
    );
    r.expect("next-check", "pass", &["= t"]);
    assert!(r.wall < Duration::from_secs(5), "took {:?}", r.wall);
}

#[test]
fn transaction_control_in_check_files_is_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(
        &f,
        "[[scenario]]\nsetup = \"insert into t values (1); commit\"\nquery = \"select 1\"\nexpect_ok = true\n\n\
         [[rejects]]\nstatement = \"rollback\"\nsqlstate = \"23505\"\n\n\
         [[immutable]]\ntable = \"t\"\nwhere = \"true) ; end; select (1\"\n",
    )
    .unwrap();
    // Nothing listens there: the files are refused before any connection is tried.
    let out = deskctl()
        .args([
            "verify",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none?sslmode=disable",
        ])
        .arg(&f)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("3 problems in check files; nothing was run"),
        "{text}"
    );
    assert!(
        text.contains("bad.toml:2:1: [[scenario]] `setup` contains COMMIT"),
        "{text}"
    );
    assert!(
        text.contains("bad.toml:7:1: [[rejects]] `statement` contains ROLLBACK"),
        "{text}"
    );
    assert!(
        text.contains("bad.toml:12:1: [[immutable]] `where` must be one SQL expression"),
        "{text}"
    );
}

/// THE SAFETY TEST: an `immutable` check on a MUTABLE table FAILS, and scenarios that insert,
/// update and delete (as API roles, with bypass, as the connecting user), failing checks, a
/// timeout and a DDL setup leave every row of every table byte-identical.
#[test]
fn verify_leaves_every_row_byte_identical() {
    let (db, _) = purpose_built();
    let before = checksums(&db);
    let checks = format!(
        r#"
[[immutable]]
id = "mutable-table"
table = "mutable_log"
as = ["service_role", "authenticated"]

[[immutable]]
id = "mutable-notes"
table = "notes"
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}

[[scenario]]
id = "writes-as-users"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U1}" }} }}
query = "insert into notes (body) values ('new'); update notes set body = body || '!'; delete from notes where body = 'new!'"
expect_rows = 1
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{U2}" }} }}
query = "delete from notes"
expect_rows = 2

[[scenario]]
id = "writes-with-bypass"
setup = ["update things set qty = 99", "insert into audit (event) values ('more')", "alter table mutable_log add column extra int"]
[[scenario.step]]
as = {{ role = "service_role", bypass = true }}
query = "delete from notes; delete from mutable_log; update halfaudit set id = id + 0 where false; insert into things values (10, 1, 'X')"
expect_rows = 1
[[scenario.step]]
as = {{ bypass = true }}
query = "truncate halfaudit, mutable_log, things, parent_log cascade"
expect_ok = true

[[scenario]]
id = "fails-after-writing"
setup = "delete from things"
as = {{ role = "service_role", bypass = true }}
query = "insert into mutable_log (event) values ('a'), ('b'), ('c')"
expect_rows = 1

[[scenario]]
id = "times-out-after-writing"
setup = "update notes set body = 'timeout'"
as = {{ role = "service_role", bypass = true }}
query = "delete from notes; select pg_sleep(5)"
expect_ok = true

[[rejects]]
id = "writes-then-rejected"
setup = "delete from audit_empty; insert into things values (20, 1, 'Q')"
statement = "insert into things values (20, 1, 'Q')"
sqlstate = "23505"

[[sql]]
id = "writes-in-sql"
setup = "delete from owned_notes"
query = "with d as (delete from forced_notes returning 1) select count(*) from d"
expect = 2
"#
    );
    let r = verify(&db, &checks, &["--statement-timeout", "500"]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "mutable-table",
        "fail",
        &[
            "UPDATE succeeded as owner",
            ", service_role, authenticated (1 row)",
            "TRUNCATE succeeded as owner",
        ],
    );
    r.expect("mutable-notes", "fail", &["UPDATE succeeded as owner"]);
    r.expect("writes-as-users", "pass", &[]);
    r.expect("writes-with-bypass", "pass", &[]);
    r.expect("fails-after-writing", "fail", &["expected 1 row, got 3"]);
    r.expect("times-out-after-writing", "error", &["statement_timeout"]);
    r.expect("writes-then-rejected", "pass", &[]);
    r.expect("writes-in-sql", "pass", &["= 2"]);
    let after = checksums(&db);
    assert_eq!(before, after, "verify changed data");
    // The DDL of a setup was rolled back too.
    assert_eq!(
        db.scalar("select count(*)::text from information_schema.columns where table_name = 'mutable_log' and column_name = 'extra'"),
        Some("0".into())
    );
}

// ---------------------------------------------------------------------------------------------
// The seeds' hand-run tests, on the example systems
// ---------------------------------------------------------------------------------------------

const SD_CUSTOMER1: &str = "00000000-0000-4000-8000-000000000001";
const SD_ADMIN: &str = "00000000-0000-4000-8000-00000000000a";

const SUPPORT_DESK_DATA: &str = r#"
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-000000000001', 'customer1@example.com'),
  ('00000000-0000-4000-8000-000000000002', 'customer2@example.com'),
  ('00000000-0000-4000-8000-00000000000a', 'admin@example.com');
insert into public.user_roles (user_id, role) values ('00000000-0000-4000-8000-00000000000a', 'admin');
insert into public.support_tickets (id, user_id, subject, description) values
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'Cannot log in', 'Reset mail never arrives'),
  ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000002', 'Invoice wrong', 'Charged twice');
insert into public.support_messages (ticket_id, sender_id, sender_type, message, is_internal) values
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'customer', 'Help please', false),
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a', 'admin', 'Looking into it', false),
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a', 'admin', 'Internal: legacy plan', true);
"#;

fn support_desk_checks() -> String {
    format!(
        r#"
# Seed 004: "SET role TO authenticated; SET request.jwt.claims TO '{{"sub": "user-id-123"}}';
# SELECT * FROM support_tickets; -- Should only return tickets for user-id-123"
[[scenario]]
id = "customer-sees-only-own-tickets"
as = {{ role = "authenticated", claims = {{ sub = "{SD_CUSTOMER1}" }} }}
query = "select subject from support_tickets"
rows = [["Cannot log in"]]

# "Add internal note (verify customer doesn't see it)"
[[scenario]]
id = "internal-notes-hidden-from-customers"
as = {{ role = "authenticated", claims = {{ sub = "{SD_CUSTOMER1}" }} }}
query = "select message from support_messages"
rows = [["Help please"], ["Looking into it"]]

# "Test admin can see all tickets"
[[scenario]]
id = "admin-sees-all"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{SD_ADMIN}" }} }}
query = "select count(*) from support_tickets"
expect = 2
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{SD_ADMIN}" }} }}
query = "select message from support_messages where is_internal"
rows = [["Internal: legacy plan"]]

[[scenario]]
id = "anon-sees-nothing"
as = "anon"
query = "select * from support_tickets"
expect_error = "42501"

[[scenario]]
id = "new-ticket-is-private"
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "00000000-0000-4000-8000-000000000002" }} }}
query = "insert into support_tickets (subject, description) values ('Private', 'x') returning ticket_number like 'TKT-______'"
expect = true
[[scenario.step]]
as = {{ role = "authenticated", claims = {{ sub = "{SD_CUSTOMER1}" }} }}
query = "select * from support_tickets where subject = 'Private'"
expect_rows = 0

# "Audit logs immutable (no UPDATE/DELETE allowed)"
[[immutable]]
id = "activity-log-immutable"
table = "support_ticket_activity"
where = "ticket_id = '10000000-0000-4000-8000-000000000001'"
as = ["service_role", {{ role = "authenticated", claims = {{ sub = "{SD_CUSTOMER1}" }} }}]

[[rejects]]
id = "customers-cannot-forge-activity"
as = {{ role = "authenticated", claims = {{ sub = "{SD_CUSTOMER1}" }} }}
statement = "insert into support_ticket_activity (ticket_id, activity_type, actor_type) values ('10000000-0000-4000-8000-000000000001', 'resolved', 'admin')"
sqlstate = "42501"
message = "row-level security"
"#
    )
}

#[test]
fn support_desk_seed_tests() {
    let db = migrated("support-desk", None);
    db.exec(SUPPORT_DESK_DATA);
    let before = checksums(&db);
    let r = verify(&db, &support_desk_checks(), &[]);
    assert_eq!(r.code, 0, "{}", r.text);
    r.expect("activity-log-immutable", "pass", &[
        "UPDATE rejected as owner (",
        ", service_role: 42501 insufficient_privilege: support_ticket_activity is an immutable audit log",
        "UPDATE as authenticated (sub 00000000-0000-4000-8000-000000000001) had no effect",
        "TRUNCATE rejected as owner",
    ]);
    assert_eq!(before, checksums(&db), "verify changed data");
}

#[test]
fn support_desk_broken_variants_fail_precisely() {
    for (variant, failing, needle) in [
        (
            "internal-notes-visible",
            "internal-notes-hidden-from-customers",
            "Internal: legacy plan",
        ),
        (
            "mutable-activity-log",
            "activity-log-immutable",
            "UPDATE succeeded as owner (",
        ),
    ] {
        let db = migrated("support-desk", Some(variant));
        db.exec(SUPPORT_DESK_DATA);
        let before = checksums(&db);
        let r = verify(&db, &support_desk_checks(), &[]);
        assert_eq!(r.code, 1, "{variant}: {}", r.text);
        let failed: Vec<&str> = r.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["status"] != "pass")
            .map(|x| x["id"].as_str().unwrap())
            .collect();
        assert_eq!(failed, [failing], "{variant}: {}", r.text);
        r.expect(failing, "fail", &[needle]);
        assert_eq!(before, checksums(&db), "{variant}: verify changed data");
    }
}

fn contact_centre_checks() -> &'static str {
    r#"
# Seed 001: "Audit log immutability works (try UPDATE/DELETE - should fail)"
[[immutable]]
id = "audit-log-update-delete"
table = "cc_audit_logs"
deny = ["UPDATE", "DELETE"]
as = ["service_role"]

# ... but the trigger is FOR EACH ROW: TRUNCATE is not blocked.
[[immutable]]
id = "audit-log-truncate"
table = "cc_audit_logs"
seed = "insert into cc_audit_logs (event_type, actor_type) values ('probe', 'system')"

# "Unique constraints work (test duplicate inserts)": the idempotency key.
[[rejects]]
id = "idempotency-key"
setup = "insert into cc_messages (conversation_id, direction, provider, provider_message_id, body_text) values ('c0000000-0000-4000-8000-000000000002', 'inbound', 'twilio', 'SM-dup', 'first')"
statement = "insert into cc_messages (conversation_id, direction, provider, provider_message_id, body_text) values ('c0000000-0000-4000-8000-000000000002', 'inbound', 'twilio', 'SM-dup', 'retry')"
sqlstate = "unique_violation"
message = "cc_messages_provider_message_id_key"

[[rejects]]
id = "message-status-check"
statement = "update cc_messages set status = 'lost'"
sqlstate = "23514"

# "Service role can still access all tables"
[[scenario]]
id = "service-role-access"
as = { role = "service_role", bypass = true }
query = "select (select count(*) from cc_messages) + (select count(*) from cc_audit_logs) + (select count(*) from cc_comm_preferences)"
expect = 3

# Placeholder policies only: API users see nothing.
[[scenario]]
id = "anon-sees-nothing"
as = "anon"
query = "select * from cc_messages"
expect_rows = 0

# Migration 006's renames kept the data.
[[sql]]
id = "renamed-columns-kept-data"
query = "select body_text from cc_messages where provider_message_id = 'SM00000000000000000000000000000001'"
expect = "Hello, I need help with my card"
"#
}

#[test]
fn contact_centre_seed_tests() {
    let db = migrated("contact-centre", None);
    let before = checksums(&db);
    let r = verify(&db, contact_centre_checks(), &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect("audit-log-update-delete", "pass", &[
        "UPDATE rejected as owner (",
        "service_role: P0001 raise_exception: cc_audit_logs is immutable: UPDATE is not allowed",
        "(TRUNCATE not checked: not in `deny`)",
    ]);
    r.expect("audit-log-truncate", "fail", &[
        "TRUNCATE succeeded as owner (",
        "UPDATE and DELETE are blocked by row-level trigger cc_audit_logs_immutable, but row-level triggers do not fire on TRUNCATE and cc_audit_logs has no TRUNCATE trigger",
    ]);
    for id in [
        "idempotency-key",
        "message-status-check",
        "service-role-access",
        "anon-sees-nothing",
        "renamed-columns-kept-data",
    ] {
        r.expect(id, "pass", &[]);
    }
    assert_eq!(before, checksums(&db), "verify changed data");

    for (variant, failing, needle) in [
        (
            "missing-idempotency-key",
            "idempotency-key",
            "but it succeeded (1 row)",
        ),
        (
            "mutable-audit-log",
            "audit-log-update-delete",
            "UPDATE succeeded as owner (",
        ),
    ] {
        let db = migrated("contact-centre", Some(variant));
        let r = verify(&db, contact_centre_checks(), &[]);
        r.expect(failing, "fail", &[needle]);
        for id in [
            "message-status-check",
            "service-role-access",
            "anon-sees-nothing",
            "renamed-columns-kept-data",
        ] {
            r.expect(id, "pass", &[]);
        }
    }
}

const CRM_AGENT: &str = "20000000-0000-4000-8000-000000000001";
const CRM_DISABLED: &str = "20000000-0000-4000-8000-000000000002";
const CRM_GUEST: &str = "20000000-0000-4000-8000-000000000003";
const CRM_CUSTOMER: &str = "20000000-0000-4000-8000-000000000004";
const CRM_ADMIN: &str = "a0000000-0000-4000-8000-000000000001";

fn crm_data() -> String {
    format!(
        r#"
insert into auth.users (id, email) values
  ('{CRM_AGENT}', 'agent@example.com'), ('{CRM_DISABLED}', 'disabled@example.com'),
  ('{CRM_GUEST}', 'guest@example.com'), ('{CRM_CUSTOMER}', 'customer@example.com');
update public.profiles set role = 'agent', status = 'active' where id = '{CRM_AGENT}';
update public.profiles set role = 'agent', status = 'disabled' where id = '{CRM_DISABLED}';
update public.profiles set role = 'guest', status = 'active' where id = '{CRM_GUEST}';
update public.profiles set role = 'customer', status = 'active' where id = '{CRM_CUSTOMER}';
insert into public.customers (first_name, email, created_by) values
  ('Cora', 'customer@example.com', '{CRM_AGENT}'), ('Other', 'other@example.com', '{CRM_ADMIN}');
"#
    )
}

fn crm_checks() -> String {
    let user =
        |sub: &str| format!("{{ role = \"authenticated\", claims = {{ sub = \"{sub}\" }} }}");
    format!(
        r#"
# Seed 002: "Disabled: Cannot mutate any data, RLS blocks all write operations"
[[scenario]]
id = "disabled-user-cannot-insert"
[[scenario.step]]
name = "an active agent can"
as = {agent}
query = "insert into customers (first_name, created_by) values ('New', '{CRM_AGENT}')"
expect_rows = 1
[[scenario.step]]
name = "a disabled agent cannot"
as = {disabled}
query = "insert into customers (first_name, created_by) values ('New', '{CRM_DISABLED}')"
expect_error = "42501"
message = "row-level security"
[[scenario.step]]
name = "nor update"
as = {disabled}
query = "update customers set notes = 'x'"
expect_rows = 0

# "Guest: Read-only public dashboard access"
[[scenario]]
id = "guest-only-reads"
[[scenario.step]]
as = {guest}
query = "select count(*) from tags"
expect = 5
[[scenario.step]]
as = {guest}
query = "select * from customers"
expect_rows = 0
[[scenario.step]]
as = {guest}
query = "insert into tags (name) values ('mine')"
expect_error = "42501"

# "Customer: can only access data linked to their email"
[[scenario]]
id = "customer-sees-own-record"
as = {customer}
query = "select first_name from customers"
rows = [["Cora"]]

# "Admins see everything"
[[scenario]]
id = "admin-sees-all"
as = {admin}
query = "select count(*) from customers"
expect = 2

[[scenario]]
id = "anon-sees-nothing"
as = "anon"
query = "select (select count(*) from customers) + (select count(*) from profiles) + (select count(*) from user_invitations)"
expect = 0

# "Sample invitations (4 records)"
[[sql]]
id = "sample-invitations"
query = "select count(*) from user_invitations where code in ('AGENT001TEST', 'AGENT002TEST', 'CUST001TEST', 'CUST002TEST')"
expect = 4
"#,
        agent = user(CRM_AGENT),
        disabled = user(CRM_DISABLED),
        guest = user(CRM_GUEST),
        customer = user(CRM_CUSTOMER),
        admin = user(CRM_ADMIN),
    )
}

#[test]
fn crm_rbac_seed_tests() {
    let db = migrated("crm-rbac", None);
    db.exec(&crm_data());
    let before = checksums(&db);
    let r = verify(&db, &crm_checks(), &[]);
    assert_eq!(r.code, 0, "{}", r.text);
    r.expect(
        "disabled-user-cannot-insert",
        "pass",
        &[
            "step 2 (a disabled agent cannot)",
            "new row violates row-level security policy for table \"customers\"",
        ],
    );
    assert_eq!(before, checksums(&db), "verify changed data");

    let db = migrated("crm-rbac", Some("disabled-can-write"));
    db.exec(&crm_data());
    let r = verify(&db, &crm_checks(), &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "disabled-user-cannot-insert",
        "fail",
        &[
            "step 2 (a disabled agent cannot)",
            "expected error 42501 insufficient_privilege, but it succeeded (1 row)",
        ],
    );
    for id in [
        "guest-only-reads",
        "customer-sees-own-record",
        "admin-sees-all",
        "anon-sees-nothing",
        "sample-invitations",
    ] {
        r.expect(id, "pass", &[]);
    }
}

const J_USER1: &str = "30000000-0000-4000-8000-000000000001";
const J_USER2: &str = "30000000-0000-4000-8000-000000000002";

fn journal_checks() -> String {
    format!(
        r#"
# Seed 003's test-rls.ts: user 1 and user 2 each see only their own data, through the
# snake_case views too. "If both users see each other's data, RLS is not working!"
[[scenario]]
id = "users-isolated"
setup = """
insert into "ChatSession" ("sessionId", "userId") values ('s1', '{J_USER1}'), ('s2', '{J_USER2}');
insert into "ChatMessage" ("sessionId", "userId", role, content) values
  ('s1', '{J_USER1}', 'user', 'hello from 1'), ('s2', '{J_USER2}', 'user', 'hello from 2');
"""
[[scenario.step]]
name = "user 1"
as = {{ role = "authenticated", claims = {{ sub = "{J_USER1}" }} }}
query = "select content from chat_messages"
rows = [["hello from 1"]]
[[scenario.step]]
name = "user 2"
as = {{ role = "authenticated", claims = {{ sub = "{J_USER2}" }} }}
query = "select content from chat_messages"
rows = [["hello from 2"]]
[[scenario.step]]
name = "user 2 cannot post into user 1's session"
as = {{ role = "authenticated", claims = {{ sub = "{J_USER2}" }} }}
query = "insert into \"ChatMessage\" (\"sessionId\", \"userId\", role, content) values ('s1', '{J_USER2}', 'user', 'spam')"
expect_error = "42501"

# "anon role has NO access to user data tables"
[[scenario]]
id = "anon-has-no-access"
as = "anon"
query = "select * from journal_entries"
expect_error = "42501"
"#
    )
}

#[test]
fn journal_seed_tests() {
    let db = migrated("journal", None);
    let r = verify(&db, &journal_checks(), &[]);
    assert_eq!(r.code, 0, "{}", r.text);
    let db = migrated("journal", Some("plain-views"));
    let r = verify(&db, &journal_checks(), &[]);
    assert_eq!(r.code, 1, "{}", r.text);
    r.expect(
        "users-isolated",
        "fail",
        &["step 1 (user 1)", "got [hello from 1], [hello from 2]"],
    );
    r.expect("anon-has-no-access", "pass", &[]);
}
