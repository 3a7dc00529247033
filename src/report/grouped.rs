//! diagnose's human output: the findings grouped by level (error, warn, info) then rule, each as
//! `error[rule-id] schema.object: message` with its `fix:` and, when deskctl found it, the
//! migration that created the object (`at: file:line:col`). A rule that fires on many objects
//! is one block with a count and an example, so a 1,000-table schema fits on a screen; `-v`
//! (`Report::list_all`) lists every finding. Rules that found nothing are not listed (only
//! counted) unless they carry a note, e.g. statistics too fresh to judge. The last line is the
//! summary every report ends with. Pure function over a writer; colour is decided by the caller.

use std::io::{self, Write};

use owo_colors::OwoColorize;

use super::{CheckResult, Level, Report, RuleInfo, Status};

/// A rule with more findings than this is shown as one block with a count (without `-v`).
pub const LIST_UP_TO: usize = 10;

/// Objects named in a collapsed block's first line.
const NAMED: usize = 3;

fn word(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
    }
}

fn paint(l: Level, s: &str, color: bool) -> String {
    match (color, l) {
        (false, _) => s.to_string(),
        (true, Level::Error) => s.red().bold().to_string(),
        (true, Level::Warn) => s.yellow().bold().to_string(),
        (true, Level::Info) => s.blue().to_string(),
    }
}

/// Continuation lines of a multi-line text, indented under their label; control characters
/// (escapes smuggled into names) dropped as in the table.
fn indent(s: &str) -> String {
    super::safe::visible_lines(s.trim_end()).replace('\n', "\n    ")
}

/// The finding's own message (without the rule's `why`, shown once per rule).
fn message(r: &CheckResult) -> &str {
    r.message.as_deref().unwrap_or(&r.detail)
}

fn object(r: &CheckResult) -> &str {
    r.object.as_deref().unwrap_or(&r.id)
}

/// `object: message` (a result without an object: its message alone).
fn headline(r: &CheckResult) -> String {
    match &r.object {
        Some(o) => format!("{o}: {}", message(r)),
        None => message(r).to_string(),
    }
}

fn at(r: &CheckResult) -> Option<String> {
    r.location
        .as_ref()
        .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.col))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The lines under a finding: the rule's `why` (when given: once per rule), the fix, the place.
fn details(r: &CheckResult, why_of: Option<&RuleInfo>, w: &mut dyn Write) -> io::Result<()> {
    if let Some(why) = why_of.map(|i| i.why.as_str()).filter(|s| !s.is_empty()) {
        writeln!(w, "  why: {}", indent(why))?;
    }
    if let Some(h) = r.hint.as_deref().filter(|h| !h.trim().is_empty()) {
        writeln!(w, "  fix: {}", indent(h))?;
    }
    if let Some(a) = at(r) {
        writeln!(w, "  at: {}", indent(&a))?;
    }
    Ok(())
}

pub fn render(report: &Report, color: bool, w: &mut dyn Write) -> io::Result<()> {
    // Findings by rule, in report order (rules come in level order), then stably by level.
    let mut groups: Vec<(&str, Level, Vec<&CheckResult>)> = Vec::new();
    for r in report.results.iter().filter(|r| r.status != Status::Pass) {
        let level = r.level.unwrap_or(Level::Error);
        match groups.iter_mut().find(|(k, _, _)| *k == r.kind) {
            Some(g) => g.2.push(r),
            None => groups.push((&r.kind, level, vec![r])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));

    for (kind, level, found) in &groups {
        let rule = report.rules.iter().find(|i| i.id == *kind);
        let tag = paint(*level, &format!("{}[{kind}]", word(*level)), color);
        if report.list_all || found.len() <= LIST_UP_TO {
            for (i, r) in found.iter().enumerate() {
                writeln!(w, "{tag} {}", indent(&headline(r)))?;
                details(r, rule.filter(|_| i == 0), w)?;
            }
        } else {
            let named: Vec<&str> = found.iter().take(NAMED).map(|r| object(r)).collect();
            let line = format!(
                "{}: {} and {} more",
                plural(found.len(), "object", "objects"),
                named.join(", "),
                found.len() - named.len()
            );
            writeln!(w, "{tag} {}", indent(&line))?;
            let first = found[0];
            writeln!(w, "  e.g. {}", indent(&headline(first)))?;
            details(first, rule, w)?;
        }
    }

    // Rules that found nothing: only those with something to say, unless -v.
    let mut quiet = 0;
    for r in report.results.iter().filter(|r| r.status == Status::Pass) {
        if report.list_all || !r.detail.starts_with("none found") {
            writeln!(w, "ok[{}] {}", r.kind, indent(&r.detail))?;
        } else {
            quiet += 1;
        }
    }

    let count = |l: Level| -> usize { groups.iter().filter(|g| g.1 == l).map(|g| g.2.len()).sum() };
    let rules_run = groups.len()
        + report
            .results
            .iter()
            .filter(|r| r.status == Status::Pass)
            .count();
    let mut summary = format!(
        "{}, {}, {} from {} of {} rules",
        plural(count(Level::Error), "error", "errors"),
        plural(count(Level::Warn), "warning", "warnings"),
        plural(count(Level::Info), "note", "notes"),
        groups.len(),
        rules_run
    );
    if quiet > 0 {
        summary.push_str(&format!(" ({quiet} found nothing)"));
    }
    let collapsed = groups.iter().any(|g| g.2.len() > LIST_UP_TO);
    if collapsed && !report.list_all {
        summary.push_str("; -v lists every finding, --format json|sarif|github for tools");
    }
    writeln!(w, "{summary}")?;
    // The last line is every report's summary (`N passed, M failed`): rules without findings,
    // findings.
    writeln!(w, "{}", report.summary_line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Location;

    fn finding(rule: &str, level: Level, object: &str) -> CheckResult {
        let mut r = CheckResult::finding(
            format!("{rule}:{object}"),
            rule,
            level,
            format!("table {object} is bad"),
            "Because reasons.",
        );
        r.hint = Some(format!("ALTER TABLE {object} ...;"));
        r.object = Some(object.into());
        r
    }

    fn rule(id: &str, level: Level) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            level,
            what: "what".into(),
            why: "Because reasons.".into(),
            fix: "fix".into(),
        }
    }

    fn out(rep: &Report) -> String {
        let mut v = Vec::new();
        render(rep, false, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn grouped_by_level_then_rule_with_fix_and_place() {
        let mut rep = Report::new("diagnose", "x");
        rep.rules = vec![rule("no-pk", Level::Warn), rule("rls-off", Level::Error)];
        rep.results.push(finding("no-pk", Level::Warn, "public.a"));
        let mut e = finding("rls-off", Level::Error, "public.b");
        e.location = Some(Location {
            file: "migrations/V1__init.sql".into(),
            line: 4,
            col: 1,
        });
        rep.results.push(e);
        rep.results.push(CheckResult::new(
            "quiet",
            "quiet",
            Status::Pass,
            "none found: nothing",
        ));
        rep.results.push(CheckResult::new(
            "unused-index",
            "unused-index",
            Status::Pass,
            "statistics are 2 days old: too fresh to judge",
        ));
        assert_eq!(
            out(&rep),
            "error[rls-off] public.b: table public.b is bad\n  why: Because reasons.\n  \
fix: ALTER TABLE public.b ...;\n  at: migrations/V1__init.sql:4:1\n\
warn[no-pk] public.a: table public.a is bad\n  why: Because reasons.\n  fix: ALTER TABLE public.a ...;\n\
ok[unused-index] statistics are 2 days old: too fresh to judge\n\
1 error, 1 warning, 0 notes from 2 of 4 rules (1 found nothing)\n2 passed, 2 failed\n"
        );
    }

    #[test]
    fn many_findings_of_a_rule_are_one_block_unless_verbose() {
        let mut rep = Report::new("diagnose", "x");
        rep.rules = vec![rule("rls-off", Level::Error)];
        for i in 0..1000 {
            rep.results
                .push(finding("rls-off", Level::Error, &format!("public.t{i}")));
        }
        let t = out(&rep);
        assert_eq!(t.lines().count(), 6, "{t}");
        assert!(t.starts_with(
            "error[rls-off] 1000 objects: public.t0, public.t1, public.t2 and 997 more\n  e.g. public.t0: table public.t0 is bad\n"
        ));
        assert!(t.contains("-v lists every finding"), "{t}");
        rep.list_all = true;
        let t = out(&rep);
        assert_eq!(t.lines().filter(|l| l.starts_with("error[")).count(), 1000);
        assert!(!t.contains("-v lists"));
    }

    #[test]
    fn multi_line_names_and_messages_stay_indented() {
        let mut rep = Report::new("diagnose", "x");
        let mut f = finding("r", Level::Info, "public.\"a\nb\"");
        f.hint = Some("line1\nline2".into());
        rep.results.push(f);
        let t = out(&rep);
        assert!(t.contains("  fix: line1\n    line2\n"), "{t}");
        assert!(t.starts_with("info[r] public.\"a\n    b\""), "{t}");
    }
}
