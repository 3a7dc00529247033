//! The TAP version 13 renderer for prove-style consumers: a plan, one `ok`/`not ok` line per result, a YAML
//! diagnostic block for failures and errors, and the summary as a final comment. Must not colour anything.

use std::io::{self, Write};

use super::{CheckResult, Level, Report, Status};

/// A test line description: one line, `#` escaped so it is not read as a directive.
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('#', "\\#")
}

/// A YAML scalar value: a literal block for readable multi-line text, otherwise a double-quoted string
/// (JSON string syntax is valid YAML).
fn yaml_value(s: &str, indent: &str) -> String {
    let plain_lines = s.lines().all(|l| !l.chars().any(|c| c.is_control()));
    let starts_clean = !s.starts_with(char::is_whitespace);
    if s.contains('\n') && plain_lines && starts_clean {
        let mut out = String::from("|-");
        for l in s.trim_end().lines() {
            out.push('\n');
            if !l.is_empty() {
                out.push_str(indent);
                out.push_str("  ");
                out.push_str(l);
            }
        }
        out
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
    }
}

fn diagnostic(r: &CheckResult, w: &mut dyn Write) -> io::Result<()> {
    const IND: &str = "  ";
    writeln!(w, "{IND}---")?;
    writeln!(w, "{IND}message: {}", yaml_value(r.detail.trim_end(), IND))?;
    let severity = match r.status {
        Status::Error => "error",
        _ => "fail",
    };
    writeln!(w, "{IND}severity: {severity}")?;
    writeln!(w, "{IND}kind: {}", yaml_value(&r.kind, IND))?;
    if let Some(l) = r.level {
        let level = match l {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        writeln!(w, "{IND}level: {level}")?;
    }
    if let Some(h) = &r.hint {
        writeln!(w, "{IND}hint: {}", yaml_value(h.trim_end(), IND))?;
    }
    if let Some(c) = &r.component {
        writeln!(w, "{IND}component: {}", yaml_value(&c.component, IND))?;
        writeln!(w, "{IND}found: {}", c.count)?;
        writeln!(w, "{IND}expected: {}", yaml_value(&c.expected, IND))?;
    }
    if let Some(loc) = &r.location {
        writeln!(
            w,
            "{IND}file: {}",
            yaml_value(&loc.file.display().to_string(), IND)
        )?;
        writeln!(w, "{IND}line: {}", loc.line)?;
        writeln!(w, "{IND}col: {}", loc.col)?;
    }
    writeln!(w, "{IND}...")
}

/// Render `report` as TAP version 13.
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "TAP version 13")?;
    writeln!(w, "1..{}", report.results.len())?;
    for (i, r) in report.results.iter().enumerate() {
        let ok = if r.status == Status::Pass {
            "ok"
        } else {
            "not ok"
        };
        let mut name = r.id.clone();
        if let Some(d) = r.description.as_deref().filter(|d| !d.trim().is_empty()) {
            name.push(' ');
            name.push_str(d);
        }
        writeln!(w, "{ok} {} - {}", i + 1, one_line(&name))?;
        if r.status != Status::Pass {
            diagnostic(r, w)?;
        }
    }
    writeln!(w, "# {}", report.summary_line())
}
