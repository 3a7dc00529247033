//! The JUnit XML renderer (via quick-junit): one testsuite per check file (results without a file go to
//! a suite named after the command), one testcase per result (name = id, classname = kind), the diagnosis
//! as the failure message, `<error>` for checks that could not run. Must not colour or add timestamps
//! (the output is deterministic for a given report).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{safe, CheckResult, Report, Status};

fn secs(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 {
        Duration::from_secs_f64(ms / 1000.0)
    } else {
        Duration::ZERO
    }
}

/// Text for the XML: characters XML 1.0 forbids (most C0 controls) and the other terminal hazards
/// (ESC, DEL, C1, bidi overrides; CI pages show this text) as visible escapes; line breaks kept.
fn x(s: &str) -> String {
    safe::visible_lines(s).into_owned()
}

/// The failure message attribute: the detail on one line (XML parsers fold newlines in attributes anyway).
fn one_line(detail: &str) -> String {
    detail
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The failure body: the detail, then the hint and the location.
fn body(r: &CheckResult) -> String {
    let mut s = r.detail.trim_end().to_string();
    if let Some(h) = &r.hint {
        s.push_str("\nhint: ");
        s.push_str(h);
    }
    if let Some(loc) = &r.location {
        s.push_str(&format!(
            "\nat {}:{}:{}",
            loc.file.display(),
            loc.line,
            loc.col
        ));
    }
    s
}

fn test_case(r: &CheckResult) -> TestCase {
    let status = match r.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail | Status::Error => {
            let kind = if r.status == Status::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut st = TestCaseStatus::non_success(kind);
            st.set_message(x(&one_line(&r.detail)))
                .set_type(x(&r.kind))
                .set_description(x(&body(r)));
            st
        }
    };
    let mut tc = TestCase::new(x(&r.id), status);
    tc.set_classname(x(&r.kind)).set_time(secs(r.duration_ms));
    if let Some(d) = &r.description {
        tc.add_property(Property::new("description", x(d)));
    }
    if let Some(l) = r.level {
        let level = match l {
            super::Level::Info => "info",
            super::Level::Warn => "warn",
            super::Level::Error => "error",
        };
        tc.add_property(Property::new("level", level));
    }
    if let Some(c) = &r.component {
        tc.add_property(Property::new("component", x(&c.component)));
        tc.add_property(Property::new("count", c.count.to_string()));
        tc.add_property(Property::new("expected", x(&c.expected.to_string())));
    }
    tc
}

/// Render `report` as JUnit XML.
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Suites in first-appearance order; results without a file go to a suite named after the command.
    let mut order: Vec<String> = Vec::new();
    let mut suites: BTreeMap<String, Vec<&CheckResult>> = BTreeMap::new();
    for r in &report.results {
        let name = match &r.location {
            Some(loc) => loc.file.display().to_string(),
            None => report.command.clone(),
        };
        let entry = suites.entry(name.clone()).or_default();
        if entry.is_empty() {
            order.push(name);
        }
        entry.push(r);
    }

    let mut junit = quick_junit::Report::new(format!("deskctl {}", report.command));
    junit.set_time(secs(report.duration_ms));
    for name in order {
        let results = suites.remove(&name).unwrap_or_default();
        let mut suite = TestSuite::new(x(&name));
        let total_ms: f64 = results.iter().map(|r| r.duration_ms).sum();
        suite.set_time(secs(total_ms));
        suite.add_test_cases(results.into_iter().map(test_case));
        junit.add_test_suite(suite);
    }
    if report.results.is_empty() {
        junit.add_test_suite(TestSuite::new(report.command.as_str()));
    }
    junit.serialize(&mut *w).map_err(io::Error::other)?;
    writeln!(w)
}
