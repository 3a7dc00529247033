//! The terminal rendering of an access matrix: per relation a heading, a `role | SELECT | ... |`
//! table (comfy-table, ASCII_MARKDOWN layout, fixed width) and the numbered policies with their
//! USING / WITH CHECK. Pure: writes to the writer it is given, no colour, no terminal queries.

use std::io::{self, Write};

use comfy_table::{presets::ASCII_MARKDOWN, ContentArrangement, Table};

use super::{cell_text, heading, policy_line, Matrix, COMMANDS};

pub fn render(m: &Matrix, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "access in {} ({} relation{}, {} role{})",
        m.schemas.join(", "),
        m.relations.len(),
        if m.relations.len() == 1 { "" } else { "s" },
        m.roles.len(),
        if m.roles.len() == 1 { "" } else { "s" },
    )?;
    if let Some(p) = &m.persona {
        writeln!(w, "{}", super::persona_line(p))?;
    }
    for r in &m.relations {
        writeln!(w)?;
        writeln!(w, "{}", heading(r))?;
        let mut t = Table::new();
        t.load_preset(ASCII_MARKDOWN)
            .set_content_arrangement(ContentArrangement::Disabled)
            .force_no_tty();
        let mut header = vec!["role"];
        header.extend(COMMANDS.iter().map(|c| c.sql()));
        t.set_header(header);
        for row in &r.rows {
            let mut cells = vec![row.role.clone()];
            cells.extend(row.cells.iter().map(cell_text));
            t.add_row(cells);
        }
        for l in t.lines() {
            writeln!(w, "{}", l.trim_end())?;
        }
        for (i, p) in r.policies.iter().enumerate() {
            writeln!(w, "  [{}] {}", i + 1, policy_line(p))?;
            if let Some(u) = &p.using {
                writeln!(w, "      using:      {}", one_line(u))?;
            }
            if let Some(c) = &p.with_check {
                writeln!(w, "      with check: {}", one_line(c))?;
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
        writeln!(w, "note: {n}")?;
    }
    Ok(())
}

/// Deparsed expressions span lines; the terminal legend shows each on one.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
