//! `deskctl status`: every migration with its state (applied at, pending, divergent, missing),
//! then every repeatable migration (applied, pending, removed), as a table or one JSON document. Reads the history without ever creating it. Must not write.

use std::path::PathBuf;

use serde::Serialize;

use super::history::{StatusRow, VersionState};
use super::repeatable;
use super::source::Layout;
use crate::report::safe::visible_line;

/// Counts for the summary line and `--exit-code`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub applied: usize,
    pub pending: usize,
    pub divergent: usize,
    pub missing: usize,
    pub repeatable_applied: usize,
    pub repeatable_pending: usize,
    /// Applied repeatables whose file is gone (reported, not something `migrate` acts on).
    pub repeatable_removed: usize,
}

impl Summary {
    pub fn of(rows: &[StatusRow], repeatables: &[repeatable::Row]) -> Summary {
        let mut s = Summary::default();
        for r in rows {
            match r.state {
                VersionState::Applied { .. } => s.applied += 1,
                VersionState::Pending { .. } => s.pending += 1,
                VersionState::Divergent { .. } => s.divergent += 1,
                VersionState::Missing { .. } => s.missing += 1,
            }
        }
        for r in repeatables {
            match r.state {
                repeatable::RepeatableState::Applied { .. } => s.repeatable_applied += 1,
                repeatable::RepeatableState::Pending { .. } => s.repeatable_pending += 1,
                repeatable::RepeatableState::Removed { .. } => s.repeatable_removed += 1,
            }
        }
        s
    }

    /// Anything that `migrate` would apply or refuse (a removed repeatable is neither).
    pub fn out_of_sync(&self) -> bool {
        self.pending + self.divergent + self.missing + self.repeatable_pending > 0
    }
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
pub struct StatusDoc {
    pub command: &'static str,
    pub target: String,
    pub history_table: String,
    /// False for a database that was never migrated.
    pub history_exists: bool,
    pub directory: PathBuf,
    pub layout: Option<Layout>,
    pub database_version: Option<i64>,
    pub migrations: Vec<StatusRow>,
    /// Repeatable migrations (`R__name.sql`), in name order, then removed ones.
    pub repeatables: Vec<repeatable::Row>,
    pub summary: Summary,
}

fn repeatable_text(s: &repeatable::RepeatableState) -> String {
    use repeatable::RepeatableState as R;
    let times = |runs: i64| match runs {
        1 => String::new(),
        n => format!(", {n} runs"),
    };
    match s {
        R::Applied { applied_on, runs } => format!("applied at {applied_on}{}", times(*runs)),
        R::Pending {
            applied_on: Some(at),
            ..
        } => format!("pending (changed since applied at {at})"),
        R::Pending { .. } => "pending (never applied)".into(),
        R::Removed { applied_on, .. } => {
            format!("removed (applied at {applied_on}, no file; not undone)")
        }
    }
}

fn paint_repeatable(text: String, s: &repeatable::RepeatableState, color: bool) -> String {
    use owo_colors::OwoColorize;
    match (color, s) {
        (false, _) => text,
        (true, repeatable::RepeatableState::Applied { .. }) => text.green().to_string(),
        (true, _) => text.yellow().to_string(),
    }
}

fn state_text(s: &VersionState) -> String {
    match s {
        VersionState::Applied { applied_on } if applied_on == super::history::BY_SUPABASE_CLI => {
            format!("applied {applied_on}")
        }
        VersionState::Applied { applied_on } => format!("applied at {applied_on}"),
        VersionState::Pending {
            out_of_order: false,
        } => "pending".into(),
        VersionState::Pending { out_of_order: true } => {
            "pending (below the highest applied version: migrate refuses)".into()
        }
        VersionState::Divergent { applied_on, what } => {
            format!("divergent ({what} since applied at {applied_on})")
        }
        VersionState::Missing { applied_on } => {
            format!("missing (applied at {applied_on}, no file)")
        }
    }
}

fn paint(text: String, state: &VersionState, color: bool) -> String {
    use owo_colors::OwoColorize;
    if !color {
        return text;
    }
    match state {
        VersionState::Applied { .. } => text.green().to_string(),
        VersionState::Pending {
            out_of_order: false,
        } => text.yellow().to_string(),
        _ => text.red().to_string(),
    }
}

/// The table: `VERSION  NAME  STATE`, then a summary line.
/// Names come from file names and the history table (either may be hostile): shown through
/// `report::safe::visible_line`.
pub fn render_table(doc: &StatusDoc, color: bool) -> String {
    let vw = doc
        .migrations
        .iter()
        .map(|r| r.version.to_string().len())
        .max()
        .unwrap_or(0)
        .max("VERSION".len());
    let nw = doc
        .migrations
        .iter()
        .map(|r| visible_line(&r.name).chars().count())
        .chain(
            doc.repeatables
                .iter()
                .map(|r| visible_line(&r.name).chars().count()),
        )
        .max()
        .unwrap_or(0)
        .max("NAME".len());
    let mut out = String::new();
    out.push_str(&format!("{:<vw$}  {:<nw$}  STATE\n", "VERSION", "NAME"));
    for r in &doc.migrations {
        out.push_str(&format!(
            "{:<vw$}  {:<nw$}  {}\n",
            r.version,
            visible_line(&r.name),
            paint(
                visible_line(&state_text(&r.state)).into_owned(),
                &r.state,
                color
            )
        ));
    }
    // Repeatables: `R` in the version column (they have none).
    for r in &doc.repeatables {
        out.push_str(&format!(
            "{:<vw$}  {:<nw$}  {}\n",
            "R",
            visible_line(&r.name),
            paint_repeatable(
                visible_line(&repeatable_text(&r.state)).into_owned(),
                &r.state,
                color
            )
        ));
    }
    let s = doc.summary;
    let mut parts = vec![
        format!("{} applied", s.applied),
        format!("{} pending", s.pending),
    ];
    if s.divergent > 0 {
        parts.push(format!("{} divergent", s.divergent));
    }
    if s.missing > 0 {
        parts.push(format!("{} missing", s.missing));
    }
    let mut reps = String::new();
    if !doc.repeatables.is_empty() {
        reps = format!(
            "; {} repeatable(s): {} applied, {} pending",
            doc.repeatables.len(),
            s.repeatable_applied,
            s.repeatable_pending
        );
        if s.repeatable_removed > 0 {
            reps.push_str(&format!(", {} removed", s.repeatable_removed));
        }
    }
    let at = match doc.database_version {
        Some(v) => format!("database at version {v}"),
        None if doc.history_exists => "no migration applied".to_string(),
        None => format!("never migrated (no {} table)", doc.history_table),
    };
    out.push_str(&format!(
        "{} migration(s): {}{reps}; {} ({})\n",
        doc.migrations.len(),
        parts.join(", "),
        at,
        doc.target
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration name (a file name, or a row of the history table) or a history timestamp
    /// holding terminal controls is shown escaped, and the columns stay aligned.
    #[test]
    fn hostile_names_are_shown_not_obeyed() {
        let row = |version, name: &str, state| StatusRow {
            version,
            name: name.to_string(),
            file: None,
            state,
        };
        let doc = StatusDoc {
            command: "status",
            target: "t".into(),
            history_table: "h".into(),
            history_exists: true,
            directory: PathBuf::from("m"),
            layout: None,
            database_version: Some(1),
            migrations: vec![
                row(
                    1,
                    "evil\x1b]0;pwned\x07\u{202e}",
                    VersionState::Applied {
                        applied_on: "2026\x1b[2J".into(),
                    },
                ),
                row(
                    2,
                    "plain",
                    VersionState::Pending {
                        out_of_order: false,
                    },
                ),
            ],
            repeatables: vec![],
            summary: Summary::default(),
        };
        let out = render_table(&doc, false);
        assert!(
            !out.chars()
                .any(|c| c != '\n' && crate::report::safe::hazardous(c)),
            "{out:?}"
        );
        assert!(out.contains("evil\\x1b]0;pwned\\x07\\u{202e}"), "{out}");
        assert!(out.contains("applied at 2026\\x1b[2J"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let col = |l: &str| l.find("applied").or_else(|| l.find("pending")).unwrap();
        assert_eq!(col(lines[1]), col(lines[2]), "{out}");
    }
}
