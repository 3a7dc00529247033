//! `migrate --dump FILE`: after a successful run, the schema as `pg_dump --schema-only` writes
//! it (from the same PostgreSQL binaries `--ephemeral` uses), for review in pull requests. The
//! connection goes to pg_dump through its environment, never its command line; the file is
//! written whole or not at all. Must not write anywhere but FILE (and its temporary sibling).

use std::path::{Path, PathBuf};

use tokio_postgres::config::Host;

use crate::db::conninfo::{ConnTarget, SslMode};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    #[error("--dump {}: {reason}", path.display())]
    BadPath { path: PathBuf, reason: String },
    #[error("--dump: no pg_dump found beside the PostgreSQL server binaries ({})", dir.display())]
    NoPgDump { dir: PathBuf },
    #[error("--dump: {0}")]
    NoBinaries(String),
    #[error("--dump {}: pg_dump failed (exit {code}): {stderr}\n  the migrations themselves were applied", path.display())]
    Failed {
        path: PathBuf,
        code: String,
        stderr: String,
    },
    #[error("--dump {}: {source}\n  the migrations themselves were applied", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DumpError {
    pub fn exit_code(&self) -> u8 {
        match self {
            DumpError::BadPath { .. } | DumpError::Write { .. } => crate::exit::INPUT,
            DumpError::NoPgDump { .. } | DumpError::NoBinaries(_) | DumpError::Failed { .. } => {
                crate::exit::DATABASE
            }
        }
    }
}

/// Checked before anything connects: the dump must not land among the migrations (it would be
/// read as one next time) or replace a directory.
pub fn check_path(file: &Path, migrations_dir: &Path) -> Result<(), DumpError> {
    let bad = |reason: &str| DumpError::BadPath {
        path: file.to_path_buf(),
        reason: reason.to_string(),
    };
    if file.is_dir() {
        return Err(bad("is a directory"));
    }
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(parent) = parent.canonicalize() else {
        return Err(bad("its directory does not exist"));
    };
    if let Ok(dir) = migrations_dir.canonicalize() {
        if parent.starts_with(&dir) {
            return Err(bad(&format!(
                "is inside the migrations directory {}; it would be taken for a migration",
                migrations_dir.display()
            )));
        }
    }
    Ok(())
}

/// The pg_dump beside the server binaries deskctl would use.
pub fn find_pg_dump() -> Result<PathBuf, DumpError> {
    let dir =
        crate::db::ephemeral::find_bindir().map_err(|e| DumpError::NoBinaries(e.to_string()))?;
    let exe = dir.join("pg_dump");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(DumpError::NoPgDump { dir })
    }
}

/// Runs `pg_dump --schema-only` against `target` into `file`.
pub async fn write(target: &ConnTarget, file: &Path) -> Result<(), DumpError> {
    let exe = find_pg_dump()?;
    let tmp = tmp_sibling(file);
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.arg("--schema-only").arg("--file").arg(&tmp);
    if supports_restrict_key(&exe).await {
        // A fixed key keeps the file stable from run to run (pg_dump picks a random one).
        cmd.arg("--restrict-key=deskctl");
    }
    // Only the target's connection reaches pg_dump: no inherited PG* variable may redirect it.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in environment(target) {
        cmd.env(k, v);
    }
    let out = cmd.output().await.map_err(|source| DumpError::Write {
        path: exe.clone(),
        source,
    })?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(DumpError::Failed {
            path: file.to_path_buf(),
            code: out.status.code().map_or("signal".into(), |c| c.to_string()),
            stderr: crate::db::conninfo::mask_password(String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    std::fs::rename(&tmp, file).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        DumpError::Write {
            path: file.to_path_buf(),
            source,
        }
    })
}

fn tmp_sibling(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map_or("dump".into(), |n| n.to_string_lossy().into_owned());
    file.with_file_name(format!(".{name}.deskctl-{}.tmp", std::process::id()))
}

async fn supports_restrict_key(exe: &Path) -> bool {
    tokio::process::Command::new(exe)
        .arg("--help")
        .output()
        .await
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--restrict-key"))
}

/// libpq environment variables for `target` (the password included: the environment of a child
/// process is not shown to other users, a command line is).
fn environment(target: &ConnTarget) -> Vec<(&'static str, String)> {
    let c = &target.config;
    let mut env = Vec::new();
    if let Some(h) = c.get_hosts().first() {
        env.push((
            "PGHOST",
            match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(dir) => dir.display().to_string(),
            },
        ));
    }
    if let Some(p) = c.get_ports().first() {
        env.push(("PGPORT", p.to_string()));
    }
    if let Some(u) = c.get_user() {
        env.push(("PGUSER", u.to_string()));
    }
    if let Some(pw) = c.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(pw).into_owned()));
    }
    if let Some(d) = c.get_dbname() {
        env.push(("PGDATABASE", d.to_string()));
    }
    env.push((
        "PGSSLMODE",
        match target.sslmode {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
        .to_string(),
    ));
    if let Some(root) = &target.sslrootcert {
        env.push(("PGSSLROOTCERT", root.display().to_string()));
    }
    env.push(("PGAPPNAME", "deskctl-dump".to_string()));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dump_may_not_land_among_the_migrations() {
        let d = tempfile::tempdir().unwrap();
        let migs = d.path().join("migrations");
        std::fs::create_dir(&migs).unwrap();
        assert!(check_path(&d.path().join("schema.sql"), &migs).is_ok());
        let e = check_path(&migs.join("schema.sql"), &migs).unwrap_err();
        assert!(
            e.to_string().contains("inside the migrations directory"),
            "{e}"
        );
        assert_eq!(e.exit_code(), crate::exit::INPUT);
        assert!(check_path(&migs, d.path()).is_err());
        assert!(check_path(&d.path().join("no/such/dir/x.sql"), &migs).is_err());
    }

    #[test]
    fn the_password_goes_to_the_environment_only() {
        let t =
            crate::db::conninfo::parse("postgres://u:s3cr%2Ft@db.example:6543/app?sslmode=require")
                .unwrap();
        let env = environment(&t);
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PGHOST"), Some("db.example"));
        assert_eq!(get("PGPORT"), Some("6543"));
        assert_eq!(get("PGUSER"), Some("u"));
        assert_eq!(get("PGPASSWORD"), Some("s3cr/t"));
        assert_eq!(get("PGDATABASE"), Some("app"));
        assert_eq!(get("PGSSLMODE"), Some("require"));
    }
}
