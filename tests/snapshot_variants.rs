//! `deskctl snapshot` as a regression gate (issue 13): the snapshot of every example system (the
//! root live-chat system and each `examples/<name>`) passes on its own migrations and FAILS
//! against every one of its broken variants (`broken/<variant>/migrations`, discovered from the
//! tree as tests/examples.rs does), policy-logic breaks included. Owns no fixtures.

use std::path::{Path, PathBuf};
use std::thread;

use crate::common::{deskctl, output_text, repo};
use crate::examples::{variants, verify_json};

/// Every system: the repository root and each directory under examples/.
fn systems() -> Vec<PathBuf> {
    let mut v = vec![repo().to_path_buf()];
    let mut ex: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("migrations").is_dir())
        .collect();
    ex.sort();
    v.extend(ex);
    v
}

fn snapshot(migrations: &Path, file: &Path) {
    let out = deskctl()
        .current_dir(repo())
        .args([
            "snapshot",
            "--ephemeral",
            "--preset",
            "supabase",
            "--migrations",
        ])
        .arg(migrations)
        .arg("--output")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "snapshot of {}:\n{}",
        migrations.display(),
        output_text(&out)
    );
}

/// (exit code, the ids of the results that did not pass, whole output).
fn verify(migrations: &Path, file: &Path) -> (Option<i32>, Vec<String>, String) {
    let run = verify_json(migrations, file);
    let failed = run
        .results
        .iter()
        .filter(|(_, s)| s != "pass")
        .map(|(id, s)| format!("{id} [{s}]"))
        .collect();
    (run.code, failed, run.output)
}

fn check_system(system: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.toml");
    snapshot(&system.join("migrations"), &file);
    let mut problems = Vec::new();
    let (code, failed, text) = verify(&system.join("migrations"), &file);
    if code != Some(0) || !failed.is_empty() {
        problems.push(format!(
            "{}: its own snapshot does not pass (exit {code:?}): {failed:#?}\n{text}",
            system.display()
        ));
    }
    let runs: Vec<_> = variants(system)
        .into_iter()
        .map(|v| {
            let f = file.clone();
            (
                v.clone(),
                thread::spawn(move || verify(&v.join("migrations"), &f)),
            )
        })
        .collect();
    assert!(runs.len() >= 2, "{}: variants expected", system.display());
    for (v, h) in runs {
        let (code, failed, text) = h.join().unwrap();
        let errors: Vec<&String> = failed.iter().filter(|f| f.ends_with("[error]")).collect();
        if code != Some(1) || failed.is_empty() || !errors.is_empty() {
            problems.push(format!(
                "{}: the snapshot of the good system must FAIL (exit 1, no errors) against it; \
                 got exit {code:?}, failures {failed:#?}\n{text}",
                v.display()
            ));
        }
    }
    problems
}

#[test]
fn every_example_snapshot_fails_against_every_broken_variant() {
    let handles: Vec<_> = systems()
        .into_iter()
        .map(|s| thread::spawn(move || check_system(&s)))
        .collect();
    let problems: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The two policy-logic breaks the issue measured fail on the changed expression, by name.
#[test]
fn policy_logic_breaks_fail_naming_the_policy_and_its_expression() {
    for (system, variant, policy, what) in [
        (
            "examples/support-desk",
            "internal-notes-visible",
            "Customers can view messages on own tickets",
            "USING is",
        ),
        (
            "examples/crm-rbac",
            "disabled-can-write",
            "Staff can create customers",
            "WITH CHECK is",
        ),
    ] {
        let system = repo().join(system);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snapshot.toml");
        snapshot(&system.join("migrations"), &file);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("expressions = \"exact\""), "{text}");
        let (code, failed, out) = verify(
            &system.join("broken").join(variant).join("migrations"),
            &file,
        );
        assert_eq!(code, Some(1), "{out}");
        assert!(!failed.is_empty(), "{out}");
        assert!(
            out.contains(&format!("policy \\\"{policy}\\\" {what}")),
            "{variant}: {out}"
        );
    }
}
