//! The JSON renderer: the `Report` as-is (with `schema_version`) plus `totals` and `summary`, pretty-printed.
//! Owns the JSON envelope only; must not reshape results (the shape is the `Report` type's) or colour anything.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Totals};

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(flatten)]
    report: &'a Report,
    totals: Totals,
    summary: String,
}

/// Render `report` as pretty JSON followed by a newline.
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let env = Envelope {
        report,
        totals: report.totals(),
        summary: report.summary_line(),
    };
    serde_json::to_writer_pretty(&mut *w, &env).map_err(io::Error::other)?;
    writeln!(w)
}
