//! Issue 10, promise 9: machine-readable outputs stay valid for any content, and the terminal never
//! obeys text it shows. Hostile strings (line breaks, `#`, backslashes, `ok`/`not ok`, TODO/SKIP,
//! YAML markers, every control character, ANSI and OSC escapes, bidi overrides) reach the reports
//! through check descriptions, values a query returns, and server error messages; each format is
//! read back by a real consumer (Perl's TAP::Parser, serde_json, quick-xml) and the counts compared.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{deskctl, output_text, TestDb};

/// Strings written to break a line-oriented or escaping format.
fn hostile() -> Vec<String> {
    let mut all: Vec<String> = [
        "a\nnot ok 5 # SKIP\x1b[31m",
        "# TODO not really",
        "ends with a backslash \\",
        "back\\slash \\# SKIP escaped",
        "\\\\# TODO after two backslashes",
        "ok 99 - phantom",
        "not ok 98 # TODO phantom",
        "\n  ---\n  message: x\n  ...\nok 97",
        "  ...\nBail out! stop here",
        "1..0 # SKIP everything",
        "TAP version 13\n1..1",
        "pragma +strict\n# a comment",
        "multi\n\n\nline\n  indented\n\ttabbed\n",
        "   leading spaces and a trailing one ",
        "quotes \" ' ` and markup <tag> ]]> &amp; |- > : - [a] {b}",
        "carriage\rreturn and form\x0cfeed and vertical\x0btab",
        "\x1b]0;retitled\x07 \x1b[2J\x1b[H cleared \x1b[8m hidden",
        "c1 \u{9b}31m and \u{85} next line and del \x7f",
        "bidi \u{202e}desrever\u{202c} \u{2066}isolate\u{2069}",
        "ünïcödé ✅ 宽字符 — fine",
        "- a yaml list item",
        "key: value",
        "|\n  literal",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let controls: String = (1u8..0x20).map(char::from).collect();
    all.push(format!("every C0 control: {controls} end"));
    all
}

/// A TOML basic string holding `s` exactly.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A PostgreSQL E'' literal holding `s` (which has no NUL: PostgreSQL text cannot).
fn sql_e(s: &str) -> String {
    let mut out = String::from("E'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Per hostile string: a passing check described by it, a failing check whose detail shows it (a
/// value the query returned), and a check whose setup fails with a server message carrying it.
fn checks(strings: &[String]) -> String {
    let mut f = String::new();
    for (i, h) in strings.iter().enumerate() {
        let d = toml_str(h);
        let value = toml_str(&format!("select {}::text", sql_e(h)));
        let cast = toml_str(&format!("select {}::int", sql_e(&format!("x{h}"))));
        f.push_str(&format!(
            "[[sql]]\nid = \"pass-{i}\"\ndescription = {d}\nquery = \"select 1\"\nexpect = 1\n\n\
             [[sql]]\nid = \"fail-{i}\"\ndescription = {d}\nquery = {value}\nexpect = \"never this\"\n\n\
             [[sql]]\nid = \"error-{i}\"\ndescription = {d}\nsetup = {cast}\nquery = \"select 1\"\nexpect = 1\n\n"
        ));
    }
    f
}

struct Outputs {
    strings: Vec<String>,
    by_format: Vec<(&'static str, Vec<u8>, String)>,
}

fn run_all() -> Outputs {
    let db = TestDb::new();
    let strings = hostile();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.toml");
    std::fs::write(&file, checks(&strings)).unwrap();
    let mut by_format = Vec::new();
    for format in ["tap", "json", "junit", "table"] {
        let out = deskctl()
            .args(["verify", "--database-url", &db.url, "--format", format])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            output_text(&out)
        );
        by_format.push((format, out.stdout.clone(), output_text(&out)));
    }
    Outputs { strings, by_format }
}

impl Outputs {
    fn get(&self, format: &str) -> &[u8] {
        &self
            .by_format
            .iter()
            .find(|(f, ..)| *f == format)
            .expect("format ran")
            .1
    }
}

/// What Perl's TAP::Parser (the parser `prove` uses) makes of a TAP stream.
fn tap_parser_counts(tap: &[u8]) -> Value {
    let script = r#"
        use JSON::PP;
        local $/; my $t = <STDIN>;
        my $p = TAP::Parser->new({ tap => $t });
        my %n = (yaml => 0, unknown => 0, comment => 0, yaml_messages => []);
        my $last;
        while (my $r = $p->next) {
            $n{yaml}++ if $r->is_yaml;
            $n{unknown}++ if $r->is_unknown;
            $n{comment}++ if $r->is_comment;
            if ($r->is_yaml && ref $r->data eq 'HASH') {
                push @{$n{yaml_messages}}, $r->data->{message};
            }
        }
        $n{version} = $p->version; $n{plan} = $p->plan; $n{run} = $p->tests_run;
        $n{passed} = scalar($p->passed); $n{failed} = scalar($p->failed);
        $n{todo} = scalar($p->todo); $n{skipped} = scalar($p->skipped);
        $n{parse_errors} = [$p->parse_errors];
        print JSON::PP->new->canonical->encode(\%n);"#;
    let mut child = Command::new("perl")
        .args(["-MTAP::Parser", "-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("perl (with its core TAP::Parser) is needed for this test");
    child.stdin.take().unwrap().write_all(tap).unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "TAP::Parser did not finish ({e}): {}\n--- TAP:\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(tap)
        )
    })
}

#[test]
fn every_format_survives_hostile_content() {
    let o = run_all();
    let n = o.strings.len();

    // TAP: the right counts, no phantom TODO/SKIP, no parse error, no line TAP::Parser cannot place,
    // one YAML block per failure and error, each read back as a mapping with the message.
    let tap = o.get("tap");
    let c = tap_parser_counts(tap);
    let show = || String::from_utf8_lossy(tap).to_string();
    assert_eq!(c["version"], 13, "{c}");
    assert_eq!(c["plan"], format!("1..{}", 3 * n), "{c}");
    assert_eq!(c["run"], 3 * n, "{c}\n{}", show());
    assert_eq!(c["passed"], n, "{c}\n{}", show());
    assert_eq!(c["failed"], 2 * n, "{c}\n{}", show());
    assert_eq!(c["todo"], 0, "phantom TODO: {c}\n{}", show());
    assert_eq!(c["skipped"], 0, "phantom SKIP: {c}\n{}", show());
    assert_eq!(c["parse_errors"], Value::Array(vec![]), "{c}\n{}", show());
    assert_eq!(
        c["unknown"],
        0,
        "lines TAP::Parser could not read: {c}\n{}",
        show()
    );
    assert_eq!(
        c["comment"],
        1,
        "only the summary is a comment: {c}\n{}",
        show()
    );
    assert_eq!(c["yaml"], 2 * n, "{c}\n{}", show());
    let messages = c["yaml_messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2 * n, "{c}");
    assert!(messages.iter().all(|m| m.is_string()), "{c}");
    let text = String::from_utf8_lossy(tap);
    assert!(
        !text.chars().any(|ch| ch.is_control() && ch != '\n'),
        "raw controls in TAP:\n{text}"
    );

    // JSON: parses, and every string arrives exactly (descriptions) or inside the detail.
    let json: Value = serde_json::from_slice(o.get("json")).expect("valid JSON");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 3 * n);
    for (i, h) in o.strings.iter().enumerate() {
        for kind in ["pass", "fail", "error"] {
            let id = format!("{kind}-{i}");
            let r = results
                .iter()
                .find(|r| r["id"] == id.as_str())
                .expect("a result per check");
            let status = r["status"].as_str().unwrap_or("?");
            match kind {
                "pass" => assert_eq!(status, "pass", "{id}: {r}"),
                "fail" => assert_eq!(status, "fail", "{id}: {r}"),
                _ => assert!(status == "error" || status == "fail", "{id}: {r}"),
            }
            if !h.trim().is_empty() {
                assert_eq!(r["description"], h.as_str(), "{id}");
            }
        }
        let fail = results
            .iter()
            .find(|r| r["id"] == format!("fail-{i}").as_str())
            .unwrap();
        // Long values are shortened in the detail: their start must be there, exactly.
        let start: String = h.trim().chars().take(20).collect();
        assert!(
            fail["detail"].as_str().unwrap_or("").contains(&start),
            "fail-{i}: {fail}"
        );
        let error = results
            .iter()
            .find(|r| r["id"] == format!("error-{i}").as_str())
            .unwrap();
        assert!(
            error["detail"]
                .as_str()
                .unwrap_or("")
                .contains("invalid input syntax"),
            "error-{i}: {error}"
        );
    }
    assert_eq!(json["totals"]["passed"], n);
    let failed = json["totals"]["failed"].as_u64().unwrap_or(0) as usize;
    let errors = json["totals"]["errors"].as_u64().unwrap_or(0) as usize;
    assert_eq!(failed + errors, 2 * n, "{}", json["totals"]);

    // JUnit: a real XML parser reads it to the end with the right number of test cases.
    let xml = o.get("junit");
    let mut reader = quick_xml::Reader::from_reader(xml);
    let (mut cases, mut failures, mut errors) = (0, 0, 0);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"error" => errors += 1,
                    _ => {}
                }
                for a in e.attributes() {
                    let a = a.expect("well-formed attribute");
                    a.unescape_value().expect("attribute value unescapes");
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                t.decode().expect("text decodes");
            }
            Ok(_) => {}
            Err(e) => panic!(
                "JUnit is not well-formed at {}: {e}\n{}",
                reader.buffer_position(),
                String::from_utf8_lossy(xml)
            ),
        }
        buf.clear();
    }
    assert_eq!((cases, failures, errors), (3 * n, failed, errors));
    let xml_text = String::from_utf8_lossy(xml);
    assert!(
        !xml_text
            .chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\t' | '\r')),
        "characters XML 1.0 forbids:\n{xml_text}"
    );

    // The table: nothing a terminal would obey.
    let table = String::from_utf8_lossy(o.get("table"));
    assert_no_terminal_hazard("verify table", &table);
    assert!(
        table.contains("\\x1b[31m"),
        "escapes are shown, not dropped:\n{table}"
    );
    let summary = json["summary"].as_str().unwrap_or("?");
    assert_eq!(table.lines().last(), Some(summary), "{table}");
}

/// No control character but the line break, no bidi override: what the terminal shows is the text.
fn assert_no_terminal_hazard(what: &str, text: &str) {
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| deskctl::report::safe::hazardous(*c) && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what}: {bad:?} in\n{text}");
}

/// A name and a message carrying terminal escapes (clear screen, retitle, conceal, C1 CSI, bidi).
const EVIL: &str = "evil\x1b[2J\x1b]0;owned\x07\x1b[8m\u{9b}1m\u{202e}x\rnot ok 1";

/// `EVIL` as a PostgreSQL E'' literal.
fn evil_e() -> String {
    sql_e(EVIL)
}

/// `EVIL` as a quoted identifier.
fn evil_ident() -> String {
    format!("\"{}\"", EVIL.replace('"', "\"\""))
}

/// Every human renderer shows hostile server text and names as escapes: verify's table (above),
/// diagnose, access, lint, migrate's progress, notices and errors.
#[test]
fn human_outputs_never_pass_terminal_escapes_through() {
    let db = TestDb::new();
    // A table whose name carries the escapes, with RLS off and granted to anon: diagnose and access
    // both name it.
    db.exec(&format!(
        "do $$ begin create role anon nologin; exception when duplicate_object then null; end $$; \
         create table public.{q} (id int); grant select on public.{q} to anon;",
        q = evil_ident()
    ));
    let run = |args: &[&str]| {
        let out = deskctl().args(args).output().unwrap();
        (out.status.code(), output_text(&out))
    };
    let (code, text) = run(&["diagnose", "--database-url", &db.url]);
    assert!(code.is_some(), "{text}");
    assert!(
        text.contains("evil\\x1b[2J"),
        "diagnose names the table, escaped:\n{text}"
    );
    assert_no_terminal_hazard("diagnose", &text);

    let (code, text) = run(&["access", "--database-url", &db.url]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("evil\\x1b[2J"),
        "access names the table, escaped:\n{text}"
    );
    assert_no_terminal_hazard("access", &text);
    let (_, text) = run(&["access", "--database-url", &db.url, "--format", "markdown"]);
    assert_no_terminal_hazard("access --format markdown", &text);

    // Migrations: a notice and then an error whose messages carry the escapes; the lint names the
    // table a file creates without RLS.
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("V1__notice.sql"),
        format!(
            "create table t1 (id int);\ndo $$ begin raise notice '%', {e}; end $$;\n",
            e = evil_e()
        ),
    )
    .unwrap();
    std::fs::write(
        m.join("V2__boom.sql"),
        format!(
            "create table {q} (id int);\ndo $$ begin raise exception '%', {e}; end $$;\n",
            q = evil_ident(),
            e = evil_e()
        ),
    )
    .unwrap();
    let mdir = m.to_str().unwrap();
    let (_, text) = run(&["lint", "--database-url", &db.url, "--migrations", mdir]);
    assert!(
        text.contains("evil\\x1b[2J"),
        "lint names the table, escaped:\n{text}"
    );
    assert_no_terminal_hazard("lint", &text);
    let (code, text) = run(&[
        "migrate",
        "--no-lint",
        "--database-url",
        &db.url,
        "--migrations",
        mdir,
    ]);
    assert_eq!(code, Some(3), "{text}");
    assert_eq!(
        text.matches("evil\\x1b[2J").count(),
        2,
        "notice and error, escaped:\n{text}"
    );
    assert_no_terminal_hazard("migrate", &text);
}
