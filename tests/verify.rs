//! `deskctl verify` against real PostgreSQL: every static kind passing and failing on a
//! purpose-built schema, the catalog snapshot's facts, the loader's messages (insta), exit codes,
//! the default live-chat system and its broken variant.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{deskctl, output_text, repo, rt, TestDb};

/// A schema with one of everything the static kinds look at.
const SCHEMA: &str = r#"
create extension if not exists pgcrypto;
create type public.ticket_status as enum ('open', 'pending', 'closed');
create sequence public.ticket_seq;
create table public.customers (
  id uuid primary key default gen_random_uuid(),
  email text not null unique,
  created_at timestamptz not null default now()
);
create table public.tickets (
  id bigserial primary key,
  customer_id uuid not null references public.customers (id) on delete cascade,
  status public.ticket_status not null default 'open',
  title varchar(200) not null,
  number text,
  constraint tickets_title_check check (char_length(title) > 2)
);
create index idx_tickets_customer on public.tickets (customer_id, status);
create unique index idx_tickets_number on public.tickets (number);
create index idx_customers_created on public.customers (created_at desc);
create index idx_customers_email_lower on public.customers (lower(email)) include (id);
create table public."ChatMessage" (id int primary key, body text);
create table public.audit_log (id bigint generated always as identity primary key, event text);
alter table public.tickets enable row level security;
alter table public.customers enable row level security;
alter table public.customers force row level security;
create policy "Customers see own tickets" on public.tickets for select to authenticated
  using (customer_id = auth.uid());
create policy "Customers open tickets" on public.tickets for insert to authenticated
  with check (customer_id = auth.uid());
create policy "Staff manage tickets" on public.tickets as restrictive for all to service_role using (true);
create policy "Customers see themselves" on public.customers for select using (id = auth.uid());
create function public.assign_ticket(p_ticket bigint, p_agent uuid) returns void
  language plpgsql security definer set search_path = public, pg_temp
  as $$ begin update public.tickets set number = number where id = p_ticket; end $$;
create function public.ticket_count() returns bigint language sql stable
  as $$ select count(*) from public.tickets $$;
create function public.set_ticket_number() returns trigger language plpgsql as $$
begin new.number := 'TKT-' || lpad(nextval('public.ticket_seq')::text, 6, '0'); return new; end $$;
create trigger set_ticket_number before insert on public.tickets
  for each row execute function public.set_ticket_number();
create view public.ticket_stats with (security_invoker = true) as
  select status, count(*) as n from public.tickets group by status;
create view public.plain_tickets as select id, title from public.tickets;
alter publication supabase_realtime add table public.tickets;
revoke all on public.tickets, public.customers, public.audit_log, public."ChatMessage" from anon;
revoke all on public.ticket_stats, public.plain_tickets from anon;
grant select on public.plain_tickets to anon;
revoke execute on function public.assign_ticket(bigint, uuid) from public, anon;
grant execute on function public.assign_ticket(bigint, uuid) to authenticated;
revoke truncate on public.tickets from authenticated;
"#;

/// Checks that must pass on SCHEMA (ids start with `ok-`) and checks that must fail
/// (`bad-`), each failing one with a fragment its diagnosis must contain.
const CHECKS: &str = r#"
schema = "public"

[[count]]
id = "ok-count-tables"
object = "table"
expect = 4
[[count]]
id = "ok-count-policies"
object = "policy"
tables = ["tickets", "customers"]
expect = 4
[[count]]
id = "ok-count-sequences-not-owned"
object = "sequence"
owned = false
expect = 1
[[count]]
id = "ok-count-functions"
object = "function"
names = ["assign_ticket", "ticket_count", "set_ticket_number"]
expect = 3
[[count]]
id = "ok-count-enum-values"
object = "enum_value"
enum = "ticket_status"
at_least = 3
[[count]]
id = "ok-count-views"
object = "views"
at_least = 1
at_most = 2
[[count]]
id = "ok-count-indexes"
object = "index"
tables = ["tickets"]
expect = 3
[[count]]
id = "ok-count-triggers"
object = "trigger"
expect = 1
[[count]]
id = "bad-count-policies"
object = "policy"
tables = ["tickets"]
expect = 4

[[exists]]
id = "ok-exists-tables"
table = ["tickets", "customers", "ChatMessage"]
[[exists]]
id = "ok-exists-table-props"
table = "tickets"
primary_key = ["id"]
columns = ["customer_id", "status"]
owner = "postgres"
[[exists]]
id = "ok-exists-column"
column = "tickets.status"
type = "ticket_status"
nullable = false
default = "'open'"
[[exists]]
id = "ok-exists-column-timestamptz"
column = "created_at"
table = "customers"
type = "timestamptz"
default = "now()"
[[exists]]
id = "ok-exists-index"
index = "idx_tickets_customer"
table = "tickets"
columns = ["customer_id", "status"]
unique = false
[[exists]]
id = "ok-exists-index-any"
index = "*"
table = "tickets"
columns = ["number"]
unique = true
[[exists]]
id = "ok-exists-index-desc"
index = "idx_customers_created"
table = "customers"
columns = ["created_at DESC"]
[[exists]]
id = "ok-exists-index-any-order"
index = "idx_customers_created"
columns = ["created_at"]
[[exists]]
id = "ok-exists-index-expression"
index = "*"
table = "customers"
columns = ["LOWER(email)"]
[[exists]]
id = "bad-exists-index-order"
index = "idx_customers_created"
table = "customers"
columns = ["created_at ASC"]
[[exists]]
id = "ok-exists-index-each-table"
index = "*"
table = ["tickets", "customers"]
unique = true
[[exists]]
id = "bad-exists-index-each-table"
index = "*"
table = ["tickets", "customers"]
columns = ["customer_id", "status"]
[[exists]]
id = "ok-exists-fk"
constraint = "*"
table = "tickets"
type = "foreign_key"
columns = ["customer_id"]
references = "customers(id)"
on_delete = "cascade"
[[exists]]
id = "ok-exists-check"
constraint = "tickets_title_check"
table = "tickets"
type = "check"
definition = "char_length(title) > 2"
[[exists]]
id = "ok-exists-enum"
enum = "ticket_status"
values = ["open", "pending", "closed"]
[[exists]]
id = "ok-exists-function"
function = "assign_ticket"
args = ["bigint", "uuid"]
returns = "void"
language = "plpgsql"
security_definer = true
search_path = "public, pg_temp"
volatility = "volatile"
[[exists]]
id = "ok-exists-trigger"
trigger = "set_ticket_number"
table = "tickets"
function = "set_ticket_number"
timing = "before"
events = ["insert"]
level = "row"
enabled = true
[[exists]]
id = "ok-exists-view"
view = "ticket_stats"
security_invoker = true
columns = ["status", "n"]
reads = ["tickets"]
[[exists]]
id = "ok-exists-sequence-owned"
sequence = "tickets_id_seq"
owned_by = "tickets.id"
[[exists]]
id = "ok-exists-publication"
publication = "supabase_realtime"
tables = ["tickets"]
[[exists]]
id = "ok-exists-extension"
extension = "pgcrypto"
[[exists]]
id = "ok-exists-role"
role = "service_role"
bypassrls = true
superuser = false
[[exists]]
id = "ok-exists-other-schema"
table = "auth.users"
columns = ["id", "email"]
[[exists]]
id = "bad-exists-pascal"
table = "chat_messages"
[[exists]]
id = "bad-exists-column"
column = "tickets.title"
type = "text"
nullable = true
[[exists]]
id = "bad-exists-view"
view = ["ticket_stats", "plain_tickets"]
security_invoker = true
[[exists]]
id = "bad-exists-function"
function = "ticket_count"
security_definer = true
search_path = true
[[exists]]
id = "bad-exists-trigger"
trigger = "set_ticket_number"
table = "tickets"
events = ["insert", "update"]
[[exists]]
id = "bad-exists-enum"
enum = "ticket_status"
values = ["open", "closed"]
[[exists]]
id = "bad-exists-fk"
constraint = "*"
table = "tickets"
type = "foreign_key"
columns = ["customer_id"]
on_delete = "restrict"
[[exists]]
id = "bad-exists-check-definition"
constraint = "*"
table = "tickets"
type = "check"
definition = "char_length(title) > 5"
[[exists]]
id = "bad-exists-publication"
publication = "supabase_realtime"
tables = ["customers"]
[[exists]]
id = "bad-exists-sequence"
sequence = "ticket_seq"
owned_by = "tickets.number"

[[absent]]
id = "ok-absent"
table = ["tickets_backup", "tmp"]
[[absent]]
id = "ok-absent-overload"
function = "assign_ticket"
args = ["bigint"]
[[absent]]
id = "bad-absent-column"
column = "tickets.number"

[[rls]]
id = "ok-rls"
tables = ["tickets", "customers"]
[[rls]]
id = "ok-rls-forced"
tables = "customers"
force = true
[[rls]]
id = "bad-rls-all"
all = true
[[rls]]
id = "bad-rls-forced"
pattern = "t%"
force = true

[[policies]]
id = "ok-policies-exact"
table = "tickets"
exact = true
expect = [
  { name = "Customers see own tickets", command = "SELECT", roles = ["authenticated"], using = "customer_id = auth.uid()" },
  { name = "Customers open tickets", command = "insert", with_check = "customer_id = auth.uid()" },
  { name = "Staff manage tickets", command = "ALL", roles = ["service_role"], permissive = false },
]
[[policies]]
id = "ok-policies-public"
table = "customers"
expect = [{ name = "Customers see themselves", roles = ["public"] }]
[[policies]]
id = "ok-policies-coverage"
tables = ["tickets"]
commands = ["SELECT", "INSERT"]
roles = ["authenticated"]
[[policies]]
id = "bad-policies-missing"
table = "tickets"
expect = [{ name = "Customers update own tickets", command = "UPDATE" }]
[[policies]]
id = "bad-policies-other-table"
table = "customers"
expect = [{ name = "Customers open tickets", command = "INSERT" }]
[[policies]]
id = "bad-policies-exact"
table = "tickets"
exact = true
expect = [{ name = "Customers see own tickets" }]
[[policies]]
id = "bad-policies-command-roles"
table = "tickets"
expect = [{ name = "Customers see own tickets", command = "UPDATE", roles = ["anon"] }]
[[policies]]
id = "bad-policies-list"
table = ["tickets", "customers"]
expect = [{ name = "Customers see own tickets", command = "SELECT" }]
[[policies]]
id = "bad-policies-coverage"
tables = ["tickets", "customers"]
commands = ["SELECT", "INSERT", "UPDATE", "DELETE"]
roles = ["authenticated"]

[[privileges]]
id = "ok-privileges-anon-tables"
role = "anon"
on = "table"
all = true
has_not = ["ALL"]
[[privileges]]
id = "ok-privileges-execute"
role = "authenticated"
on = "function"
names = ["assign_ticket(bigint, uuid)"]
has = ["EXECUTE"]
[[privileges]]
id = "ok-privileges-no-truncate"
role = "authenticated"
on = "table"
names = ["tickets"]
has = ["SELECT", "INSERT", "UPDATE", "DELETE"]
has_not = ["TRUNCATE"]
[[privileges]]
id = "ok-privileges-schema"
role = "anon"
on = "schema"
has = ["USAGE"]
has_not = ["CREATE"]
[[privileges]]
id = "bad-privileges-anon-views"
role = "anon"
on = "view"
all = true
has_not = ["ALL"]
[[privileges]]
id = "bad-privileges-execute"
role = "anon"
on = "function"
names = ["assign_ticket"]
has = ["EXECUTE"]
[[privileges]]
id = "bad-privileges-public-execute"
role = "anon"
on = "function"
names = ["ticket_count"]
has_not = ["EXECUTE"]
"#;

/// What each failing check's diagnosis must say.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    ("bad-count-policies", "3 policies on tickets, expected 4"),
    ("bad-exists-pascal", "chat_messages: no such table (did you mean ChatMessage?)"),
    (
        "bad-exists-column",
        "tickets.title: type is character varying(200), expected text; tickets.title: is NOT NULL, expected nullable",
    ),
    (
        "bad-exists-view",
        "plain_tickets: security_invoker is off, expected on (it reads tickets with the owner's rights, bypassing their RLS)",
    ),
    (
        "bad-exists-function",
        "ticket_count(): is SECURITY INVOKER, expected SECURITY DEFINER; ticket_count(): search_path is not pinned (no SET search_path)",
    ),
    (
        "bad-exists-trigger",
        "tickets.set_ticket_number: fires on INSERT, expected INSERT OR UPDATE",
    ),
    (
        "bad-exists-enum",
        "ticket_status: values are (open, pending, closed), expected (open, closed); unexpected pending",
    ),
    (
        "bad-exists-fk",
        "tickets: no foreign key constraint matches (on (customer_id), ON DELETE RESTRICT); its foreign key constraint: tickets_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE [is ON DELETE CASCADE, expected ON DELETE RESTRICT]",
    ),
    (
        "bad-exists-check-definition",
        "tickets: no check constraint matches (definition containing `char_length(title) > 5`); its check constraint: tickets_title_check CHECK ((char_length((title)::text) > 2))",
    ),
    (
        "bad-exists-index-each-table",
        "customers: no index on (customer_id, status); indexes: customers_email_key (email), customers_pkey (id), idx_customers_created (created_at DESC), idx_customers_email_lower (lower(email))",
    ),
    (
        "bad-exists-index-order",
        "idx_customers_created: columns are (created_at DESC), expected (created_at ASC): created_at is DESC, expected ASC",
    ),
    (
        "bad-exists-publication",
        "publication supabase_realtime does not include customers (members: tickets)",
    ),
    (
        "bad-exists-sequence",
        "ticket_seq: not owned by any column, expected tickets.number",
    ),
    ("bad-absent-column", "column tickets.number exists"),
    ("bad-rls-all", "RLS disabled on ChatMessage, audit_log"),
    ("bad-rls-forced", "RLS not forced on tickets"),
    (
        "bad-policies-missing",
        "tickets: missing policy \"Customers update own tickets\" (UPDATE); present: \"Customers see own tickets\" (SELECT), \"Customers open tickets\" (INSERT), \"Staff manage tickets\" (ALL)",
    ),
    (
        "bad-policies-other-table",
        "customers: missing policy \"Customers open tickets\" (INSERT) (a policy of that name exists on tickets (INSERT))",
    ),
    (
        "bad-policies-exact",
        "tickets: unexpected policies \"Customers open tickets\" (INSERT), \"Staff manage tickets\" (ALL)",
    ),
    (
        "bad-policies-command-roles",
        "tickets: policy \"Customers see own tickets\" is for SELECT, expected UPDATE; tickets: policy \"Customers see own tickets\" applies to {authenticated}, expected {anon}",
    ),
    (
        "bad-policies-list",
        "customers: missing policy \"Customers see own tickets\" (SELECT) (a policy of that name exists on tickets (SELECT)); present: \"Customers see themselves\" (SELECT)",
    ),
    (
        "bad-policies-coverage",
        "tickets: no UPDATE, DELETE policies for authenticated; customers: no INSERT, UPDATE, DELETE policies for authenticated",
    ),
    ("bad-privileges-anon-views", "anon has SELECT on plain_tickets"),
    ("bad-privileges-execute", "anon lacks EXECUTE on assign_ticket(bigint, uuid)"),
    ("bad-privileges-public-execute", "anon has EXECUTE on ticket_count()"),
];

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// id → (status, detail) from `--format json`.
fn results(stdout: &[u8]) -> BTreeMap<String, (String, String)> {
    results_with_kind(stdout)
        .into_iter()
        .map(|(id, (_, s, d))| (id, (s, d)))
        .collect()
}

/// id → (kind, status, detail) from `--format json`.
fn results_with_kind(stdout: &[u8]) -> BTreeMap<String, (String, String, String)> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stdout)));
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["kind"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    r["detail"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn every_static_kind_passes_and_fails_on_purpose() {
    let db = TestDb::supabase();
    db.exec(SCHEMA);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "kinds.toml", CHECKS);
    let out = deskctl()
        .args(["verify", "--format", "json", "--database-url", &db.url])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let res = results(&out.stdout);
    let mut wrong = Vec::new();
    for (id, (status, detail)) in &res {
        let want = if id.starts_with("ok-") {
            "pass"
        } else {
            "fail"
        };
        if status != want {
            wrong.push(format!("{id}: {status} (expected {want}): {detail}"));
        }
    }
    for (id, fragment) in EXPECTED_FAILURES {
        match res.get(*id) {
            None => wrong.push(format!("{id}: no result")),
            Some((_, detail)) if !detail.contains(fragment) => {
                wrong.push(format!("{id}: detail `{detail}` lacks `{fragment}`"))
            }
            _ => {}
        }
    }
    let bad = res.keys().filter(|k| k.starts_with("bad-")).count();
    assert_eq!(
        bad,
        EXPECTED_FAILURES.len(),
        "every bad- check has its expected diagnosis"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn snapshot_reads_every_fact_in_a_fixed_number_of_queries() {
    let db = TestDb::supabase();
    db.exec(SCHEMA);
    let t = db.target();
    let (full, lean) = rt().block_on(async {
        let (c, _h) = deskctl::db::connect_target(&t, None).await.unwrap();
        let scope = deskctl::catalog::Scope::new(vec!["public".into(), "auth".into()]);
        let full = deskctl::catalog::load(&c, &scope).await.unwrap();
        let lean = deskctl::catalog::load(
            &c,
            &deskctl::catalog::Scope::without_expressions(vec!["public".into()]),
        )
        .await
        .unwrap();
        (full, lean)
    });
    use deskctl::catalog::*;
    let tickets = full.relation_by("public", "tickets").unwrap();
    assert!(tickets.rls_enabled && !tickets.rls_forced);
    assert!(full.relation_by("public", "customers").unwrap().rls_forced);
    assert_eq!(tickets.policies.len(), 3);
    let sel = tickets.policy("Customers see own tickets").unwrap();
    assert_eq!(sel.command, PolicyCommand::Select);
    assert_eq!(sel.roles, ["authenticated"]);
    assert_eq!(sel.using.as_deref(), Some("(customer_id = auth.uid())"));
    let staff = tickets.policy("Staff manage tickets").unwrap();
    assert!(!staff.permissive);
    assert_eq!(
        full.relation_by("public", "customers").unwrap().policies[0].roles,
        ["public"]
    );
    let status = tickets.column("status").unwrap();
    assert_eq!(status.type_name, "ticket_status");
    assert_eq!(status.default.as_deref(), Some("'open'::ticket_status"));
    assert!(!status.nullable);
    let fk = tickets
        .constraints
        .iter()
        .find(|c| c.kind == ConstraintKind::ForeignKey)
        .unwrap();
    assert_eq!(fk.columns, ["customer_id"]);
    let f = fk.foreign.as_ref().unwrap();
    assert_eq!(f.table, QualName::new("public", "customers"));
    assert_eq!(
        (f.columns.clone(), f.on_delete),
        (vec!["id".to_string()], FkAction::Cascade)
    );
    let ix = tickets.index("idx_tickets_customer").unwrap();
    assert_eq!(ix.columns, ["customer_id", "status"]);
    assert_eq!(ix.key_texts(), ["customer_id", "status"]);
    // Sort order (indoption) and expression keys, INCLUDE columns left out.
    let customers = full.relation_by("public", "customers").unwrap();
    let created = customers.index("idx_customers_created").unwrap();
    assert_eq!(created.key_texts(), ["created_at DESC"]);
    assert!(created.key(0).desc && created.key(0).nulls_first && !created.key(0).expression);
    let lower = customers.index("idx_customers_email_lower").unwrap();
    assert_eq!(lower.columns, ["lower(email)"]);
    assert!(lower.key(0).expression && !lower.key(0).desc);
    assert!(ix.definition.as_deref().unwrap().contains("btree"));
    let trg = tickets.trigger("set_ticket_number").unwrap();
    assert_eq!(
        (trg.timing, trg.events.clone(), trg.row, trg.enabled),
        (
            TriggerTiming::Before,
            vec![TriggerEvent::Insert],
            true,
            TriggerEnabled::Origin
        )
    );
    assert_eq!(trg.function, QualName::new("public", "set_ticket_number"));
    let stats = full.relation_by("public", "ticket_stats").unwrap();
    assert!(stats.security_invoker());
    let v = stats.view.as_ref().unwrap();
    assert_eq!(v.depends_on, [QualName::new("public", "tickets")]);
    assert!(v.definition.as_deref().unwrap().contains("count(*)"));
    let seq = full.relation_by("public", "tickets_id_seq").unwrap();
    assert_eq!(
        seq.sequence.as_ref().unwrap().owned_by,
        Some((QualName::new("public", "tickets"), "id".to_string()))
    );
    let ident = full.relation_by("public", "audit_log_id_seq").unwrap();
    assert!(ident.sequence.as_ref().unwrap().owned_by.is_some());
    let func = &full.functions_named(&QualName::new("public", "assign_ticket"))[0];
    assert_eq!(func.arg_types, ["bigint", "uuid"]);
    assert_eq!(func.identity_args, "p_ticket bigint, p_agent uuid");
    assert!(func.security_definer);
    assert_eq!(func.search_path(), Some("public, pg_temp"));
    assert_eq!(func.returns, "void");
    assert!(
        privileges_of(&func.acl, &full.effective_grantees("authenticated")).contains(&"EXECUTE")
    );
    assert!(privileges_of(&func.acl, &full.effective_grantees("anon")).is_empty());
    assert_eq!(
        full.enum_type(&QualName::new("public", "ticket_status"))
            .unwrap()
            .values,
        ["open", "pending", "closed"]
    );
    assert_eq!(
        full.publication("supabase_realtime").unwrap().members,
        [QualName::new("public", "tickets")]
    );
    assert!(full.extension("pgcrypto").is_some());
    assert!(full.role("service_role").unwrap().bypass_rls);
    assert!(full.relation_by("auth", "users").is_some());
    assert!(full.similar_relations("chat_messages")[0].name == "ChatMessage");
    // Without expressions: the same facts, no deparsed text.
    let lt = lean.relation_by("public", "tickets").unwrap();
    assert_eq!(lt.policies.len(), 3);
    assert_eq!(lt.policies[0].using, None);
    assert_eq!(
        lt.index("idx_tickets_customer").unwrap().columns,
        ["customer_id", "status"]
    );
    let lc = lean.relation_by("public", "customers").unwrap();
    assert_eq!(
        lc.index("idx_customers_created").unwrap().key_texts(),
        ["created_at DESC"]
    );
    assert_eq!(
        lc.index("idx_customers_email_lower").unwrap().columns,
        ["lower(email)"]
    );
    assert_eq!(lt.column("status").unwrap().default, None);
    assert!(lean.relation_by("auth", "users").is_none());
    // 16 since the Storage query (buckets and their policies) joined the catalog read.
    assert_eq!(QUERY_COUNT, 16);
}

#[test]
fn bad_check_files_exit_2_with_every_problem_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    write(
        &checks,
        "a.toml",
        r#"schema = "public"

[[rls]]
tabels = ["chat_sessions"]

[[count]]
object = "tabel"
expect = 3

[[polices]]
table = "x"

[[policies]]
table = "chat_sessions"
expect = [{ name = "a", command = "SELEKT" }, { nmae = "b" }]
"#,
    );
    write(
        &checks,
        "b.toml",
        r#"[[exists]]
view = "v"
primary_key = ["id"]

[[privileges]]
id = "dup"
role = "anon"
on = "table"
all = true
has_not = ["ALL"]

[[privileges]]
id = "dup"
role = "anon"
on = "view"
all = true
has_not = ["ALL"]

[[privileges]]
role = "anon"
on = "table"
all = true
has = ["EXECUTE"]

[[policies]]
table = "t"
expect = [{ command = "SELECT" }]

[[count
"#,
    );
    // A database URL nobody listens on: a bad file must stop the run before any connection.
    let out = deskctl()
        .current_dir(dir.path())
        .args([
            "verify",
            "--database-url",
            "postgres://nobody@127.0.0.1:9/none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stderr));

    // With the syntax error fixed, b.toml's other problems are reported too.
    let b = std::fs::read_to_string(checks.join("b.toml")).unwrap();
    std::fs::write(checks.join("b.toml"), b.replace("[[count\n", "")).unwrap();
    let out = deskctl()
        .current_dir(dir.path())
        .args([
            "verify",
            "--database-url",
            "postgres://nobody@127.0.0.1:9/none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    insta::assert_snapshot!(
        "bad_check_files_b_fixed",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_3_when_the_database_is_unreachable_and_0_when_all_pass() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "c.toml",
        "[[rls]]\nall = true\nenabled = false\n",
    );
    let out = deskctl()
        .args([
            "verify",
            "--database-url",
            "postgres://nobody@127.0.0.1:9/none",
        ])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));

    let db = TestDb::new();
    db.exec("create table t (id int)");
    let out = deskctl()
        .args(["verify", "--database-url", &db.url])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim_end().lines().last(),
        Some("1 passed, 0 failed"),
        "{text}"
    );
}

#[test]
fn schemas_come_from_the_files_or_schema_flag() {
    let db = TestDb::new();
    db.exec("create schema app; create table app.orders (id int); alter table app.orders enable row level security;");
    let dir = tempfile::tempdir().unwrap();
    let named = write(
        dir.path(),
        "named.toml",
        "schema = \"app\"\n[[rls]]\ntables = [\"orders\"]\n",
    );
    let out = deskctl()
        .args(["verify", "--database-url", &db.url])
        .arg(&named)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // A file naming no schema reads public; --schema replaces it (RLS on every table of app).
    let bare = write(
        dir.path(),
        "bare.toml",
        "[[exists]]\ntable = \"app.orders\"\n[[rls]]\nall = true\nschema = \"app\"\n",
    );
    let out = deskctl()
        .args(["verify", "--database-url", &db.url, "--schema", "public"])
        .arg(&bare)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("app.orders: no such table (schema app was not read)"),
        "{text}"
    );
}

#[test]
fn default_system_passes_and_the_missing_insert_policy_is_named() {
    let root = repo();
    let out = deskctl()
        .current_dir(root)
        .args(["verify", "--ephemeral", "--preset", "supabase"])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for row in [
        "| Tables ",
        "| Functions ",
        "| Views ",
        "| RLS Policies   | 11    | 11 ",
        "| Sequences ",
    ] {
        assert!(text.contains(row), "missing {row:?} in\n{text}");
    }

    // The broken variant, on a real database with --migrate.
    let db = TestDb::supabase();
    let out = deskctl()
        .current_dir(root)
        .args([
            "verify",
            "--format",
            "json",
            "--migrate",
            "--migrations",
            "broken/missing-insert-policy/migrations",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let res = results(&out.stdout);
    let (status, detail) = &res["policies-chat-session-activity"];
    assert_eq!(status, "fail");
    assert_eq!(
        detail,
        "chat_session_activity: missing policy \"System can log chat activity\" (INSERT); present: \"Users can view activity in own sessions\" (SELECT), \"Admins can view all activity\" (SELECT)"
    );
    assert_eq!(res["component-policies"].0, "fail");
    // Count checks carry their component-table row.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "component-policies")
        .unwrap()["component"]
        .clone();
    assert_eq!(
        row,
        serde_json::json!({"component": "RLS Policies", "count": 10, "expected": "11"})
    );
    assert!(
        res["component-policies"].1.starts_with("10 policies"),
        "{:?}",
        res["component-policies"]
    );
    // Behaviour checks (issue 5) may add failures of their own; the static ones are exactly these.
    let static_kinds = ["count", "exists", "absent", "rls", "policies", "privileges"];
    let static_failures: Vec<String> = results_with_kind(&out.stdout)
        .into_iter()
        .filter(|(_, (k, s, _))| s != "pass" && static_kinds.contains(&k.as_str()))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        static_failures,
        ["component-policies", "policies-chat-session-activity"],
        "{res:#?}"
    );
}

#[test]
fn column_privileges_on_a_real_database() {
    let db = TestDb::new();
    // Roles are cluster-wide: names of this database's own.
    let reader = format!("{}_reader", db.name);
    let member = format!("{}_member", db.name);
    let whole = format!("{}_whole", db.name);
    db.exec(&format!(
        "create table public.accounts (id int primary key, email text, secret text);
         create role {reader} nologin;
         create role {member} nologin inherit;
         grant {reader} to {member};
         create role {whole} nologin;
         grant select (id, email), update (email) on public.accounts to {reader};
         grant select on public.accounts to {whole};"
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "columns.toml",
        &format!(
            r#"[[privileges]]
id = "ok-select-granted-columns"
role = "{reader}"
on = "column"
names = ["accounts.id", "accounts.email"]
has = ["SELECT"]
has_not = ["INSERT", "REFERENCES"]
[[privileges]]
id = "ok-update-one-column"
role = "{reader}"
on = "column"
names = ["accounts.email"]
has = ["UPDATE"]
[[privileges]]
id = "ok-nothing-on-secret"
role = "{reader}"
on = "column"
names = ["public.accounts.secret"]
has_not = ["ALL"]
[[privileges]]
id = "ok-member-inherits"
role = "{member}"
on = "column"
names = ["accounts.email"]
has = ["SELECT", "UPDATE"]
[[privileges]]
id = "ok-table-grant-covers-columns"
role = "{whole}"
on = "columns"
all = true
has = ["SELECT"]
has_not = ["UPDATE"]
[[privileges]]
id = "ok-pattern"
role = "{reader}"
on = "column"
pattern = "secr%"
has_not = ["SELECT"]
[[privileges]]
id = "bad-select-secret"
role = "{reader}"
on = "column"
names = ["accounts.secret", "accounts.id"]
has = ["SELECT"]
[[privileges]]
id = "bad-has-not"
role = ["{reader}", "{member}"]
on = "column"
names = ["accounts.email"]
has_not = ["UPDATE"]
[[privileges]]
id = "bad-update-id"
role = "{reader}"
on = "column"
all = true
has = ["UPDATE"]
[[privileges]]
id = "bad-no-such-column"
role = "{reader}"
on = "column"
names = ["accounts.emial", "accounts"]
has = ["SELECT"]
"#
        ),
    );
    let out = deskctl()
        .args(["verify", "--format", "json", "--database-url", &db.url])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let res = results(&out.stdout);
    let detail = |id: &str| -> (String, String) { res[id].clone() };
    for id in res.keys().filter(|k| k.starts_with("ok-")) {
        assert_eq!(detail(id).0, "pass", "{id}: {:?}", detail(id));
    }
    assert_eq!(
        detail("ok-select-granted-columns").1,
        format!("{reader} has SELECT and has no INSERT, REFERENCES on 2 columns: accounts.id, accounts.email")
    );
    assert_eq!(
        detail("bad-select-secret"),
        (
            "fail".into(),
            format!("{reader} lacks SELECT on accounts.secret")
        )
    );
    assert_eq!(
        detail("bad-has-not"),
        (
            "fail".into(),
            format!("{reader} has UPDATE on accounts.email; {member} has UPDATE on accounts.email")
        )
    );
    assert_eq!(
        detail("bad-update-id"),
        (
            "fail".into(),
            format!(
                "{reader} lacks UPDATE on accounts.id; {reader} lacks UPDATE on accounts.secret"
            )
        )
    );
    assert_eq!(
        detail("bad-no-such-column"),
        (
            "fail".into(),
            "accounts: no column emial; accounts: write columns as table.column".into()
        )
    );
    assert_eq!(res.len(), 10);
    db.exec(&format!(
        "drop table public.accounts; drop role {member}; drop role {reader}; drop role {whole};"
    ));
}
