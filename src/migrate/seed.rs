//! Seed files (Supabase `[db.seed]`): applied after the migrations of the same run, in the
//! configured order, each in its own transaction, recorded as the Supabase CLI records them in
//! `supabase_migrations.seed_files (path, hash)`; a seed already recorded with the same hash is
//! not run again, one whose content changed is not re-run either (seeds are reset-time data)
//! but its hash is updated, as the CLI does. A failure is reported as `file:line:col` with
//! SQLSTATE, detail and hint. Must not choose the files (config does) nor print.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::Client;

use super::runner::drain;

use crate::sqltext;

/// What happened to one seed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOutcome {
    Seeded,
    /// Recorded with the same content before: not run.
    AlreadySeeded,
    /// Recorded with other content before: not run, hash updated.
    Changed,
}

/// A seed file that could not be read or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    #[error("cannot read seed file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("seed {}{}: {message}{}", path.display(), at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default(), extra)]
    Failed {
        path: PathBuf,
        at: Option<(usize, usize)>,
        message: String,
        /// `(SQLSTATE x)`, detail, hint, context and the statement, already formatted.
        extra: String,
    },
}

impl SeedError {
    /// 2 for an unreadable file, 3 for a seed the database rejected.
    pub fn exit_code(&self) -> u8 {
        match self {
            SeedError::Read { .. } => crate::exit::INPUT,
            SeedError::Failed { .. } => crate::exit::DATABASE,
        }
    }
}

/// The path the CLI records: relative to the project root (the `supabase/` folder's parent)
/// when the file is under it, else as given.
fn recorded_path(path: &Path, root: Option<&Path>) -> String {
    root.and_then(|r| path.strip_prefix(r).ok())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Read every file first (an unreadable one stops the run before anything is sent).
pub fn read_all(files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, SeedError> {
    files
        .iter()
        .map(|p| {
            crate::inputs::read_to_string(p)
                .map(|t| (p.clone(), t))
                .map_err(|source| SeedError::Read {
                    path: p.clone(),
                    source,
                })
        })
        .collect()
}

/// Apply the seed files in order. `root` is the project root the recorded paths are relative to.
pub async fn apply(
    client: &Client,
    seeds: &[(PathBuf, String)],
    root: Option<&Path>,
) -> Result<Vec<(PathBuf, SeedOutcome)>, SeedError> {
    let mut out = Vec::new();
    if seeds.is_empty() {
        return Ok(out);
    }
    let infra = |e: tokio_postgres::Error, path: &Path| SeedError::Failed {
        path: path.to_path_buf(),
        at: None,
        message: format!("recording it in supabase_migrations.seed_files: {e}"),
        extra: String::new(),
    };
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
             CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (path text NOT NULL PRIMARY KEY, hash text NOT NULL)",
        )
        .await
        .map_err(|e| infra(e, &seeds[0].0))?;
    for (path, text) in seeds {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let hash = format!("{:x}", Sha256::digest(text.as_bytes()));
        let key = recorded_path(path, root);
        let before: Option<String> = client
            .query_opt(
                "select hash from supabase_migrations.seed_files where path = $1",
                &[&key],
            )
            .await
            .map_err(|e| infra(e, path))?
            .map(|r| r.get("hash"));
        let upsert = "INSERT INTO supabase_migrations.seed_files (path, hash) VALUES ($1, $2) \
                      ON CONFLICT (path) DO UPDATE SET hash = EXCLUDED.hash";
        match before {
            Some(h) if h == hash => {
                out.push((path.clone(), SeedOutcome::AlreadySeeded));
                continue;
            }
            Some(_) => {
                client
                    .execute(upsert, &[&key, &hash])
                    .await
                    .map_err(|e| infra(e, path))?;
                out.push((path.clone(), SeedOutcome::Changed));
                continue;
            }
            None => {}
        }
        client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| infra(e, path))?;
        let (completed, err) = drain(client.simple_query_raw(body).await).await;
        if let Some(e) = err {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(failure(path, body, completed, &e));
        }
        if let Err(e) = client.execute(upsert, &[&key, &hash]).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(infra(e, path));
        }
        if let Err(e) = client.batch_execute("COMMIT").await {
            return Err(failure(path, body, usize::MAX, &e));
        }
        out.push((path.clone(), SeedOutcome::Seeded));
    }
    Ok(out)
}

/// The error as `file:line:col: message (SQLSTATE)`, from the error position or else the
/// failing statement (the `completed`-th, as PostgreSQL's parser splits the text).
fn failure(path: &Path, body: &str, completed: usize, e: &tokio_postgres::Error) -> SeedError {
    let Some(db) = e.as_db_error() else {
        return SeedError::Failed {
            path: path.to_path_buf(),
            at: None,
            message: e.to_string(),
            extra: String::new(),
        };
    };
    let statements = sqltext::split_lenient(body);
    let statement = statements.get(completed);
    let at = match db.position() {
        Some(ErrorPosition::Original(p)) => Some(sqltext::line_col(
            body,
            sqltext::char_pos_to_byte(body, *p as usize),
        )),
        _ => statement.map(|s| sqltext::line_col(body, s.start)),
    };
    let mut extra = format!(" (SQLSTATE {})", db.code().code());
    if let Some(d) = db.detail() {
        extra.push_str(&format!("\n  detail: {d}"));
    }
    if let Some(h) = db.hint() {
        extra.push_str(&format!("\n  hint: {h}"));
    }
    if let Some(c) = db.where_() {
        extra.push_str(&format!("\n  context: {c}"));
    }
    if let Some(s) = statement {
        let first = s.text(body).lines().next().unwrap_or_default();
        extra.push_str(&format!("\n  statement: {first}"));
    }
    extra.push_str("\n  the seed's transaction was rolled back; migrations and earlier seeds stay");
    SeedError::Failed {
        path: path.to_path_buf(),
        at,
        message: db.message().to_string(),
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_paths_are_relative_to_the_project_root() {
        assert_eq!(
            recorded_path(Path::new("/p/supabase/seed.sql"), Some(Path::new("/p"))),
            "supabase/seed.sql"
        );
        assert_eq!(recorded_path(Path::new("x/seed.sql"), None), "x/seed.sql");
    }

    #[test]
    fn an_unreadable_seed_is_bad_input() {
        let e = read_all(&[PathBuf::from("/no/such/seed.sql")]).unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::INPUT);
        assert!(e.to_string().contains("/no/such/seed.sql"));
    }
}
