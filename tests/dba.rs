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

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// `init` writes a project `verify --ephemeral` passes, then refuses to overwrite it.
fn init_then_verify(root: &std::path::Path, init_extra: &[&str]) -> String {
    let out = deskctl()
        .current_dir(root)
        .args(init_extra)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.ends_with("next: deskctl verify --ephemeral\n"),
        "{said}"
    );
    let out = deskctl()
        .current_dir(root)
        .args(["verify", "--ephemeral"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let before = std::fs::read_to_string(root.join("checks/schema.toml")).unwrap();
    let out = deskctl().current_dir(root).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(root.join("checks/schema.toml")).unwrap(),
        before
    );
    std::fs::read_to_string(root.join("deskctl.toml")).unwrap()
        + &std::fs::read_to_string(root.join("checks/behaviour.toml")).unwrap()
}

#[test]
fn init_plain_and_supabase_layouts() {
    let plain = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("migrations"), &plain.path().join("migrations"));
    let text = init_then_verify(plain.path(), &["--preset", "supabase"]);
    assert!(text.contains("migrations = \"migrations\""), "{text}");
    assert!(text.contains("expect_error = \"42501\""), "{text}");

    let supa = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("examples/journal/migrations"),
        &supa.path().join("supabase/migrations"),
    );
    let text = init_then_verify(supa.path(), &[]);
    assert!(text.contains("preset = \"supabase\""), "{text}");
    assert!(
        text.contains("migrations = \"supabase/migrations\""),
        "{text}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = deskctl()
        .current_dir(empty.path())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("no migrations directory"));
    assert!(!empty.path().join("deskctl.toml").exists());
}
