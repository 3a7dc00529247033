//! The catalog read shared between two connections (`catalog::load_consistent_shared`): what a
//! second connection reads must be exactly what one connection reads, at the same instant,
//! whatever commits meanwhile and whatever goes wrong on the second connection.

use deskctl::catalog::{self, OpenSecond, Scope, Snapshot};
use deskctl::db::{self, ConnTarget};
use tokio_postgres::Client;

use crate::common::*;

const TABLES: usize = 24;

/// `TABLES` tables with RLS, each with two policies whose expressions name the table's columns.
fn schema_with_policies() -> TestDb {
    let db = TestDb::new();
    let mut sql = String::new();
    for i in 0..TABLES {
        sql.push_str(&format!(
            "create table t{i} (id int primary key, owner_id int, status text);
             alter table t{i} enable row level security;
             create policy \"own {i}\" on t{i} for select to public using (owner_id = {i} and status <> 'gone');
             create policy \"edit {i}\" on t{i} for update using (owner_id = {i}) with check (status is not null);\n"
        ));
    }
    db.exec(&sql);
    db
}

/// Every table's name, policies and their texts: what the shared read must reproduce.
fn relations(s: &Snapshot) -> serde_json::Value {
    serde_json::to_value(&s.relations).unwrap()
}

/// Policy read shared from 2 tables with policies on, so a small schema takes the
/// two-connection path.
fn scope() -> Scope {
    scope_sharing_at(2)
}

fn scope_sharing_at(tables: usize) -> Scope {
    let mut s = Scope::with_policy_expressions(vec!["public".into()]);
    s.share_policies_at = tables;
    s
}

async fn connect(t: &ConnTarget) -> Client {
    let (c, _h) = db::connect_target(t, None).await.unwrap();
    c
}

/// Opens a second connection to `t` after running `before` on a third one (committed).
fn opener(t: ConnTarget, before: &'static str) -> OpenSecond<'static> {
    Box::new(move || {
        Box::pin(async move {
            if !before.is_empty() {
                connect(&t).await.batch_execute(before).await.unwrap();
            }
            db::connect_once(&t).await.ok().map(|(c, _)| c)
        })
    })
}

fn read(db: &TestDb, second: Option<OpenSecond<'static>>) -> Snapshot {
    read_with(db, &scope(), second)
}

fn read_with(db: &TestDb, scope: &Scope, second: Option<OpenSecond<'static>>) -> Snapshot {
    let t = db.target();
    rt().block_on(async {
        let c = connect(&t).await;
        catalog::load_consistent_shared(&c, scope, second)
            .await
            .unwrap()
    })
}

#[test]
fn a_shared_policy_read_gives_what_one_connection_reads() {
    let db = schema_with_policies();
    let alone = read(&db, None);
    assert_eq!(alone.connections, 1);
    assert_eq!(
        alone
            .relations
            .iter()
            .map(|r| r.policies.len())
            .sum::<usize>(),
        2 * TABLES
    );
    let shared = read(&db, Some(opener(db.target(), "")));
    assert_eq!(
        shared.connections, 2,
        "the second connection read its share"
    );
    assert_eq!(relations(&shared), relations(&alone));
    // Below the threshold (tables holding policies, counted in the schemas read) the second
    // connection is not even opened.
    let (opened, watched) = watched_opener(&db);
    let small = read_with(&db, &scope_sharing_at(TABLES + 1), Some(watched));
    assert_eq!(small.connections, 1);
    assert!(!opened.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(relations(&small), relations(&alone));
    // At exactly the threshold it is.
    let at = read_with(
        &db,
        &scope_sharing_at(TABLES),
        Some(opener(db.target(), "")),
    );
    assert_eq!(at.connections, 2);
    assert_eq!(relations(&at), relations(&alone));
    // Policies count only in the schemas read: a scope holding none of these tables does not
    // open it, however many the database holds elsewhere.
    db.exec("create schema other; create table other.plain (id int);");
    let (flag, watched) = watched_opener(&db);
    let mut elsewhere = Scope::with_policy_expressions(vec!["other".into()]);
    elsewhere.share_policies_at = 1;
    let other = read_with(&db, &elsewhere, Some(watched));
    assert_eq!(other.connections, 1);
    assert!(!flag.load(std::sync::atomic::Ordering::SeqCst));
    assert!(other.relation_by("other", "plain").is_some());
}

/// An opener that records whether it was called.
fn watched_opener(
    db: &TestDb,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    OpenSecond<'static>,
) {
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = opened.clone();
    let t = db.target();
    let open: OpenSecond<'static> = Box::new(move || {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move { db::connect_once(&t).await.ok().map(|(c, _)| c) })
    });
    (opened, open)
}

#[test]
fn the_second_connection_sees_the_first_ones_instant_not_later_commits() {
    let db = schema_with_policies();
    let before = read(&db, None);
    // Committed after the first connection's snapshot was taken and exported and before the
    // second connection (which reads every policy) starts: on the first tables and the last,
    // and a table the first connection has not read yet.
    let changes = "drop policy \"own 0\" on t0;
         alter policy \"edit 1\" on t1 using (owner_id = 999);
         create policy \"late\" on t2 using (true);
         drop policy \"own 23\" on t23;
         create table t_late (id int);";
    let shared = read(&db, Some(opener(db.target(), changes)));
    assert_eq!(shared.connections, 2);
    assert_eq!(relations(&shared), relations(&before));
    // The changes were real: a read now sees them.
    let after = read(&db, None);
    assert_ne!(relations(&after), relations(&before));
    let t0 = after.relation_by("public", "t0").unwrap();
    assert!(t0.policy("own 0").is_none());
    assert!(after
        .relation_by("public", "t2")
        .unwrap()
        .policy("late")
        .is_some());
}

#[test]
fn a_second_connection_that_cannot_share_changes_nothing() {
    let db = schema_with_policies();
    let alone = read(&db, None);
    // No connection at all.
    let none: OpenSecond<'static> = Box::new(|| Box::pin(async { None }));
    let s = read(&db, Some(none));
    assert_eq!(s.connections, 1);
    assert_eq!(relations(&s), relations(&alone));
    // A connection to another database: the snapshot cannot be imported there.
    let other = TestDb::new();
    let s = read(&db, Some(opener(other.target(), "")));
    assert_eq!(s.connections, 1);
    assert_eq!(relations(&s), relations(&alone));
    // A connection that imports the snapshot, then gives up on a lock its share needs (t0 is
    // locked by a third session until the first connection waits for it too): the first
    // connection reads that share again, waiting for the lock like a lone read would.
    let t = db.target();
    let locked: OpenSecond<'static> = Box::new(move || {
        Box::pin(async move {
            let (holder, _) = db::connect_once(&t).await.ok()?;
            holder
                .batch_execute("begin; lock table t0 in access exclusive mode")
                .await
                .ok()?;
            let (c, _) = db::connect_once(&t).await.ok()?;
            c.batch_execute("set lock_timeout = 1").await.ok()?;
            let second: i32 = c
                .query_one("select pg_backend_pid()", &[])
                .await
                .ok()?
                .get(0);
            let (watcher, _) = db::connect_once(&t).await.ok()?;
            tokio::spawn(async move {
                let first_waits = "select count(*)::int from pg_locks \
                    where relation = 't0'::regclass and not granted and pid <> $1";
                loop {
                    let n: i32 = watcher
                        .query_one(first_waits, &[&second])
                        .await
                        .unwrap()
                        .get(0);
                    if n > 0 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                holder.batch_execute("commit").await.unwrap();
            });
            Some(c)
        })
    });
    let s = read(&db, Some(locked));
    assert_eq!(s.connections, 1, "the second connection could not read t0");
    assert_eq!(relations(&s), relations(&alone));
}

#[test]
fn the_shared_read_leaves_no_session_behind() {
    let db = schema_with_policies();
    let others = "select count(*)::text from pg_stat_activity where datname = current_database() \
                  and pid <> pg_backend_pid()";
    let shared = read(&db, Some(opener(db.target(), "")));
    assert_eq!(shared.connections, 2);
    wait_for("the read's connections to close", || {
        db.scalar(others).as_deref() == Some("0")
    });
}
