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

/// Parse a URL or key=value string. Environment PG* variables fill in what the string leaves out
/// (as libpq does), e.g. PGPASSWORD.
pub fn parse(s: &str) -> Result<ConnTarget, ConnInfoError> {
    let s = s.trim();
    let display = mask_password(s);
    let err = |reason: String| ConnInfoError {
        display: display.clone(),
        reason,
    };
    let (rest, tls) = if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        split_url_tls(s).map_err(err)?
    } else {
        split_kv_tls(s).map_err(err)?
    };
    let mut config = if rest.is_empty() {
        Config::new()
    } else {
        Config::from_str(&rest).map_err(|e| err(e.to_string()))?
    };
    let env = EnvVars::from_process();
    fill_from_env(&mut config, &env);
    let sslmode = match tls.get("sslmode").cloned().or_else(|| env.get("PGSSLMODE")) {
        Some(m) => m.parse().map_err(err)?,
        None => SslMode::Prefer,
    };
    let sslrootcert = tls
        .get("sslrootcert")
        .cloned()
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

fn split_url_tls(s: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let mut tls = BTreeMap::new();
    let Some((base, query)) = s.split_once('?') else {
        return Ok((s.to_string(), tls));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8()
            .map_err(|_| format!("parameter `{k}` is not valid UTF-8"))?
            .to_string();
        if TLS_KEYS.contains(&k) {
            tls.insert(k.to_string(), v);
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, tls))
}

/// Tokenize a libpq key=value string (values may be single-quoted with backslash escapes).
pub(crate) fn tokenize_kv(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
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
        if chars.next() != Some('=') {
            return Err(format!("missing `=` after `{key}`"));
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

fn split_kv_tls(s: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let mut tls = BTreeMap::new();
    let mut kept = Vec::new();
    for (k, v) in tokenize_kv(s)? {
        if TLS_KEYS.contains(&k.as_str()) {
            tls.insert(k, v);
        } else {
            kept.push(format!("{k}={}", quote_kv(&v)));
        }
    }
    Ok((kept.join(" "), tls))
}

/// Replace any password in a URL or key=value string with `***`.
pub fn mask_password(s: &str) -> String {
    if let Some(scheme_end) = s.find("://") {
        let after = &s[scheme_end + 3..];
        let auth_end = after.find(['/', '?']).unwrap_or(after.len());
        let authority = &after[..auth_end];
        let masked_auth = match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => format!("{}:***{}", &userinfo[..colon], &authority[at..]),
                    None => authority.to_string(),
                }
            }
            None => authority.to_string(),
        };
        let mut rest = after[auth_end..].to_string();
        // password=... as a query parameter
        if let Some(q) = rest.find('?') {
            let (path, query) = rest.split_at(q + 1);
            let query = query
                .split('&')
                .map(|p| {
                    if p.starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("&");
            rest = format!("{path}{query}");
        }
        format!("{}{}{}", &s[..scheme_end + 3], masked_auth, rest)
    } else {
        match tokenize_kv(s) {
            Ok(pairs) => pairs
                .into_iter()
                .map(|(k, v)| {
                    if k == "password" {
                        "password=***".to_string()
                    } else if v.is_empty() || v.contains(char::is_whitespace) || v.contains('\'') {
                        format!("{k}={}", quote_kv(&v))
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            // Unparseable: show nothing that might be a secret.
            Err(_) => "<connection string>".to_string(),
        }
    }
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
            "postgresql://u:***@h/d?password=***&a=b"
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
    fn tls_keys_are_split_from_url() {
        let (rest, tls) = split_url_tls(
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h/d?application_name=x");
        assert_eq!(tls["sslmode"], "verify-full");
        assert_eq!(tls["sslrootcert"], "/tmp/ca.pem");
    }

    #[test]
    fn tls_keys_are_split_from_kv() {
        let (rest, tls) =
            split_kv_tls("host=h sslmode=verify-ca sslrootcert='/a b/ca.pem' dbname=d").unwrap();
        assert_eq!(rest, "host='h' dbname='d'");
        assert_eq!(tls["sslmode"], "verify-ca");
        assert_eq!(tls["sslrootcert"], "/a b/ca.pem");
        let c = Config::from_str(&rest).unwrap();
        assert_eq!(c.get_dbname(), Some("d"));
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
