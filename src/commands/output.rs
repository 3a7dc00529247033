//! The one report-and-exit path of the commands: a check report through the renderers to
//! `--output` or standard output (colour only on a terminal, `--quiet` keeps only problems),
//! other documents (JSON, text) through [`write_out`], and the exit code (0 ok, 1 a check
//! failed; 2 and 3 come from errors, `crate::exit_code_of`). Must not decide what failed.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::cli::ReportFormat;
use crate::config::RunConfig;
use crate::report::Report;

/// Render `report` in `format` to `output` (else standard output), then say how the run ends:
/// [`exit`] of `failed`.
pub fn report_and_exit(
    cfg: &RunConfig,
    report: &mut Report,
    format: ReportFormat,
    output: Option<&Path>,
    failed: bool,
) -> anyhow::Result<ExitCode> {
    report.only_problems = cfg.quiet;
    crate::report::write_report(
        report,
        report_format(format),
        output,
        cfg.color && output.is_none(),
    )?;
    Ok(exit(failed))
}

/// The command line's `--format` as the report's own value (the report knows nothing of clap).
fn report_format(f: ReportFormat) -> crate::report::Format {
    use crate::report::Format;
    match f {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Tap => Format::Tap,
        ReportFormat::Sarif => Format::Sarif,
        ReportFormat::Github => Format::Github,
    }
}

/// The lowest finding level that fails the run (`--fail-on`, `[diagnose] fail_on`).
pub fn threshold(f: crate::cli::FailOn) -> crate::findings::Level {
    use crate::cli::FailOn;
    use crate::findings::Level;
    match f {
        FailOn::Error => Level::Error,
        FailOn::Warn => Level::Warn,
        FailOn::Info => Level::Info,
    }
}

/// 1 when something failed, else 0.
pub fn exit(failed: bool) -> ExitCode {
    ExitCode::from(if failed {
        crate::exit::FAILED
    } else {
        crate::exit::OK
    })
}

/// Write through `f` to `path` or standard output (a closed pipe is not an error).
pub fn write_out(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            let file = std::fs::File::create(p)
                .with_context(|| format!("cannot write to {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            f(&mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("cannot write to {}", p.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match f(&mut w).and_then(|()| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// A document as pretty JSON on standard output, one line feed after it.
pub fn print_json(doc: &impl Serialize) -> anyhow::Result<()> {
    write_out(None, |w| {
        serde_json::to_writer_pretty(&mut *w, doc)?;
        writeln!(w)
    })
}

/// Text on standard output as it is.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    write_out(None, |w| w.write_all(text.as_bytes()))
}
