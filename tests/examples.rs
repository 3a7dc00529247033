//! The seed systems as examples (issue 6): the root live-chat system and every `examples/<name>`
//! verify clean on an ephemeral cluster, and every `broken/<variant>/` fails exactly the checks its
//! `EXPECTED_FAILURES` lists, with no errors. Variants are discovered from the directory tree, so a
//! new one is tested without touching this file. Owns no fixtures; reads only the repository.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::thread;

use crate::common::{deskctl, output_text, repo};

/// One `deskctl verify ... --format json` run.
pub(crate) struct Run {
    /// Which migrations directory (for messages).
    pub(crate) label: String,
    pub(crate) code: Option<i32>,
    /// (id, status) of every result, in report order.
    pub(crate) results: Vec<(String, String)>,
    pub(crate) output: String,
}

impl Run {
    fn ids_with(&self, status: &str) -> BTreeSet<String> {
        self.results
            .iter()
            .filter(|(_, s)| s == status)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

pub(crate) fn verify_json(migrations: &Path, checks: &Path) -> Run {
    let out = deskctl()
        .current_dir(repo())
        .args([
            "verify",
            "--ephemeral",
            "--preset",
            "supabase",
            "--migrations",
        ])
        .arg(migrations)
        .arg(checks)
        .args(["--format", "json"])
        .output()
        .expect("run deskctl");
    let label = migrations
        .strip_prefix(repo())
        .unwrap_or(migrations)
        .display()
        .to_string();
    let output = output_text(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{label}: stdout is not JSON ({e}):\n{output}"));
    let results = json["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{label}: no results array:\n{output}"))
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("result id").to_string(),
                r["status"].as_str().expect("result status").to_string(),
            )
        })
        .collect();
    Run {
        label,
        code: out.status.code(),
        results,
        output,
    }
}

/// `broken/*/` directories holding a `migrations/` directory, sorted.
pub(crate) fn variants(system: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(system.join("broken")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("migrations").is_dir())
        .collect();
    v.sort();
    v
}

fn expected_failures(variant: &Path) -> BTreeSet<String> {
    let file = variant.join("EXPECTED_FAILURES");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (every variant needs one)", file.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Verifies a system's good migrations and all its variants in parallel, then asserts:
/// good → exit 0, everything PASS; each variant → exit 1, failed ids == EXPECTED_FAILURES, no errors.
fn check_system(system: &Path) {
    let checks = system.join("checks");
    assert!(
        checks.is_dir(),
        "{}: no checks/ directory",
        system.display()
    );
    let good = {
        let (m, c) = (system.join("migrations"), checks.clone());
        thread::spawn(move || verify_json(&m, &c))
    };
    let broken: Vec<_> = variants(system)
        .into_iter()
        .map(|v| {
            let expected = expected_failures(&v);
            let (m, c) = (v.join("migrations"), checks.clone());
            (v, expected, thread::spawn(move || verify_json(&m, &c)))
        })
        .collect();
    assert!(
        broken.len() >= 2,
        "{}: at least two broken variants expected, found {}",
        system.display(),
        broken.len()
    );

    let mut problems = Vec::new();

    let run = good.join().expect("verify thread");
    let not_passing: Vec<_> = run.results.iter().filter(|(_, s)| s != "pass").collect();
    if run.code != Some(0) || !not_passing.is_empty() || run.results.is_empty() {
        problems.push(format!(
            "{}: expected exit 0 and every check PASS, got exit {:?}, not passing: {:?}\n{}",
            run.label, run.code, not_passing, run.output
        ));
    }
    let all_ids: BTreeSet<String> = run.results.iter().map(|(id, _)| id.clone()).collect();

    for (variant, expected, handle) in broken {
        let run = handle.join().expect("verify thread");
        let failed = run.ids_with("fail");
        let errors = run.ids_with("error");
        let unknown: Vec<_> = expected.difference(&all_ids).collect();
        if !unknown.is_empty() {
            problems.push(format!(
                "{}/EXPECTED_FAILURES names ids no check has: {unknown:?}",
                variant.display()
            ));
        }
        if run.code != Some(1) || failed != expected || !errors.is_empty() {
            problems.push(format!(
                "{}: expected exit 1 and exactly these failures {:?}, got exit {:?}\n  \
                 failed: {:?}\n  unexpectedly failed: {:?}\n  expected but passed: {:?}\n  \
                 errors: {:?}\n{}",
                run.label,
                expected,
                run.code,
                failed,
                failed.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&failed).collect::<Vec<_>>(),
                errors,
                run.output
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn root_live_chat() {
    check_system(repo());
}

#[test]
fn example_contact_centre() {
    check_system(&repo().join("examples/contact-centre"));
}

#[test]
fn example_crm_rbac() {
    check_system(&repo().join("examples/crm-rbac"));
}

#[test]
fn example_journal() {
    check_system(&repo().join("examples/journal"));
}

#[test]
fn example_support_desk() {
    check_system(&repo().join("examples/support-desk"));
}

/// Every directory under examples/ is one of the systems tested above.
#[test]
fn every_example_is_tested() {
    let tested = ["contact-centre", "crm-rbac", "journal", "support-desk"];
    let mut found: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(
        found, tested,
        "add a test for each example in tests/examples.rs"
    );
}

/// The default run at the repository root (deskctl.toml: preset supabase, ./migrations, ./checks)
/// prints the seed's component table, all PASS with 11 policies, and ends with the summary line.
#[test]
fn root_default_run_prints_the_seed_table() {
    let out = deskctl()
        .current_dir(repo())
        .args(["verify", "--ephemeral"])
        .output()
        .expect("run deskctl");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);

    let row = |label: &str| -> Vec<String> {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("| {label} ")))
            .unwrap_or_else(|| panic!("no `{label}` row in the component table:\n{stdout}"))
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    assert!(stdout.contains("| component_type"), "{stdout}");
    for label in ["Tables", "Functions", "Views", "RLS Policies", "Sequences"] {
        let cells = row(label);
        assert!(
            cells.len() == 4 && cells[3].ends_with("PASS") && cells[1] == cells[2],
            "{label}: {cells:?}\n{stdout}"
        );
    }
    assert_eq!(row("RLS Policies")[1..3], ["11", "11"], "{stdout}");

    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    let (n, rest) = last.split_once(' ').unwrap();
    assert!(
        n.parse::<usize>().is_ok_and(|n| n > 0) && rest == "passed, 0 failed",
        "last line: {last:?}\n{stdout}"
    );
}
