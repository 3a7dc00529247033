//! Command-line surface (clap derive types only). Owns flag names, help text and examples;
//! must not contain behaviour: `config` turns these into a `RunConfig` the rest of the crate uses.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "deskctl",
    version,
    about = "Migrate and verify PostgreSQL/Supabase schemas with row-level security",
    long_about = "deskctl applies versioned SQL migrations safely, verifies declarative TOML check files \
against a database (counts, RLS, policies, privileges, immutability, who can see which rows), diagnoses \
RLS mistakes and snapshots a good database into a check file. It runs against any PostgreSQL URL or on a \
throwaway cluster it starts itself (--ephemeral).",
    after_help = "Examples:\n  deskctl verify --ephemeral\n  deskctl migrate --database-url postgres://app@db.example.com/app"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// PostgreSQL connection: postgres:// URL or libpq key=value string [default: libpq PG* environment]
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Run against a throwaway PostgreSQL cluster started from the local server binaries
    #[arg(long, global = true, conflicts_with = "database_url")]
    pub ephemeral: bool,

    /// With --ephemeral: leave the cluster running and print how to connect and stop it
    #[arg(long, global = true, requires = "ephemeral")]
    pub keep: bool,

    /// With --ephemeral: also listen on 127.0.0.1:PORT (default: unix socket only)
    #[arg(long, global = true, requires = "ephemeral", value_name = "PORT")]
    pub ephemeral_port: Option<u16>,

    /// Install a compatibility preset into databases deskctl creates (ephemeral) or migrates
    #[arg(long, global = true, value_enum, value_name = "PRESET")]
    pub preset: Option<PresetName>,

    /// Project config file [default: ./deskctl.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Retry transient connection failures (refused, reset, starting up) for up to SECONDS
    #[arg(long, global = true, value_name = "SECONDS")]
    pub wait: Option<f64>,

    /// Longest wait for a lock, in seconds: catalog reads and migrations give up and name the
    /// blocking session instead of hanging; migrate also waits this long for the migration lock
    /// [default: 5; migration lock 60]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<f64>,

    /// When to use colour [default: auto; NO_COLOR disables it]
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    /// Print only errors and the final summary
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail (SQL being run, timings)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    ValueEnum,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PresetName {
    /// Supabase roles, auth schema and functions, realtime publication, default privileges
    Supabase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Junit,
    Tap,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SimpleFormat {
    #[default]
    Table,
    Json,
}

/// The lowest finding level that fails a run (`--fail-on`, `[diagnose] fail_on`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warn,
    Info,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations (one transaction each, under an advisory lock, refusing drift)
    #[command(
        after_help = "Examples:\n  deskctl migrate --ephemeral --preset supabase --rehearse\n  \
deskctl migrate --database-url postgres://app@db/app --target 20251204000001"
    )]
    Migrate(MigrateArgs),

    /// Check pending migration files for unsafe or insecure SQL (PostgreSQL's parser, no database needed)
    #[command(after_help = "Examples:\n  deskctl lint\n  \
deskctl lint --database-url postgres://app@db/app --format github   # only files not applied yet")]
    Lint(LintArgs),

    /// Repair the migration history by hand: mark versions applied or reverted, accept an edited file
    #[command(
        after_help = "Examples:\n  deskctl history repair --applied 20251204000000\n  \
deskctl history repair --reverted 3\n  deskctl history rechecksum 2 --note 'comment typo fixed'"
    )]
    History(HistoryArgs),

    /// Show every migration: applied (when), pending, divergent or missing
    #[command(
        after_help = "Examples:\n  deskctl status --database-url postgres://app@db/app\n  \
deskctl status --exit-code   # exit 1 when anything is pending"
    )]
    Status(StatusArgs),

    /// Create the next migration file in the directory's layout
    #[command(after_help = "Examples:\n  deskctl new add_ticket_tags\n  \
deskctl new add_ticket_tags --migrations supabase/migrations")]
    New(NewArgs),

    /// Run TOML check files against a database and report PASS/FAIL
    #[command(after_help = "Examples:\n  deskctl verify --ephemeral\n  \
deskctl verify --ephemeral --preset supabase --migrations examples/journal/migrations examples/journal/checks")]
    Verify(VerifyArgs),

    /// Report security and performance problems in the schema, each with the fix
    #[command(
        after_help = "Examples:\n  deskctl diagnose --database-url postgres://app@db/app\n  \
deskctl diagnose --ephemeral --migrations examples/journal/before/migrations --fail-on warn"
    )]
    Diagnose(DiagnoseArgs),

    /// Write a check file that captures the schema as it is
    #[command(
        after_help = "Examples:\n  deskctl snapshot --output checks/snapshot.toml\n  \
deskctl snapshot --ephemeral --schema public > checks/baseline.toml"
    )]
    Snapshot(SnapshotArgs),

    /// Who can do what: roles × SELECT/INSERT/UPDATE/DELETE/TRUNCATE per table and view
    #[command(
        after_help = "Examples:\n  deskctl access --ephemeral --preset supabase\n  \
deskctl access --database-url postgres://app@db/app --roles anon,authenticated --format html --output access.html\n  \
deskctl access --ephemeral --persona customer1 --checks checks/personas.toml"
    )]
    Access(AccessArgs),

    /// Set a project up: deskctl.toml, a starter check file from the migrated schema, an example scenario
    #[command(after_help = "Examples:\n  deskctl init\n  deskctl init path/to/project --supabase")]
    Init(InitArgs),

    /// Compare the security posture of two databases or snapshot files (exit 1 when they differ)
    #[command(
        after_help = "A and B: a database (postgres://… URL or key=value string), @ephemeral[:DIR] (a throwaway \
cluster with DIR's migrations applied) or a check file written by `deskctl snapshot`.\n\nExamples:\n  \
deskctl diff \"$STAGING_URL\" \"$PRODUCTION_URL\"\n  \
deskctl diff checks/baseline.toml \"$DATABASE_URL\" --format json\n  \
deskctl diff --preset supabase @ephemeral:migrations @ephemeral:broken/rls-disabled/migrations"
    )]
    Diff(DiffArgs),

    /// Connect and report server, user, RLS bypass, TLS and Supabase roles
    #[command(
        after_help = "Examples:\n  deskctl ping --database-url 'postgres://app@db.example.com/app?sslmode=verify-full'\n  \
deskctl ping --ephemeral --format json"
    )]
    Ping(PingArgs),

    /// Work with compatibility presets
    #[command(
        after_help = "Examples:\n  deskctl preset supabase --print > supabase_preset.sql\n  \
deskctl preset supabase --print | psql \"$DATABASE_URL\""
    )]
    Preset(PresetArgs),

    /// Print the JSON Schema of check files or deskctl.toml (for editors: taplo / Even Better TOML)
    #[command(
        after_help = "Examples:\n  deskctl schema check-file > schema/check-file.json\n  \
deskctl schema config > schema/config.json\n\nIn a check file: #:schema ./schema/check-file.json"
    )]
    Schema(SchemaArgs),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  deskctl completions bash > /etc/bash_completion.d/deskctl\n  \
deskctl completions zsh > ~/.zfunc/_deskctl"
    )]
    Completions(CompletionsArgs),

    /// Print the man page (roff)
    #[command(after_help = "Examples:\n  deskctl man > deskctl.1\n  deskctl man | man -l -")]
    Man,
}

#[derive(Debug, Args, Clone, Default)]
pub struct MigrationsDirArg {
    /// Migrations directory [default: ./migrations if present, else ./supabase/migrations]
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,

    /// Migration history table, optionally schema-qualified [default: refinery_schema_history]
    #[arg(long, value_name = "[SCHEMA.]NAME")]
    pub history_table: Option<String>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    /// Apply up to and including this version
    #[arg(long, value_name = "V")]
    pub target: Option<i64>,
    /// Record every migration up to V as applied without running it (adopt an existing database)
    #[arg(long, value_name = "V", conflicts_with_all = ["dry_run", "rehearse", "target"])]
    pub baseline: Option<i64>,
    /// List what would be applied, in order, and change nothing
    #[arg(long, conflicts_with = "rehearse")]
    pub dry_run: bool,
    /// Apply all pending migrations in one transaction and roll it back
    #[arg(long)]
    pub rehearse: bool,
    /// Then apply the seed files of supabase/config.toml's [db.seed] (default supabase/seed.sql)
    #[arg(long, conflicts_with_all = ["dry_run", "rehearse", "baseline"])]
    pub seed: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: SimpleFormat,
    /// Do not lint the pending files first (see `deskctl lint`)
    #[arg(long)]
    pub no_lint: bool,
    /// Also apply pending versions below the highest applied one (listed first), e.g. a branch merged late
    #[arg(long, conflicts_with_all = ["dry_run", "rehearse", "baseline"])]
    pub out_of_order: bool,
    /// After a successful run, write the schema (pg_dump --schema-only, from the server's own binaries) to FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "rehearse"])]
    pub dump: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LintFormat {
    /// `file:line:col rule (level) message` and its fix
    #[default]
    Text,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning and other viewers)
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    /// Lint every file, even those the database's history says are applied
    #[arg(long)]
    pub all: bool,
    /// Schemas exposed to API clients (anon/authenticated) [default: [diagnose] exposed_schemas, else public]
    #[arg(long = "exposed-schemas", value_name = "S")]
    pub exposed_schemas: Vec<String>,
    /// Lowest finding level that makes the exit code 1 [default: error]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: LintFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub action: HistoryAction,
}

#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Mark versions as applied (without running them) or as reverted (remove their history rows)
    Repair(RepairArgs),
    /// Accept the current content (checksum and name) of applied files after a deliberate edit
    Rechecksum(RechecksumArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct HistoryCommon {
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    /// Why (kept in the audit row)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Wait up to SECS for a running migration to finish [default: 0, refuse at once]
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub lock_timeout: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: SimpleFormat,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["applied", "reverted"])))]
pub struct RepairArgs {
    /// Record these versions as applied without running them
    #[arg(long, value_name = "V", num_args = 1..)]
    pub applied: Vec<i64>,
    /// Remove these versions' history rows (their changes are not undone)
    #[arg(long, value_name = "V", num_args = 1..)]
    pub reverted: Vec<i64>,
    #[command(flatten)]
    pub common: HistoryCommon,
}

#[derive(Debug, Args)]
pub struct RechecksumArgs {
    /// Versions whose files were edited on purpose
    #[arg(value_name = "V", required = true)]
    pub versions: Vec<i64>,
    #[command(flatten)]
    pub common: HistoryCommon,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: SimpleFormat,
    /// Exit 1 when any migration is pending (for CI)
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the migration (letters, digits, underscores)
    pub name: String,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
}

#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check files (.toml), pgTAP test files (.sql) or directories of them [default: ./checks;
    /// in a Supabase project also supabase/tests]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    /// Against a real database: apply pending migrations before verifying
    #[arg(long)]
    pub migrate: bool,
    /// Schema(s) to snapshot [default: those the files name, else public]
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// statement_timeout for behaviour checks, in milliseconds
    #[arg(long, value_name = "MS")]
    pub statement_timeout: Option<u64>,
    /// lock_timeout for behaviour checks, in milliseconds
    #[arg(long, value_name = "MS")]
    pub lock_wait: Option<u64>,
    /// Run only the checks whose id or kind matches (glob, `*` = any run; repeatable or comma-separated)
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,
    /// Leave out the checks whose id or kind matches (glob; repeatable or comma-separated)
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Schema(s) to inspect [default: public]
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// Schemas exposed to API clients (anon/authenticated) [default: public]
    #[arg(long = "exposed-schemas", value_name = "S")]
    pub exposed_schemas: Vec<String>,
    /// Lowest finding level that makes the exit code 1
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Schema(s) to capture [default: public]
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// Write the check file to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --output: replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
}

#[derive(Debug, Args)]
pub struct PingArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: SimpleFormat,
}

#[derive(Debug, Args)]
pub struct PresetArgs {
    /// The preset
    #[arg(value_enum)]
    pub name: PresetName,
    /// Write the preset's SQL to standard output
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema
    #[arg(value_enum)]
    pub of: SchemaOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// A TOML check file (verify's input)
    CheckFile,
    /// deskctl.toml
    Config,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AccessFormat {
    #[default]
    Table,
    Markdown,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Schema(s) whose tables and views to show [default: public]
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// Roles to show, comma-separated or repeated [default: anon, authenticated, service_role and
    /// every role that owns, is granted on or is named by a policy of a shown relation]
    #[arg(long, value_name = "ROLE[,ROLE...]")]
    pub roles: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: AccessFormat,
    /// Write to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Measure the matrix for this persona (declared in a check file): its rows are created, then
    /// every table and view is read and written as it, in a transaction that is always rolled back
    #[arg(long, value_name = "NAME", conflicts_with = "roles")]
    pub persona: Option<String>,
    /// Check files or directories declaring the persona [default: deskctl.toml's checks, else ./checks]
    #[arg(long = "checks", value_name = "PATH", requires = "persona")]
    pub checks: Vec<PathBuf>,
    /// Fixtures (declared next to the persona) to apply before probing, comma-separated or repeated
    #[arg(long = "use", value_name = "FIXTURE", requires = "persona")]
    pub fixtures: Vec<String>,
    /// statement_timeout of each probe, in milliseconds [default: deskctl.toml's verify.statement_timeout_ms, else 5000]
    #[arg(long, value_name = "MS", requires = "persona")]
    pub statement_timeout: Option<u64>,
    /// lock_timeout of each probe, in milliseconds [default: deskctl.toml's verify.lock_timeout_ms, else 2000]
    #[arg(long, value_name = "MS", requires = "persona")]
    pub lock_wait: Option<u64>,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The "before" side: database URL, @ephemeral[:DIR] or snapshot check file
    #[arg(value_name = "A")]
    pub a: String,
    /// The "after" side: database URL, @ephemeral[:DIR] or snapshot check file
    #[arg(value_name = "B")]
    pub b: String,
    /// Schema(s) to compare [default: the snapshot file's, else public]
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: SimpleFormat,
    #[command(flatten)]
    pub dir: MigrationsDirArg,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project directory [default: .]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Supabase layout (supabase/migrations, the supabase preset) [default: when supabase/migrations exists]
    #[arg(long)]
    pub supabase: bool,
    #[command(flatten)]
    pub dir_args: MigrationsDirArg,
}
