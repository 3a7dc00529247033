//! Parses connection strings (postgres:// URLs, libpq key=value strings, PG* environment) into a
//! tokio-postgres `Config` plus the TLS settings tokio-postgres cannot parse itself (verify-ca,
//! verify-full, sslrootcert). Owns password masking; must not open connections.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Config, Host};

/// libpq's sslmode values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                "invalid sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
            ))
            }
        })
    }
}

/// A resolved connection target.
#[derive(Debug, Clone)]
pub struct ConnTarget {
    pub config: Config,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// What to show users: the source string with any password masked.
    pub display: String,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid connection string {display}: {reason}")]
pub struct ConnInfoError {
    pub display: String,
    pub reason: String,
}

const TLS_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];

/// Keys whose values are shown to users; every other value (password, misspelt keys, keys
/// deskctl does not know) is shown as `***`.
const SHOWN_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslnegotiation",
    "application_name",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// A connection string taken apart: THE parser deskctl connects with and masks with, so what is
/// shown and what is used cannot disagree about where the password is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    /// `Some(scheme)` for a URL (lower-cased), `None` for key=value.
    url_scheme: Option<String>,
    /// (key, value) in order; URL credentials, hosts and path become user/password/host/port/
    /// dbname pairs. Values are decoded bytes (a password need not be UTF-8).
    params: Vec<(String, Vec<u8>)>,
}

impl Parts {
    /// The string as users may see it: every value of a key not in `SHOWN_KEYS` is `***`.
    fn display(&self) -> String {
        let shown = |k: &str, v: &[u8]| -> String {
            if SHOWN_KEYS.contains(&k) {
                String::from_utf8_lossy(v).into_owned()
            } else {
                "***".to_string()
            }
        };
        match &self.url_scheme {
            Some(scheme) => {
                let get = |k: &str| self.params.iter().find(|(pk, _)| pk == k);
                let enc = |v: &[u8]| -> String {
                    percent_encoding::percent_encode(v, URL_COMPONENT).to_string()
                };
                let mut s = format!("{scheme}://");
                let user = get("user");
                let password = get("password");
                if let Some((_, u)) = user {
                    s.push_str(&enc(u));
                }
                if password.is_some() {
                    s.push_str(":***");
                }
                if user.is_some() || password.is_some() {
                    s.push('@');
                }
                if let Some((_, h)) = get("host") {
                    let hosts = String::from_utf8_lossy(h).into_owned();
                    let ports = get("port")
                        .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_default();
                    let ports: Vec<&str> = ports.split(',').collect();
                    let spec: Vec<String> = hosts
                        .split(',')
                        .enumerate()
                        .map(|(i, h)| {
                            let h = if h.starts_with('/') {
                                enc(h.as_bytes())
                            } else if h.contains(':') {
                                format!("[{h}]")
                            } else {
                                h.to_string()
                            };
                            match ports.get(i).or(ports.first()).filter(|p| !p.is_empty()) {
                                Some(p) => format!("{h}:{p}"),
                                None => h,
                            }
                        })
                        .collect();
                    s.push_str(&spec.join(","));
                }
                if let Some((_, d)) = get("dbname") {
                    s.push('/');
                    s.push_str(&enc(d));
                }
                let rest: Vec<String> = self
                    .params
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "user" | "password" | "host" | "port" | "dbname")
                    })
                    .map(|(k, v)| format!("{}={}", enc(k.as_bytes()), shown(k, v)))
                    .collect();
                if !rest.is_empty() {
                    s.push('?');
                    s.push_str(&rest.join("&"));
                }
                s
            }
            None => self
                .params
                .iter()
                .map(|(k, v)| {
                    let v = shown(k, v);
                    if v.is_empty() || v.contains(char::is_whitespace) || v.contains('\'') {
                        format!("{k}={}", quote_kv(&v))
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    /// The tokio-postgres config (without the TLS keys deskctl handles itself).
    fn config(&self) -> Result<Config, String> {
        let mut kv = Vec::new();
        let mut password = None;
        for (k, v) in &self.params {
            if k == "password" {
                password = Some(v.clone());
            } else if !TLS_KEYS.contains(&k.as_str()) {
                let v = std::str::from_utf8(v)
                    .map_err(|_| format!("the value of `{k}` is not valid UTF-8"))?;
                kv.push(format!("{k}={}", quote_kv(v)));
            }
        }
        let mut config = if kv.is_empty() {
            Config::new()
        } else {
            // Only key names and fixed words appear in tokio-postgres' messages, never values.
            Config::from_str(&kv.join(" ")).map_err(|e| e.to_string())?
        };
        if let Some(p) = password {
            config.password(p);
        }
        Ok(config)
    }
}

/// What percent-encoding leaves alone in a displayed URL component.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Take a connection string apart (URL or key=value). Error messages never contain a value from
/// the string, only key names and positions.
pub(crate) fn decompose(s: &str) -> Result<Parts, String> {
    let s = s.trim();
    let lower = s.get(..14).unwrap_or(s).to_ascii_lowercase();
    for scheme in ["postgresql", "postgres"] {
        if lower.starts_with(&format!("{scheme}://")) {
            return decompose_url(scheme, &s[scheme.len() + 3..]);
        }
    }
    if s.contains("://") && !s.contains('=') {
        return Err("unsupported URL scheme: use postgres:// or postgresql://".to_string());
    }
    let params = tokenize_kv(s)?
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    Ok(Parts {
        url_scheme: None,
        params,
    })
}

/// Where the query of a URL starts: the first `?` followed by `key=` (so a `?` inside a
/// password, which RFC 3986 forbids but people write, is not taken for one).
fn query_start(rest: &str) -> Option<usize> {
    rest.match_indices('?').map(|(i, _)| i).find(|&i| {
        let after = &rest[i + 1..];
        let key_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '%'))
            .unwrap_or(after.len());
        key_len > 0 && after[key_len..].starts_with('=')
    })
}

fn pct(raw: &str, what: &str) -> Result<Vec<u8>, String> {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    if raw.contains('%') {
        // A `%` not followed by two hex digits is kept as is by percent_decode; libpq refuses it.
        let b = raw.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'%'
                && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return Err(format!("invalid percent-encoding in the {what}"));
            }
        }
    }
    Ok(bytes)
}

fn pct_text(raw: &str, what: &str) -> Result<String, String> {
    String::from_utf8(pct(raw, what)?).map_err(|_| format!("the {what} is not valid UTF-8"))
}

fn decompose_url(scheme: &str, rest: &str) -> Result<Parts, String> {
    let mut params: Vec<(String, Vec<u8>)> = Vec::new();
    let q = query_start(rest);
    let before_query = &rest[..q.unwrap_or(rest.len())];
    // Credentials end at the LAST `@` before the query: a raw `@`, `/`, `?` or `#` in a password
    // stays in the password (libpq would cut it and print the rest as a host name).
    let (creds, after) = match before_query.rfind('@') {
        Some(at) => (Some(&before_query[..at]), &before_query[at + 1..]),
        None => (None, before_query),
    };
    if let Some(creds) = creds {
        let (user, password) = match creds.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (creds, None),
        };
        if !user.is_empty() {
            params.push(("user".into(), pct_text(user, "user name")?.into_bytes()));
        }
        if let Some(p) = password {
            params.push(("password".into(), pct(p, "password")?));
        }
    }
    let (hostspec, path) = match after.find('/') {
        Some(i) => (&after[..i], Some(&after[i + 1..])),
        None => (after, None),
    };
    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for chunk in hostspec.split(',') {
            let (h, p) = if let Some(inner) = chunk.strip_prefix('[') {
                let Some(end) = inner.find(']') else {
                    return Err("unterminated `[` in an IPv6 host".to_string());
                };
                let tail = &inner[end + 1..];
                let port = match tail.strip_prefix(':') {
                    Some(p) => Some(p),
                    None if tail.is_empty() => None,
                    None => return Err("unexpected text after an IPv6 host".to_string()),
                };
                (&inner[..end], port)
            } else {
                match chunk.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (chunk, None),
                }
            };
            hosts.push(pct_text(h, "host")?);
            ports.push(match p {
                Some(p) => pct_text(p, "port")?,
                None => String::new(),
            });
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            params.push(("host".into(), hosts.join(",").into_bytes()));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            let ports: Vec<&str> = ports
                .iter()
                .map(|p| if p.is_empty() { "5432" } else { p.as_str() })
                .collect();
            params.push(("port".into(), ports.join(",").into_bytes()));
        }
    }
    if let Some(db) = path.filter(|d| !d.is_empty()) {
        params.push(("dbname".into(), pct_text(db, "database name")?.into_bytes()));
    }
    if let Some(q) = q {
        for pair in rest[q + 1..].split('&').filter(|p| !p.is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err("a URL parameter without `=`".to_string());
            };
            let key = pct_text(k, "name of a URL parameter")?;
            let value = pct(v, "value of a URL parameter")?;
            params.push((key, value));
        }
    }
    Ok(Parts {
        url_scheme: Some(scheme.to_string()),
        params,
    })
}

/// Tokenize a libpq key=value string (values may be single-quoted with backslash escapes).
/// Errors name keys and positions, never a value or a stray word (it may be half a password).
pub(crate) fn tokenize_kv(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chars = s.chars().peekable();
    let after = |out: &Vec<(String, String)>| match out.last() {
        Some((k, _)) => format!("after `{k}=...`"),
        None => "at the start".to_string(),
    };
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if key.is_empty() || chars.next() != Some('=') {
            return Err(format!(
                "expected key=value {}; quote a value that contains spaces ('like this')",
                after(&out)
            ));
        }
        if !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "invalid parameter name {}; names are letters, digits and `_`",
                after(&out)
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value for `{key}`")),
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            val.push(c)
                        }
                    }
                    Some('\'') => break,
                    Some(c) => val.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    if let Some(c) = chars.next() {
                        val.push(c);
                    }
                    continue;
                }
                val.push(c);
                chars.next();
            }
        }
        out.push((key, val));
    }
}

fn quote_kv(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The values `mask_password` hides (passwords, values of unknown keys), decoded and as written;
/// empty when `s` is not a connection string or holds nothing secret.
pub fn secrets(s: &str) -> Vec<String> {
    let Ok(parts) = decompose(s) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in &parts.params {
        if !SHOWN_KEYS.contains(&k.as_str()) {
            let v = String::from_utf8_lossy(v).into_owned();
            out.push(percent_encoding::utf8_percent_encode(&v, URL_COMPONENT).to_string());
            out.push(v);
        }
    }
    out
}

/// Replace any password (and any value deskctl does not know to be harmless) in a URL or
/// key=value string with `***`, using the parser deskctl connects with.
pub fn mask_password(s: &str) -> String {
    match decompose(s) {
        Ok(parts) => parts.display(),
        // Unparseable: show nothing that might be a secret.
        Err(_) => "<connection string>".to_string(),
    }
}

/// Parse a URL or key=value string. Environment PG* variables fill in what the string leaves out
/// (as libpq does), e.g. PGPASSWORD.
pub fn parse(s: &str) -> Result<ConnTarget, ConnInfoError> {
    let parts = decompose(s).map_err(|reason| ConnInfoError {
        display: "<connection string>".to_string(),
        reason,
    })?;
    let display = parts.display();
    let err = |reason: String| ConnInfoError {
        display: display.clone(),
        reason,
    };
    let mut config = parts.config().map_err(err)?;
    let env = EnvVars::from_process();
    fill_from_env(&mut config, &env);
    let sslmode = match parts.get("sslmode").or_else(|| env.get("PGSSLMODE")) {
        Some(m) => m.parse().map_err(err)?,
        None => SslMode::Prefer,
    };
    let sslrootcert = parts
        .get("sslrootcert")
        .or_else(|| env.get("PGSSLROOTCERT"))
        .map(PathBuf::from);
    Ok(ConnTarget {
        config,
        sslmode,
        sslrootcert,
        display,
    })
}

/// Build a target from the libpq environment alone.
pub fn from_env() -> Result<ConnTarget, ConnInfoError> {
    from_env_vars(&EnvVars::from_process())
}

pub(crate) fn from_env_vars(env: &EnvVars) -> Result<ConnTarget, ConnInfoError> {
    let mut config = Config::new();
    fill_from_env(&mut config, env);
    let display = describe(&config);
    let sslmode = match env.get("PGSSLMODE") {
        Some(m) => m.parse().map_err(|reason| ConnInfoError {
            display: display.clone(),
            reason: format!("PGSSLMODE: {reason}"),
        })?,
        None => SslMode::Prefer,
    };
    Ok(ConnTarget {
        config,
        sslmode,
        sslrootcert: env.get("PGSSLROOTCERT").map(PathBuf::from),
        display,
    })
}

/// A snapshot of the PG* variables (so tests can pass their own).
#[derive(Debug, Default, Clone)]
pub struct EnvVars(pub BTreeMap<String, String>);

impl EnvVars {
    pub fn from_process() -> EnvVars {
        let keys = [
            "PGHOST",
            "PGHOSTADDR",
            "PGPORT",
            "PGUSER",
            "PGPASSWORD",
            "PGDATABASE",
            "PGSSLMODE",
            "PGSSLROOTCERT",
            "PGCONNECT_TIMEOUT",
            "PGAPPNAME",
            "PGOPTIONS",
        ];
        EnvVars(
            keys.iter()
                .filter_map(|k| {
                    std::env::var(k)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| (k.to_string(), v))
                })
                .collect(),
        )
    }
    fn get(&self, k: &str) -> Option<String> {
        self.0.get(k).cloned()
    }
}

/// libpq defaults: PG* env, then host = the Debian socket dir if it exists else localhost,
/// user = the OS user, dbname = user, application_name = deskctl.
fn fill_from_env(c: &mut Config, env: &EnvVars) {
    if c.get_hosts().is_empty() {
        match env.get("PGHOST").or_else(|| env.get("PGHOSTADDR")) {
            Some(h) => {
                for part in h.split(',') {
                    c.host(part);
                }
            }
            None => {
                let port = env
                    .get("PGPORT")
                    .and_then(|p| p.parse::<u16>().ok())
                    .unwrap_or(5432);
                let sock = format!("/var/run/postgresql/.s.PGSQL.{port}");
                if std::path::Path::new(&sock).exists() {
                    c.host("/var/run/postgresql");
                } else {
                    c.host("localhost");
                }
            }
        }
    }
    if c.get_ports().is_empty() {
        if let Some(p) = env.get("PGPORT").and_then(|p| p.parse::<u16>().ok()) {
            c.port(p);
        }
    }
    if c.get_user().is_none() {
        let user = env
            .get("PGUSER")
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| {
                nix::unistd::User::from_uid(nix::unistd::getuid())
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .unwrap_or_else(|| "postgres".into());
        c.user(&user);
    }
    if c.get_password().is_none() {
        if let Some(p) = env.get("PGPASSWORD") {
            c.password(p);
        }
    }
    if c.get_dbname().is_none() {
        let db = env
            .get("PGDATABASE")
            .unwrap_or_else(|| c.get_user().unwrap_or("postgres").to_string());
        c.dbname(&db);
    }
    if c.get_connect_timeout().is_none() {
        if let Some(t) = env
            .get("PGCONNECT_TIMEOUT")
            .and_then(|t| t.parse::<u64>().ok())
        {
            if t > 0 {
                c.connect_timeout(Duration::from_secs(t.max(2)));
            }
        }
    }
    if c.get_application_name().is_none() {
        c.application_name(env.get("PGAPPNAME").as_deref().unwrap_or("deskctl"));
    }
    if c.get_options().is_none() {
        if let Some(o) = env.get("PGOPTIONS") {
            c.options(&o);
        }
    }
}

/// "user@host:port/db" for a config (no password).
pub fn describe(c: &Config) -> String {
    let host = c
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(s) => s.clone(),
            Host::Unix(p) => p.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{}:{}/{}",
        c.get_user().unwrap_or("?"),
        host,
        port,
        c.get_dbname().unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_passwords() {
        assert_eq!(
            mask_password("postgres://app:s3cret@db:5432/app?sslmode=require"),
            "postgres://app:***@db:5432/app?sslmode=require"
        );
        assert_eq!(
            mask_password("postgresql://u:p%40ss@h/d?password=x&a=b"),
            "postgresql://u:***@h/d?a=***"
        );
        assert_eq!(mask_password("postgres://h/d"), "postgres://h/d");
    }

    #[test]
    fn masks_kv_passwords() {
        assert_eq!(
            mask_password("host=db user=app password='s e c' dbname=x"),
            "host=db user=app password=*** dbname=x"
        );
        assert_eq!(
            mask_password("host=db password='unterminated"),
            "<connection string>"
        );
    }

    #[test]
    fn tls_keys_are_kept_out_of_the_driver_config() {
        let p = decompose(
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(p.get("sslmode").as_deref(), Some("verify-full"));
        assert_eq!(p.get("sslrootcert").as_deref(), Some("/tmp/ca.pem"));
        let c = p.config().unwrap();
        assert_eq!(c.get_application_name(), Some("x"));
        let p = decompose("host=h sslmode=verify-ca sslrootcert='/a b/ca.pem' dbname=d").unwrap();
        assert_eq!(p.get("sslrootcert").as_deref(), Some("/a b/ca.pem"));
        assert_eq!(p.config().unwrap().get_dbname(), Some("d"));
    }

    /// Every way of writing a password: it reaches the driver config, and never the display.
    #[test]
    fn passwords_are_found_by_the_parser_that_connects() {
        let pw = "pa/ss?w#o@r%d";
        let enc: String =
            percent_encoding::utf8_percent_encode(pw, percent_encoding::NON_ALPHANUMERIC).collect();
        let cases = [
            (format!("postgres://app:{enc}@db:5432/app"), pw.to_string()),
            ("postgres://app:pa/ss@db/app".to_string(), "pa/ss".into()),
            ("postgres://app:pa?ss@db/app".to_string(), "pa?ss".into()),
            ("postgres://app:pa#ss@db/app".to_string(), "pa#ss".into()),
            ("postgres://app:p@ss@db/app".to_string(), "p@ss".into()),
            (
                "postgres://app:p/@?#ss@db/app?sslmode=disable".to_string(),
                "p/@?#ss".into(),
            ),
            ("POSTGRES://app:Upper1@db/app".to_string(), "Upper1".into()),
            (
                "PostgreSQL://app:Upper2@db/app".to_string(),
                "Upper2".into(),
            ),
            (
                "postgres://app@db/app?password=q%26x&sslmode=disable".to_string(),
                "q&x".into(),
            ),
            (
                "postgres://app@db/app?pass%77ord=enc0ded".to_string(),
                "enc0ded".into(),
            ),
            (
                "postgres://db/app?password=p@s/s?x".to_string(),
                "p@s/s?x".into(),
            ),
            (
                "host=db password='s e c' dbname=x".to_string(),
                "s e c".into(),
            ),
            (
                "host=db password = spaced dbname=x".to_string(),
                "spaced".into(),
            ),
            (
                "host=db password=back\\ slash".to_string(),
                "back slash".into(),
            ),
        ];
        for (s, secret) in &cases {
            let p = decompose(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            let c = p.config().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(c.get_password(), Some(secret.as_bytes()), "{s}");
            let shown = p.display();
            assert!(!shown.contains(secret.as_str()), "{s} -> {shown}");
            assert!(shown.contains("***"), "{s} -> {shown}");
        }
        // The host after a password with `@`/`/` is the real host.
        let c = decompose("postgres://app:p@ss/x@db.example/app")
            .unwrap()
            .config()
            .unwrap();
        assert_eq!(
            c.get_hosts(),
            &[tokio_postgres::config::Host::Tcp("db.example".into())]
        );
        assert_eq!(c.get_dbname(), Some("app"));
    }

    /// Values of keys deskctl does not know (misspellings of `password`, upper case) are masked
    /// too, and no parse error repeats a value or a stray word.
    #[test]
    fn unknown_values_and_error_messages_never_show_secrets() {
        for s in [
            "host=db passwrod=Secr3tA dbname=x",
            "host=db PASSWORD=Secr3tA",
            "postgres://app@db/app?PASSWORD=Secr3tA",
            "postgres://app@db/app?Password=Secr3tA&sslmode=disable",
        ] {
            let shown = mask_password(s);
            assert!(!shown.contains("Secr3tA"), "{s} -> {shown}");
            let e = parse(s).unwrap_err().to_string();
            assert!(!e.contains("Secr3tA"), "{s} -> {e}");
        }
        for s in [
            "host=db password=two Secr3tA words",
            "Secr3tA",
            "host=db password='Secr3tA",
            "postgres://app:Secr3tA@[db/app",
            "postgres://app:%zzSecr3tA@db/app",
            "mysql://app:Secr3tA@db/app",
        ] {
            let e = parse(s).unwrap_err().to_string();
            assert!(!e.contains("Secr3tA"), "{s} -> {e}");
            assert!(!mask_password(s).contains("Secr3tA"), "{s}");
        }
    }

    #[test]
    fn url_parts_are_read_like_libpq() {
        let c = decompose(
            "postgresql://u@[::1]:6000,h2/db%2Fx?application_name=a%20b&connect_timeout=3",
        )
        .unwrap()
        .config()
        .unwrap();
        assert_eq!(c.get_ports(), &[6000, 5432]);
        assert_eq!(c.get_dbname(), Some("db/x"));
        assert_eq!(c.get_application_name(), Some("a b"));
        let c = decompose("postgres:///app?host=%2Fvar%2Frun%2Fpostgresql")
            .unwrap()
            .config()
            .unwrap();
        assert_eq!(
            c.get_hosts(),
            &[tokio_postgres::config::Host::Unix(
                "/var/run/postgresql".into()
            )]
        );
        assert_eq!(
            mask_password("postgres://u:x@h:1/d?sslmode=require&options=-c%20a%3Db"),
            "postgres://u:***@h:1/d?sslmode=require&options=***"
        );
    }

    #[test]
    fn env_fills_defaults() {
        let mut m = BTreeMap::new();
        m.insert("PGHOST".to_string(), "/tmp/sock".to_string());
        m.insert("PGPORT".to_string(), "6543".to_string());
        m.insert("PGUSER".to_string(), "alice".to_string());
        m.insert("PGSSLMODE".to_string(), "disable".to_string());
        let t = from_env_vars(&EnvVars(m)).unwrap();
        assert_eq!(t.config.get_user(), Some("alice"));
        assert_eq!(t.config.get_dbname(), Some("alice"));
        assert_eq!(t.config.get_ports(), &[6543]);
        assert_eq!(t.config.get_application_name(), Some("deskctl"));
        assert_eq!(t.sslmode, SslMode::Disable);
        assert_eq!(t.display, "alice@/tmp/sock:6543/alice");
    }

    #[test]
    fn bad_sslmode_is_an_error() {
        let e = parse("postgres://u:pw@h/d?sslmode=bogus")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid sslmode `bogus`"), "{e}");
        assert!(!e.contains("pw@"), "{e}");
    }
}
