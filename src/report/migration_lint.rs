//! Renderers of a migration lint outcome: text (`file:line:col rule (level) message` and its fix),
//! JSON, SARIF 2.1.0 and GitHub Actions workflow commands. Pure functions over a writer; colour is
//! decided by the caller. Must not decide the exit code nor touch files.
//!
//! SARIF and GitHub output go through the renderers `verify` and `diagnose` use too
//! (`super::{sarif, github}`): one escaping, one SARIF skeleton. It lives here, beside them, so
//! that `lint` finds and `report` words (issue 11).

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

use super::{github, sarif, Level, RuleInfo};
use crate::lint::migration::{GateOutcome, MigrationFinding, RULES};

/// What was linted, for the summary and the machine formats.
#[derive(Debug, Clone, Serialize)]
pub struct Linted {
    /// `pending` (files the database has not applied) or `all`.
    pub scope: &'static str,
    pub files: Vec<PathBuf>,
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "info",
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The one-line summary.
pub fn summary(o: &GateOutcome, scope: &Linted) -> String {
    let files = plural(scope.files.len(), &format!("{} file", scope.scope));
    let mut s = if o.findings.is_empty() {
        format!("no problems in {files}")
    } else {
        let mut parts = vec![plural(o.count(Level::Error), "error")];
        parts.push(plural(o.count(Level::Warn), "warning"));
        if o.count(Level::Info) > 0 {
            parts.push(plural(o.count(Level::Info), "note"));
        }
        format!("{} in {files}", parts.join(", "))
    };
    if o.suppressed > 0 {
        s.push_str(&format!(
            " ({} suppressed by -- deskctl:allow)",
            o.suppressed
        ));
    }
    s
}

/// `file:line:col rule (level) message`, then `  fix: ...`, then the summary.
pub fn text(o: &GateOutcome, scope: &Linted, color: bool, w: &mut impl Write) -> io::Result<()> {
    use crate::report::safe::{visible_line, visible_lines};
    use owo_colors::OwoColorize;
    for f in &o.findings {
        let level = level_word(f.level);
        let level = match (color, f.level) {
            (false, _) => level.to_string(),
            (true, Level::Error) => level.red().bold().to_string(),
            (true, Level::Warn) => level.yellow().to_string(),
            (true, Level::Info) => level.blue().to_string(),
        };
        writeln!(
            w,
            "{}:{}:{} {} ({level}) {}",
            visible_line(&f.file.display().to_string()),
            f.line,
            f.col,
            f.rule,
            visible_lines(&f.message)
        )?;
        writeln!(w, "  fix: {}", visible_lines(&f.fix))?;
    }
    writeln!(w, "{}", summary(o, scope))
}

/// One JSON document.
pub fn json_doc(o: &GateOutcome, scope: &Linted, exit_code: u8) -> serde_json::Value {
    json!({
        "command": "lint",
        "scope": scope.scope,
        "files": scope.files,
        "findings": o.findings,
        "summary": {
            "errors": o.count(Level::Error),
            "warnings": o.count(Level::Warn),
            "suppressed": o.suppressed,
            "disabled": o.disabled,
        },
        "exit_code": exit_code,
    })
}

pub fn json(o: &GateOutcome, scope: &Linted, exit_code: u8, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &json_doc(o, scope, exit_code))?;
    writeln!(w)
}

/// A path as a SARIF/GitHub relative URI (forward slashes).
fn uri(f: &MigrationFinding) -> String {
    github::relative_path(&f.file)
}

/// The lint rules as the machine formats describe them, with the syntax-error pseudo-rule.
fn rule_infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|r| r.info())
        .chain(std::iter::once(RuleInfo {
            id: crate::lint::migration::SYNTAX_ERROR.to_string(),
            level: Level::Error,
            what: "a file PostgreSQL's parser rejects".to_string(),
            why: String::new(),
            fix: String::new(),
        }))
        .collect()
}

/// SARIF 2.1.0 (`crate::report::sarif`): the rules as the driver's rules, one result per finding.
pub fn sarif(o: &GateOutcome, w: &mut impl Write) -> io::Result<()> {
    let items: Vec<sarif::Item> = o
        .findings
        .iter()
        .map(|f| sarif::Item {
            rule_id: f.rule.clone(),
            level: f.level,
            message: format!("{}. Fix: {}", f.message, f.fix),
            file: Some((uri(f), f.line, f.col)),
            object: None,
        })
        .collect();
    sarif::write("lint", &rule_infos(), &items, w)
}

/// `::error file=F,line=L,col=C,title=RULE::message%0Afix: ...` (`crate::report::github`), one per
/// finding, then the summary.
pub fn github(o: &GateOutcome, scope: &Linted, w: &mut impl Write) -> io::Result<()> {
    for f in &o.findings {
        let a = github::Annotation {
            level: f.level,
            position: Some(github::Position {
                file: uri(f),
                line: f.line,
                col: f.col,
            }),
            title: format!("deskctl lint {}", f.rule),
            message: format!("{}\nfix: {}", f.message, f.fix),
        };
        github::write_annotation(&a, w)?;
    }
    writeln!(w, "{}", summary(o, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::{lint, testkit::set_of};

    fn sample() -> (GateOutcome, Linted) {
        let set = set_of(&[(
            "m/V1__a.sql",
            "create table notes (id int);\ncreate index on old (a);",
        )]);
        let o = lint(&set, &[]);
        let scope = Linted {
            scope: "pending",
            files: vec!["m/V1__a.sql".into()],
        };
        (o, scope)
    }

    fn render(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut v = Vec::new();
        f(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn text_lines_are_file_line_col_rule_message_then_fix() {
        let (o, s) = sample();
        let t = render(|w| text(&o, &s, false, w));
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("m/V1__a.sql:1:1 table-without-rls (error) table public.notes"),
            "{t}"
        );
        assert_eq!(
            lines[1],
            "  fix: ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;"
        );
        assert!(
            lines[2].starts_with("m/V1__a.sql:2:1 index-not-concurrently (warning)"),
            "{t}"
        );
        assert_eq!(lines[4], "1 error, 1 warning in 1 pending file");
    }

    #[test]
    fn sarif_has_rules_results_and_regions() {
        let (o, _) = sample();
        let v: serde_json::Value = serde_json::from_str(&render(|w| sarif(&o, w))).unwrap();
        crate::report::sarif::check_required_fields(&v).unwrap();
        let run = &v["runs"][0];
        assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() > RULES.len() - 1);
        assert_eq!(run["results"][0]["ruleId"], "table-without-rls");
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(run["results"][1]["level"], "warning");
        let loc = &run["results"][1]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "m/V1__a.sql");
        assert_eq!(loc["region"]["startLine"], 2);
    }

    #[test]
    fn github_commands_are_escaped() {
        let (o, s) = sample();
        let t = render(|w| github(&o, &s, w));
        let first = t.lines().next().unwrap();
        assert!(first.starts_with("::error file=m/V1__a.sql,line=1,col=1,title=deskctl lint table-without-rls::table public.notes"), "{first}");
        assert!(first.contains("%0Afix: ALTER TABLE"), "{first}");
        assert_eq!(github::escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
    }
}
