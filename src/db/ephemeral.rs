//! A throwaway PostgreSQL cluster: data directory in a fresh temp dir (copied from a cached
//! `initdb` template per server version), a server listening only on a unix socket inside that
//! directory, stopped and deleted on drop, on Ctrl-C/SIGTERM, and (via PDEATHSIG) if deskctl dies.
//! As root it runs the server as an unprivileged user. Private: its own random superuser password
//! (OS RNG, never printed), scram-sha-256 for every connection, socket and directory 0700; the
//! cached template holds no password. Must not run SQL beyond setting that password.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{Gid, Pid, Uid, User};

use super::conninfo::{ConnTarget, SslMode};

/// The cluster's superuser.
pub const SUPERUSER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EphemeralError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found: looked in $DESKCTL_PG_BIN, PATH, \
`pg_config --bindir` and /usr/lib/postgresql/*/bin\n  hint: install them (Debian/Ubuntu: \
`apt-get install postgresql`; macOS: `brew install postgresql@16`) or set DESKCTL_PG_BIN"
    )]
    NoBinaries,
    #[error("running as root, but the user `{0}` that should run PostgreSQL does not exist\n  hint: set DESKCTL_PG_USER to an unprivileged user")]
    NoUser(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("initdb failed ({status}):\n{output}")]
    Initdb { status: String, output: String },
    #[error("the PostgreSQL server did not start within {secs} s; its log ({log}) ends:\n{tail}")]
    StartTimeout {
        secs: u64,
        log: String,
        tail: String,
    },
    #[error("the PostgreSQL server exited during start-up ({status}); its log ends:\n{tail}")]
    StartFailed { status: String, tail: String },
    #[error("setting the ephemeral cluster's password failed ({status}):\n{output}")]
    Password { status: String, output: String },
}

/// The cluster's superuser password: random, shown as `****` by `Debug`.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

impl Secret {
    /// 32 bytes from the operating system's random number generator, as hex (no quoting needed
    /// anywhere: SQL literal, URL, pgpass line).
    fn generate() -> Result<Secret, EphemeralError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| EphemeralError::Io {
            what: "reading the operating system's random number generator".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(Secret(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// `text` with every occurrence of the password replaced (for error output).
    fn mask(&self, text: &str) -> String {
        text.replace(&self.0, "****")
    }
}

/// Who may connect: everyone needs the password, locally and over 127.0.0.1 (no trust lines).
const PG_HBA: &str = "# deskctl ephemeral cluster: every connection needs the password\n\
local all all scram-sha-256\n\
host all all 127.0.0.1/32 scram-sha-256\n";

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EphemeralError {
    let what = what.into();
    move |source| EphemeralError::Io { what, source }
}

/// Start options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Leave the server running on drop and print how to reach it.
    pub keep: bool,
    /// Also listen on 127.0.0.1:PORT (TCP), e.g. for TLS tests.
    pub tcp_port: Option<u16>,
    /// Extra `-c name=value` server settings.
    pub settings: Vec<(String, String)>,
    /// Files to place in the data directory before start (name, contents, mode).
    pub data_files: Vec<(String, Vec<u8>, u32)>,
    /// Kill the server if the thread that started it dies (PR_SET_PDEATHSIG).
    pub die_with_parent: bool,
    pub start_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep: false,
            tcp_port: None,
            settings: Vec::new(),
            data_files: Vec::new(),
            die_with_parent: true,
            start_timeout: Duration::from_secs(30),
        }
    }
}

/// Who runs initdb/postgres.
#[derive(Debug, Clone)]
struct RunAs {
    /// None: ourselves (not root).
    user: Option<(Uid, Gid, String)>,
}

impl RunAs {
    fn decide() -> Result<RunAs, EphemeralError> {
        if !Uid::effective().is_root() {
            return Ok(RunAs { user: None });
        }
        let name = std::env::var("DESKCTL_PG_USER")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "postgres".into());
        match User::from_name(&name) {
            Ok(Some(u)) if !u.uid.is_root() => Ok(RunAs {
                user: Some((u.uid, u.gid, name)),
            }),
            _ => Err(EphemeralError::NoUser(name)),
        }
    }
    fn apply(&self, cmd: &mut Command) {
        if let Some((uid, gid, _)) = &self.user {
            cmd.gid(gid.as_raw()).uid(uid.as_raw());
        }
    }
    fn chown(&self, path: &Path) -> Result<(), EphemeralError> {
        if let Some((uid, gid, _)) = &self.user {
            nix::unistd::chown(path, Some(*uid), Some(*gid)).map_err(|e| EphemeralError::Io {
                what: format!("chown {}", path.display()),
                source: e.into(),
            })?;
        }
        Ok(())
    }
    fn name(&self) -> Option<&str> {
        self.user.as_ref().map(|(_, _, n)| n.as_str())
    }
}

/// Locate the directory holding `initdb` and `postgres`.
pub fn find_bindir() -> Result<PathBuf, EphemeralError> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(d) = std::env::var_os("DESKCTL_PG_BIN").filter(|d| !d.is_empty()) {
        let d = PathBuf::from(d);
        return if has(&d) {
            Ok(d)
        } else {
            Err(EphemeralError::NoBinaries)
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has(&d) {
                // Resolve wrappers (Debian's /usr/bin/pg_ctl-style links) to the real bindir.
                let real = fs::canonicalize(d.join("postgres"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|r| has(r))
                    .unwrap_or(d);
                return Ok(real);
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has(&d) {
                return Ok(d);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let d = e.path().join("bin");
            has(&d).then_some((v, d))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, d)| d)
        .ok_or(EphemeralError::NoBinaries)
}

/// Clusters that must be cleaned up if we are interrupted.
/// Port number of the socket file (no TCP unless asked).
const PORT: u16 = 5432;

static LIVE: Mutex<Vec<(i32, PathBuf)>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

fn install_signal_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            // Hold the registry for the whole clean-up, so a concurrent `shutdown` cannot remove
            // the same directory halfway; the process exits with the lock held.
            let live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
            for (pid, dir) in live.iter() {
                if *pid > 0 {
                    stop_pid(Pid::from_raw(*pid));
                }
                // The main thread may still be copying the template into it: retry until gone.
                for _ in 0..100 {
                    if fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            eprintln!("deskctl: interrupted; ephemeral cluster stopped and removed");
            std::process::exit(130);
        });
    });
}

fn live() -> std::sync::MutexGuard<'static, Vec<(i32, PathBuf)>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stop a server we started (our child) and reap it.
fn stop_pid(pid: Pid) {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    // Immediate shutdown: the data is thrown away anyway.
    let _ = kill(pid, Signal::SIGQUIT);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(2)),
            _ => return,
        }
    }
    let _ = kill(pid, Signal::SIGKILL);
    let _ = waitpid(pid, None);
}

/// A running throwaway cluster.
#[derive(Debug)]
pub struct EphemeralCluster {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    child: Option<Child>,
    port: u16,
    tcp_port: Option<u16>,
    keep: bool,
    bindir: PathBuf,
    run_as: Option<String>,
    password: Secret,
    /// Time from `start` to accepting connections.
    pub startup: Duration,
}

impl EphemeralCluster {
    pub fn start(opts: Options) -> Result<EphemeralCluster, EphemeralError> {
        let t0 = Instant::now();
        install_signal_handler();
        let bindir = find_bindir()?;
        let run_as = RunAs::decide()?;
        let base = base_dir();
        let tmp = tempfile::Builder::new()
            .prefix("deskctl-")
            .tempdir_in(&base)
            .map_err(io(format!(
                "creating a temporary directory in {}",
                base.display()
            )))?;
        let root = tmp.path().to_path_buf();
        // Registered at once (pid 0: no server yet), so a signal during the template copy still
        // removes the directory.
        live().push((0, root.clone()));
        let password = match Secret::generate() {
            Ok(p) => p,
            Err(e) => {
                live().retain(|(_, d)| d != &root);
                return Err(e);
            }
        };
        let prepared = Self::prepare(&opts, &bindir, &run_as, &root, &password);
        let (mut cmd, log_path) = match prepared {
            Ok(v) => v,
            Err(e) => {
                live().retain(|(_, d)| d != &root);
                return Err(e);
            }
        };
        // Spawn and record the pid under the lock: a signal in between waits, then stops it.
        let mut registry = live();
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                registry.retain(|(_, d)| d != &root);
                return Err(io("starting postgres")(e));
            }
        };
        if let Some(entry) = registry.iter_mut().find(|(_, d)| d == &root) {
            entry.0 = child.id() as i32;
        }
        drop(registry);
        let mut cluster = EphemeralCluster {
            dir: Some(tmp),
            root: root.clone(),
            child: Some(child),
            port: opts.tcp_port.unwrap_or(PORT),
            tcp_port: opts.tcp_port,
            keep: opts.keep,
            bindir,
            run_as: run_as.name().map(str::to_string),
            password,
            startup: Duration::ZERO,
        };
        cluster.wait_ready(&root.join("data"), &log_path, opts.start_timeout)?;
        cluster.startup = t0.elapsed();
        Ok(cluster)
    }

    /// Data directory, extra files and the server command line (not yet started).
    fn prepare(
        opts: &Options,
        bindir: &Path,
        run_as: &RunAs,
        root: &Path,
        password: &Secret,
    ) -> Result<(Command, PathBuf), EphemeralError> {
        // The socket lives here: only the server's user (and root) may enter.
        fs::set_permissions(root, fs::Permissions::from_mode(0o700))
            .map_err(io(format!("chmod {}", root.display())))?;
        run_as.chown(root)?;
        let data = root.join("data");
        template_copy(bindir, run_as, &data)?;
        set_password(bindir, run_as, &data, password)?;
        let hba = data.join("pg_hba.conf");
        fs::write(&hba, PG_HBA).map_err(io(format!("writing {}", hba.display())))?;
        fs::set_permissions(&hba, fs::Permissions::from_mode(0o600))
            .map_err(io(format!("chmod {}", hba.display())))?;
        run_as.chown(&hba)?;
        if opts.keep {
            // How a user reaches a kept cluster without the password on a command line: a
            // pgpass file only the invoking user can read (root's when deskctl runs as root).
            let pgpass = root.join("pgpass");
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&pgpass)
                .map_err(io(format!("creating {}", pgpass.display())))?;
            writeln!(f, "*:*:*:{SUPERUSER}:{}", password.0)
                .map_err(io(format!("writing {}", pgpass.display())))?;
        }
        for (name, contents, mode) in &opts.data_files {
            let p = data.join(name);
            fs::write(&p, contents).map_err(io(format!("writing {}", p.display())))?;
            fs::set_permissions(&p, fs::Permissions::from_mode(*mode))
                .map_err(io(format!("chmod {}", p.display())))?;
            run_as.chown(&p)?;
        }
        let mut cmd = Command::new(bindir.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(root)
            .arg("-p")
            .arg(opts.tcp_port.unwrap_or(PORT).to_string())
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .args([
                "-c",
                "shared_buffers=64MB",
                "-c",
                "log_min_messages=warning",
            ])
            .args(["-c", "max_locks_per_transaction=256"])
            .args(["-c", "unix_socket_permissions=0700"])
            .args(["-c", "password_encryption=scram-sha-256"]);
        match opts.tcp_port {
            Some(_) => cmd.args(["-c", "listen_addresses=127.0.0.1"]),
            None => cmd.args(["-c", "listen_addresses="]),
        };
        for (k, v) in &opts.settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        let log_path = root.join("postgres.log");
        let log = fs::File::create(&log_path).map_err(io("creating the server log"))?;
        run_as.chown(&log_path)?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("server log"))?)
            .stderr(log)
            .current_dir(root)
            .process_group(0);
        run_as.apply(&mut cmd);
        // Linux only: elsewhere a SIGKILLed deskctl leaves the server running (documented).
        #[cfg(target_os = "linux")]
        if opts.die_with_parent {
            // SAFETY: prctl is async-signal-safe; runs in the child after fork, before exec.
            unsafe {
                cmd.pre_exec(|| {
                    nix::sys::prctl::set_pdeathsig(Signal::SIGQUIT).map_err(std::io::Error::from)
                });
            }
        }
        Ok((cmd, log_path))
    }

    fn wait_ready(
        &mut self,
        data: &Path,
        log: &Path,
        timeout: Duration,
    ) -> Result<(), EphemeralError> {
        let deadline = Instant::now() + timeout;
        let pidfile = data.join("postmaster.pid");
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(EphemeralError::StartFailed {
                        status: status.to_string(),
                        tail: tail(log),
                    });
                }
            }
            // Line 8 of postmaster.pid is the postmaster status; "ready" once it accepts connections.
            if let Ok(text) = fs::read_to_string(&pidfile) {
                if text.lines().nth(7).is_some_and(|l| l.trim() == "ready") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(EphemeralError::StartTimeout {
                    secs: timeout.as_secs(),
                    log: log.display().to_string(),
                    tail: tail(log),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The directory holding the data directory and the socket.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn tcp_port(&self) -> Option<u16> {
        self.tcp_port
    }

    /// Whether the cluster outlives this process (`--keep`).
    pub fn is_kept(&self) -> bool {
        self.keep
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Connection settings for a database on this cluster (unix socket, superuser, the
    /// cluster's password).
    pub fn conn_target(&self, dbname: &str) -> ConnTarget {
        let mut c = tokio_postgres::Config::new();
        c.host_path(&self.root)
            .port(self.port)
            .user(SUPERUSER)
            .password(&self.password.0)
            .dbname(dbname)
            .application_name("deskctl");
        ConnTarget {
            config: c,
            sslmode: SslMode::Disable,
            sslrootcert: None,
            display: format!("ephemeral cluster {}", self.root.display()),
        }
    }

    /// A libpq URL for a database on this cluster, WITH the password (for programs: never print
    /// it unmasked; `conninfo::mask_password` covers it).
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}:{}@{}:{}/{dbname}",
            self.password.0,
            self.url_host(),
            self.port
        )
    }

    /// The superuser password (tests and callers that hand it to another program).
    pub fn password(&self) -> &str {
        &self.password.0
    }

    fn url_host(&self) -> String {
        percent_encoding::utf8_percent_encode(
            &self.root.display().to_string(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .collect()
    }

    /// How to reach and stop a kept cluster.
    pub fn keep_instructions(&self) -> String {
        let data = self.root.join("data");
        let ctl = self.bindir.join("pg_ctl");
        let stop = match &self.run_as {
            Some(u) => format!(
                "runuser -u {u} -- {} -D {} stop -m fast && rm -rf {}",
                ctl.display(),
                data.display(),
                self.root.display()
            ),
            None => format!(
                "{} -D {} stop -m fast && rm -rf {}",
                ctl.display(),
                data.display(),
                self.root.display()
            ),
        };
        // The password stays in a 0600 pgpass file (not on the screen, not in shell history).
        let pgpass = self.root.join("pgpass");
        let mut connect = format!(
            "PGPASSFILE={} psql 'postgresql://{SUPERUSER}@{}:{}/postgres'",
            pgpass.display(),
            self.url_host(),
            self.port
        );
        if let Some(p) = self.tcp_port {
            connect.push_str(&format!(
                "\n           PGPASSFILE={} psql 'postgresql://{SUPERUSER}@127.0.0.1:{p}/postgres'",
                pgpass.display()
            ));
        }
        format!(
            "ephemeral cluster kept running (pid {})\n  connect: {connect}\n  stop:    {}",
            self.pid().map(|p| p.to_string()).unwrap_or_default(),
            stop
        )
    }

    /// Stop (unless kept) and delete the directory.
    pub fn finish(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Under the registry lock: an interrupt handler running now finishes (and exits) first.
        let mut live = live();
        live.retain(|(_, d)| d != &self.root);
        if self.keep {
            if let Some(d) = self.dir.take() {
                let _ = d.keep();
            }
            if let Some(c) = self.child.take() {
                std::mem::forget(c);
            }
            return;
        }
        if let Some(child) = self.child.take() {
            stop_pid(Pid::from_raw(child.id() as i32));
        }
        if let Some(d) = self.dir.take() {
            let _ = d.close();
        }
        drop(live);
    }
}

impl Drop for EphemeralCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Where throwaway clusters live: `DESKCTL_EPHEMERAL_DIR`, else `TMPDIR` when set, else
/// `/dev/shm` (RAM: creating the ~1,000 files of a data directory there is several times faster
/// than on disk, and the data is thrown away anyway), else the system temp dir.
pub fn base_dir() -> PathBuf {
    let env_dir = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env_dir("DESKCTL_EPHEMERAL_DIR").or_else(|| env_dir("TMPDIR")) {
        return d;
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && nix::unistd::access(
            shm,
            nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK,
        )
        .is_ok()
    {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

fn tail(log: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(log) {
        let _ = f.read_to_string(&mut s);
    }
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn server_version(bindir: &Path) -> Result<String, EphemeralError> {
    let out = Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(io("running postgres --version"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os("DESKCTL_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("deskctl");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".cache").join("deskctl");
    }
    std::env::temp_dir().join(format!("deskctl-cache-{}", Uid::effective()))
}

/// Put a fresh data directory at `data`: copy the cached template, making it first if needed.
fn template_copy(bindir: &Path, run_as: &RunAs, data: &Path) -> Result<(), EphemeralError> {
    let use_cache = std::env::var_os("DESKCTL_NO_TEMPLATE").is_none_or(|v| v.is_empty());
    if !use_cache {
        return initdb(bindir, run_as, data);
    }
    let version = server_version(bindir)?;
    let key: String = format!("{version} {}", bindir.display())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let cache = cache_root();
    let template = cache.join(format!("template-{key}"));
    if !template.join("PG_VERSION").is_file() {
        fs::create_dir_all(&cache).map_err(io(format!("creating {}", cache.display())))?;
        // initdb runs as the server user, which may not reach our cache (e.g. root's ~/.cache):
        // build in a temp dir, copy into a staging dir in the cache, then rename into place
        // (atomic; a concurrent builder that loses the race just discards its copy).
        let build = tempfile::Builder::new()
            .prefix("deskctl-initdb-")
            .tempdir_in(base_dir())
            .map_err(io("creating a temporary directory for initdb"))?;
        run_as.chown(build.path())?;
        initdb(bindir, run_as, &build.path().join("data"))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&cache)
            .map_err(io("creating a template staging directory"))?;
        let staged = staging.path().join("data");
        copy_tree(&build.path().join("data"), &staged, &RunAs { user: None })?;
        let _ = fs::rename(&staged, &template);
        // This run uses the fresh initdb output itself (already owned by the server user).
        if fs::rename(build.path().join("data"), data).is_ok() {
            return Ok(());
        }
    }
    copy_tree(&template, data, run_as)
}

/// Give the data directory's superuser `password` before any server runs on it: the template
/// (and a fresh initdb) has none, so no two clusters share one. A single-user backend reads the
/// statement from a pipe (never a command line); its output is masked in errors.
fn set_password(
    bindir: &Path,
    run_as: &RunAs,
    data: &Path,
    password: &Secret,
) -> Result<(), EphemeralError> {
    let mut cmd = Command::new(bindir.join("postgres"));
    cmd.arg("--single")
        .arg("-D")
        .arg(data)
        .args(["-c", "fsync=off", "-c", "log_min_messages=warning"])
        .args(["-c", "password_encryption=scram-sha-256"])
        .arg("postgres")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(data.parent().unwrap_or(Path::new("/")));
    run_as.apply(&mut cmd);
    let mut child = cmd.spawn().map_err(io("running postgres --single"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // An error here shows as the backend's exit status below.
        let _ = writeln!(stdin, "ALTER ROLE {SUPERUSER} PASSWORD '{}'", password.0);
    }
    let out = child
        .wait_with_output()
        .map_err(io("running postgres --single"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || text.contains("ERROR:") || text.contains("FATAL:") {
        return Err(EphemeralError::Password {
            status: out.status.to_string(),
            output: password.mask(&text),
        });
    }
    Ok(())
}

fn initdb(bindir: &Path, run_as: &RunAs, data: &Path) -> Result<(), EphemeralError> {
    let mut cmd = Command::new(bindir.join("initdb"));
    cmd.arg("-D")
        .arg(data)
        .args(["-A", "reject", "-U", SUPERUSER, "-E", "UTF8", "--locale=C"])
        .args(["--no-sync", "--no-instructions"])
        .stdin(Stdio::null())
        .current_dir(data.parent().unwrap_or(Path::new("/")));
    run_as.apply(&mut cmd);
    let out = cmd.output().map_err(io("running initdb"))?;
    if !out.status.success() {
        return Err(EphemeralError::Initdb {
            status: out.status.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, run_as: &RunAs) -> Result<(), EphemeralError> {
    fs::create_dir(to).map_err(io(format!("creating {}", to.display())))?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o700))
        .map_err(io(format!("chmod {}", to.display())))?;
    run_as.chown(to)?;
    for entry in fs::read_dir(from).map_err(io(format!("reading {}", from.display())))? {
        let entry = entry.map_err(io(format!("reading {}", from.display())))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let meta = entry
            .metadata()
            .map_err(io(format!("stat {}", src.display())))?;
        if meta.is_dir() {
            copy_tree(&src, &dst, run_as)?;
        } else if meta.is_file() {
            fs::copy(&src, &dst).map_err(io(format!("copying {}", src.display())))?;
            fs::set_permissions(&dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
                .map_err(io(format!("chmod {}", dst.display())))?;
            run_as.chown(&dst)?;
        }
    }
    Ok(())
}
