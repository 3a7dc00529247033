//! What a step expects (row count, exact rows, a value, no error, an error SQLSTATE), what it
//! got, and how the two compare. Pure: no database access.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use tokio_postgres::SimpleQueryMessage;

use super::r#as::join_path;
use super::sqlstate::{
    describe_error, is_infrastructure, sqlstate_code, sqlstate_text, validate_sqlstate,
};
use crate::checks::validator::Validator;

/// A value written in a check file, compared with a value PostgreSQL returned as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean, a number or a text (dates and times are written as text)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v)
                    .map(Scalar::Int)
                    .unwrap_or(Scalar::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(t) => write!(f, "{t}"),
        }
    }
}

impl Scalar {
    /// As a setting value.
    pub fn setting_text(&self) -> String {
        match self {
            Scalar::Bool(b) => if *b { "on" } else { "off" }.to_string(),
            other => other.to_string(),
        }
    }

    /// Does PostgreSQL's text output `actual` (None = NULL) equal this value? Booleans match
    /// `t`/`true`/`f`/`false`, numbers compare numerically (`3` = `3.00`), texts exactly, and
    /// the text `NULL` matches SQL NULL.
    pub fn matches(&self, actual: Option<&str>) -> bool {
        let Some(a) = actual else {
            return matches!(self, Scalar::Text(t) if t == "NULL");
        };
        match self {
            Scalar::Text(t) => t == a,
            Scalar::Bool(b) => parse_bool(a) == Some(*b),
            Scalar::Int(i) => match a.trim().parse::<i128>() {
                Ok(x) => x == *i as i128,
                Err(_) => a.trim().parse::<f64>().is_ok_and(|x| x == *i as f64),
            },
            Scalar::Float(f) => a
                .trim()
                .parse::<f64>()
                .is_ok_and(|x| x == *f || (x - f).abs() <= 1e-9 * f.abs().max(x.abs()).max(1.0)),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    }
}

/// What one step expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE) by the last statement.
    Rows(u64),
    /// Exactly these rows, compared as text (in order when `ordered`).
    Exact {
        rows: Vec<Vec<Scalar>>,
        ordered: bool,
    },
    /// One row of one column, equal to this.
    Value(Scalar),
    /// No error.
    Ok,
    /// An error with this SQLSTATE (and a message containing `message`, case-insensitive).
    Error {
        code: String,
        message: Option<String>,
    },
}

impl Expect {
    /// Whether a pass could come from rows RLS hid or let through (everything except an
    /// expected error: an owner or superuser never gets an RLS error, so expecting one cannot
    /// pass by bypassing RLS).
    pub fn depends_on_rls(&self) -> bool {
        !matches!(self, Expect::Error { .. })
    }
}

/// The expectation keys of a step, as written (shared by the kinds' structs).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpectKeys<'a> {
    pub expect_rows: Option<u64>,
    pub rows: Option<&'a Vec<Vec<Scalar>>>,
    pub ordered: Option<bool>,
    pub expect: Option<&'a Scalar>,
    pub expect_ok: Option<bool>,
    pub expect_error: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl ExpectKeys<'_> {
    pub fn validate(&self, v: &mut Validator, path: &str) {
        let given = [
            self.expect_rows.is_some(),
            self.rows.is_some(),
            self.expect.is_some(),
            self.expect_ok.is_some(),
            self.expect_error.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if given != 1 {
            v.error(
                path,
                format!(
                    "{}give exactly one of `expect_rows`, `rows`, `expect`, `expect_ok` or `expect_error`",
                    if path.is_empty() { String::new() } else { format!("`{path}`: ") }
                ),
                Some(
                    "e.g. expect_rows = 1, rows = [[\"a\", 1]], expect = true, expect_ok = true or expect_error = \"42501\""
                        .into(),
                ),
            );
        }
        if self.expect_ok == Some(false) {
            v.error(
                &join_path(path, "expect_ok"),
                "`expect_ok = false` is not an expectation",
                Some(
                    "to expect a failure write expect_error = \"<SQLSTATE>\", e.g. \"42501\""
                        .into(),
                ),
            );
        }
        if self.message.is_some() && self.expect_error.is_none() {
            v.not_here(&join_path(path, "message"), "only goes with `expect_error`");
        }
        if self.ordered.is_some() && self.rows.is_none() {
            v.not_here(&join_path(path, "ordered"), "only goes with `rows`");
        }
        if let Some(code) = self.expect_error {
            validate_sqlstate(v, &join_path(path, "expect_error"), code);
        }
    }

    /// The expectation (after validation).
    pub fn build(&self) -> Expect {
        if let Some(n) = self.expect_rows {
            Expect::Rows(n)
        } else if let Some(r) = self.rows {
            Expect::Exact {
                rows: r.clone(),
                ordered: self.ordered.unwrap_or(false),
            }
        } else if let Some(s) = self.expect {
            Expect::Value(s.clone())
        } else if let Some(code) = self.expect_error {
            Expect::Error {
                code: sqlstate_code(code).unwrap_or(code).to_string(),
                message: self.message.map(str::to_string),
            }
        } else {
            Expect::Ok
        }
    }
}

/// Rows as PostgreSQL's text output (None = NULL).
pub type TextRows = Vec<Vec<Option<String>>>;

/// What a statement (the last one of a step's query) gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Rows {
        /// Rows returned or affected (command tag).
        count: u64,
        columns: usize,
        rows: Vec<Vec<Option<String>>>,
    },
    Error {
        code: String,
        message: String,
    },
}

impl Got {
    pub fn from_error(e: &tokio_postgres::Error) -> Got {
        match e.as_db_error() {
            Some(db) => Got::Error {
                code: db.code().code().to_string(),
                message: db.message().to_string(),
            },
            None => Got::Error {
                code: String::new(),
                message: e.to_string(),
            },
        }
    }

    pub fn from_messages(msgs: &[SimpleQueryMessage]) -> Got {
        let mut last: Option<(u64, usize, TextRows)> = None;
        let mut cur: TextRows = Vec::new();
        let mut columns = 0usize;
        for m in msgs {
            match m {
                SimpleQueryMessage::RowDescription(cols) => columns = cols.len(),
                SimpleQueryMessage::Row(r) => {
                    columns = r.len();
                    cur.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
                SimpleQueryMessage::CommandComplete(n) => {
                    last = Some((*n, columns, std::mem::take(&mut cur)));
                    columns = 0;
                }
                _ => {}
            }
        }
        let (count, columns, rows) = last.unwrap_or((0, 0, Vec::new()));
        Got::Rows {
            count,
            columns,
            rows,
        }
    }

    pub fn error_code(&self) -> Option<&str> {
        match self {
            Got::Error { code, .. } => Some(code),
            Got::Rows { .. } => None,
        }
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn show_cell(c: &Option<String>) -> String {
    match c {
        None => "NULL".to_string(),
        Some(s) if s.chars().count() > 40 => format!("{}…", s.chars().take(40).collect::<String>()),
        Some(s) => s.clone(),
    }
}

/// `[a, 1], [b, 2] … (5 rows)`.
pub fn show_rows(rows: &[Vec<Option<String>>]) -> String {
    if rows.is_empty() {
        return "no rows".to_string();
    }
    let shown: Vec<String> = rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(show_cell).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let more = if rows.len() > 3 {
        format!(" … ({} rows)", rows.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn show_expected_rows(rows: &[Vec<Scalar>]) -> String {
    if rows.is_empty() {
        return "no rows".to_string();
    }
    rows.iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_matches(exp: &[Scalar], got: &[Option<String>]) -> bool {
    exp.len() == got.len() && exp.iter().zip(got).all(|(e, g)| e.matches(g.as_deref()))
}

/// How a step's result compares with its expectation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Met; a short account of what happened (`1 row`, `rejected 42501`).
    Pass(String),
    Fail(String),
    /// Could not tell (timeout, syntax error, connection).
    Error(String),
}

pub fn compare(expect: &Expect, got: &Got) -> Verdict {
    match (expect, got) {
        (
            Expect::Error { code, message },
            Got::Error {
                code: gc,
                message: gm,
            },
        ) => {
            if gc == code {
                match message {
                    Some(m) if !gm.to_lowercase().contains(&m.to_lowercase()) => Verdict::Fail(format!(
                        "rejected with {} as expected, but the message does not contain \"{m}\": {gm}",
                        sqlstate_text(gc)
                    )),
                    _ => Verdict::Pass(format!("rejected: {}", describe_error(gc, gm))),
                }
            } else if is_infrastructure(gc) {
                Verdict::Error(describe_error(gc, gm))
            } else {
                Verdict::Fail(format!(
                    "expected error {}, got {}",
                    sqlstate_text(code),
                    describe_error(gc, gm)
                ))
            }
        }
        (Expect::Error { code, .. }, Got::Rows { count, rows, .. }) => {
            let what = if rows.is_empty() {
                plural(*count, "row")
            } else {
                format!("{}: {}", plural(*count, "row"), show_rows(rows))
            };
            Verdict::Fail(format!(
                "expected error {}, but it succeeded ({what})",
                sqlstate_text(code)
            ))
        }
        (_, Got::Error { code, message }) if is_infrastructure(code) => {
            Verdict::Error(describe_error(code, message))
        }
        (_, Got::Error { code, message }) => {
            let wanted = match expect {
                Expect::Rows(n) => plural(*n, "row"),
                Expect::Exact { rows, .. } => show_expected_rows(rows),
                Expect::Value(v) => format!("the value {v}"),
                _ => "no error".to_string(),
            };
            Verdict::Fail(format!(
                "expected {wanted}, got error {}",
                describe_error(code, message)
            ))
        }
        (Expect::Ok, Got::Rows { count, .. }) => {
            Verdict::Pass(format!("ok ({})", plural(*count, "row")))
        }
        (Expect::Rows(n), Got::Rows { count, rows, .. }) => {
            if count == n {
                Verdict::Pass(plural(*count, "row"))
            } else if rows.is_empty() {
                Verdict::Fail(format!("expected {}, got {count}", plural(*n, "row")))
            } else {
                Verdict::Fail(format!(
                    "expected {}, got {count}: {}",
                    plural(*n, "row"),
                    show_rows(rows)
                ))
            }
        }
        (Expect::Value(v), Got::Rows { rows, columns, .. }) => {
            let single = match rows.as_slice() {
                [row] if *columns == 1 && row.len() == 1 => Some(&row[0]),
                _ => None,
            };
            let Some(actual) = single else {
                return Verdict::Fail(format!(
                    "expected a single value ({v}), got {} of {} column{}: {}",
                    plural(rows.len() as u64, "row"),
                    columns,
                    if *columns == 1 { "" } else { "s" },
                    show_rows(rows)
                ));
            };
            if v.matches(actual.as_deref()) {
                Verdict::Pass(format!("= {}", show_cell(actual)))
            } else {
                Verdict::Fail(format!("expected {v}, got {}", show_cell(actual)))
            }
        }
        (Expect::Exact { rows: exp, ordered }, Got::Rows { rows, .. }) => {
            let ok = if *ordered {
                exp.len() == rows.len() && exp.iter().zip(rows).all(|(e, g)| row_matches(e, g))
            } else {
                // Multiset: each actual row matches a distinct expected row.
                let mut used = vec![false; exp.len()];
                exp.len() == rows.len()
                    && rows.iter().all(|g| {
                        match (0..exp.len()).find(|&i| !used[i] && row_matches(&exp[i], g)) {
                            Some(i) => {
                                used[i] = true;
                                true
                            }
                            None => false,
                        }
                    })
            };
            if ok {
                Verdict::Pass(format!(
                    "rows as expected ({})",
                    plural(rows.len() as u64, "row")
                ))
            } else {
                Verdict::Fail(format!(
                    "expected rows {}{}, got {}",
                    show_expected_rows(exp),
                    if *ordered { " in this order" } else { "" },
                    show_rows(rows)
                ))
            }
        }
    }
}

impl schemars::JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A value compared with PostgreSQL's text output",
            "type": ["boolean", "integer", "number", "string"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_match_postgres_text() {
        assert!(Scalar::Bool(true).matches(Some("t")));
        assert!(Scalar::Bool(false).matches(Some("false")));
        assert!(!Scalar::Bool(true).matches(Some("f")));
        assert!(Scalar::Int(3).matches(Some("3")));
        assert!(Scalar::Int(3).matches(Some("3.00")));
        assert!(!Scalar::Int(3).matches(Some("4")));
        assert!(Scalar::Int(i64::MAX).matches(Some("9223372036854775807")));
        assert!(Scalar::Float(0.5).matches(Some("0.50")));
        assert!(Scalar::Text("TKT-000001".into()).matches(Some("TKT-000001")));
        assert!(Scalar::Text("NULL".into()).matches(None));
        assert!(!Scalar::Int(0).matches(None));
    }

    #[test]
    fn comparisons() {
        let rows = |v: &[&[&str]]| Got::Rows {
            count: v.len() as u64,
            columns: v.first().map_or(0, |r| r.len()),
            rows: v
                .iter()
                .map(|r| r.iter().map(|c| Some(c.to_string())).collect())
                .collect(),
        };
        let err = |c: &str, m: &str| Got::Error {
            code: c.into(),
            message: m.into(),
        };
        assert!(matches!(
            compare(&Expect::Rows(1), &rows(&[&["a"]])),
            Verdict::Pass(_)
        ));
        assert_eq!(
            compare(&Expect::Rows(1), &rows(&[&["a"], &["b"]])),
            Verdict::Fail("expected 1 row, got 2: [a], [b]".into())
        );
        assert!(matches!(
            compare(&Expect::Value(Scalar::Int(2)), &rows(&[&["2"]])),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            compare(&Expect::Value(Scalar::Int(2)), &rows(&[&["2", "3"]])),
            Verdict::Fail(_)
        ));
        let exact = Expect::Exact {
            rows: vec![
                vec![Scalar::Text("b".into()), Scalar::Int(2)],
                vec![Scalar::Text("a".into()), Scalar::Int(1)],
            ],
            ordered: false,
        };
        assert!(matches!(
            compare(&exact, &rows(&[&["a", "1"], &["b", "2"]])),
            Verdict::Pass(_)
        ));
        let Expect::Exact { rows: r, .. } = exact.clone() else {
            unreachable!()
        };
        let ordered = Expect::Exact {
            rows: r,
            ordered: true,
        };
        assert!(matches!(
            compare(&ordered, &rows(&[&["a", "1"], &["b", "2"]])),
            Verdict::Fail(_)
        ));
        let e = Expect::Error {
            code: "42501".into(),
            message: Some("row-level security".into()),
        };
        assert!(matches!(
            compare(
                &e,
                &err(
                    "42501",
                    "new row violates row-level security policy for table \"t\""
                )
            ),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            compare(&e, &err("42501", "permission denied for table t")),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            compare(&e, &err("23505", "duplicate key")),
            Verdict::Fail(_)
        ));
        assert!(matches!(compare(&e, &rows(&[])), Verdict::Fail(_)));
        // Timeouts and syntax errors are errors, not failures.
        assert!(matches!(
            compare(
                &Expect::Rows(1),
                &err("57014", "canceling statement due to statement timeout")
            ),
            Verdict::Error(_)
        ));
        assert!(matches!(
            compare(&e, &err("42601", "syntax error")),
            Verdict::Error(_)
        ));
        assert!(matches!(
            compare(&Expect::Ok, &err("23514", "check")),
            Verdict::Fail(_)
        ));
    }
}
