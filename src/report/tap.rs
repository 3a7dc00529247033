//! The TAP version 13 renderer for prove-style consumers: a plan, one `ok`/`not ok` line per result, a YAML
//! diagnostic block for failures and errors, and the summary as a final comment. Must not colour anything.

use std::io::{self, Write};

use super::{safe, CheckResult, Level, Report, Status};

/// A test line description: one line (whitespace runs, line breaks included, become one space), `\\`
/// and `#` escaped as the TAP spec says (so no text can end the description or start a `# SKIP` /
/// `# TODO` directive), and control characters shown as visible escapes (`\x1b`).
fn one_line(s: &str) -> String {
    let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(words.len());
    for c in words.chars() {
        if matches!(c, '\\' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    safe::visible_line(&out).into_owned()
}

/// A YAML scalar that both YAML 1.2 and TAP::Parser's YAMLish reader read back: a `|` literal block
/// for readable multi-line text without control characters (blank lines keep their indentation, or the
/// reader would end the block), otherwise a double-quoted string whose escapes both understand.
fn yaml_value(s: &str, indent: &str) -> String {
    let plain = !s.chars().any(|c| c != '\n' && safe::hazardous(c));
    let starts_clean = !s.starts_with(char::is_whitespace);
    if s.contains('\n') && plain && starts_clean {
        let mut out = String::from("|");
        for l in s.trim_end().lines() {
            out.push('\n');
            out.push_str(indent);
            out.push_str("  ");
            out.push_str(l);
        }
        out
    } else {
        quoted(s)
    }
}

/// A YAML double-quoted string: `\\`, `"`, `\n`, `\r`, `\t`, other ASCII controls as `\xHH`, other
/// controls and bidi overrides as `\uHHHH` (YAML escapes; the YAMLish reader keeps those as text).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if safe::hazardous(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
        writeln!(
            w,
            "{IND}expected: {}",
            yaml_value(&c.expected.to_string(), IND)
        )?;
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
