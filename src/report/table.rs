//! The human table renderer: the seed-style component table (`component_type | count | expected | status`),
//! one row per other result, and the summary line last. Owns layout and status colouring only; must not
//! decide whether to colour (the caller does), read the terminal, or touch the database.

use std::io::{self, Write};

use comfy_table::{presets::ASCII_MARKDOWN, ContentArrangement, Table};
use owo_colors::OwoColorize;

use super::{CheckResult, Report, Status};

/// The status cell text. Readable without colour; each token is unique so colouring can find it.
fn status_token(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ PASS",
        Status::Fail => "❌ FAIL",
        Status::Error => "❗ ERROR",
    }
}

/// `token` coloured for a terminal: green PASS, red FAIL, yellow ERROR.
fn coloured_token(status: Status) -> String {
    let t = status_token(status);
    match status {
        Status::Pass => t.green().to_string(),
        Status::Fail => t.red().bold().to_string(),
        Status::Error => t.yellow().bold().to_string(),
    }
}

/// A table that never looks at the terminal: same output on a tty, in a pipe and in a snapshot.
fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    t
}

/// The detail cell: the detail, then where the check was written (for failures and errors), then the hint.
fn detail_cell(r: &CheckResult) -> String {
    let mut lines: Vec<String> = Vec::new();
    let detail = r.detail.trim_end();
    if !detail.is_empty() {
        lines.push(detail.to_string());
    }
    if let Some(hint) = r.hint.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        lines.push(format!("hint: {hint}"));
    }
    if r.status != Status::Pass {
        if let Some(loc) = &r.location {
            lines.push(format!(
                "at {}:{}:{}",
                loc.file.display(),
                loc.line,
                loc.col
            ));
        }
    }
    // Tabs would be measured as one column by the layout but drawn wider by terminals.
    lines.join("\n").replace('\t', "    ")
}

/// Write the table lines, colouring the status token of each line when asked.
/// `last` = the status column is the last one (the token is then the last occurrence on the line).
fn write_lines(table: &Table, color: bool, last: bool, w: &mut dyn Write) -> io::Result<()> {
    for line in table.lines() {
        let line = line.trim_end();
        if color {
            if let Some(out) = colour_line(line, last) {
                writeln!(w, "{out}")?;
                continue;
            }
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

fn colour_line(line: &str, last: bool) -> Option<String> {
    let mut best: Option<(usize, Status)> = None;
    for status in [Status::Pass, Status::Fail, Status::Error] {
        let tok = status_token(status);
        let found = if last {
            line.rfind(tok)
        } else {
            line.find(tok)
        };
        if let Some(i) = found {
            let better = match best {
                None => true,
                Some((j, _)) => {
                    if last {
                        i > j
                    } else {
                        i < j
                    }
                }
            };
            if better {
                best = Some((i, status));
            }
        }
    }
    let (i, status) = best?;
    let tok = status_token(status);
    Some(format!(
        "{}{}{}",
        &line[..i],
        coloured_token(status),
        &line[i + tok.len()..]
    ))
}

/// Render `report` as tables followed by the summary line (always the last line, never coloured).
pub fn render(report: &Report, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let (components, others): (Vec<&CheckResult>, Vec<&CheckResult>) =
        report.results.iter().partition(|r| r.component.is_some());

    if !components.is_empty() {
        let mut t = new_table();
        t.set_header(vec!["component_type", "count", "expected", "status"]);
        for r in &components {
            if let Some(c) = &r.component {
                t.add_row(vec![
                    c.component.clone(),
                    c.count.to_string(),
                    c.expected.clone(),
                    status_token(r.status).to_string(),
                ]);
            }
        }
        write_lines(&t, color, true, w)?;
        writeln!(w)?;
    }

    if !others.is_empty() {
        let with_level = others.iter().any(|r| r.level.is_some());
        let mut t = new_table();
        let mut header = vec!["check", "status"];
        if with_level {
            header.push("level");
        }
        header.push("detail");
        t.set_header(header);
        for r in &others {
            let mut row = vec![r.id.clone(), status_token(r.status).to_string()];
            if with_level {
                row.push(r.level.map(level_name).unwrap_or("").to_string());
            }
            row.push(detail_cell(r));
            t.add_row(row);
        }
        write_lines(&t, color, false, w)?;
        writeln!(w)?;
    }

    writeln!(w, "{}", report.summary_line())
}

fn level_name(l: super::Level) -> &'static str {
    match l {
        super::Level::Info => "info",
        super::Level::Warn => "warn",
        super::Level::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_line_picks_the_status_column() {
        let line = "| ✅ PASS  | 1 | 2 | ❌ FAIL |";
        let out = colour_line(line, true).unwrap_or_default();
        assert!(out.starts_with("| ✅ PASS  |"));
        assert!(out.contains("\x1b["));
        let out = colour_line(line, false).unwrap_or_default();
        assert!(out.ends_with("| ❌ FAIL |"));
    }

    #[test]
    fn lines_without_a_token_are_left_alone() {
        assert!(colour_line("|---|---|", false).is_none());
    }
}
