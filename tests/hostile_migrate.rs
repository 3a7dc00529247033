//! Hostile migration files against `migrate`'s promises (issue 10 §3, §7, §12; issue 12 §2):
//! --rehearse and --dry-run change nothing, an interrupted CREATE INDEX CONCURRENTLY is never
//! recorded as applied, one lock per database, and statement splitting agrees with the server
//! (a bounded randomized test). Each case compares database state before and after.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{deskctl, dir_with, output_text, rt, sigkill, spawn_migrate, wait_for, TestDb};

fn run(db: &TestDb, dir: &Path, extra: &[&str]) -> Output {
    deskctl()
        .args([
            "migrate",
            "--no-lint",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

/// `migrate` of these (file name, text) files: its exit code and output.
fn migrate_files(db: &TestDb, files: &[(String, String)]) -> (Option<i32>, String) {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, b)| (f.as_str(), b.as_str()))
        .collect();
    let dir = dir_with(&refs);
    let out = run(db, dir.path(), &[]);
    (out.status.code(), output_text(&out))
}

/// Everything a migration could leave behind in this database: schemas, relations, routines,
/// extensions (names, sorted).
fn state(db: &TestDb) -> Vec<String> {
    db.query(
        "select 'schema ' || nspname from pg_namespace where nspname not like 'pg_temp%' and nspname not like 'pg_toast%'
         union all select 'rel ' || c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
         union all select 'proc ' || p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                    where n.nspname not in ('pg_catalog', 'information_schema')
         union all select 'ext ' || extname from pg_extension
         order by 1",
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect()
}

#[test]
fn rehearse_never_commits_whatever_the_file_hides() {
    let db = TestDb::new();
    let before = state(&db);
    let cases: &[(&str, &str)] = &[
        ("commit", "create table c1 (id int);\ncommit;\ncreate table c2 (id int);"),
        ("end", "create table c1 (id int);\nEND;"),
        ("commit_work", "create table c1 (id int);\n/* x */ CoMmIt WoRk -- y\n;"),
        ("chain", "create table c1 (id int);\ncommit and chain;\ncreate table c2 (id int);"),
        ("abort", "begin;\ncreate table c1 (id int);\nabort;\ncreate table c2 (id int);"),
        (
            "func_begin",
            "create function begin() returns int language sql as 'select 1';\ncommit;\nselect begin();",
        ),
        (
            "scs_off",
            "set standard_conforming_strings = off;\nselect 'a\\'; commit; select ';\ncreate table c1 (id int);",
        ),
        (
            "scs_trick",
            "select 'a\\'; commit; select ';\ncreate table c1 (id int);",
        ),
        (
            "dollar",
            "create function f() returns text language sql as $q$ select 'commit;' $q$;\ncommit;\ncreate table c1 (id int);",
        ),
        ("own_tx", "BEGIN;\ncreate table c1 (id int);\nCOMMIT;\nBEGIN;\ncreate table c2 (id int);\nROLLBACK;"),
    ];
    for (name, body) in cases {
        let dir = dir_with(&[
            ("V1__setup.sql", "create table base (id int);"),
            (&format!("V2__{name}.sql"), body),
        ]);
        let out = run(&db, dir.path(), &["--rehearse"]);
        let text = output_text(&out);
        // Rehearsed, failed, or refused (a text the parser cannot split safely): never a panic.
        assert!(
            matches!(out.status.code(), Some(0 | 2 | 3)),
            "{name}: {text}"
        );
        assert_eq!(state(&db), before, "{name} left something behind:\n{text}");
    }
    // A COMMIT inside a DO block or a procedure fails inside the rehearsal's transaction.
    for (name, body) in [
        ("do_commit", "create table c1 (id int);\ndo $$ begin commit; end $$;"),
        (
            "proc_commit",
            "create table c1 (id int);\ncreate procedure p() language plpgsql as $$ begin commit; end $$;\ncall p();",
        ),
    ] {
        let dir = dir_with(&[(&format!("V1__{name}.sql"), body)]);
        let out = run(&db, dir.path(), &["--rehearse"]);
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(3), "{name}: {text}");
        assert!(text.contains("invalid transaction termination"), "{name}: {text}");
        assert!(text.contains("the rehearsal was rolled back; nothing changed"), "{text}");
        assert_eq!(state(&db), before, "{name} left something behind");
    }
    // Statements that end the transaction for good, or cannot run in one: refused, nothing sent.
    for (body, what) in [
        (
            "create table c1 (id int);\nprepare transaction 'x';",
            "PREPARE TRANSACTION",
        ),
        ("create table c1 (id int);\nvacuum;", "VACUUM"),
        (
            "create table c1 (id int);\ncreate database x;",
            "CREATE DATABASE",
        ),
    ] {
        let dir = dir_with(&[("V1__bad.sql", body)]);
        let out = run(&db, dir.path(), &["--rehearse"]);
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("V1__bad.sql:2:1"), "{text}");
        assert!(text.contains(what), "{text}");
        assert_eq!(state(&db), before);
    }
}

/// `migrate` sends plain files ahead of the answers to earlier ones (runner's pipeline): a file
/// that fails must stop every file sent behind it, whatever way it fails, including the ways that
/// leave the session outside a transaction block (a deferred constraint failing at COMMIT; a
/// COMMIT inside the file that only the server sees, with or without an error after it), and
/// name where it failed in the file. Files 3 to 8 are plain tables, sent before file 2's answer
/// is read.
#[test]
fn a_failed_file_stops_every_file_pipelined_behind_it() {
    // (name, file 2, text the failure shows, whether file 2's table is left committed)
    let cases: &[(&str, &str, &str, bool)] = &[
        ("error", "create table t2 (id int);\nselect 1/0;", "division by zero", false),
        (
            "deferred",
            "create table t2 (id int primary key);\ncreate table t2c (pid int references t2 deferrable initially deferred);\ninsert into t2c values (42);",
            "at: COMMIT",
            false,
        ),
        // The server lexes the whole file with standard_conforming_strings on, so it runs the
        // COMMIT; deskctl's parser, honouring the SET for the text after it, sees one string
        // (from `'a\'` to `select '`) and a comment.
        (
            "hidden_commit_then_error",
            "create table t2 (id int);\nset standard_conforming_strings = off;\nselect 'a\\'; commit; select 1/0; select ';-- ';",
            "division by zero",
            true,
        ),
        (
            "hidden_commit",
            "create table t2 (id int);\nset standard_conforming_strings = off;\nselect 'a\\'; commit; select ';-- ';",
            "ended deskctl's transaction itself",
            true,
        ),
        // The reverse: deskctl's parser sees one string (`'a\'; select '`), the server an
        // unterminated one, and refuses the whole file before running any of it. Its position
        // still names the file's line and column, past the check deskctl sends before the file.
        (
            "server_syntax",
            "create table t2 (id int);\nset standard_conforming_strings = off;\nselect 'a\\'; select ';",
            "V2__server_syntax.sql:3:21: unterminated quoted string",
            false,
        ),
        (
            "position",
            "create table t2 (id int);\n  select nocol from t2;",
            "V2__position.sql:2:10: column \"nocol\" does not exist",
            false,
        ),
    ];
    for (name, body, says, leaves_t2) in cases {
        let db = TestDb::new();
        let mut files = vec![
            (
                "V1__first.sql".to_string(),
                "create table t1 (id int);".to_string(),
            ),
            (format!("V2__{name}.sql"), body.to_string()),
        ];
        for v in 3..=8 {
            files.push((
                format!("V{v}__t{v}.sql"),
                format!("create table t{v} (id int);"),
            ));
        }
        let (code, text) = migrate_files(&db, &files);
        assert_eq!(code, Some(3), "{name}: {text}");
        assert!(text.contains(&format!("V2__{name}")), "{name}: {text}");
        assert!(text.contains(says), "{name}: {text}");
        let history =
            db.query("select version::text from deskctl.refinery_schema_history order by version");
        assert_eq!(history, vec![vec![Some("1".to_string())]], "{name}: {text}");
        let tables = db.query(
            "select string_agg(relname, ' ' order by relname) from pg_class where relkind = 'r' and relname ~ '^t[0-9]+$'",
        );
        let want = if *leaves_t2 { "t1 t2" } else { "t1" };
        assert_eq!(tables[0][0].as_deref(), Some(want), "{name}: {text}");
    }
}

/// A pipelined file runs inside a savepoint of a transaction the previous file opened: a file
/// that sets its own transaction's characteristics (which must come first in a transaction and
/// outside any savepoint) between plain ones is run alone, and gets them.
#[test]
fn a_file_setting_its_transaction_characteristics_runs_alone_with_them() {
    let db = TestDb::new();
    let mut files = vec![(
        "V1__first.sql".to_string(),
        "create table t1 (id int);".to_string(),
    )];
    let sets = [
        (
            2,
            "set transaction_isolation = 'serializable'",
            "serializable",
        ),
        (
            3,
            "set transaction isolation level repeatable read",
            "repeatable read",
        ),
        (
            4,
            "SET LOCAL transaction_deferrable TO on",
            "read committed",
        ),
    ];
    for (v, set, _) in sets {
        files.push((
            format!("V{v}__set_{v}.sql"),
            format!("{set};\ncreate table iso_{v} as select pg_catalog.current_setting('transaction_isolation') as iso;"),
        ));
    }
    files.push((
        "V5__last.sql".to_string(),
        "create table t5 (id int);".to_string(),
    ));
    let (code, text) = migrate_files(&db, &files);
    assert_eq!(code, Some(0), "{text}");
    let history = db.query(
        "select string_agg(version::text, ' ' order by version) from deskctl.refinery_schema_history",
    );
    assert_eq!(history[0][0].as_deref(), Some("1 2 3 4 5"), "{text}");
    for (v, _, iso) in sets {
        let got = db.query(&format!("select iso from iso_{v}"));
        assert_eq!(got[0][0].as_deref(), Some(iso), "file {v}: {text}");
    }
}

#[test]
fn rehearse_and_dry_run_with_the_supabase_preset_leave_no_preset_behind() {
    let db = TestDb::new();
    let before = state(&db);
    // Needs the preset: auth.uid() and the authenticated role.
    let dir = dir_with(&[(
        "V1__notes.sql",
        "create table notes (id int, owner uuid default auth.uid());\nalter table notes enable row level security;\ngrant select on notes to authenticated;",
    )]);
    let out = run(&db, dir.path(), &["--rehearse", "--preset", "supabase"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("rehearsed 1 notes"), "{text}");
    assert_eq!(
        state(&db),
        before,
        "the rehearsal left the preset or the table:\n{text}"
    );
    let out = run(&db, dir.path(), &["--dry-run", "--preset", "supabase"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("would apply"), "{text}");
    assert_eq!(
        state(&db),
        before,
        "the dry run changed the database:\n{text}"
    );
    // Without a history table, neither created one.
    assert!(!before.iter().any(|s| s.contains("schema_history")));
}

#[test]
fn kill_9_during_create_index_concurrently_then_rerun_is_not_recorded_over_an_invalid_index() {
    let db = TestDb::new();
    db.exec("create table t (a int); insert into t select generate_series(1, 1000);");
    let dir = dir_with(&[(
        "V1__idx.sql",
        "-- deskctl:no-transaction\ncreate index concurrently if not exists t_a on t (a);",
    )]);
    // An open writer makes the build wait: kill deskctl while it does.
    let t = db.target();
    let runtime = rt();
    let blocker = runtime.block_on(async {
        let (c, h) = deskctl::db::connect_target(&t, None).await.unwrap();
        c.batch_execute("begin; insert into t values (0);")
            .await
            .unwrap();
        (c, h)
    });
    let mut child = spawn_migrate(&db, dir.path());
    wait_for("the index build never started", || {
        db.scalar("select count(*)::text from pg_class where relname = 't_a'")
            .as_deref()
            == Some("1")
    });
    sigkill(&mut child);
    // The orphaned backend gives up (client_connection_check_interval); then the writer ends.
    db.wait_sessions("query like '%concurrently%'", 0, "the build never stopped");
    runtime.block_on(async { blocker.0.batch_execute("commit").await.unwrap() });
    assert_eq!(
        db.scalar("select indisvalid::text from pg_index where indexrelid = 't_a'::regclass")
            .as_deref(),
        Some("false")
    );
    // The rerun (IF NOT EXISTS would skip the leftover) refuses to record it, naming the fix.
    let out = run(&db, dir.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("DROP INDEX CONCURRENTLY public.t_a"),
        "{text}"
    );
    assert_eq!(
        db.scalar("select count(*)::text from deskctl.refinery_schema_history")
            .as_deref(),
        Some("0")
    );
    db.exec("drop index concurrently public.t_a");
    let out = run(&db, dir.path(), &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(
        db.scalar("select indisvalid::text from pg_index where indexrelid = 't_a'::regclass")
            .as_deref(),
        Some("true")
    );
}

#[test]
fn two_spellings_of_the_history_table_share_one_lock() {
    let db = TestDb::new();
    let dir = dir_with(&[
        (
            "V1__slow.sql",
            "select pg_sleep(1.5);\ncreate table one (id int);",
        ),
        ("V2__two.sql", "create table two (id int);"),
    ]);
    let bin = assert_cmd::cargo::cargo_bin("deskctl");
    let spawn = |table: &str| {
        Command::new(&bin)
            .args([
                "migrate",
                "--no-lint",
                "--database-url",
                &db.url,
                "--history-table",
                table,
                "--migrations",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("refinery_schema_history");
    std::thread::sleep(Duration::from_millis(500));
    let b = spawn("PUBLIC.Refinery_Schema_History");
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", output_text(&a));
    assert!(b.status.success(), "{}", output_text(&b));
    assert!(
        output_text(&b).contains("waiting for the migration lock"),
        "{}",
        output_text(&b)
    );
    assert_eq!(
        db.scalar("select string_agg(version::text, ',' order by version) from public.refinery_schema_history").as_deref(),
        Some("1,2")
    );
}

#[test]
fn no_transaction_statements_run_in_parts_and_own_transactions_keep_working() {
    let db = TestDb::new();
    let dir = dir_with(&[
        ("V1__own_tx.sql", "BEGIN;\ncreate table a (id int, tag text);\nCOMMIT;"),
        (
            "V2__mixed.sql",
            "insert into a values (1, 'x');\ncreate index concurrently a_tag on a (tag);\nvacuum a;\ncreate table b (id int);",
        ),
    ]);
    let out = run(&db, dir.path(), &[]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("CREATE INDEX CONCURRENTLY (line 2), VACUUM (line 3)"),
        "{text}"
    );
    assert_eq!(
        db.scalar("select count(*)::text from a").as_deref(),
        Some("1")
    );
    assert_eq!(
        db.scalar("select string_agg(version::text, ',' order by version) from deskctl.refinery_schema_history").as_deref(),
        Some("1,2")
    );
    // A failure after a part that ran on its own says which parts stay.
    let dir2 = dir_with(&[(
        "V3__fails.sql",
        "create table c (id int);\ncreate index concurrently c_id on c (id);\ninsert into c values ('x');",
    )]);
    for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
        std::fs::copy(f.path(), dir2.path().join(f.file_name())).unwrap();
    }
    let out = run(&db, dir2.path(), &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("V3__fails.sql:3:"), "{text}");
    assert!(
        text.contains("ran in parts because CREATE INDEX CONCURRENTLY at line 2"),
        "{text}"
    );
}

/// A small deterministic generator (xorshift), so the randomized test needs no dependency and
/// replays exactly from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

#[test]
fn statement_splitting_agrees_with_the_server_on_random_texts() {
    // Fragments full of `;` hidden in every kind of quote and comment.
    let values = [
        "1",
        "'a;b'",
        "'it''s; ok'",
        "E'x\\';y'",
        "$$;$$",
        "$t$ ; $$ ; $t$",
        "U&'\\0041;'",
        "(select 2)",
        "array[';']",
        "'/*'",
        "'--'",
        "$1$",
        "B'101'",
    ];
    let gaps = [" ", "\n", " /* ; */ ", " -- ;\n", "/* /* ; */ */", "\t"];
    let db = TestDb::new();
    let t = db.target();
    let runtime = rt();
    let (client, _h) = runtime
        .block_on(deskctl::db::connect_target(&t, None))
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut cases = 0;
    while cases < 400 && started.elapsed() < Duration::from_secs(20) {
        cases += 1;
        let n = 1 + (rng.next() % 5) as usize;
        let mut text = String::new();
        let mut want = Vec::new();
        for _ in 0..n {
            let cols: Vec<String> = (0..1 + rng.next() % 3)
                .map(|i| {
                    let v = rng.pick(&values);
                    // `$1$` is not a dollar quote: keep it out of column position alone.
                    let v = if v == "$1$" { "1" } else { v };
                    format!("{v} as \"c;{i}\"")
                })
                .collect();
            let stmt = format!("select{}{}", rng.pick(&gaps), cols.join(", "));
            text.push_str(rng.pick(&gaps));
            text.push_str(&stmt);
            text.push_str(rng.pick(&gaps));
            text.push(';');
            want.push(stmt);
        }
        let got = deskctl::sqltext::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let got: Vec<&str> = got.iter().map(|s| s.text(&text)).collect();
        assert_eq!(got, want, "boundaries differ for: {text}");
        // The server agrees: each piece is one statement for the extended protocol, and the
        // whole text is exactly n statements for the simple protocol.
        runtime.block_on(async {
            for s in &got {
                client
                    .execute_typed(s, &[])
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}: {s}"));
            }
            let msgs = client.simple_query(&text).await.unwrap();
            let done = msgs
                .iter()
                .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(_)))
                .count();
            assert_eq!(done, n, "{text}");
        });
        // Lenient splitting never panics and never loses text on any prefix of the text.
        let cut = (rng.next() as usize) % (text.len() + 1);
        if text.is_char_boundary(cut) {
            let prefix = &text[..cut];
            for s in deskctl::sqltext::split_lenient(prefix) {
                assert!(s.start <= s.end && s.end <= prefix.len());
            }
        }
    }
    assert!(cases >= 50, "only {cases} cases in the time budget");
}

/// The history table's DDL is sent without waiting for its answer (it is read with that of the
/// history query after it, in one round trip): a DDL that fails must still stop the run before
/// any file, say what failed, and leave no lock behind. An up-to-date run skips that DDL, so the
/// same role can run it once the table exists.
#[test]
fn a_history_table_the_role_cannot_create_stops_the_run_but_not_an_up_to_date_one() {
    let db = TestDb::new();
    let role = format!("{}_nocreate", db.name);
    let password = format!("pw-{role}");
    db.exec(&format!(
        "create role {role} login password '{password}'; \
         create table done_by_file (id int); grant all on done_by_file to {role}"
    ));
    // The same URL, as that role (no CREATE on the database: the schema `deskctl` cannot be made).
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let url = format!("{scheme}://{role}:{password}@{after_user}");
    let dir = dir_with(&[("V1__fill.sql", "insert into done_by_file values (1);")]);
    // From the migrations' directory: the repository's deskctl.toml would install the Supabase
    // preset first, which this role cannot either.
    let migrate_as = |url: &str| {
        deskctl()
            .current_dir(dir.path())
            .args([
                "migrate",
                "--no-lint",
                "--database-url",
                url,
                "--migrations",
            ])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = migrate_as(&url);
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "creating the history table deskctl.refinery_schema_history: permission denied"
        ),
        "{text}"
    );
    assert_eq!(
        db.scalar("select count(*)::text from done_by_file")
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        db.scalar("select (to_regnamespace('deskctl') is null)::text")
            .as_deref(),
        Some("true")
    );
    // The session ended: no advisory lock is left held.
    assert_eq!(
        db.scalar(
            "select count(*)::text from pg_locks where locktype = 'advisory' \
             and database = (select oid from pg_database where datname = current_database())"
        )
        .as_deref(),
        Some("0"),
        "{text}"
    );
    // Once the owner has applied it, an up-to-date run by that role needs nothing it lacks:
    // nothing is created, and the history is not asked for again.
    let out = migrate_as(&db.url);
    assert!(out.status.success(), "{}", output_text(&out));
    db.exec(&format!(
        "grant usage on schema deskctl to {role}; \
         grant select on deskctl.refinery_schema_history to {role}"
    ));
    let out = migrate_as(&url);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("nothing to apply; database at version 1"),
        "{text}"
    );
}
