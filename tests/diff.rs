//! `deskctl diff A B` against real PostgreSQL (issue 15): the good live-chat system against each
//! broken variant, equal sides, snapshot files on either side (policy logic compared whatever
//! the whitespace), every aspect on a changed database (grants, policy logic, SECURITY DEFINER
//! functions, extensions, publications), exit codes and bad input.

use std::process::Output;

use serde_json::Value;

use crate::common::{deskctl, output_text, repo, TestDb};
use crate::lint::migrated;

fn diff(a: &str, b: &str, extra: &[&str]) -> Output {
    deskctl().args(["diff", a, b]).args(extra).output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", output_text(out)))
}

/// `(kind name: what, change, effect)` of every difference.
fn differences(v: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for o in v["objects"].as_array().unwrap() {
        for d in o["differences"].as_array().unwrap() {
            out.push((
                format!(
                    "{} {}: {}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap(),
                    d["what"].as_str().unwrap()
                ),
                d["change"].as_str().unwrap().to_string(),
                d["effect"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

fn t(w: &str, c: &str, e: &str) -> (String, String, String) {
    (w.to_string(), c.to_string(), e.to_string())
}

#[test]
fn good_system_against_each_broken_variant() {
    let good = migrated(&repo().join("migrations"));
    let cases = [
        (
            "rls-disabled",
            vec![t("table public.chat_messages: RLS", "changed", "widens")],
        ),
        (
            "plain-view",
            vec![t(
                "view public.chat_session_stats: security_invoker",
                "changed",
                "widens",
            )],
        ),
        (
            "missing-insert-policy",
            vec![t(
                "table public.chat_session_activity: policy \"System can log chat activity\"",
                "removed",
                "narrows",
            )],
        ),
    ];
    for (variant, expect) in cases {
        let bad = migrated(&repo().join("broken").join(variant).join("migrations"));
        let out = diff(&good.url, &bad.url, &["--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{variant}: {}",
            output_text(&out)
        );
        let v = json(&out);
        assert_eq!(differences(&v), expect, "{variant}");
        assert_eq!(v["equal"], false);
        assert!(!output_text(&out).contains("password"));
    }
    // Equal sides: exit 0, "no differences".
    let twin = migrated(&repo().join("migrations"));
    let out = diff(&good.url, &twin.url, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("no differences\n"));
}

#[test]
fn ephemeral_sides_and_text_output() {
    let out = deskctl()
        .current_dir(repo())
        .args([
            "diff",
            "--preset",
            "supabase",
            "@ephemeral:migrations",
            "@ephemeral:broken/rls-disabled/migrations",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "A: @ephemeral:migrations\nB: @ephemeral:broken/rls-disabled/migrations\n\n\
table public.chat_messages\n  ~ RLS: on → off\n      ⚠ widens: RLS disabled: every grant now reaches every row\n\n\
1 difference in 1 object (1 widens access)\n"
    );
}

#[test]
fn snapshot_files_on_either_side() {
    let good = migrated(&repo().join("migrations"));
    let bad = migrated(&repo().join("broken/rls-disabled/migrations"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.toml");
    let out = deskctl()
        .args(["snapshot", "--database-url", &good.url, "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let f = file.to_str().unwrap();
    let out = diff(f, &good.url, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let out = diff(f, &bad.url, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(
        differences(&json(&out)),
        [t("table public.chat_messages: RLS", "changed", "widens")]
    );
    let out = diff(f, f, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));

    // A file that records policy logic: compared through PostgreSQL's parser, so line breaks
    // and extra parentheses do not count, a changed condition does.
    let logic = dir.path().join("logic.toml");
    let write = |using: &str| {
        std::fs::write(
            &logic,
            format!(
                "schema = \"public\"\n[[policies]]\ntable = \"user_roles\"\nexact = true\nexpect = [\n  \
{{ name = \"Users can view own roles\", command = \"SELECT\", roles = [\"authenticated\"], using = \"{using}\" }},\n]\n"
            ),
        )
        .unwrap();
    };
    write("((user_id =\\n      auth.uid()))");
    let out = diff(logic.to_str().unwrap(), &good.url, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    write("(user_id = auth.uid()) or true");
    let out = diff(logic.to_str().unwrap(), &good.url, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(
        differences(&json(&out)),
        [t(
            "table public.user_roles: policy \"Users can view own roles\" USING",
            "changed",
            "review"
        )]
    );
}

#[test]
fn every_aspect_on_a_changed_database() {
    let a = migrated(&repo().join("migrations"));
    let b = migrated(&repo().join("migrations"));
    b.exec(
        r#"
grant select on public.chat_sessions to anon;
alter policy "Users can view own chat sessions" on public.chat_sessions using (true);
alter table public.chat_sessions force row level security;
create function public.admin_reset() returns void language sql security definer as 'select';
grant execute on function public.admin_reset() to anon;
create extension pg_trgm;
alter publication supabase_realtime add table public.chat_messages;
"#,
    );
    let out = diff(&a.url, &b.url, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let got = differences(&json(&out));
    for e in [
        t(
            "table public.chat_sessions: FORCE ROW LEVEL SECURITY",
            "changed",
            "narrows",
        ),
        t(
            "table public.chat_sessions: policy \"Users can view own chat sessions\" USING",
            "changed",
            "widens",
        ),
        t(
            "table public.chat_sessions: grant SELECT to anon",
            "added",
            "widens",
        ),
        t(
            "function public.admin_reset(): SECURITY DEFINER function",
            "added",
            "widens",
        ),
        t("extension pg_trgm: extension", "added", ""),
        t(
            "publication supabase_realtime: table public.chat_messages",
            "added",
            "widens",
        ),
    ] {
        assert!(got.contains(&e), "{e:?} not in {got:#?}");
    }
    // Read-only on both sides: B still has exactly what it had.
    assert_eq!(
        b.scalar("select count(*)::text from pg_policies where qual = 'true'")
            .as_deref(),
        Some("1")
    );
}

#[test]
fn bad_input_and_database_trouble() {
    let dir = tempfile::tempdir().unwrap();
    let out = diff("/no/such/file.toml", "@ephemeral", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("A: `/no/such/file.toml` is not a database"));
    let out = diff(dir.path().to_str().unwrap(), "@ephemeral", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("(it is a directory)"));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "schema = \"public\"\n[[rls]]\ntabels = [\"x\"]\n").unwrap();
    let db = TestDb::new();
    let out = diff(bad.to_str().unwrap(), &db.url, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("bad.toml:3:"),
        "{}",
        output_text(&out)
    );
    let out = diff(
        &db.url,
        "postgres://u:secretpw@127.0.0.1:1/x?connect_timeout=2",
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    assert!(!output_text(&out).contains("secretpw"));
}
