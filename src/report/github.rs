//! GitHub Actions workflow annotations (`::error file=F,line=L,col=C,title=T::message`), shared
//! by `lint`, `verify` and `diagnose`: GitHub's escaping rules and one annotation per problem.
//! Pure functions over a writer; must not decide exit codes nor read files.
//!
//! Escaping follows the runner's `@actions/core` (`escapeData` / `escapeProperty`): `%`, `\r` and
//! `\n` everywhere, and `:` and `,` in property values as well, so a hostile name can neither end
//! the command early nor smuggle another property in.

use std::io::{self, Write};

use super::{CheckResult, Level, Report, Status};

/// A workflow command's message, escaped: `%`, CR and LF as the runner decodes them, and every
/// other control or bidi character as a visible escape (`\x1b`), so a hostile server message
/// cannot recolour or reorder the job log.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if super::safe::hazardous(c) => super::safe::push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value (`file=`, `title=`), escaped.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Where an annotation points: a file position, or nowhere (GitHub then shows it on the run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Relative to the repository root, forward slashes.
    pub file: String,
    pub line: usize,
    pub col: usize,
}

/// One annotation.
#[derive(Debug, Clone)]
pub struct Annotation {
    pub level: Level,
    pub position: Option<Position>,
    pub title: String,
    pub message: String,
}

/// The workflow command of a level: `error`, `warning`, `notice`.
pub fn command(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "notice",
    }
}

/// One `::level file=...,line=...,col=...,title=...::message` line.
pub fn write_annotation(a: &Annotation, w: &mut dyn Write) -> io::Result<()> {
    let mut props = Vec::new();
    if let Some(p) = &a.position {
        props.push(format!("file={}", escape_property(&p.file)));
        if p.line > 0 {
            props.push(format!("line={}", p.line));
            if p.col > 0 {
                props.push(format!("col={}", p.col));
            }
        }
    }
    props.push(format!("title={}", escape_property(&a.title)));
    writeln!(
        w,
        "::{} {}::{}",
        command(a.level),
        props.join(","),
        escape_data(&a.message)
    )
}

/// A path as a relative URI-ish string: forward slashes, `./` dropped, relative to the current
/// directory when it lies below it (GitHub resolves annotation paths from the repository root,
/// which is where CI runs deskctl).
pub fn relative_path(p: &std::path::Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.to_path_buf()))
        .unwrap_or_else(|| p.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The level a failed check or finding is annotated at: a diagnose finding's own level, else
/// error (a failed or broken verify check fails the run).
pub fn level_of(r: &CheckResult) -> Level {
    r.level.unwrap_or(Level::Error)
}

/// The annotation of one result that did not pass.
pub fn annotation(report: &Report, r: &CheckResult) -> Annotation {
    let position = r.location.as_ref().map(|l| Position {
        file: relative_path(&l.file),
        line: l.line,
        col: l.col,
    });
    let title = match &r.object {
        Some(o) => format!("deskctl {} {}: {o}", report.command, r.kind),
        None => format!("deskctl {} {}", report.command, r.id),
    };
    let mut message = r.detail.clone();
    if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
        message = format!("{d}\n{message}");
    }
    if let Some(h) = r.hint.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        message.push_str(&format!("\nfix: {h}"));
    }
    Annotation {
        level: level_of(r),
        position,
        title,
        message,
    }
}

/// One annotation per failed or broken result (passing ones are not annotated), then the summary
/// line as plain log text.
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for r in report.results.iter().filter(|r| r.status != Status::Pass) {
        write_annotation(&annotation(report, r), w)?;
    }
    writeln!(w, "{}", report.summary_line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Location;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut v = Vec::new();
        f(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escaping_follows_github_rules() {
        assert_eq!(escape_data("50%\r\nx: a,b"), "50%25%0D%0Ax: a,b");
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        // Escaping `%` first: an already-escaped-looking text is not decoded by GitHub.
        assert_eq!(escape_data("%0A"), "%250A");
        // Other controls and bidi overrides are shown, not obeyed by the log viewer.
        assert_eq!(
            escape_data("a\x1b[31mred\u{202e}x\t"),
            "a\\x1b[31mred\\u{202e}x\\t"
        );
        assert_eq!(escape_property("t\x07:"), "t\\x07%3A");
    }

    #[test]
    fn annotation_with_and_without_position() {
        let a = Annotation {
            level: Level::Warn,
            position: Some(Position {
                file: "dir, odd:name.sql".into(),
                line: 3,
                col: 7,
            }),
            title: "t,1:2".into(),
            message: "line 1\nline 2 :: 100%".into(),
        };
        assert_eq!(
            text(|w| write_annotation(&a, w)),
            "::warning file=dir%2C odd%3Aname.sql,line=3,col=7,title=t%2C1%3A2::line 1%0Aline 2 :: 100%25\n"
        );
        let b = Annotation {
            level: Level::Info,
            position: None,
            ..a
        };
        assert_eq!(
            text(|w| write_annotation(&b, w)),
            "::notice title=t%2C1%3A2::line 1%0Aline 2 :: 100%25\n"
        );
    }

    #[test]
    fn report_annotates_only_problems_one_line_each() {
        let mut rep = Report::new("verify", "x");
        rep.results
            .push(CheckResult::new("ok", "rls", Status::Pass, "fine"));
        let mut bad = CheckResult::new("pol,1", "policies", Status::Fail, "missing\n\"p%\"");
        bad.location = Some(Location {
            file: "checks/a.toml".into(),
            line: 12,
            col: 1,
        });
        rep.results.push(bad);
        rep.results.push(CheckResult::new(
            "boom",
            "scenario",
            Status::Error,
            "could not run: 42883",
        ));
        let t = text(|w| render(&rep, w));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert_eq!(
            lines[0],
            "::error file=checks/a.toml,line=12,col=1,title=deskctl verify pol%2C1::missing%0A\"p%25\""
        );
        assert_eq!(
            lines[1],
            "::error title=deskctl verify boom::could not run: 42883"
        );
        assert_eq!(lines[2], "1 passed, 1 failed, 1 errors");
    }
}
