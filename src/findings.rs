//! What checks and lint rules find, as data shared by the layers that produce it (`checks`,
//! `lint`) and the one that renders it (`report`): status, level, location, problems (an object
//! and a typed message), a count against its expectation, and a rule's description. Must not
//! format for any output (the wording of problems is `report::wording`'s; table cells and prose
//! are the renderers'), and must not depend on checks, lint, report or cli.

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
/// `public.orders`, `role anon`) when there is one, and what is wrong with it, as data the
/// renderers word (`report::wording`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub message: Message,
}

/// What is wrong, as data. Only `report::wording` turns it into prose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// A difference read after its object: `public.t: RLS disabled`.
    Text(String),
    /// A sentence whose subject is the object, named with its kind: `extension` `pg_cron`
    /// `is not installed` (an empty `noun`: the object alone).
    Sentence { noun: String, predicate: String },
    /// The object (or one inside it) does not exist, or is another kind.
    Missing(Missing),
    /// A role lacks privileges it must hold on the object (`held: false`), or holds ones it
    /// must not (`held: true`).
    Privileges {
        role: String,
        superuser: bool,
        held: bool,
        privileges: Vec<String>,
    },
    /// One difference shared by several tables (`RLS disabled` on each of `tables`).
    OnTables { what: String, tables: Vec<String> },
    /// `[[immutable]]`: `op` succeeded on the object (a table) as `roles`; `effect` says how
    /// (` (1 row)`, ` (with CASCADE)`, or empty).
    Changed {
        op: String,
        roles: Vec<String>,
        effect: String,
    },
    /// `[[immutable]]`: the attempts on the object that were blocked, each as said.
    Blocked(Vec<String>),
    /// `[[immutable]]`: row-level `triggers` guard the object against UPDATE / DELETE (all of
    /// them were blocked when `all_blocked`) but nothing guards it against TRUNCATE.
    TruncateGap {
        all_blocked: bool,
        triggers: Vec<String>,
    },
    /// A `[[count]]` outside its expectation.
    Count(Counted),
    /// A `[[count]]`'s listed names that match nothing counted.
    MissingNames(Vec<String>),
    /// What a failing `[[count]]` found (the first 20 shown of `total`).
    Found { shown: Vec<String>, total: usize },
    /// The object, a `noun` looked for by name, does not exist (`within` a schema when it was
    /// looked for in several tables there); `near`: did-you-mean candidates, best first.
    Absent {
        noun: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        within: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        near: Vec<Near>,
    },
    /// Columns the object (a relation) lacks; `near`: candidates for the one missing column.
    MissingColumns {
        columns: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        near: Vec<Near>,
    },
    /// No overload of the function (the object, with the arguments asked for) takes those
    /// arguments; `present`: the signatures there are.
    NoOverload { present: Vec<String> },
    /// A policy expected on the object (a table) is not there: its name, the command expected
    /// when given, and near misses.
    MissingPolicy {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        near: Vec<PolicyNear>,
    },
    /// A policy on the object (a table) differs from its expectation, as each difference says.
    PolicyDiffers { name: String, difference: String },
    /// Policies on the object (a table) that an exact `[[policies]]` does not list.
    UnexpectedPolicies(Vec<PolicyRef>),
    /// The policies a table with a missing policy does have.
    PresentPolicies(Vec<PolicyRef>),
    /// The object (a table) has no permissive policy for `commands` (as `roles`, when given).
    Uncovered {
        commands: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        roles: Vec<String>,
    },
}

/// A policy as named to users: its name and command (`"Users read" (SELECT)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub name: String,
    pub command: String,
}

/// A near miss for a missing policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyNear {
    /// A policy of that name on another table (`table`), for `command`.
    Elsewhere { table: String, command: String },
    /// A similarly named policy on this table.
    Similar(PolicyRef),
}

/// An object looked for and not found: what kind, near misses, or why it could not be seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The kind of object looked for (`table`, `column`, `enum type`).
    pub noun: String,
    /// The missing object's own name when the problem's object is what holds it (a column `c`
    /// missing on table `public.t`); `None` when the problem's object is the missing one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// It exists, but as this other kind (`view`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_kind: Option<String>,
    /// Its schema was not read, so whether it exists is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_schema: Option<String>,
    /// Did-you-mean candidates, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near: Vec<Near>,
    /// When no name is near: what there is instead (the indexes on the table...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present: Option<Present>,
    /// Something of that name exists, as this other kind (`procedure`), said after the missing
    /// noun (`no such function (it is a procedure)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub it_is: Option<String>,
}

/// The objects of the kind looked for that do exist where it was looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Present {
    /// The kind, plural (`indexes`).
    pub nouns: String,
    /// Where, when the message does not already say (`public.orders`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    pub names: Vec<String>,
}

/// A did-you-mean candidate: its name as shown, and its kind when it is not the kind looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Near {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A count against its expectation: `count` objects (`one` / `many`: the noun), on `tables`
/// when the check names them, with the count per table when it counts objects on tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    pub count: i64,
    pub one: String,
    pub many: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    pub expected: Expectation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_table: Vec<(String, usize)>,
}

impl Missing {
    /// No `noun` of that name; no near misses yet.
    pub fn of(noun: impl Into<String>) -> Missing {
        Missing {
            noun: noun.into(),
            name: None,
            found_kind: None,
            unread_schema: None,
            near: Vec::new(),
            present: None,
            it_is: None,
        }
    }

    /// No `noun` called `name` inside the problem's object.
    pub fn named(noun: impl Into<String>, name: impl Into<String>) -> Missing {
        Missing {
            name: Some(name.into()),
            ..Missing::of(noun)
        }
    }

    /// Add one did-you-mean candidate of the kind looked for.
    pub fn near(mut self, candidate: Option<impl Into<String>>) -> Missing {
        if let Some(c) = candidate {
            self.near.push(Near {
                name: c.into(),
                kind: None,
            });
        }
        self
    }
}

impl Near {
    /// The one did-you-mean candidate of the kind looked for, when there is one.
    pub fn one(candidate: Option<impl Into<String>>) -> Vec<Near> {
        candidate
            .into_iter()
            .map(|c| Near {
                name: c.into(),
                kind: None,
            })
            .collect()
    }
}

impl Problem {
    /// A problem about the check as a whole (or one whose message names its objects itself).
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            object: None,
            message: Message::Text(message.into()),
        }
    }

    /// A problem about `object`.
    pub fn on(object: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem::about(object, Message::Text(message.into()))
    }

    /// A problem about `object` (a `noun`) said as a sentence with it as the subject.
    pub fn says(
        noun: impl Into<String>,
        object: impl Into<String>,
        predicate: impl Into<String>,
    ) -> Problem {
        Problem::about(
            object,
            Message::Sentence {
                noun: noun.into(),
                predicate: predicate.into(),
            },
        )
    }

    /// `object`, a `noun` looked for by name, does not exist (no near misses).
    pub fn absent(noun: impl Into<String>, object: impl Into<String>) -> Problem {
        Problem::about(
            object,
            Message::Absent {
                noun: noun.into(),
                within: None,
                near: Vec::new(),
            },
        )
    }

    /// `object` (or something inside it) is missing.
    pub fn missing(object: impl Into<String>, missing: Missing) -> Problem {
        Problem::about(object, Message::Missing(missing))
    }

    pub fn about(object: impl Into<String>, message: Message) -> Problem {
        Problem {
            object: Some(object.into()),
            message,
        }
    }

    /// A problem about the check as a whole.
    pub fn whole(message: Message) -> Problem {
        Problem {
            object: None,
            message,
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

/// A rule as the machine formats describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub level: Level,
    /// What it detects, one line.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// How to fix it in general.
    pub fix: String,
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
            r#"{"message":{"text":"no tables found"}}"#
        );
        let p = Problem::on("public.t", "RLS disabled");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"object":"public.t","message":{"text":"RLS disabled"}}"#
        );
    }
}
