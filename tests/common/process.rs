//! Tests that race deskctl against the database: spawn it in the background, wait for what its
//! session is doing (pg_stat_activity), kill it hard.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TestDb;

/// How long a test waits for something another process does before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Poll `cond` every 50 ms until it holds; after [`PATIENCE`] fail saying `what` never happened.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < PATIENCE, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The deskctl binary as a background process: the clean environment of [`super::deskctl`],
/// its output discarded. Add arguments (and a directory) and `spawn()`.
pub fn deskctl_bg() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("deskctl"));
    for k in super::CLEARED_ENV {
        c.env_remove(k);
    }
    c.env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// `deskctl migrate --no-lint --database-url URL --migrations DIR` started in the background
/// ([`deskctl_bg`]), from the test's working directory.
pub fn spawn_migrate(db: &TestDb, dir: &std::path::Path) -> Child {
    deskctl_bg()
        .args([
            "migrate",
            "--no-lint",
            "--database-url",
            &db.url,
            "--migrations",
        ])
        .arg(dir)
        .spawn()
        .unwrap()
}

/// SIGKILL a child (no handler runs: the process just vanishes) and reap it.
pub fn sigkill(child: &mut Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
}

impl TestDb {
    /// Other sessions of this database matching `filter`, an SQL condition on
    /// pg_stat_activity (`query like '%pg_sleep(3)%'`, `state = 'active'`, ...).
    pub fn sessions(&self, filter: &str) -> usize {
        self.scalar(&format!(
            "select count(*)::text from pg_catalog.pg_stat_activity \
             where datname = current_database() and pid <> pg_catalog.pg_backend_pid() and ({filter})"
        ))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
    }

    /// Wait until exactly `n` other sessions of this database match `filter`; fail saying `what`
    /// never happened.
    pub fn wait_sessions(&self, filter: &str, n: usize, what: &str) {
        wait_for(what, || self.sessions(filter) == n)
    }
}
