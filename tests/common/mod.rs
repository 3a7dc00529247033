//! Test harness: one shared ephemeral cluster per test process (or DESKCTL_TEST_DATABASE_URL),
//! a fresh database per test, and a `deskctl` command with a clean environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use deskctl::db::{self, ephemeral, ConnTarget, EphemeralCluster};

mod process;
mod verify;
pub use process::{deskctl_bg, sigkill, spawn_migrate, wait_for};
pub use verify::verify;

struct Shared {
    /// Admin connection settings (a database we can CREATE DATABASE from).
    admin: ConnTarget,
    /// URL template for a database name.
    url_for: Box<dyn Fn(&str) -> String + Send + Sync>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

extern "C" fn cleanup_at_exit() {
    if let Some(dir) = CLUSTER_DIR.get() {
        // The server dies with the process (PDEATHSIG); remove its directory.
        let _ = std::fs::remove_dir_all(dir);
    }
}
static CLUSTER_DIR: OnceLock<PathBuf> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        if let Ok(url) = std::env::var("DESKCTL_TEST_DATABASE_URL") {
            let admin = db::conninfo::parse(&url).expect("DESKCTL_TEST_DATABASE_URL parses");
            let base = url.clone();
            return Shared {
                admin,
                url_for: Box::new(move |name| replace_dbname(&base, name)),
            };
        }
        // Start the cluster from a thread that lives as long as the process, so PDEATHSIG
        // only fires when the test process ends.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let c = EphemeralCluster::start(ephemeral::Options {
                keep: true,
                ..Default::default()
            })
            .expect("start shared test cluster");
            tx.send((
                c.conn_target("postgres"),
                c.root().to_path_buf(),
                c.url("DBNAME"),
            ))
            .unwrap();
            std::mem::forget(c);
            loop {
                std::thread::park();
            }
        });
        let (admin, root, url) = rx.recv().expect("shared cluster started");
        CLUSTER_DIR.set(root).ok();
        unsafe {
            nix::libc::atexit(cleanup_at_exit);
        }
        Shared {
            admin,
            url_for: Box::new(move |name| url.replace("DBNAME", name)),
        }
    })
}

fn replace_dbname(url: &str, name: &str) -> String {
    // postgres://user@host:port/db?params  ->  .../name?params
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let head = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh database for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let s = shared();
        let name = format!(
            "t{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        rt().block_on(async {
            let (c, _h) = db::connect_target(&s.admin, None)
                .await
                .expect("admin connect");
            c.batch_execute(&format!("create database {}", db::quote_ident(&name)))
                .await
                .expect("create database");
        });
        TestDb {
            url: (s.url_for)(&name),
            name,
        }
    }

    /// A fresh database with the Supabase preset installed.
    pub fn supabase() -> TestDb {
        let d = TestDb::new();
        let t = d.target();
        // Through the library's installer: roles are cluster-wide, and tests install in
        // parallel, so conflicting CREATE ROLEs must be retried (it does).
        rt().block_on(async {
            let (c, _h) = db::connect_target(&t, None).await.unwrap();
            deskctl::db::supabase::install(&c)
                .await
                .unwrap_or_else(|e| panic!("installing the supabase preset: {e:?}"));
        });
        d
    }

    pub fn target(&self) -> ConnTarget {
        db::conninfo::parse(&self.url).unwrap()
    }

    /// Run SQL (simple protocol, many statements).
    pub fn exec(&self, sql: &str) {
        let t = self.target();
        rt().block_on(async {
            let (c, _h) = db::connect_target(&t, None).await.unwrap();
            c.batch_execute(sql)
                .await
                .unwrap_or_else(|e| panic!("exec failed: {e:?}\nSQL: {sql}"));
        });
    }

    /// Rows of a query, every column cast to text by the caller (`select a::text, ...`).
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let t = self.target();
        rt().block_on(async {
            let (c, _h) = db::connect_target(&t, None).await.unwrap();
            let rows = c
                .query(sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<_, Option<String>>(i))
                        .collect()
                })
                .collect()
        })
    }

    /// Run several statements in one session (simple protocol); rows of the last statement
    /// that returned rows, as text.
    pub fn simple(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let t = self.target();
        rt().block_on(async {
            let (c, _h) = db::connect_target(&t, None).await.unwrap();
            let msgs = c
                .simple_query(sql)
                .await
                .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
            let mut last = Vec::new();
            let mut cur = Vec::new();
            for m in msgs {
                match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => {
                        cur.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    tokio_postgres::SimpleQueryMessage::CommandComplete(_) if !cur.is_empty() => {
                        last = std::mem::take(&mut cur);
                    }
                    _ => {}
                }
            }
            last
        })
    }

    /// First column of the first row as text.
    pub fn scalar(&self, sql: &str) -> Option<String> {
        self.query(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
    }
}

/// What the caller's environment must not give deskctl in a test.
const CLEARED_ENV: [&str; 10] = [
    "DATABASE_URL",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGCONNECT_TIMEOUT",
    "PGAPPNAME",
];

/// `deskctl` with a clean environment (no colour, no PG*/DATABASE_URL from the caller).
pub fn deskctl() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("deskctl").unwrap();
    for k in CLEARED_ENV {
        c.env_remove(k);
    }
    c.env("NO_COLOR", "1");
    c
}

/// The repository root (for examples/, migrations/, checks/).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory holding these files (migrations, check files): (name, text).
pub fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(d.path().join(name), body).unwrap();
    }
    d
}

/// stdout+stderr of an assert_cmd output, as text.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A TCP port free on 127.0.0.1 right now (for a cluster's --ephemeral-port / tcp_port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
