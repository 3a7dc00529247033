//! What checks and lint rules find, as data shared by the layers that produce it (`checks`,
//! `lint`) and the one that renders it (`report`): status, level, location, problems and a count
//! against its expectation. Must not format for any output (joining problems, table cells and
//! prose are the renderers'), and must not depend on checks, lint, report or cli.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How one check (or diagnose finding) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The check could not run (bad SQL, timeout, refused impersonation...).
    Error,
}

/// Severity of a diagnose finding or a migration lint finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Where a check was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

/// One difference a failing check found: the object it is about (as shown to users:
/// `public.orders`, `role anon`) when there is one, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem about the check as a whole (or one whose message names its objects itself).
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            object: None,
            message: message.into(),
        }
    }

    /// A problem about `object`.
    pub fn on(object: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            object: Some(object.into()),
            message: message.into(),
        }
    }
}

/// What a count must be (`[[count]]`'s `expect` / `at_least` / `at_most`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    Exactly(i64),
    AtLeast(i64),
    AtMost(i64),
    /// Both bounds, inclusive.
    Between(i64, i64),
    /// Nothing given (the loader refuses such a check; kept total for evaluation).
    Unspecified,
}

impl Expectation {
    pub fn accepts(self, n: i64) -> bool {
        match self {
            Expectation::Exactly(e) => n == e,
            Expectation::AtLeast(l) => n >= l,
            Expectation::AtMost(m) => n <= m,
            Expectation::Between(l, m) => l <= n && n <= m,
            Expectation::Unspecified => true,
        }
    }
}

/// The expectation as users write and read it: `11`, `>= 11`, `<= 3`, `2..5` (`?` when none).
impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Exactly(e) => write!(f, "{e}"),
            Expectation::AtLeast(l) => write!(f, ">= {l}"),
            Expectation::AtMost(m) => write!(f, "<= {m}"),
            Expectation::Between(l, m) => write!(f, "{l}..{m}"),
            Expectation::Unspecified => f.write_str("?"),
        }
    }
}

/// Serialized as its text (`">= 11"`), the shape the JSON report has always had.
impl Serialize for Expectation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A count check's result: one row of the seed-style component table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// The row label ("RLS Policies").
    pub component: String,
    pub count: i64,
    pub expected: Expectation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_text_and_acceptance() {
        let cases = [
            (Expectation::Exactly(11), "11", 11, 10),
            (Expectation::AtLeast(3), ">= 3", 3, 2),
            (Expectation::AtMost(3), "<= 3", 3, 4),
            (Expectation::Between(2, 5), "2..5", 5, 6),
        ];
        for (e, text, ok, bad) in cases {
            assert_eq!(e.to_string(), text);
            assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{text}\""));
            assert!(e.accepts(ok), "{e} accepts {ok}");
            assert!(!e.accepts(bad), "{e} refuses {bad}");
        }
        assert!(Expectation::Between(2, 5).accepts(2));
        assert!(!Expectation::Between(2, 5).accepts(1));
        assert_eq!(Expectation::Unspecified.to_string(), "?");
    }

    #[test]
    fn problem_object_is_left_out_of_json_when_none() {
        let p = Problem::new("no tables found");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"message":"no tables found"}"#
        );
        let p = Problem::on("public.t", "RLS disabled");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"object":"public.t","message":"RLS disabled"}"#
        );
    }
}
