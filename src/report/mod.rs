//! The report every checking command produces (`verify`, `diagnose`) and its renderers
//! (table | json | junit | tap | sarif | github; diagnose's human output is `grouped`). A failed
//! check is data here, never an `Err`. Renderers are pure functions over a writer; colour is
//! decided once by the caller. Must not touch the database.

pub mod github;
pub mod grouped;
pub mod json;
pub mod junit;
pub mod migration_lint;
pub mod rows;
pub mod safe;
pub mod sarif;
pub mod table;
pub mod tap;
pub mod wording;

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// Bumped when the JSON shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

pub use crate::findings::{Component, Level, Location, RuleInfo, Status};

/// The outcome of one check (or one diagnose finding).
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    /// The check kind (`count`, `policies`, ...) or the lint rule id.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: Status,
    /// What was found: for a failure, the object and the difference.
    pub detail: String,
    /// A failing check's problems apart, as data (the object, the typed message) with the text
    /// each contributes to `detail`. Empty (and left out of JSON) otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ReportedProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Set for count checks: their row in the component table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    /// Set for diagnose findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// How to fix it (diagnose findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The database object a diagnose finding is about (`schema.name`, `schema.name/part`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub duration_ms: f64,
    /// A diagnose finding's own message, without the rule's `why` that `detail` appends (the
    /// human output shows the why once per rule).
    #[serde(skip)]
    pub message: Option<String>,
}

impl CheckResult {
    pub fn new(
        id: impl Into<String>,
        kind: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) -> Self {
        CheckResult {
            id: id.into(),
            kind: kind.into(),
            description: None,
            status,
            detail: detail.into(),
            problems: Vec::new(),
            location: None,
            component: None,
            level: None,
            hint: None,
            object: None,
            duration_ms: 0.0,
            message: None,
        }
    }

    /// A diagnose finding of rule `rule` at `level`: FAIL, its detail the finding's `message`
    /// followed by the rule's `why`.
    pub fn finding(
        id: impl Into<String>,
        rule: &str,
        level: Level,
        message: impl Into<String>,
        why: &str,
    ) -> Self {
        let message = message.into();
        let mut r = CheckResult::new(id, rule, Status::Fail, format!("{message}. {why}"));
        r.level = Some(level);
        r.message = Some(message);
        r
    }
}

pub use rows::{diagnosis_rows, result_of, tap_row};
pub use wording::{detail_of, problem_text};

/// One problem of a failing check in the JSON report: `object` and `message` as the check found
/// them, and `text`, the line the other formats show for it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportedProblem {
    #[serde(flatten)]
    pub problem: crate::findings::Problem,
    pub text: String,
}

impl ReportedProblem {
    pub fn of(problem: crate::findings::Problem) -> ReportedProblem {
        let text = wording::problem_text(&problem);
        ReportedProblem { problem, text }
    }
}

/// All results of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// "verify" or "diagnose".
    pub command: String,
    /// The database, password masked.
    pub target: String,
    pub results: Vec<CheckResult>,
    pub duration_ms: f64,
    /// Display only (`-q`): the table shows failing and error rows only; totals still count
    /// every result, and the machine formats are unaffected.
    #[serde(skip)]
    pub only_problems: bool,
    /// Display only (`-v`): diagnose's human output lists every finding of a rule instead of the
    /// first few and a count.
    #[serde(skip)]
    pub list_all: bool,
    /// The rules a diagnose run applied (SARIF's driver rules, the human output's `why`);
    /// empty for verify.
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
}

/// Totals for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

impl Report {
    pub fn new(command: &str, target: &str) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            command: command.to_string(),
            target: target.to_string(),
            results: Vec::new(),
            duration_ms: 0.0,
            only_problems: false,
            list_all: false,
            rules: Vec::new(),
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for r in &self.results {
            match r.status {
                Status::Pass => t.passed += 1,
                Status::Fail => t.failed += 1,
                Status::Error => t.errors += 1,
            }
        }
        t
    }

    /// The summary line: exactly `N passed, M failed` plus `, K errors` when any.
    pub fn summary_line(&self) -> String {
        let t = self.totals();
        let mut s = format!("{} passed, {} failed", t.passed, t.failed);
        if t.errors > 0 {
            s.push_str(&format!(", {} errors", t.errors));
        }
        s
    }
}

/// The output formats of a check report (the command line's `--format` maps onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Junit,
    Tap,
    Sarif,
    Github,
}

/// Render `report` in `format` to `w`. `color` only matters for the table (the machine formats never colour).
pub fn render(
    report: &Report,
    format: Format,
    color: bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table if report.command == "diagnose" => grouped::render(report, color, w),
        Format::Table => table::render(report, color, w),
        Format::Json => json::render(report, w),
        Format::Junit => junit::render(report, w),
        Format::Tap => tap::render(report, w),
        Format::Sarif => sarif::render(report, w),
        Format::Github => github::render(report, w),
    }
}

/// Render to `output` (a file; its directory must exist) or to standard output. Colour only on standard
/// output and only when `color`. A closed standard output (`| head`) is not an error.
pub fn write_report(
    report: &Report,
    format: Format,
    output: Option<&Path>,
    color: bool,
) -> anyhow::Result<()> {
    let err = |target: String| {
        move |source| OutputError {
            what: "the report",
            target,
            source,
        }
    };
    match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(err(path.display().to_string()))?;
            let mut w = std::io::BufWriter::new(file);
            render(report, format, false, &mut w)
                .and_then(|()| w.flush())
                .map_err(err(path.display().to_string()))?;
            Ok(())
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match render(report, format, color, &mut w).and_then(|()| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => Ok(r.map_err(err("standard output".to_string()))?),
            }
        }
    }
}

/// Writing an output (report, check file) failed: the destination is the user's choice, so this
/// is bad input (exit 2), e.g. a directory that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {what} to {target}")]
pub struct OutputError {
    pub what: &'static str,
    pub target: String,
    #[source]
    pub source: std::io::Error,
}

/// What an output path must not be: an input of the same run. `inputs` are files, or directories
/// with the file extension read from them (`*.toml` below a checks directory).
pub fn refuse_output_over_inputs(
    output: &Path,
    inputs: &[(&Path, Option<&str>)],
) -> Result<(), crate::config::ConfigError> {
    let Some(out) = resolved(output) else {
        return Ok(());
    };
    for (input, ext) in inputs {
        let Ok(inp) = std::fs::canonicalize(input) else {
            continue;
        };
        let clash = if inp.is_dir() {
            out.starts_with(&inp) && ext.is_none_or(|e| out.extension().is_some_and(|x| x == e))
        } else {
            out == inp
        };
        if clash {
            return Err(crate::config::ConfigError::Usage(format!(
                "--output {} is {} this run reads ({}): choose another file",
                output.display(),
                if inp.is_dir() {
                    "inside a directory"
                } else {
                    "a file"
                },
                input.display()
            )));
        }
    }
    Ok(())
}

/// The absolute, symlink-free path `p` names (for a file not yet there: its directory's, joined).
fn resolved(p: &Path) -> Option<std::path::PathBuf> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return Some(c);
    }
    let name = p.file_name()?;
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::canonicalize(parent).ok().map(|d| d.join(name))
}

/// Write a new file: refused when `path` exists unless `force` (then replaced). Creating with
/// `create_new` means a file appearing meanwhile is not clobbered either.
pub fn write_new_file(
    path: &Path,
    text: &str,
    force: bool,
    what: &'static str,
) -> anyhow::Result<()> {
    refuse_existing_output(Some(path), force)?;
    let err = |source| OutputError {
        what,
        target: path.display().to_string(),
        source,
    };
    let mut f = if force {
        std::fs::File::create(path)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
    .map_err(err)?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.flush())
        .map_err(err)?;
    Ok(())
}

/// `--output FILE` without `--force` when FILE exists: refused before any work is done.
pub fn refuse_existing_output(
    output: Option<&Path>,
    force: bool,
) -> Result<(), crate::config::ConfigError> {
    match output {
        Some(p) if !force && std::fs::symlink_metadata(p).is_ok() => {
            Err(crate::config::ConfigError::Usage(format!(
                "{} already exists: pass --force to overwrite it",
                p.display()
            )))
        }
        _ => Ok(()),
    }
}
