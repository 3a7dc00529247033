//! `[[rejects]]`: a statement (after optional setup) must fail with a given SQLSTATE — a
//! duplicate insert → 23505, a check-constraint violation → 23514 — optionally as a role.
//! Runs inside the run's rolled-back transaction through the behaviour engine (`behaviour`).

use serde::Deserialize;

use super::scenario::validate_setup;
use crate::checks::behaviour::{
    run_steps, validate_sql, As, ExpectKeys, Given, GivenRefs, RunRules, SqlList, Step,
};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, ProbeCheck, ProbeEnv};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejects {
    /// SQL run first, as the connecting user (e.g. the first of two duplicate inserts).
    pub setup: Option<SqlList>,
    /// Fixtures applied before `setup` (`use = ["tickets"]`).
    #[serde(rename = "use")]
    pub uses: Option<Names>,
    /// Frozen time for the check's SQL (`at = "2026-01-01T00:00:00Z"`).
    pub at: Option<String>,
    /// Persona rows, fixtures and frozen time, resolved by the loader.
    #[serde(skip)]
    pub given: Given,
    /// The statement that must fail.
    #[serde(alias = "query")]
    pub statement: String,
    /// Its SQLSTATE (`"23505"`) or condition name (`"unique_violation"`).
    #[serde(alias = "expect_error")]
    pub sqlstate: String,
    /// A text the error message must contain (case-insensitive).
    pub message: Option<String>,
    /// Run the statement as this role (default: the connecting user).
    #[serde(rename = "as")]
    pub as_: Option<As>,
}

impl Rejects {
    fn keys(&self) -> ExpectKeys<'_> {
        ExpectKeys {
            expect_error: Some(&self.sqlstate),
            message: self.message.as_deref(),
            ..Default::default()
        }
    }

    pub fn step(&self) -> Step {
        Step {
            name: None,
            as_: self.as_.clone().unwrap_or_default(),
            query: self.statement.clone(),
            expect: self.keys().build(),
        }
    }
}

impl ProbeCheck for Rejects {
    fn validate(&mut self, v: &mut Validator) {
        validate_setup(v, "setup", self.setup.as_ref());
        validate_sql(v, "statement", &self.statement);
        // Only the SQLSTATE can be wrong here; report it under its own key.
        let mut inner = Validator::default();
        self.keys().validate(&mut inner, "");
        for p in inner.problems {
            let path = if p.path == "expect_error" {
                "sqlstate".to_string()
            } else {
                p.path
            };
            v.error(&path, p.message, p.hint);
        }
        if let Some(a) = &self.as_ {
            a.validate(v, "as");
        }
    }

    fn given_mut(&mut self) -> Option<GivenRefs<'_>> {
        let as_ = self.as_.as_mut();
        Some(GivenRefs::single(
            as_,
            self.uses.as_ref(),
            self.at.as_ref(),
            &mut self.given,
        ))
    }

    async fn run(&self, ctx: &Ctx<'_>, env: &ProbeEnv<'_>) -> Outcome {
        let rules = RunRules {
            connecting_rule: true,
            numbered: false,
        };
        run_steps(
            ctx,
            self.setup.as_ref(),
            &self.given,
            &[self.step()],
            rules,
            env,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::behaviour::expect::Expect;
    use crate::checks::testkit::spec;

    fn load(toml: &str) -> Result<Rejects, String> {
        spec!(Rejects, toml)
    }

    #[test]
    fn duplicate_insert() {
        let r = load(
            r#"
[[rejects]]
setup = "insert into cc_messages (provider, provider_message_id) values ('twilio', 'SM1')"
statement = "insert into cc_messages (provider, provider_message_id) values ('twilio', 'SM1')"
sqlstate = "unique_violation"
message = "cc_messages_provider_message_id_key"
"#,
        )
        .unwrap();
        assert_eq!(
            r.step().expect,
            Expect::Error {
                code: "23505".into(),
                message: Some("cc_messages_provider_message_id_key".into())
            }
        );
        // `query` / `expect_error` are accepted as the scenario spells them.
        let r =
            load("[[rejects]]\nquery = \"insert into t values (0)\"\nexpect_error = \"23514\"\n")
                .unwrap();
        assert_eq!(r.sqlstate, "23514");
    }

    #[test]
    fn problems() {
        let e = load("[[rejects]]\nstatement = \"commit\"\nsqlstate = \"dupe\"\n").unwrap_err();
        assert!(
            e.contains("t.toml:2:1: [[rejects]] `statement` contains COMMIT"),
            "{e}"
        );
        assert!(
            e.contains("t.toml:3:1: [[rejects]] `dupe` is not a SQLSTATE"),
            "{e}"
        );
        let e = load("[[rejects]]\nstatement = \"select 1\"\n").unwrap_err();
        assert!(e.contains("missing `sqlstate`"), "{e}");
    }
}
