//! `[[absent]]`: an object does not exist (table, column, index, constraint, enum, function
//! overload, trigger, view, sequence, publication membership, extension, role). Shares the object
//! types of `exists` (`kinds::object`); only locating keys (`table`, `args`, publication
//! `tables`) are allowed. Reads only the Snapshot.

use serde::Deserialize;

use super::object::{Object, ObjectCheck};
use crate::catalog::Snapshot;
use crate::checks::names::Ctx;
use crate::checks::validator::Validator;
use crate::checks::{Outcome, StaticCheck};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Absent {
    // The keys as written (`diff` reads a snapshot file's posture from them; a doc comment
    // here would become the JSON Schema's description); evaluation reads only `check`.
    raw: Object,
    #[serde(skip)]
    #[schemars(skip)]
    check: Option<ObjectCheck>,
}

impl StaticCheck for Absent {
    fn validate(&mut self, v: &mut Validator) {
        self.check = ObjectCheck::classify(&self.raw, v, true);
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        match &self.check {
            Some(c) => c.schemas(ctx),
            None => vec![ctx.schema.to_string()],
        }
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        match &self.check {
            Some(c) => c.absent(ctx, snap),
            None => Outcome::error("no object named"),
        }
    }
}
