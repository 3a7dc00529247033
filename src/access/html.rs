//! The HTML rendering of an access matrix: one self-contained page (inline CSS, no script, no
//! network) a DBA can open or attach to a ticket. Every text from the catalog is escaped. Pure.

use std::io::{self, Write};

use super::{cell_text, heading, policy_line, table::one_line, Access, Cell, Matrix, COMMANDS};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1em}\
th,td{border:1px solid #bbb;padding:.3em .6em;vertical-align:top;text-align:left}\
th{background:#eee}td.no{color:#777}td.all{background:#fde2c8}td.bypass{background:#e6d8f5}\
td.rows{background:#dff3df}td.denied{background:#f3f3f3;color:#a00}td.view{background:#e3eefc}\
td small{display:block;color:#555;font-family:ui-monospace,monospace;white-space:pre-wrap}\
code{font-family:ui-monospace,monospace;background:#f5f5f5;padding:0 .2em}\
.dead{color:#a00}.legend span{padding:0 .4em;margin-right:.5em;border:1px solid #bbb}";

pub fn render(m: &Matrix, w: &mut dyn Write) -> io::Result<()> {
    let title = format!("deskctl access: {}", m.schemas.join(", "));
    writeln!(w, "<!DOCTYPE html>")?;
    writeln!(w, "<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    writeln!(w, "<title>{}</title>", esc(&title))?;
    writeln!(w, "<style>{STYLE}</style></head><body>")?;
    writeln!(w, "<h1>{}</h1>", esc(&title))?;
    writeln!(
        w,
        "<p>Database: <code>{}</code>. Roles: {}.</p>",
        esc(&m.target),
        {
            m.roles
                .iter()
                .map(|r| format!("<code>{}</code>", esc(&r.name)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )?;
    if let Some(p) = &m.persona {
        writeln!(
            w,
            "<p><strong>{}</strong></p>",
            esc(&super::persona_line(p))
        )?;
    }
    writeln!(
        w,
        "<p class=\"legend\"><span class=\"no\">no grant</span><span style=\"background:#fde2c8\">all rows</span>\
<span style=\"background:#e6d8f5\">all (bypasses RLS)</span><span style=\"background:#dff3df\">rows the policies allow</span>\
<span style=\"background:#f3f3f3;color:#a00\">grant, but RLS denies every row</span><span style=\"background:#e3eefc\">view</span></p>"
    )?;
    for r in &m.relations {
        writeln!(w, "<h2>{}</h2>", esc(&heading(r)))?;
        write!(w, "<table><thead><tr><th>role</th>")?;
        for c in COMMANDS {
            write!(w, "<th>{}</th>", c.sql())?;
        }
        writeln!(w, "</tr></thead><tbody>")?;
        for row in &r.rows {
            write!(w, "<tr><th>{}</th>", esc(&row.role))?;
            for c in &row.cells {
                write!(w, "<td class=\"{}\">{}", class(c), esc(&cell_text(c)))?;
                if let Access::Rows {
                    using, with_check, ..
                } = &c.access
                {
                    if let Some(u) = using {
                        write!(w, "<small>using {}</small>", esc(&one_line(u)))?;
                    }
                    if let Some(k) = with_check {
                        write!(w, "<small>check {}</small>", esc(&one_line(k)))?;
                    }
                }
                write!(w, "</td>")?;
            }
            writeln!(w, "</tr>")?;
        }
        writeln!(w, "</tbody></table>")?;
        if !r.policies.is_empty() {
            writeln!(w, "<ol>")?;
            for p in &r.policies {
                write!(
                    w,
                    "<li{}>{}",
                    if p.dead { " class=\"dead\"" } else { "" },
                    esc(&policy_line(p))
                )?;
                if let Some(u) = &p.using {
                    write!(w, "<br>using <code>{}</code>", esc(&one_line(u)))?;
                }
                if let Some(k) = &p.with_check {
                    write!(w, "<br>with check <code>{}</code>", esc(&one_line(k)))?;
                }
                writeln!(w, "</li>")?;
            }
            writeln!(w, "</ol>")?;
        }
    }
    writeln!(w, "<ul>")?;
    let probe_notes = if m.persona.is_some() {
        super::PROBE_NOTES
    } else {
        &[]
    };
    for n in probe_notes.iter().chain(super::NOTES) {
        writeln!(w, "<li>{}</li>", esc(n))?;
    }
    writeln!(w, "</ul>")?;
    writeln!(w, "</body></html>")
}

fn class(c: &Cell) -> &'static str {
    match c.access {
        Access::No { .. } => "no",
        Access::All { .. } => "all",
        Access::Bypass { .. } => "bypass",
        Access::Rows { .. } => "rows",
        Access::Denied => "denied",
        Access::View { .. } => "view",
    }
}

/// HTML-escape text for element content and double-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
