//! The behaviour kinds, which run SQL as a role and judge what happens (`immutable`,
//! `scenario`, `rejects`, `sql`: one file each), and the engine they share: who SQL runs as
//! (`as`), the fixtures a step starts from (`given`), what a step expects and how a result
//! compares (`expect`), SQLSTATEs (`sqlstate`), the rules checked before a step runs (`safety`),
//! the session state checked around every step (`state`) and running steps inside savepoints
//! (`steps`). Must not commit or end the transaction, open connections, or read the catalog
//! (the snapshot is given).

pub mod r#as;
pub mod expect;
pub mod given;
pub mod immutable;
pub mod rejects;
pub mod safety;
pub mod scenario;
pub mod sql;
pub mod sqlstate;
pub mod state;
pub mod steps;

pub use expect::{ExpectKeys, Got, Scalar};
pub use given::{send_given, Defs, Given, GivenRefs};
pub use r#as::{join_path, settings_statement, As, AsList, Originals};
pub use safety::{unknown_role, validate_sql};
pub use sqlstate::{describe_error, error_text, is_infrastructure};
pub use steps::{
    bounded, exec_opt_text, exec_text, prelude, run_steps, send_one, Limits, RunRules, SqlList,
    Step,
};
