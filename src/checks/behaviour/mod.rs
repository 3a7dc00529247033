//! The behaviour engine shared by the behaviour kinds (`immutable`, `scenario`, `rejects`,
//! `sql`): who SQL runs as (`as`), what a step expects and how a result compares (`expect`),
//! SQLSTATEs (`sqlstate`), the rules checked before a step runs (`safety`), the session state
//! checked around every step (`state`) and running steps inside savepoints (`steps`). Must not commit or end the transaction, open connections, or read
//! the catalog (the snapshot is given).

pub mod r#as;
pub mod expect;
pub mod given;
pub mod safety;
pub mod sqlstate;
pub mod state;
pub mod steps;

pub use expect::{compare, show_rows, Expect, ExpectKeys, Got, Scalar, TextRows, Verdict};
pub use given::{send_given, Defs, Given, GivenRefs};
pub use r#as::{join_path, settings_statement, As, AsList, Originals};
pub use safety::{
    owns, referenced_relations, refusal, rls_bypass_reason, unknown_role, validate_sql,
};
pub use sqlstate::{
    describe_error, error_text, is_infrastructure, sqlstate_code, sqlstate_text, SQLSTATES,
};
pub use steps::{
    bounded, exec_opt_text, exec_text, prelude, run_steps, send_all, send_one, send_setup, Limits,
    RunRules, SqlList, Step,
};
