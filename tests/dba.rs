//! Issue 15's shorter-check-files points against real PostgreSQL: `verify --only / --skip`,
//! `deskctl schema`, `deskctl init`.

use serde_json::Value;

use crate::common::{deskctl, output_text, repo};
use crate::lint::migrated;

#[test]
fn verify_only_and_skip() {
    let db = migrated(&repo().join("migrations"));
    let run = |extra: &[&str]| {
        deskctl()
            .args(["verify", "--database-url", &db.url, "--format", "json"])
            .arg(repo().join("checks"))
            .args(extra)
            .output()
            .unwrap()
    };
    let kinds = |out: &std::process::Output| -> Vec<(String, String)> {
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", output_text(out)));
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().into(),
                    r["kind"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let all = kinds(&run(&[]));
    let out = run(&["--only", "rls,policies"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let got = kinds(&out);
    let want: Vec<_> = all
        .iter()
        .filter(|(_, k)| k == "rls" || k == "policies")
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(got.len() >= 4);
    let out = run(&["--only", "scenario-*", "--skip", "scenario-admin-*"]);
    let got = kinds(&out);
    let want: Vec<_> = all
        .iter()
        .filter(|(id, _)| id.starts_with("scenario-") && !id.starts_with("scenario-admin-"))
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(!got.is_empty());
    let out = run(&["--skip", "no-such-*"]);
    assert_eq!(kinds(&out).len(), all.len());
    assert!(output_text(&out).contains("warning: --skip no-such-* matches no check id or kind"));
    let out = run(&["--only", "rls-chat-table"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("did you mean rls-chat-tables?"),
        "{}",
        output_text(&out)
    );
}
