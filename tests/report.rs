//! Renderer tests: every output format snapshot-tested on one hand-built report (no database needed),
//! plus the colour and summary-line contracts. Owns nothing else.

use std::path::PathBuf;

use deskctl::findings::Expectation;

use deskctl::report::{
    render, write_report, CheckResult, Component, Format as ReportFormat, Level, Location, Report,
    Status,
};

fn loc(file: &str, line: usize) -> Option<Location> {
    Some(Location {
        file: PathBuf::from(file),
        line,
        col: 1,
    })
}

fn count(
    id: &str,
    component: &str,
    count: i64,
    expected: Expectation,
    status: Status,
) -> CheckResult {
    let mut r = CheckResult::new(
        id,
        "count",
        status,
        format!("{component}: {count} found, expected {expected}"),
    );
    r.component = Some(Component {
        component: component.to_string(),
        count,
        expected,
    });
    r.location = loc("checks/live_chat.toml", 3);
    r.duration_ms = 0.25;
    r
}

/// A report with every kind of row the renderers must handle.
fn sample() -> Report {
    let mut rep = Report::new("verify", "postgres://postgres:***@localhost:5432/app");
    rep.duration_ms = 42.0;
    rep.results.push(count(
        "tables",
        "Tables",
        3,
        Expectation::Exactly(3),
        Status::Pass,
    ));
    rep.results.push(count(
        "rls-policies",
        "RLS Policies",
        10,
        Expectation::Exactly(11),
        Status::Fail,
    ));
    rep.results.push(count(
        "views",
        "Views",
        2,
        Expectation::AtLeast(1),
        Status::Pass,
    ));

    let mut rls = CheckResult::new("rls-chat", "rls", Status::Pass, "RLS enabled on 3 tables");
    rls.description = Some("RLS is on for every chat table".into());
    rls.location = loc("checks/live_chat.toml", 10);
    rep.results.push(rls);

    let mut pol = CheckResult::new(
        "policies-chat_session_activity",
        "policies",
        Status::Fail,
        "chat_session_activity: missing policy \"System can log chat activity\" (INSERT)\n\
         present: \"Users can view activity in own sessions\" (SELECT), \"Admins can view all activity\" (SELECT)",
    );
    pol.description = Some("activity policies # as in seed 000".into());
    pol.location = loc("checks/live_chat.toml", 14);
    pol.duration_ms = 1.5;
    rep.results.push(pol);

    let mut uni = CheckResult::new(
        "table-ChatMessage",
        "exists",
        Status::Fail,
        "table \"ChatMessage\" not found; did you mean \"chat_messages\"? (differs only in case)",
    );
    uni.location = loc("checks/journal.toml", 2);
    rep.results.push(uni);

    let mut err = CheckResult::new(
        "scenario-own-tickets",
        "scenario",
        Status::Error,
        "could not run: ERROR 42883: function auth.uid() does not exist",
    );
    err.location = loc("checks/support.toml", 30);
    rep.results.push(err);

    let mut long = CheckResult::new(
        "scenario-anon-sees-nothing",
        "scenario",
        Status::Pass,
        "step 1 (sessions): as anon: rejected: 42501 insufficient_privilege: permission denied for table chat_sessions; \
         step 2 (stats view): as anon: rejected: 42501 insufficient_privilege: permission denied for view chat_session_stats",
    );
    long.location = loc("checks/live_chat.toml", 90);
    rep.results.push(long);

    let mut xml = CheckResult::new(
        "sql-escaping",
        "sql",
        Status::Fail,
        "expected value < 3, got ']]>' & \"quotes\" <tag>",
    );
    xml.location = loc("checks/support.toml", 40);
    rep.results.push(xml);
    rep
}

fn sample_diagnose() -> Report {
    let mut rep = Report::new("diagnose", "postgres://localhost/app");
    let mut f = CheckResult::new(
        "rls_disabled_in_exposed_table",
        "rls_disabled_in_exposed_table",
        Status::Fail,
        "public.journal_entries: readable by anon and authenticated, RLS is disabled",
    );
    f.level = Some(Level::Error);
    f.hint = Some("alter table public.journal_entries enable row level security;".into());
    rep.results.push(f);
    let mut f = CheckResult::new(
        "auth_uid_not_wrapped",
        "auth_uid_not_wrapped",
        Status::Fail,
        "public.chat_messages: policy \"Users can view messages\" calls auth.uid() per row",
    );
    f.level = Some(Level::Warn);
    f.hint = Some("write (select auth.uid()) instead of auth.uid()".into());
    rep.results.push(f);
    rep
}

fn out(report: &Report, format: ReportFormat, color: bool) -> String {
    let mut buf = Vec::new();
    render(report, format, color, &mut buf).expect("render");
    String::from_utf8(buf).expect("utf-8")
}

#[test]
fn table_snapshot() {
    insta::assert_snapshot!(out(&sample(), ReportFormat::Table, false));
}

#[test]
fn table_diagnose_snapshot() {
    insta::assert_snapshot!(out(&sample_diagnose(), ReportFormat::Table, false));
}

#[test]
fn table_empty_snapshot() {
    insta::assert_snapshot!(out(&Report::new("verify", "x"), ReportFormat::Table, false));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(out(&sample(), ReportFormat::Json, false));
}

#[test]
fn json_diagnose_and_empty_snapshot() {
    insta::assert_snapshot!(out(&sample_diagnose(), ReportFormat::Json, false));
    insta::assert_snapshot!(out(&Report::new("verify", "x"), ReportFormat::Json, false));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(out(&sample(), ReportFormat::Junit, false));
}

#[test]
fn junit_diagnose_and_empty_snapshot() {
    insta::assert_snapshot!(out(&sample_diagnose(), ReportFormat::Junit, false));
    insta::assert_snapshot!(out(&Report::new("verify", "x"), ReportFormat::Junit, false));
}

#[test]
fn tap_snapshot() {
    insta::assert_snapshot!(out(&sample(), ReportFormat::Tap, false));
}

#[test]
fn tap_diagnose_and_empty_snapshot() {
    insta::assert_snapshot!(out(&sample_diagnose(), ReportFormat::Tap, false));
    insta::assert_snapshot!(out(&Report::new("verify", "x"), ReportFormat::Tap, false));
}

#[test]
fn no_colour_means_no_escapes_in_any_format() {
    for format in [
        ReportFormat::Table,
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::Tap,
    ] {
        for rep in [sample(), sample_diagnose()] {
            assert!(!out(&rep, format, false).contains("\x1b["), "{format:?}");
        }
    }
}

#[test]
fn colour_on_colours_the_table_only() {
    let coloured = out(&sample(), ReportFormat::Table, true);
    assert!(coloured.contains("\x1b["));
    // Same text once the escapes are removed.
    assert_eq!(
        strip_ansi(&coloured),
        out(&sample(), ReportFormat::Table, false)
    );
    // The summary line stays plain.
    assert_eq!(
        coloured.lines().last(),
        Some("4 passed, 4 failed, 1 errors")
    );
    for format in [ReportFormat::Json, ReportFormat::Junit, ReportFormat::Tap] {
        assert!(
            !out(&sample(), format, true).contains("\x1b["),
            "{format:?}"
        );
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn last_line_of_the_table_is_the_summary() {
    for rep in [sample(), sample_diagnose(), Report::new("verify", "x")] {
        let text = out(&rep, ReportFormat::Table, false);
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().last(), Some(rep.summary_line().as_str()));
    }
    let mut all_pass = Report::new("verify", "x");
    all_pass
        .results
        .push(CheckResult::new("a", "rls", Status::Pass, "ok"));
    let text = out(&all_pass, ReportFormat::Table, false);
    assert_eq!(text.lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn junit_escapes_markup_and_is_well_formed() {
    let xml = out(&sample(), ReportFormat::Junit, false);
    assert!(!xml.contains("<tag>"));
    assert!(xml.contains("&lt;tag&gt;"));
    assert!(xml.contains("name=\"table-ChatMessage\""));
    assert!(xml.contains("<error"));
    assert_eq!(xml.matches("<testcase").count(), sample().results.len());
    assert_eq!(xml.matches("<failure").count(), 4);
}

#[test]
fn tap_plan_matches_the_lines() {
    let tap = out(&sample(), ReportFormat::Tap, false);
    let n = sample().results.len();
    assert!(tap.starts_with(&format!("TAP version 13\n1..{n}\n")));
    let tests = tap
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .count();
    assert_eq!(tests, n);
    assert!(tap.contains("\\# as in seed 000"));
    assert_eq!(tap.lines().last(), Some("# 4 passed, 4 failed, 1 errors"));
}

#[test]
fn write_report_to_a_file_never_colours_and_needs_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.txt");
    write_report(&sample(), ReportFormat::Table, Some(&path), true).expect("write");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("\x1b["));
    assert_eq!(text, out(&sample(), ReportFormat::Table, false));

    let missing = dir.path().join("no/such/dir/report.json");
    let err = write_report(&sample(), ReportFormat::Json, Some(&missing), false)
        .expect_err("missing directory");
    assert!(format!("{err:#}").contains("cannot write the report to"));
}

/// Rendering cost at benchmark scale (12,000 results, as at N = 1,000). Not a timed assertion:
/// `cargo test --release --test integration report::render_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn render_speed() {
    let mut rep = Report::new("verify", "x");
    for i in 0..12_000 {
        let mut r = CheckResult::new(
            format!("bench_t{:04}-policy-select", i / 12),
            "policies",
            Status::Pass,
            format!(
                "bench_t{:04}: \"Users can view own rows\" (SELECT) to authenticated",
                i / 12
            ),
        );
        r.location = loc("bench/checks.toml", i * 5);
        rep.results.push(r);
    }
    for format in [
        ReportFormat::Table,
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::Tap,
    ] {
        // The best of 5, to see the cost rather than the noise of a shared machine.
        let best = (0..5)
            .map(|_| {
                let start = std::time::Instant::now();
                let mut sink = std::io::BufWriter::new(std::io::sink());
                render(&rep, format, false, &mut sink).expect("render");
                start.elapsed()
            })
            .min()
            .unwrap_or_default();
        eprintln!("{format:?}: {best:?}");
    }
}

/// `-q`: the table keeps only failing and error rows; the totals still count every result.
#[test]
fn quiet_table_shows_only_problems_with_full_totals() {
    let mut rep = sample();
    let full = out(&rep, ReportFormat::Table, false);
    rep.only_problems = true;
    let quiet = out(&rep, ReportFormat::Table, false);
    assert!(full.contains("PASS"), "{full}");
    assert!(!quiet.contains("PASS"), "{quiet}");
    assert!(quiet.contains("FAIL"), "{quiet}");
    assert_eq!(full.lines().last(), quiet.lines().last());
    // Machine formats ignore it.
    let json_full = out(&sample(), ReportFormat::Json, false);
    assert_eq!(json_full, out(&rep, ReportFormat::Json, false));
}

#[test]
fn quiet_verify_prints_only_failures_and_the_summary() {
    let out = crate::common::deskctl()
        .current_dir(crate::common::repo())
        .args([
            "verify",
            "--ephemeral",
            "-q",
            "--migrations",
            "broken/missing-insert-policy/migrations",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::common::output_text(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("PASS"), "{text}");
    assert!(text.contains("System can log chat activity"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.ends_with("passed, 4 failed"), "{last}");
}

/// TAP output read by a real consumer (Perl's core TAP::Parser, as `prove` uses): the plan, the
/// counts and no parse errors.
#[test]
fn tap_is_read_by_a_real_tap_consumer() {
    let out = crate::common::deskctl()
        .current_dir(crate::common::repo())
        .args(["verify", "--ephemeral", "--format", "tap"])
        .args(["--migrations", "broken/missing-insert-policy/migrations"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::common::output_text(&out)
    );
    let script = r#"local $/; my $t = <STDIN>; my $p = TAP::Parser->new({ tap => $t });
        while (my $r = $p->next) {}
        printf "%s %s %d %d %d %d", $p->version, $p->plan, $p->tests_run,
            scalar($p->passed), scalar($p->failed), scalar($p->parse_errors);"#;
    let mut child = std::process::Command::new("perl")
        .args(["-MTAP::Parser", "-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("perl (with its core TAP::Parser) is needed for this test");
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let parsed = child.wait_with_output().unwrap();
    let got = String::from_utf8_lossy(&parsed.stdout).to_string();
    let fields: Vec<&str> = got.split_whitespace().collect();
    assert_eq!(fields.len(), 6, "{got}");
    let n: usize = fields[2].parse().unwrap();
    assert_eq!(fields[0], "13", "{got}");
    assert_eq!(fields[1], format!("1..{n}"), "{got}");
    assert_eq!(
        fields[4], "4",
        "the four checks that fail on this variant: {got}"
    );
    assert_eq!(fields[5], "0", "parse errors: {got}");
    let passed: usize = fields[3].parse().unwrap();
    assert_eq!(passed + 4, n, "{got}");
}
