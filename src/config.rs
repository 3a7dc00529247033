//! Resolves CLI flags + environment + `deskctl.toml` into one `RunConfig` and plain per-command
//! option structs. Owns precedence (flag > deskctl.toml > default); must not touch the database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{self, ColorChoice, FailOn, GlobalArgs, PresetName, ReportFormat, SimpleFormat};

pub const DEFAULT_HISTORY_TABLE: &str = "refinery_schema_history";
/// The private schema deskctl's own history table lives in unless configured otherwise (never an
/// API-exposed schema; see `migrate::history::resolve` for databases with an older public one).
pub const DEFAULT_HISTORY_SCHEMA: &str = "deskctl";
pub const DEFAULT_CONFIG_FILE: &str = "deskctl.toml";

/// A problem in the project config file, with file:line:col.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
}

/// `deskctl.toml`: project defaults. Unknown keys are errors.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub preset: Option<PresetName>,
    pub migrations: Option<PathBuf>,
    pub checks: Option<Vec<PathBuf>>,
    pub schemas: Option<Vec<String>>,
    pub history_table: Option<String>,
    /// Longest wait for a lock (ms), as `--lock-timeout`.
    pub lock_timeout_ms: Option<u64>,
    #[serde(default)]
    pub verify: VerifySection,
    #[serde(default)]
    pub diagnose: DiagnoseSection,
    #[serde(default)]
    pub lint: LintSection,
}

/// `[lint]`: migration lint settings.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    /// Rule ids never run (by `deskctl lint` nor by `migrate`'s lint).
    #[serde(default)]
    pub disable: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifySection {
    /// statement_timeout for behaviour checks (ms)
    pub statement_timeout_ms: Option<u64>,
    /// lock_timeout for behaviour checks (ms)
    pub lock_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseSection {
    pub exposed_schemas: Option<Vec<String>>,
    pub fail_on: Option<FailOn>,
    #[serde(default)]
    pub exclude: Vec<Exclusion>,
}

/// Silences one rule, optionally for one object (`schema.name`, or a name; `*` wildcards allowed).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub rule: String,
    pub object: Option<String>,
}

/// Where the database comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A URL or key=value conninfo string given by flag or DATABASE_URL.
    Url(String),
    /// Nothing given: the libpq environment (PGHOST, PGPORT, ...).
    Env,
    /// A throwaway cluster.
    Ephemeral { keep: bool, tcp_port: Option<u16> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Supabase,
}

/// Everything a run needs, resolved once.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: DbTarget,
    pub preset: Option<Preset>,
    pub wait: Option<Duration>,
    /// `--lock-timeout` / `lock_timeout_ms`, when given.
    pub lock_timeout: Option<Duration>,
    pub color: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub project: ProjectFile,
    /// Path of the config file that was loaded, if any.
    pub config_path: Option<PathBuf>,
    /// `./supabase/config.toml`, when this is a Supabase project (deskctl.toml keys win).
    pub supabase: Option<crate::project::supabase::SupabaseProject>,
}

impl RunConfig {
    /// Resolve from global flags and the environment. Reads `deskctl.toml` (or `--config`).
    pub fn resolve(g: &GlobalArgs) -> Result<RunConfig, ConfigError> {
        let (project, config_path) = match &g.config {
            Some(p) => (load_project_file(p)?, Some(p.clone())),
            None => {
                let p = Path::new(DEFAULT_CONFIG_FILE);
                // Present in any form (a link loop, a FIFO): read, so it is refused by name.
                if std::fs::symlink_metadata(p).is_ok() {
                    (load_project_file(p)?, Some(p.to_path_buf()))
                } else {
                    (ProjectFile::default(), None)
                }
            }
        };
        let target = if g.ephemeral {
            DbTarget::Ephemeral {
                keep: g.keep,
                tcp_port: g.ephemeral_port,
            }
        } else if let Some(url) = g.database_url.as_ref().filter(|u| !u.trim().is_empty()) {
            DbTarget::Url(url.clone())
        } else {
            DbTarget::Env
        };
        let supabase = crate::project::supabase::SupabaseProject::discover(Path::new("."))?;
        // A Supabase project needs the Supabase preset: implied unless configured.
        let preset = g
            .preset
            .or(project.preset)
            .or(supabase.as_ref().map(|_| PresetName::Supabase))
            .map(|p| match p {
                PresetName::Supabase => Preset::Supabase,
            });
        let wait = g.wait.map(|s| seconds("--wait", s)).transpose()?;
        let lock_timeout = match (g.lock_timeout, project.lock_timeout_ms) {
            (Some(s), _) => Some(seconds("--lock-timeout", s)?),
            (None, Some(ms)) => Some(millis("lock_timeout_ms", ms)?),
            (None, None) => None,
        };

        Ok(RunConfig {
            target,
            preset,
            wait,
            lock_timeout,
            color: decide_color(g.color),
            quiet: g.quiet,
            verbose: g.verbose,
            project,
            config_path,
            supabase,
        })
    }

    /// The migrations directory: flag, then deskctl.toml, then ./migrations, then ./supabase/migrations.
    pub fn migrations_dir(&self, flag: &cli::MigrationsDirArg) -> PathBuf {
        if let Some(d) = flag
            .migrations
            .clone()
            .or_else(|| self.project.migrations.clone())
        {
            return d;
        }
        if let Some(p) = &self.supabase {
            return p.migrations_dir();
        }
        let plain = PathBuf::from("migrations");
        if plain.is_dir() {
            return plain;
        }
        let supa = PathBuf::from("supabase/migrations");
        if supa.is_dir() {
            return supa;
        }
        plain
    }

    pub fn history_table(&self, flag: &cli::MigrationsDirArg) -> Result<HistoryTable, ConfigError> {
        let raw = flag
            .history_table
            .clone()
            .or_else(|| self.project.history_table.clone());
        match raw {
            Some(raw) => HistoryTable::parse(&raw),
            None => Ok(HistoryTable::default_private()),
        }
    }
}

/// `[schema.]name` of the migration history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    pub schema: Option<String>,
    pub name: String,
    /// Nothing configured it: `deskctl.refinery_schema_history`, or an existing legacy
    /// `refinery_schema_history` found through the search path (`migrate::history::resolve`).
    pub is_default: bool,
}

impl HistoryTable {
    pub fn parse(raw: &str) -> Result<HistoryTable, ConfigError> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 63
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        let (schema, name) = match raw.split_once('.') {
            Some((s, n)) => (Some(s.to_string()), n.to_string()),
            None => (None, raw.to_string()),
        };
        if !valid(&name) || schema.as_deref().is_some_and(|s| !valid(s)) {
            return Err(ConfigError::Usage(format!(
                "invalid history table `{}`: use [schema.]name with letters, digits and underscores",
                shown(raw)
            )));
        }
        Ok(HistoryTable {
            schema,
            name,
            is_default: false,
        })
    }

    /// The default: `deskctl.refinery_schema_history` (resolved against the database by
    /// `migrate::history::resolve`).
    pub fn default_private() -> HistoryTable {
        HistoryTable {
            schema: Some(DEFAULT_HISTORY_SCHEMA.to_string()),
            name: DEFAULT_HISTORY_TABLE.to_string(),
            is_default: true,
        }
    }

    /// The name as refinery's queries need it (pasted into SQL by refinery; validated above).
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl std::fmt::Display for HistoryTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.qualified())
    }
}

fn decide_color(choice: Option<ColorChoice>) -> bool {
    use std::io::IsTerminal;
    match choice {
        Some(ColorChoice::Always) => true,
        Some(ColorChoice::Never) => false,
        Some(ColorChoice::Auto) | None => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

pub fn load_project_file(path: &Path) -> Result<ProjectFile, ConfigError> {
    let text = crate::inputs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str::<ProjectFile>(&text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            col,
            message: scrub_secrets(e.message(), &text),
        }
    })
}

/// A value from the user as an error message may quote it: masked if it is a connection string
/// holding a password (the same parser as connecting decides).
pub fn shown(raw: &str) -> String {
    if crate::db::conninfo::secrets(raw).is_empty() {
        raw.to_string()
    } else {
        crate::db::conninfo::mask_password(raw)
    }
}

/// A serde message about `text` with every connection string the file holds (wherever it was
/// written) masked by the parser deskctl connects with, and its passwords replaced by `***`.
fn scrub_secrets(message: &str, text: &str) -> String {
    fn strings(v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::String(s) => out.push(s.clone()),
            toml::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            toml::Value::Table(t) => t.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    if let Ok(t) = toml::from_str::<toml::Table>(text) {
        t.values().for_each(|v| strings(v, &mut all));
    }
    let mut out = message.to_string();
    for s in all {
        let secrets = crate::db::conninfo::secrets(&s);
        if secrets.is_empty() {
            continue;
        }
        let masked = crate::db::conninfo::mask_password(&s);
        out = out.replace(&s, &masked);
        out = out.replace(format!("{s:?}").trim_matches('"'), &masked);
        for p in secrets.iter().filter(|p| p.chars().count() >= 3) {
            out = out.replace(p.as_str(), "***");
        }
    }
    out
}

/// The longest duration any flag takes: a day. Longer is surely a typo, and never overflows.
pub const MAX_SECONDS: f64 = 86_400.0;

/// A number of seconds from a flag: finite, >= 0 and at most `MAX_SECONDS`.
pub fn seconds(flag: &str, s: f64) -> Result<Duration, ConfigError> {
    if !(s.is_finite() && (0.0..=MAX_SECONDS).contains(&s)) {
        return Err(ConfigError::Usage(format!(
            "{flag} takes a number of seconds from 0 to {MAX_SECONDS}, got {s}"
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

/// Milliseconds for a PostgreSQL timeout setting: 1 to 2147483647 (PostgreSQL's limit; 0 would
/// switch the limit off).
pub fn millis(what: &str, ms: u64) -> Result<Duration, ConfigError> {
    if !(1..=2_147_483_647).contains(&ms) {
        return Err(ConfigError::Usage(format!(
            "{what} takes milliseconds from 1 to 2147483647, got {ms}"
        )));
    }
    Ok(Duration::from_millis(ms))
}

/// The lock timeout for catalog reads and migration statements.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Options for `migrate`.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    pub dir: PathBuf,
    pub history: HistoryTable,
    pub target: Option<i64>,
    pub baseline: Option<i64>,
    pub dry_run: bool,
    pub rehearse: bool,
    pub lock_timeout: Duration,
    pub json: bool,
    /// Lint the pending files first (`--no-lint` turns it off).
    pub lint: LintGate,
    /// `--seed`: the seed files to apply after the migrations (empty: none).
    pub seeds: Vec<PathBuf>,
    pub seed_warnings: Vec<String>,
    /// Apply pending versions below the highest applied one.
    pub out_of_order: bool,
    /// Write `pg_dump --schema-only` here after a successful run.
    pub dump: Option<PathBuf>,
}

/// What `migrate`'s lint needs.
#[derive(Debug, Clone)]
pub struct LintGate {
    pub enabled: bool,
    pub exposed_schemas: Vec<String>,
    pub disable: Vec<String>,
}

/// Options for `history repair` / `history rechecksum`.
#[derive(Debug, Clone)]
pub struct RepairOptions {
    pub dir: PathBuf,
    pub history: HistoryTable,
    pub applied: Vec<i64>,
    pub reverted: Vec<i64>,
    pub rechecksum: Vec<i64>,
    pub note: Option<String>,
    pub lock_timeout: Duration,
    pub json: bool,
}

/// Options for `lint`.
#[derive(Debug, Clone)]
pub struct LintOptions {
    pub dir: PathBuf,
    pub history: HistoryTable,
    /// Read the history (only with an explicit database URL) unless `--all`.
    pub use_history: bool,
    pub exposed_schemas: Vec<String>,
    pub disable: Vec<String>,
    pub fail_on: FailOn,
    pub format: cli::LintFormat,
    pub output: Option<PathBuf>,
}

/// Options for `status`.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub dir: PathBuf,
    pub history: HistoryTable,
    pub json: bool,
    pub exit_code: bool,
}

/// Options for `verify`.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub paths: Vec<PathBuf>,
    pub migrations: PathBuf,
    pub history: HistoryTable,
    /// Apply pending migrations first (always true on an ephemeral cluster).
    pub migrate: bool,
    pub schemas: Vec<String>,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
    /// `--only` / `--skip` globs on check ids and kinds.
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// Seed files applied after migrating (ephemeral runs of a Supabase project), and the
    /// project root their recorded paths are relative to.
    pub seeds: Vec<PathBuf>,
    pub seed_warnings: Vec<String>,
}

/// Options for `diagnose`.
#[derive(Debug, Clone)]
pub struct DiagnoseOptions {
    pub schemas: Vec<String>,
    pub exposed_schemas: Vec<String>,
    pub fail_on: FailOn,
    pub exclusions: Vec<Exclusion>,
    pub migrations: PathBuf,
    pub history: HistoryTable,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
}

/// Options for `snapshot`.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    pub schemas: Vec<String>,
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
    pub migrations: PathBuf,
    pub history: HistoryTable,
}

impl RunConfig {
    /// The seed files of the Supabase project (`[db.seed]`), and warnings for globs matching
    /// nothing.
    pub fn seed_files(&self) -> (Vec<PathBuf>, Vec<String>) {
        self.supabase
            .as_ref()
            .map(|p| p.seed_files())
            .unwrap_or_default()
    }

    pub fn migrate_options(&self, a: &cli::MigrateArgs) -> Result<MigrateOptions, ConfigError> {
        let (seeds, seed_warnings) = match (a.seed, &self.supabase) {
            (false, _) => (Vec::new(), Vec::new()),
            (true, Some(_)) => self.seed_files(),
            (true, None) => {
                return Err(ConfigError::Usage(
                    "--seed: no supabase/config.toml here; seed files come from its [db.seed] (run deskctl at the Supabase project's root)".into(),
                ))
            }
        };
        Ok(MigrateOptions {
            dir: self.migrations_dir(&a.dir),
            history: self.history_table(&a.dir)?,
            target: a.target,
            baseline: a.baseline,
            dry_run: a.dry_run,
            rehearse: a.rehearse,
            lock_timeout: self.lock_timeout.unwrap_or(Duration::from_secs(60)),
            json: a.format == SimpleFormat::Json,
            lint: LintGate {
                enabled: !a.no_lint,
                exposed_schemas: self.exposed_schemas(&[]),
                disable: self.project.lint.disable.clone(),
            },
            seeds,
            seed_warnings,
            out_of_order: a.out_of_order,
            dump: a.dump.clone(),
        })
    }

    /// Schemas exposed to API clients: the flag, else `[diagnose] exposed_schemas`, else a Supabase
    /// project's `[api].schemas`, else public.
    pub fn exposed_schemas(&self, flag: &[String]) -> Vec<String> {
        // In a Supabase project, config.toml's [api].schemas come before the default.
        let api = self.api_schemas();
        non_empty_or(
            flag,
            self.project
                .diagnose
                .exposed_schemas
                .as_ref()
                .or(api.as_ref()),
            "public",
        )
    }

    pub fn repair_options(&self, a: &cli::HistoryAction) -> Result<RepairOptions, ConfigError> {
        let (common, applied, reverted, rechecksum) = match a {
            cli::HistoryAction::Repair(r) => {
                (&r.common, r.applied.clone(), r.reverted.clone(), vec![])
            }
            cli::HistoryAction::Rechecksum(r) => (&r.common, vec![], vec![], r.versions.clone()),
        };
        if !(common.lock_timeout.is_finite() && common.lock_timeout >= 0.0) {
            return Err(ConfigError::Usage(format!(
                "--lock-timeout takes a number of seconds >= 0, got {}",
                common.lock_timeout
            )));
        }
        Ok(RepairOptions {
            dir: self.migrations_dir(&common.dir),
            history: self.history_table(&common.dir)?,
            applied,
            reverted,
            rechecksum,
            note: common.note.clone(),
            lock_timeout: Duration::from_secs_f64(common.lock_timeout),
            json: common.format == SimpleFormat::Json,
        })
    }

    pub fn lint_options(&self, a: &cli::LintArgs) -> Result<LintOptions, ConfigError> {
        Ok(LintOptions {
            dir: self.migrations_dir(&a.dir),
            history: self.history_table(&a.dir)?,
            use_history: !a.all && matches!(self.target, DbTarget::Url(_)),
            exposed_schemas: self.exposed_schemas(&a.exposed_schemas),
            disable: self.project.lint.disable.clone(),
            fail_on: a.fail_on.unwrap_or(FailOn::Error),
            format: a.format,
            output: a.output.clone(),
        })
    }

    pub fn status_options(&self, a: &cli::StatusArgs) -> Result<StatusOptions, ConfigError> {
        Ok(StatusOptions {
            dir: self.migrations_dir(&a.dir),
            history: self.history_table(&a.dir)?,
            json: a.format == SimpleFormat::Json,
            exit_code: a.exit_code,
        })
    }

    pub fn verify_options(&self, a: &cli::VerifyArgs) -> Result<VerifyOptions, ConfigError> {
        let paths = if !a.paths.is_empty() {
            a.paths.clone()
        } else if let Some(c) = self.project.checks.clone() {
            c
        } else {
            self.default_check_paths()
        };
        let ephemeral = matches!(self.target, DbTarget::Ephemeral { .. });
        // On a throwaway cluster a Supabase project is set up as `supabase db reset` would:
        // migrations, then seeds.
        let (seeds, seed_warnings) = if ephemeral {
            self.seed_files()
        } else {
            (Vec::new(), Vec::new())
        };
        let schemas = if !a.schemas.is_empty() {
            a.schemas.clone()
        } else {
            self.project.schemas.clone().unwrap_or_default()
        };
        let migrations = self.migrations_dir(&a.dir);
        if let Some(out) = &a.output.output {
            let mut inputs: Vec<(&Path, Option<&str>)> =
                paths.iter().map(|p| (p.as_path(), Some("toml"))).collect();
            inputs.push((migrations.as_path(), Some("sql")));
            inputs.extend(self.config_path.as_deref().map(|c| (c, None)));
            crate::report::refuse_output_over_inputs(out, &inputs)?;
        }
        Ok(VerifyOptions {
            paths,
            history: self.history_table(&a.dir)?,
            migrate: a.migrate || matches!(self.target, DbTarget::Ephemeral { .. }),
            migrations,
            schemas,
            statement_timeout: millis(
                "--statement-timeout",
                a.statement_timeout
                    .or(self.project.verify.statement_timeout_ms)
                    .unwrap_or(5_000),
            )?,
            lock_timeout: millis(
                "--lock-wait",
                a.lock_wait
                    .or(self.project.verify.lock_timeout_ms)
                    .unwrap_or(2_000),
            )?,
            format: a.output.format.unwrap_or_default(),
            output: a.output.output.clone(),
            only: crate::verify::filter::patterns(&a.only),
            skip: crate::verify::filter::patterns(&a.skip),
            seeds,
            seed_warnings,
        })
    }

    /// `./checks`; in a Supabase project the existing ones of `./checks` and `supabase/tests`.
    fn default_check_paths(&self) -> Vec<PathBuf> {
        let checks = PathBuf::from("checks");
        let Some(p) = &self.supabase else {
            return vec![checks];
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        if checks.is_dir() {
            paths.push(checks.clone());
        }
        paths.extend(p.tests_dir());
        // Neither: a Supabase project is still migrated and seeded; there is just nothing to check.
        paths
    }

    /// The Data API's schemas of a Supabase project (`[api].schemas`), when there is one.
    fn api_schemas(&self) -> Option<Vec<String>> {
        self.supabase.as_ref().map(|p| p.api_schemas.clone())
    }

    pub fn diagnose_options(&self, a: &cli::DiagnoseArgs) -> Result<DiagnoseOptions, ConfigError> {
        let d = &self.project.diagnose;
        let fail_on = a.fail_on.or(d.fail_on).unwrap_or(FailOn::Error);
        // A Supabase project's exposed schemas are its [api].schemas; deskctl.toml and flags win.
        let api = self.api_schemas();
        let schemas = non_empty_or(
            &a.schemas,
            self.project.schemas.as_ref().or(api.as_ref()),
            "public",
        );
        let exposed = non_empty_or(
            &a.exposed_schemas,
            d.exposed_schemas.as_ref().or(api.as_ref()),
            "public",
        );
        let migrations = self.migrations_dir(&a.dir);
        if let Some(out) = &a.output.output {
            let mut inputs = vec![(migrations.as_path(), Some("sql"))];
            inputs.extend(self.config_path.as_deref().map(|c| (c, None)));
            crate::report::refuse_output_over_inputs(out, &inputs)?;
        }
        Ok(DiagnoseOptions {
            schemas,
            exposed_schemas: exposed,
            fail_on,
            exclusions: d.exclude.clone(),
            migrations,
            history: self.history_table(&a.dir)?,
            format: a.output.format.unwrap_or_default(),
            output: a.output.output.clone(),
        })
    }

    pub fn snapshot_options(&self, a: &cli::SnapshotArgs) -> Result<SnapshotOptions, ConfigError> {
        Ok(SnapshotOptions {
            schemas: non_empty_or(&a.schemas, self.project.schemas.as_ref(), "public"),
            output: a.output.clone(),
            force: a.force,
            migrations: self.migrations_dir(&a.dir),
            history: self.history_table(&a.dir)?,
        })
    }
}

fn non_empty_or(flag: &[String], file: Option<&Vec<String>>, default: &str) -> Vec<String> {
    if !flag.is_empty() {
        flag.to_vec()
    } else if let Some(f) = file.filter(|f| !f.is_empty()) {
        f.clone()
    } else {
        vec![default.to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_reported_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("deskctl.toml");
        std::fs::write(&p, "preset = \"supabase\"\nmigratons = \"x\"\n").unwrap();
        let err = load_project_file(&p).unwrap_err().to_string();
        assert!(err.contains("deskctl.toml:2:1"), "{err}");
        assert!(err.contains("migratons"), "{err}");
    }

    #[test]
    fn diagnose_fail_on_is_the_cli_enum_and_a_bad_level_is_placed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("deskctl.toml");
        std::fs::write(&p, "[diagnose]\nfail_on = \"warn\"\n").unwrap();
        let f = load_project_file(&p).unwrap();
        assert_eq!(f.diagnose.fail_on, Some(FailOn::Warn));
        std::fs::write(&p, "[diagnose]\nfail_on = \"warning\"\n").unwrap();
        let err = load_project_file(&p).unwrap_err().to_string();
        assert!(err.contains("deskctl.toml:2:"), "{err}");
        assert!(err.contains("warning") && err.contains("`warn`"), "{err}");
    }

    #[test]
    fn history_table_is_validated() {
        assert_eq!(
            HistoryTable::parse("ops.history").unwrap().qualified(),
            "ops.history"
        );
        assert!(HistoryTable::parse("x; drop table y").is_err());
        assert!(HistoryTable::parse("a.b.c").is_err());
        assert!(HistoryTable::parse("").is_err());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
