//! Behaviour checks shared between two connections (`verify::probe`, from `SHARE_PROBES_AT`
//! checks on): the results must be those of one connection, a check that waited on the other
//! connection's lock is run again alone, and nothing is left changed or open.

use std::path::PathBuf;

use deskctl::catalog::OpenSecond;
use deskctl::checks::{self, Check};
use deskctl::db::{self, ConnTarget};
use deskctl::report::Report;
use deskctl::verify::{evaluate_loaded, ProbeSettings, SHARE_PROBES_AT};
use serde_json::Value;

use crate::common::*;

/// `notes` with RLS (owners see their own rows) and three rows, and role `reader`.
fn notes_db() -> TestDb {
    let db = TestDb::new();
    db.exec(&format!(
        "create table notes (id int primary key, owner text not null, body text);
         insert into notes values (1, 'ann', 'a'), (2, 'ann', 'b'), (3, 'bob', 'c');
         alter table notes enable row level security;
         create policy own on notes for select using (owner = current_setting('app.user', true));
         create table counter (id int primary key, n int);
         insert into counter values (1, 0);
         do $$ begin create role {r}; exception when duplicate_object then null; end $$;
         grant select, insert, update, delete on notes, counter to {r};",
        r = reader()
    ));
    db
}

/// A role name of this test binary's own (roles are cluster-wide).
fn reader() -> String {
    format!("probe_share_reader_{}", std::process::id())
}

/// `n` checks of every outcome: passes as the owner and as `reader` (RLS), writes that are
/// undone, failures (a wrong count, a missing table) and errors (SQL that does not parse).
fn mixed_checks(n: usize) -> String {
    let r = reader();
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&match i % 7 {
            0 => format!(
                "[[sql]]\nid = \"count-{i}\"\nquery = \"select count(*) from notes\"\nexpect = 3\n\n"
            ),
            1 => format!(
                "[[scenario]]\nid = \"ann-sees-two-{i}\"\n\n[[scenario.steps]]\nas = {{ role = \"{r}\", settings = {{ \"app.user\" = \"ann\" }} }}\nquery = \"select * from notes\"\nexpect_rows = 2\n\n"
            ),
            2 => format!(
                "[[sql]]\nid = \"write-{i}\"\nquery = \"delete from notes where id = 3; update counter set n = n + {i}; insert into notes values (100 + {i}, 'x', 'y'); select count(*) from notes\"\nexpect = 3\n\n"
            ),
            3 => format!(
                "[[sql]]\nid = \"wrong-{i}\"\nquery = \"select count(*) from notes\"\nexpect = 99\n\n"
            ),
            4 => format!(
                "[[sql]]\nid = \"missing-{i}\"\nquery = \"select count(*) from no_such_table_{i}\"\nexpect = 1\n\n"
            ),
            5 => format!(
                "[[sql]]\nid = \"broken-{i}\"\nquery = \"select count(* from notes\"\nexpect = 1\n\n"
            ),
            _ => format!(
                "[[scenario]]\nid = \"bob-sees-one-{i}\"\n\n[[scenario.steps]]\nas = {{ role = \"{r}\", settings = {{ \"app.user\" = \"bob\" }} }}\nquery = \"select * from notes\"\nexpect_rows = 1\n\n"
            ),
        });
    }
    s
}

fn load(text: &str) -> (tempfile::TempDir, Vec<Check>) {
    let dir = dir_with(&[("checks.toml", text)]);
    let checks = checks::load_paths(&[PathBuf::from(dir.path())]).unwrap();
    (dir, checks)
}

/// How the second connection behaves.
#[derive(Clone, Copy)]
enum Second {
    Opens,
    Fails,
    /// Never answers (a pooler queueing the connection): the run must not wait for it.
    Hangs,
}

/// Opens one more connection to `t`, or fails, or never returns.
fn opener(t: ConnTarget, how: Second) -> OpenSecond<'static> {
    Box::new(move || {
        Box::pin(async move {
            match how {
                Second::Opens => db::connect_once(&t).await.ok().map(|(c, _)| c),
                Second::Fails => None,
                Second::Hangs => std::future::pending().await,
            }
        })
    })
}

/// Every result's id, status and detail, on how many connections they ran, and how many ran
/// again alone.
fn evaluate(
    db: &TestDb,
    checks: &[Check],
    second: Option<OpenSecond<'static>>,
) -> (Value, usize, usize) {
    let t = db.target();
    rt().block_on(async {
        let (c, _h) = db::connect_target(&t, None).await.unwrap();
        let scope = checks::scope_for(checks, &[]);
        let snap = deskctl::catalog::load_consistent(&c, &scope).await.unwrap();
        let mut report = Report::new("verify", "test");
        let e = evaluate_loaded(
            &c,
            second,
            checks,
            &snap,
            &ProbeSettings::default(),
            &mut report,
        )
        .await;
        let rows: Vec<Value> = report
            .results
            .iter()
            .map(|r| serde_json::json!([r.id, r.status, r.detail]))
            .collect();
        (Value::Array(rows), e.connections, e.rerun)
    })
}

#[test]
fn checks_on_two_connections_give_exactly_what_one_connection_gives() {
    let db = notes_db();
    let n = SHARE_PROBES_AT + 10;
    let (_dir, checks) = load(&mixed_checks(n));
    let (alone, one, _) = evaluate(&db, &checks, None);
    assert_eq!(one, 1);
    let (shared, two, again) = evaluate(&db, &checks, Some(opener(db.target(), Second::Opens)));
    assert_eq!(two, 2, "the second connection took part");
    assert_eq!(shared, alone);
    // Its errors (SQL that does not parse) would be the same alone: none ran again.
    assert_eq!(again, 0);
    // Every kind of outcome is in the set, so the comparison covers them.
    let statuses: Vec<&str> = alone
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    for s in ["pass", "fail", "error"] {
        assert!(statuses.contains(&s), "no {s} among {statuses:?}");
    }
    // A second connection that cannot open, or never answers: the same, on one.
    for how in [Second::Fails, Second::Hangs] {
        let (fallback, one_again, _) = evaluate(&db, &checks, Some(opener(db.target(), how)));
        assert_eq!(one_again, 1);
        assert_eq!(fallback, alone);
    }
    // Fewer checks than the threshold never open a second connection.
    let (_d, few) = load(&mixed_checks(SHARE_PROBES_AT - 1));
    assert_eq!(
        evaluate(&db, &few, Some(opener(db.target(), Second::Opens))).1,
        1
    );
}

#[test]
fn a_check_that_waited_on_the_other_connections_lock_is_run_again_alone() {
    let db = notes_db();
    // The first two checks each hold the same row lock for 3 s (the second connection joins well
    // within that, even on a loaded machine): on two connections one of them waits past the
    // 200 ms lock_timeout (an error that says nothing about the database), so it must run again
    // after the other connection is done, and pass.
    let mut text = String::new();
    for id in ["hold-a", "hold-b"] {
        text.push_str(&format!(
            "[[sql]]\nid = \"{id}\"\nquery = \"update counter set n = n + 1 where id = 1; select true from pg_catalog.pg_sleep(3)\"\nexpect = true\n\n"
        ));
    }
    text.push_str(&mixed_checks(SHARE_PROBES_AT));
    let run = verify(&db, &text, &["-v", "--lock-wait", "200"]);
    run.expect("hold-a", "pass", &[]);
    run.expect("hold-b", "pass", &[]);
    assert!(
        run.text.contains("on 2 connection(s)"),
        "two connections: {}",
        run.text
    );
    assert!(
        run.text.contains("run again alone"),
        "one of the holders waited and ran again: {}",
        run.text
    );
    assert_eq!(db.scalar("select n::text from counter"), Some("0".into()));
}

#[test]
fn verify_on_two_connections_changes_nothing_and_leaves_no_session() {
    let db = notes_db();
    let before = db.scalar(
        "select string_agg(format('%s|%s|%s', id, owner, body), ',' order by id) from notes",
    );
    let run = verify(&db, &mixed_checks(SHARE_PROBES_AT * 2), &["-v"]);
    assert!(run.text.contains("on 2 connection(s)"), "{}", run.text);
    // The report holds every check, in the file's order.
    let ids: Vec<String> = run.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), SHARE_PROBES_AT * 2);
    assert!(ids[0].starts_with("count-0") && ids[2].starts_with("write-2"));
    assert_eq!(
        db.scalar(
            "select string_agg(format('%s|%s|%s', id, owner, body), ',' order by id) from notes"
        ),
        before
    );
    assert_eq!(db.scalar("select n::text from counter"), Some("0".into()));
    db.wait_sessions("true", 0, "no session of verify is left");
}
