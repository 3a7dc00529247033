//! `[[scenario]]`: optional setup SQL (as the connecting user), then one or more steps, each run
//! as a role with JWT claims and settings (`as`), each with one expectation (row count, exact
//! rows, a value, no error, or an error SQLSTATE). Steps see the earlier steps' writes, so user A
//! can write and user B fail to read. Runs inside the run's rolled-back transaction; the
//! machinery (safety refusals, impersonation, comparison) is in `behaviour`.

use serde::Deserialize;

use crate::checks::behaviour::{
    join_path, run_steps, validate_sql, As, ExpectKeys, Given, GivenRefs, RunRules, Scalar,
    SqlList, Step,
};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, ProbeCheck, ProbeEnv};

/// One `[[scenario.step]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Shown in details (`step 2 (user B cannot read)`).
    pub name: Option<String>,
    #[serde(rename = "as")]
    pub as_: Option<As>,
    pub query: String,
    pub expect_rows: Option<u64>,
    pub rows: Option<Vec<Vec<Scalar>>>,
    pub ordered: Option<bool>,
    pub expect: Option<Scalar>,
    pub expect_ok: Option<bool>,
    pub expect_error: Option<String>,
    pub message: Option<String>,
}

impl StepSpec {
    fn keys(&self) -> ExpectKeys<'_> {
        ExpectKeys {
            expect_rows: self.expect_rows,
            rows: self.rows.as_ref(),
            ordered: self.ordered,
            expect: self.expect.as_ref(),
            expect_ok: self.expect_ok,
            expect_error: self.expect_error.as_deref(),
            message: self.message.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows (prefixed to its detail).
    pub name: Option<String>,
    /// SQL run first, as the connecting user (one text or a list).
    pub setup: Option<SqlList>,
    /// Fixtures applied before `setup` (`use = ["tickets"]`).
    #[serde(rename = "use")]
    pub uses: Option<Names>,
    /// Frozen time for the check's SQL (`at = "2026-01-01T00:00:00Z"`).
    pub at: Option<String>,
    /// Persona rows, fixtures and frozen time, resolved by the loader.
    #[serde(skip)]
    pub given: Given,
    // A single inline step:
    #[serde(rename = "as")]
    pub as_: Option<As>,
    pub query: Option<String>,
    pub expect_rows: Option<u64>,
    pub rows: Option<Vec<Vec<Scalar>>>,
    pub ordered: Option<bool>,
    pub expect: Option<Scalar>,
    pub expect_ok: Option<bool>,
    pub expect_error: Option<String>,
    pub message: Option<String>,
    /// Or several: `[[scenario.step]]`.
    #[serde(alias = "steps")]
    pub step: Option<Vec<StepSpec>>,
}

impl Scenario {
    fn inline_keys(&self) -> ExpectKeys<'_> {
        ExpectKeys {
            expect_rows: self.expect_rows,
            rows: self.rows.as_ref(),
            ordered: self.ordered,
            expect: self.expect.as_ref(),
            expect_ok: self.expect_ok,
            expect_error: self.expect_error.as_deref(),
            message: self.message.as_deref(),
        }
    }

    /// The steps to run (after validation).
    pub fn steps(&self) -> Vec<Step> {
        match &self.step {
            Some(steps) => steps
                .iter()
                .map(|s| Step {
                    name: s.name.clone(),
                    as_: s.as_.clone().unwrap_or_default(),
                    query: s.query.clone(),
                    expect: s.keys().build(),
                })
                .collect(),
            None => vec![Step {
                name: None,
                as_: self.as_.clone().unwrap_or_default(),
                query: self.query.clone().unwrap_or_default(),
                expect: self.inline_keys().build(),
            }],
        }
    }
}

/// Validate `setup` (one text or a list).
pub fn validate_setup(v: &mut Validator, key: &str, setup: Option<&SqlList>) {
    let Some(s) = setup else { return };
    if s.0.is_empty() {
        v.error(key, format!("`{key}` is empty"), None);
    }
    for (i, sql) in s.0.iter().enumerate() {
        let path = if s.0.len() == 1 {
            key.to_string()
        } else {
            format!("{key}.{i}")
        };
        validate_sql(v, &path, sql);
    }
}

impl ProbeCheck for Scenario {
    fn validate(&mut self, v: &mut Validator) {
        validate_setup(v, "setup", self.setup.as_ref());
        match &self.step {
            Some(steps) => {
                let inline = [
                    ("as", self.as_.is_some()),
                    ("query", self.query.is_some()),
                    ("expect_rows", self.expect_rows.is_some()),
                    ("rows", self.rows.is_some()),
                    ("ordered", self.ordered.is_some()),
                    ("expect", self.expect.is_some()),
                    ("expect_ok", self.expect_ok.is_some()),
                    ("expect_error", self.expect_error.is_some()),
                    ("message", self.message.is_some()),
                ];
                for (k, present) in inline {
                    if present {
                        v.not_here(
                            k,
                            "goes in each [[scenario.step]] when the scenario has steps",
                        );
                    }
                }
                if steps.is_empty() {
                    v.error("step", "`step` is empty", None);
                }
                for (i, s) in steps.iter().enumerate() {
                    let p = format!("step.{i}");
                    validate_sql(v, &join_path(&p, "query"), &s.query);
                    s.keys().validate(v, &p);
                    if let Some(a) = &s.as_ {
                        a.validate(v, &join_path(&p, "as"));
                    }
                }
            }
            None => {
                match &self.query {
                    Some(q) => validate_sql(v, "query", q),
                    None => v.error(
                        "",
                        "give `query` (one step) or [[scenario.step]] tables (several steps)",
                        Some("e.g. as = { role = \"authenticated\", claims = { sub = \"...\" } }, query = \"select * from tickets\", expect_rows = 1".into()),
                    ),
                }
                self.inline_keys().validate(v, "");
                if let Some(a) = &self.as_ {
                    a.validate(v, "as");
                }
            }
        }
    }

    fn given_mut(&mut self) -> Option<GivenRefs<'_>> {
        let mut as_ = Vec::new();
        if let Some(a) = self.as_.as_mut() {
            as_.push(("as".to_string(), a));
        }
        for (i, s) in self.step.iter_mut().flatten().enumerate() {
            if let Some(a) = s.as_.as_mut() {
                as_.push((format!("step.{i}.as"), a));
            }
        }
        Some(GivenRefs {
            as_,
            uses: self.uses.as_ref(),
            at: self.at.as_ref(),
            given: &mut self.given,
        })
    }

    async fn run(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Outcome {
        let steps = self.steps();
        let rules = RunRules {
            connecting_rule: true,
            numbered: steps.len() > 1,
        };
        let o = run_steps(ctx, self.setup.as_ref(), &self.given, &steps, rules, env).await;
        match &self.name {
            Some(n) => o.about(n),
            None => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::behaviour::expect::Expect;
    use crate::checks::testkit::spec;

    fn load(toml: &str) -> Result<Scenario, String> {
        spec!(Scenario, toml)
    }

    #[test]
    fn inline_step() {
        let s = load(
            r#"
[[scenario]]
name = "a customer sees only their own tickets"
setup = "insert into t values (1)"
as = { role = "authenticated", claims = { sub = "u1", email = "a@b.c" } }
query = "select * from support_tickets"
expect_rows = 1
"#,
        )
        .unwrap();
        let steps = s.steps();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].as_.role.as_deref(), Some("authenticated"));
        assert_eq!(steps[0].expect, Expect::Rows(1));
        let claims = steps[0].as_.claims_json(Some("authenticated")).unwrap();
        assert!(claims.contains(r#""sub":"u1""#), "{claims}");
    }

    #[test]
    fn several_steps() {
        let s = load(
            r#"
[[scenario]]
setup = ["insert into a values (1)", "insert into b values (2)"]

[[scenario.step]]
name = "user A writes"
as = { role = "authenticated", claims = { sub = "a" } }
query = "insert into notes (body) values ('x')"
expect_ok = true

[[scenario.step]]
as = { role = "authenticated", claims = { sub = "b" } }
query = "select body, 1 from notes"
rows = []

[[scenario.step]]
as = "anon"
query = "select * from notes"
expect_error = "insufficient_privilege"
message = "permission denied"
"#,
        )
        .unwrap();
        let steps = s.steps();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].name.as_deref(), Some("user A writes"));
        assert_eq!(steps[0].expect, Expect::Ok);
        assert_eq!(
            steps[2].expect,
            Expect::Error {
                code: "42501".into(),
                message: Some("permission denied".into())
            }
        );
        assert_eq!(
            s.setup.unwrap().statements("setup").unwrap(),
            vec!["insert into a values (1)", "insert into b values (2)"]
        );
    }

    #[test]
    fn problems_are_located() {
        let e = load(
            r#"
[[scenario]]
query = "select 1"
expect_rows = 1
expect_ok = true
"#,
        )
        .unwrap_err();
        assert!(
            e.contains("t.toml:2:1: [[scenario]] give exactly one of `expect_rows`"),
            "{e}"
        );

        let e = load(
            r#"
[[scenario]]
query = "select 1"

[[scenario.step]]
query = "select 1; commit"
expect_error = "2350"
message = "x"

[[scenario.step]]
as = { role = "authenticated", settings = { role = "postgres" } }
query = "select 1"
expect_rows = 1
message = "x"
"#,
        )
        .unwrap_err();
        assert!(
            e.contains("t.toml:3:1: [[scenario]] `query` goes in each [[scenario.step]]"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:6:1: [[scenario]] `step.0.query` contains COMMIT"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:7:1: [[scenario]] `2350` is not a SQLSTATE"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:11:45: [[scenario]] `role` cannot be given under `settings`"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:14:1: [[scenario]] `step.1.message` only goes with `expect_error`"),
            "{e}"
        );

        let e = load("[[scenario]]\nas = { role = \"x\", claim = {} }\nquery = \"select 1\"\nexpect_ok = true\n")
            .unwrap_err();
        assert!(
            e.contains("unknown field `claim`") || e.contains("unknown key `claim`"),
            "{e}"
        );
        assert!(e.contains("t.toml:2:"), "{e}");

        let e = load("[[scenario]]\nexpect_rows = 1\n").unwrap_err();
        assert!(
            e.contains("give `query` (one step) or [[scenario.step]]"),
            "{e}"
        );
        let e = load("[[scenario]]\nquery = \"select 1\"\nexpect_ok = false\n").unwrap_err();
        assert!(
            e.contains("`expect_ok = false` is not an expectation"),
            "{e}"
        );
    }
}
