//! `deskctl verify --format json` on a check file written from a string, and its result read by
//! check id: the harness of the behaviour and hostile-check tests.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{deskctl, output_text, TestDb};

/// One run: exit code, the JSON report (Null if stdout was not JSON), all output, wall time.
pub struct Run {
    pub code: i32,
    pub json: Value,
    pub text: String,
    pub wall: Duration,
}

impl Run {
    /// (status, detail) of a check by id; panics with the whole output if there is none.
    pub fn status(&self, id: &str) -> (String, String) {
        let r = self.json["results"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["id"] == id))
            .unwrap_or_else(|| panic!("no result `{id}` in:\n{}", self.text));
        (
            r["status"].as_str().unwrap_or("?").to_string(),
            r["detail"].as_str().unwrap_or("").to_string(),
        )
    }

    /// Assert a check's status and that its detail contains every needle.
    pub fn expect(&self, id: &str, status: &str, needles: &[&str]) {
        let (s, d) = self.status(id);
        assert_eq!(s, status, "{id}: {d}");
        for n in needles {
            assert!(d.contains(n), "{id}: detail lacks {n:?}:\n{d}");
        }
    }

    /// The check is an error (never a pass) and its detail names every needle.
    pub fn error(&self, id: &str, needles: &[&str]) {
        self.expect(id, "error", needles)
    }
}

/// `deskctl verify --database-url URL --format json EXTRA FILE`, FILE (`checks.toml` in a fresh
/// directory) holding `checks`.
pub fn verify(db: &TestDb, checks: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("checks.toml");
    std::fs::write(&f, checks).unwrap();
    let t = Instant::now();
    let out = deskctl()
        .args(["verify", "--database-url", &db.url, "--format", "json"])
        .args(extra)
        .arg(&f)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        text: output_text(&out),
        wall: t.elapsed(),
    }
}
