//! The human table renderer: the seed-style component table (`component_type | count | expected | status`),
//! one row per other result, and the summary line last. Owns layout and status colouring only; must not
//! decide whether to colour (the caller does), read the terminal, or touch the database.
//!
//! The layout is comfy-table's `ASCII_MARKDOWN` preset with content arrangement disabled (fixed, never
//! depends on the terminal width); the unit tests check byte-for-byte equality with comfy-table. It is
//! written directly because comfy-table took ~45 ms for the 12,000 rows of the benchmark (this takes ~10 ms),
//! and so that colour wraps the padded status cell instead of being patched into rendered text.

use std::io::{self, Write};

use owo_colors::OwoColorize;
use unicode_width::UnicodeWidthStr;

use super::{safe, CheckResult, Level, Report, Status};

/// The status cell text: readable without colour, like the seeds' `✅ PASS` / `❌ FAIL`.
fn status_token(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ PASS",
        Status::Fail => "❌ FAIL",
        Status::Error => "❗ ERROR",
    }
}

/// `cell` (already padded) coloured for a terminal: green PASS, red FAIL, yellow ERROR.
fn paint(status: Status, cell: &str) -> String {
    match status {
        Status::Pass => cell.green().to_string(),
        Status::Fail => cell.red().bold().to_string(),
        Status::Error => cell.yellow().bold().to_string(),
    }
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

/// One table row: its cells and, when colour is on, the status that colours one of them.
struct Row {
    cells: Vec<String>,
    status: Status,
}

/// A markdown-style table: `| a | b |`, a `|---|---|` rule under the header, cells padded to the widest
/// line of their column, multi-line cells continued on the next lines with the other cells blank.
struct MarkdownTable {
    header: Vec<&'static str>,
    rows: Vec<Row>,
    /// The column holding the status token (coloured when asked).
    status_col: usize,
}

impl MarkdownTable {
    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(&row.cells) {
                for line in cell.lines() {
                    *w = (*w).max(line.width());
                }
            }
        }
        widths
    }

    fn write(&self, color: bool, w: &mut dyn Write) -> io::Result<()> {
        let widths = self.widths();
        let mut line = String::with_capacity(widths.iter().sum::<usize>() + 4 * widths.len() + 2);

        let header: Vec<&str> = self.header.clone();
        write_line(&mut line, &header, &widths, None);
        writeln!(w, "{line}")?;

        line.clear();
        line.push('|');
        for width in &widths {
            line.extend(std::iter::repeat_n('-', width + 2));
            line.push('|');
        }
        writeln!(w, "{line}")?;

        for row in &self.rows {
            let split: Vec<Vec<&str>> = row
                .cells
                .iter()
                .map(|c| {
                    let lines: Vec<&str> = c.lines().collect();
                    if lines.is_empty() {
                        vec![""]
                    } else {
                        lines
                    }
                })
                .collect();
            let height = split.iter().map(Vec::len).max().unwrap_or(1);
            for i in 0..height {
                let cells: Vec<&str> = split
                    .iter()
                    .map(|lines| lines.get(i).copied().unwrap_or(""))
                    .collect();
                let paint_col = (color && i == 0).then_some((self.status_col, row.status));
                write_line(&mut line, &cells, &widths, paint_col);
                writeln!(w, "{line}")?;
            }
        }
        Ok(())
    }
}

/// `| c1 | c2 |` into `line`, each cell padded to its column width; `paint` colours one cell.
fn write_line(
    line: &mut String,
    cells: &[&str],
    widths: &[usize],
    paint_col: Option<(usize, Status)>,
) {
    line.clear();
    line.push('|');
    for (col, (cell, width)) in cells.iter().zip(widths).enumerate() {
        line.push(' ');
        let pad = width.saturating_sub(cell.width());
        match paint_col {
            Some((c, status)) if c == col && !cell.is_empty() => {
                let mut padded = String::with_capacity(cell.len() + pad);
                padded.push_str(cell);
                padded.extend(std::iter::repeat_n(' ', pad));
                line.push_str(&paint(status, &padded));
            }
            _ => {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        line.push_str(" |");
    }
}

/// Detail lines longer than this (in display columns) are wrapped at spaces, so one long diagnosis does not
/// widen every row. A fixed number: the layout never depends on the terminal.
const DETAIL_WIDTH: usize = 100;

/// `line` wrapped at spaces to `width` columns; continuation lines are indented by two spaces. Words are
/// never split (identifiers and URLs stay copyable), so a single longer word makes a longer line.
fn wrap(line: &str, width: usize, out: &mut Vec<String>) {
    if line.width() <= width {
        out.push(line.to_string());
        return;
    }
    let indent = line.len() - line.trim_start().len();
    let lead = &line[..indent];
    let mut current = String::from(lead);
    let mut current_width = lead.width();
    let mut has_word = false;
    for word in line[indent..].split(' ').filter(|w| !w.is_empty()) {
        let ww = word.width();
        if has_word && current_width + 1 + ww > width {
            out.push(std::mem::take(&mut current));
            current.push_str(lead);
            current.push_str("  ");
            current_width = lead.width() + 2;
            has_word = false;
        }
        if has_word {
            current.push(' ');
            current_width += 1;
        }
        current.push_str(word);
        current_width += ww;
        has_word = true;
    }
    if has_word {
        out.push(current);
    }
}

/// The detail cell: the detail, then the hint, then where the check was written (failures and errors).
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
    let mut wrapped = Vec::with_capacity(lines.len());
    for line in safe::visible_lines(&lines.join("\n")).lines() {
        wrap(line, DETAIL_WIDTH, &mut wrapped);
    }
    wrapped.join("\n")
}

/// Render `report` as tables followed by the summary line (always the last line, never coloured).
pub fn render(report: &Report, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let (components, others): (Vec<&CheckResult>, Vec<&CheckResult>) = report
        .results
        .iter()
        .filter(|r| !report.only_problems || r.status != Status::Pass)
        .partition(|r| r.component.is_some());

    if !components.is_empty() {
        let rows = components
            .iter()
            .filter_map(|r| {
                r.component.as_ref().map(|c| Row {
                    cells: vec![
                        safe::visible_line(&c.component).into_owned(),
                        c.count.to_string(),
                        c.expected.to_string(),
                        status_token(r.status).to_string(),
                    ],
                    status: r.status,
                })
            })
            .collect();
        let table = MarkdownTable {
            header: vec!["component_type", "count", "expected", "status"],
            rows,
            status_col: 3,
        };
        table.write(color, w)?;
        writeln!(w)?;
    }

    if !others.is_empty() {
        let with_level = others.iter().any(|r| r.level.is_some());
        let mut header = vec!["check", "status"];
        if with_level {
            header.push("level");
        }
        header.push("detail");
        let rows = others
            .iter()
            .map(|r| {
                let mut cells = vec![
                    safe::visible_line(&r.id).into_owned(),
                    status_token(r.status).to_string(),
                ];
                if with_level {
                    cells.push(r.level.map(level_name).unwrap_or("").to_string());
                }
                cells.push(detail_cell(r));
                Row {
                    cells,
                    status: r.status,
                }
            })
            .collect();
        let table = MarkdownTable {
            header,
            rows,
            status_col: 1,
        };
        table.write(color, w)?;
        writeln!(w)?;
    }

    writeln!(w, "{}", report.summary_line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use comfy_table::{presets::ASCII_MARKDOWN, ContentArrangement, Table};

    /// The same rows through comfy-table's ASCII_MARKDOWN preset.
    fn comfy(header: &[&str], rows: &[Vec<&str>]) -> String {
        let mut t = Table::new();
        t.load_preset(ASCII_MARKDOWN)
            .set_content_arrangement(ContentArrangement::Disabled)
            .force_no_tty();
        t.set_header(header.to_vec());
        for r in rows {
            t.add_row(r.clone());
        }
        let mut out = String::new();
        for l in t.lines() {
            out.push_str(l.trim_end());
            out.push('\n');
        }
        out
    }

    fn ours(header: &[&'static str], rows: &[Vec<&str>], color: bool) -> String {
        let table = MarkdownTable {
            header: header.to_vec(),
            rows: rows
                .iter()
                .map(|r| Row {
                    cells: r.iter().map(|c| c.to_string()).collect(),
                    status: Status::Fail,
                })
                .collect(),
            status_col: 1,
        };
        let mut buf = Vec::new();
        table.write(color, &mut buf).unwrap_or_default();
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn same_layout_as_comfy_table_ascii_markdown() {
        let header = ["check", "status", "detail"];
        let rows = vec![
            vec!["rls-chat", "✅ PASS", "RLS enabled on 3 tables"],
            vec![
                "policies-ChatMessage",
                "❌ FAIL",
                "missing policy \"System can log chat activity\" (INSERT)\npresent: \"Users can view\" (SELECT)\nat x.toml:3:1",
            ],
            vec!["scénario-ü", "❗ ERROR", ""],
            vec!["宽字符", "✅ PASS", "détail ]]> <tag>"],
        ];
        assert_eq!(ours(&header, &rows, false), comfy(&header, &rows));
        let header = ["component_type", "count", "expected", "status"];
        let rows = vec![
            vec!["RLS Policies", "10", "11", "❌ FAIL"],
            vec!["Tables", "3", ">= 1", "✅ PASS"],
        ];
        let table = MarkdownTable {
            header: header.to_vec(),
            rows: rows
                .iter()
                .map(|r| Row {
                    cells: r.iter().map(|c| c.to_string()).collect(),
                    status: Status::Pass,
                })
                .collect(),
            status_col: 3,
        };
        let mut buf = Vec::new();
        table.write(false, &mut buf).unwrap_or_default();
        assert_eq!(
            String::from_utf8(buf).unwrap_or_default(),
            comfy(&header, &rows)
        );
    }

    #[test]
    fn colour_wraps_only_the_status_cell_of_the_first_line() {
        let header = ["check", "status", "detail"];
        let rows = vec![vec!["a", "❌ FAIL", "one\ntwo"]];
        let coloured = ours(&header, &rows, true);
        let lines: Vec<&str> = coloured.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("| a     | \x1b["));
        assert!(!lines[3].contains('\x1b'));
        assert!(!lines[0].contains('\x1b'));
    }

    #[test]
    fn long_detail_lines_wrap_at_spaces() {
        let mut out = Vec::new();
        wrap("aaa bbb ccc ddd", 8, &mut out);
        assert_eq!(out, vec!["aaa bbb", "  ccc", "  ddd"]);
        out.clear();
        wrap("short", 8, &mut out);
        assert_eq!(out, vec!["short"]);
        out.clear();
        wrap("averyveryverylongword x", 8, &mut out);
        assert_eq!(out, vec!["averyveryverylongword", "  x"]);
        out.clear();
        wrap("  indented text here", 10, &mut out);
        assert_eq!(out, vec!["  indented", "    text", "    here"]);
    }

    #[test]
    fn control_characters_from_results_are_shown_not_obeyed() {
        let mut r = CheckResult::new(
            "id\x1b[2J",
            "sql",
            Status::Error,
            "raised:\tboom\x1b]0;pwned\x07\nline 2\r\u{202e}",
        );
        r.hint = Some("fix\x1b[8m".into());
        let mut report = Report::new("verify", "db");
        report.results.push(r);
        let mut buf = Vec::new();
        render(&report, true, &mut buf).unwrap_or_default();
        let text = String::from_utf8(buf).unwrap_or_default();
        assert!(text.contains("id\\x1b[2J"), "{text}");
        assert!(text.contains("raised: boom\\x1b]0;pwned\\x07"), "{text}");
        assert!(text.contains("line 2\\r\\u{202e}"), "{text}");
        assert!(text.contains("hint: fix\\x1b[8m"), "{text}");
        // The only escapes left are the status colour's (SGR `m` sequences around the status cell).
        let stripped = text
            .replace("\x1b[31m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[1m", "");
        let stripped = stripped
            .replace("\x1b[39m", "")
            .replace("\x1b[22m", "")
            .replace("\x1b[0m", "");
        assert!(
            !stripped.chars().any(|c| c != '\n' && safe::hazardous(c)),
            "{stripped:?}"
        );
    }
}
