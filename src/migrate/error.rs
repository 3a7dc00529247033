//! The errors of `migrate`, `status` and `new`, and the exact-failure record of a migration that
//! failed (file:line:col, SQLSTATE, message, detail, hint). Owns the exit code mapping
//! (2 bad input, 3 database trouble); must not print or touch the database.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

/// One bad migration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceProblem {
    pub file: PathBuf,
    pub problem: String,
}

impl SourceProblem {
    pub fn new(file: &Path, problem: impl Into<String>) -> SourceProblem {
        SourceProblem {
            file: file.to_path_buf(),
            problem: problem.into(),
        }
    }
}

/// One disagreement between the history table and the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Drift {
    /// An applied migration whose file's name or content changed.
    Changed {
        version: i64,
        file: PathBuf,
        applied_name: String,
        file_name: String,
        name_changed: bool,
        content_changed: bool,
        applied_on: String,
    },
    /// An applied version with no file.
    Missing {
        version: i64,
        name: String,
        applied_on: String,
    },
    /// A file that was never applied, below the highest applied version.
    BelowApplied {
        version: i64,
        file: PathBuf,
        highest: i64,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Changed {
                version,
                file,
                applied_name,
                file_name,
                name_changed,
                content_changed,
                applied_on,
            } => {
                let what = match (name_changed, content_changed) {
                    (true, true) => format!(
                        "its name changed (`{applied_name}` → `{file_name}`) and its content changed"
                    ),
                    (true, false) => {
                        format!("its name changed (`{applied_name}` → `{file_name}`)")
                    }
                    _ => "its content changed".to_string(),
                };
                write!(
                    f,
                    "{}: version {version} was applied at {applied_on}, but {what} since; \
restore the applied file and put the change in a new migration (or accept a deliberate, \
harmless edit with `deskctl history rechecksum {version}`)",
                    file.display()
                )
            }
            Drift::Missing {
                version,
                name,
                applied_on,
            } => write!(
                f,
                "version {version} ({name}) was applied at {applied_on} but has no file in the \
migrations directory; restore V{version}__{name} (or point --migrations at the right directory; \
`deskctl history repair --reverted {version}` if it was undone)"
            ),
            Drift::BelowApplied {
                version,
                file,
                highest,
            } => write!(
                f,
                "{}: version {version} was never applied but is below the highest applied version \
{highest}; give it a version above {highest}, or apply it anyway with `deskctl migrate --out-of-order`",
                file.display()
            ),
        }
    }
}

/// Where in the migration the failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedDuring {
    /// A statement of the file.
    Statement,
    /// Recording the migration in the history table.
    History,
    /// COMMIT (deferred constraints and triggers run here).
    Commit,
    /// After a non-transactional file: it left INVALID indexes.
    InvalidIndex,
    /// The connection was lost or another non-SQL problem.
    Connection,
}

/// Everything known about a failed migration.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub version: i64,
    pub name: String,
    pub file: PathBuf,
    pub phase: FailedDuring,
    /// 1-based line and column in the file (of the error position, else the failing statement).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub sqlstate: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// PostgreSQL's CONTEXT (`where`), e.g. the PL/pgSQL line.
    pub context: Option<String>,
    /// The failing statement's first line.
    pub statement: Option<String>,
    /// INVALID indexes left by a non-transactional file.
    pub invalid_indexes: Vec<String>,
    /// A transactional file run in parts: the statements that ran on their own (line, what).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ran_in_parts: Vec<(usize, String)>,
    /// Migrations applied by this run before the failure: (version, name).
    pub applied_before: Vec<(i64, String)>,
    /// Repeatable migrations applied by this run before the failure (`R__name`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeatables_before: Vec<String>,
    /// The highest applied version after the failure (None: none applied).
    pub database_version: Option<i64>,
    /// The migration ran outside a transaction: statements before the failing one stay applied.
    pub no_transaction: bool,
    /// This was `--rehearse`: everything was rolled back.
    pub rehearsal: bool,
    /// The failing file is a repeatable migration (`version` is 0).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeatable: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.rehearsal {
            "rehearsal failed at migration"
        } else {
            "migration"
        };
        let tail = if self.rehearsal { "" } else { " failed" };
        let label = if self.repeatable {
            format!("R__{}", self.name)
        } else {
            format!("V{}__{}", self.version, self.name)
        };
        write!(f, "{what} {label}{tail}: {}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(code) = &self.sqlstate {
            write!(f, " (SQLSTATE {code})")?;
        }
        match self.phase {
            FailedDuring::Commit => write!(f, "\n  at: COMMIT (a deferred constraint or trigger)")?,
            FailedDuring::History => write!(f, "\n  at: recording it in the history table")?,
            _ => {}
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        if let Some(c) = &self.context {
            write!(f, "\n  context: {}", c.replace('\n', "\n           "))?;
        }
        if let Some(s) = &self.statement {
            write!(f, "\n  statement: {s}")?;
        }
        for i in &self.invalid_indexes {
            write!(
                f,
                "\n  INVALID index left behind: {i} (drop it: DROP INDEX CONCURRENTLY {i}; then rerun)"
            )?;
        }
        let list: Vec<String> = self
            .applied_before
            .iter()
            .map(|(v, n)| format!("V{v}__{n}"))
            .chain(self.repeatables_before.iter().cloned())
            .collect();
        write!(
            f,
            "\n  applied before it in this run: {}",
            applied_list(&list)
        )?;
        if self.rehearsal {
            write!(f, "\n  the rehearsal was rolled back; nothing changed")?;
        } else {
            match self.database_version {
                Some(v) => write!(f, "\n  the database stays at version {v}")?,
                None => write!(f, "\n  the database has no migrations applied")?,
            }
            if self.repeatable && !self.no_transaction {
                write!(
                    f,
                    "; this repeatable's transaction was rolled back and it stays pending"
                )?;
            }
            if !self.ran_in_parts.is_empty() {
                let list: Vec<String> = self
                    .ran_in_parts
                    .iter()
                    .map(|(l, w)| format!("{w} at line {l}"))
                    .collect();
                write!(
                    f,
                    " (this file ran in parts because {} cannot run inside a transaction block: the parts before the failing one stay applied)",
                    list.join(", ")
                )?;
            } else if self.no_transaction {
                write!(
                    f,
                    " (this file ran outside a transaction: its statements before the failing one stay applied)"
                )?;
            }
        }
        Ok(())
    }
}

/// A statement that keeps a rehearsal from being guaranteed to change nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unrehearsable {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The statement's first line (none when the file does not parse).
    pub statement: Option<String>,
    pub why: String,
}

impl fmt::Display for Unrehearsable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if let Some(s) = &self.statement {
            write!(f, "`{s}`: ")?;
        }
        write!(f, "{}", self.why)
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| format!("  {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn count_files(problems: &[SourceProblem]) -> usize {
    let mut files: Vec<&Path> = problems.iter().map(|p| p.file.as_path()).collect();
    files.sort();
    files.dedup();
    files.len()
}

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)
    }
}

/// The migrations a run applied before its failure, for a one-screen message: all of them up to
/// `SHOWN_APPLIED`, else the first and last three and how many in between (JSON lists them all).
fn applied_list(list: &[String]) -> String {
    const SHOWN_APPLIED: usize = 8;
    match list.len() {
        0 => "none".to_string(),
        n if n <= SHOWN_APPLIED => list.join(", "),
        n => format!(
            "{}, ... {} more ..., {} ({n} in all)",
            list[..3].join(", "),
            n - 6,
            list[n - 3..].join(", ")
        ),
    }
}

/// `message (SQLSTATE x)` plus detail and hint of a tokio-postgres error (its Display drops them).
pub fn pg_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("\n  detail: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("\n  hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut cur = std::error::Error::source(e);
            while let Some(c) = cur {
                let t = c.to_string();
                if !s.contains(&t) {
                    s.push_str(&format!(": {t}"));
                }
                cur = c.source();
            }
            s
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    #[error("migrations directory {} does not exist", .0.display())]
    DirMissing(PathBuf),
    #[error("cannot read migrations directory {}: {source}", path.display())]
    DirUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} bad migration file(s) in {}; nothing was run:\n{}", count_files(problems), dir.display(), list(problems))]
    BadFiles {
        dir: PathBuf,
        problems: Vec<SourceProblem>,
    },
    #[error("refusing to migrate: the history table {table} and the files in {} disagree:\n{}", dir.display(), list(problems))]
    Drift {
        dir: PathBuf,
        table: String,
        problems: Vec<Drift>,
    },
    #[error("gave up waiting for the migration lock{} after {:.1} s (--lock-timeout)", holder.map(|p| format!(" held by pid {p}")).unwrap_or_default(), timeout.as_secs_f64())]
    LockTimeout {
        timeout: Duration,
        holder: Option<i32>,
    },
    #[error("{0}")]
    Failed(Box<Failure>),
    /// The error is rendered in full (message, SQLSTATE, detail, hint), not chained.
    #[error("{what}: {}", pg_text(error))]
    Database {
        what: String,
        error: tokio_postgres::Error,
    },
    #[error("history table {table}: {problem}")]
    History { table: String, problem: String },
    #[error("refusing to baseline: the history table {table} already has {rows} row(s); --baseline only adopts a database that has never been migrated")]
    BaselineHasHistory { table: String, rows: usize },
    #[error("--baseline {version}: no migration file in {} has that version", dir.display())]
    BaselineUnknown { version: i64, dir: PathBuf },
    #[error("--target {version}: no migration file in {} has that version (a typo would silently stop at the wrong place)", dir.display())]
    TargetUnknown { version: i64, dir: PathBuf },
    #[error("invalid migration name `{0}`: use letters, digits and underscores (at most 200), starting with a letter")]
    InvalidName(String),
    #[error("{} already exists; deskctl new never overwrites", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refinery: {0}")]
    Refinery(String),
    #[error("refusing to rehearse: {} statement(s) cannot run inside the rehearsal's transaction (which deskctl always rolls back); nothing was sent:\n{}\nhint: rehearse the migrations before them with --target VERSION; files marked `{}` run outside a transaction and can only be applied", problems.len(), list(problems), super::source::NO_TRANSACTION_MARKER)]
    RehearsalRefused { problems: Vec<Unrehearsable> },
    #[error("the rehearsal stopped: its transaction changed after {what}; it was rolled back as far as PostgreSQL allows — check the database")]
    RehearsalEscaped { what: String },
}

impl MigrateError {
    /// What `map_err` takes for a query that failed while deskctl was doing `what`.
    pub fn db(what: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> MigrateError {
        let what = what.into();
        move |error| MigrateError::Database { what, error }
    }

    /// 2 for bad input (files, names, drift between files and history), 3 for database trouble.
    pub fn exit_code(&self) -> u8 {
        use crate::exit::{DATABASE, INPUT};
        match self {
            MigrateError::DirMissing(_)
            | MigrateError::DirUnreadable { .. }
            | MigrateError::BadFiles { .. }
            | MigrateError::Drift { .. }
            | MigrateError::BaselineHasHistory { .. }
            | MigrateError::BaselineUnknown { .. }
            | MigrateError::TargetUnknown { .. }
            | MigrateError::InvalidName(_)
            | MigrateError::Exists(_)
            | MigrateError::Write { .. }
            | MigrateError::RehearsalRefused { .. } => INPUT,
            MigrateError::LockTimeout { .. }
            | MigrateError::Failed(_)
            | MigrateError::Database { .. }
            | MigrateError::History { .. }
            | MigrateError::Refinery(_)
            | MigrateError::RehearsalEscaped { .. } => DATABASE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::applied_list;

    #[test]
    fn a_long_applied_list_stays_on_one_line_of_a_screen() {
        let names = |n: usize| -> Vec<String> { (1..=n).map(|i| format!("V{i}__t{i}")).collect() };
        assert_eq!(applied_list(&[]), "none");
        assert_eq!(applied_list(&names(8)), names(8).join(", "));
        assert_eq!(
            applied_list(&names(318)),
            "V1__t1, V2__t2, V3__t3, ... 312 more ..., V316__t316, V317__t317, V318__t318 (318 in all)"
        );
    }
}
