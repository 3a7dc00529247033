//! Renderers of a migration lint outcome: text (`file:line:col rule (level) message` and its fix),
//! JSON, SARIF 2.1.0 and GitHub Actions workflow commands. Pure functions over a writer; colour is
//! decided by the caller. Must not decide the exit code nor touch files.
//!
//! SARIF and GitHub output are written here for lint findings (file:line:col); when `diagnose`
//! gets its own in `crate::report`, the two can share the escaping and the SARIF skeleton.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

use super::{Finding, Outcome, RULES};
use crate::report::Level;

/// What was linted, for the summary and the machine formats.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
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
pub fn summary(o: &Outcome, scope: &Scope) -> String {
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
pub fn text(o: &Outcome, scope: &Scope, color: bool, w: &mut impl Write) -> io::Result<()> {
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
            f.file.display(),
            f.line,
            f.col,
            f.rule,
            f.message
        )?;
        writeln!(w, "  fix: {}", f.fix)?;
    }
    writeln!(w, "{}", summary(o, scope))
}

/// One JSON document.
pub fn json_doc(o: &Outcome, scope: &Scope, exit_code: u8) -> serde_json::Value {
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

pub fn json(o: &Outcome, scope: &Scope, exit_code: u8, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &json_doc(o, scope, exit_code))?;
    writeln!(w)
}

/// A path as a SARIF/GitHub relative URI (forward slashes).
fn uri(f: &Finding) -> String {
    f.file.to_string_lossy().replace('\\', "/")
}

/// SARIF 2.1.0: one run, the rules as its driver's rules, one result per finding.
pub fn sarif(o: &Outcome, w: &mut impl Write) -> io::Result<()> {
    let sarif_level = |l: Level| match l {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "note",
    };
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": { "text": r.what },
                "fullDescription": { "text": r.why },
                "help": { "text": r.fix },
                "defaultConfiguration": { "level": sarif_level(r.level) },
            })
        })
        .chain(std::iter::once(json!({
            "id": super::SYNTAX_ERROR,
            "shortDescription": { "text": "a file PostgreSQL's parser rejects" },
            "defaultConfiguration": { "level": "error" },
        })))
        .collect();
    let results: Vec<serde_json::Value> = o
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": sarif_level(f.level),
                "message": { "text": format!("{}. Fix: {}", f.message, f.fix) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(f) },
                        "region": { "startLine": f.line, "startColumn": f.col },
                    }
                }],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "deskctl",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// GitHub's escaping of a workflow command's message.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// ... and of a property value.
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=F,line=L,col=C,title=RULE::message%0Afix: ...`, one per finding.
pub fn github(o: &Outcome, scope: &Scope, w: &mut impl Write) -> io::Result<()> {
    for f in &o.findings {
        let cmd = match f.level {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "notice",
        };
        writeln!(
            w,
            "::{cmd} file={},line={},col={},title={}::{}",
            gh_prop(&uri(f)),
            f.line,
            f.col,
            gh_prop(&format!("deskctl lint {}", f.rule)),
            gh_data(&format!("{}\nfix: {}", f.message, f.fix))
        )?;
    }
    writeln!(w, "{}", summary(o, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::{lint, testkit::set_of};

    fn sample() -> (Outcome, Scope) {
        let set = set_of(&[(
            "m/V1__a.sql",
            "create table notes (id int);\ncreate index on old (a);",
        )]);
        let o = lint(&set, &[]);
        let scope = Scope {
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
        assert_eq!(v["version"], "2.1.0");
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
        assert_eq!(gh_prop("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
    }
}
