//! Database access: resolve the target (URL, PG* env, ephemeral cluster), connect (TLS, `--wait`
//! retry), install presets, and classify connection failures into one line plus a hint.
//! Must not know about migrations or checks.

pub mod conninfo;
pub mod ephemeral;
pub mod supabase;
pub mod tls;

use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

use crate::config::{DbTarget, Preset, RunConfig};
pub use conninfo::{ConnTarget, SslMode};
pub use ephemeral::EphemeralCluster;

/// Why a connection could not be made. Exit code 3.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("{what} ({target})\n  hint: {hint}")]
    Failed {
        what: String,
        target: String,
        hint: String,
        #[source]
        source: Option<tokio_postgres::Error>,
    },
    #[error(transparent)]
    ConnInfo(#[from] conninfo::ConnInfoError),
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    #[error(transparent)]
    Ephemeral(#[from] ephemeral::EphemeralError),
    #[error("installing the {preset} preset failed: {source}")]
    Preset {
        preset: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
}

/// The server connection closed while a command was using it (server restart, network loss,
/// the backend terminated). Exit code 3, even when a report was written.
#[derive(Debug, thiserror::Error)]
#[error("the connection to the database was lost during {0}")]
pub struct ConnectionLost(pub &'static str);

/// An open connection, and the cluster it lives on when that is ours.
pub struct Db {
    pub client: Client,
    /// The target as shown to users (password masked).
    pub display: String,
    pub sslmode: SslMode,
    pub cluster: Option<EphemeralCluster>,
    conn_task: tokio::task::JoinHandle<()>,
    /// Where the connection goes (for a second connection that looks at our lock waits).
    target: ConnTarget,
    /// The session's `lock_timeout`.
    pub lock_timeout: Duration,
}

/// A background look at our session's lock waits (`Db::lock_watch`); stops when dropped.
pub struct LockWatch {
    seen: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LockWatch {
    /// The last lock wait seen: "on REL (MODE wanted), held by pid N (...)".
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for LockWatch {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// A statement gave up waiting for a lock (`lock_timeout`, SQLSTATE 55P03). Exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{what}: gave up after {secs} s waiting for a lock{blockers}\n  hint: {hint}")]
pub struct LockTimeout {
    pub what: String,
    pub secs: f64,
    /// "on relation public.t (AccessShareLock wanted), held by pid 123 (AccessExclusiveLock): ..."
    pub blockers: String,
    pub hint: &'static str,
    #[source]
    pub source: tokio_postgres::Error,
}

impl Db {
    /// Watch this session's lock waits in the background until the returned guard is dropped:
    /// every quarter of the lock timeout a second connection (opened at the first look, so a
    /// quick run never opens it) records what we wait for and who holds it. For long runs of
    /// many statements (migrate), where `watch_locks`' single look would come too early.
    pub async fn lock_watch(&self) -> LockWatch {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        // Sent now, its answer read by the watcher as soon as it comes: the run does not wait a
        // round trip for it (the queries after it wait behind it on the connection anyway).
        let pid = self
            .client
            .simple_query_raw("select pg_catalog.pg_backend_pid()")
            .await;
        let task = {
            let (target, every) = (
                self.target.clone(),
                (self.lock_timeout / 4).max(Duration::from_millis(50)),
            );
            let seen = seen.clone();
            tokio::spawn(async move {
                let Some(pid) = first_int(pid).await else {
                    return;
                };
                tokio::time::sleep(every).await;
                let Ok((client, conn)) = connect_once(&target).await else {
                    return;
                };
                loop {
                    if let Some(s) = blockers_on(&client, pid).await {
                        *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
                    }
                    tokio::time::sleep(every).await;
                    if conn.is_finished() {
                        return;
                    }
                }
            })
        };
        LockWatch {
            seen,
            task: Some(task),
        }
    }

    /// Opens one more connection to this target with this session's `lock_timeout`, for a
    /// catalog read shared between two backends ([`crate::catalog::load_consistent_shared`]);
    /// `None` when the connection or the setting fails (the caller then reads alone).
    pub fn second_connection(&self) -> crate::catalog::OpenSecond<'_> {
        Box::new(move || {
            Box::pin(async move {
                let (client, _conn) = connect_once(&self.target).await.ok()?;
                client
                    .batch_execute(&set_lock_timeout(self.lock_timeout))
                    .await
                    .ok()?;
                Some(client)
            })
        })
    }

    /// Run `fut` (queries on `self.client`) so that a lock wait ends in a `LockTimeout` naming
    /// the locked relation and the blocking pids: while `fut` runs, a second connection looks
    /// every quarter of the lock timeout at what our session waits for and who holds it.
    pub async fn watch_locks<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> anyhow::Result<T> {
        let pid: i32 = match self
            .client
            .query_one("select pg_catalog.pg_backend_pid() as pid", &[])
            .await
        {
            Ok(r) => r.get("pid"),
            Err(e) => return Err(e.into()),
        };
        let mut fut = std::pin::pin!(fut);
        // Look every quarter of the timeout until a wait is seen (one look at 3/4 came too
        // late on a loaded machine: the statement had already given up).
        let watch = async {
            loop {
                tokio::time::sleep((self.lock_timeout / 4).max(Duration::from_millis(50))).await;
                if let Some(s) = blockers(&self.target, pid).await {
                    return Some(s);
                }
            }
        };
        let (result, seen) = tokio::select! {
            r = &mut fut => (r, None),
            seen = watch => (fut.await, seen),
        };
        match result {
            Ok(v) => Ok(v),
            // Pipelined reads in one transaction may surface "transaction aborted" (25P02) for
            // the statement after the one that timed out: a wait we saw explains it.
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
                    || (seen.is_some()
                        && e.code()
                            == Some(
                                &tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION,
                            )) =>
            {
                Err(LockTimeout {
                    what: what.to_string(),
                    secs: self.lock_timeout.as_secs_f64(),
                    blockers: seen.map(|s| format!(" {s}")).unwrap_or_default(),
                    hint:
                        "another session holds the lock (a long transaction, or DDL in progress): \
let it finish, or raise --lock-timeout",
                    source: e,
                }
                .into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stop the ephemeral cluster (if any) now, reporting errors; dropping does the same silently.
    /// Where this connection goes (the password included: never print it, use `display`).
    pub fn target(&self) -> &ConnTarget {
        &self.target
    }

    pub async fn close(self) {
        let Db {
            client,
            cluster,
            conn_task,
            ..
        } = self;
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(2), conn_task).await;
        if let Some(c) = cluster {
            if c.is_kept() {
                eprintln!("{}", c.keep_instructions());
            }
            c.finish();
        }
    }
}

/// How a failure should be treated by `--wait`.
fn is_transient(e: &tokio_postgres::Error) -> bool {
    use std::io::ErrorKind::*;
    if let Some(db) = e.as_db_error() {
        // 57P03 cannot_connect_now: "the database system is starting up"
        return db.code().code() == "57P03";
    }
    if let Some(io) = find_io(e) {
        return matches!(
            io.kind(),
            ConnectionRefused | ConnectionReset | ConnectionAborted | NotFound | UnexpectedEof
        );
    }
    false
}

fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = c.source();
    }
    None
}

fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// Turn a tokio-postgres connect error into one clear line and a hint.
pub fn classify(e: tokio_postgres::Error, t: &ConnTarget) -> ConnectError {
    let user = t.config.get_user().unwrap_or("?").to_string();
    let dbname = t.config.get_dbname().unwrap_or("?").to_string();
    let (what, hint) = if let Some(db) = e.as_db_error() {
        match db.code().code() {
            "28P01" => (
                format!("password authentication failed for user \"{user}\""),
                "check the password in the URL or PGPASSWORD (it is never printed)".to_string(),
            ),
            "28000" => (
                db.message().to_string(),
                "the server's pg_hba.conf rejects this user/host/SSL combination".to_string(),
            ),
            "3D000" => (
                format!("database \"{dbname}\" does not exist"),
                "create it (createdb) or name an existing one in the URL or PGDATABASE".to_string(),
            ),
            "57P03" => (
                db.message().to_string(),
                "the server is starting up; retry with --wait SECONDS".to_string(),
            ),
            "53300" => (
                db.message().to_string(),
                "the server has no free connection slots".to_string(),
            ),
            code => (
                format!("{} (SQLSTATE {code})", db.message()),
                "see the server log for details".to_string(),
            ),
        }
    } else {
        let text = chain_text(&e);
        let io_kind = find_io(&e).map(|io| io.kind());
        let lower = text.to_lowercase();
        if lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("no address associated")
            || lower.contains("temporary failure in name resolution")
        {
            (
                format!("unknown host: {}", host_list(t)),
                "check the host name in the URL or PGHOST".to_string(),
            )
        } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused)
            || lower.contains("connection refused")
        {
            (
                format!("connection refused by {}", host_list(t)),
                "is the server running and listening on that port? (--wait SECONDS retries)"
                    .to_string(),
            )
        } else if lower.contains("timeout") || lower.contains("timed out") {
            (
                format!("timed out connecting to {}", host_list(t)),
                "the host did not answer; check firewall, host and port, or raise connect_timeout"
                    .to_string(),
            )
        } else if io_kind == Some(std::io::ErrorKind::NotFound) {
            (
                format!("no server socket at {}", host_list(t)),
                "is the server running? check PGHOST/host and the port".to_string(),
            )
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("ssl")
            || lower.contains("handshake")
        {
            (
                format!("TLS failure: {text}"),
                match t.sslmode {
                    SslMode::VerifyFull => "the certificate must be signed by a trusted root (system store or sslrootcert) and name this host".to_string(),
                    SslMode::VerifyCa => "the certificate must be signed by a trusted root (system store or sslrootcert)".to_string(),
                    _ => "check the server's TLS setup, or try sslmode=disable for a local server".to_string(),
                },
            )
        } else {
            (text, "check the connection settings".to_string())
        }
    };
    ConnectError::Failed {
        what,
        target: t.display.clone(),
        hint,
        source: Some(e),
    }
}

fn host_list(t: &ConnTarget) -> String {
    let port = t.config.get_ports().first().copied().unwrap_or(5432);
    t.config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(s) => format!("{s}:{port}"),
            tokio_postgres::config::Host::Unix(p) => format!("{}/.s.PGSQL.{port}", p.display()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a connection attempt failed: the server's/driver's error, or our overall timeout.
#[derive(Debug)]
enum AttemptError {
    Pg(tokio_postgres::Error),
    /// `connect_timeout` passed before the server finished the start-up exchange.
    TimedOut(Duration),
}

/// Connect once, bounding the WHOLE attempt (TCP connect, TLS, start-up, authentication) by
/// `connect_timeout` as libpq does; tokio-postgres alone bounds only the TCP connect.
async fn attempt(t: &ConnTarget) -> Result<(Client, tokio::task::JoinHandle<()>), AttemptError> {
    match t.config.get_connect_timeout().copied() {
        Some(limit) => match tokio::time::timeout(limit, connect_once(t)).await {
            Ok(r) => r.map_err(AttemptError::Pg),
            Err(_) => Err(AttemptError::TimedOut(limit)),
        },
        None => connect_once(t).await.map_err(AttemptError::Pg),
    }
}

/// Connect once to a target, spawning the connection task.
pub async fn connect_once(
    t: &ConnTarget,
) -> Result<(Client, tokio::task::JoinHandle<()>), tokio_postgres::Error> {
    let mut cfg = t.config.clone();
    use tokio_postgres::config::SslMode as PgSsl;
    let is_unix = cfg
        .get_hosts()
        .iter()
        .all(|h| matches!(h, tokio_postgres::config::Host::Unix(_)));
    match (t.sslmode, is_unix) {
        (SslMode::Disable, _) | (_, true) => {
            cfg.ssl_mode(PgSsl::Disable);
            let (client, conn) = cfg.connect(NoTls).await?;
            Ok((client, spawn_conn(conn)))
        }
        (mode, false) => {
            cfg.ssl_mode(match mode {
                SslMode::Allow | SslMode::Prefer => PgSsl::Prefer,
                _ => PgSsl::Require,
            });
            // TLS set-up errors were surfaced by `tls_for` before we get here.
            let tls = tls::connector(mode, t.sslrootcert.as_deref())
                .ok()
                .flatten()
                .expect("tls connector validated earlier");
            let (client, conn) = cfg.connect(tls).await?;
            Ok((client, spawn_conn(conn)))
        }
    }
}

fn spawn_conn<S, T>(conn: tokio_postgres::Connection<S, T>) -> tokio::task::JoinHandle<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let _ = conn.await;
    })
}

/// Connect, retrying transient failures until `wait` has passed.
pub async fn connect_target(
    t: &ConnTarget,
    wait: Option<Duration>,
) -> Result<(Client, tokio::task::JoinHandle<()>), ConnectError> {
    // Surface TLS configuration problems (bad sslrootcert) before any network traffic.
    tls::connector(t.sslmode, t.sslrootcert.as_deref())?;
    let deadline = wait.map(|w| Instant::now() + w);
    let mut delay = Duration::from_millis(50);
    loop {
        match attempt(t).await {
            Ok(ok) => return Ok(ok),
            Err(AttemptError::TimedOut(limit)) => {
                return Err(ConnectError::Failed {
                    what: format!(
                        "timed out connecting to {} (no answer within {} s)",
                        host_list(t),
                        limit.as_secs_f64()
                    ),
                    target: t.display.clone(),
                    hint: "the host accepted the connection but did not answer as PostgreSQL; \
check host and port, or raise connect_timeout"
                        .to_string(),
                    source: None,
                })
            }
            Err(AttemptError::Pg(e)) => {
                let retry = match deadline {
                    Some(d) if is_transient(&e) => {
                        let now = Instant::now();
                        if now >= d {
                            false
                        } else {
                            tokio::time::sleep(delay.min(d - now)).await;
                            delay = (delay * 2).min(Duration::from_secs(1));
                            true
                        }
                    }
                    _ => false,
                };
                if !retry {
                    return Err(classify(e, t));
                }
            }
        }
    }
}

/// What session `pid` waits for and who blocks it, from a second connection; `None` when it is
/// not waiting on a lock or the second connection fails.
async fn blockers(target: &ConnTarget, pid: i32) -> Option<String> {
    let (client, task) = connect_once(target).await.ok()?;
    let seen = blockers_on(&client, pid).await;
    drop(client);
    task.abort();
    seen
}

/// What session `pid` waits for and who holds it, read through `client`.
async fn blockers_on(client: &Client, pid: i32) -> Option<String> {
    let rows = client
        .query(
            "select coalesce(w.relation::pg_catalog.regclass::text, w.locktype) as what,
                    w.mode as wanted, b.pid as blocker,
                    coalesce(string_agg(distinct h.mode, ', '), '?') as held,
                    coalesce(pg_catalog.left(b.query, 80), '') as last_query
               from pg_catalog.pg_locks w
               cross join lateral pg_catalog.unnest(pg_catalog.pg_blocking_pids(w.pid)) as bp(pid)
               join pg_catalog.pg_stat_activity b on b.pid = bp.pid
               left join pg_catalog.pg_locks h on h.pid = bp.pid and h.granted
                    and h.locktype = w.locktype and h.relation is not distinct from w.relation
              where w.pid = $1 and not w.granted
              group by 1, 2, 3, 5
              order by 3",
            &[&pid],
        )
        .await
        .ok();
    let rows = rows?;
    let first = rows.first()?;
    let (what, wanted): (String, String) = (first.get("what"), first.get("wanted"));
    let held: Vec<String> = rows
        .iter()
        .map(|r| {
            let (bpid, mode, query): (i32, String, String) =
                (r.get("blocker"), r.get("held"), r.get("last_query"));
            let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
            if query.is_empty() {
                format!("pid {bpid} ({mode})")
            } else {
                format!("pid {bpid} ({mode}; last statement: {query})")
            }
        })
        .collect();
    Some(format!(
        "on {what} ({wanted} wanted), held by {}",
        held.join(", ")
    ))
}

/// Resolve the configured target to connection settings (no connection is made).
pub fn resolve_target(cfg: &RunConfig) -> Result<Option<ConnTarget>, ConnectError> {
    Ok(match &cfg.target {
        DbTarget::Url(u) => Some(conninfo::parse(u)?),
        DbTarget::Env => Some(conninfo::from_env()?),
        DbTarget::Ephemeral { .. } => None,
    })
}

/// What a command needs from `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetUse {
    /// Install the configured preset (ephemeral clusters, and commands that write: migrate).
    Install,
    /// Read-only command: install only into a cluster deskctl created.
    OnlyEphemeral,
}

/// Open the configured database: connect to a URL/env target, or start an ephemeral cluster.
pub async fn open(cfg: &RunConfig, preset_use: PresetUse) -> Result<Db, ConnectError> {
    let (target, cluster) = match &cfg.target {
        DbTarget::Ephemeral { keep, tcp_port } => {
            let cluster = EphemeralCluster::start(ephemeral::Options {
                keep: *keep,
                tcp_port: *tcp_port,
                die_with_parent: !*keep,
                ..Default::default()
            })?;
            (cluster.conn_target("postgres"), Some(cluster))
        }
        _ => (
            resolve_target(cfg)?.expect("non-ephemeral target resolves"),
            None,
        ),
    };
    let (client, conn_task) = connect_target(&target, cfg.wait).await?;
    if let (Some(project), Some(_)) = (&cfg.supabase, &cluster) {
        if let Ok(major) = server_major(&client).await {
            let what = match ephemeral::find_bindir() {
                Ok(dir) => format!("the ephemeral cluster's server ({})", dir.display()),
                Err(_) => "the ephemeral cluster's server".to_string(),
            };
            if let Some(w) = project.major_version_warning(major, &what) {
                eprintln!("warning: {w}");
            }
        }
    }
    // Every statement deskctl runs waits at most this long for a lock (0 s: 1 ms, as 0 would
    // switch the limit off). Behaviour checks set their own inside their transaction.
    let lock_timeout = cfg
        .lock_timeout
        .unwrap_or(crate::config::DEFAULT_LOCK_TIMEOUT)
        .max(Duration::from_millis(1));
    client
        .batch_execute(&set_lock_timeout(lock_timeout))
        .await
        .map_err(|e| classify(e, &target))?;
    let install = match preset_use {
        PresetUse::Install => true,
        PresetUse::OnlyEphemeral => cluster.is_some(),
    };
    if let (Some(Preset::Supabase), true) = (cfg.preset, install) {
        supabase::install(&client)
            .await
            .map_err(|source| ConnectError::Preset {
                preset: "supabase",
                source,
            })?;
    }
    Ok(Db {
        client,
        display: target.display.clone(),
        sslmode: target.sslmode,
        cluster,
        conn_task,
        target,
        lock_timeout,
    })
}

/// The session's `lock_timeout` in ms: at least 1 (0 would switch the limit off), at most what
/// the setting holds.
fn set_lock_timeout(d: Duration) -> String {
    format!(
        "set lock_timeout = {}",
        d.as_millis().clamp(1, 2_147_483_647)
    )
}

/// The server's major version (15 for 15.8), read from `server_version_num`.
pub async fn server_major(client: &Client) -> Result<u32, tokio_postgres::Error> {
    let row = client
        .query_one(
            "select (pg_catalog.current_setting('server_version_num')::int / 10000)::int4 as major",
            &[],
        )
        .await?;
    Ok(row.get::<_, i32>("major").max(0) as u32)
}

/// The first column of the first row of a simple query's answer, as an integer (`None` on an
/// error or no row).
async fn first_int(
    answer: Result<tokio_postgres::SimpleQueryStream, tokio_postgres::Error>,
) -> Option<i32> {
    use futures_util::StreamExt;
    let mut answer = std::pin::pin!(answer.ok()?);
    let mut found = None;
    // Read to the end, so that the connection holds nothing of this answer.
    while let Some(m) = answer.next().await {
        match m.ok()? {
            tokio_postgres::SimpleQueryMessage::Row(r) if found.is_none() => {
                found = r.get(0).and_then(|v| v.parse().ok());
            }
            _ => {}
        }
    }
    found
}

/// A query's parameters with their types, for [`row_now`] and `Client::query_typed`.
pub type TypedParams<'a> = &'a [(
    &'a (dyn tokio_postgres::types::ToSql + Sync),
    tokio_postgres::types::Type,
)];

/// The first row of `sql` (`None` when there is none: the queries it serves return one row
/// whatever the catalog holds, a `SELECT` without `FROM` or one left-joined to a single row), in
/// one round trip. `query_typed` sends parse, bind and execute at once, where `Client::query`
/// with a text first waits for the server to prepare it: two round trips, which to a distant
/// server cost more than the query. deskctl's own catalog queries on the path every `migrate`
/// takes go this way (or through `query_typed` itself), their parameters typed.
pub async fn row_now(
    client: &Client,
    sql: &str,
    params: TypedParams<'_>,
) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
    Ok(client.query_typed(sql, params).await?.into_iter().next())
}

/// Quote an identifier for SQL (always quoted: `"name"`, embedded quotes doubled).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quote a string literal for SQL (`'text'`, embedded quotes doubled; E'' never used).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("Chat\"Msg"), "\"Chat\"\"Msg\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
