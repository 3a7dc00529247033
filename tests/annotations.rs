//! CI formats of `verify` and `diagnose` against real PostgreSQL: SARIF 2.1.0 (required fields,
//! rules, locations) and GitHub workflow annotations (escaping of hostile names), pointing at the
//! check's line and at the migration statement that created the object; diagnose's grouped human
//! output; exit codes the same in every format.

use std::path::Path;

use serde_json::Value;

use crate::common::{deskctl, output_text, TestDb};

/// A table whose name holds every character GitHub's escaping must handle.
const HOSTILE: &str = "odd, name: 100%\nline two";

/// The migration of the test project: one hostile table (RLS off, readable by anon; its name
/// spans lines 2-3), one ordinary one further down (line 7, column 3), and an always-true
/// delete policy with a dotted, comma'd name on a third table (line 12).
fn migration() -> String {
    format!(
        "-- deskctl test project\ncreate table public.\"{}\" (id int primary key);\n\
grant select on public.\"{}\" to anon;\n\n  create table public.notes (id int primary key, body text);\n\
grant select on public.notes to anon, authenticated;\n\
create table public.docs (id int primary key);\nalter table public.docs enable row level security;\n\
grant select, delete on public.docs to anon;\n\
create policy \"v1.2, all: 100%\" on public.docs for delete to anon using (true);\n",
        HOSTILE.replace('"', "\"\""),
        HOSTILE.replace('"', "\"\"")
    )
}

/// A project directory (migrations/ and checks/) with the schema applied to a fresh database.
fn project() -> (tempfile::TempDir, TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let mig = dir.path().join("migrations");
    std::fs::create_dir(&mig).unwrap();
    std::fs::write(mig.join("V1__init.sql"), migration()).unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    std::fs::write(
        checks.join("rls.toml"),
        "schema = \"public\"\n\n[[rls]]\nid = \"rls-docs\"\ntables = [\"docs\"]\n\n\
[[rls]]\nid = \"rls-notes\"\ndescription = \"notes: RLS on, 100%\"\ntables = [\"notes\"]\n",
    )
    .unwrap();
    let db = TestDb::supabase();
    let out = deskctl()
        .current_dir(dir.path())
        .args(["migrate", "--no-lint", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    (dir, db)
}

fn run(root: &Path, db: &TestDb, args: &[&str]) -> std::process::Output {
    deskctl()
        .current_dir(root)
        .args(args)
        .args(["--database-url", &db.url])
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// GitHub's unescaping of a workflow command's message / property.
fn unescape(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// One workflow command: (command, properties, message), checked to be well-formed: known
/// properties only, each once, no raw separator inside a value.
fn parse_annotation(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect(line);
    let (head, message) = rest.split_once("::").expect(line);
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    assert!(matches!(cmd, "error" | "warning" | "notice"), "{line}");
    let mut seen = Vec::new();
    for p in props.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').expect(line);
        assert!(matches!(k, "file" | "line" | "col" | "title"), "{line}");
        assert!(!seen.iter().any(|(s, _)| s == k), "{line}");
        assert!(!v.contains(':'), "{line}");
        seen.push((k.to_string(), unescape(v)));
    }
    (cmd.to_string(), seen, unescape(message))
}

fn prop<'a>(props: &'a [(String, String)], k: &str) -> Option<&'a str> {
    props.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str())
}

#[test]
fn diagnose_github_annotations_point_at_the_creating_migration() {
    let (dir, db) = project();
    let out = run(dir.path(), &db, &["diagnose", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let annotations: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("::"))
        .map(|l| parse_annotation(l))
        .collect();
    assert!(!annotations.is_empty(), "{text}");
    // Every line is an annotation but the summary, last.
    assert_eq!(annotations.len() + 1, lines.len(), "{text}");

    let hostile = format!("public.{HOSTILE}");
    let (cmd, props, message) = annotations
        .iter()
        .find(|(_, p, _)| {
            prop(p, "title") == Some(&format!("deskctl diagnose rls-disabled-exposed: {hostile}"))
        })
        .unwrap_or_else(|| panic!("no rls-disabled-exposed annotation for the table:\n{text}"));
    assert_eq!(cmd, "error");
    assert_eq!(prop(props, "file"), Some("migrations/V1__init.sql"));
    assert_eq!(prop(props, "line"), Some("2"));
    assert_eq!(prop(props, "col"), Some("1"));
    assert!(message.contains(HOSTILE), "{message}");
    assert!(message.contains("\nfix: ALTER TABLE"), "{message}");

    let (_, props, _) = annotations
        .iter()
        .find(|(_, p, _)| {
            prop(p, "title") == Some("deskctl diagnose rls-disabled-exposed: public.notes")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(prop(props, "line"), Some("7"));
    assert_eq!(prop(props, "col"), Some("3"));

    // A finding about the dotted, comma'd policy points at its CREATE POLICY (line 12).
    let policy = annotations
        .iter()
        .find(|(_, p, _)| {
            prop(p, "title").is_some_and(|t| t.ends_with("public.docs/v1.2, all: 100%"))
        })
        .unwrap_or_else(|| panic!("no finding on the policy:\n{text}"));
    assert_eq!(policy.0, "warning");
    assert_eq!(prop(&policy.1, "line"), Some("12"), "{policy:?}");
}

#[test]
fn diagnose_sarif_is_valid_with_physical_and_logical_locations() {
    let (dir, db) = project();
    let out = run(dir.path(), &db, &["diagnose", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    deskctl::report::sarif::check_required_fields(&v).unwrap();
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), deskctl::lint::rules::RULES.len());
    let results = run0["results"].as_array().unwrap();
    let hostile = format!("public.{HOSTILE}");
    let r = results
        .iter()
        .find(|r| {
            r["ruleId"] == "rls-disabled-exposed"
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == hostile
        })
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(r["level"], "error");
    let p = &r["locations"][0]["physicalLocation"];
    assert_eq!(p["artifactLocation"]["uri"], "migrations/V1__init.sql");
    assert_eq!(p["region"]["startLine"], 2);

    // Without the migration files, the object is the only location.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run(elsewhere.path(), &db, &["diagnose", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    deskctl::report::sarif::check_required_fields(&v).unwrap();
    for r in v["runs"][0]["results"].as_array().unwrap() {
        assert!(r["locations"][0].get("physicalLocation").is_none(), "{r}");
    }
}

#[test]
fn diagnose_human_output_is_grouped_by_level_then_rule() {
    let (dir, db) = project();
    let out = run(dir.path(), &db, &["diagnose"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = stdout(&out);
    assert!(!text.contains("PASS"), "{text}");
    assert!(
        text.contains("error[rls-disabled-exposed] public.notes: "),
        "{text}"
    );
    assert!(
        text.contains("  fix: ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;"),
        "{text}"
    );
    assert!(text.contains("  at: migrations/V1__init.sql:7:3"), "{text}");
    // The hostile name's newline does not start a line of its own.
    assert!(text.contains("odd, name: 100%\n    line two"), "{text}");
    // Levels in order: every error line before every warn line before every info line.
    let rank = |l: &str| {
        ["error[", "warn[", "info["]
            .iter()
            .position(|p| l.starts_with(p))
    };
    let ranks: Vec<usize> = text.lines().filter_map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[lines.len() - 2].starts_with("2 errors, 1 warning, 0 notes from 2 of "),
        "{text}"
    );
    assert!(
        lines[lines.len() - 1].ends_with("passed, 3 failed"),
        "{text}"
    );
}

#[test]
fn verify_ci_formats_point_at_the_check_and_keep_exit_codes() {
    let (dir, db) = project();
    let root = dir.path();
    let check = "checks/rls.toml";
    // rls-docs passes (RLS on), rls-notes fails (off).
    for (format, code) in [
        ("table", 1),
        ("json", 1),
        ("junit", 1),
        ("tap", 1),
        ("sarif", 1),
        ("github", 1),
    ] {
        let out = run(root, &db, &["verify", check, "--format", format]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{format}: {}",
            output_text(&out)
        );
    }
    let out = run(root, &db, &["verify", check, "--format", "github"]);
    let text = stdout(&out);
    let annotations: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(parse_annotation)
        .collect();
    assert_eq!(annotations.len(), 1, "{text}");
    let (cmd, props, message) = &annotations[0];
    assert_eq!(cmd, "error");
    assert_eq!(prop(props, "file"), Some(check));
    assert_eq!(prop(props, "line"), Some("7"));
    assert_eq!(prop(props, "title"), Some("deskctl verify rls-notes"));
    assert!(message.starts_with("notes: RLS on, 100%\n"), "{message}");
    assert!(message.contains("notes"), "{message}");
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed"));

    let out = run(root, &db, &["verify", check, "--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    deskctl::report::sarif::check_required_fields(&v).unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "rls-notes");
    let p = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(p["artifactLocation"]["uri"], check);
    assert_eq!(p["region"]["startLine"], 7);

    // All passing: exit 0, no annotation, an empty results array.
    let good = "checks/good.toml";
    std::fs::write(
        root.join(good),
        "schema = \"public\"\n[[rls]]\ntables = [\"docs\"]\n",
    )
    .unwrap();
    let out = run(root, &db, &["verify", good, "--format", "github"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(!stdout(&out).contains("::"), "{}", stdout(&out));
    let out = run(root, &db, &["verify", good, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    deskctl::report::sarif::check_required_fields(&v).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);

    // Bad input stays exit 2 whatever the format.
    for format in ["sarif", "github"] {
        let out = run(
            root,
            &db,
            &["verify", "checks/missing.toml", "--format", format],
        );
        assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    }
}
