//! The markdown rendering of an access matrix (to paste into a pull request): a heading per
//! relation, a GitHub table of roles × commands, and the policies as a numbered list with their
//! expressions in code spans. Pure; everything from the catalog is escaped for markdown.

use std::io::{self, Write};

use super::{cell_text, heading, policy_line, table::one_line, Matrix, COMMANDS};

pub fn render(m: &Matrix, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "## Access in {}", text(&m.schemas.join(", ")))?;
    writeln!(w)?;
    writeln!(
        w,
        "Roles: {}. Cells: `no` (no grant), `all`, `all (bypass: …)`, `rows: [n]` (the policies \
that apply: permissive ORed, restrictive ANDed), `none: denied by RLS` (a grant, but no policy).",
        m.roles
            .iter()
            .map(|r| format!("`{}`", code(&r.name)))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if let Some(p) = &m.persona {
        writeln!(w)?;
        writeln!(w, "**{}**", text(&super::persona_line(p)))?;
    }
    for r in &m.relations {
        writeln!(w)?;
        writeln!(w, "### {}", text(&heading(r)))?;
        writeln!(w)?;
        let mut header = vec!["role"];
        header.extend(COMMANDS.iter().map(|c| c.sql()));
        writeln!(w, "| {} |", header.join(" | "))?;
        writeln!(w, "|{}", "---|".repeat(header.len()))?;
        for row in &r.rows {
            let mut cells = vec![format!("`{}`", code(&row.role))];
            cells.extend(row.cells.iter().map(|c| text(&cell_text(c))));
            writeln!(w, "| {} |", cells.join(" | "))?;
        }
        if !r.policies.is_empty() {
            writeln!(w)?;
        }
        for (i, p) in r.policies.iter().enumerate() {
            writeln!(w, "{}. {}", i + 1, text(&policy_line(p)))?;
            if let Some(u) = &p.using {
                writeln!(w, "   - using: {}", code_span(&one_line(u)))?;
            }
            if let Some(c) = &p.with_check {
                writeln!(w, "   - with check: {}", code_span(&one_line(c)))?;
            }
        }
    }
    writeln!(w)?;
    let probe_notes = if m.persona.is_some() {
        super::PROBE_NOTES
    } else {
        &[]
    };
    for n in probe_notes.iter().chain(super::NOTES) {
        writeln!(w, "- {}", text(n))?;
    }
    Ok(())
}

/// Text outside code: characters markdown would interpret are backslash-escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inside a code span in a table cell: only `|` needs escaping (GitHub), backticks are avoided by
/// the span's fence.
fn code(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span whose fence is longer than any run of backticks inside.
pub fn code_span(s: &str) -> String {
    let s = code(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}
