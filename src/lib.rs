//! deskctl as a library: `run` executes one parsed command line and returns the exit code.
//! Owns dispatch and the mapping of errors to exit codes; must not print except via commands.

pub mod access;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod diff;
pub mod findings;
pub mod inputs;
pub mod lint;
pub mod migrate;
pub mod par;
pub mod project;
pub mod report;
pub mod snapshot;
pub mod sqltext;
pub mod verify;
pub mod words;

use std::process::ExitCode;

use clap::CommandFactory;

use cli::{Cli, Command};
use config::RunConfig;

/// Exit codes (see README): 0 ok, 1 checks failed, 2 bad input, 3 database trouble.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const INPUT: u8 = 2;
    pub const DATABASE: u8 = 3;
    /// An error deskctl does not recognise: a bug, not the user's input.
    pub const INTERNAL: u8 = 4;
}

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Completions(a) => {
            let mut cmd = Cli::command();
            clap_complete::generate(a.shell, &mut cmd, "deskctl", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Preset(a) => {
            if !a.print {
                anyhow::bail!(config::ConfigError::Usage(
                    "nothing to do: use `deskctl preset supabase --print` to write the preset's SQL".into()
                ));
            }
            print!("{}", db::supabase::SQL);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Schema(a) => {
            let v = match a.of {
                cli::SchemaOf::CheckFile => checks::schema::check_file(),
                cli::SchemaOf::Config => checks::schema::config_file(),
            };
            print!("{}", checks::schema::pretty(&v));
            return Ok(ExitCode::SUCCESS);
        }
        Command::New(a) => {
            let cfg = RunConfig::resolve(&cli.global)?;
            return commands::new::run(&cfg, a);
        }
        _ => {}
    }
    let cfg = RunConfig::resolve(&cli.global)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Ping(a) => {
                commands::ping::run(&cfg, a.format == cli::SimpleFormat::Json).await
            }
            Command::Migrate(a) => commands::migrate::run(&cfg, cfg.migrate_options(&a)?).await,
            Command::History(a) => {
                commands::history::run(&cfg, cfg.repair_options(&a.action)?).await
            }
            Command::Lint(a) => commands::lint::run(&cfg, cfg.lint_options(&a)?).await,
            Command::Status(a) => commands::migrate::status(&cfg, cfg.status_options(&a)?).await,
            Command::Verify(a) => commands::verify::run(&cfg, cfg.verify_options(&a)?).await,
            Command::Diagnose(a) => commands::diagnose::run(&cfg, cfg.diagnose_options(&a)?).await,
            Command::Snapshot(a) => commands::snapshot::run(&cfg, cfg.snapshot_options(&a)?).await,
            Command::Init(a) => {
                let o = commands::init::InitOptions::resolve(&cfg, &a)?;
                commands::init::run(&cfg, o).await
            }
            Command::Diff(a) => {
                let o = commands::diff::DiffOptions::resolve(&cfg, &a)?;
                commands::diff::run(&cfg, o).await
            }
            Command::Access(a) => {
                let o = commands::access::AccessOptions::resolve(&cfg, &a)?;
                commands::access::run(&cfg, o).await
            }
            Command::New(_)
            | Command::Completions(_)
            | Command::Man
            | Command::Preset(_)
            | Command::Schema(_) => {
                unreachable!("handled above")
            }
        }
    })
}

/// The exit code for an error that prevented a report. Bad input (2) only for errors known to be
/// about the user's input; an error nobody classified is internal (4), never "bad input".
pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<db::ConnectError>() {
            return match c {
                db::ConnectError::ConnInfo(_) | db::ConnectError::Tls(_) => exit::INPUT,
                _ => exit::DATABASE,
            };
        }
        if cause.is::<db::conninfo::ConnInfoError>() || cause.is::<db::tls::TlsSetupError>() {
            return exit::INPUT;
        }
        if cause.is::<tokio_postgres::Error>()
            || cause.is::<access::probe::ProbeError>()
            || cause.is::<db::ConnectionLost>()
            || cause.is::<db::LockTimeout>()
        {
            return exit::DATABASE;
        }
        if let Some(m) = cause.downcast_ref::<migrate::MigrateError>() {
            return m.exit_code();
        }
        if let Some(d) = cause.downcast_ref::<migrate::dump::DumpError>() {
            return d.exit_code();
        }
        if let Some(s) = cause.downcast_ref::<migrate::seed::SeedError>() {
            return s.exit_code();
        }
        if cause.is::<config::ConfigError>()
            || cause.is::<checks::LoadErrors>()
            || cause.is::<report::OutputError>()
        {
            return exit::INPUT;
        }
    }
    exit::INTERNAL
}

/// The whole cause chain, one screen, never a password (connection strings are masked where
/// they are formatted; tokio-postgres never prints passwords).
/// Control characters in a message (server text, file names) are shown as escapes, never obeyed.
pub fn render_error(err: &anyhow::Error) -> String {
    let shown =
        |e: &dyn std::fmt::Display| report::safe::visible_lines(&e.to_string()).into_owned();
    let mut out = format!("error: {}", shown(err));
    let mut seen = vec![shown(err)];
    for cause in err.chain().skip(1) {
        let s = shown(cause);
        if seen.iter().any(|p| p.contains(&s)) {
            continue;
        }
        out.push_str(&format!("\n  caused by: {s}"));
        seen.push(s);
    }
    out
}
