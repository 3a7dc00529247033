//! `[[sql]]`: a query whose single value (boolean, number, text) is compared with `expect` — the
//! seeds' ad-hoc verification queries. Runs as the connecting user (like psql) unless `as` is
//! given, inside the run's rolled-back transaction, through the behaviour engine (`behaviour`).

use serde::Deserialize;

use super::scenario::validate_setup;
use crate::checks::behaviour::{
    run_steps, validate_sql, As, ExpectKeys, Given, GivenRefs, RunRules, Scalar, SqlList, Step,
};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::checks::{Outcome, ProbeCheck, ProbeEnv};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sql {
    /// SQL run first, as the connecting user.
    pub setup: Option<SqlList>,
    /// Fixtures applied before `setup` (`use = ["tickets"]`).
    #[serde(rename = "use")]
    pub uses: Option<Names>,
    /// Frozen time for the check's SQL (`at = "2026-01-01T00:00:00Z"`).
    pub at: Option<String>,
    /// Persona rows, fixtures and frozen time, resolved by the loader.
    #[serde(skip)]
    pub given: Given,
    /// Returns one row of one column.
    pub query: String,
    /// The value: `true`, `11`, `0.5`, `"TKT-000001"` (`"NULL"` for SQL NULL).
    pub expect: Scalar,
    /// Run the query as this role (default: the connecting user).
    #[serde(rename = "as")]
    pub as_: Option<As>,
}

impl Sql {
    pub fn step(&self) -> Step {
        Step {
            name: None,
            as_: self.as_.clone().unwrap_or_default(),
            query: self.query.clone(),
            expect: ExpectKeys {
                expect: Some(&self.expect),
                ..Default::default()
            }
            .build(),
        }
    }
}

impl ProbeCheck for Sql {
    fn validate(&mut self, v: &mut Validator) {
        validate_setup(v, "setup", self.setup.as_ref());
        validate_sql(v, "query", &self.query);
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
        // Without `as` the query runs as the connecting user on purpose (catalog queries,
        // counts as the owner); with `as` the impersonation rules apply.
        let rules = RunRules {
            connecting_rule: false,
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

    fn load(toml: &str) -> Result<Sql, String> {
        spec!(Sql, toml)
    }

    #[test]
    fn values() {
        let s =
            load("[[sql]]\nquery = \"select count(*) >= 11 from pg_policies\"\nexpect = true\n")
                .unwrap();
        assert_eq!(s.step().expect, Expect::Value(Scalar::Bool(true)));
        let s =
            load("[[sql]]\nquery = \"select 'TKT-000001'\"\nexpect = \"TKT-000001\"\n").unwrap();
        assert_eq!(s.expect, Scalar::Text("TKT-000001".into()));
        let s = load("[[sql]]\nquery = \"select 0.5\"\nexpect = 0.5\n").unwrap();
        assert_eq!(s.expect, Scalar::Float(0.5));
    }

    #[test]
    fn problems() {
        let e = load("[[sql]]\nquery = \"select 1\"\nexpect = [1]\n").unwrap_err();
        assert!(e.contains("t.toml:3:10"), "{e}");
        assert!(e.contains("a boolean, a number or a text"), "{e}");
        let e = load("[[sql]]\nquery = \"select 1\"\n").unwrap_err();
        assert!(e.contains("missing `expect`"), "{e}");
        let e = load("[[sql]]\nquery = \"end\"\nexpect = 1\n").unwrap_err();
        assert!(e.contains("`query` contains COMMIT (`end`"), "{e}");
    }
}
